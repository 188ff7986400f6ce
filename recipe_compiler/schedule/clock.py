"""SparseML's step clock and the events of each modifier, in plain Python.

Step k runs at epoch `k // spe + (k % spe) / spe` (`RecipeManagerStepWrapper`); a
modifier acts at the first step whose float epoch passes its comparison; updates
of a `ScheduledUpdateModifier` come due at `last actual epoch + update_frequency`
(so they drift when the frequency is off the step grid). This module finds, per
modifier, the steps where it starts, updates and ends, the sparsity targets at its
updates and where SparseML would raise, with binary searches on the clock rather
than arrays, so that `recipe lint` gets the events without importing numpy.
`timeline.py` builds the per-step arrays on top of these events.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..loader.recipe import Entry, Recipe
from ..modifiers import (
    Modifier,
    is_epoch_range,
    is_gradual,
    is_lr_class,
    is_lr_function,
    is_qat,
)
from ..modifiers.base import NAN_TO_INT
from ..modifiers.gradual import nm_sparsity

if TYPE_CHECKING:
    from ..modifiers.quantization import QAT
    from ..modifiers.training import LearningRateModifier

DEFAULT_STEPS_PER_EPOCH = 100  # what lint and preview replay without --steps-per-epoch
MAX_UPDATES = 10_000_000  # pruning updates one modifier may have in a replay
EPS = 2.220446049250313e-16  # sys.float_info.epsilon, as SparseML compares


class ScheduleError(ValueError):
    """The schedule cannot be planned (for example, no training length)."""


class TooLong(ScheduleError):
    """More updates than recipe-compiler replays (MAX_UPDATES): a recipe's cost is
    bounded, as its size and its expressions are."""

    def __init__(self, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.line, self.column = line, column


class NoTrainingLength(ScheduleError):
    """Nothing in the recipe gives a length: `plan --epochs` can."""


def step_epoch(step: Any, spe: int) -> Any:
    """The float epoch SparseML's clock holds at optimizer `step` (an int or a numpy
    array of them): `step // spe + (step % spe) / spe`, which is not always
    `step / spe` in floats (SPARSEML_SEMANTICS c.0)."""
    return step // spe + (step % spe) / spe


def first_step(x: float, lo: int, spe: int, total: int) -> int | None:
    """The first step in lo..total-1 whose epoch (`step_epoch`) is >= x, or None.

    A step's epoch is within an ulp of step / spe, so the answer is next to
    ceil(x * spe): start there and walk the step or two to it (a binary search per
    pruning update made long schedules slow to replay). The epoch arithmetic is
    written out: a replay asks this once an update, thousands of times."""
    if x != x or lo >= total:
        return None  # NaN: no epoch is >= it
    if lo // spe + (lo % spe) / spe >= x:
        return lo
    guess = x * spe
    j = max(lo, math.ceil(guess)) if guess < total else total
    while j > lo and (j - 1) // spe + ((j - 1) % spe) / spe >= x:
        j -= 1
    while j < total and j // spe + (j % spe) / spe < x:
        j += 1
    return j if j < total else None


@dataclasses.dataclass(frozen=True)
class Clock:
    """The epochs SparseML sees at optimizer steps 0..total-1."""

    steps_per_epoch: int
    total: int

    def epoch(self, k: int) -> float:
        return float(step_epoch(k, self.steps_per_epoch))

    def first_at_or_after(self, x: float, lo: int = 0) -> int | None:
        """The first step (from `lo`) whose epoch is >= x, or None."""
        return first_step(x, lo, self.steps_per_epoch, self.total)

    def firsts(self, xs: Iterable[float]) -> list[int | None]:
        """`first_at_or_after(x)` of each x (a drift check asks it of every
        update on paper)."""
        spe, total = self.steps_per_epoch, self.total
        return [first_step(x, 0, spe, total) for x in xs]

    def start_step(self, start: float) -> int | None:
        """`start_pending`: epoch >= start >= 0, or start == -1 (from step 0)."""
        if start == -1.0:
            return 0 if self.total else None
        if start < 0:
            return None  # SparseML never starts a modifier with start in (-1, 0)
        return self.first_at_or_after(start)

    def end_step(self, end: float) -> int | None:
        """`end_pending`: epoch >= end >= 0."""
        return None if end < 0 else self.first_at_or_after(end)


@dataclasses.dataclass
class Events:
    """One modifier on the step axis."""

    index: int  # file order
    entry: Entry
    model: Modifier
    start_step: int | None  # first step it acts; None: not within training
    end_step: int | None  # the step its end update runs; None: not within training
    # steps where it updates; a range when it updates on every step
    update_steps: Sequence[int] = ()
    sparsity: list[float] | None = None  # pruning target after each update
    crash: str | None = None  # what SparseML raises when it reaches this modifier
    crash_step: int | None = None

    @property
    def type(self) -> str:
        return self.entry.tag

    @property
    def every_step(self) -> bool:
        return isinstance(self.update_steps, range)


def acts(ev: Events, clock: Clock) -> str | None:
    """None where SparseML runs this modifier's step code within training, else
    why it never does (at these steps per epoch)."""
    if ev.start_step is None:
        return f"its start_epoch {ev.model.start:g} lands on no step of the training"
    if ev.model.ACTS_INSIDE_WINDOW:
        stop = clock.total if ev.end_step is None else ev.end_step
        if ev.start_step + 1 >= stop:
            return (
                "it acts only at steps after its start step and before its end "
                f"step, and its window holds none (steps {ev.start_step}..{stop})"
            )
    return None


CACHED_UPDATES = 200_000  # a replay up to this long is kept for the next asker


def update_points(
    clock: Clock, start: float, end: float, frequency: float
) -> tuple[Sequence[int], int | None, int | None]:
    """Steps where a `ScheduledUpdateModifier` updates, with SparseML's drift.

    Returns (update steps, start step, end step). A schedule is a pure function of
    these four numbers, so it is computed once and shared: by the 72 modifiers of
    a per-layer recipe that prune on one schedule, by every rule that asks, and by
    the language server's next re-lint of an edit that left it as it was.
    """
    found = _cached_points(clock, start, end, frequency)
    if found is None:
        return _update_points(clock, start, end, frequency)
    return found


@functools.lru_cache(maxsize=512)
def _cached_points(
    clock: Clock, start: float, end: float, frequency: float
) -> tuple[Sequence[int], int | None, int | None] | None:
    """The schedule as a tuple (immutable, so sharing is safe), or None where it is
    too long to keep: its cost is then paid by each asker, as its memory is."""
    k0 = clock.start_step(start)
    every = frequency * clock.steps_per_epoch  # steps between updates
    if k0 is not None and every >= 1 and (clock.total - k0) / every > CACHED_UPDATES:
        return None
    steps, k0, k_end = _update_points(clock, start, end, frequency)
    return (steps if isinstance(steps, range) else tuple(steps)), k0, k_end


def _update_points(
    clock: Clock, start: float, end: float, frequency: float
) -> tuple[Sequence[int], int | None, int | None]:
    k0 = clock.start_step(start)
    if k0 is None:
        return (), None, None
    k_end = clock.end_step(end)
    if k_end is not None and k_end < k0:
        k_end = k0  # started and ended in one update
    stop = clock.total if k_end is None else k_end + 1
    if frequency <= 0:  # -1 and 0 both update on every step
        return range(k0, stop), k0, k_end
    if frequency * clock.steps_per_epoch < 1 - 1e-9:
        return range(k0, stop), k0, k_end  # shorter than a step: due on every step
    steps = [k0]
    last = clock.epoch(k0)
    k = k0
    if (stop - k0) / max(1.0, frequency * clock.steps_per_epoch) > MAX_UPDATES:
        raise TooLong(
            f"updates every {frequency:g} epochs over steps {k0}..{stop}: some "
            f"{(stop - k0) / max(1.0, frequency * clock.steps_per_epoch):,.0f} "
            f"updates, more than the {MAX_UPDATES:,} recipe-compiler replays"
        )
    spe, total = clock.steps_per_epoch, clock.total
    while k_end is None or k < k_end:
        nxt = first_step(last + frequency, k + 1, spe, total)
        if k_end is not None and (nxt is None or nxt > k_end):
            nxt = k_end
        if nxt is None:
            break
        steps.append(nxt)
        last = nxt // spe + (nxt % spe) / spe
        k = nxt
    return steps, k0, k_end


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


def _class_name(m: Modifier) -> str:
    return "QuantizationModifier" if is_qat(m) else type(m).__name__


def _comparator(a: tuple[int, Modifier], b: tuple[int, Modifier]) -> int:
    """`BaseModifier.comparator`: end (-1 last), then start, then identifier.

    SparseML's identifier is the class name then an md5 of the fields; ties between
    two modifiers of one class with one window are put in file order here.
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
    return (ia > ib) - (ia < ib)


def update_order(recipe: Recipe) -> list[int]:
    """File indexes of the valid modifiers in the order SparseML updates them."""
    pairs = [(e.index, e.model) for e in recipe.modifiers if e.model is not None]
    return [i for i, _ in sorted(pairs, key=functools.cmp_to_key(_comparator))]


def training_steps(
    recipe: Recipe, steps_per_epoch: int, epochs: float | None, partial: bool = False
) -> Clock:
    """The clock over the training length; `partial` plans a recipe with errors
    from the modifiers that loaded (for a page that shows its problems)."""
    if steps_per_epoch < 1:
        raise ScheduleError("steps_per_epoch must be at least 1")
    if not recipe.ok and not partial:
        raise ScheduleError("the recipe has errors; run `recipe lint` first")
    length = recipe.max_epochs if epochs is None else epochs
    if length <= 0:
        raise NoTrainingLength(
            "the recipe sets no training length (no modifier ends or starts after "
            "epoch 0)"
        )
    return Clock(steps_per_epoch, round(length * steps_per_epoch))


def events(
    recipe: Recipe,
    steps_per_epoch: int,
    epochs: float | None = None,
    partial: bool = False,
) -> tuple[Clock, list[Events]]:
    """Every valid modifier's events, in file order."""
    clock = training_steps(recipe, steps_per_epoch, epochs, partial)
    out = [
        _events(e.index, e, e.model, clock)
        for e in recipe.modifiers
        if e.model is not None
    ]
    return clock, out


def _events(index: int, entry: Entry, m: Modifier, clock: Clock) -> Events:
    start, end = m.start, m.end
    if is_gradual(m):
        try:
            steps, k0, k_end = update_points(clock, start, end, m.update_frequency)
        except TooLong as exc:
            line, column = entry.field_position("update_frequency")
            raise TooLong(f"!{entry.tag} {exc}", line, column) from None
        ev = Events(index, entry, m, k0, k_end, steps)
        _pruning_targets(ev, clock)
        if getattr(m, "use_gradient_buffering", None) is True:
            _buffered_gradients(ev)
        return ev
    if is_lr_function(m) or is_lr_class(m):
        # update_frequency is forced to -1: the LR is set on every step
        steps, k0, k_end = update_points(clock, start, end, -1.0)
        ev = Events(index, entry, m, k0, k_end, steps)
        if is_lr_function(m):
            _lrf_crash(ev, clock)
        else:
            _lrm_crash(ev, clock)
        return ev
    # SparseML passes -1 in place of what ConstantPruning and LayerPruning say
    freq = -1.0 if m.FREQUENCY_FORCED else getattr(m, "update_frequency", None)
    if freq is not None and not is_epoch_range(m):
        steps, k0, k_end = update_points(clock, start, end, float(freq))
        ev = Events(index, entry, m, k0, k_end, steps)
        if m.TAG == "TopKASTPruningModifier" and k0 is not None:
            _topkast_nan(ev)
        return ev
    k0 = clock.start_step(start)
    k_end = clock.end_step(end)
    if k0 is not None and k_end is not None and k_end < k0:
        k_end = k0
    ev = Events(index, entry, m, k0, k_end, [k0] if k0 is not None else [])
    if (
        k0 is not None
        and m.TAG == "TrainableParamsModifier"
        and not getattr(m, "trainable", True)
        and str(getattr(m, "params", "")).upper() == "__ALL__"
    ):
        # every parameter frozen: the step's loss.backward() has nothing to do
        ev.crash = (
            "RuntimeError: element 0 of tensors does not require grad and does not "
            "have a grad_fn (trainable: false on __ALL__ freezes every parameter)"
        )
        ev.crash_step = k0
    return ev


def _topkast_nan(ev: Events) -> None:
    """A NaN forward or backward sparsity: the mask creator's round(numel * NaN)
    raises at the start step (an N:M mask compares it with its ratio, which NaN
    passes, and prunes N:M)."""
    m = ev.model
    values = (m.forward_sparsity, m.backward_sparsity)  # type: ignore[attr-defined]
    if nm_sparsity(m.mask_type) is None and any(v != v for v in values):  # type: ignore[attr-defined]
        ev.crash = NAN_TO_INT
        ev.crash_step = ev.start_step


def _buffered_gradients(ev: Events) -> None:
    """MFAC with `use_gradient_buffering: true` scores from the gradients of the
    training steps since its last update (at step 0: since training began, the
    update's own step included) and raises when fewer than num_grads are in."""
    m = ev.model
    num_grads = m.num_grads  # type: ignore[attr-defined]
    previous: int | None = None
    for i, k in enumerate(ev.update_steps):
        have = k + 1 if previous is None else k - previous
        applied = 0.0 if i == 0 or not ev.sparsity else ev.sparsity[i - 1]
        need = _num_grads(num_grads, applied)
        if have < need:
            if ev.crash_step is None or k < ev.crash_step:
                ev.crash = (
                    f"RuntimeError: MFAC pruning step called, but only {have} were "
                    f"collected from the expected {need} (use_gradient_buffering)"
                )
                ev.crash_step = k
            return
        previous = k


def _num_grads(num_grads: Any, sparsity: float) -> Any:
    """`modifier_pruning_mfac._get_num_grads_for_sparsity`."""
    if not isinstance(num_grads, dict):
        return num_grads
    thresholds = sorted(num_grads, key=float)
    i = 0
    while i < len(thresholds) and float(thresholds[i]) < sparsity:
        i += 1
    return num_grads[thresholds[min(i, len(thresholds) - 1)]]


def _pruning_targets(ev: Events, clock: Clock) -> None:
    m = ev.model
    init = m.init_sparsity if isinstance(m.init_sparsity, float) else 0.0  # type: ignore[attr-defined]
    final = m.final_sparsity  # type: ignore[attr-defined]
    if isinstance(final, dict | list):
        final = next(iter(final), 0.0)
    mask_type = getattr(m, "mask_type", None)
    # OBS without recomputations computes each target but never builds a mask
    masks = not (m.TAG == "OBSPruningModifier" and m.num_recomputations < 1)  # type: ignore[attr-defined]
    steps = ev.update_steps
    key = steps if isinstance(steps, range | tuple) else tuple(steps)
    values, ev.crash, ev.crash_step = _targets(
        clock,
        key,
        m.start,
        m.end,
        init,
        final,
        m.inter_func,  # type: ignore[attr-defined]
        str(mask_type),
        masks,
    )
    ev.update_steps = steps[: len(values)]
    ev.sparsity = list(values)


@functools.lru_cache(maxsize=512)
def _targets(
    clock: Clock,
    steps: Sequence[int],
    start: float,
    end: float,
    init: float,
    final: Any,
    func: str,
    mask_type: str,
    masks: bool,
) -> tuple[tuple[float, ...], str | None, int | None]:
    """The pruning target after each update, until SparseML would raise: (targets,
    what it raises, at which step). Pure, so modifiers that prune on one schedule
    to one target share it."""
    values: list[float] = []
    ratio = nm_sparsity(mask_type)
    spe = clock.steps_per_epoch
    for k in steps:
        try:
            v = interpolate(k // spe + (k % spe) / spe, start, end, init, final, func)
        except ZeroDivisionError:
            return tuple(values), "ZeroDivisionError: float division by zero", k
        except TypeError:
            return (
                tuple(values),
                "TypeError: '<=' not supported between instances of 'complex' and "
                "'float' (inverse_cubic past end_epoch)",
                k,
            )
        if v != v and masks and ratio is None:
            # NaN: the mask creator's round(numel * NaN) raises (an N:M mask
            # compares it with its ratio, which NaN passes, and prunes N:M)
            return tuple(values), NAN_TO_INT, k
        if masks and ratio is not None and v != 0.0 and abs(ratio - v) > 1e-2:
            # NMPruningMaskCreator: every applied sparsity is 0 or N:M's own
            return (
                tuple(values),
                f"ValueError: Sparsity must match N:M ratio ({ratio:g} for "
                f"{mask_type}), not {float(v):.4g}",
                k,
            )
        values.append(float(v))
    return tuple(values), None, None


def _lrf_crash(ev: Events, clock: Clock) -> None:
    """Where `LearningRateFunctionModifier` divides by zero."""
    m = ev.model
    assert is_lr_function(m)
    if not ev.update_steps:
        return
    first = ev.update_steps[0]
    spe = clock.steps_per_epoch
    if m.lr_func != "cyclic_linear":
        if m.end_epoch - (m.start_epoch if m.start_epoch > 0 else 0.0) == 0:
            ev.crash, ev.crash_step = "ZeroDivisionError: float division by zero", first
        return
    # _cyclic_linear divides by (cycle - 1), where cycle is cycle_epochs * spe up to
    # the last whole cycle of the window and the remainder after it
    cycle = m.cycle_epochs * spe
    crash = "ZeroDivisionError: float division by zero"
    if cycle == 0:
        ev.crash, ev.crash_step = crash, first
        return
    span = m.end_epoch * spe - m.start_epoch * spe
    if span / cycle != span / cycle:  # a NaN end or cycle: int() of it raises
        ev.crash = NAN_TO_INT
        ev.crash_step = first
        return
    limit = int(span / cycle) * cycle
    after = _first_where(
        ev.update_steps, clock, lambda e: (e - m.start_epoch) * spe > limit
    )
    if cycle == 1 and (not after or after[0] != first):
        ev.crash, ev.crash_step = crash, first
    elif after and span % cycle in (0, 1):
        ev.crash, ev.crash_step = crash, after[0]


def _first_where(steps: Sequence[int], clock: Clock, pred: Any) -> list[int]:
    """The first step of a monotone predicate over `steps` (binary search)."""
    lo, hi = 0, len(steps)
    while lo < hi:
        mid = (lo + hi) // 2
        if pred(clock.epoch(steps[mid])):
            hi = mid
        else:
            lo = mid + 1
    return [steps[lo]] if lo < len(steps) else []


@dataclasses.dataclass
class SchedulerSteps:
    """What a torch-scheduler LearningRateModifier does: `init_lr` at `set_steps`,
    then the scheduler's `last_epoch` at each later update step."""

    set_steps: list[int]
    created: int | None  # the step the scheduler is created (first epoch > eps)
    first_last_epoch: int  # scheduler.last_epoch after the creation step
    final_last_epoch: int | None  # last_epoch after the end update (None: no end)


def scheduler_steps(
    m: LearningRateModifier, ev: Events, clock: Clock
) -> SchedulerSteps:
    """Replay `LearningRateModifier.update` for the step counters only.

    Between creation and the end update `round(epoch * spe)` grows by one per step,
    so torch's `last_epoch` does too; only the first and last updates need care.
    """
    steps = ev.update_steps
    spe = clock.steps_per_epoch
    set_steps: list[int] = []
    counter = 0
    created = None
    first_last = 0
    for k in steps[:3]:  # at most step 0 has epoch <= eps; creation follows
        e = clock.epoch(k)
        set_steps.append(k)
        if e <= EPS:
            counter -= 1
            continue
        if abs(m.end_epoch - e) <= EPS and m.end_epoch >= 0.0:
            return SchedulerSteps(set_steps, None, 0, None)
        created = k
        counter += round(e * spe)
        glob = (
            round(e * spe)
            if m.end_epoch < 0 or e <= m.end_epoch
            else round(m.end_epoch * spe)
        )
        first_last = max(0, glob - counter)
        break
    final = None
    if created is not None and ev.end_step is not None and ev.end_step > created:
        e = clock.epoch(ev.end_step)
        before = first_last + (ev.end_step - 1 - created)
        if abs(m.end_epoch - e) <= EPS:
            final = before
        else:
            glob = round(e * spe) if e <= m.end_epoch else round(m.end_epoch * spe)
            final = before + max(0, glob - (ev.end_step - 1))
    return SchedulerSteps(set_steps, created, first_last, final)


def _lrm_crash(ev: Events, clock: Clock) -> None:
    """Where torch raises: StepLR of 0 steps, cosine restarts with a bad T_0."""
    m = ev.model
    assert is_lr_class(m)
    if not ev.update_steps:
        return
    if m.end_epoch != m.end_epoch:  # NaN: corrected_lr_info rounds end * spe
        ev.crash = NAN_TO_INT
        ev.crash_step = next((k for k in ev.update_steps if clock.epoch(k) > EPS), None)
        return
    s = scheduler_steps(m, ev, clock)
    if s.created is None:
        return
    if m.lr_class == "CosineAnnealingWarmRestarts":
        t0 = m.lr_kwargs.get("cycle_epochs")
        if not isinstance(t0, int) or isinstance(t0, bool) or t0 <= 0:
            ev.crash = f"ValueError: Expected positive integer T_0, but got {t0}"
            ev.crash_step = s.created
        return
    if m.lr_class in ("StepLR", "ExponentialLR"):
        size = 1.0 if m.lr_class == "ExponentialLR" else m.lr_kwargs["step_size"]
        if round(size * clock.steps_per_epoch) != 0:
            return
        # the first scheduler.step() (last_epoch >= 1) takes `last_epoch % 0`
        calls = scheduler_calls(s, ev, clock)
        if calls:
            ev.crash = (
                "ZeroDivisionError: integer modulo by zero (step_size "
                f"{size} epochs is 0 steps)"
            )
            ev.crash_step = calls[0][0]


def scheduler_calls(
    s: SchedulerSteps, ev: Events, clock: Clock
) -> list[tuple[int, int]]:
    """(step, last_epoch) of the first `scheduler.step()` call of each kind: at
    creation (when that update already steps), the first regular one (then one a
    step, last_epoch growing by one, up to the step before the end update), and
    the end update's (when it steps)."""
    if s.created is None:
        return []
    out: list[tuple[int, int]] = []
    stop = clock.total if ev.end_step is None else ev.end_step
    if s.first_last_epoch > 0:
        out.append((s.created, s.first_last_epoch))
    if s.created + 1 < stop:
        out.append((s.created + 1, s.first_last_epoch + 1))
    if ev.end_step is not None and ev.end_step > s.created and s.final_last_epoch:
        before = s.first_last_epoch + (ev.end_step - 1 - s.created)
        if s.final_last_epoch > before:
            out.append((ev.end_step, s.final_last_epoch))
    return out


def last_epoch_at(s: SchedulerSteps, ev: Events, clock: Clock, k: int) -> int:
    """torch's `last_epoch` after the update at step k (from creation on)."""
    assert s.created is not None
    if ev.end_step is not None and k >= ev.end_step:
        if s.final_last_epoch is not None:
            return s.final_last_epoch
        return s.first_last_epoch + (ev.end_step - 1 - s.created)
    return s.first_last_epoch + (k - s.created)


def qat_marker_steps(m: QAT, clock: Clock) -> dict[str, int | None]:
    """Steps where QAT starts, BN statistics freeze and observers stop."""
    out: dict[str, int | None] = {"qat": clock.start_step(m.start)}
    for name, value in (
        ("bn-freeze", m.freeze_bn_stats_epoch),
        ("observers-off", m.disable_quantization_observer_epoch),
    ):
        out[name] = None if value is None else clock.first_at_or_after(float(value))
    return out
