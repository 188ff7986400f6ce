"""Pruning still runs when quantization-aware training starts, or fine-tuning is short.

Masks that keep changing under fake quantization make QAT calibrate on a moving
model; and a model needs time to recover after its last pruning step before QAT
(the 90-epoch rule fine-tunes for 2/3 of the pruning window). Warns when pruning
ends after QAT starts, or when the fine-tuning after the last pruning step is
shorter than a quarter of the pruning window (FINE_TUNE_FRACTION = 0.25): 7.5
epochs after 30 epochs of pruning.

Passes: pruning 0 to 30, QAT from 45.
Fails: pruning 0 to 30, QAT from 25; or pruning 0 to 30, QAT from 31.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...modifiers import is_gradual, is_qat
from ...problems import Severity
from ..context import Context
from ._base import Finding

CODE = "RC222"
NAME = "pruning-into-qat"
SEVERITY = Severity.WARNING
NEEDS = ("replay",)
FINE_TUNE_FRACTION = 0.25


def check(ctx: Context) -> Iterator[Finding]:
    t = ctx.replay
    pruning = [e for e in t.events if is_gradual(e.model) and e.start_step is not None]
    if not pruning:
        return
    qat = [e for e in t.events if is_qat(e.model) and e.start_step is not None]
    total = t.clock.total
    p_start = min(e.model.start for e in pruning)
    last = max(
        pruning, key=lambda e: e.model.end if e.model.end != -1 else float("inf")
    )
    p_end = last.model.end
    if p_end == -1:
        return
    stop = min((e.model.start for e in qat), default=total / t.spe)
    if qat and p_end > stop:
        q = min(qat, key=lambda e: e.model.start)
        yield Finding(
            last.entry.line,
            last.entry.column,
            f"pruning runs until epoch {p_end:g}, but QAT (line {q.entry.line}) "
            f"starts at epoch {stop:g}: masks still change under fake quantization",
            "start QAT after pruning ends, leaving time to fine-tune in between",
        )
        return
    window = p_end - max(p_start, 0.0)
    if window > 0 and stop - p_end < FINE_TUNE_FRACTION * window and qat:
        yield Finding(
            last.entry.line,
            last.entry.column,
            f"only {stop - p_end:g} epochs of fine-tuning between the end of pruning "
            f"(epoch {p_end:g}) and QAT (epoch {stop:g}), less than "
            f"{FINE_TUNE_FRACTION:.0%} of the {window:g}-epoch pruning window",
            "the 90-epoch rule fine-tunes for 2/3 of the pruning window (30 + 20)",
        )
