"""The schedule: what SparseML 1.8 does at each optimizer step of a recipe.

`clock` replays each modifier's events (its window, updates and markers) with
SparseML's own arithmetic, rounding to steps included; lint's rules read it.
`timeline` builds on it the per-step arrays (learning rate, each pruning
modifier's target sparsity) and the phases that `recipe plan`, `recipe preview`
and the runner's planned-vs-observed comparison show.

May import: `loader/`, `modifiers/` and the ground floor.
"""
