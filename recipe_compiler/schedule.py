"""What SparseML 1.8 will do at every optimizer step, computed without a model.

The step clock is SparseML's (`RecipeManagerStepWrapper`): step k runs at epoch
`k // spe + (k % spe) / spe`, and a modifier acts at the first step whose float
epoch passes its comparison. Update timing replays `ScheduledUpdateModifier`
exactly, drift included: the next update is due at `last actual epoch + frequency`.
Values use SparseML's formulas (`utils/helpers.py: interpolate`,
`LearningRateFunctionModifier._linear/_cosine/_cyclic_linear`, torch's chainable
StepLR and MultiStepLR). Everything is numpy over the step axis, except the few
update points, which are computed with Python floats as SparseML computes them.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .modifiers import Modifier
from .modifiers.pruning import GRADUAL
from .modifiers.quantization import _QAT
from .modifiers.training import (
    EpochRangeModifier,
    LearningRateFunctionModifier,
    LearningRateModifier,
    SetLearningRateModifier,
    SetWeightDecayModifier,
)
from .recipe import Entry, Recipe

EPS = 2.220446049250313e-16  # sys.float_info.epsilon, as SparseML compares


class ScheduleError(ValueError):
    """The schedule cannot be planned (for example, no training length)."""


@dataclasses.dataclass
class ModifierPlan:
    """One modifier on the step axis."""

    index: int  # file order
    entry: Entry
    model: Modifier
    start_step: int | None  # first step it acts; None: never within training
    end_step: int | None  # the step its end update runs; None: never ends in training
    update_steps: np.ndarray | None = None  # steps where it updates (None: n/a)
    sparsity: np.ndarray | None = None  # target after each update (pruning)
    crash: str | None = None  # what SparseML raises when it reaches this modifier
    crash_step: int | None = None  # the step where it raises

    @property
    def type(self) -> str:
        return self.entry.tag


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
    modifiers: list[ModifierPlan]
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


def step_epochs(total_steps: int, spe: int) -> np.ndarray:
    """SparseML's epoch at each step: `steps // spe + (steps % spe) / spe`."""
    k = np.arange(total_steps, dtype=np.int64)
    return (k // spe).astype(np.float64) + (k % spe).astype(np.float64) / float(spe)


def _first_at_or_after(epochs: np.ndarray, x: float) -> int | None:
    i = int(np.searchsorted(epochs, x, side="left"))
    return i if i < len(epochs) else None


def _start_step(epochs: np.ndarray, start: float) -> int | None:
    """`start_pending`: epoch >= start >= 0, or start == -1 (from step 0)."""
    if start == -1.0:
        return 0 if len(epochs) else None
    if start < 0:
        return None  # SparseML never starts a modifier with start in (-1, 0)
    return _first_at_or_after(epochs, start)


def _end_step(epochs: np.ndarray, end: float) -> int | None:
    """`end_pending`: epoch >= end >= 0."""
    if end < 0:
        return None
    return _first_at_or_after(epochs, end)


def update_points(
    epochs: np.ndarray, start: float, end: float, frequency: float
) -> tuple[np.ndarray, int | None, int | None]:
    """Steps where a `ScheduledUpdateModifier` updates, with SparseML's drift.

    Returns (update steps, start step, end step).
    """
    k0 = _start_step(epochs, start)
    if k0 is None:
        return np.zeros(0, dtype=np.int64), None, None
    k_end = _end_step(epochs, end)
    if k_end is not None and k_end < k0:
        k_end = k0  # started and ended in one update
    stop = len(epochs) if k_end is None else k_end + 1
    if frequency in (-1.0, 0.0) or frequency < 0:
        return np.arange(k0, stop, dtype=np.int64), k0, k_end
    steps = [k0]
    last = float(epochs[k0])
    k = k0
    while True:
        if k_end is not None and k >= k_end:
            break
        nxt = _first_at_or_after(epochs, last + frequency)
        if nxt is not None and nxt <= k:
            nxt = k + 1
        if k_end is not None and (nxt is None or nxt > k_end):
            nxt = k_end
        if nxt is None or nxt >= stop:
            break
        steps.append(nxt)
        last = float(epochs[nxt])
        k = nxt
    return np.asarray(steps, dtype=np.int64), k0, k_end


def interpolate(x: float, x0: float, x1: float, y0: float, y1: float, func: str) -> Any:
    """`sparseml.utils.interpolate`, operation for operation (raises as it does)."""
    x_per = (x - x0) / (x1 - x0)
    if func == "linear":
        y_per = x_per
    elif func == "cubic":
        y_per = 1 - (1 - x_per) ** 3
    else:
        y_per = 1 - (1 - x_per) ** (1 / 3)
    if y_per <= 0.0 + EPS:  # complex results raise TypeError here, as in SparseML
        return y0
    if y_per >= 1.0 - EPS:
        return y1
    return y_per * (y1 - y0) + y0


def _sort_key_cmp(a: tuple[int, Modifier], b: tuple[int, Modifier]) -> int:
    """`BaseModifier.comparator`: end (-1 last), then start, then identifier.

    SparseML's identifier starts with the class name and then hashes the fields;
    ties between two modifiers of the same class with the same window are put in
    file order here (see docs/schedule.md).
    """
    (ia, ma), (ib, mb) = a, b
    ea, eb = ma.end, mb.end
    if ea != eb:
        if eb == -1:
            return -1
        if ea == -1:
            return 1
        return -1 if ea < eb else 1
    if ma.start != mb.start:
        return 1 if ma.start > mb.start else -1
    na, nb = _class_name(ma), _class_name(mb)
    if na != nb:
        return -1 if na < nb else 1
    return -1 if ia < ib else (1 if ia > ib else 0)


def _class_name(m: Modifier) -> str:
    return "QuantizationModifier" if isinstance(m, _QAT) else type(m).__name__


def plan(
    recipe: Recipe,
    steps_per_epoch: int,
    *,
    epochs: float | None = None,
    param_groups: int = 1,
    base_lr: float | None = None,
    grad_accum: int = 1,
) -> Timeline:
    """Plan every optimizer step of `recipe` at `steps_per_epoch`.

    `epochs` overrides the training length (default: SparseML's `max_epochs`);
    `base_lr` is the optimizer's LR before any modifier sets one (default: unknown,
    NaN); `grad_accum` batches make one optimizer step.
    """
    if steps_per_epoch < 1:
        raise ScheduleError("steps_per_epoch must be at least 1")
    if not recipe.ok:
        raise ScheduleError("the recipe has errors; run `recipe lint` first")
    max_epochs = recipe.max_epochs
    length = max_epochs if epochs is None else epochs
    if length is None or length <= 0:
        raise ScheduleError(
            "the recipe sets no training length (no modifier ends or starts after "
            "epoch 0); give one with --epochs"
        )
    total = round(length * steps_per_epoch)
    ep = step_epochs(total, steps_per_epoch)
    models = [(e.index, e, e.model) for e in recipe.modifiers if e.model is not None]
    order = [
        i
        for i, _ in sorted(
            ((i, m) for i, _, m in models), key=functools.cmp_to_key(_sort_key_cmp)
        )
    ]
    plans: dict[int, ModifierPlan] = {}
    for index, entry, m in models:
        plans[index] = _plan_one(index, entry, m, ep)
    lr, source = _learning_rates(
        ep, steps_per_epoch, plans, order, param_groups, base_lr
    )
    wd = np.full(total, np.nan)
    for i in order:
        p = plans[i]
        if isinstance(p.model, SetWeightDecayModifier) and p.start_step is not None:
            wd[p.start_step :] = p.model.weight_decay
    sparsity = {}
    for i, p in plans.items():
        if p.sparsity is not None and p.update_steps is not None:
            sparsity[i] = _hold(total, p.update_steps, p.sparsity)
    timeline = Timeline(
        max_epochs=max_epochs,
        steps_per_epoch=steps_per_epoch,
        total_steps=total,
        epochs=ep,
        modifiers=[plans[i] for i, _, _ in models],
        lr=lr,
        lr_source=source,
        weight_decay=wd,
        sparsity=sparsity,
        phases=[],
        order=order,
        grad_accum=grad_accum,
    )
    timeline.phases = phases(timeline)
    return timeline


def _hold(total: int, steps: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A step function: each value holds from its update step on; NaN before."""
    out = np.full(total, np.nan)
    if len(steps) == 0:
        return out
    idx = np.searchsorted(steps, np.arange(total), side="right") - 1
    valid = idx >= 0
    out[valid] = values[idx[valid]]
    return out


def _plan_one(index: int, entry: Entry, m: Modifier, ep: np.ndarray) -> ModifierPlan:
    start, end = m.start, m.end
    if isinstance(m, GRADUAL):
        steps, k0, k_end = update_points(ep, start, end, m.update_frequency)
        p = ModifierPlan(index, entry, m, k0, k_end, steps)
        init = m.init_sparsity if isinstance(m.init_sparsity, float) else 0.0
        final = m.final_sparsity
        if isinstance(final, dict):
            final = next(iter(final))
        elif isinstance(final, list):
            final = final[0]
        values = []
        for k in steps:
            try:
                v = interpolate(float(ep[k]), start, end, init, final, m.inter_func)
                values.append(float(v))
            except ZeroDivisionError:
                p.crash = "ZeroDivisionError: float division by zero"
                p.crash_step = int(k)
                break
            except TypeError:
                p.crash_step = int(k)
                p.crash = (
                    "TypeError: '<=' not supported between instances of 'complex' "
                    "and 'float' (inverse_cubic past end_epoch)"
                )
                break
        p.update_steps = steps[: len(values)]
        p.sparsity = np.asarray(values, dtype=np.float64)
        return p
    if isinstance(m, LearningRateFunctionModifier | LearningRateModifier):
        # update_frequency is forced to -1: the LR is set on every step
        steps, k0, k_end = update_points(ep, start, end, -1.0)
        return ModifierPlan(index, entry, m, k0, k_end, steps)
    k0 = _start_step(ep, start)
    k_end = _end_step(ep, end) if end >= 0 else None
    if k0 is not None and k_end is not None and k_end < k0:
        k_end = k0
    freq = getattr(m, "update_frequency", None)
    if freq is not None and not isinstance(m, EpochRangeModifier):
        steps, k0, k_end = update_points(ep, start, end, float(freq))
        return ModifierPlan(index, entry, m, k0, k_end, steps)
    steps = np.asarray([k0] if k0 is not None else [], dtype=np.int64)
    return ModifierPlan(index, entry, m, k0, k_end, steps)


# -- learning rate -----------------------------------------------------------------


def _lrf_values(
    m: LearningRateFunctionModifier, ep: np.ndarray, spe: int
) -> tuple[np.ndarray, int | None]:
    """`LearningRateFunctionModifier._linear/_cosine/_cyclic_linear`, vectorised.

    Returns the values and the position of the first update that raises
    ZeroDivisionError in SparseML (None when none does).
    """
    init, final = m.init_lr, m.final_lr
    if m.lr_func == "cyclic_linear":
        end_step = m.end_epoch * spe
        start_step = m.start_epoch * spe
        cycle = m.cycle_epochs * spe
        if cycle == 0:
            return np.full(len(ep), np.nan), 0
        cur = (ep - m.start_epoch) * spe
        limit = int((end_step - start_step) / cycle) * cycle
        cyc = np.where(cur > limit, (end_step - start_step) % cycle, cycle)
        bad = np.flatnonzero((cyc == 0) | (cyc - 1 == 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            adjusted = np.fmod(cur, cyc)
            adjusted = np.where(adjusted < 0, adjusted + cyc, adjusted)  # Python's %
            values = init - (adjusted / (cyc - 1)) * (init - final)
        return values, int(bad[0]) if len(bad) else None
    start = m.start_epoch if m.start_epoch > 0 else 0.0
    end = m.end_epoch
    if end - start == 0:
        return np.full(len(ep), np.nan), 0
    x = (ep - start) / (end - start)
    if m.lr_func == "linear":
        return init + x * (final - init), None
    if final < init:
        y_range, y_shift, x_shift = init - final, final, 0.0
    else:
        y_range, y_shift, x_shift = final - init, init, math.pi
    return np.cos(x * math.pi + x_shift) * y_range / 2 + y_range / 2 + y_shift, None


class _Crash(Exception):
    def __init__(self, step: int, message: str):
        super().__init__(message)
        self.step = step


def _lrm_ops(
    m: LearningRateModifier, ep: np.ndarray, steps: np.ndarray, spe: int
) -> tuple[dict[int, float], dict[int, float]]:
    """Absolute sets and multiplications a torch-scheduler modifier makes, by step.

    Raises _Crash where torch would raise (a StepLR step_size of 0 steps, a
    CosineAnnealingWarmRestarts cycle that is not a positive integer).
    """
    sets: dict[int, float] = {}
    muls: dict[int, float] = {}
    if len(steps) == 0:
        return sets, muls
    sets[int(steps[0])] = m.init_lr  # _check_init_lr, until the scheduler exists
    lr_class = m.lr_class
    kw = dict(m.lr_kwargs)
    if lr_class == "ExponentialLR":
        lr_class, kw["step_size"] = "StepLR", 1.0
    scheduler_steps = 0
    created = False
    last_epoch = 0  # torch scheduler's counter after its initial step
    cos_base = m.init_lr
    for k in steps:
        e = float(ep[k])
        if not created:
            sets[int(k)] = m.init_lr
        if e <= EPS:
            scheduler_steps -= 1
            continue
        if abs(m.end_epoch - e) <= EPS and m.end_epoch >= 0.0:
            continue
        if not created:
            created = True
            scheduler_steps += round(e * spe)
            cos_base = m.init_lr
            if lr_class == "CosineAnnealingWarmRestarts":
                t0 = kw["cycle_epochs"]
                if not isinstance(t0, int) or isinstance(t0, bool) or t0 <= 0:
                    raise _Crash(
                        int(k),
                        "ValueError: Expected positive integer T_0, "
                        f"but got {t0} (cycle_epochs)",
                    )

        if lr_class == "CosineAnnealingWarmRestarts":
            t = e - m.start_epoch if m.start_epoch >= 0.0 else 0.0
            t0 = kw["cycle_epochs"]
            eta = kw["lr_min"]
            t_cur = t % t0 if t >= t0 else t
            sets[int(k)] = (
                eta + (cos_base - eta) * (1 + math.cos(math.pi * t_cur / t0)) / 2
            )
            continue
        if m.end_epoch < 0.0 or e <= m.end_epoch:
            global_step = round(e * spe)
        else:
            global_step = round(m.end_epoch * spe)
        diff = global_step - scheduler_steps
        if diff > 0 and lr_class == "StepLR" and round(kw["step_size"] * spe) == 0:
            raise _Crash(
                int(k),
                "ZeroDivisionError: integer modulo by zero "
                f"(step_size {kw['step_size']} epochs is 0 steps)",
            )
        if diff > 0:
            factor = 1.0
            for _ in range(diff):
                last_epoch += 1
                factor = _torch_step(lr_class, kw, last_epoch, spe, m, factor)
            if factor != 1.0:
                muls[int(k)] = factor
            scheduler_steps = global_step
    return sets, muls


def _torch_step(
    lr_class: str,
    kw: dict[str, Any],
    last_epoch: int,
    spe: int,
    m: LearningRateModifier,
    factor: float,
) -> float:
    """One `scheduler.step()` of torch's chainable StepLR / MultiStepLR."""
    gamma = kw["gamma"]
    if lr_class == "StepLR":
        size = round(kw["step_size"] * spe)
        if last_epoch != 0 and last_epoch % size == 0:
            return factor * gamma
        return factor
    milestones = [round((mile - m.start_epoch) * spe) for mile in kw["milestones"]]
    count = milestones.count(last_epoch)
    if count:
        return factor * gamma**count
    return factor


def _learning_rates(
    ep: np.ndarray,
    spe: int,
    plans: dict[int, ModifierPlan],
    order: list[int],
    groups: int,
    base_lr: float | None,
) -> tuple[np.ndarray, np.ndarray]:
    """LR per param group and step, and which modifier set it; marks crashes."""
    total = len(ep)
    lr = np.full((groups, total), np.nan if base_lr is None else base_lr)
    src = np.full((groups, total), -1, dtype=np.int64)
    for g in range(groups):
        setv = np.full(total, np.nan)
        has = np.zeros(total, dtype=bool)
        fac = np.ones(total)
        who = np.full(total, -1, dtype=np.int64)
        for i in order:
            p = plans[i]
            m = p.model
            groups_of = getattr(m, "param_groups", None)
            if groups_of and g not in groups_of:
                continue
            if isinstance(m, SetLearningRateModifier) and p.start_step is not None:
                k = p.start_step
                setv[k], has[k], fac[k], who[k] = m.learning_rate, True, 1.0, i
            elif (
                isinstance(m, LearningRateFunctionModifier)
                and p.update_steps is not None
            ):
                steps = p.update_steps
                with np.errstate(divide="ignore", invalid="ignore"):
                    values, bad = _lrf_values(m, ep[steps], spe)
                if bad is not None:
                    p.crash = "ZeroDivisionError: float division by zero"
                    p.crash_step = int(steps[bad])
                    steps, values = steps[:bad], values[:bad]
                setv[steps], has[steps], fac[steps], who[steps] = values, True, 1.0, i
            elif isinstance(m, LearningRateModifier) and p.update_steps is not None:
                try:
                    sets, muls = _lrm_ops(m, ep, p.update_steps, spe)
                except _Crash as crash:
                    p.crash, p.crash_step = str(crash), crash.step
                    sets, muls = {p.update_steps[0]: m.init_lr}, {}
                for k, v in sets.items():
                    setv[k], has[k], fac[k], who[k] = v, True, 1.0, i
                for k, f in muls.items():
                    fac[k] *= f
                    who[k] = i
        _compose(lr[g], src[g], setv, has, fac, who)
    return lr, src


def _compose(
    lr: np.ndarray,
    src: np.ndarray,
    setv: np.ndarray,
    has: np.ndarray,
    fac: np.ndarray,
    who: np.ndarray,
) -> None:
    """Carry the LR forward: sets replace it, multiplications scale what is there."""
    total = len(lr)
    set_steps = np.flatnonzero(has)
    if len(set_steps):
        idx = np.searchsorted(set_steps, np.arange(total), side="right") - 1
        ok = idx >= 0
        carried = set_steps[idx[ok]]
        lr[ok] = setv[carried] * fac[carried]
        src[ok] = who[carried]
    for k in np.flatnonzero((fac != 1.0) & ~has):
        prev = lr[k - 1] if k > 0 else lr[k]
        nxt = np.searchsorted(set_steps, k, side="right")
        stop = set_steps[nxt] if nxt < len(set_steps) else total
        lr[k:stop] = prev * fac[k]
        src[k:stop] = who[k]


# -- phases ------------------------------------------------------------------------


def phases(t: Timeline) -> list[Phase]:
    """Stabilization, pruning, fine-tuning and QAT spans, and the QAT markers."""
    out: list[Phase] = []
    total = t.total_steps
    end_epoch = total / t.steps_per_epoch

    def ph(name: str, a: int, b: int) -> None:
        if b > a:
            out.append(
                Phase(
                    name,
                    float(t.epochs[a]) if a < total else end_epoch,
                    float(t.epochs[b]) if b < total else end_epoch,
                    a,
                    b,
                )
            )

    pruning = [
        p
        for p in t.modifiers
        if isinstance(p.model, GRADUAL) and p.start_step is not None
    ]
    qat = [
        p for p in t.modifiers if isinstance(p.model, _QAT) and p.start_step is not None
    ]
    q0 = min((p.start_step for p in qat if p.start_step is not None), default=total)
    if pruning:
        p0 = min(p.start_step for p in pruning if p.start_step is not None)
        p1 = max((p.end_step if p.end_step is not None else total) for p in pruning)
        ph("stabilization", 0, p0)
        ph("pruning", p0, p1)
        ph("fine-tuning", p1, max(p1, q0))
    if qat:
        ph("qat", q0, total)
        for p in qat:
            m = p.model
            assert isinstance(m, _QAT)
            for name, value in (
                ("bn-freeze", m.freeze_bn_stats_epoch),
                ("observers-off", m.disable_quantization_observer_epoch),
            ):
                if value is None:
                    continue
                k = _first_at_or_after(t.epochs, float(value))
                if k is not None:
                    ph(name, k, total)
    return out


def modifier_rows(t: Timeline) -> Sequence[dict[str, Any]]:
    """The `modifiers` list of the JSON contract, in file order."""
    rows = []
    for p in t.modifiers:
        m = p.model
        params = {
            k: v
            for k, v in m.model_dump(exclude={"log_types"}).items()
            if k in p.entry.fields
        }
        row: dict[str, Any] = {
            "index": p.index,
            "type": p.type,
            "params": params or None,
            "start_epoch": m.start,
            "end_epoch": m.end,
            "start_step": p.start_step,
            "end_step": p.end_step,
        }
        if p.update_steps is not None and not isinstance(m, EpochRangeModifier):
            row["update_steps"] = [int(k) for k in p.update_steps]
        if p.crash:
            row["crash"] = p.crash
        rows.append(row)
    return rows
