"""An end_epoch of -1 where SparseML treats it differently from what it suggests.

Gradual pruning with `end_epoch: -1` never ends, and its interpolation never moves:
sparsity stays at init_sparsity for the whole run. SetLearningRateModifier ignores
end_epoch (SparseML forces it to -1): the rate it sets stays until something else
changes it.

Passes: `!GMPruningModifier` with `end_epoch: 30`.
Fails: `!GMPruningModifier` with `end_epoch: -1`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...modifiers import is_gradual, is_set_lr
from ...problems import Severity
from ..context import Context
from ._base import Finding

CODE = "RC206"
NAME = "end-epoch-minus-one"
SEVERITY = Severity.WARNING


def check(ctx: Context) -> Iterator[Finding]:
    recipe = ctx.recipe
    for entry, m in recipe.models:
        if is_gradual(m) and m.end == -1:
            line, col = entry.field_position("end_epoch")
            yield Finding(
                line,
                col,
                f"!{entry.tag} with end_epoch -1 never reaches final_sparsity: "
                "SparseML keeps the sparsity at init_sparsity "
                f"({m.init_sparsity}) for the whole run",
                "set end_epoch to the epoch where pruning should reach final_sparsity",
            )
        if is_set_lr(m) and "end_epoch" in entry.fields and m.end_epoch != -1:
            line, col = entry.field_position("end_epoch")
            yield Finding(
                line,
                col,
                f"SetLearningRateModifier ignores end_epoch ({m.end_epoch!r}): "
                "SparseML forces it to -1, so the rate is not reset at that epoch",
                "remove end_epoch; add another LR modifier where the rate should "
                "change",
            )
