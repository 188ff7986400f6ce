"""The 73 Neural Magic recipes and sparseml 1.8's verdict on each (INDEX.tsv)."""

from __future__ import annotations

import csv

import pytest

from recipe_compiler.linter.engine import lint_paths, lint_recipe
from recipe_compiler.loader.recipe import load
from tests.conftest import CORPUS

ROWS = list(csv.DictReader((CORPUS / "INDEX.tsv").open(), delimiter="\t"))
# Loads in sparseml, then crashes at the first pruning step (start_epoch ==
# end_epoch: ZeroDivisionError); test_sparseml_parity proves the crash.
RUNTIME_CRASH = {
    "sparseml/integrations__dbolya-yolact__recipes__yolact_pruned_quant.md"
}


def test_corpus_is_there():
    assert len(ROWS) == 73


@pytest.mark.parametrize(
    "row", ROWS, ids=[r["local_name"].split("__")[-1] for r in ROWS]
)
def test_verdict_matches_sparseml(row):
    recipe = load(CORPUS / row["local_name"])
    problems = lint_recipe(recipe).problems
    load_errors = [p for p in recipe.problems if p.severity == "error"]
    errors = [p for p in problems if p.severity == "error"]
    if row["loads_sparseml_1_8"] == "yes":
        assert load_errors == [], load_errors
        if row["local_name"] in RUNTIME_CRASH:
            assert [p.code for p in errors] == ["RC205"]
        else:
            assert errors == [], errors
        assert len([e for e in recipe.modifiers if e.model]) == int(
            row["n_modifiers_loaded"]
        )
        assert recipe.max_epochs == int(row["max_epochs"])
    else:
        assert errors, "sparseml rejects this file"
        assert row["load_error"].startswith("ComposerError: found undefined alias")
        alias = row["load_error"].split("'")[1]
        (p,) = errors
        line = (CORPUS / row["local_name"]).read_text().split("\n")[p.line - 1]
        assert f"*{alias}" in line and p.code == "RC001"
        assert alias in p.message


def test_folder_lint_skips_the_readme_and_counts_every_recipe():
    linted = lint_paths([CORPUS])
    problems, recipes = linted.problems, linted.recipes
    assert len(recipes) == 73
    with_errors = {p.path for p in problems if p.severity == "error"}
    rejected = {
        str(CORPUS / r["local_name"]) for r in ROWS if r["loads_sparseml_1_8"] == "no"
    }
    assert with_errors == rejected | {str(CORPUS / n) for n in RUNTIME_CRASH}
