"""A finished run served by DeepSparse: the deploy folder and `recipe serve`.

`folder` (writes `DIR/deploy/`: the model, `processing.py`, `serving_task.py`,
`server.yaml`), `files/` (what is copied there, run by DeepSparse, never importing
recipe_compiler), `serve` (`recipe serve DIR`: DeepSparse's server in a child
process, ready-wait, clean stop), `bounded_server` (that child: DeepSparse's own
server with a bound on request size).

May import: the ground floor only (`fileio`); deepsparse inside the functions
that start a server. The runner writes the folder through `folder`.
"""
