"""The public API of `recipe_compiler`: lazy, and the same whatever was imported."""

from __future__ import annotations

import inspect
import subprocess
import sys

from tests.conftest import ROOT

RECIPE = str(ROOT / "recipes" / "yolov5s-gmp.md")


def test_importing_the_package_loads_nothing_heavy():
    code = (
        "import sys, recipe_compiler as rc; "
        "print(sorted(m for m in ('pydantic', 'numpy', 'plotly', 'ruamel.yaml', "
        "'recipe_compiler.loader.recipe') if m in sys.modules)); rc.load"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_every_name_of_the_api_is_a_plain_function_whatever_was_imported():
    import recipe_compiler as rc
    import recipe_compiler.edit.rescale
    import recipe_compiler.linter.engine  # a stage folder: never shadows rc.lint
    import recipe_compiler.loader.recipe  # nor rc.load

    recipe = rc.load(RECIPE)
    assert rc.lint(recipe) == recipe_compiler.linter.engine.lint_recipe(recipe).problems
    assert rc.lint(recipe) == []
    assert rc.rescale(recipe, 300).epochs == 300
    assert rc.RescaleError is recipe_compiler.edit.rescale.RescaleError
    assert issubclass(rc.RescaleError, ValueError)
    assert rc.plan(recipe, 10).total_steps == 500
    assert "final_sparsity: 0.8" in rc.compile(recipe, {"final_sparsity": 0.8})
    page = rc.preview([recipe], steps_per_epoch=10)
    assert page.startswith("<!DOCTYPE html>") and "yolov5s-gmp.md" in page
    for name in ("load", "lint", "plan", "rescale", "compile", "preview"):
        function = getattr(rc, name)
        assert inspect.isfunction(function) and function.__module__ == "recipe_compiler"
        assert function.__doc__ and inspect.signature(function).parameters
    assert set(rc.__all__) <= set(dir(rc))


def test_the_api_default_steps_per_epoch_is_the_linters():
    import recipe_compiler as rc
    from recipe_compiler.schedule.clock import DEFAULT_STEPS_PER_EPOCH

    assert rc.DEFAULT_STEPS_PER_EPOCH == DEFAULT_STEPS_PER_EPOCH


def test_the_readme_api_example_runs(monkeypatch):
    """README's Python API block, up to the runner (which needs training)."""
    import re

    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Python API\n\n```python\n(.*?)```", text, re.S).group(1)
    code = block.split("from recipe_compiler.runner")[0]
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr("builtins.help", lambda obj: None)
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)  # our own README
    assert scope["recipe"].max_epochs == 50
    assert scope["page"].startswith("<!DOCTYPE html>")
