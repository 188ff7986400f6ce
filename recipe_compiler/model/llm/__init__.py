"""An LLM as `--model` knows it: a Hugging Face model folder (its config.json; no
weights are needed, safetensors headers confirm names and shapes where present).

`tree` (the types), `families` (the module tree from the tables shipped for the
common decoder families, `families.json`, written by `generate.py` from
transformers' own models), `meta` (transformers itself on the meta device, for
another architecture, where it is installed), `folder` (reading `--model DIR`),
`match` (which modules a target names, as compressed-tensors matches them).

May import: the ground floor; transformers and torch only in `meta` (and the
generator, which runs in llm-compressor's environment); never the runner.
"""
