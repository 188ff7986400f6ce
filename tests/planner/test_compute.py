"""What the planner page shows for a text (planner/compute.py): the same
problems as `recipe lint`, the same charts as `recipe preview`, a knob per
variable, and knob edits that are `recipe compile --var`'s and `recipe
rescale`'s edits, comments kept."""

from __future__ import annotations

import json

import pytest

from recipe_compiler.edit.rescale import rescale
from recipe_compiler.edit.set_vars import write
from recipe_compiler.linter.engine import lint_recipe
from recipe_compiler.loader.recipe import load
from recipe_compiler.planner.compute import (
    Cache,
    EditError,
    Settings,
    set_epochs,
    set_variable,
    state,
)
from recipe_compiler.schedule.timeline import plan
from recipe_compiler.views.preview import Planned, figures
from tests.conftest import ROOT

BUNDLED = ROOT / "recipes" / "yolov5s-gmp.md"
SPE = 1849


def settings(path=BUNDLED, spe=SPE):
    return Settings(path=str(path), steps_per_epoch=spe)


def test_the_state_is_lint_s_problems_and_preview_s_charts():
    text = BUNDLED.read_text()
    got = state(text, settings())
    recipe = load(BUNDLED)
    ours = lint_recipe(recipe, steps_per_epoch=SPE).problems
    assert [(p["line"], p["code"]) for p in got["problems"]] == [
        (p.line, p.code) for p in ours
    ]
    assert got["parsed"] and got["dialect"] == "sparseml" and got["errors"] == 0
    theirs = figures([Planned(recipe, plan(recipe, SPE), ours, str(BUNDLED))])
    assert [f["data"] for f in got["figures"]] == [f["data"] for f in theirs]
    json.dumps(got, allow_nan=False)  # (what the page receives)


def test_every_variable_is_a_knob_with_a_range_around_its_value():
    got = state(BUNDLED.read_text(), settings())
    knobs = {k["name"]: k for k in got["variables"]}
    recipe = load(BUNDLED)
    assert set(knobs) == {v.name for v in recipe.all_variables()}
    fs = knobs["final_sparsity"]
    assert fs["numeric"] and fs["editable"] and fs["value"] == 0.8
    assert fs["min"] == 0 and fs["max"] == 1 and fs["step"] == 0.01
    epochs = knobs["num_pruning_epochs"]
    assert epochs["step"] == 1 and epochs["min"] <= 30 <= epochs["max"]
    assert got["epochs"] == {"dense": 90.0, "declared": False, "planned": 50}


def test_a_knob_edits_the_text_as_compile_var_does():
    text = BUNDLED.read_text()
    new = set_variable(text, settings(), "final_sparsity", "0.75")
    assert new == write(load(BUNDLED), {"final_sparsity": 0.75})
    assert "final_sparsity: 0.75          # fraction of weights set to zero" in new
    with pytest.raises(EditError, match="no plain variable"):
        set_variable(text, settings(), "no_such", "1")
    with pytest.raises(EditError, match="finite"):
        set_variable(text, settings(), "final_sparsity", "nan")


def test_the_training_length_is_rescale_s():
    text = BUNDLED.read_text()
    assert (
        set_epochs(text, settings(), 300, "sparseml")
        == rescale(load(BUNDLED), 300).text
    )
    with pytest.raises(EditError):
        set_epochs(text, settings(), -3, "sparseml")


def test_a_text_that_does_not_parse_keeps_no_charts_and_says_where():
    text = BUNDLED.read_text().replace("init_sparsity: 0.05", "init_sparsity: [0.05")
    got = state(text, settings())
    assert not got["parsed"] and got["figures"] == []
    assert got["errors"] >= 1 and got["problems"][0]["line"] > 1


def test_an_edit_reuses_the_cached_tree_and_says_the_same():
    text = BUNDLED.read_text()
    cache = Cache()
    state(text, settings(), cache=cache)
    edited = text.replace("final_sparsity: 0.8", "final_sparsity: 0.7")
    assert state(edited, settings(), cache=cache) == state(edited, settings())


def test_a_sparseml_core_recipe_charts_its_train_stages(tmp_path):
    core = tmp_path / "core.yaml"
    core.write_text(
        "end: 4\ntrain_stage:\n  pruning_modifiers:\n    MagnitudePruningModifier:\n"
        "      targets: ['re:.*weight']\n      init_sparsity: 0.1\n"
        "      final_sparsity: 0.5\n      start: 0\n      end: eval(end)\n"
        "      update_frequency: 1\n"
    )
    got = state(core.read_text(), settings(core, 10))
    assert got["dialect"] == "sparseml-core"
    assert [k["name"] for k in got["variables"]] == ["end"]
    assert len(got["figures"]) == 1
    new = set_variable(core.read_text(), settings(core, 10), "end", "8")
    assert new.startswith("end: 8\n")


def test_with_a_sweep_the_speed_of_the_nearest_variant_is_shown():
    from recipe_compiler.hardware.measured import _parse
    from tests.hardware.test_measured import here, sweep_doc

    target = _parse(sweep_doc(here()), "sweep.json")
    got = state(BUNDLED.read_text(), Settings(str(BUNDLED), SPE, target=target))
    assert got["speed"]["code"] == "RC601"
    assert "x in" in got["speed"]["message"]  # (a measured ratio)
    assert state(BUNDLED.read_text(), settings())["speed"] is None


def test_with_a_model_each_layer_s_final_sparsity_is_charted():
    from recipe_compiler.model.sources import load_network

    net = load_network("yolov5s")
    got = state(BUNDLED.read_text(), Settings(str(BUNDLED), SPE, model=net))
    plain = state(BUNDLED.read_text(), settings())
    assert len(got["figures"]) == len(plain["figures"]) + 1
    layers = got["figures"][-1]
    assert layers["id"] == "fig-layers"
    assert any("model.0.conv.weight" in t["x"] for t in layers["data"])


def test_a_name_in_several_stages_is_one_knob_that_sets_them_all(tmp_path):
    text = (
        "stage_0:\n  lr: 0.1\n  modifiers:\n    - !SetLearningRateModifier\n"
        "      start_epoch: 0\n      learning_rate: eval(lr)\n"
        "stage_1:\n  lr: 0.2\n  modifiers:\n    - !SetLearningRateModifier\n"
        "      start_epoch: 1\n      learning_rate: eval(lr)\n"
    )
    path = tmp_path / "r.yaml"
    got = state(text, settings(path, 10))
    knobs = [k for k in got["variables"] if k["name"] == "lr"]
    assert len(knobs) == 1 and knobs[0]["places"] == 2
    assert "a change sets every one" in knobs[0]["why"]
    new = set_variable(text, settings(path, 10), "lr", "0.3")
    assert new.count("lr: 0.3") == 2  # (as `recipe compile --var lr=0.3` writes it)


def test_a_sparseml_core_arg_is_set_and_no_stage_key_of_its_name(tmp_path):
    text = (
        "sparsity: 0.5\nobcq_stage:\n  obcq_modifiers:\n    SparseGPTModifier:\n"
        "      sparsity: 0.6\n      block_size: 128\n"
        "train_stage:\n  pruning_modifiers:\n    ConstantPruningModifier:\n"
        "      targets: ['re:.*weight']\n      start: eval(sparsity)\n"
    )
    path = tmp_path / "core.yaml"
    new = set_variable(
        text, settings(path, 10), "sparsity", "0.7", None, "sparseml-core"
    )
    assert new.startswith("sparsity: 0.7\n") and "      sparsity: 0.6\n" in new


def test_a_knob_needs_a_value_and_steps_fit_small_fractions():
    with pytest.raises(EditError, match="value"):
        set_variable(BUNDLED.read_text(), settings(), "final_sparsity", " ")
    got = state(BUNDLED.read_text(), settings())
    knobs = {k["name"]: k for k in got["variables"]}
    assert knobs["finetuning_final_lr"]["value"] == 0.0001
    assert knobs["finetuning_final_lr"]["step"] == pytest.approx(0.00001)
    assert knobs["pruning_lr"]["step"] == pytest.approx(0.0001)
