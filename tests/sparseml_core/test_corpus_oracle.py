"""SparseML 1.8's sparseml.core on the corpus, as the INDEX recorded it, and our
reading of the same recipes.

Every recipe of tests/data/corpus/sparseml-core goes through the engine
(tests/sparseml_core/oracle.py: `Recipe.create_instance`, then what a session does
before training), which must be what INDEX.tsv recorded (whether it loads and
builds, the modifiers built, the error). `recipe lint --dialect sparseml-core`
then calls no recipe the engine builds an error, and gives each one it refuses an
error at the line of the cause with the engine's exception.
"""

from __future__ import annotations

import csv

from recipe_compiler.problems import Severity
from tests.conftest import ROOT, lint_text

FOLDER = ROOT / "tests" / "data" / "corpus" / "sparseml-core"


def index() -> list[dict[str, str]]:
    with open(FOLDER / "INDEX.tsv", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def test_the_oracle_reads_the_corpus_as_the_index_says(core):
    rows = index()
    assert len(rows) == 25
    verdicts = core(
        [(r["local_name"], (FOLDER / r["local_name"]).read_text()) for r in rows]
    )
    for row, got in zip(rows, verdicts, strict=True):
        name = row["local_name"]
        assert got["loads"] == (row["creates_instance"] == "yes"), name
        assert got["builds"] == (row["builds_modifiers"] == "yes"), (name, got)
        want = row["modifiers"].split(",") if row["modifiers"] else []
        assert got["modifiers"] == want, name
        assert (got["error"] or "") == (row["build_error"] or row["instance_error"]), (
            name
        )


def test_lint_agrees_with_the_engine_on_the_corpus():
    built = refused = 0
    for row in index():
        text = (FOLDER / row["local_name"]).read_text()
        _, problems = lint_text(text, "recipe.yaml", dialect="sparseml-core")
        errors = [p for p in problems if p.severity == Severity.ERROR]
        engine_error = row["build_error"] or row["instance_error"]
        if not engine_error:
            assert errors == [], (row["local_name"], errors)
            built += 1
            continue
        refused += 1
        assert errors, row["local_name"]
        first = errors[0]
        assert engine_error in first.message, (row["local_name"], first.message)
        cause = text.split("\n")[first.line - 1]
        if "No modifier of type" in engine_error:
            assert engine_error.split("'")[1] in cause
        elif "QuantizationModifierPyTorch" in engine_error:
            assert "QuantizationModifier:" in cause  # config_groups missing
        elif "NameError" in engine_error:
            assert "eval(warm_up_epochs)" in cause
    assert (built, refused) == (19, 6)


def test_what_the_engine_drops_is_said():
    """percdamp (SparseML 1.7's name of dampening_frac) is dropped silently by
    SparseGPTModifier: a warning at its line that names the field it means."""
    text = (
        "oneshot_stage:\n  obcq_modifiers:\n    SparseGPTModifier:\n"
        "      sparsity: 0.5\n      percdamp: 0.01\n  run_typ: oneshot\n"
        "test_stag:\n  pruning_modifiers:\n    ConstantPruningModifier: {targets: x}\n"
    )
    _, problems = lint_text(text, "recipe.yaml", dialect="sparseml-core")
    found = [(p.code, p.line, p.column) for p in problems]
    assert found == [("RC743", 5, 7), ("RC741", 6, 3), ("RC740", 7, 1)], found
    percdamp = next(p for p in problems if p.line == 5)
    assert "dampening_frac" in (percdamp.hint or "")


def test_the_editor_reads_a_sparseml_core_recipe_as_the_engine_does():
    """In `recipe lsp` a staged recipe with eval(...) is sparseml.core's: the
    failing eval marked on its value, a dropped field on its key, even where the
    build stops earlier."""
    from recipe_compiler.lsp.analysis import Settings, analyse

    text = (
        "s: 2\noneshot_stage:\n  obcq_modifiers:\n    SparseGPTModifier:\n"
        "      sparsity: eval(nope)\n      percdamp: 0.1\n"
    )
    a = analyse(text, "/tmp/r.yaml", Settings())
    assert [(p.code, p.line, p.column) for p in a.problems] == [
        ("RC728", 5, 17),
        ("RC743", 6, 7),
    ]
    start = text.index("eval(nope)")
    assert a.problem_span(a.problems[0]) == (start, start + len("eval(nope)"))
