"""What a run reports: report.json (the layout docs/runner.md documents), report.md
for people, and report.html, the plan with what training did drawn over it."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path
from typing import Any

from ..fileio import write_atomic
from ..loader.recipe import Recipe
from ..problems import Problem


@dataclasses.dataclass
class Report:
    out: str
    model: str
    steps_per_epoch: int
    epochs: float
    score_name: str  # "accuracy" or "val_loss"
    dense_score: float
    score: float
    sparsity: dict[str, float]  # modifier label -> fraction of zeros at the end
    onnx: str | None
    onnx_max_abs_diff: float | None
    seconds: float
    bench: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    recipe: str = ""
    per_layer: dict[str, float] = dataclasses.field(default_factory=dict)
    overall_sparsity: float | None = None
    max_lr_diff: float | None = None  # planned vs observed, over every step
    max_sparsity_diff: float | None = None
    onnx_output_max_abs: float | None = None  # the scale max_abs_diff is out of
    mac_ratio: float | None = None  # all conv/linear MACs over nonzero-weight ones
    rescaled_to: float | None = None  # dense epochs the recipe was rescaled to
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)  # --var
    metrics: dict[str, dict[str, float]] = dataclasses.field(
        default_factory=dict
    )  # more figures of the task (a detector's mAP): name -> {dense, sparse}
    cpu: dict[str, Any] = dataclasses.field(default_factory=dict)  # cpu.CPU.to_dict

    def to_dict(self) -> dict[str, Any]:
        """report.json: the layout docs/runner.md documents."""
        return {
            "recipe": self.recipe,
            "rescaled_to": self.rescaled_to,
            "overrides": self.overrides,
            "model": self.model,
            "epochs": self.epochs,
            "steps_per_epoch": self.steps_per_epoch,
            self.score_name: {"dense": self.dense_score, "sparse": self.score},
            **self.metrics,
            "planned_vs_observed": {
                "max_lr_diff": self.max_lr_diff,
                "max_sparsity_diff": self.max_sparsity_diff,
            },
            "sparsity": {
                "overall": self.overall_sparsity,
                "per_layer": self.per_layer,
                "per_modifier": self.sparsity,
                "nonzero_mac_ratio": self.mac_ratio,
            },
            "export": {
                "path": self.onnx,
                "max_abs_diff": self.onnx_max_abs_diff,
                "output_max_abs": self.onnx_output_max_abs,
            },
            "bench": self.bench,
            "cpu": self.cpu,
            "seconds": self.seconds,
        }

    def figures(self) -> list[tuple[str, float, float]]:
        """(name, dense, after the recipe): the task's score and its metrics."""
        return [
            (self.score_name, self.dense_score, self.score),
            *((k, v["dense"], v["sparse"]) for k, v in self.metrics.items()),
        ]

    def summary(self) -> str:
        """The line `recipe run` ends with."""
        sparsity = ", ".join(f"{k} {v:.3f}" for k, v in self.sparsity.items())
        more = "".join(
            f", {name} {v['dense']:.4f} -> {v['sparse']:.4f}"
            for name, v in self.metrics.items()
        )
        return (
            f"dense {self.score_name} {self.dense_score:.4f} -> {self.score:.4f}"
            f"{more} after the recipe; sparsity {sparsity}; ONNX {self.onnx} "
            f"(max |onnxruntime - torch| {self.onnx_max_abs_diff:.2g} of outputs up "
            f"to {self.onnx_output_max_abs:.3g})"
        )


def compare_with_plan(
    recipe: Recipe,
    problems: list[Problem],
    spe: int,
    out_dir: Path,
    title: str | None = None,
) -> tuple[Any, float | None, float | None]:
    """The preview of the recipe (with its lint `problems`) and the run's
    measurements of `DIR/observed.csv` to draw over it, for `DIR/report.html`.

    Returns it with the largest differences between plan and run over every step:
    of the LR (first param group) and of each pruning modifier's sparsity.
    `title` heads the page (default: the recipe file's name and the folder).
    """
    import numpy as np

    from ..schedule.timeline import plan
    from ..views.preview import Planned

    with (out_dir / "observed.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    observed = {
        key: np.array([float(r[key]) for r in rows])
        for key in (rows[0] if rows else {})
        if key == "lr" or key.startswith("sparsity_")
    }
    timeline = plan(recipe, spe)
    n = min(len(rows), timeline.total_steps)
    lr_diff = sparsity_diff = None
    if n and "lr" in observed and timeline.lr.shape[0]:
        planned = timeline.lr[0][:n]
        known = ~np.isnan(planned)  # NaN: no modifier has set the LR yet
        if known.any():
            lr_diff = float(np.max(np.abs(observed["lr"][:n] - planned)[known]))
    for index, target in timeline.sparsity.items():
        got = observed.get(f"sparsity_{index}")
        if n and got is not None:
            d = float(np.max(np.abs(got[:n] - target[:n])))
            sparsity_diff = d if sparsity_diff is None else max(sparsity_diff, d)
    title = title or f"{Path(recipe.path).name}, run in {out_dir}"
    drawn = Planned(recipe, timeline, problems, title, observed)
    return drawn, lr_diff, sparsity_diff


def run_section(report: Report) -> dict[str, Any]:
    """What report.md says, for the page: scores, export, sparsity, benchmark."""
    from ..hardware.cpu import CPU

    note = CPU.from_dict(report.cpu) if report.cpu else None
    return {
        "title": f"{Path(report.recipe).name} on {report.model}",
        "epochs": report.epochs,
        "steps_per_epoch": report.steps_per_epoch,
        "seconds": report.seconds,
        "rescaled_to": report.rescaled_to,
        "figures": report.figures(),
        "lr_diff": report.max_lr_diff,
        "sparsity_diff": report.max_sparsity_diff,
        "onnx": report.onnx,
        "onnx_diff": report.onnx_max_abs_diff,
        "onnx_scale": report.onnx_output_max_abs,
        "overall": report.overall_sparsity,
        "mac_ratio": report.mac_ratio,
        "per_layer": list(report.per_layer.items()),
        "per_modifier": list(report.sparsity.items()),
        "bench": report.bench,
        "cpu": note.describe() if note else None,
        "int8_note": note.int8_note() if note else None,
    }


def report_markdown(report: Report) -> str:
    """`out/report.md`: what report.json holds, for people."""

    def num(v: float | None, fmt: str = ".4g") -> str:
        return "n/a" if v is None else format(v, fmt)

    lines = [
        f"# recipe run: {Path(report.recipe).name} on {report.model}",
        "",
        f"- epochs {report.epochs:g}, {report.steps_per_epoch} steps an epoch, "
        f"{report.seconds:.0f} s"
        + (
            f"; recipe rescaled to {report.rescaled_to:g} dense epochs (recipe.*)"
            if report.rescaled_to
            else ""
        ),
        f"- {report.score_name}: dense {report.dense_score:.4f}, "
        f"after the recipe {report.score:.4f}",
        *(
            f"- {name}: dense {v['dense']:.4f}, after the recipe {v['sparse']:.4f}"
            for name, v in report.metrics.items()
        ),
        f"- planned vs observed over every step: LR differs by at most "
        f"{num(report.max_lr_diff)}, sparsity by at most "
        f"{num(report.max_sparsity_diff)} (rounding to whole weights)",
        f"- export: {report.onnx or 'none'}, max |onnxruntime - torch| "
        f"{num(report.onnx_max_abs_diff, '.2g')} (outputs up to "
        f"{num(report.onnx_output_max_abs, '.3g')})",
        "",
        f"## Sparsity: {num(report.overall_sparsity, '.3f')} overall; "
        f"{num(report.mac_ratio, '.2f')}x fewer multiply-accumulates with a nonzero "
        "weight (the most sparsity alone can speed up)",
        "",
        "| tensor | sparsity |",
        "|---|---:|",
        *(f"| `{n}` | {v:.3f} |" for n, v in report.per_layer.items()),
    ]
    if report.bench:
        from .bench import table

        section = run_section(report)
        lines += ["", "## Benchmark", ""]
        if section["cpu"]:
            lines += [f"Measured on {section['cpu']}: {section['int8_note']}.", ""]
        lines += ["```", table(report.bench), "```"]
    lines += ["", "The plan with the run drawn over it: report.html.", ""]
    return "\n".join(lines)


def write(report: Report, out_dir: Path, drawn: Any = None) -> None:
    """`DIR/report.json`, `DIR/report.md`, and with the plan `drawn`,
    `DIR/report.html`: the plan, the run over it, and what report.md says."""
    write_atomic(out_dir / "report.json", json.dumps(report.to_dict(), indent=2) + "\n")
    write_atomic(out_dir / "report.md", report_markdown(report))
    if drawn is not None:
        from ..views.preview import render

        write_atomic(out_dir / "report.html", render([drawn], run=run_section(report)))
