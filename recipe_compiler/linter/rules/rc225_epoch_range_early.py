"""An EpochRangeModifier that ends before another modifier.

SparseML's training length is the largest start or end of *any* modifier, so a
modifier past the EpochRangeModifier's end silently extends training.

Passes: EpochRangeModifier to 50, everything else ends by 50.
Fails: EpochRangeModifier to 50, a LearningRateFunctionModifier to 60.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...modifiers import is_epoch_range
from ...problems import Severity
from ..context import Context
from ._base import Finding

CODE = "RC225"
NAME = "epoch-range-ends-early"
SEVERITY = Severity.WARNING


def check(ctx: Context) -> Iterator[Finding]:
    recipe = ctx.recipe
    ranges = [(e, m) for e, m in recipe.models if is_epoch_range(m)]
    if not ranges:
        return
    end = max(m.end for _, m in ranges)
    if end < 0:
        return
    later = [
        (e, max(m.start, m.end))
        for e, m in recipe.models
        if not is_epoch_range(m) and max(m.start, m.end) > end
    ]
    if later:
        e, x = max(later, key=lambda p: p[1])
        entry = max(ranges, key=lambda p: p[1].end)[0]
        line, col = entry.field_position("end_epoch")
        yield Finding(
            line,
            col,
            f"the EpochRangeModifier ends at epoch {end:g}, but !{e.tag} (line "
            f"{e.line}) runs to epoch {x:g}: training lasts {recipe.max_epochs} "
            f"epochs, not {end:g}",
            f"end the EpochRangeModifier at {x:g}, or the other modifier by {end:g}",
        )
