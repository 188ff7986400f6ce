"""BN freezing or observer disabling that no training step reaches.

SparseML freezes batch-norm statistics and stops the observers at the first step
whose epoch is at or past `freeze_bn_stats_epoch` /
`disable_quantization_observer_epoch`. Past the last step, neither happens: the
statistics and the ranges keep moving to the end and into the export. A value
written as the training length does this, and so does a sum of epochs in
`eval(...)` whose float comes out a hair above the step meant (at 6 steps an
epoch, 3 + 1.6666666666666667 + 0.16666666666666666 is 4.833333333333334, above
step 29's 4.833333333333333).

Passes: QAT from 48, BN freeze at 49, training to 50.
Fails: QAT from 48, BN freeze at 50, training to 50.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...modifiers import is_qat
from ...problems import Severity
from ..context import Context
from ._base import Finding

CODE = "RC230"
NAME = "qat-marker-after-training"
SEVERITY = Severity.WARNING
NEEDS = ("replay",)
WHAT = {
    "freeze_bn_stats_epoch": "batch-norm statistics never freeze",
    "disable_quantization_observer_epoch": "the observers never stop",
}


def check(ctx: Context) -> Iterator[Finding]:
    t = ctx.replay
    last = t.clock.total - 1
    for e in t.events:
        m = e.model
        if not is_qat(m) or t.clock.start_step(m.start) is None or last < 0:
            continue
        for name, what in WHAT.items():
            value = getattr(m, name)
            if value is None or t.clock.first_at_or_after(float(value)) is not None:
                continue
            line, col = e.entry.field_position(name)
            yield Finding(
                line,
                col,
                f"{name} {float(value)!r} is past the last training step (step "
                f"{last}, at epoch {t.clock.epoch(last)!r}): {what} in training",
                "put it a step or more inside the training length; where a sum in "
                "eval(...) lands a hair above a step, write its terms a little lower",
            )
