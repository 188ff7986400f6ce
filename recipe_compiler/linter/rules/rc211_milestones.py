"""MultiStepLR milestones outside the modifier's window fail at run time.

SparseML checks them only at the first learning-rate update, after training has
started: every milestone must be greater than start_epoch and, when end_epoch is
set, less than it.

Passes: `milestones: [43, 60]` with start_epoch 0 and end_epoch -1.
Fails: `milestones: [0, 60]` with start_epoch 0.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...modifiers import is_lr_class
from ...problems import Severity
from ..context import Context
from ._base import Finding

CODE = "RC211"
NAME = "milestones-outside-window"
SEVERITY = Severity.ERROR
SPARSEML = ("step: ValueError",)  # where SparseML fails (tests/linter/rules)


def check(ctx: Context) -> Iterator[Finding]:
    recipe = ctx.recipe
    for entry, m in recipe.models:
        if not is_lr_class(m) or m.lr_class != "MultiStepLR":
            continue
        milestones = m.lr_kwargs.get("milestones")
        if not isinstance(milestones, list):
            continue
        for mile in milestones:
            if not isinstance(mile, int | float):
                continue
            bad = mile <= m.start_epoch or (m.end_epoch >= 0 and mile >= m.end_epoch)
            if bad:
                line, col = entry.field_position("lr_kwargs")
                yield Finding(
                    line,
                    col,
                    f"milestone {mile:g} is outside ({m.start_epoch:g}, "
                    f"{'end' if m.end_epoch < 0 else format(m.end_epoch, 'g')}): "
                    "SparseML raises ValueError at the first LR update, after "
                    "training has started",
                    "milestones are absolute epochs strictly inside the window",
                )
                break
