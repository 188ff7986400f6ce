"""`recipe preview` of a sparseml.core recipe: the page of `recipe preview`
(its template, plotly inlined, nothing from the network) with one chart per
train stage, on the stage's epoch axis as its session runs it
(`dialects/sparsemlcore/schedule.py`, held to the engine): each
MagnitudePruningModifier's sparsity at every step, each modifier's window as a
bar, and the oneshot stages' modifiers as what applies before training.
"""

from __future__ import annotations

import math
from typing import Any

from ..dialects.sparsemlcore.reader import Read
from ..dialects.sparsemlcore.schedule import length, replay
from ..problems import Problem


def _figure(stage: Any, spe: int, n: int) -> dict[str, Any]:
    args = [m.args or {} for m in stage.modifiers]
    steps = math.ceil(length(args) * spe)
    states = replay(
        [(m.name, a) for m, a in zip(stage.modifiers, args, strict=True)], spe, steps
    )
    data: list[dict[str, Any]] = []
    bars: list[dict[str, Any]] = []
    for i, m in enumerate(stage.modifiers):
        row = [step[i] for step in states]
        on: list[int] = []  # the steps it is on: from its start to its end's
        for k, state in enumerate(row):
            if state is None or not state.started:
                continue
            on.append(k)
            if state.ended:
                break
        label = f"{m.name} (line {m.line})"
        if any(s is not None and s.sparsity is not None for s in row):
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": label,
                    "x": [k / spe for k in on],
                    "y": [row[k].sparsity for k in on],  # type: ignore[union-attr]
                    "line": {"shape": "hv"},
                }
            )
        if on:
            bars.append(
                {
                    "type": "bar",
                    "orientation": "h",
                    "name": label + " window",
                    "y": [label],
                    "base": [on[0] / spe],
                    "x": [(on[-1] + 1 - on[0]) / spe],
                    "xaxis": "x",
                    "yaxis": "y2",
                    "showlegend": False,
                }
            )
    return {
        "id": f"stage-{n}",
        "sync": False,
        "data": data + bars,
        "layout": {
            "title": {"text": f"stage '{stage.name}' (train), {spe} steps an epoch"},
            "xaxis": {"title": {"text": "epoch"}},
            "yaxis": {
                "title": {"text": "sparsity"},
                "domain": [0.45, 1],
                "range": [0, 1],
            },
            "yaxis2": {"domain": [0, 0.35], "automargin": True},
            "height": 460,
        },
    }


def stage_figures(walked: Read, spe: int) -> tuple[list[dict[str, Any]], list[str]]:
    """A chart per train stage, and the modifiers of the stages that run once
    before training (oneshot), named."""
    figs: list[dict[str, Any]] = []
    before: list[str] = []
    for stage in walked.stages:
        if stage.runs_as == "train":
            figs.append(_figure(stage, spe, len(figs)))
        else:
            before += [f"{m.name} (stage '{stage.name}')" for m in stage.modifiers]
    return figs, before


def render(
    path: str, text: str, walked: Read, spe: int, problems: list[Problem], why: str
) -> str:
    from .preview import page, staged_card

    figs, before = stage_figures(walked, spe)
    note = f"read as SparseML 1.8's sparseml.core ({why})"
    if before:
        note += "; applied once before training (oneshot): " + ", ".join(before)
    recipe = staged_card(path, text, note, problems)
    return page(path, [recipe], figs)
