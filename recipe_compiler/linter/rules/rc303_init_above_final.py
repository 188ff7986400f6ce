"""Gradual pruning whose init_sparsity is above its final_sparsity.

SparseML accepts it and interpolates downwards: masks shrink during the window,
which is almost never what a recipe means.

Passes: `init_sparsity: 0.05`, `final_sparsity: 0.8`.
Fails: `init_sparsity: 0.9`, `final_sparsity: 0.8`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...modifiers import is_gradual
from ...problems import Severity
from ..context import Context
from ._base import Finding

CODE = "RC303"
NAME = "init-above-final"
SEVERITY = Severity.WARNING


def check(ctx: Context) -> Iterator[Finding]:
    recipe = ctx.recipe
    for entry, m in recipe.models:
        if not is_gradual(m) or not isinstance(m.init_sparsity, float):
            continue
        finals = m.final_sparsity
        values = list(finals) if isinstance(finals, dict | list) else [finals]
        if any(isinstance(v, float) and m.init_sparsity > v for v in values):
            line, col = entry.field_position("init_sparsity")
            yield Finding(
                line,
                col,
                f"init_sparsity {m.init_sparsity} is above final_sparsity {finals}: "
                "sparsity would decrease during pruning",
                "swap them, or lower init_sparsity",
            )
