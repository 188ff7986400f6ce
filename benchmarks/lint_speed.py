"""Speed of `recipe lint` against SparseML's own import + from_yaml, as ratios.

Prints: cold start of `recipe lint` on one recipe (a fresh process each run), linting
the whole corpus in one process, and the same work done by SparseML 1.8. Machines
here are shared and noisy: compare the ratios within one run, not the seconds.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "corpus"
RECIPE = ROOT / "recipes" / "yolov5s-gmp.md"
BIN = Path(sys.executable).parent
ENV = {"NM_DISABLE_ANALYTICS": "1", "PATH": str(BIN) + ":/usr/bin:/bin"}


def timed(cmd: list[str], runs: int) -> float:
    times = []
    for i in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=False, capture_output=True, env=ENV)
        times.append(time.perf_counter() - t)
        print(f"  run {i + 1}/{runs}: {times[-1] * 1000:.0f} ms", file=sys.stderr)
    return statistics.median(times)


SPARSEML_ONE = """
import sys, warnings; warnings.filterwarnings('ignore')
from sparseml.pytorch.optim import ScheduledModifierManager
ScheduledModifierManager.from_yaml(sys.argv[1])
"""
SPARSEML_ALL = """
import sys, warnings, glob; warnings.filterwarnings('ignore')
from sparseml.pytorch.optim import ScheduledModifierManager
for f in sorted(glob.glob(sys.argv[1] + '/sparseml/*')):
    try: ScheduledModifierManager.from_yaml(f)
    except Exception: pass
"""
HEAVY = (
    "import sys, recipe_compiler.cli as c; from recipe_compiler.lint import lint_paths; "
    "lint_paths([sys.argv[1]]); print(sorted(m for m in ('torch', 'sparseml', 'plotly', "
    "'numpy') if m in sys.modules))"
)


def main() -> None:
    py = sys.executable
    print("cold `recipe lint` on one recipe (median of 10):", file=sys.stderr)
    ours_one = timed([str(BIN / "recipe"), "lint", str(RECIPE)], 10)
    print(
        "SparseML import + from_yaml on the same recipe (median of 3):", file=sys.stderr
    )
    sml_one = timed([py, "-c", SPARSEML_ONE, str(RECIPE)], 3)
    print(
        "cold `recipe lint` on the corpus, one process (median of 5):", file=sys.stderr
    )
    ours_all = timed([str(BIN / "recipe"), "lint", str(CORPUS)], 5)
    print(
        "SparseML import + from_yaml on every corpus file (median of 3):",
        file=sys.stderr,
    )
    sml_all = timed([py, "-c", SPARSEML_ALL, str(CORPUS)], 3)
    heavy = subprocess.run(
        [py, "-c", HEAVY, str(RECIPE)],
        capture_output=True,
        text=True,
        env=ENV,
        check=True,
    ).stdout.strip()
    n = len(list((CORPUS / "sparseml").iterdir()))
    print()
    print(f"{'':40s} {'recipe lint':>12s} {'sparseml':>12s} {'ratio':>8s}")
    print(
        f"{'one recipe, cold start':40s} {ours_one * 1000:10.0f}ms {sml_one * 1000:10.0f}ms "
        f"{sml_one / ours_one:7.1f}x"
    )
    print(
        f"{f'corpus ({n} files), one process':40s} {ours_all * 1000:10.0f}ms "
        f"{sml_all * 1000:10.0f}ms {sml_all / ours_all:7.1f}x"
    )
    print(f"heavy modules imported by lint: {heavy}")


if __name__ == "__main__":
    main()
