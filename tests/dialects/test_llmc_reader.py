"""The llm-compressor reader walks a recipe as `Recipe.from_dict` does.

On the corpus (tests/data/corpus/llmcompressor, with what llm-compressor 0.14.0.1
made of each file): every recipe it loads is read with no error and the same
modifiers in the same order; a recipe it refuses for a modifier it does not have
is refused with the engine's own words, as is every recipe refused for a field
its model forbids or requires (the engine's count of errors included). A field's
value the engine refuses is not checked yet: the walk reads that modifier.
"""

from __future__ import annotations

import csv
from pathlib import Path

from recipe_compiler.dialects.llmcompressor.reader import read
from recipe_compiler.loader import yamltree
from recipe_compiler.loader.source import from_text

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "tests" / "data" / "corpus" / "llmcompressor"


def walk(text: str, name: str = "r.yaml"):
    return read(yamltree.parse(from_text(text, name, "yaml")).root)


def index() -> list[dict[str, str]]:
    with open(FOLDER / "INDEX.tsv", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


FIELDS = ("unknown-field", "missing-field", "unknown-scheme")


def test_the_corpus_is_walked_as_the_engine_walked_it():
    loaded = refused = fields = values = 0
    for row in index():
        got = walk((FOLDER / row["local_name"]).read_text(), row["local_name"])
        names = [m.name for m in got.modifiers]
        if row["loads_llmc_0_14"] == "yes":
            loaded += 1
            assert got.refused is None, (row["local_name"], got.refused)
            assert names == row["modifiers"].split(","), row["local_name"]
        elif row["error"].startswith("ValueError: No modifier of type"):
            refused += 1
            assert got.refused is not None and got.refused.error == row["error"]
        elif got.refused is not None and got.refused.kind in FIELDS:
            fields += 1  # a field the model forbids or requires: the engine's count
            assert got.refused.error == row["error"], row["local_name"]
        else:  # a field's value the engine refuses (not checked yet): the walk
            # reads the modifier as written, and may find what the recipe's own
            # check would refuse after it
            assert got.refused is None or got.refused.kind == "awq-alone"
            modifier = row["error"].split(" for ")[-1]
            assert modifier in names, row["local_name"]
            values += 1
    assert (loaded, refused, fields, values) == (42, 1, 30, 0)


def test_what_the_engine_ignores_is_said_where_it_is_written():
    got = walk(
        "quant_stag:\n  quant_modifiers:\n    QuantizationModifier: {}\n"
        "stages:\n  a:\n    b_modifiers: {}\n"
        "smooth_modifiers:\n  SmoothQuantModifier: {}\n"
        "real_stage:\n  run_type: oneshot\n  quant_modifier:\n    GPTQModifier: {}\n"
        "  list_modifiers:\n    - GPTQModifier: {}\n"
    )
    assert got.refused is None and got.modifiers == ()
    assert [(f.kind, f.line, f.column) for f in got.findings] == [
        ("ignored-stage", 1, 1),
        ("ignored-stage", 4, 1),
        ("ignored-group", 7, 1),
        ("run-type-ignored", 10, 3),
        ("ignored-group", 11, 3),
        ("ignored-group", 13, 3),
        ("no-modifiers", 1, 1),
    ]
    assert "did you mean 'quant_stage'?" in got.findings[0].hint


def test_what_llm_compressor_loads_lints_without_an_error():
    """`recipe lint` (dialect auto) on the corpus: no false error on any recipe
    the engine loads; the one it refuses for a modifier it lacks is an error at
    that modifier's line."""
    from tests.conftest import lint_text

    checked = 0
    for row in index():
        text = (FOLDER / row["local_name"]).read_text()
        _, problems = lint_text(text, row["local_name"])
        errors = [p for p in problems if p.severity == "error"]
        if row["loads_llmc_0_14"] == "yes":
            assert errors == [], (row["local_name"], errors)
        elif row["error"].startswith("ValueError: No modifier of type"):
            assert [p.code for p in errors] == ["RC705"]
            line = text.split("\n")[errors[0].line - 1]
            assert "OutputDistillationModifier" in line
        elif "validation error" in row["error"]:
            # a SparseML-era field (percdamp, sequential_update, AWQ's scheme) or
            # scheme format: an error at its line
            codes = {p.code for p in errors}
            assert codes <= {"RC713", "RC714", "RC716", "RC708"}, errors
            assert codes, row["local_name"]
            checked += 1
    assert checked == 30


def test_the_editor_checks_a_staged_recipe_as_llm_compressor_reads_it():
    from recipe_compiler.lsp.analysis import Settings, analyse

    text = "quant_stage:\n  quant_modifiers:\n    GPTQModifer:\n      scheme: W4A16\n"
    a = analyse(text, "/tmp/r.yaml", Settings())
    assert [(p.code, p.line, p.column) for p in a.problems] == [("RC705", 3, 5)]
    start = text.index("GPTQModifer")
    assert a.problem_span(a.problems[0]) == (start, start + 11)  # the name
