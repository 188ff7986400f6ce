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
    assert code == 2 and "--model is not read for it yet" in err
    code, _, err = show(str(path), "--dialect", "sparseml")
    assert code == 2 and "is a staged recipe" in err
