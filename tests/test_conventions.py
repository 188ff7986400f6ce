"""Habits of ruff and pre-commit users: what `recipe` does where they expect it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from recipe_compiler.cli import main
from tests.conftest import ROOT

STUB = "zoo:cv/detection/yolov5-s/pytorch/ultralytics/coco/pruned-aggressive_96"
RECIPE = str(ROOT / "recipes" / "digits-gmp.yaml")
SAYS = (
    "is a SparseZoo stub: SparseZoo is end-of-life and recipe-compiler works "
    "offline; download the file and "
)


@pytest.mark.parametrize(
    ("args", "instead"),
    [
        (["lint", STUB], "pass its path"),
        (["show", STUB], "pass its path"),
        (["plan", STUB], "pass its path"),
        (["preview", STUB, "-o", "p.html"], "pass its path"),
        (["rescale", STUB, "--epochs", "300"], "pass its path"),
        (["compile", STUB, "-o", "x.yaml"], "pass its path"),
        (["variables", STUB], "pass its path"),
        (["diff", STUB, RECIPE], "pass its path"),
        (["run", STUB, "--model", "digits-cnn", "-o", "out"], "pass its path"),
        (["bench", STUB], "pass its path"),
        (["lint", RECIPE, "--model", STUB], "pass the ONNX file's path"),
        (["show", RECIPE, "--model", STUB], "pass the ONNX file's path"),
        (["new", "-t", "gmp", "--model", STUB], "pass the ONNX file's path"),
        (["run", RECIPE, "--model", STUB, "-o", "out"], "pass a built-in model"),
    ],
)
def test_a_sparsezoo_stub_is_one_line_and_exit_2(tmp_path, monkeypatch, args, instead):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2, r.output
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.output
    stub = next(a for a in args if a.startswith("zoo:"))
    assert r.stderr.startswith(f"recipe {args[0]}: {stub} {SAYS}{instead}")
    assert "no such file" not in r.stderr
    assert not list(tmp_path.iterdir())  # nothing written


def test_the_api_reads_a_stub_as_unreadable_saying_why():
    import recipe_compiler as rc

    (p,) = rc.load(STUB).problems
    assert (p.code, p.line) == ("RC000", 1)
    assert (
        "SparseZoo stub" in p.message
        and p.hint == "download the recipe and pass its path"
    )
