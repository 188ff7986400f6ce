"""`recipe diff`: what differs between two recipes as SparseML runs them.

Modifiers are matched by type and `params` (as SparseML reads the list), not by
position; leftover modifiers of one type are then paired in file order (their
`params` is one of the fields that differ); the rest are only in A or only in B.
Fields compare by the values SparseML is given (`eval(...)` evaluated, defaults
filled in), each shown with the expression it came from. The schedule is compared
too, at a number of steps per epoch: training length, every pruning window with
its final sparsity and number of mask updates, QAT's start, and the LR at every
phase boundary. Two recipes are equivalent when no field differs, no modifier is
left over and the plans agree at every step, however each is written.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from ..loader.recipe import Entry, Recipe
from ..model.params import flat
from ..schedule.clock import Events
from ..schedule.timeline import Timeline, plan


@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    a: Any
    b: Any
    a_from: str | None  # the expression written, where it is not the value itself
    b_from: str | None


@dataclasses.dataclass(frozen=True)
class Pair:
    tag: str
    a_line: int
    b_line: int
    fields: tuple[Field, ...]


@dataclasses.dataclass(frozen=True)
class Change:
    """One figure of the schedule that differs: what, A's, B's."""

    what: str
    a: Any
    b: Any


@dataclasses.dataclass(frozen=True)
class StepDiff:
    """The first optimizer step where the two plans differ."""

    step: int
    epoch: float
    what: str
    a: Any
    b: Any


# fields that act only through the schedule: where the two plans agree at every
# step, values that differ here (0.6667 written for 2/3) land on the same steps
SCHEDULE_FIELDS = frozenset(
    {
        "start_epoch",
        "end_epoch",
        "update_frequency",
        "freeze_bn_stats_epoch",
        "disable_quantization_observer_epoch",
        "update_epochs",
    }
)


@dataclasses.dataclass(frozen=True)
class Diff:
    pairs: tuple[Pair, ...]  # matched modifiers, those with differing fields
    only_a: tuple[tuple[str, int], ...]  # (tag, line)
    only_b: tuple[tuple[str, int], ...]
    schedule: tuple[Change, ...]
    first_step: StepDiff | None
    steps_per_epoch: int
    # schedule fields written differently that land on the same steps
    same_steps: tuple[tuple[str, Field], ...] = ()

    @property
    def equivalent(self) -> bool:
        return not (
            any(p.fields for p in self.pairs)
            or self.only_a
            or self.only_b
            or self.schedule
            or self.first_step
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "equivalent": self.equivalent,
            "steps_per_epoch": self.steps_per_epoch,
            "modifiers": [
                {
                    "type": p.tag,
                    "a_line": p.a_line,
                    "b_line": p.b_line,
                    "fields": [dataclasses.asdict(f) for f in p.fields],
                }
                for p in self.pairs
                if p.fields
            ],
            "only_in_a": [{"type": t, "line": n} for t, n in self.only_a],
            "only_in_b": [{"type": t, "line": n} for t, n in self.only_b],
            "schedule": [dataclasses.asdict(c) for c in self.schedule],
            "first_differing_step": (
                dataclasses.asdict(self.first_step) if self.first_step else None
            ),
            "same_steps": [
                {"type": tag, **dataclasses.asdict(f)} for tag, f in self.same_steps
            ],
        }


def _params_key(e: Entry) -> Any:
    """`params` as SparseML reads it: the list's entries as a set (order does not
    change what is taken), a token string as itself."""
    entries = flat(e.fields.get("params")) if "params" in e.fields else None
    return None if entries is None else frozenset(entries)


def match(a: Recipe, b: Recipe) -> tuple[list[tuple[Entry, Entry]], list, list]:
    """Pairs of modifiers, and those only in A and only in B: first those of one
    type with the same `params`, then of one type; each with the candidate it
    differs from in the fewest fields (two SetLearningRateModifiers pair by their
    values, not their order)."""
    left = [e for e in a.modifiers if e.model is not None]
    right = [e for e in b.modifiers if e.model is not None]
    pairs: list[tuple[Entry, Entry]] = []
    for strict in (True, False):
        for ea in list(left):
            candidates = [
                eb
                for eb in right
                if eb.tag == ea.tag
                and (not strict or _params_key(ea) == _params_key(eb))
            ]
            if candidates:
                eb = min(candidates, key=lambda c: len(fields(ea, c)))
                pairs.append((ea, eb))
                left.remove(ea)
                right.remove(eb)
    pairs.sort(key=lambda p: p[0].index)
    return pairs, left, right


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, float) and isinstance(y, float):
        return x == y or (math.isnan(x) and math.isnan(y))
    if isinstance(x, list | tuple) and isinstance(y, list | tuple):
        return len(x) == len(y) and all(_same(p, q) for p, q in zip(x, y, strict=True))
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
    return bool(x == y)


def _written(e: Entry, name: str) -> str | None:
    node = e.node.get(name) if e.node.kind == "map" else None
    if node is None or node.kind != "scalar":
        return None
    value = node.value
    return value if isinstance(value, str) and "eval(" in value else None


def fields(ea: Entry, eb: Entry) -> tuple[Field, ...]:
    assert ea.model is not None and eb.model is not None
    da, db = ea.model.model_dump(), eb.model.model_dump()
    out = []
    for name in list(da) + [k for k in db if k not in da]:
        x, y = da.get(name), db.get(name)
        if name == "params" and _params_key(ea) == _params_key(eb):
            continue  # the same set, listed in another order
        if not _same(x, y):
            out.append(Field(name, x, y, _written(ea, name), _written(eb, name)))
    return tuple(out)


def _window(ev: Events | None, spe: int) -> tuple[float | None, float | None]:
    if ev is None:
        return (None, None)

    def at(step: int | None) -> float | None:
        return None if step is None else round(step / spe, 6)

    return (at(ev.start_step), at(ev.end_step))


def schedule_changes(
    pairs: list[tuple[Entry, Entry]], ta: Timeline, tb: Timeline
) -> list[Change]:
    """Training length, pruning windows, final sparsities and update counts of the
    matched pruning modifiers, QAT's start, the LR at every phase boundary."""
    spe = ta.steps_per_epoch
    out: list[Change] = []

    def note(what: str, x: Any, y: Any) -> None:
        if not _same(x, y):
            out.append(Change(what, x, y))

    note("training length (epochs)", ta.max_epochs, tb.max_epochs)
    note("optimizer steps", ta.total_steps, tb.total_steps)
    note("pruning (start, end, final sparsity)", _pruning(ta), _pruning(tb))
    note("QAT starts (epoch)", _qat_starts(ta), _qat_starts(tb))
    by_a = {ev.index: ev for ev in ta.modifiers}
    by_b = {ev.index: ev for ev in tb.modifiers}
    for ea, eb in pairs:
        va, vb = by_a.get(ea.index), by_b.get(eb.index)
        if va is not None and vb is not None and va.sparsity and vb.sparsity:
            note(
                f"!{ea.tag} (line {ea.line} / {eb.line}) mask updates",
                len(va.update_steps),
                len(vb.update_steps),
            )
    bounds = sorted(
        {p.start_step for p in ta.phases} | {p.start_step for p in tb.phases}
    )
    for step in bounds:
        x = _lr_at(ta, step)
        y = _lr_at(tb, step)
        if not _same(x, y):
            out.append(Change(f"LR at step {step} (epoch {step / spe:g})", x, y))
    return out


def _pruning(t: Timeline) -> list[tuple[float | None, float | None, float | None]]:
    spe = t.steps_per_epoch
    return sorted(
        (
            (*_window(ev, spe), round(ev.sparsity[-1], 6) if ev.sparsity else None)
            for ev in t.modifiers
            if ev.sparsity is not None
        ),
        key=repr,
    )


def _qat_starts(t: Timeline) -> list[float | None]:
    spe = t.steps_per_epoch
    return [
        _window(ev, spe)[0]
        for ev in t.modifiers
        if ev.entry.tag == "QuantizationModifier"
    ]


def _lr_at(t: Timeline, step: int) -> float | None:
    if step >= t.total_steps:
        return None
    value = float(t.lr[0][step])
    return None if math.isnan(value) else value


def first_difference(ta: Timeline, tb: Timeline) -> StepDiff | None:
    """The first step where the LR, a pruning target or the phase differs (or one
    plan has ended): what SparseML does, whatever the modifiers are called."""
    spe = ta.steps_per_epoch
    candidates: list[StepDiff] = []

    def first(mask: np.ndarray) -> int | None:
        hits = np.flatnonzero(mask)
        return int(hits[0]) if hits.size else None

    common = min(ta.total_steps, tb.total_steps)
    la, lb = ta.lr[0][:common], tb.lr[0][:common]
    k = first(~((la == lb) | (np.isnan(la) & np.isnan(lb))))
    if k is not None:
        candidates.append(StepDiff(k, k / spe, "lr", float(la[k]), float(lb[k])))
    # every pruning target, the i-th pruner of A against the i-th of B in file
    # order, whatever their types and however `match` paired the modifiers (a
    # GMPruningModifier replaced by a MagnitudePruningModifier still prunes)
    pruners_a, pruners_b = _pruners(ta), _pruners(tb)
    for i in range(max(len(pruners_a), len(pruners_b))):
        ea, sa = pruners_a[i] if i < len(pruners_a) else (None, None)
        eb, sb = pruners_b[i] if i < len(pruners_b) else (None, None)
        what = _pruner_name(i, ea, eb)
        if sa is None or sb is None:  # one more pruner on one side: from its start
            ev = ea if ea is not None else eb
            k = ev.start_step if ev is not None and ev.start_step is not None else 0
            a = float(sa[k]) if sa is not None and k < len(sa) else None
            b = float(sb[k]) if sb is not None and k < len(sb) else None
            candidates.append(StepDiff(k, k / spe, what, a, b))
            continue
        k = first(sa[:common] != sb[:common])
        if k is not None:
            candidates.append(StepDiff(k, k / spe, what, float(sa[k]), float(sb[k])))
    pa, pb = _phase_names(ta), _phase_names(tb)
    k = first(pa[:common] != pb[:common])
    if k is not None:
        candidates.append(StepDiff(k, k / spe, "phase", str(pa[k]), str(pb[k])))
    if ta.total_steps != tb.total_steps:
        candidates.append(
            StepDiff(
                common,
                common / spe,
                "training ends",
                "ended" if ta.total_steps == common else "trains",
                "ended" if tb.total_steps == common else "trains",
            )
        )
    return min(candidates, key=lambda c: c.step) if candidates else None


def _pruners(t: Timeline) -> list[tuple[Any, np.ndarray]]:
    """(events, target sparsity at every step) of each pruning modifier, in file
    order."""
    return [
        (ev, t.sparsity[ev.index])
        for ev in sorted(t.modifiers, key=lambda e: e.index)
        if ev.index in t.sparsity
    ]


def _pruner_name(i: int, ea: Any, eb: Any) -> str:
    names = [f"!{ev.entry.tag} (line {ev.entry.line})" for ev in (ea, eb) if ev]
    same = len(names) == 2 and names[0] == names[1]
    return (
        f"pruning #{i + 1} {names[0] if same else ' vs '.join(names)} target sparsity"
    )


def _phase_names(t: Timeline) -> np.ndarray:
    names = np.full(t.total_steps, "", dtype=object)
    for p in t.phases:
        names[p.start_step : p.end_step] = [
            f"{x}+{p.name}" if x else p.name for x in names[p.start_step : p.end_step]
        ]
    return names


def diff(a: Recipe, b: Recipe, steps_per_epoch: int) -> Diff:
    pairs, left, right = match(a, b)
    ta = plan(a, steps_per_epoch, partial=True)
    tb = plan(b, steps_per_epoch, partial=True)
    changes = tuple(schedule_changes(pairs, ta, tb))
    first = first_difference(ta, tb)
    agree = not changes and first is None
    matched, same = [], []
    for ea, eb in pairs:
        kept = []
        for f in fields(ea, eb):
            if agree and f.name in SCHEDULE_FIELDS:
                same.append((ea.tag, f))
            else:
                kept.append(f)
        matched.append(Pair(ea.tag, ea.line, eb.line, tuple(kept)))
    return Diff(
        tuple(matched),
        tuple((e.tag, e.line) for e in left),
        tuple((e.tag, e.line) for e in right),
        changes,
        first,
        steps_per_epoch,
        tuple(same),
    )


def _value(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.10g}"
    return repr(x) if isinstance(x, str) else str(x)


def as_text(d: Diff, a_name: str, b_name: str, *, steps: bool = False) -> str:
    """What `recipe diff` prints: `-` only in A, `+` only in B, `~` changed."""
    lines = [f"--- {a_name}", f"+++ {b_name}"]
    for p in d.pairs:
        if not p.fields:
            continue
        lines.append(f"~ !{p.tag} (line {p.a_line} -> line {p.b_line})")
        for f in p.fields:
            a = _value(f.a) + (f"  [{f.a_from}]" if f.a_from else "")
            b = _value(f.b) + (f"  [{f.b_from}]" if f.b_from else "")
            lines.append(f"    {f.name}: {a} -> {b}")
    lines += [f"- !{tag} (line {line}) only in A" for tag, line in d.only_a]
    lines += [f"+ !{tag} (line {line}) only in B" for tag, line in d.only_b]
    if d.schedule:
        lines.append(f"schedule at {d.steps_per_epoch} steps an epoch:")
        lines += [f"    {c.what}: {_value(c.a)} -> {_value(c.b)}" for c in d.schedule]
    if steps and d.first_step:
        s = d.first_step
        lines.append(
            f"first differing step: {s.step} (epoch {s.epoch:.6g}): {s.what} "
            f"{_value(s.a)} -> {_value(s.b)}"
        )
    elif steps:
        lines.append(f"the plans agree at every step ({d.steps_per_epoch} an epoch)")
    for tag, f in d.same_steps:
        lines.append(
            f"= !{tag} {f.name}: {_value(f.a)} and {_value(f.b)} land on the same "
            f"steps at {d.steps_per_epoch} an epoch"
        )
    lines.append(
        "equivalent: the same modifiers and the same schedule at every step"
        if d.equivalent
        else "different"
    )
    return "\n".join(lines)
