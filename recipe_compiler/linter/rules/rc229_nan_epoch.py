"""An epoch written as `.nan`.

SparseML loads it (every comparison with NaN is false), then the modifier never
starts or never ends, and `max_epochs` ignores it.

Passes: `end_epoch: 10`.
Fails: `end_epoch: .nan`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from ...problems import Severity
from ..context import Context
from ._base import Finding

CODE = "RC229"
NAME = "nan-epoch"
SEVERITY = Severity.WARNING


def check(ctx: Context) -> Iterator[Finding]:
    recipe = ctx.recipe
    for entry, m in recipe.models:
        for field in ("start_epoch", "end_epoch"):
            value = getattr(m, field, None)
            if isinstance(value, float) and math.isnan(value):
                line, col = entry.field_position(field)
                yield Finding(
                    line,
                    col,
                    f"{field} is NaN: SparseML loads it, but the modifier never "
                    + ("starts" if field == "start_epoch" else "ends")
                    + " and max_epochs leaves it out",
                    "write a number of epochs, or -1 for 'not set'",
                )
