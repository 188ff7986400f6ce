"""The public API of `recipe_compiler`: lazy, and the same whatever was imported."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

RECIPE = str(ROOT / "recipes" / "yolov5s-gmp.md")


def test_importing_the_package_loads_nothing_heavy():
    code = (
        "import sys, recipe_compiler as rc; "
        "print(sorted(m for m in ('pydantic', 'numpy', 'plotly', 'ruamel.yaml', "
        "'recipe_compiler.recipe') if m in sys.modules)); rc.load"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_every_name_of_the_api_works_before_and_after_its_module():
    import recipe_compiler as rc
    import recipe_compiler.lint
    import recipe_compiler.rescale  # sets the package attribute to the module

    recipe = rc.load(RECIPE)
    assert rc.lint(recipe) == recipe_compiler.lint.lint_recipe(recipe) == []
    assert rc.rescale(recipe, 300).epochs == 300
    assert issubclass(rc.rescale.RescaleError, ValueError)
    assert rc.plan(recipe, 10).total_steps == 500
    assert "final_sparsity: 0.8" in rc.compile(
        recipe, {"final_sparsity": 0.8}, flat=False
    )
    assert rc.preview.__name__ == "recipe_compiler.preview" and callable(rc.preview)
    assert set(rc.__all__) <= set(dir(rc))
