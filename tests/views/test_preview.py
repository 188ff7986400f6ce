"""`recipe preview`: the figures against the Timeline, and the page in a real browser.

The browser test drives Debian's chromium through its chromedriver (selenium with
an explicit driver path, so nothing is downloaded), headless and offline. It fails,
not skips, where CI or RECIPE_REQUIRE_RUNNER says the browser must be there.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from recipe_compiler.edit.rescale import rescale
from recipe_compiler.linter.engine import lint_recipe
from recipe_compiler.loader.recipe import load
from recipe_compiler.schedule.timeline import plan
from recipe_compiler.views.preview import (
    MAX_RUN_POINTS,
    Planned,
    figures,
    keep_points,
    render,
)
from tests.browser import chromium
from tests.conftest import ROOT
from tests.dialects.test_plan import RECIPE as STAGED  # one recipe for both

BUNDLED = ROOT / "recipes" / "yolov5s-gmp.md"
ARTIFACTS = ROOT / "artifacts"
WITH_PROBLEMS = """---
num_epochs: 10
unused: 3
modifiers:
  - !EpochRangeModifier
    start_epoch: 0
    end_epoch: eval(num_epochs)
  - !GMPruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 0
    end_epoch: 10
    update_frequency: 1
  - !QuantizationModifier
    start_epoch: 8
    freeze_bn_stats_epoch: 8
---
# a recipe with warnings
"""


def planned(recipe, spe=10, name=None):
    return Planned(
        recipe,
        plan(recipe, spe),
        lint_recipe(recipe, steps_per_epoch=spe).problems,
        name or Path(recipe.path).name,
    )


def test_plotted_points_are_the_planned_values():
    recipe = load(BUNDLED)
    p = planned(recipe, 37)
    sparsity, lr, gantt = figures([p])
    (trace,) = sparsity["data"]
    t = p.timeline
    (gmp,) = [e for e in t.modifiers if e.index in t.sparsity]
    steps = list(gmp.update_steps)
    plotted = dict(zip(trace["customdata"], trace["y"], strict=True))
    for k in steps:  # every update point is drawn, at its planned value
        assert plotted[k] == pytest.approx(t.sparsity[gmp.index][k], rel=1e-9)
    x_of = dict(zip(trace["customdata"], trace["x"], strict=True))
    assert all(x_of[k] == pytest.approx(t.epochs[k]) for k in steps)
    (lr_trace,) = lr["data"]
    for (k, _who), y in zip(lr_trace["customdata"], lr_trace["y"], strict=True):
        assert y == pytest.approx(t.lr[0][k], rel=1e-9)
    assert sorted(lr_trace["customdata"][0][:1]) == [0]
    assert len(gantt["data"]) == 3  # training, lr, pruning
    shapes = [s for s in sparsity["layout"]["shapes"] if s["name"].startswith("phase-")]
    assert [s["name"] for s in shapes] == ["phase-pruning", "phase-fine-tuning"]


def test_keep_points_draws_the_same_step_function():
    rng = np.random.default_rng(0)
    steps = np.repeat(rng.random(50), rng.integers(1, 40, 50))
    smooth = np.cos(np.linspace(0, 3, 100_000))
    values = np.concatenate([steps, smooth, steps])
    idx = keep_points(values)
    assert len(idx) < 3 * MAX_RUN_POINTS
    # held (hv) values equal the originals wherever nothing is thinned
    held = values[idx[np.searchsorted(idx, np.arange(len(values)), side="right") - 1]]
    exact = np.concatenate(
        [
            np.ones(len(steps), bool),
            np.zeros(len(smooth), bool),
            np.ones(len(steps), bool),
        ]
    )
    assert np.array_equal(held[exact], values[exact])
    assert np.max(np.abs(held - values)) < 3 / MAX_RUN_POINTS * 2


def test_plotly_is_inlined_once():
    html = render([planned(load(BUNDLED)), planned(load(BUNDLED))])
    assert html.count("Plotly.newPlot") == 1
    assert html.count("plotly.js v") == render([planned(load(BUNDLED))]).count(
        "plotly.js v"
    )


@pytest.fixture(scope="module")
def browser():
    d = chromium()
    yield d
    d.quit()


def _open(browser, path):
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(path.resolve().as_uri())
    WebDriverWait(browser, 30).until(
        lambda d: d.find_element("tag name", "body").get_attribute("data-rendered")
    )


def test_page_in_chromium(browser, tmp_path):
    recipe = load(WITH_PROBLEMS, text=True)
    p = planned(recipe, name="with-problems.md")
    assert len(p.problems) >= 3
    page = tmp_path / "preview.html"
    page.write_text(render([p]))
    _open(browser, page)
    js = browser.execute_script
    assert js("return window.__errors") == []
    # self-contained: nothing is fetched from anywhere
    assert (
        js(
            "return document.querySelectorAll('script[src], link[href], img[src]').length"
        )
        == 0
    )
    assert js("return performance.getEntriesByType('resource').length") == 0
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
    assert js("return document.querySelectorAll('.js-plotly-plot').length") == 3
    counts = js(
        "return ['fig-sparsity','fig-lr','fig-gantt'].map("
        "id => document.getElementById(id).querySelectorAll('g.trace').length)"
    )
    assert counts == [1, 0, 3]  # no LR modifier in this recipe
    bands = js(
        "return document.getElementById('fig-lr').layout.shapes"
        ".filter(s => s.name.startsWith('phase-')).map(s => s.name)"
    )
    assert bands == ["phase-pruning", "phase-qat", "phase-bn-freeze"]
    drawn = js(
        "return document.querySelectorAll('#fig-sparsity .shapelayer path').length"
    )
    assert drawn >= 3
    rows = js(
        "return Array.from(document.querySelectorAll('#problems-0 tr.problem'))"
        ".map(r => r.children[1].textContent + ':' + r.children[2].textContent)"
    )
    assert sorted(rows) == sorted(f"{q.code}:{q.line}:{q.column}" for q in p.problems)
    anchor = js("return document.querySelector('#problems-0 a').getAttribute('href')")
    assert js(f"return !!document.getElementById('{anchor[1:]}')")
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "preview-problems.png"))


def test_compare_page_in_chromium(browser, tmp_path):
    recipe = load(BUNDLED)
    out = tmp_path / "r300.md"
    out.write_text(rescale(recipe, 300).text)
    page = tmp_path / "compare.html"
    page.write_text(render([planned(recipe), planned(load(out))]))
    _open(browser, page)
    js = browser.execute_script
    assert js("return window.__errors") == []
    names = js("return document.getElementById('fig-lr').data.map(t => t.name)")
    assert names == ["yolov5s-gmp.md: learning rate", "r300.md: learning rate"]
    colors = js("return document.getElementById('fig-lr').data.map(t => t.line.color)")
    assert len(set(colors)) == 2
    # the windows: bars filled with a pattern a kind, drawn in the recipes' colours
    patterns = js("return document.querySelectorAll('#fig-gantt pattern').length")
    assert patterns >= 3
    fills = js(
        "return Array.from(document.querySelectorAll('#fig-gantt .point path'))"
        ".map(p => p.style.fill)"
    )
    solid = {f for f in fills if not f.startswith("url(")}  # learning rate: solid
    assert solid == {"rgb(58, 120, 195)", "rgb(224, 123, 57)"}, fills  # by recipe
    assert len(fills) == 8 and sum(f.startswith("url(") for f in fills) == 4
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "preview-compare.png"))
    browser.execute_script("document.getElementById('fig-gantt').scrollIntoView()")
    browser.save_screenshot(str(ARTIFACTS / "preview-compare-windows.png"))


def preview_cli(*args):
    from click.testing import CliRunner

    from recipe_compiler.cli import main

    r = CliRunner().invoke(main, ["preview", *args], catch_exceptions=False)
    return r.exit_code, r.stderr


CRASHES_AT_RUN_TIME = """\
modifiers:
  - !GlobalMagnitudePruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 2
    end_epoch: 2
    update_frequency: 1
  - !EpochRangeModifier
    start_epoch: 0
    end_epoch: 10
"""
ONE_BAD_MODIFIER = CRASHES_AT_RUN_TIME.replace("end_epoch: 2\n", "end_epoch: 6\n") + (
    "  - !SetLearningRateModifier\n    start_epoch: 1\n    learning_rat: 0.1\n"
)
UNPARSABLE = "modifiers: [\n"


@pytest.mark.parametrize(
    "text, code, drawn",
    [
        (CRASHES_AT_RUN_TIME, "RC205", 2),  # loads, then crashes: all of it drawn
        (ONE_BAD_MODIFIER, "RC102", 2),  # SparseML refuses: the 2 that loaded drawn
        (UNPARSABLE, "RC001", 0),  # nothing to draw: the problems alone
    ],
)
def test_preview_of_a_recipe_with_errors_writes_the_page_and_exits_1(
    tmp_path, text, code, drawn
):
    """The page exists to show problems next to the schedule: it is written with
    what can be planned and the problems in its panel, and the exit code is 1."""
    src = tmp_path / "bad.yaml"
    src.write_text(text)
    page = tmp_path / "p.html"
    status, err = preview_cli(str(src), "-o", str(page))
    assert status == 1, err
    assert f"{code} error" in err and "shown in the page" in err
    html = page.read_text()
    assert f"<td>{code}</td>" in html
    key = 'id: "fig-gantt", sync: true, fig: '
    at = html.index(key) + len(key)
    data = json.JSONDecoder().raw_decode(html, at)[0]["data"]
    assert sum(len(t["y"]) for t in data) == drawn
    if code != "RC205":
        assert "SparseML would refuse this recipe" in html


def test_preview_without_a_training_length_names_no_flag_it_lacks(tmp_path):
    src = tmp_path / "r.yaml"
    src.write_text(
        "modifiers:\n  - !SetLearningRateModifier\n    start_epoch: 0\n"
        "    learning_rate: 0.1\n"
    )
    status, err = preview_cli(str(src), "-o", str(tmp_path / "p.html"))
    assert status == 2 and "no training length" in err and "--epochs" not in err
    assert not (tmp_path / "p.html").exists()


def test_legend_lists_only_the_kinds_drawn():
    recipe = load(ROOT / "recipes" / "yolov5s-gmp.md")  # pruning, LR, training
    html = render([planned(recipe)])
    kinds = re.findall(r'class="kind" data-kind="(\w+)"', html)
    assert kinds == ["pruning", "lr", "training"]
    qat = render([planned(load(WITH_PROBLEMS, text=True))])  # no LR modifier
    assert re.findall(r'class="kind" data-kind="(\w+)"', qat) == [
        "pruning",
        "quantization",
        "training",
    ]


def test_compare_gives_recipes_colours_and_kinds_patterns():
    """Compare mode: each recipe's bars take its colour (the orange recipe's pruning
    bars no longer vanish into the pruning orange), each kind a pattern."""
    a = load(ROOT / "recipes" / "yolov5s-gmp.md")
    b = load(ROOT / "recipes" / "yolov5s-pruned95-block4-qat.md")
    _, _, gantt = figures([planned(a, name="a"), planned(b, name="b")])
    by_recipe: dict[str, set] = {}
    patterns: dict[str, set] = {}
    for trace in gantt["data"]:
        recipe, _, kind = trace["name"].partition(": ")
        by_recipe.setdefault(recipe, set()).add(trace["marker"]["color"])
        patterns.setdefault(kind, set()).add(trace["marker"]["pattern"]["shape"])
    assert by_recipe["a"] != by_recipe["b"]
    assert all(len(c) == 1 for c in by_recipe.values())  # one colour a recipe
    assert all(len(s) == 1 for s in patterns.values())  # one pattern a kind
    assert len({next(iter(s)) for s in patterns.values()}) == len(patterns)
    html = render([planned(a, name="a"), planned(b, name="b")])
    assert "colour = recipe, pattern = kind" in html


def _staged_page(tmp_path) -> Path:
    from click.testing import CliRunner

    from recipe_compiler.cli import main

    src, page = tmp_path / "staged.yaml", tmp_path / "staged.html"
    src.write_text(STAGED)
    r = CliRunner().invoke(
        main, ["preview", str(src), "--steps-per-epoch", "4", "-o", str(page)]
    )
    assert r.exit_code == 0, r.output
    return page


def test_a_sparseml_core_train_stage_is_charted_as_its_session_runs_it(tmp_path):
    """The chart's points are the replay's (held to the engine), one per step
    the modifier is on; the windows are its steps; the page embeds that figure
    and says what applies before training."""
    from recipe_compiler.dialects.sparsemlcore.reader import read
    from recipe_compiler.loader import yamltree
    from recipe_compiler.loader.source import from_text
    from recipe_compiler.views.staged_preview import _figure

    walked = read(yamltree.parse(from_text(STAGED, "r.yaml", "yaml")).root)
    fig = _figure(walked.stages[1], 4, 0)
    line = next(t for t in fig["data"] if t["type"] == "scatter")
    assert line["x"] == [k / 4 for k in range(4, 12)]
    assert line["y"][0] == 0.05 and abs(line["y"][-1] - 0.79853515625) < 1e-12
    windows = {
        t["y"][0].split(" ")[0]: (t["base"][0], t["x"][0])
        for t in fig["data"]
        if t["type"] == "bar"
    }
    assert windows == {
        "MagnitudePruningModifier": (1.0, 2.0),
        "ConstantPruningModifier": (0.5, 1.75),
    }
    text = _staged_page(tmp_path).read_text()
    assert json.dumps(line["y"], separators=(",", ":")) in text
    assert "applied once before training (oneshot): SparseGPTModifier" in text


def test_the_staged_page_in_chromium(browser, tmp_path):
    _open(browser, _staged_page(tmp_path))
    js = browser.execute_script
    assert js("return window.__errors") == []
    assert js("return performance.getEntriesByType('resource').length") == 0
    assert js("return document.querySelectorAll('.js-plotly-plot').length") == 1
    assert (
        js(
            "return document.getElementById('stage-0').querySelectorAll('g.trace').length"
        )
        >= 2
    )
