"""`recipe show` of an llm-compressor recipe: its stages and modifiers in the order
oneshot applies them (as the engine itself lists them: the corpus INDEX), fields
as written; an error exits 1 after the table, as for a legacy recipe."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from click.testing import CliRunner

from recipe_compiler.cli import main

FOLDER = Path(__file__).resolve().parents[1] / "data" / "corpus" / "llmcompressor"


def show(*args):
    r = CliRunner().invoke(main, ["show", *args])
    return r.exit_code, r.stdout, r.stderr


def test_show_lists_what_oneshot_applies_in_its_order():
    with open(FOLDER / "INDEX.tsv", newline="") as f:
        rows = [
            r
            for r in csv.DictReader(f, delimiter="\t")
            if r["loads_llmc_0_14"] == "yes"
        ]
    for row in rows[::4]:
        code, out, err = show(str(FOLDER / row["local_name"]))
        assert code == 0, err
        listed = re.findall(r"^\s+\d+  (\w+)", out, re.M)
        assert listed == row["modifiers"].split(","), row["local_name"]
        assert "read as llm-compressor 0.14" in out.splitlines()[0]


def test_an_error_is_said_after_the_table(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(
        "quant_stage:\n  quant_modifiers:\n    SmoothQuantModifier: {}\n"
        "    GPTQModifer: {scheme: W4A16}\n"
    )
    code, out, err = show(str(path))
    assert code == 1
    assert "1  SmoothQuantModifier" in out
    assert "RC705" in err and "did you mean GPTQModifier?" in err


def test_what_it_does_not_read_yet_is_refused(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("quant_stage:\n  quant_modifiers:\n    GPTQModifier: {}\n")
    code, _, err = show(str(path), "--model", "yolov5s")
    assert code == 2 and "--model yolov5s is no LLM" in err
    code, _, err = show(str(path), "--dialect", "sparseml")
    assert code == 2 and "is a staged recipe" in err


def test_a_sparseml_core_recipe_shows_its_stages_and_evaluated_fields(tmp_path):
    """Stages in the engine's order with their run_type (written or inferred
    from the name, as the finetune runner does), fields as the session
    evaluates them, each modifier's window; --var is the session's recipe_args."""
    path = tmp_path / "r.yaml"
    path.write_text(
        "s: 0.25\noneshot_stage:\n  obcq_modifiers:\n    SparseGPTModifier:\n"
        "      sparsity: eval(s * 2)\ntrain_stage:\n  pruning_modifiers:\n"
        "    ConstantPruningModifier:\n      targets: __ALL__\n      start: 0\n"
        "      end: eval(s * 8)\n"
    )
    code, out, err = show(str(path))
    assert code == 0, err
    lines = out.splitlines()
    assert "read as SparseML 1.8's sparseml.core" in lines[0]
    assert "stage 'oneshot' (line 2), run_type oneshot (from its name)" in lines[1]
    assert re.search(
        r"0  SparseGPTModifier\s+group obcq\s+line 4\s+oneshot\s+sparsity=0.5", lines[2]
    )
    assert re.search(r"ConstantPruningModifier .* epochs 0\.\.2 ", lines[4])
    code, out, _ = show(str(path), "--var", "s=0.3")
    assert "sparsity=0.6" in out and "epochs 0..2.4" in out


def test_a_sparseml_core_error_exits_1_after_the_table(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(
        "s: 2\nq_stage:\n  q_modifiers:\n    QuantizationModifier:\n      start: eval(s)\n"
    )
    code, out, err = show(str(path), "--dialect", "sparseml-core")
    assert code == 1 and "QuantizationModifier" in out
    assert "RC732" in err and "config_groups" in err
