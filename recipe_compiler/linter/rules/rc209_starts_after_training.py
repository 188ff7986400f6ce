"""A modifier that starts at or after the end of training never acts.

The last optimizer step runs at an epoch just below `max_epochs`, so a modifier
whose start_epoch is at or past it is loaded and does nothing.

Passes: SetLearningRateModifier at epoch 30 of a 50-epoch recipe.
Fails: SetLearningRateModifier at epoch 50 of a 50-epoch recipe.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...problems import Severity
from ..context import Context
from ._base import Finding

CODE = "RC209"
NAME = "starts-after-training"
SEVERITY = Severity.WARNING


def check(ctx: Context) -> Iterator[Finding]:
    recipe = ctx.recipe
    total = recipe.max_epochs
    if total <= 0:
        return
    for entry, m in recipe.models:
        if m.start >= total and m.start > 0:
            line, col = entry.field_position("start_epoch")
            yield Finding(
                line,
                col,
                f"!{entry.tag} starts at epoch {m.start:g}, but training ends at "
                f"epoch {total}: it never acts",
                "start it earlier, or extend training (EpochRangeModifier end_epoch)",
            )
