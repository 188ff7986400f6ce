"""Re-lint latency of `recipe lsp` as an editor sees it.

Starts the real server over stdio (tests/lspclient.py), opens each bundled recipe
with the repository's config, then types into it: every edit changes one digit of
a number, one keystroke applied to the version before (`edits`), sent as the
changed range (incremental sync, as editors send it), and the time from sending
`textDocument/didChange` to receiving that version's
`publishDiagnostics` is recorded. Prints the median and p99 per recipe and over
all, the in-process lint alone, the server's start-up, and the CPU. Two groups:
the bundled recipes, and generated heavy ones as SparseML's transformer recipes
are written (tests/heavy_recipes.py: per-layer GMP, 24-96 modifiers, frequency
0.01 and 0.05, 10-30 epochs, BERT-style names), each with its median and p99.

    python benchmarks/lsp_latency.py [EDITS_PER_RECIPE]   (default 200)
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from lint_speed import cpu  # noqa: E402 - the CPU, cores and ISA, as it says them

from tests.heavy_recipes import heavy_set  # noqa: E402

NUMBER = re.compile(r"(?<=: )\d+(\.\d+)?(?=\s*(#|$))", re.M)


def p99(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(0.99 * (len(xs) - 1)))]


def edits(text: str, n: int) -> list[str]:
    """`n` keystrokes, each applied to the version before it as an editor sends
    them: visiting the numbers in turn, a digit is typed over the last one, or
    (every other number) a digit is typed after it and deleted at the next visit.
    Every version is a new text, and a third of the edits change its length."""
    out, current = [], text
    for i in range(n):
        spots = [m.end() for m in NUMBER.finditer(current)]
        k, visit = i % len(spots), i // len(spots)
        at = spots[k]
        if k % 2 == 0:  # type over the last digit
            digit = str((int(current[at - 1]) + 1 + visit) % 10)
            current = current[: at - 1] + digit + current[at:]
        elif visit % 2 == 0:  # type a digit after the number
            current = current[:at] + str((visit + k) % 10) + current[at:]
        else:  # and delete it again
            current = current[: at - 1] + current[at:]
        out.append(current)
    return out


HEAVY = ("torch", "sparseml", "deepsparse", "onnxruntime", "onnx", "plotly", "jinja2")
CHECK = f"""
import sys
from recipe_compiler.lsp.server import build
from recipe_compiler.lsp.analysis import Settings, analyse
for p in {{paths!r}}:
    a = analyse(open(p).read(), p, Settings())
    a.hover(40); a.definition(40); a.fixes((0, 10))
print(",".join(m for m in {HEAVY!r} if m in sys.modules))
"""


def heavy_modules() -> str:
    """Which heavy packages a server process has imported after linting and
    answering on every bundled recipe (a fresh interpreter)."""
    import subprocess

    paths = [str(p) for p in (ROOT / "recipes").glob("*.*")]
    out = subprocess.run(
        [sys.executable, "-c", CHECK.format(paths=paths)],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    from recipe_compiler.linter import config
    from recipe_compiler.linter.discovery import discover
    from recipe_compiler.lsp.analysis import Settings, analyse
    from tests.lspclient import Client

    bundled = list(discover([ROOT / "recipes"], config.load(ROOT / ".recipelint.yaml")))
    heavy_dir = Path(tempfile.mkdtemp(prefix="lsp-heavy-"))
    heavy = []
    for name, text in heavy_set().items():
        heavy.append(heavy_dir / f"{name}.yaml")
        heavy[-1].write_text(text)
    t0 = time.perf_counter()
    client = Client([sys.executable, "-m", "recipe_compiler.cli", "lsp"], cwd=ROOT)
    client.initialize(ROOT)
    started = time.perf_counter() - t0
    print(f"CPU: {cpu()}")
    print(f"server start-up to initialize answered: {started * 1e3:.0f} ms")
    print(f"{n} edits per recipe, didChange -> publishDiagnostics over stdio\n")
    print(
        f"{'recipe':44} {'lines':>5} {'median ms':>10} {'p99 ms':>8} {'lint only':>10}"
    )
    groups: dict[str, list[float]] = {}
    for group, recipes in (("bundled", bundled), ("heavy per-layer", heavy)):
        every = groups.setdefault(group, [])
        for path in recipes:
            text = path.read_text()
            uri = path.as_uri()
            client.open(uri, text, "markdown" if path.suffix == ".md" else "yaml")
            client.diagnostics(uri, 1, timeout=60)
            times = []
            before = text
            for version, edited in enumerate(edits(text, n), start=2):
                t = time.perf_counter()
                client.edit(uri, before, edited, version)
                before = edited
                client.diagnostics(uri, version)
                times.append((time.perf_counter() - t) * 1e3)
            client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
            inproc = []
            previous = analyse(text, str(path), Settings())
            for edited in edits(text, 50):
                t = time.perf_counter()
                previous = analyse(edited, str(path), Settings(), previous)
                inproc.append((time.perf_counter() - t) * 1e3)
            every += times
            name = (
                path.relative_to(ROOT).as_posix()
                if path.is_relative_to(ROOT)
                else path.name
            )
            print(
                f"{name:44} {text.count(chr(10)):5} "
                f"{statistics.median(times):10.2f} {p99(times):8.2f} "
                f"{statistics.median(inproc):10.2f}"
            )
    print()
    for group, every in groups.items():
        print(
            f"{group}: {len(every)} edits, median {statistics.median(every):.2f} ms, "
            f"p99 {p99(every):.2f} ms"
        )
    client.close()
    print(f"heavy modules the server's work imports: {heavy_modules() or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
