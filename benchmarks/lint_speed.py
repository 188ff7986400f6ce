"""Speed of `recipe lint` against SparseML's own import + from_yaml, as ratios.

Prints: cold start of `recipe lint` on one recipe (a fresh process each run), linting
the whole corpus in one process, and the same work done by SparseML 1.8. Machines
here are shared and noisy: compare the ratios within one run, not the seconds.

Both sides are timed as installed: pip writes the bytecode of SparseML's modules at
install, so ours is written first too (`compileall`); an editable checkout under
PYTHONDONTWRITEBYTECODE=1 would otherwise recompile every module on every start.
"""

from __future__ import annotations

import compileall
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


def once(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=False, capture_output=True, env=ENV)
    return time.perf_counter() - t


def interleaved(
    ours: list[str], theirs: list[str], rounds: int, per_round: int
) -> tuple[float, float]:
    """Medians of `ours` (run `per_round` times a round) and `theirs` (once a
    round), alternated so that both see the same machine."""
    a: list[float] = []
    b: list[float] = []
    for i in range(rounds):
        a += [once(ours) for _ in range(per_round)]
        b.append(once(theirs))
        print(
            f"  round {i + 1}/{rounds}: recipe lint {statistics.median(a[-per_round:]) * 1000:.0f} ms, "
            f"sparseml {b[-1] * 1000:.0f} ms",
            file=sys.stderr,
        )
    return statistics.median(a), statistics.median(b)


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
    "import sys, recipe_compiler.cli as c; from recipe_compiler.linter.engine import lint_paths; "
    "lint_paths([sys.argv[1]]); print(sorted(m for m in ('torch', 'sparseml', 'plotly', "
    "'numpy') if m in sys.modules))"
)


def cpu() -> str:
    """The CPU, its cores and the vector extensions speed depends on."""
    from recipe_compiler.hardware.cpu import detect

    return detect().describe()


def main() -> None:
    py = sys.executable
    compileall.compile_dir(str(ROOT / "recipe_compiler"), quiet=1)
    print(f"CPU: {cpu()}", file=sys.stderr)
    print(
        "cold `recipe lint` and SparseML's import + from_yaml on one recipe, "
        "interleaved:",
        file=sys.stderr,
    )
    ours_one, sml_one = interleaved(
        [str(BIN / "recipe"), "lint", str(RECIPE)],
        [py, "-c", SPARSEML_ONE, str(RECIPE)],
        rounds=5,
        per_round=5,
    )
    print("the same on the whole corpus, one process each:", file=sys.stderr)
    ours_all, sml_all = interleaved(
        [str(BIN / "recipe"), "lint", str(CORPUS)],
        [py, "-c", SPARSEML_ALL, str(CORPUS)],
        rounds=3,
        per_round=2,
    )
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
    print(f"CPU: {cpu()}")


if __name__ == "__main__":
    main()
