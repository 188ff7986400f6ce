"""Shared helpers. Runner tests fail, not skip, when RECIPE_REQUIRE_RUNNER or CI is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from recipe_compiler.linter.engine import lint_recipe
from recipe_compiler.loader import source
from recipe_compiler.loader.recipe import from_source
from recipe_compiler.schedule.clock import DEFAULT_STEPS_PER_EPOCH

ROOT = Path(__file__).resolve().parent.parent
# ../shared/corpus copied unchanged (Apache-2.0; attribution in INDEX.tsv), so that
# a clone in any folder runs its tests
CORPUS = ROOT / "tests" / "data" / "corpus"
os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")


def lint_text(
    text: str,
    name: str = "r.yaml",
    overrides=None,
    steps_per_epoch=None,
    model=None,
    target=None,
):
    """`target`: a sweep.json's document, as `--target-cpu FILE` reads it."""
    from recipe_compiler.hardware.measured import _parse
    from recipe_compiler.model.sources import load_network

    kind = "md" if name.endswith(".md") else "yaml"
    src = source.from_text(text, name, kind)
    source.check_extension(src)
    recipe = from_source(src, overrides)
    net = load_network(model) if model else None
    spe = steps_per_epoch or DEFAULT_STEPS_PER_EPOCH
    sweep = _parse(target, "sweep.json") if target else None
    return recipe, lint_recipe(recipe, None, spe, net, sweep).problems


@pytest.fixture(scope="session")
def sparseml():
    """The installed sparseml; missing it is a failure where the runner is required."""
    try:
        import sparseml.pytorch.optim  # noqa: F401
        from sparseml.pytorch.optim import ScheduledModifierManager
    except ImportError as exc:  # pragma: no cover - depends on the machine
        if os.environ.get("RECIPE_REQUIRE_RUNNER") or os.environ.get("CI"):
            pytest.fail(f"the runner extra is required here but missing: {exc}")
        pytest.skip("runner extra not installed")
    return ScheduledModifierManager


@pytest.fixture(autouse=True)
def _in_tmp_dir(tmp_path, monkeypatch):
    """SparseML writes sparse_logs/ into the working directory: keep it out of the repo."""
    monkeypatch.chdir(tmp_path)
