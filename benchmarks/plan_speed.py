"""Speed of `schedule.plan` against SparseML's own step-by-step replay.

Plans 300-epoch recipes at 2,000 steps per epoch (600,000 steps), and replays the
same schedules in SparseML's manager on a tiny model for a shorter run; prints both
per step, as a ratio. Machines here are shared and noisy: read the ratio.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recipe_compiler.loader.recipe import load  # noqa: E402
from recipe_compiler.schedule.timeline import plan  # noqa: E402

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
    (
        "resnet50-pruned (90 epochs, MultiStepLR)",
        CORPUS / "integrations__pytorch__recipes__resnet50-pruned.md",
        None,
    ),
]
SPE = 2000


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    import tempfile

    from tests.schedule.test_schedule_parity import param_groups_used, tiny_version
    from tests.sml_harness import run as replay

    os.chdir(tempfile.mkdtemp())  # SparseML writes sparse_logs/ here

    print(
        f"{'recipe':42s} {'steps':>9s} {'plan':>9s} {'per step':>10s} "
        f"{'sparseml/step':>14s} {'ratio':>9s}"
    )
    for name, path, overrides in CASES:
        recipe = load(path, overrides)
        t = plan(recipe, SPE)
        ours = median_time(lambda: plan(recipe, SPE), 5)  # noqa: B023
        tiny = load(tiny_version(recipe), text=True)
        n = 400
        print(f"  replaying {n} steps in SparseML for {name}...", file=sys.stderr)
        text, groups = tiny_version(recipe), param_groups_used(recipe)
        theirs = median_time(lambda: replay(text, 100, n, n_groups=groups), 3)  # noqa: B023
        per_ours, per_theirs = ours / t.total_steps, theirs / n
        print(
            f"{name:42s} {t.total_steps:9,d} {ours * 1000:7.1f}ms "
            f"{per_ours * 1e9:8.0f}ns {per_theirs * 1e6:12.0f}us "
            f"{per_theirs / per_ours:8.0f}x"
        )
        assert tiny.ok


if __name__ == "__main__":
    main()
