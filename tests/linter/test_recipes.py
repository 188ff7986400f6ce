"""The bundled recipes lint clean, and the guide's unmarked recipe is fixed by --fix."""

from __future__ import annotations

from recipe_compiler.linter import config
from recipe_compiler.linter.discovery import discover
from recipe_compiler.linter.engine import lint_paths
from recipe_compiler.loader import source
from recipe_compiler.loader.list_markers import add_markers
from recipe_compiler.loader.recipe import from_source
from tests.conftest import ROOT


def test_bundled_recipes_have_no_problems():
    """All but recipes/guide/, which the repository's config excludes: the
    guide's recipe as printed, the example `--fix` repairs."""
    cfg = config.load(ROOT / ".recipelint.yaml")
    files = list(discover([ROOT / "recipes"], cfg))
    assert files and not any("guide" in f.parts for f in files)
    problems = lint_paths(files).problems
    assert problems == []
    everything = list(discover([ROOT / "recipes"]))
    assert {f.name for f in everything} - {f.name for f in files} == {
        "yolov5s-gmp-as-published.md"
    }


def test_guide_recipe_fix_adds_markers_and_keeps_everything_else():
    path = ROOT / "recipes" / "guide" / "yolov5s-gmp-as-published.md"
    src = source.read(path)
    fixed = add_markers(src)
    assert fixed is not None
    before, after = src.text.split("\n"), fixed.split("\n")
    assert len(before) == len(after)
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 4
    assert all(b == a.replace("!", "- !", 1) for a, b in changed)
    assert "# half an epoch" in fixed and fixed.endswith(
        "named on the command line, the file is linted.\n"
    )
    recipe = from_source(source.from_text(fixed, "fixed.md", "md"))
    assert recipe.ok and len(recipe.modifiers) == 4 and recipe.max_epochs == 50


def test_the_guide_recipe_ships_exactly_as_printed_with_its_markers():
    """recipes/yolov5s-gmp-guide.md is the guide's text with only the `- ` markers
    added; yolov5s-gmp.md, written with variables, plans the same at every step."""
    import numpy as np

    from recipe_compiler.loader.recipe import load
    from recipe_compiler.schedule.timeline import plan

    guide = source.read(ROOT / "recipes" / "guide" / "yolov5s-gmp-as-published.md")
    shipped = (ROOT / "recipes" / "yolov5s-gmp-guide.md").read_text()

    def body(text):  # the front matter without its comment lines
        front = text.split("\n---\n")[0]
        return [line for line in front.split("\n") if not line.startswith("#")]

    assert body(shipped) == body(add_markers(guide))
    a = plan(load(ROOT / "recipes" / "yolov5s-gmp-guide.md"), 1849)
    b = plan(load(ROOT / "recipes" / "yolov5s-gmp.md"), 1849)
    assert a.total_steps == b.total_steps
    assert np.array_equal(a.lr, b.lr, equal_nan=True)
    assert [list(s) for s in a.sparsity.values()] == [
        list(s) for s in b.sparsity.values()
    ]
