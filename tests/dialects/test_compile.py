"""`recipe compile` of staged recipes: sparseml.core's args set by --var (comments
and layout kept) and the output refused when the engine's reading finds an
error; llm-compressor's have no variables, said so; --flatten is legacy's."""

from __future__ import annotations

from click.testing import CliRunner

from recipe_compiler.cli import main

CORE = (
    "# pruned in one shot, then fine-tuned\n"
    "s: 0.25  # half the final sparsity\n"
    "oneshot_stage:\n  obcq_modifiers:\n    SparseGPTModifier:\n"
    "      sparsity: eval(s * 2)\n"
    "train_stage:\n  pruning_modifiers:\n    ConstantPruningModifier:\n"
    "      targets: __ALL__\n      start: 0\n      end: eval(s * 8)\n"
)
LLMC = "quant_stage:\n  quant_modifiers:\n    GPTQModifier:\n      scheme: W4A16\n"


def compile_(tmp_path, text, *args):
    src = tmp_path / "r.yaml"
    src.write_text(text)
    out = tmp_path / "out.yaml"
    r = CliRunner().invoke(main, ["compile", str(src), "-o", str(out), *args])
    return r.exit_code, r.stderr, out


def test_a_sparseml_core_arg_is_set_and_the_rest_kept(tmp_path):
    code, err, out = compile_(tmp_path, CORE, "--var", "s=0.3")
    assert code == 0, err
    assert out.read_text() == CORE.replace("s: 0.25", "s: 0.3")


def test_what_the_engine_would_refuse_is_not_written(tmp_path):
    code, err, out = compile_(tmp_path, CORE, "--var", "s=abc")
    assert code == 1 and not out.exists()
    assert "RC729" in err and "sparseml-core" in err


def test_llm_compressor_has_no_variables(tmp_path):
    code, err, out = compile_(tmp_path, LLMC, "--var", "a=1")
    assert code == 2 and "has no variables" in err and not out.exists()
    code, err, out = compile_(tmp_path, LLMC)
    assert code == 0 and out.read_text() == LLMC


def test_flatten_is_for_legacy_recipes(tmp_path):
    code, err, out = compile_(tmp_path, CORE, "--flatten")
    assert code == 2 and "--flatten" in err and not out.exists()
