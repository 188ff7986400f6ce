"""Speed of `recipe lint` against SparseML's own import + from_yaml, as ratios.

Prints: cold start of `recipe lint` on one recipe (a fresh process each run), linting
the whole corpus in one process, and the same work done by SparseML 1.8. Machines
here are shared and noisy: compare the ratios within one run, not the seconds.

Both sides are timed as installed: pip writes the bytecode of SparseML's modules at
install, so ours is written first too (`compileall`); an editable checkout under
PYTHONDONTWRITEBYTECODE=1 would otherwise recompile every module on every start.

Then the linters a CI or pre-commit already runs on recipes: the cold start of
`recipe lint`, yamllint and check-jsonschema (against our schema) on one YAML
recipe, and `recipe lint` (over the cores, and with -j 1) beside yamllint on a
folder of 268 generated recipes, ordinary and heavy per-layer ones. yamllint and
check-jsonschema are installed into a throwaway venv in the temp folder the first
time (from PyPI), and this checkout beside them as a user installs it (`pip
install`, core dependencies only, bytecode written; reinstalled each run): its
`recipe lint` is the one compared. The development venv's, whose site-packages
also hold the runner (torch, sparseml and their start-up hooks), is printed too.
"""

from __future__ import annotations

import compileall
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "corpus" / "sparseml"
RECIPE = ROOT / "recipes" / "yolov5s-gmp.md"
BIN = Path(sys.executable).parent
ENV = {"NM_DISABLE_ANALYTICS": "1", "PATH": str(BIN) + ":/usr/bin:/bin"}


def once(cmd: list[str]) -> float:
    """Seconds of one run; a run that fails (exit 2 or more: a missing dependency,
    a crash) is no figure, and stops the benchmark with its stderr."""
    t = time.perf_counter()
    done = subprocess.run(cmd, check=False, capture_output=True, env=ENV)
    took = time.perf_counter() - t
    if done.returncode not in (0, 1) or b"Traceback" in done.stderr:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr.decode()}")
    return took


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


TOOLS = Path(tempfile.gettempdir()) / "recipe-compiler-bench-tools"


def tools() -> Path:
    """A venv with yamllint and check-jsonschema (made once) and this checkout
    installed as a user installs it (again each run), bytecode written."""
    bin_ = TOOLS / "bin"
    pip = [str(bin_ / "python"), "-m", "pip", "install", "-q"]
    ready = [str(bin_ / "python"), "-c", "import yamllint, check_jsonschema, pydantic"]
    if not (bin_ / "python").exists() or subprocess.run(ready).returncode:
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS)], check=True)
        subprocess.run([*pip, "yamllint", "check-jsonschema", str(ROOT)], check=True)
    subprocess.run(
        [*pip, "--no-deps", "--force-reinstall", str(ROOT)],
        check=True,
    )
    return bin_


def median_of(cmds: dict[str, list[str]], rounds: int) -> dict[str, float]:
    """Each command's median over `rounds` interleaved runs."""
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(rounds):
        for name, cmd in cmds.items():
            times[name].append(once(cmd))
    return {k: statistics.median(v) for k, v in times.items()}


def heavy_folder() -> Path:
    """268 recipes (benchmarks/lint_identical.py's): corpus recipes with seeded
    epochs and frequencies, and one in four a per-layer one
    (tests/heavy_recipes.py)."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from lint_identical import generated

    folder = Path(tempfile.mkdtemp(prefix="lint-speed-"))
    for name, text in generated(268, seed=7).items():
        (folder / name).write_text(text)
    return folder


def beside_linters() -> None:
    bin_ = tools()
    one = ROOT / "recipes" / "digits-gmp.yaml"
    schema = ROOT / "schemas" / "recipe.schema.json"
    print("cold start on one recipe, bytecode written, interleaved:", file=sys.stderr)
    cold = median_of(
        {
            "recipe lint": [str(bin_ / "recipe"), "lint", str(one)],
            "recipe lint (dev venv)": [str(BIN / "recipe"), "lint", str(one)],
            "yamllint": [str(bin_ / "yamllint"), str(one)],
            "check-jsonschema": [
                str(bin_ / "check-jsonschema"),
                "--schemafile",
                str(schema),
                str(one),
            ],
        },
        rounds=15,
    )
    folder = heavy_folder()
    n = len(list(folder.iterdir()))
    print(f"a folder of {n} generated recipes, interleaved:", file=sys.stderr)
    many = median_of(
        {
            "recipe lint": [str(BIN / "recipe"), "lint", str(folder)],
            "recipe lint -j 1": [str(BIN / "recipe"), "lint", "-j", "1", str(folder)],
            "yamllint": [str(bin_ / "yamllint"), str(folder)],
        },
        rounds=5,
    )
    y1, yn = cold["yamllint"], many["yamllint"]
    print()
    print(f"{'':42s} {'seconds':>9s} {'vs yamllint':>12s}")
    for name, t in cold.items():
        print(f"{'one recipe, cold: ' + name:42s} {t:9.3f} {t / y1:11.2f}x")
    for name, t in many.items():
        print(f"{f'{n} recipes: ' + name:42s} {t:9.3f} {t / yn:11.2f}x")


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
    n = len(list(CORPUS.iterdir()))
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
    beside_linters()
    print(f"CPU: {cpu()}")


if __name__ == "__main__":
    main()
