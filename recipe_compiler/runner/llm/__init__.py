"""The LLM runner: an llm-compressor recipe applied by llm-compressor 0.14's
oneshot to a Hugging Face model folder (the `llm` extra, in its own environment:
llm-compressor needs numpy 2, sparseml numpy < 2).

The run's stages, in order: `preflight` (the recipe linted against the model
folder, the calibration file read, what oneshot will do predicted, before any
weight is loaded; no torch), `calibration` (token ids from a text/JSONL file or
a seeded generated set, split into calibration and held-out), `engine` (oneshot
itself: the modules each modifier changed, watched; a failure named by modifier
and layer; the one place that knows llm-compressor's internals), `closeness`
(the dense and the compressed checkpoint on the held-out tokens: KL divergence,
top-1 agreement), `compare` (what oneshot did against `recipe show --model`'s
prediction), `report` (report.json/md/html), `run` (the stages in order, timed,
peak memory sampled, OUT left clearly incomplete until the report is written).

May import: what the runner may (the loader, dialects, model, linter, views,
the ground floor), never the SparseML runner's modules beside it, and torch,
transformers and llm-compressor only inside the functions that run in the `llm`
extra's environment: `preflight` runs (and refuses) anywhere recipe-compiler is
installed.
"""
