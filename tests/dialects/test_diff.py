"""`recipe diff` of two llm-compressor recipes: modifiers matched by class and
targets, field changes (a default written out is no change), stage moves and
oneshot's order; exit 0 when oneshot would do the same, 1 when not, 2 when the
two are different engines' recipes."""

from __future__ import annotations

from click.testing import CliRunner

from recipe_compiler.cli import main

A = """\
sparsity_stage:
  sparsity_modifiers:
    SparseGPTModifier:
      sparsity: 0.5
      mask_structure: "2:4"
quant_stage:
  quant_modifiers:
    GPTQModifier:
      scheme: W4A16
      ignore: [lm_head]
"""


def diff(tmp_path, a, b, *args):
    (tmp_path / "a.yaml").write_text(a)
    (tmp_path / "b.yaml").write_text(b)
    r = CliRunner().invoke(
        main, ["diff", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"), *args]
    )
    return r.exit_code, r.stdout, r.stderr


def test_the_same_modifiers_and_a_default_written_out_are_equivalent(tmp_path):
    b = A.replace(
        "      ignore: [lm_head]\n", "      ignore: [lm_head]\n      block_size: 128\n"
    )
    code, out, _ = diff(tmp_path, A, b)
    assert code == 0 and "the same modifiers with the same fields" in out


def test_changes_added_moved_and_reordered(tmp_path):
    b = (
        "quant_stage:\n  quant_modifiers:\n    SmoothQuantModifier: {}\n"
        "    GPTQModifier:\n      scheme: W8A8\n      ignore: [lm_head]\n"
        "sparsity_stage:\n  sparsity_modifiers:\n    SparseGPTModifier:\n"
        '      sparsity: 0.5\n      mask_structure: "2:4"\n'
    )
    code, out, _ = diff(tmp_path, A, b)
    assert code == 1
    assert "+ SmoothQuantModifier (stage 'quant', line 3)" in out
    assert "~ GPTQModifier (line 8 -> 4): scheme 'W4A16' -> 'W8A8'" in out
    assert "oneshot's order differs: SparseGPTModifier, GPTQModifier -> " in out
    code, out, _ = diff(tmp_path, A, b, "--format", "json")
    assert code == 1 and '"only_b": [\n    "SmoothQuantModifier"\n  ]' in out


def test_one_engine_at_a_time(tmp_path):
    legacy = (
        "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 2\n"
    )
    code, _, err = diff(tmp_path, A, legacy)
    assert code == 2 and "read as llm-compressor and sparseml" in err


CORE = (
    "s: 0.25\noneshot_stage:\n  obcq_modifiers:\n    SparseGPTModifier:\n"
    "      sparsity: eval(s * 2)\ntrain_stage:\n  pruning_modifiers:\n"
    "    ConstantPruningModifier:\n      targets: __ALL__\n      start: 0\n"
    "      end: eval(s * 8)\n"
)


def test_sparseml_core_recipes_are_compared_as_its_session_evaluates_them(tmp_path):
    """A value written as eval(...) and the number it gives are the same; a
    changed arg shows in every field that uses it."""
    a, b, c = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"
    a.write_text(CORE)
    b.write_text(CORE.replace("eval(s * 2)", "0.5").replace("eval(s * 8)", "2"))
    c.write_text(CORE.replace("s: 0.25", "s: 0.3"))
    r = CliRunner().invoke(main, ["diff", str(a), str(b)])
    assert r.exit_code == 0, r.output
    assert "SparseML 1.8's session builds the same modifiers" in r.stdout
    r = CliRunner().invoke(main, ["diff", str(a), str(c)])
    assert r.exit_code == 1
    assert "sparsity 0.5 -> 0.6" in r.stdout and "end 2.0 -> 2.4" in r.stdout
    r = CliRunner().invoke(main, ["diff", str(a), str(c), "--format", "json"])
    assert '"dialect": "sparseml-core"' in r.stdout
