"""Is every lint output what an earlier commit printed? For changes that must not
change a verdict (a faster replay, a cache): the shared corpus and N generated
recipes, linted as JSON at several steps per epoch by this tree and by REV.

    python benchmarks/lint_identical.py REV [N]     (default N 2000)

Generated recipes: long per-layer GMP recipes (tests/heavy_recipes.py) with seeded
variations, and corpus recipes with their epochs, frequencies and sparsities
replaced by seeded picks from values on and off the step grid. Prints how many
files and problems were compared and exits 1 on the first difference.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.heavy_recipes import per_layer_recipe  # noqa: E402

# the shared corpus beside the checkout, else the repository's own sample of it
SHARED = [ROOT.parent / "shared" / "corpus" / d for d in ("sparseml", "sparseml-core")]
CORPORA = [d for d in SHARED if d.is_dir()] or [ROOT / "tests" / "data" / "corpus"]
NUMBER_FIELD = re.compile(
    r"^(\s*(?:start_epoch|end_epoch|update_frequency|final_sparsity|init_sparsity)"
    r":\s*)([-0-9.e]+)\s*$",
    re.M,
)
PICKS = {
    "start_epoch": ["0", "0.0", "1", "1.5", "2.25", "-1", "3.33", "0.1"],
    "end_epoch": ["4", "5.5", "10", "12.7", "-1", "7.77", "0.3"],
    "update_frequency": ["0.01", "0.05", "0.1", "0.333", "0.5", "1", "-1", "0.0"],
    "final_sparsity": ["0.5", "0.8", "0.9", "0.95", "0.97"],
    "init_sparsity": ["0.0", "0.05", "0.3"],
}


def generated(n: int, seed: int = 0) -> dict[str, str]:
    rng = random.Random(seed)
    corpus = sorted(p for d in CORPORA if d.is_dir() for p in d.rglob("*.yaml"))
    texts = [p.read_text(encoding="utf-8") for p in corpus]
    out: dict[str, str] = {}
    for i in range(n):
        if i % 4 == 0:
            text = per_layer_recipe(
                rng.choice((12, 24, 48)),
                rng.choice((0.01, 0.05, 0.025, 0.333)),
                rng.choice((3, 6, 10, 20)),
                rng.randrange(10_000),
            )
        else:
            base = rng.choice(texts)

            def swap(m: re.Match[str], base: str = base) -> str:
                field = m.group(1).strip().rstrip(":").strip()
                if rng.random() < 0.5:
                    return m.group(0)
                return m.group(1) + rng.choice(PICKS[field])

            text = NUMBER_FIELD.sub(swap, base)
        out[f"gen{i:05d}.yaml"] = text
    return out


def lint_json(tree: Path, folder: Path, spe: int) -> str:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "recipe_compiler.cli",
            "lint",
            "--format",
            "json",
            "--steps-per-epoch",
            str(spe),
            str(folder),
        ],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin", "HOME": "/tmp"},
        cwd=folder,
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"{tree}: lint exited {done.returncode}: {done.stderr}")
    return done.stdout


def main() -> int:
    rev = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(
            [
                "git",
                "-C",
                str(ROOT),
                "worktree",
                "add",
                "-q",
                "--detach",
                str(old),
                rev,
            ],
            check=True,
        )
        try:
            folder = Path(tmp) / "recipes"
            folder.mkdir()
            for name, text in generated(n).items():
                (folder / name).write_text(text, encoding="utf-8")
            folders = [*(d for d in CORPORA if d.is_dir()), folder]
            files = problems = 0
            for spe in (1, 7, 100, 1849):
                for f in folders:
                    a, b = lint_json(ROOT, f, spe), lint_json(old, f, spe)
                    if a != b:
                        print(f"DIFFERENT: {f} at {spe} steps per epoch")
                        return 1
                    files += sum(1 for _ in f.rglob("*.yaml"))
                    problems += a.count('"code"')
            print(
                f"identical to {rev}: {files:,} file lints, {problems:,} problems "
                f"({n:,} generated recipes and the shared corpus at 1, 7, 100 and "
                "1849 steps per epoch)"
            )
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)],
                check=False,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
