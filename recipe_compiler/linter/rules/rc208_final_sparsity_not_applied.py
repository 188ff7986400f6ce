"""Pruning that ends when training ends never applies its final sparsity.

Training stops at the last step of epoch `max_epochs - 1`, whose epoch is just below
`max_epochs`; a pruning modifier whose end_epoch equals the training length never
sees its end update, so the model finishes short of final_sparsity
(e.g. 0.7894 instead of 0.8; sparseml issue #1117).

Passes: pruning ends at 30, training at 50.
Fails: pruning and training both end at 50.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...modifiers import is_gradual
from ...problems import Severity
from ..context import Context
from ._base import Finding

CODE = "RC208"
NAME = "final-sparsity-not-applied"
SEVERITY = Severity.WARNING


def check(ctx: Context) -> Iterator[Finding]:
    recipe = ctx.recipe
    total = recipe.max_epochs
    for entry, m in recipe.models:
        if is_gradual(m) and m.end > 0 and m.end >= total:
            line, col = entry.field_position("end_epoch")
            yield Finding(
                line,
                col,
                f"pruning ends at epoch {m.end:g}, which is the end of training "
                f"(max_epochs {total}): SparseML never runs the final update, so "
                f"final_sparsity {m.final_sparsity} is never applied",
                "end pruning before training ends and fine-tune after it (the "
                "90-epoch rule: 30 pruning then 20 fine-tuning epochs)",
            )
