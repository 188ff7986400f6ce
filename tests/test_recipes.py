"""The bundled recipes lint clean, and the guide's unmarked recipe is fixed by --fix."""

from __future__ import annotations

from recipe_compiler import source
from recipe_compiler.lint import discover, lint_paths
from recipe_compiler.markers import add_markers
from recipe_compiler.recipe import from_source
from tests.conftest import ROOT


def test_bundled_recipes_have_no_problems():
    files = list(discover([ROOT / "recipes"]))
    assert files
    problems, _ = lint_paths(files)
    assert problems == []


def test_guide_recipe_fix_adds_markers_and_keeps_everything_else():
    path = ROOT / "tests" / "data" / "guide_unmarked.md"
    src = source.read(path)
    fixed = add_markers(src)
    assert fixed is not None
    before, after = src.text.split("\n"), fixed.split("\n")
    assert len(before) == len(after)
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 4
    assert all(b == a.replace("!", "- !", 1) for a, b in changed)
    assert "# half an epoch" in fixed and fixed.endswith("(guide example)\n")
    recipe = from_source(source.from_text(fixed, "fixed.md", "md"))
    assert recipe.ok and len(recipe.modifiers) == 4 and recipe.max_epochs == 50
