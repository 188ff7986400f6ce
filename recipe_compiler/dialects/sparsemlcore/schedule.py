"""A sparseml.core train stage step by step, in SparseML 1.8's own arithmetic.

Its finetune trainer initializes the session at epoch 0 and sends, every
optimizer step k, BATCH_START at epoch k / steps_per_epoch (the global step is
k) and BATCH_END at (k + 1) / steps_per_epoch (OPTIM_POST_STEP counted the
step). A modifier (core/modifier/modifier.py) is initialized only when its start
is set and not below 0 (a start below 0 is oneshot's) and its end, where set and
not below 0, is after epoch 0; it starts at the first BATCH_START (or at
initialize) where `start <= epoch < end`, and ends at the first BATCH_END where
`epoch >= end`. A MagnitudePruningModifier computes its sparsity from its
scheduler (modifiers/pruning/helpers.py) at its start and at every BATCH_START
until it ends: its `update` is not read, and its last sparsity is the one of
the last BATCH_START before its end, not `final_sparsity` unless the end falls
there. tests/sparseml_core/test_schedule_oracle.py holds this to the engine
driving a model through generated recipes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .evaluate import UNKNOWN

# what a recipe may cost (docs/security.md): a train stage is replayed step by
# step for `plan` and `preview` up to MAX_STEPS (each step kept: a chart of them),
# and streamed for lint's crash check up to MAX_CHECKED (a second or so)
MAX_STEPS = 200_000
MAX_CHECKED = 2_000_000


class TooLong(ValueError):
    """A replay past MAX_STEPS."""


@dataclasses.dataclass(frozen=True)
class StepState:
    started: bool
    ended: bool
    sparsity: float | None  # a MagnitudePruningModifier's current one


def length(modifiers: list[Mapping[str, Any]]) -> float:
    """The epochs a train stage runs for, planned: its modifiers' largest end
    (1 without one)."""
    ends = [_number(args.get("end")) for args in modifiers]
    return max((e for e in ends if e is not None and e > 0), default=1.0)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def scheduler(args: Mapping[str, Any]) -> Callable[[float], float] | None:
    """MagnitudePruningModifier's sparsity at an epoch, as its scheduler computes
    it (None: a scheduler whose result is not computed here: a custom
    expression, which the engine evaluates with Python's eval)."""
    name = args.get("update_scheduler", "cubic")
    start, end = _number(args.get("start")), _number(args.get("end"))
    init, final = (
        _number(args.get("init_sparsity")),
        _number(args.get("final_sparsity")),
    )
    extra = args.get("scheduler_args") or {}
    if None in (start, end, init, final) or not isinstance(extra, dict):
        return None
    assert start is not None and end is not None and init is not None
    assert final is not None

    def complete(epoch: float) -> float:
        return (epoch - start) / (end - start)

    if name == "linear":
        return lambda epoch: init + (final - init) * complete(epoch)
    if name in ("cubic", "polynomial_decay"):
        exponent = 3 if name == "cubic" else extra.get("exponent", 2)
        return lambda epoch: (
            init + (final - init) * (pow(complete(epoch) - 1, exponent) + 1)
        )
    if name == "polynomial":
        exponent = extra.get("exponent", 2)
        return lambda epoch: init + (final - init) * complete(epoch) ** exponent
    if name == "multi_step":
        steps = sorted(extra.get("steps", []), key=lambda x: x[0])

        def multi(epoch: float) -> float:
            current = init
            for index, sparsity in steps:
                if epoch >= index:
                    current = sparsity
            return current

        return multi
    return None


def replay(
    modifiers: list[tuple[str, Mapping[str, Any]]], steps_per_epoch: int, steps: int
) -> list[list[StepState | None]]:
    """Each modifier's state after every step (None where a value the engine
    computes is not computed here: an unknown arg, a custom scheduler);
    TooLong past MAX_STEPS."""
    if steps > MAX_STEPS:
        raise TooLong(f"{steps:,} steps, more than the {MAX_STEPS:,} replayed")
    out: list[list[StepState | None]] = [[] for _ in range(steps)]
    for name, args in modifiers:
        for k, state in enumerate(_one(name, args, steps_per_epoch, steps)):
            out[k].append(state)
    return out


def _one(
    name: str, args: Mapping[str, Any], spe: int, steps: int
) -> list[StepState | None]:
    return list(_states(name, args, spe, steps))


def _states(
    name: str, args: Mapping[str, Any], spe: int, steps: int
) -> Iterator[StepState | None]:
    """The modifier's state after each step, one at a time."""
    raw_start, raw_end = args.get("start"), args.get("end")
    if UNKNOWN in (raw_start, raw_end):
        yield from [None] * steps
        return
    start, end = _number(raw_start), _number(raw_end)
    calc_start = start if start is not None else -1
    calc_end = end if end is not None else -1
    if calc_start < 0 or (calc_end >= 0 and calc_end <= 0.0):
        yield from [StepState(False, False, None)] * steps  # never initialized
        return
    magnitude = name == "MagnitudePruningModifier"
    sched = scheduler(args) if magnitude else None
    if magnitude and sched is None:
        yield from [None] * steps
        return

    def should_start(epoch: float) -> bool:
        return start is not None and start <= epoch and (end is None or epoch < end)

    started = ended = False
    sparsity: float | None = None
    if should_start(0.0):  # at initialize, on the start event
        started = True
        sparsity = sched(0.0) if sched else None
    for k in range(steps):
        epoch = k / float(spe)
        if not started and should_start(epoch):
            started = True
            sparsity = sched(epoch) if sched else None
        elif started and not ended and sched:
            sparsity = sched(epoch)
        after = (k + 1) / float(spe)
        if not ended and end is not None and after >= end:
            ended = True
        yield StepState(started, ended, sparsity)


@dataclasses.dataclass(frozen=True)
class Crash:
    """A step of a train stage that raises in the engine."""

    step: int  # 0-based optimizer step; 0 for initialize
    field: str  # the field to point at
    error: str  # "Type: message", as the engine raises it
    why: str


def crash(
    name: str, args: Mapping[str, Any], steps_per_epoch: int, steps: int
) -> Crash | None:
    """Where a MagnitudePruningModifier that the stage initializes raises: without
    an `end` its first event compares the epoch with None (TypeError), and a
    sparsity above 1 (polynomial_decay's even exponents start at init + 2 x
    (final - init)) selects more weights than a layer has (RuntimeError)."""
    if name != "MagnitudePruningModifier":
        return None
    start, end = _number(args.get("start")), args.get("end")
    if start is None or start < 0 or UNKNOWN in (args.get("start"), end):
        return None
    if end is None and start == 0:  # it starts at initialize: its scheduler
        return Crash(  # computes end - start
            0,
            "start",
            "TypeError: unsupported operand type(s) for -: 'NoneType' and 'float'",
            "without an end, its scheduler computes end - start as it starts",
        )
    if end is None:
        return Crash(
            0,
            "start",
            "TypeError: '>=' not supported between instances of 'float' and 'NoneType'",
            "without an end, its first event of training compares the epoch with None",
        )
    if steps > MAX_CHECKED:
        return None  # (not replayed: lint says nothing it has not computed)
    for k, state in enumerate(_states(name, args, steps_per_epoch, steps)):
        if state is None:
            return None
        if state.sparsity is not None and state.sparsity > 1:
            return Crash(
                k,
                "update_scheduler",
                "RuntimeError: selected index k out of range",
                f"its scheduler gives sparsity {state.sparsity:.4f} at epoch "
                f"{k / steps_per_epoch:g}, more weights than a layer has",
            )
    return None
