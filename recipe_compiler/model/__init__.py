"""The model a recipe is for: what `--model` knows of a network, and which of its
parameters and modules a recipe's names reach, resolved as SparseML 1.8 does.

`network` (the types and the shipped `tables/` of the built-in models, no torch),
`sources` (where `--model` comes from: a built-in name, an ONNX file, a factory),
`onnx` (a network read from an ONNX file with `onnx` alone), `torch` (a live torch
module read as a table, and the `pkg.module:factory` protocol; torch at import,
loaded only for a factory or by the runner), `macs` (multiply-accumulates of a
torch model), `params` (what a modifier's `params` resolve to), `names` (every
other name a recipe gives to part of the model), `layerplan` (what each pruning
modifier leaves of every layer); `llm/` (an LLM's module tree from a Hugging
Face folder, and compressed-tensors' matching).

May import: `loader/`, `modifiers/` and the ground floor (`torch_compat` for the
factory); never the runner.
"""
