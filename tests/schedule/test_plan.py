"""`recipe plan` and the schedule API: the JSON contract, formats, phases."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from recipe_compiler.cli import main
from recipe_compiler.loader.recipe import load
from recipe_compiler.schedule.clock import Clock, update_points
from recipe_compiler.schedule.timeline import plan
from tests.conftest import CORPUS, ROOT

BUNDLED = ROOT / "recipes" / "yolov5s-gmp.md"


def run(*args):
    r = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


def test_json_contract():
    code, out, _ = run(
        "plan", str(BUNDLED), "--steps-per-epoch", "4", "--format", "json"
    )
    assert code == 0
    doc = json.loads(out)
    assert {
        "max_epochs",
        "steps_per_epoch",
        "total_steps",
        "modifiers",
        "steps",
    } <= set(doc)
    assert (doc["max_epochs"], doc["steps_per_epoch"], doc["total_steps"]) == (
        50,
        4,
        200,
    )
    mods = doc["modifiers"]
    assert [m["type"] for m in mods] == [
        "EpochRangeModifier",
        "SetLearningRateModifier",
        "LearningRateFunctionModifier",
        "GlobalMagnitudePruningModifier",
    ]
    for m in mods:
        assert {
            "type",
            "params",
            "start_epoch",
            "end_epoch",
            "start_step",
            "end_step",
        } <= set(m)
    gmp = mods[3]
    assert (
        gmp["params"]["final_sparsity"] == 0.8
        and gmp["params"]["params"] == "__ALL_PRUNABLE__"
    )
    assert (gmp["start_step"], gmp["end_step"]) == (0, 120)
    assert gmp["update_steps"] == list(range(0, 121, 2))
    steps = doc["steps"]
    assert len(steps["lr"]) == 200 and steps["lr"][0] == 0.00505
    assert list(steps["sparsity"]) == ["3"]
    sp = steps["sparsity"]["3"]
    assert (
        len(sp) == 200 and sp[0] == 0.05 and sp[119] < 0.8 and sp[120] == 0.8 == sp[-1]
    )
    # fine-tuning: cosine from 0.00505 at epoch 30 towards 0.0001 at 50 (not reached)
    assert steps["lr"][120] == pytest.approx(0.00505)
    assert 0.0001 < steps["lr"][-1] < 0.0002
    assert [p["name"] for p in doc["phases"]] == ["pruning", "fine-tuning"]


def test_table_and_csv():
    code, out, _ = run("plan", str(BUNDLED), "--steps-per-epoch", "10")
    assert code == 0
    assert "500 steps = 50 epochs x 10 steps/epoch (max_epochs 50)" in out
    assert "GlobalMagnitudePruningModifier  0 -> 30" in out
    code, out, _ = run(
        "plan", str(BUNDLED), "--steps-per-epoch", "10", "--format", "csv"
    )
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["step", "epoch", "lr", "weight_decay", "sparsity_3"]
    assert len(rows) == 501 and rows[1][:3] == ["0", "0.0", "0.00505"]


def test_plan_refuses_bad_recipes_and_input():
    guide = ROOT / "recipes" / "guide" / "yolov5s-gmp-as-published.md"
    assert run("plan", str(guide), "--steps-per-epoch", "4")[0] == 1
    assert run("plan", "nope.md", "--steps-per-epoch", "4")[0] == 2
    assert run("plan", str(BUNDLED), "--steps-per-epoch", "0")[0] == 2
    code, _, err = run("plan", str(BUNDLED), "--steps-per-epoch", "4", "--var", "x=1")
    assert code == 2 and "cannot override 'x'" in err


@pytest.mark.parametrize(
    "path", sorted((CORPUS / "sparseml").iterdir()), ids=lambda p: p.name[-40:]
)
def test_plan_runs_on_corpus_recipes(path):
    recipe = load(path)
    # Neural Magic's own mobilenet card uses an alias it never defines, and
    # SparseML refuses it too ("found undefined alias"): plan has nothing to run
    assert recipe.ok == ("mobilenet-pruned_quant" not in path.name), path.name
    if not recipe.ok:
        assert [p.code for p in recipe.problems if p.severity == "error"] == ["RC001"]
        assert "undefined alias" in recipe.problems[0].message
        return
    t = plan(recipe, 7)
    assert t.total_steps == round(recipe.max_epochs * 7)
    assert t.lr.shape == (1, t.total_steps)


def test_drift_as_the_semantics_document_it():
    # freq 0.4 at 3 steps per epoch: 0, 0.667, 1.333, 2.0 (SEMANTICS c.1)
    steps, _, _ = update_points(Clock(3, 30), 0.0, 2.0, 0.4)
    assert list(steps) == [0, 2, 4, 6]
    # freq 0.1 at 10: the update at 0.3 is skipped, 0.2 + 0.1 > 0.3
    steps, _, _ = update_points(Clock(10, 30), 0.0, 1.0, 0.1)
    assert 3 not in steps and 4 in steps


def test_gradient_accumulation_maps_steps_to_batches():
    t = plan(load(BUNDLED), 4, grad_accum=8)
    assert t.batch_of_step(10) == 80


def test_qat_phases_and_markers():
    text = """
modifiers:
  - !EpochRangeModifier
    start_epoch: 0
    end_epoch: 12
  - !GMPruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 1
    end_epoch: 6
    update_frequency: 1
  - !QuantizationModifier
    start_epoch: 9
    freeze_bn_stats_epoch: 10
    disable_quantization_observer_epoch: 11
"""
    t = plan(load(text, text=True), 2)
    got = [(p.name, p.start_epoch, p.end_epoch) for p in t.phases]
    assert got == [
        ("stabilization", 0.0, 1.0),
        ("pruning", 1.0, 6.0),
        ("fine-tuning", 6.0, 9.0),
        ("qat", 9.0, 12.0),
        ("bn-freeze", 10.0, 12.0),
        ("observers-off", 11.0, 12.0),
    ]
    assert math.isnan(t.lr[0][0])  # no LR modifier: the optimizer's own LR


def test_frequencies_shorter_than_a_step_update_on_every_step():
    steps, _, _ = update_points(Clock(100, 4000), 0.0, 40.0, 1e-5)
    assert isinstance(steps, range) and (steps.start, steps.stop) == (0, 4000)
    # exactly one step is not "shorter": it is replayed, drift and all
    steps, _, _ = update_points(Clock(100, 4000), 0.0, 40.0, 0.01)
    assert not isinstance(steps, range)


@pytest.mark.parametrize(
    "name", ["yolov5s-gmp.md", "digits-gmp-qat.yaml", "yolov5s-pruned95-block4-qat.md"]
)
@pytest.mark.parametrize("epochs", ["300", "37"])
def test_table_phases_use_the_epochs_the_windows_print(tmp_path, name, epochs):
    """A rescaled recipe's windows end at 166.6668: its phases say so too (they
    printed the clock's 166.667 beside the window's 166.6667), numbers print short
    and columns line up; the steps trained after the last end are named."""
    out = tmp_path / f"r{Path(name).suffix}"
    code, _, _ = run(
        "rescale", str(ROOT / "recipes" / name), "--epochs", epochs, "-o", str(out)
    )
    assert code == 0
    code, table, _ = run("plan", str(out), "--steps-per-epoch", "1849")
    assert code == 0
    head, _, rest = table.partition("\nphases:\n")
    windows = set(re.findall(r"(\S+) -> (\S+)\s+\d+ ->", head))
    written = {x for pair in windows for x in pair} | set(
        re.findall(r"@([0-9.]+[0-9])", head)  # QAT's markers, in its "what"
    )
    t = plan(load(out), 1849)
    for ph in t.phases:
        for x in (ph.start_epoch, ph.end_epoch):
            text = f"{x:.10g}"
            assert text in written or x == t.total_steps / 1849, (ph, written)
            assert re.search(rf"epochs (\S+ -> )?{re.escape(text)}\b", rest)
    assert not re.search(r"\d\.\d{11,}", table), table  # no float noise
    rows = head.splitlines()[2:]
    starts = {[m.start() for m in re.finditer(r"\S+", r)][2] for r in rows}
    assert len(starts) == 1, rows  # the epochs column starts at one column
    if t.epochs[-1] > max(max(m.start, m.end) for m in (p.model for p in t.modifiers)):
        assert "more steps to max_epochs" in table


def test_table_prints_the_final_lr_short(tmp_path):
    """The cosine ends at 1e-4 plus float noise: printed as 0.0001, as written."""
    out = tmp_path / "r.md"
    assert run("rescale", str(BUNDLED), "--epochs", "300", "-o", str(out))[0] == 0
    code, table, _ = run("plan", str(out), "--steps-per-epoch", "1849")
    assert code == 0
    t = plan(load(out), 1849)
    assert t.lr[0][-1] != 0.0001  # the float the engine computes ...
    assert "final LR 0.0001\n" in table, table  # ... printed as people write it


def test_a_run_time_crash_is_planned_and_exits_1(tmp_path):
    """RC205: SparseML loads the recipe and divides by zero at the first pruning
    step. The plan shows where; the exit code says it is an error, as lint's."""
    path = tmp_path / "crash.yaml"
    path.write_text(
        "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 10\n"
        "  - !GMPruningModifier\n    params: __ALL_PRUNABLE__\n"
        "    init_sparsity: 0.05\n    final_sparsity: 0.8\n    start_epoch: 2\n"
        "    end_epoch: 2\n    update_frequency: 1\n"
    )
    code, out, err = run("plan", str(path))
    assert code == 1
    assert "CRASH: ZeroDivisionError" in out and "RC205 error" in err
    code, out, _ = run("plan", str(path), "--format", "json")
    assert code == 1 and json.loads(out)["modifiers"][1]["crash"]["step"] == 200
