"""A learning-rate function whose end_epoch is off the step grid overshoots.

SparseML computes the last update at the first step at or after end_epoch, without
clamping: for an off-grid end, a linear or cosine schedule goes past final_lr (a
linear 0.1 to 0 can end negative). Overshoots under 0.1% of the LR range are not
reported.

Passes: end_epoch 50 at 100 steps per epoch.
Fails: end_epoch 50.005 at 100 steps per epoch.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from ...modifiers import is_lr_function
from ...problems import Severity
from ..context import Context
from ._base import Finding

CODE = "RC227"
NAME = "lr-end-off-grid"
SEVERITY = Severity.WARNING
NEEDS = ("replay",)
TOLERANCE = 0.001  # of the LR range; smaller overshoots are not reported


def check(ctx: Context) -> Iterator[Finding]:
    t = ctx.replay
    for e in t.events:
        m = e.model
        if not is_lr_function(m) or e.end_step is None:
            continue
        if m.lr_func == "cyclic_linear" or e.crash:
            continue
        x_end = t.clock.epoch(e.end_step)
        if x_end == m.end_epoch:
            continue
        start = m.start_epoch if m.start_epoch > 0 else 0.0
        x = (x_end - start) / (m.end_epoch - start)
        if m.lr_func == "linear":
            value = m.init_lr + x * (m.final_lr - m.init_lr)
        else:
            lo, hi = sorted((m.init_lr, m.final_lr))
            shift = 0.0 if m.final_lr < m.init_lr else math.pi
            value = math.cos(x * math.pi + shift) * (hi - lo) / 2 + (hi - lo) / 2 + lo
        if abs(value - m.final_lr) <= TOLERANCE * abs(m.init_lr - m.final_lr):
            continue  # a sliver of a step: the overshoot does not matter
        line, col = e.entry.field_position("end_epoch")
        yield Finding(
            line,
            col,
            f"end_epoch {m.end_epoch:g} is between steps: the last update runs at "
            f"{t.where(e.end_step)} and sets the LR to {value:.6g} instead of "
            f"final_lr {m.final_lr:g}",
            f"put end_epoch on the step grid (a multiple of 1/{t.spe} epoch)",
        )
