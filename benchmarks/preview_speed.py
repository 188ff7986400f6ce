"""Render time and size of `recipe preview` for a 300-epoch recipe at 2,000 steps per
epoch (600,000 steps), against plotting every step. Targets: under 1 s, under 6 MB."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recipe_compiler.linter.engine import lint_recipe  # noqa: E402
from recipe_compiler.loader.recipe import load  # noqa: E402
from recipe_compiler.schedule.timeline import plan  # noqa: E402
from recipe_compiler.views.preview import Planned, figures, render  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "corpus" / "sparseml"
CASES = [
    (
        "bundled YOLOv5s GMP at 300 epochs",
        ROOT / "recipes" / "yolov5s-gmp.md",
        {"num_pruning_epochs": 180, "num_finetuning_epochs": 120},
    ),
    (
        "yolov5s.pruned_quantized (302 epochs)",
        CORPUS
        / "integrations__ultralytics-yolov5__recipes__yolov5s.pruned_quantized.md",
        None,
    ),
]
SPE = 2000


def main() -> None:
    print(
        f"{'recipe':40s} {'steps':>9s} {'plan+render':>12s} {'size':>9s} "
        f"{'points':>8s} {'every step would be':>20s}"
    )
    for name, path, overrides in CASES:
        recipe = load(path, overrides)
        problems = lint_recipe(recipe).problems
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            page = render([Planned(recipe, plan(recipe, SPE), problems, path.name)])
            times.append(time.perf_counter() - t0)
        t = plan(recipe, SPE)
        figs = figures([Planned(recipe, t, problems, path.name)])
        points = sum(len(tr.get("x", [])) for f in figs[:2] for tr in f["data"])
        full = t.total_steps * (1 + len(t.sparsity)) * 2 * 20  # ~20 bytes a number
        print(
            f"{name:40s} {t.total_steps:9,d} {statistics.median(times) * 1000:10.0f}ms "
            f"{len(page.encode()) / 1e6:7.2f}MB {points:8,d} "
            f"{full / 1e6:17.1f} MB"
        )


if __name__ == "__main__":
    main()
