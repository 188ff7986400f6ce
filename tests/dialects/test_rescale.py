"""`recipe rescale` of staged recipes: a sparseml.core recipe's train stages move
by the 90-epoch rule through its args, comments kept (what the engine then makes
of it: tests/sparseml_core/test_rescale_oracle.py); what cannot move, llm-
compressor's oneshot recipes and the legacy-only flags are refused, nothing
written."""

from __future__ import annotations

from click.testing import CliRunner

from recipe_compiler.cli import main

CORE = (
    "# pruned in one shot, then fine-tuned\n"
    "warm: 3  # epochs before pruning\n"
    "prune: 30\n"
    "oneshot_stage:\n  obcq_modifiers:\n    SparseGPTModifier:\n"
    "      sparsity: 0.5\n"
    "train_stage:\n  pruning_modifiers:\n    MagnitudePruningModifier:\n"
    "      targets: __ALL__\n      init_sparsity: 0.05\n      final_sparsity: 0.8\n"
    "      start: eval(warm)\n      end: eval(warm + prune)\n"
    "    ConstantPruningModifier:\n      targets: __ALL__\n      start: 45\n"
)
LLMC = "quant_stage:\n  quant_modifiers:\n    GPTQModifier:\n      scheme: W4A16\n"


def rescale(tmp_path, text, *args):
    src = tmp_path / "r.yaml"
    src.write_text(text)
    out = tmp_path / "out.yaml"
    r = CliRunner().invoke(main, ["rescale", str(src), "-o", str(out), *args])
    assert src.read_text() == text  # never changed unless asked
    return r.exit_code, r.stderr, out


def test_train_stage_epochs_move_through_their_args(tmp_path):
    code, err, out = rescale(tmp_path, CORE, "--epochs", "60")
    assert code == 0, err
    assert out.read_text() == (
        "# rescaled from 90 to 60 epochs by recipe-compiler\n"
        + CORE.replace("warm: 3", "warm: 2")
        .replace("prune: 30", "prune: 20")
        .replace("start: 45", "start: 30")
    )
    assert "set warm: 3 -> 2" in err and "set prune: 30 -> 20" in err


def test_the_step_grid_snaps_the_new_numbers(tmp_path):
    code, err, out = rescale(tmp_path, CORE, "--epochs", "50", "--steps-per-epoch", "4")
    assert code == 0, err
    text = out.read_text()
    # 3 x 50/90 = 1.667 -> 1.75 (on a 1/4-epoch grid), 30 x 5/9 = 16.67 -> 16.75
    assert "warm: 1.75" in text and "prune: 16.75" in text and "start: 25" in text


def test_an_arg_that_is_also_a_sparsity_is_refused(tmp_path):
    text = CORE.replace("final_sparsity: 0.8", "final_sparsity: eval(prune / 40)")
    code, err, out = rescale(tmp_path, text, "--epochs", "60")
    assert code == 1 and not out.exists()
    assert "the arg 'prune' (line 3)" in err and "its own arg" in err


def test_llm_compressor_and_legacy_only_flags_are_refused(tmp_path):
    code, err, out = rescale(tmp_path, LLMC, "--epochs", "60")
    assert code == 2 and not out.exists()
    assert "llm-compressor" in err and "no epochs to rescale" in err
    code, err, out = rescale(tmp_path, CORE, "--epochs", "60", "--lr", "0.1:0.01")
    assert code == 2 and not out.exists()
    assert "--lr is for legacy recipes" in err


def test_a_recipe_lint_calls_an_error_is_not_rescaled(tmp_path):
    text = CORE.replace("eval(warm)", "eval(warmth)")
    code, err, out = rescale(tmp_path, text, "--epochs", "60")
    assert code == 1 and not out.exists()
    assert "RC728" in err
