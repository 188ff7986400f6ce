"""`recipe plan` of a sparseml.core recipe: what its session does, stage by stage.

Oneshot stages (and modifiers whose start is below 0) apply once, before any
training, in the engine's order. A train stage is replayed step by step as its
finetune trainer drives it from epoch 0 (`dialects/sparsemlcore/schedule.py`, held
to the engine): the step each modifier starts and ends at, and a
MagnitudePruningModifier's sparsity at its start, its end and each whole epoch in
between, with the final sparsity it leaves when that is not its
`final_sparsity` (its last update is the batch before its end).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..dialects.sparsemlcore.reader import Read, Stage
from ..dialects.sparsemlcore.schedule import length, replay


def _run_type(stage: Stage) -> str:
    return stage.runs_as or "none"


def plan_rows(walked: Read, spe: int, epochs: float | None) -> list[dict[str, Any]]:
    """One row per event: stage, step (None: before training), epoch, modifier,
    what happens."""
    rows: list[dict[str, Any]] = []
    for stage in walked.stages:
        found: list[dict[str, Any]] = []
        kind = _run_type(stage)
        train = kind == "train"
        planned = length([m.args or {} for m in stage.modifiers])
        steps = math.ceil((epochs if epochs is not None else planned) * spe)
        trained = (  # (a oneshot stage is not trained: nothing to replay)
            replay([(m.name, m.args or {}) for m in stage.modifiers], spe, steps)
            if train
            else []
        )
        for i, m in enumerate(stage.modifiers):
            args = m.args or {}
            start = args.get("start")
            oneshot = not isinstance(start, int | float) or start < 0
            if oneshot or not train:
                if oneshot:
                    found.append(
                        _row(stage, None, spe, m.name, "applied once (oneshot)")
                    )
                else:
                    found.append(
                        _row(
                            stage,
                            None,
                            spe,
                            m.name,
                            "skipped in oneshot: start "
                            f"{start:g} is an epoch (a train stage's)",
                        )
                    )
                continue
            states = [step[i] for step in trained]
            found += _events(stage, m.name, args, states, spe)
        # in time order: what applies before training, then step by step
        rows += sorted(found, key=lambda r: -1 if r["step"] is None else r["step"])
    return rows


def _events(
    stage: Stage, name: str, args: Mapping[str, Any], states: list[Any], spe: int
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if any(s is None for s in states):
        return [
            _row(
                stage,
                None,
                spe,
                name,
                "not planned: a value the engine "
                "computes here is not (a custom scheduler)",
            )
        ]
    first = next((k for k, s in enumerate(states) if s.started), None)
    last = next((k for k, s in enumerate(states) if s.ended), None)
    if first is None:
        return [
            _row(
                stage,
                None,
                spe,
                name,
                "never starts in the stage's "
                f"{len(states)} steps (start {args.get('start')!r}, "
                f"end {args.get('end')!r})",
            )
        ]
    magnitude = states[first].sparsity is not None

    def at(k: int) -> str:
        return f" at sparsity {states[k].sparsity:.4f}" if magnitude else ""

    out.append(_row(stage, first, spe, name, "starts" + at(first)))
    if magnitude:
        stop = last if last is not None else len(states) - 1
        for k in range(first + 1, stop):
            if k % spe == 0:
                out.append(
                    _row(stage, k, spe, name, f"sparsity {states[k].sparsity:.4f}")
                )
    if last is None:
        out.append(
            _row(
                stage,
                len(states) - 1,
                spe,
                name,
                "still on when the stage ends" + at(len(states) - 1),
            )
        )
        return out
    said = "ends after this step" + at(last)
    final = args.get("final_sparsity")
    if magnitude and isinstance(final, int | float) and states[last].sparsity != final:
        said += f" (not its final_sparsity {final:g}: its last update is this batch)"
    out.append(_row(stage, last, spe, name, said))
    return out


def _row(
    stage: Stage, step: int | None, spe: int, name: str, what: str
) -> dict[str, Any]:
    return {
        "stage": stage.name,
        "run_type": _run_type(stage),
        "step": step,
        "epoch": None if step is None else step / spe,
        "modifier": name,
        "event": what,
    }


def as_table(path: str, why: str, rows: list[dict[str, Any]], spe: int) -> str:
    lines = [
        f"{path}: read as SparseML 1.8's sparseml.core ({why}); each train stage "
        f"from epoch 0 at {spe} steps an epoch, one batch a step"
    ]
    stage = None
    width = max((len(str(r["modifier"])) for r in rows), default=8)
    for r in rows:
        if r["stage"] != stage:
            stage = r["stage"]
            lines.append(f"stage '{stage}' ({r['run_type']})")
        where = (
            "before training"
            if r["step"] is None
            else (f"step {r['step']:>6}  epoch {r['epoch']:.3f}")
        )
        lines.append(f"  {where:<28} {r['modifier']!s:<{width}}  {r['event']}")
    return "\n".join(lines) + "\n"
