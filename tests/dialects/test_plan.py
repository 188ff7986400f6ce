"""`recipe plan` of a sparseml.core recipe: oneshot stages apply once before
training; a train stage is replayed as its session runs it (the schedule is held
to the engine: tests/sparseml_core/test_schedule_oracle.py), in time order, with
a MagnitudePruningModifier's sparsity and the final one it leaves when that is
not its final_sparsity. llm-compressor's oneshot has no schedule: said."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from recipe_compiler.cli import main

RECIPE = """\
s: 0.8
oneshot_stage:
  obcq_modifiers:
    SparseGPTModifier:
      sparsity: 0.5
      start: -1
train_stage:
  pruning_modifiers:
    MagnitudePruningModifier:
      targets: __ALL_PRUNABLE__
      init_sparsity: 0.05
      final_sparsity: eval(s)
      start: 1
      end: 3
    ConstantPruningModifier:
      targets: __ALL_PRUNABLE__
      start: 0.5
      end: 2.25
"""


def plan(tmp_path, text, *args):
    path = tmp_path / "r.yaml"
    path.write_text(text)
    r = CliRunner().invoke(main, ["plan", str(path), *args])
    return r.exit_code, r.stdout, r.stderr


def test_a_train_stage_is_replayed_as_its_session_runs_it(tmp_path):
    code, out, err = plan(tmp_path, RECIPE, "--steps-per-epoch", "4")
    assert code == 0, err
    events = [re.sub(r"\s+", " ", line.strip()) for line in out.splitlines()[1:]]
    assert events == [
        "stage 'oneshot' (oneshot)",
        "before training SparseGPTModifier applied once (oneshot)",
        "stage 'train' (train)",
        "step 2 epoch 0.500 ConstantPruningModifier starts",
        "step 4 epoch 1.000 MagnitudePruningModifier starts at sparsity 0.0500",
        "step 8 epoch 2.000 MagnitudePruningModifier sparsity 0.7063",
        "step 8 epoch 2.000 ConstantPruningModifier ends after this step",
        "step 11 epoch 2.750 MagnitudePruningModifier ends after this step at "
        "sparsity 0.7985 (not its final_sparsity 0.8: its last update is this batch)",
    ]


def test_json_lists_every_event_and_var_sets_args(tmp_path):
    code, out, _ = plan(
        tmp_path, RECIPE, "--steps-per-epoch", "4", "--format", "json", "--var", "s=0.9"
    )
    assert code == 0
    data = json.loads(out)
    assert data["dialect"] == "sparseml-core"
    last = data["events"][-1]
    assert (last["step"], last["modifier"]) == (11, "MagnitudePruningModifier")
    assert "final_sparsity 0.9" in last["event"]


def test_an_error_is_refused_and_llm_compressor_has_no_schedule(tmp_path):
    code, _, err = plan(tmp_path, RECIPE.replace("eval(s)", "eval(t)"))
    assert code == 1 and "RC728" in err
    llmc = "quant_stage:\n  quant_modifiers:\n    GPTQModifier:\n      scheme: W4A16\n"
    code, _, err = plan(tmp_path, llmc)
    assert code == 2 and "no training schedule" in err


def test_what_a_recipe_may_cost_is_bounded(tmp_path):
    """A train stage of more steps than are replayed is refused by plan (lint
    checks its steps only up to its own bound, and says nothing it did not
    compute)."""
    huge = RECIPE.replace("end: 3", "end: 1000000000.0")
    code, _, err = plan(tmp_path, huge, "--steps-per-epoch", "100")
    assert code == 2 and "more than the 200,000 replayed" in err
    from tests.conftest import lint_text

    _, problems = lint_text(huge, "r.yaml", dialect="sparseml-core")
    assert [p.code for p in problems if p.severity == "error"] == []
