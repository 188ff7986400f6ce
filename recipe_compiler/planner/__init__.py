"""`recipe planner`: a local page where a recipe is edited and its schedule redrawn.

Every number on the page comes from the same code `recipe lint`, `plan` and
`preview` use (SparseML's own arithmetic, held to the engine): the browser only
sends text and knob values and draws what comes back.

- `compute`: text (and a knob) -> the page's state: problems, variables, charts
  (pure; no web stack).
- `store`: the one file the planner was opened on: read, digest, atomic save
  that never overwrites a change made on disk behind it.
- `guard`: what a request must carry (token, loopback Host, own Origin, bounded
  body) before it reaches the app.
- `app`: the Starlette app over those three.

May import: every floor up to `views` (loader, dialects, linter, edit, views,
hardware), starlette in `app` only; nothing imports it but the CLI.
"""
