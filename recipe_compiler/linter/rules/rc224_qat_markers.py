"""BN freezing or observer disabling at or before QAT starts.

With `freeze_bn_stats_epoch` equal to `start_epoch`, batch-norm statistics freeze
before they adapt to the fake-quantized activations; with
`disable_quantization_observer_epoch` equal to it, the observers never calibrate
their ranges on training data (SparseML refuses values below start_epoch outright;
equal ones load).

Passes: QAT from 50, BN freeze at 52, observers off at 53.
Fails: QAT from 50 with freeze_bn_stats_epoch 50.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...modifiers import is_qat
from ...problems import Severity
from ..context import Context
from ._base import Finding

WHY = {
    "freeze_bn_stats_epoch": (
        "batch-norm statistics freeze at the very step QAT starts: they never "
        "adapt to the fake-quantized activations and stay as the dense model "
        "left them",
        "freeze BN statistics a few epochs into QAT, e.g. 2 epochs after start_epoch",
    ),
    "disable_quantization_observer_epoch": (
        "the observers stop at the very step QAT starts: they never calibrate "
        "their ranges on training data",
        "let the observers run a few epochs, e.g. stop them 3 epochs after "
        "start_epoch (and after the BN freeze)",
    ),
}
CODE = "RC224"
NAME = "qat-markers-at-start"
SEVERITY = Severity.WARNING
NEEDS = ("replay",)


def check(ctx: Context) -> Iterator[Finding]:
    t = ctx.replay
    for e in t.events:
        m = e.model
        if not is_qat(m):
            continue
        start = t.clock.start_step(m.start)
        for name in ("freeze_bn_stats_epoch", "disable_quantization_observer_epoch"):
            value = getattr(m, name)
            if value is None or start is None:
                continue
            step = t.clock.first_at_or_after(float(value))
            if step is not None and step <= start:
                line, col = e.entry.field_position(name)
                why, hint = WHY[name]
                yield Finding(
                    line, col, f"{name} {value:g} acts at {t.where(step)}: {why}", hint
                )
