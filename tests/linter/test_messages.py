"""Hints and messages that say what is wrong and what to do (issue 13, point 7):
each names the field at fault, SparseML's own reason, and a fix that works."""

from __future__ import annotations

from click.testing import CliRunner

from recipe_compiler.cli import main
from recipe_compiler.linter.engine import lint_recipe
from recipe_compiler.loader.recipe import load

EPOCHS = "  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 50\n"


def lint(text):
    return lint_recipe(load(text, text=True)).problems


def gmp(**fields):
    base = {
        "params": "__ALL_PRUNABLE__",
        "init_sparsity": 0.05,
        "final_sparsity": 0.8,
        "start_epoch": 0,
        "end_epoch": 30,
        "update_frequency": 1,
    }
    base.update(fields)
    body = "".join(f"    {k}: {v}\n" for k, v in base.items() if v is not None)
    return "  - !GlobalMagnitudePruningModifier\n" + body


def test_a_variable_written_without_eval_gets_the_eval_hint():
    for value in ("num_pruning_epochs", "num_pruning_epochs + 2"):
        text = "num_pruning_epochs: 30\nmodifiers:\n" + EPOCHS + gmp(end_epoch=value)
        (p,) = [p for p in lint(text) if p.code == "RC104"]
        assert "must be a number" in p.message
        assert p.hint.startswith(f"write eval({value})"), p.hint
    # a name that is no variable: no such hint (eval would fail too)
    text = "modifiers:\n" + EPOCHS + gmp(end_epoch="num_pruning_epochs")
    (p,) = [p for p in lint(text) if p.code == "RC104"]
    assert not (p.hint or "").startswith("write eval(")


def test_a_misspelled_required_field_is_one_error_with_its_guess():
    text = "modifiers:\n" + EPOCHS + gmp(final_sparsity=None, finel_sparsity=0.8)
    found = [p for p in lint(text) if p.severity == "error"]
    assert [p.code for p in found] == ["RC102"], found
    (p,) = found
    assert "'finel_sparsity'" in p.message and "required 'final_sparsity'" in p.message
    assert p.hint == "did you mean 'final_sparsity'?"
    # a missing field and an unrelated unknown one: both said
    text = "modifiers:\n" + EPOCHS + gmp(final_sparsity=None, colour=3)
    assert sorted(p.code for p in lint(text) if p.severity == "error") == [
        "RC102",
        "RC103",
    ]


def test_new_form_field_next_to_a_legacy_only_one_says_which_chose_legacy():
    text = (
        "modifiers:\n" + EPOCHS + "  - !QuantizationModifier\n    start_epoch: 40\n"
        "    submodules: [model.0]\n    scheme: default\n"
    )
    (p,) = [p for p in lint(text) if p.code == "RC102"]
    assert "'submodules' (line 7)" in p.message and "legacy" in p.message
    assert "remove 'submodules'" in p.hint and "remove 'scheme'" in p.hint


def test_qat_marker_warnings_speak_of_their_own_field():
    text = (
        "modifiers:\n" + EPOCHS + "  - !QuantizationModifier\n    start_epoch: 40\n"
        "    freeze_bn_stats_epoch: 40\n    disable_quantization_observer_epoch: 40\n"
    )
    bn, obs = sorted((p for p in lint(text) if p.code == "RC224"), key=lambda p: p.line)
    assert bn.message.startswith("freeze_bn_stats_epoch")
    assert "batch-norm statistics" in bn.message and "observer" not in bn.message
    assert "BN statistics" in bn.hint
    assert obs.message.startswith("disable_quantization_observer_epoch")
    assert "observers" in obs.message and "calibrate" in obs.message


LRF = (
    "  - !LearningRateFunctionModifier\n    lr_func: cosine\n    init_lr: 0.01\n"
    "    final_lr: 0.0001\n    start_epoch: 30\n    end_epoch: 50\n"
)


def test_a_one_step_lr_overlap_is_not_called_a_lasting_one():
    one = (
        "modifiers:\n"
        + EPOCHS
        + LRF
        + (
            "  - !SetLearningRateModifier\n    learning_rate: 0.005\n    start_epoch: 30\n"
        )
    )
    (p,) = [p for p in lint(one) if p.code == "RC221"]
    assert "at step 3000 (epoch 30), one step" in p.message
    assert " to step" not in p.message  # no "from ... to ..." span
    assert "lasts that one step" in p.message
    lasting = (
        "modifiers:\n"
        + EPOCHS
        + LRF
        + LRF.replace("start_epoch: 30", "start_epoch: 40")
    )
    (p,) = [p for p in lint(lasting) if p.code == "RC221"]
    assert "from step 4000 (epoch 40) to step" in p.message
    assert "at every one of these steps" in p.message


def test_config_that_hides_problems_says_how_many(tmp_path, monkeypatch):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "modifiers:\n" + EPOCHS + "  - !QuantizationModifier\n    start_epoch: 40\n"
        "    freeze_bn_stats_epoch: 40  # recipe: disable=RC224\n"
        "    disable_quantization_observer_epoch: 40\n"
    )
    (tmp_path / ".recipelint.yaml").write_text("rules:\n  RC224: disable\n")
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["lint", "r.yaml"], catch_exceptions=False)
    assert r.exit_code == 0
    assert r.stdout.endswith(
        "1 recipe checked: no problems "
        "(2 suppressed by config, --select/--ignore or # recipe: disable=: RC224 x2)\n"
    ), r.stdout
    (tmp_path / ".recipelint.yaml").unlink()
    r = CliRunner().invoke(main, ["lint", "r.yaml"], catch_exceptions=False)
    assert (
        "1 warning (1 suppressed by config, --select/--ignore or # recipe: disable=: RC224 x1)"
        in (r.stdout)
    )


def test_rc222_docs_state_the_threshold_the_code_uses():
    from recipe_compiler.linter.rules import rc222_pruning_into_qat as rule

    doc = " ".join(rule.__doc__.split())
    assert f"FINE_TUNE_FRACTION = {rule.FINE_TUNE_FRACTION:g}" in doc
    assert f"{30 * rule.FINE_TUNE_FRACTION:g} epochs after 30" in doc
