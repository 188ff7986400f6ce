"""Edit to redrawn charts in `recipe planner`, measured in a real browser.

`recipe planner` is started as a user starts it, Debian's chromium (headless,
through selenium) opens the page, and each recipe is edited N times two ways:
a knob (a variable's input changed, as a user leaves the field) and typing (a
key in the text, which the page debounces by 40 ms). The page stamps the edit
(`performance.now()` at the change or input event) and the draw (after every
chart's `Plotly.react`): the latency is the time between, including the
request, the server's lint and plan, the JSON and plotly.

Targets (issue 37): median <= 150 ms for the bundled recipes, <= 500 ms for a
300-epoch recipe at 2,000 steps per epoch (600,000 steps: the bundled GMP
recipe's 30 + 20 epochs written as 180 + 120). Figures move with the
machine's load: compare them within one run, and read them with the CPU
printed first.

    python benchmarks/planner_latency.py [N]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recipe_compiler.edit.set_vars import write  # noqa: E402
from recipe_compiler.hardware.cpu import detect  # noqa: E402
from recipe_compiler.loader.recipe import load  # noqa: E402
from tests.browser import chromium  # noqa: E402
from tests.planner.serving import serving  # noqa: E402

RECIPES = ROOT / "recipes"
CASES = [  # (name, file, steps per epoch, the variable a knob moves)
    ("yolov5s-gmp.md", RECIPES / "yolov5s-gmp.md", 1849, "final_sparsity"),
    ("yolov5s-gmp-qat.md", RECIPES / "yolov5s-gmp-qat.md", 1849, "final_sparsity"),
    ("yolov5s-pruned95-block4-qat.md", RECIPES / "yolov5s-pruned95-block4-qat.md",
     1849, None),
    ("digits-gmp.yaml", RECIPES / "digits-gmp.yaml", 23, None),
    ("yolov5n-gmp-tiny.yaml", RECIPES / "yolov5n-gmp-tiny.yaml", 10, None),
]  # fmt: skip


def _knob_name(path: Path) -> str | None:
    """A fraction written as a plain number (a sparsity), else the first plain
    number: a knob to move (None: a recipe without variables, typed into only)."""
    plain = [
        v
        for v in load(path).all_variables()
        if v.numeric and v.expression is None and not v.aliases
    ]
    fractions = [v for v in plain if isinstance(v.value, float) and 0 < v.value < 1]
    return (fractions or plain or [None])[0] and (fractions or plain)[0].name


def _wait(browser, what, timeout=60):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(what)


def _latest(browser) -> tuple[int, float]:
    return browser.execute_script(
        "const p = window.planner; return [p.draws, p.latencies.length ?"
        " p.latencies[p.latencies.length - 1] : -1];"
    )


def measure(browser, path: Path, spe: int, knob: str | None, n: int) -> dict[str, list]:
    from selenium.webdriver.common.keys import Keys

    out: dict[str, list] = {"knob": [], "typing": []}
    with serving(path, "--steps-per-epoch", str(spe)) as server:
        browser.get(server.url)
        _wait(browser, lambda d: _latest(d)[0] >= 1)
        knobs = f'#knobs input[name="{knob}"]'
        box = browser.find_element("css selector", knobs) if knob else None
        start = float(box.get_attribute("value")) if box else 0.0
        for i in range(n if box else 0):
            draws = _latest(browser)[0]
            value = start * (0.9 if i % 2 == 0 else 1.0)
            box.click()
            box.send_keys(Keys.CONTROL, "a")
            box.send_keys(f"{value:.6g}", Keys.TAB)
            _wait(browser, lambda d, k=draws: _latest(d)[0] > k)
            out["knob"].append(_latest(browser)[1])
        text = browser.find_element("id", "text")
        for i in range(n):
            draws = _latest(browser)[0]
            browser.execute_script(
                "const t = document.getElementById('text');"
                "t.focus(); t.setSelectionRange(0, 0);"
            )
            text.send_keys("#" if i % 2 == 0 else Keys.DELETE)
            _wait(browser, lambda d, k=draws: _latest(d)[0] > k)
            time.sleep(0.1)  # (the debounce settles: one request an edit)
            out["typing"].append(_latest(browser)[1])
    return out


def _p90(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=10)[-1] if len(xs) > 1 else xs[0]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    cpu = detect()
    print(f"CPU: {cpu.describe()}; {n} edits of each kind a recipe; ms from the edit")
    print("event to every chart redrawn (request, lint, plan, JSON, plotly)")
    print(f"{'recipe':34s} {'steps':>9s} {'knob median':>12s} {'p90':>6s} "
          f"{'typing median':>14s} {'p90':>6s}  target")  # fmt: skip
    browser = chromium()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            long = Path(tmp) / "yolov5s-gmp-300.md"  # 180 + 120 epochs
            epochs = {"num_pruning_epochs": 180, "num_finetuning_epochs": 120}
            long.write_text(write(load(RECIPES / "yolov5s-gmp.md"), epochs))
            cases = [
                (name, path, spe, knob or _knob_name(path), 150)
                for name, path, spe, knob in CASES
            ]
            cases.append(("yolov5s-gmp at 300 epochs", long, 2000, "final_sparsity",
                          500))  # fmt: skip
            for name, path, spe, knob, target in cases:
                copy = Path(tmp) / path.name
                copy.write_text(path.read_text())
                got = measure(browser, copy, spe, knob, n)
                steps = round(load(copy).max_epochs * spe) if load(copy).ok else 0
                k, t = got["knob"], got["typing"]
                knob_ms = (
                    f"{statistics.median(k):>10.0f}ms {_p90(k):>4.0f}ms"
                    if k
                    else (f"{'—':>12s} {'—':>6s}")
                )
                print(
                    f"{name:34s} {steps:>9,d} {knob_ms} {statistics.median(t):>12.0f}ms"
                    f" {_p90(t):>4.0f}ms  <= {target} ms"
                )
    finally:
        browser.quit()


if __name__ == "__main__":
    main()
