"""`recipe lsp`: a language server for recipes (diagnostics from `recipe lint`,
hover, go-to-definition, the list-marker quick fix).

`analysis` is pure (text in, answers out); `server` speaks the protocol (pygls);
`project` finds the config and model a document is checked with.

May import: `linter/`, `edit/`, `schedule/`, `model/`, `loader/` and the ground
floor (pygls inside `server`); never the runner.
"""
