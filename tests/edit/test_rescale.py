"""`recipe rescale` by the 90-epoch rule, `recipe compile` and `recipe explain`."""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from recipe_compiler.cli import main
from recipe_compiler.edit.compile import CompileError, compile_recipe
from recipe_compiler.edit.rescale import RescaleError, rescale
from recipe_compiler.linter.engine import lint_recipe
from recipe_compiler.loader.recipe import from_source, load
from recipe_compiler.loader.source import from_text
from tests.conftest import CORPUS, ROOT

BUNDLED = ROOT / "recipes" / "yolov5s-gmp.md"
ROWS = [
    r
    for r in csv.DictReader((CORPUS / "INDEX.tsv").open(), delimiter="\t")
    if r["loads_sparseml_1_8"] == "yes"
]


def reload(recipe, text):
    return from_source(from_text(text, recipe.path, recipe.source.kind))


def windows(recipe):
    return [(e.tag, m.start, m.end) for e, m in recipe.models]


def test_guide_recipe_90_to_300():
    recipe = load(BUNDLED)
    out = reload(recipe, rescale(recipe, 300, lr=(0.01, 0.0001)).text)
    got = {tag: (s, e) for tag, s, e in windows(out)}
    assert got["GlobalMagnitudePruningModifier"] == (0, 100)
    s, e = got["LearningRateFunctionModifier"]
    assert (s, round(e, 2)) == (100, 166.67)
    assert round(got["EpochRangeModifier"][1], 2) == 166.67
    assert out.max_epochs == 167
    (setlr,) = [m for e, m in out.models if e.tag == "SetLearningRateModifier"]
    assert setlr.learning_rate == pytest.approx(0.00505)
    assert lint_recipe(out).problems == []


def test_lr_rule_sets_the_variables():
    text = BUNDLED.read_text().replace("pruning_lr: 0.00505", "pruning_lr: 0.02")
    recipe = load(text, text=True)
    res = rescale(recipe, 90, lr=(0.01, 0.0001))
    assert "pruning_lr: 0.00505" in res.text
    assert "learning_rate: eval(pruning_lr)" in res.text  # the expression stays


@pytest.mark.parametrize(
    "path",
    [BUNDLED] + [CORPUS / r["local_name"] for r in ROWS],
    ids=lambda p: p.name[-45:],
)
def test_rescale_to_the_base_is_byte_identical(path):
    recipe = load(path)
    assert recipe.ok  # every one loads in SparseML (ROWS)
    assert rescale(recipe, 90).text == recipe.source.text


# the corpus recipes rescale refuses, and why: a regression that starts refusing
# others fails
NOT_RESCALABLE = {
    # an epoch computed as -1 from variables ('not set') cannot be scaled
    "integrations__torchvision__tutorials__recipes__quantization-recipe.yaml": (
        "is -1 ('not set') computed as"
    ),
}


def _rescalable(path):
    recipe = load(path)
    refused = NOT_RESCALABLE.get(path.name)
    if refused is None:
        rescale(recipe, 300)
        return recipe
    with pytest.raises(RescaleError, match=re.escape(refused)):
        rescale(recipe, 300)
    return None


CASES = [BUNDLED] + [CORPUS / r["local_name"] for r in ROWS]
RESCALABLE = [p for p in CASES if p.name not in NOT_RESCALABLE]


def test_the_refusals_are_the_listed_ones():
    for path in CASES:
        assert (_rescalable(path) is None) == (path.name in NOT_RESCALABLE), path


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(RESCALABLE),
    a=st.sampled_from([45, 120, 300, 77.5]),
    b=st.sampled_from([30, 90, 180, 600]),
)
def test_rescale_properties(path, a, b):
    recipe = _rescalable(path)
    one = reload(recipe, rescale(recipe, a).text)
    two = reload(recipe, rescale(one, b).text)  # base read from the header: a
    direct = reload(recipe, rescale(recipe, b).text)
    # M -> A -> B equals M -> B, up to the 4 decimals written
    for (t1, s1, e1), (t2, s2, e2) in zip(windows(two), windows(direct), strict=True):
        assert t1 == t2
        assert math.isclose(s1, s2, abs_tol=2e-3) and math.isclose(e1, e2, abs_tol=2e-3)
    # every window and event moves by b/90, and the order of events is kept
    f = b / 90
    before, after = windows(recipe), windows(direct)
    for (_, s0, e0), (_, s1, e1) in zip(before, after, strict=True):
        for v0, v1 in ((s0, s1), (e0, e1)):
            assert v1 == -1 if v0 == -1 else math.isclose(v1, v0 * f, abs_tol=1e-3 * f)
    points0 = [v for _, s, e in before for v in (s, e) if v != -1]
    points1 = [v for _, s, e in after for v in (s, e) if v != -1]
    for i in range(len(points0)):
        for j in range(len(points0)):
            assert (points0[i] < points0[j]) == (points1[i] < points1[j])
    # comments survive, and only numbers change
    comments = [
        ln.strip()
        for ln in recipe.source.text.splitlines()
        if ln.strip().startswith("#")
    ]
    out_text = rescale(recipe, b).text
    for c in comments:
        assert c in out_text
    assert re.sub(r"[0-9.]+", "N", _drop_header(out_text)) == re.sub(
        r"[0-9.]+", "N", recipe.source.text
    )


def _drop_header(text):
    return re.sub(r"(?m)^# rescaled from .*by recipe-compiler.*\n", "", text, count=1)


def test_corpus_recipe_with_variables_edits_variables_not_expressions():
    path = (
        CORPUS
        / "sparseml"
        / "integrations__dbolya-yolact__recipes__yolact.pruned_quant.md"
    )
    recipe = load(path)
    out = rescale(recipe, 300).text
    assert "num_epochs: 206.6667" in out and "num_quantization_epochs: 6.6667" in out
    assert "quantization_observer_end_target: 0.5" in out  # a fraction, not epochs
    exprs = re.findall(r"eval\([^)]*\)", recipe.source.text)
    assert exprs == re.findall(r"eval\([^)]*\)", out)


def test_variable_shared_with_a_non_epoch_field_is_refused():
    text = """
n: 10
modifiers:
  - !EpochRangeModifier
    start_epoch: 0
    end_epoch: eval(n)
  - !GMPruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 0
    end_epoch: 5
    update_frequency: eval(n / 10)
"""
    with pytest.raises(RescaleError, match="split them into separate variables"):
        rescale(load(text, text=True), 300)
    rescale(load(text, text=True), 300, update_frequency="scale")


def test_a_number_inside_an_epoch_expression_is_refused_not_left_unscaled():
    """`freeze_bn_stats_epoch: eval(start + 1)` would keep its `1` and freeze the
    BN statistics at the wrong fraction of the QAT window: refused, with the way out."""
    text = """
qat_start: 3
qat_epochs: 2
modifiers:
  - !EpochRangeModifier
    start_epoch: 0
    end_epoch: eval(qat_start + qat_epochs)
  - !QuantizationModifier
    start_epoch: eval(qat_start)
    freeze_bn_stats_epoch: eval(qat_start + 1)
"""
    with pytest.raises(
        RescaleError, match=r"freeze_bn_stats_epoch .* would be 7, not 8"
    ):
        rescale(load(text, text=True), 180)
    fixed = text.replace("qat_epochs: 2", "qat_epochs: 2\nfreeze_after: 1").replace(
        "eval(qat_start + 1)", "eval(qat_start + freeze_after)"
    )
    out = reload(load(fixed, text=True), rescale(load(fixed, text=True), 180).text)
    assert out.models[1][1].freeze_bn_stats_epoch == 8


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(
        [
            "digits-gmp.yaml",
            "digits-gmp-qat.yaml",
            "yolov5s-pruned95-block4-qat.md",
            "yolov5s-gmp.md",
        ]
    ),
    epochs=st.floats(1, 400).map(lambda x: round(x, 2)),
    spe=st.integers(1, 2000),
)
# short decimals summing to one ulp above step 12213's epoch: settling lowered the
# sum a step early (12213, not 12214)
@example(name="yolov5s-pruned95-block4-qat.md", epochs=318.62, spe=69)
def test_steps_per_epoch_puts_every_field_on_sparsemls_grid(name, epochs, spe):
    """--steps-per-epoch N: every epoch field, sums of variables included, fires at
    the step it would fire at if written as that step's exact epoch (59/44 + 39/44
    is one ulp above 2 + 10/44, which fired a step late before), though written as a
    short decimal; so lint finds nothing off the grid."""
    from unittest import mock

    from recipe_compiler.edit import rescale as module
    from recipe_compiler.schedule.clock import Clock
    from recipe_compiler.schedule.clock import step_epoch as engine_epoch

    recipe = load(ROOT / "recipes" / name)

    def fields(text):
        after = reload(recipe, text)
        clock = Clock(spe, 10**9)
        for e, m in after.models:
            for field in QAT_AND_WINDOW_FIELDS:
                v = getattr(m, field, None)
                if v is not None and v != -1:
                    yield (e.index, field), v, clock.first_at_or_after(v)

    try:
        text = rescale(recipe, epochs, round_to=1 / spe).text
    except RescaleError as exc:  # refused only for what rounding to steps breaks
        assert str(exc).startswith("rounding"), exc
        assert "order" in str(exc) or "collapses" in str(exc), exc
        return

    def exact(value, spe, within=None):
        return engine_epoch(module.landing_step(value, spe), spe)

    with mock.patch.object(module, "short_on_step", exact):
        exact_text = rescale(recipe, epochs, round_to=1 / spe).text
    want = {where: k for where, _, k in fields(exact_text)}
    for where, v, k in fields(text):
        assert k == want[where], (where, v, k, want[where])
        assert engine_epoch(k - 1, spe) < v <= engine_epoch(k, spe), (where, v)
    codes = {p.code for p in lint_recipe(reload(recipe, text), None, spe).problems}
    assert "RC227" not in codes, codes  # (RC226 is about update_frequency, kept)


QAT_AND_WINDOW_FIELDS = (
    "start_epoch",
    "end_epoch",
    "freeze_bn_stats_epoch",
    "disable_quantization_observer_epoch",
)


def test_step_snapped_numbers_are_short_decimals():
    """The guide's recipe at 300 epochs and 1849 steps per epoch: 166.6668, not
    166.6668469442942, and the plan fires at the same steps as with the long form."""
    recipe = load(BUNDLED)
    text = rescale(recipe, 300, round_to=1 / 1849).text
    assert "66.6668\n" in text and "6668469" not in text
    from recipe_compiler.edit.rescale import short_on_step

    assert short_on_step(166.6668469442942, 1849) == 166.6668
    assert short_on_step(30.0, 7) == 30.0
    assert short_on_step(0.0, 7) == 0.0


def test_rescale_reports_sparsemls_training_length_and_the_partial_epoch():
    code, _, err = run("rescale", str(BUNDLED), "--epochs", "300", "--diff")
    assert code == 0
    assert "SparseML trains 167 epochs (max_epochs)" in err
    assert "0.6667 into epoch 167" in err and "--round 1" in err
    code, _, err = run("rescale", str(BUNDLED), "--epochs", "180", "--diff")
    assert code == 0
    assert "SparseML trains 100 epochs (max_epochs)\n" in err
    assert "--round" not in err


def test_rounding_snaps_and_never_reorders():
    recipe = load(BUNDLED)
    out = reload(recipe, rescale(recipe, 300, round_to=1).text)
    assert [e for _, _, e in windows(out)] == [167, -1, 167, 100]
    with pytest.raises(RescaleError, match="order"):
        text = BUNDLED.read_text().replace(
            "num_finetuning_epochs: 20", "num_finetuning_epochs: 1"
        )
        rescale(load(text, text=True), 30, round_to=10)


def run(*args):
    r = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


def test_cli_outputs(tmp_path):
    src = tmp_path / "r.md"
    src.write_text(BUNDLED.read_text())
    code, out, _ = run("rescale", str(src), "--epochs", "300", "--diff")
    assert code == 0 and "+num_pruning_epochs: 100" in out
    assert src.read_text() == BUNDLED.read_text()  # nothing written without -o
    code, _, _ = run(
        "rescale", str(src), "--epochs", "300", "-o", str(tmp_path / "o.md")
    )
    assert code == 0 and "num_pruning_epochs: 100" in (tmp_path / "o.md").read_text()
    assert (
        run("rescale", str(src), "--epochs", "300", "-o", str(tmp_path / "o.yml"))[0]
        == 2
    )
    code, _, _ = run("rescale", str(src), "--epochs", "300", "--in-place")
    assert code == 0 and "num_pruning_epochs: 100" in src.read_text()
    # a link inside the working tree: its target is rewritten, the link stays
    link = tmp_path / "link.md"
    link.symlink_to(src)
    args = ["--epochs", "300", "--in-place", "--lr", "0.02:0.0002"]
    assert run("rescale", str(link), *args)[0] == 0
    assert link.is_symlink() and "pruning_lr: 0.0101" in src.read_text()


def test_in_place_refuses_links_out_of_the_tree_and_changed_files(
    tmp_path, monkeypatch
):
    import tempfile

    outside = Path(tempfile.mkdtemp()) / "r.md"
    outside.write_text(BUNDLED.read_text())
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    (work / "link.md").symlink_to(outside)
    code, _, err = run("rescale", "link.md", "--epochs", "300", "--in-place")
    assert code == 2 and "outside" in err
    assert outside.read_text() == BUNDLED.read_text()
    from recipe_compiler.fileio import RewriteError, rewrite

    (work / "r.md").write_text("changed")
    with pytest.raises(RewriteError, match="changed since it was read"):
        rewrite(work / "r.md", BUNDLED.read_text(), "new")
    assert (work / "r.md").read_text() == "changed"


def test_compile_overrides_and_flatten(tmp_path):
    out = tmp_path / "c.md"
    code, _, err = run(
        "compile", str(BUNDLED), "--var", "final_sparsity=0.9", "-o", str(out)
    )
    assert code == 0, err
    compiled = load(out)
    assert compiled.ok and "final_sparsity: 0.9" in out.read_text()
    flat = tmp_path / "flat.yaml"
    code, _, err = run("compile", str(BUNDLED), "--flatten", "-o", str(flat))
    assert code == 0, err
    assert "eval(" not in flat.read_text() and lint_recipe(load(flat)).problems == []
    assert load(flat).max_epochs == 50


def test_compile_refuses_what_sparseml_refuses():
    guide = load(ROOT / "recipes" / "guide" / "yolov5s-gmp-as-published.md")
    with pytest.raises(CompileError):
        compile_recipe(guide, {}, flat=False)
    text = "x: &x 10\nmodifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: *x\n"
    with pytest.raises(CompileError, match="alias"):
        compile_recipe(load(text, text=True), {"x": 20}, flat=False)
    minus = "modifiers:\n  - !EpochRangeModifier\n    start_epoch: eval(0)\n    end_epoch: eval(-(-5))\n"
    with pytest.raises(CompileError):
        compile_recipe(load(minus, text=True), {}, flat=False)
    assert "end_epoch: 5" in compile_recipe(load(minus, text=True), {}, flat=True)


def test_explain():
    code, out, _ = run("explain", str(BUNDLED))
    assert code == 0
    assert "num_pruning_epochs = 30" in out
    assert "!GlobalMagnitudePruningModifier end_epoch (line 46)" in out
    assert "eval(num_pruning_epochs + num_finetuning_epochs) = 50" in out


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("path", RESCALABLE, ids=lambda p: p.name[-45:])
def test_rescaled_recipes_load_in_sparseml(sparseml, path):
    recipe = _rescalable(path)
    text = rescale(recipe, 300).text
    manager = sparseml.from_yaml(text)
    largest = max(v for _, m in recipe.models for v in (m.start, m.end) if v > -1)
    assert manager.max_epochs == math.ceil(round(largest * 300 / 90, 4))
    assert manager.max_epochs == reload(recipe, text).max_epochs


@st.composite
def parametric_recipes(draw):
    """Generated recipes whose epochs come from variables, anchors and literals."""
    prune = draw(st.sampled_from([10, 30, 45.5]))
    tune = draw(st.sampled_from([5, 20, 12.5]))
    freq = draw(st.sampled_from([0.5, 1.0]))
    style = draw(st.sampled_from(["eval", "anchor", "literal"]))
    if style == "eval":
        end_prune, end_all = "eval(prune)", "eval(prune + tune)"
    elif style == "anchor":
        end_prune, end_all = "*prune", "*total"
    else:
        end_prune, end_all = str(prune), str(prune + tune)
    qat = draw(st.booleans())
    lines = [
        "# generated",
        f"prune: &prune {prune}",
        f"tune: {tune}",
        f"total: &total {prune + tune}",
        f"freq: {freq}",
        "modifiers:",
        "  - !EpochRangeModifier",
        "    start_epoch: 0",
        f"    end_epoch: {end_all}  # training length",
        "  - !GMPruningModifier",
        "    params: __ALL_PRUNABLE__",
        "    init_sparsity: 0.05",
        "    final_sparsity: 0.8",
        f"    start_epoch: {draw(st.sampled_from(['0', '1.5']))}",
        f"    end_epoch: {end_prune}",
        "    update_frequency: eval(freq)",
        "  - !LearningRateFunctionModifier",
        "    lr_func: cosine",
        "    init_lr: 0.005",
        "    final_lr: 0.0001",
        f"    start_epoch: {end_prune}",
        f"    end_epoch: {end_all}",
    ]
    if qat:
        lines += [
            "  - !QuantizationModifier",
            f"    start_epoch: {prune + tune - 2}",
            f"    freeze_bn_stats_epoch: {prune + tune - 1}",
        ]
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None)
@given(text=parametric_recipes(), n=st.sampled_from([30, 90, 150, 300, 1000]))
def test_generated_recipes_rescale(text, n):
    recipe = load(text, text=True)
    assert recipe.ok, recipe.problems
    out = rescale(recipe, n)
    after = reload(recipe, out.text)
    f = n / 90
    for (_, s0, e0), (_, s1, e1) in zip(windows(recipe), windows(after), strict=True):
        assert math.isclose(s1, s0 * f, abs_tol=1e-3) or s0 == s1 == -1
        assert math.isclose(e1, e0 * f, abs_tol=1e-3) or e0 == e1 == -1
    assert (
        "update_frequency: eval(freq)" in out.text
        and "freq: " + str(recipe.variables["freq"].value) in out.text
    )  # kept
    assert "# training length" in out.text
    assert rescale(recipe, 90).text == text


def test_lrs_at_the_base_length_write_no_rescaled_from_90_to_90_header():
    recipe = load(BUNDLED)
    text = rescale(recipe, 90, lr=(0.01, 0.0001)).text
    assert "rescaled from" not in text
    assert text.count("# learning rates by the 90-epoch rule from 0.01:0.0001") == 1
    again = rescale(reload(recipe, text), 90, lr=(0.02, 0.0001)).text
    assert "0.01:0.0001" not in again and again.count("90-epoch rule from 0.02") == 1
    moved = rescale(reload(recipe, again), 300).text
    assert "# rescaled from 90 to 300 epochs" in moved
    assert rescale(recipe, 90).text == recipe.source.text  # nothing to do: unchanged
