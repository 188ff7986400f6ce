"""`recipe preview`: one self-contained HTML page of a recipe's schedule.

Figures are plain plotly JSON built from the `Timeline` (importing plotly's Python
graph objects would cost more than the whole render), rendered with plotly.js
inlined once from the installed plotly package: no CDN, no network, so the page
opens on an air-gapped machine. Step functions are drawn with `line.shape: "hv"`,
so keeping only the steps where a value changes draws exactly the planned curve;
smooth stretches (a cosine LR changes every step) are thinned to a few thousand
points, keeping every jump.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..loader.recipe import Recipe
from ..problems import Problem, errors
from ..schedule.clock import Events
from ..schedule.timeline import Timeline

if TYPE_CHECKING:
    from ..model.layerplan import LayerPlan
    from ..model.network import Network

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"  # also ./templates
MAX_RUN_POINTS = 2000  # points kept from a stretch where the value changes every step
MAX_UPDATE_POINTS = 20000  # pruning updates kept in full up to this many
KIND_COLORS = {
    "pruning": "#e07b39",
    "lr": "#3a78c3",
    "quantization": "#8a5cc2",
    "training": "#8c8c8c",
    "distillation": "#4a9a5b",
    "other": "#2a9d8f",
}
PHASE_COLORS = {
    "stabilization": "rgba(140,140,140,0.10)",
    "pruning": "rgba(224,123,57,0.12)",
    "fine-tuning": "rgba(74,154,91,0.12)",
    "qat": "rgba(138,92,194,0.12)",
    "bn-freeze": "rgba(138,92,194,0.10)",
    "observers-off": "rgba(138,92,194,0.10)",
}
RECIPE_COLORS = ["#3a78c3", "#e07b39", "#4a9a5b", "#c2405c", "#8a5cc2", "#2a9d8f"]
# compare mode: recipes take the colours, kinds a fill pattern (plotly's shapes)
KIND_PATTERNS = {
    "pruning": "/",
    "lr": "",
    "quantization": "x",
    "training": ".",
    "distillation": "\\",
    "other": "+",
}
KIND_NAMES = {
    "pruning": "pruning",
    "lr": "learning rate",
    "quantization": "quantization",
    "training": "training range",
    "distillation": "distillation",
    "other": "other",
}


@dataclasses.dataclass
class Planned:
    """One recipe to draw: its timeline and its lint problems.

    A recipe with errors is drawn from the modifiers that loaded, with `note` saying
    so; `timeline` is None where nothing could be planned (`note` says why)."""

    recipe: Recipe
    timeline: Timeline | None
    problems: list[Problem]
    name: str
    # what a run measured, per step: "lr" and "sparsity_<modifier index>"
    observed: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    note: str | None = None
    layers: LayerPlan | None = None  # with --model: what each layer keeps


def keep_points(values: np.ndarray, must: np.ndarray | None = None) -> np.ndarray:
    """Indexes to draw: the first and last step, every change, thinned in long runs.

    A run is a stretch where the value changes on every step (a smooth function);
    it keeps its ends and at most MAX_RUN_POINTS points. Isolated changes (jumps,
    pruning updates) are all kept, and so are the indexes in `must`.
    """
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    v = np.where(np.isnan(values), -np.inf, values)
    change = np.flatnonzero(np.concatenate([[True], v[1:] != v[:-1]]))
    keep = [change, np.array([n - 1])]
    if len(change) > 1:
        gaps = np.diff(change)
        starts = np.flatnonzero(np.concatenate([[True], gaps != 1]))
        bounds = [*starts, len(change)]
        thinned = []
        for a, b in itertools.pairwise(bounds):
            run = change[a:b]
            if len(run) > MAX_RUN_POINTS:
                step = math.ceil(len(run) / MAX_RUN_POINTS)
                run = np.concatenate([run[::step], run[-1:]])
            thinned.append(run)
        keep = [np.concatenate(thinned), np.array([n - 1])]
        # the step before a run ends: the last value of the run is drawn exactly
        keep.append(change[np.flatnonzero(gaps != 1)] + gaps[gaps != 1] - 1)
    if must is not None:
        keep.append(must)
    out = np.unique(np.concatenate(keep))
    return out[(out >= 0) & (out < n)]


def _label(e: Events) -> str:
    return f"#{e.index} {e.type} (line {e.entry.line})"


def _params(e: Events) -> str:
    p = getattr(e.model, "params", None)
    if isinstance(p, list):
        return ", ".join(p[:3]) + (f" +{len(p) - 3}" if len(p) > 3 else "")
    return str(p)


def _round(a: np.ndarray, digits: int = 10) -> list[Any]:
    return [None if x != x else float(f"{x:.{digits}g}") for x in a.tolist()]


def sparsity_traces(p: Planned, color: str | None, prefix: str) -> list[dict[str, Any]]:
    t = p.timeline
    assert t is not None
    traces = []
    for e in t.modifiers:
        series = t.sparsity.get(e.index)
        if series is None:
            continue
        steps = np.asarray(list(e.update_steps), dtype=np.int64)
        must = steps if len(steps) <= MAX_UPDATE_POINTS else None
        idx = keep_points(series, must)
        idx = idx[~np.isnan(series[idx])]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "line": {
                    "shape": "hv",
                    "width": 2,
                    **({"color": color} if color else {}),
                },
                "name": f"{prefix}{_label(e)}: {_params(e)}",
                "x": _round(t.epochs[idx]),
                "y": _round(series[idx]),
                "customdata": idx.tolist(),
                "hovertemplate": "epoch %{x:.4f}<br>step %{customdata}<br>"
                "sparsity %{y:.4f}<extra>%{fullData.name}</extra>",
            }
        )
    return traces


def lr_traces(p: Planned, color: str | None, prefix: str) -> list[dict[str, Any]]:
    t = p.timeline
    assert t is not None
    lr, src = t.lr[0], t.lr_source[0]
    jumps = np.flatnonzero(np.concatenate([[False], src[1:] != src[:-1]]))
    idx = keep_points(lr, np.concatenate([jumps - 1, jumps]))
    idx = idx[~np.isnan(lr[idx])]
    if not len(idx):
        return []  # no LR modifier: the optimizer keeps its own LR
    labels = {e.index: _label(e) for e in t.modifiers}
    who = [labels.get(int(i), "optimizer") for i in src[idx]]
    return [
        {
            "type": "scatter",
            "mode": "lines",
            "line": {"shape": "hv", "width": 2, **({"color": color} if color else {})},
            "name": f"{prefix}learning rate",
            "x": _round(t.epochs[idx]),
            "y": _round(lr[idx], 12),
            "customdata": [[int(k), w] for k, w in zip(idx.tolist(), who, strict=True)],
            "hovertemplate": "epoch %{x:.4f}<br>step %{customdata[0]}<br>LR %{y:.6g}"
            "<br>set by %{customdata[1]}<extra>%{fullData.name}</extra>",
        }
    ]


def observed_traces(p: Planned, key: str, prefix: str) -> list[dict[str, Any]]:
    """What training measured, dotted over the plan (from a run's observed.csv)."""
    t = p.timeline
    assert t is not None
    out = []
    for name, values in sorted(p.observed.items()):
        if not name.startswith(key):
            continue
        values = np.asarray(values[: t.total_steps], dtype=np.float64)
        idx = keep_points(values)
        out.append(
            {
                "type": "scatter",
                "mode": "lines",
                "line": {"shape": "hv", "width": 2, "dash": "dot", "color": "#111"},
                "name": f"{prefix}observed {name.replace('_', ' #')}",
                "x": _round(t.epochs[idx]),
                "y": _round(values[idx], 12),
                "customdata": idx.tolist(),
                "hovertemplate": "epoch %{x:.4f}<br>step %{customdata}<br>"
                "observed %{y:.6g}"
                "<extra>%{fullData.name}</extra>",
            }
        )
    return out


def gantt_traces(p: Planned, color: str | None, prefix: str) -> list[dict[str, Any]]:
    """One bar a modifier: kinds by colour, or in compare mode recipes by colour
    and kinds by fill pattern (a recipe's pruning bar keeps its recipe's colour)."""
    t = p.timeline
    assert t is not None
    end_of_training = t.total_steps / t.steps_per_epoch
    by_kind: dict[str, dict[str, list[Any]]] = {}
    for e in t.modifiers:
        m = e.model
        kind = type(m).KIND
        start = max(m.start, 0.0)
        end = m.end if m.end > -1 else end_of_training
        if m.start == -1:
            start = 0.0
        d = by_kind.setdefault(kind, {"y": [], "x": [], "base": [], "text": []})
        d["y"].append(f"{prefix}{_label(e)}")
        d["x"].append(max(end - start, end_of_training / 400))
        d["base"].append(start)
        d["text"].append(
            f"{_label(e)}<br>epochs {m.start:g} to "
            f"{'end' if m.end == -1 else format(m.end, 'g')}"
        )
    return [
        {
            "type": "bar",
            "orientation": "h",
            "name": f"{prefix}{kind}",
            "y": d["y"],
            "x": d["x"],
            "base": d["base"],
            "marker": (
                {
                    "color": color,
                    "opacity": 0.85,
                    "pattern": {
                        "shape": KIND_PATTERNS.get(kind, "+"),
                        "fillmode": "replace",
                        "bgcolor": color,
                        "fgcolor": "#fff",
                        "size": 8,
                        "solidity": 0.3,
                    },
                }
                if color
                else {"color": KIND_COLORS.get(kind, "#999")}
            ),
            "hovertext": d["text"],
            "hoverinfo": "text",
        }
        for kind, d in by_kind.items()
    ]


def phase_shapes(p: Planned, color: str | None) -> list[dict[str, Any]]:
    shapes = []
    assert p.timeline is not None
    for ph in p.timeline.phases:
        if color is None:
            shapes.append(
                {
                    "type": "rect",
                    "xref": "x",
                    "yref": "paper",
                    "layer": "below",
                    "x0": ph.start_epoch,
                    "x1": ph.end_epoch,
                    "y0": 0,
                    "y1": 1,
                    "fillcolor": PHASE_COLORS.get(ph.name, "rgba(0,0,0,0.05)"),
                    "line": {"width": 0},
                    "name": f"phase-{ph.name}",
                }
            )
        else:
            shapes.append(
                {
                    "type": "line",
                    "xref": "x",
                    "yref": "paper",
                    "x0": ph.start_epoch,
                    "x1": ph.start_epoch,
                    "y0": 0,
                    "y1": 1,
                    "name": f"phase-{ph.name}",
                    "line": {"color": color, "width": 1, "dash": "dot"},
                }
            )
    return shapes


def kinds_present(planned: list[Planned]) -> list[str]:
    """The modifier kinds the page draws, in the legend's order."""
    found: set[str] = {
        type(e.model).KIND
        for p in planned
        if p.timeline is not None
        for e in p.timeline.modifiers
    }
    return [k for k in KIND_NAMES if k in found] + sorted(found - set(KIND_NAMES))


def figures(planned: list[Planned]) -> list[dict[str, Any]]:
    compare = len(planned) > 1
    drawn = [p for p in planned if p.timeline is not None]
    x_max = max(
        (t.total_steps / t.steps_per_epoch for p in drawn if (t := p.timeline)),
        default=1.0,
    )
    sparsity, lr, gantt, shapes = [], [], [], []
    for i, p in enumerate(planned):
        if p.timeline is None:
            continue
        color = RECIPE_COLORS[i % len(RECIPE_COLORS)] if compare else None
        prefix = f"{p.name}: " if compare else ""
        sparsity += sparsity_traces(p, color, prefix)
        lr += lr_traces(p, color, prefix)
        sparsity += observed_traces(p, "sparsity_", prefix)
        lr += observed_traces(p, "lr", prefix)
        gantt += gantt_traces(p, color, prefix)
        shapes += phase_shapes(p, color if i else None)
    annotations = [
        {
            "x": (ph.start_epoch + ph.end_epoch) / 2,
            "y": 1.0,
            "xref": "x",
            "yref": "paper",
            "yanchor": "bottom",
            "showarrow": False,
            "text": ph.name,
            "font": {"size": 10, "color": "#555"},
        }
        for ph in (drawn[0].timeline.phases if drawn and drawn[0].timeline else [])
        if ph.name in ("stabilization", "pruning", "fine-tuning", "qat")
    ]

    def layout(title: str, ytitle: str, **extra: Any) -> dict[str, Any]:
        return {
            "title": {"text": title, "x": 0, "font": {"size": 15}},
            "xaxis": {
                "title": {"text": "epoch"},
                "range": [0, x_max],
                "showspikes": True,
                "spikemode": "across",
            },
            "yaxis": {"title": {"text": ytitle}},
            "shapes": shapes,
            "annotations": annotations,
            "margin": {"l": 70, "r": 20, "t": 40, "b": 50},
            "legend": {"orientation": "h", "y": -0.32},
            "hovermode": "closest",
            "height": 300,
            **extra,
        }

    rows = sum(len(p.timeline.modifiers) for p in drawn if p.timeline)
    return [
        {
            "id": "fig-sparsity",
            "data": sparsity,
            "layout": layout(
                "Target sparsity, as SparseML applies it",
                "sparsity",
                yaxis={"title": {"text": "sparsity"}, "range": [0, 1]},
            ),
        },
        {
            "id": "fig-lr",
            "data": lr,
            "layout": layout(
                "Learning rate at every step",
                "learning rate",
                updatemenus=[
                    {
                        "type": "buttons",
                        "direction": "right",
                        "x": 0.4,
                        "xanchor": "left",
                        "y": 1.2,
                        "showactive": True,
                        "buttons": [
                            {
                                "label": "linear",
                                "method": "relayout",
                                "args": [{"yaxis.type": "linear"}],
                            },
                            {
                                "label": "log",
                                "method": "relayout",
                                "args": [{"yaxis.type": "log"}],
                            },
                        ],
                    }
                ],
            ),
        },
        {
            "id": "fig-gantt",
            "data": gantt,
            "layout": layout(
                "Modifier windows",
                "",
                barmode="overlay",
                height=max(220, 70 + 26 * rows),
                yaxis={"autorange": "reversed", "automargin": True},
            ),
        },
    ]


def layer_figure(planned: list[Planned]) -> dict[str, Any] | None:
    """Final sparsity per layer (`--model`): one bar a parameter, in model order;
    hover gives its MACs, dense and nonzero."""
    compare = len(planned) > 1
    traces = []
    for i, p in enumerate(planned):
        if p.layers is None or not p.layers.layers:
            continue
        pruned = {x.param: x for x in p.layers.layers}
        every = p.layers.all_weights or tuple(
            (x.param, x.macs) for x in pruned.values()
        )
        color = (
            RECIPE_COLORS[i % len(RECIPE_COLORS)] if compare else KIND_COLORS["pruning"]
        )
        kept = KIND_COLORS["training"]
        ys, data = [], []
        for name, macs in every:
            x = pruned.get(name)
            ys.append(None if x is None else x.final_sparsity)
            nonzero = macs if x is None else x.nonzero_macs
            data.append(
                [
                    macs / 1e6,
                    None if nonzero is None else nonzero / 1e6,
                    "not pruned" if x is None else x.modifier,
                ]
            )
        traces.append(
            {
                "type": "bar",
                "name": p.name,
                "x": [name for name, _ in every],
                "y": ys,
                "marker": {"color": color},
                "customdata": data,
                "hovertemplate": "%{x}<br>final sparsity %{y:.3f}<br>"
                "%{customdata[0]:.3f} MMACs, %{customdata[1]:.3f} nonzero<br>"
                "%{customdata[2]}<extra>%{fullData.name}</extra>",
            }
        )
        dense = [(n, m) for n, m in every if n not in pruned]
        if dense and not compare:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": "not pruned",
                    "x": [n for n, _ in dense],
                    "y": [0.0] * len(dense),
                    "marker": {"color": kept, "symbol": "x", "size": 9},
                    "customdata": [m / 1e6 for _, m in dense],
                    "hovertemplate": "%{x}: not pruned<br>%{customdata:.3f} MMACs"
                    "<extra></extra>",
                }
            )
    if not traces:
        return None
    return {
        "id": "fig-layers",
        "sync": False,
        "data": traces,
        "layout": {
            "title": {
                "text": "Final sparsity per layer (x: not pruned; hover: MACs)",
                "x": 0,
                "font": {"size": 15},
            },
            "xaxis": {"type": "category", "tickangle": -60, "automargin": True},
            "yaxis": {"title": {"text": "sparsity"}, "range": [0, 1]},
            "barmode": "group",
            "margin": {"l": 70, "r": 20, "t": 40, "b": 50},
            "legend": {"orientation": "h", "y": 1.12},
            "height": 360,
        },
    }


def _plotly_js() -> str:
    return (resources.files("plotly") / "package_data" / "plotly.min.js").read_text(
        encoding="utf-8"
    )


def planned_of(
    recipe: Recipe | Planned,
    steps_per_epoch: int,
    network: Network | None = None,
    name: str | None = None,
) -> Planned:
    """A recipe linted and planned at `steps_per_epoch` (a `Planned` as it is).

    A recipe with errors is planned from the modifiers that loaded, with a note
    saying so; with a `network`, what each layer keeps is drawn too."""
    if isinstance(recipe, Planned):
        return recipe
    from ..linter.engine import lint_recipe
    from ..model.layerplan import layer_plan
    from ..schedule.timeline import ScheduleError, plan

    name = name or Path(str(recipe.path)).name
    problems = lint_recipe(
        recipe, steps_per_epoch=steps_per_epoch, network=network
    ).problems
    refused = (
        f"SparseML would refuse this recipe ({len(errors(recipe.problems))} "
        "error(s) below)"
    )
    loaded, total = len(recipe.models), len(recipe.modifiers)
    if not recipe.ok and not loaded:
        return Planned(recipe, None, problems, name, note=refused)
    note = None
    if not recipe.ok:
        note = f"{refused}; drawn from the {loaded} of {total} modifiers that loaded"
    timeline: Timeline | None
    try:
        timeline = plan(recipe, steps_per_epoch, partial=True)
    except ScheduleError as exc:
        timeline = None
        note = (note + "; " if note else "") + f"nothing to draw: {exc}"
    layers = layer_plan(recipe, network) if network is not None and recipe.ok else None
    return Planned(recipe, timeline, problems, name, note=note, layers=layers)


def render(planned: list[Planned], run: dict[str, Any] | None = None) -> str:
    """The HTML page: header, figures, lint problems and the recipes' text; with
    `run` (a run report's `run_section`), what the run measured above them."""
    figs = [{**f, "sync": True} for f in figures(planned)]
    per_layer = layer_figure(planned)
    if per_layer is not None:
        figs.append(per_layer)
    recipes = []
    for n, p in enumerate(planned):
        t = p.timeline
        facts: dict[str, Any] = {"planned": t is not None}
        if t is not None:
            finals = [
                (e, float(t.sparsity[e.index][-1]))
                for e in t.modifiers
                if e.index in t.sparsity and len(t.sparsity[e.index])
            ]
            facts.update(
                max_epochs=t.max_epochs,
                epochs=t.total_steps / t.steps_per_epoch,
                steps_per_epoch=t.steps_per_epoch,
                total_steps=t.total_steps,
                finals=[(_label(e), v) for e, v in finals],
                crashes=[(_label(e), e.crash, e.crash_step) for e in t.crashes],
            )
        recipes.append(
            {
                "n": n,
                "name": p.name,
                "color": RECIPE_COLORS[n % len(RECIPE_COLORS)]
                if len(planned) > 1
                else None,
                "note": p.note,
                "problems": p.problems,
                "lines": p.recipe.source.text.split("\n"),
                **facts,
            }
        )
    compare = len(planned) > 1
    legend = [
        {
            "kind": k,
            "name": KIND_NAMES.get(k, k),
            "color": KIND_COLORS.get(k, "#999"),
            "pattern": _css_pattern(KIND_PATTERNS.get(k, "+")) if compare else None,
        }
        for k in kinds_present(planned)
    ]
    return page(
        " vs ".join(p.name for p in planned), recipes, figs, legend, compare, run
    )


def staged_card(path: str, text: str, note: str, problems: list[Any]) -> dict[str, Any]:
    """The one recipe of a staged recipe's page: its note, problems and text."""
    return {
        "n": 0,
        "name": path,
        "color": None,
        "note": note,
        "problems": problems,
        "lines": text.split("\n"),
        "planned": False,
    }


def page(
    title: str,
    recipes: list[dict[str, Any]],
    figs: list[dict[str, Any]],
    legend: list[dict[str, Any]] | None = None,
    compare: bool = False,
    run: dict[str, Any] | None = None,
    llm_run: dict[str, Any] | None = None,
) -> str:
    """The preview page (its template, plotly inlined): the recipes' facts,
    problems and text, and the figures (plotly JSON with an `id` and whether
    zooming it zooms the others, `sync`); above them what a SparseML run
    measured (`run`) or an llm-compressor run's report.json (`llm_run`)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"]),
    )
    return env.get_template("preview.html.j2").render(
        title=title,
        recipes=recipes,
        figures=[
            {
                "id": f["id"],
                "sync": f["sync"],
                "json": json.dumps(
                    {"data": f["data"], "layout": f["layout"]},
                    separators=(",", ":"),
                    allow_nan=False,
                ),
            }
            for f in figs
        ],
        plotly_js=_plotly_js(),
        legend=legend or [],
        compare=compare,
        run=run,
        llm_run=llm_run,
    )


def _css_pattern(shape: str) -> str:
    """The legend swatch of a plotly fill pattern, as a CSS background."""
    ink = "#555"
    lines = {
        "/": f"repeating-linear-gradient(45deg, {ink} 0 2px, #fff 2px 5px)",
        "\\": f"repeating-linear-gradient(-45deg, {ink} 0 2px, #fff 2px 5px)",
        "x": f"repeating-linear-gradient(45deg, {ink} 0 1px, transparent 1px 5px), "
        f"repeating-linear-gradient(-45deg, {ink} 0 1px, #fff 1px 5px)",
        ".": f"radial-gradient({ink} 1px, #fff 1.5px) 0 0 / 4px 4px",
        "+": f"linear-gradient({ink} 1px, transparent 1px) 0 0 / 5px 5px, "
        f"linear-gradient(90deg, {ink} 1px, #fff 1px) 0 0 / 5px 5px",
    }
    return lines.get(shape, ink)
