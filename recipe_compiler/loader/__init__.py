"""Text → positioned tree → typed `Recipe`, the way SparseML 1.8 reads a recipe.

The stages, in the order data flows through them:
`source` (a file or text, markdown front matter split off, limits) → `yamltree`
(YAML to positioned nodes, PyYAML's rules) → `list_markers` (modifiers written
without `- `) → `layout` (where SparseML takes modifiers from) → `overrides`
(`--var` values applied to the tree) → `variables` and `expressions` (`eval(...)`
evaluated as SparseML does, safely) → `validate` (tagged nodes to the pydantic
models of `modifiers/`) → `recipe` (the `Recipe` type and `load`). `codes` holds the
codes of the problems these stages find.

May import: `problems`, `_text`, `fileio` and `modifiers/`; nothing above.
A new recipe format (a staged dialect) gets its own reader beside these, sharing
`source`, `yamltree` and the `Problem` type.
"""
