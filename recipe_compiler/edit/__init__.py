"""Recipes written anew: text edits that keep the author's comments, layout and
variables.

`spans` (replace spans of a text, numbers written like the ones they replace),
`yaml_out` (values written back as YAML that SparseML reads as meant), `origins`
(where a modifier field's number is written: a literal, a variable, an
`eval(...)`), `dimensions` (which numbers are in epochs), `rescale` (the 90-epoch
rule), `flatten` (every value a number), `set_vars` (`--var` values written in),
`compile` (SparseML-ready output, refused where lint finds an error), `new` (a
recipe started right, from a template).

May import: `linter/`, `schedule/`, `model/`, `loader/`, `modifiers/` and the
ground floor; never `views/`, the runner or the CLI.
"""
