"""The recipe dialects beside SparseML's legacy one (`loader/`): the staged recipes
of SparseML 1.8's `sparseml.core` and of llm-compressor, a folder each, with its
reader and its registry of modifiers generated from the engine itself.

May import: `loader/` (the positioned tree, the Problem codes), `schedule/`,
`model/`, `modifiers/` and the ground floor.
"""
