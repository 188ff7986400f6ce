"""What a recipe will do, for people to read: text, JSON and an HTML page.

`show_text` (`recipe show`: the modifiers as SparseML resolves them; `recipe
variables`), `plan_text` (`recipe plan`: table, json, csv), `diff` (`recipe diff`:
what differs between two recipes as SparseML runs them), `preview` (`recipe
preview`: one self-contained page of plotly charts).

May import: `edit/` (where a number is written), `linter/`, `schedule/`, `model/`,
`loader/`, `modifiers/` and the ground floor; never the runner or the CLI.
"""
