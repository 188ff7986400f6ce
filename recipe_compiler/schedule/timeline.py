"""The planned schedule: per-step arrays on top of `clock.Events`.

`plan()` gives a `Timeline`: per modifier its window and update steps (from
`clock`), and per optimizer step the learning rate of each param group, the
weight decay and each pruning modifier's target sparsity, as SparseML 1.8 sets
them. LR values use SparseML's formulas (`LearningRateFunctionModifier`) and torch's
chainable StepLR / MultiStepLR and CosineAnnealingWarmRestarts as SparseML drives
them; modifiers that update at one step apply in SparseML's update order.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..loader.recipe import Recipe
from ..modifiers import (
    is_epoch_range,
    is_gradual,
    is_lr_class,
    is_lr_function,
    is_qat,
    is_set_lr,
    is_weight_decay,
)
from .clock import (
    EPS,
    Clock,
    Events,
    ScheduleError,
    events,
    last_epoch_at,
    qat_marker_steps,
    scheduler_calls,
    scheduler_steps,
    step_epoch,
    training_steps,
    update_order,
)

if TYPE_CHECKING:
    from ..modifiers.training import LearningRateFunctionModifier

MAX_PLAN_STEPS = 20_000_000  # 300 COCO epochs at batch 16 are 2.2 million
__all__ = ["Phase", "ScheduleError", "Timeline", "modifier_rows", "plan"]


@dataclasses.dataclass
class Phase:
    name: str  # stabilization | pruning | fine-tuning | qat | bn-freeze | observers-off
    start_epoch: float
    end_epoch: float
    start_step: int
    end_step: int


@dataclasses.dataclass
class Timeline:
    """The planned schedule; arrays run over optimizer steps 0..total_steps-1."""

    max_epochs: float
    steps_per_epoch: int
    total_steps: int
    epochs: np.ndarray  # the float epoch SparseML sees at each step
    modifiers: list[Events]  # file order
    lr: np.ndarray  # (param groups, steps); NaN where no modifier has set it yet
    lr_source: np.ndarray  # (param groups, steps): file index of the setting modifier
    weight_decay: np.ndarray  # (steps,); NaN until a SetWeightDecayModifier acts
    sparsity: dict[int, np.ndarray]  # file index -> target in effect after each step
    phases: list[Phase]
    order: list[int]  # file indexes in SparseML's update order
    grad_accum: int = 1

    def batch_of_step(self, step: int) -> int:
        """The first data batch of an optimizer step under gradient accumulation."""
        return step * self.grad_accum

    @property
    def crashes(self) -> list[Events]:
        return sorted(
            (e for e in self.modifiers if e.crash), key=lambda e: e.crash_step or 0
        )


def step_epochs(total_steps: int, spe: int) -> np.ndarray:
    """SparseML's epoch at each step (`clock.step_epoch`, vectorised)."""
    epochs: np.ndarray = step_epoch(np.arange(total_steps, dtype=np.int64), spe)
    return epochs.astype(np.float64)


def plan(
    recipe: Recipe,
    steps_per_epoch: int,
    *,
    epochs: float | None = None,
    param_groups: int = 1,
    base_lr: float | None = None,
    grad_accum: int = 1,
    partial: bool = False,
) -> Timeline:
    """Plan every optimizer step of `recipe` at `steps_per_epoch`.

    `epochs` overrides the training length (default: SparseML's `max_epochs`);
    `base_lr` is the optimizer's LR before any modifier sets one (default unknown:
    NaN); `grad_accum` batches make one optimizer step; `partial` plans the
    modifiers that loaded of a recipe with errors (what SparseML would refuse).
    """
    total = training_steps(recipe, steps_per_epoch, epochs, partial).total
    if total > MAX_PLAN_STEPS:
        raise ScheduleError(
            f"the plan would hold {total:,} steps ({total / steps_per_epoch:g} "
            f"epochs x {steps_per_epoch} steps/epoch), more than the "
            f"{MAX_PLAN_STEPS:,} a plan holds (some 40 bytes a step): plan fewer "
            "steps per epoch, or a shorter training"
        )
    clock, evs = events(recipe, steps_per_epoch, epochs, partial)
    ep = step_epochs(clock.total, steps_per_epoch)
    by_index = {e.index: e for e in evs}
    order = update_order(recipe)
    lr, source = _learning_rates(clock, ep, by_index, order, param_groups, base_lr)
    wd = np.full(clock.total, np.nan)
    for i in order:
        e = by_index[i]
        if is_weight_decay(e.model) and e.start_step is not None:
            wd[e.start_step :] = e.model.weight_decay
    sparsity = {
        e.index: _hold(clock.total, _steps(e.update_steps), np.asarray(e.sparsity))
        for e in evs
        if e.sparsity is not None
    }
    t = Timeline(
        max_epochs=recipe.max_epochs,
        steps_per_epoch=steps_per_epoch,
        total_steps=clock.total,
        epochs=ep,
        modifiers=evs,
        lr=lr,
        lr_source=source,
        weight_decay=wd,
        sparsity=sparsity,
        phases=[],
        order=order,
        grad_accum=grad_accum,
    )
    t.phases = phases(t, clock)
    return t


def _steps(steps: Sequence[int]) -> np.ndarray:
    if isinstance(steps, range):
        return np.arange(steps.start, steps.stop, dtype=np.int64)
    return np.asarray(steps, dtype=np.int64)


def _hold(total: int, steps: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A step function: each value holds from its update step on; NaN before."""
    out = np.full(total, np.nan)
    if len(steps):
        idx = np.searchsorted(steps, np.arange(total), side="right") - 1
        ok = idx >= 0
        out[ok] = values[idx[ok]]
    return out


# -- learning rate -----------------------------------------------------------------


def _lrf_values(
    m: LearningRateFunctionModifier, ep: np.ndarray, spe: int
) -> np.ndarray:
    """`LearningRateFunctionModifier._linear/_cosine/_cyclic_linear`, vectorised."""
    init, final = m.init_lr, m.final_lr
    if m.lr_func == "cyclic_linear":
        end_step = m.end_epoch * spe
        start_step = m.start_epoch * spe
        cycle = m.cycle_epochs * spe
        cur = (ep - m.start_epoch) * spe
        limit = int((end_step - start_step) / cycle) * cycle
        cyc = np.where(cur > limit, (end_step - start_step) % cycle, cycle)
        adjusted = np.mod(cur, cyc)  # Python's % for floats
        return init - (adjusted / (cyc - 1)) * (init - final)
    start = m.start_epoch if m.start_epoch > 0 else 0.0
    x = (ep - start) / (m.end_epoch - start)
    if m.lr_func == "linear":
        return init + x * (final - init)
    if final < init:
        y_range, y_shift, x_shift = init - final, final, 0.0
    else:
        y_range, y_shift, x_shift = final - init, init, math.pi
    return np.cos(x * math.pi + x_shift) * y_range / 2 + y_range / 2 + y_shift


@dataclasses.dataclass
class _Ops:
    """What LR modifiers do at each step, applied in update order."""

    setv: np.ndarray
    has: np.ndarray
    fac: np.ndarray
    who: np.ndarray

    def set(self, steps: Any, values: Any, i: int) -> None:
        self.setv[steps], self.has[steps], self.fac[steps], self.who[steps] = (
            values,
            True,
            1.0,
            i,
        )

    def mul(self, steps: Any, factors: Any, i: int) -> None:
        self.fac[steps] *= factors
        self.who[steps] = i


def _lrm_ops(ops: _Ops, e: Events, clock: Clock, ep: np.ndarray, i: int) -> None:
    """A torch-scheduler LearningRateModifier: `init_lr`, then the scheduler."""
    m = e.model
    assert is_lr_class(m)
    s = scheduler_steps(m, e, clock)
    stop = clock.total if e.crash_step is None else e.crash_step
    ops.set([k for k in s.set_steps if k < stop], m.init_lr, i)
    if s.created is None or s.created >= stop:
        return
    end = clock.total if e.end_step is None else e.end_step
    if m.lr_class == "CosineAnnealingWarmRestarts":
        t0, eta = m.lr_kwargs["cycle_epochs"], m.lr_kwargs["lr_min"]
        last = end
        if e.end_step is not None and not abs(m.end_epoch - ep[e.end_step]) <= EPS:
            last = end + 1  # the end update still steps the scheduler
        steps = np.arange(s.created, min(last, stop))
        t = ep[steps] - m.start_epoch if m.start_epoch >= 0.0 else np.zeros(len(steps))
        t_cur = np.where(t >= t0, np.mod(t, t0), t)
        ops.set(
            steps, eta + (m.init_lr - eta) * (1 + np.cos(math.pi * t_cur / t0)) / 2, i
        )
        return
    spe = clock.steps_per_epoch
    kw = m.lr_kwargs
    gamma = kw["gamma"]
    calls = scheduler_calls(s, e, clock)
    if not calls:
        return
    lo = calls[0][1]  # last_epoch after the first scheduler.step()
    if e.end_step is not None and e.end_step < stop:
        hi = last_epoch_at(s, e, clock, e.end_step)
    else:
        hi = last_epoch_at(s, e, clock, stop - 1)
    if m.lr_class == "MultiStepLR":
        counts: dict[int, int] = {}
        for mile in kw["milestones"]:
            n = round((mile - m.start_epoch) * spe)
            counts[n] = counts.get(n, 0) + 1
        decays = {n: gamma**c for n, c in counts.items() if lo <= n <= hi}
    else:
        size = round((1.0 if m.lr_class == "ExponentialLR" else kw["step_size"]) * spe)
        if size == 0:
            return  # its first scheduler call raises (e.crash_step)
        first = max(size, (lo + size - 1) // size * size)
        decays = dict.fromkeys(range(first, hi + 1, size), gamma)
    for n, factor in decays.items():
        k = _step_of_last_epoch(s, e, n)
        if k is not None and k < stop:
            ops.mul(k, factor, i)


def _step_of_last_epoch(s: Any, e: Events, n: int) -> int | None:
    """The step whose scheduler call brings last_epoch to n (one call a step)."""
    if n <= 0 or (n == s.first_last_epoch and s.first_last_epoch == 0):
        return None
    return int(s.created + (n - s.first_last_epoch))


def _learning_rates(
    clock: Clock,
    ep: np.ndarray,
    evs: dict[int, Events],
    order: list[int],
    groups: int,
    base_lr: float | None,
) -> tuple[np.ndarray, np.ndarray]:
    """LR per param group and step, and which modifier set it."""
    total = clock.total
    lr = np.full((groups, total), np.nan if base_lr is None else base_lr)
    src = np.full((groups, total), -1, dtype=np.int64)
    for g in range(groups):
        ops = _Ops(
            np.full(total, np.nan),
            np.zeros(total, dtype=bool),
            np.ones(total),
            np.full(total, -1, dtype=np.int64),
        )
        for i in order:
            e = evs[i]
            m = e.model
            targets = getattr(m, "param_groups", None)
            if targets and g not in targets:
                continue
            if is_set_lr(m) and e.start_step is not None:
                ops.set(e.start_step, m.learning_rate, i)
            elif is_lr_function(m) and e.update_steps:
                steps = _steps(e.update_steps)
                if e.crash_step is not None:
                    steps = steps[steps < e.crash_step]
                ops.set(steps, _lrf_values(m, ep[steps], clock.steps_per_epoch), i)
            elif is_lr_class(m) and e.update_steps:
                _lrm_ops(ops, e, clock, ep, i)
        _compose(lr[g], src[g], ops)
    return lr, src


def _compose(lr: np.ndarray, src: np.ndarray, ops: _Ops) -> None:
    """Carry the LR forward: sets replace it, multiplications scale what is there."""
    total = len(lr)
    set_steps = np.flatnonzero(ops.has)
    if len(set_steps):
        idx = np.searchsorted(set_steps, np.arange(total), side="right") - 1
        ok = idx >= 0
        carried = set_steps[idx[ok]]
        lr[ok] = ops.setv[carried] * ops.fac[carried]
        src[ok] = ops.who[carried]
    for k in np.flatnonzero((ops.fac != 1.0) & ~ops.has):
        prev = lr[k - 1] if k > 0 else lr[k]
        nxt = np.searchsorted(set_steps, k, side="right")
        stop = set_steps[nxt] if nxt < len(set_steps) else total
        lr[k:stop] = prev * ops.fac[k]
        src[k:stop] = ops.who[k]


# -- phases ------------------------------------------------------------------------


def phases(t: Timeline, clock: Clock) -> list[Phase]:
    """Stabilization, pruning, fine-tuning and QAT spans, and the QAT markers.

    A boundary a modifier sets carries the epoch written in the recipe (what the
    modifier windows show), not the clock's epoch at that step: `166.6665` for the
    step whose epoch is 166.66684..., so a plan's phases and windows agree."""
    out: list[Phase] = []
    total = t.total_steps
    written: dict[int, float] = {}

    def epoch(k: int) -> float:
        if k in written:
            return written[k]
        return clock.epoch(k) if k < total else total / t.steps_per_epoch

    def add(name: str, a: int, b: int) -> None:
        if b > a:
            out.append(Phase(name, epoch(a), epoch(b), a, b))

    pruning = [
        e for e in t.modifiers if is_gradual(e.model) and e.start_step is not None
    ]
    qat = [e for e in t.modifiers if is_qat(e.model)]
    markers = [qat_marker_steps(e.model, clock) for e in qat]  # type: ignore[arg-type]
    for e in pruning:
        for k, x in ((e.start_step, e.model.start), (e.end_step, e.model.end)):
            if k is not None and x >= 0:
                written.setdefault(k, float(x))
    for e, mk in zip(qat, markers, strict=True):
        m = e.model
        marks: tuple[tuple[str, float | None], ...] = (
            ("qat", m.start),
            ("bn-freeze", getattr(m, "freeze_bn_stats_epoch", None)),
            ("observers-off", getattr(m, "disable_quantization_observer_epoch", None)),
        )
        for name, mark in marks:
            k = mk[name]
            if k is not None and mark is not None and mark >= 0:
                written.setdefault(k, float(mark))
    q0 = min((mk["qat"] for mk in markers if mk["qat"] is not None), default=total)
    if pruning:
        p0 = min(e.start_step for e in pruning if e.start_step is not None)
        p1 = max(e.end_step if e.end_step is not None else total for e in pruning)
        add("stabilization", 0, p0)
        add("pruning", p0, p1)
        add("fine-tuning", p1, max(p1, q0))
    if q0 < total:
        add("qat", q0, total)
        for mk in markers:
            for name in ("bn-freeze", "observers-off"):
                k = mk[name]
                if k is not None:
                    add(name, k, total)
    return out


def modifier_rows(t: Timeline) -> list[dict[str, Any]]:
    """The `modifiers` list of the JSON contract, in file order."""
    rows = []
    for e in t.modifiers:
        m = e.model
        params = {
            k: v
            for k, v in m.model_dump(exclude={"log_types"}).items()
            if k in e.entry.fields
        }
        row: dict[str, Any] = {
            "index": e.index,
            "type": e.type,
            "params": params or None,
            "start_epoch": m.start,
            "end_epoch": m.end,
            "start_step": e.start_step,
            "end_step": e.end_step,
        }
        if not is_epoch_range(m):
            row["update_steps"] = [int(k) for k in e.update_steps]
        if e.crash:
            row["crash"] = {"step": e.crash_step, "error": e.crash}
        rows.append(row)
    return rows
