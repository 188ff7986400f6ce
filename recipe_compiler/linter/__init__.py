"""The linter: loader problems plus rules, filtered by config and inline comments.

In the order a lint runs (sqlfluff's split): `discovery` (which files a folder
holds recipes in), `engine` (the lint loop: loader problems, the rules, the
filters), `context` (the one object every rule is given), `rules/` (one module a
rule: code, summary, check, docs in its docstring), `disables` (inline
`# recipe: disable=`), `config` (`.recipelint.yaml`), `reporters` (text, json,
sarif, github, ...), `docs` (docs/rules.md from the rules' docstrings).

May import: `schedule/`, `model/`, `hardware/`, `loader/`, `modifiers/` and the
ground floor; never `edit/`, `views/`, the runner or the CLI.
"""
