"""Pruning updates that do not land where update_frequency says.

SparseML schedules the next update at `last actual epoch + update_frequency`, with
floats: a frequency off the step grid drifts further at every update, or skips
updates (0.2 + 0.1 > 0.3). A lag of one step from float rounding is not reported.
The message lists how many updates actually happen and when.

Passes: update_frequency 0.5 at 100 steps per epoch.
Fails: update_frequency 0.333 at 100 steps per epoch.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator

from ...modifiers import is_gradual
from ...problems import Severity
from ...schedule.clock import Clock
from ..context import Context
from ._base import Finding

CODE = "RC226"
NAME = "update-drift"
SEVERITY = Severity.WARNING
NEEDS = ("replay",)


def check(ctx: Context) -> Iterator[Finding]:
    t = ctx.replay
    for e in t.events:
        m = e.model
        if not is_gradual(m) or e.every_step or not e.update_steps:
            continue
        if e.end_step is None or m.start < 0:
            continue
        freq = m.update_frequency
        if freq * t.spe < 1 - 1e-9:
            continue  # shorter than a step: SparseML updates on every step
        steps = e.update_steps
        found = _drift(t.clock, m.start, m.end, freq, tuple(steps))
        if found is None:
            continue
        line, col = e.entry.field_position("update_frequency")
        yield Finding(line, col, found, _advice(freq, t.spe))


@functools.lru_cache(maxsize=256)
def _advice(freq: float, spe: int) -> str:
    """The drift-free frequency nearest the one written (never it): a whole number
    of steps s whose s / spe is exact in binary (spe / gcd(s, spe) a power of
    two), which SparseML's float epochs add up without error."""
    wanted = max(freq * spe, 1.0)
    best = None
    centre = round(wanted)
    for d in range(4 * spe + 1):  # outward from the written number of steps
        near = sorted({centre - d, centre + d}, key=lambda s: (abs(s - wanted), s))
        for s in near:
            part = spe // math.gcd(s, spe) if s >= 1 else 0
            if part and part & (part - 1) == 0 and s / spe != freq:
                best = s
                break
        if best is not None:
            break
    if best is None:
        return "accept the drift, or train with another number of steps an epoch"
    return (
        f"use update_frequency: {best / spe:.15g} ({best:,} step{'s' * (best != 1)} at "
        f"{spe:,} an epoch), the nearest that does not drift, or accept the drift"
    )


@functools.lru_cache(maxsize=512)
def _drift(
    clock: Clock, start: float, end: float, freq: float, actual: tuple[int, ...]
) -> str | None:
    """What is wrong with the updates SparseML makes (`actual`) against the ones on
    paper, or None. Pure: modifiers on one schedule share the answer."""
    spe = clock.steps_per_epoch
    # on paper: start, start + f, start + 2f, ..., then end
    n = math.floor((end - start) / freq + 1e-9)
    nominal = [start + i * freq for i in range(n + 1)]
    if nominal[-1] < end - 1e-9:
        nominal.append(end)
    grid = clock.firsts(x - 1e-9 for x in nominal)
    # two nominal updates on one step (the last one and the end, when the
    # window is not a multiple of the frequency) are one update in SparseML
    grid = [g for i, g in enumerate(grid) if i == 0 or g != grid[i - 1]]
    lags = [k - g for k, g in zip(actual, grid, strict=False) if g is not None]
    worst = max(lags, default=0)
    if len(actual) == len(grid) and worst <= 1:
        return None  # on paper, give or take the one step float rounding costs
    first_late = next(
        (clock.epoch(k) for k, lag in zip(actual, lags, strict=False) if lag > 1),
        None,
    )
    counts = (
        f"{len(actual)} updates"
        if len(actual) == len(grid)
        else f"{len(actual)} updates instead of {len(grid)}"
    )
    return (
        f"update_frequency {freq:g} at {spe} steps per epoch: {counts}, "
        f"drifting up to {worst} steps ({worst / spe:g} epochs) behind "
        f"start_epoch + n x {freq:g}"
        + (f" from epoch {first_late:g}" if first_late is not None else "")
        + ": SparseML adds the frequency to the epoch of the last actual update"
    )
