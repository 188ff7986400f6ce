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
    linted = lint_paths([CORPUS / "sparseml"])
    problems, recipes = linted.problems, linted.recipes
    assert len(recipes) == 73
    with_errors = {p.path for p in problems if p.severity == "error"}
    rejected = {
        str(CORPUS / r["local_name"]) for r in ROWS if r["loads_sparseml_1_8"] == "no"
    }
    assert with_errors == rejected | {str(CORPUS / n) for n in RUNTIME_CRASH}


@pytest.mark.parametrize("fmt", ["json", "text", "sarif"])
def test_a_folder_over_several_processes_reads_as_one_process(fmt, tmp_path):
    """`recipe lint -j N`: the same bytes and exit code as `-j 1`, on a folder big
    enough to be split (the corpus, with a few heavy per-layer recipes)."""
    from click.testing import CliRunner

    from recipe_compiler.cli import main
    from recipe_compiler.linter.discovery import discover
    from recipe_compiler.linter.engine import PARALLEL_FROM
    from tests.heavy_recipes import per_layer_recipe

    for seed in range(8):
        text = per_layer_recipe(12, (0.05, 0.01)[seed % 2], 6, seed)
        (tmp_path / f"heavy{seed}.yaml").write_text(text)
    args = ["lint", "--format", fmt, str(CORPUS), str(tmp_path)]
    one = CliRunner().invoke(main, [*args, "-j", "1"])
    assert len(list(discover([CORPUS, tmp_path]))) >= PARALLEL_FROM  # it is split
    for jobs in ("2", "3"):
        many = CliRunner().invoke(main, [*args, "-j", jobs])
        assert (many.exit_code, many.stdout) == (one.exit_code, one.stdout)
    assert one.exit_code == 1 and one.stdout


def test_files_are_shared_out_by_size(tmp_path):
    from recipe_compiler.linter.engine import _balanced

    sizes = [900, 500, 400, 300, 100, 50]
    files = []
    for i, n in enumerate(sizes):
        files.append(tmp_path / f"r{i}.yaml")
        files[-1].write_text("x" * n)
    groups = _balanced(files, 2)
    assert sorted(f for g in groups for f in g) == sorted(files)
    loads = [sum(f.stat().st_size for f in g) for g in groups]
    assert loads == [1200, 1050] or loads == [1050, 1200]
    assert _balanced(files[:1], 4) == [files[:1]]
