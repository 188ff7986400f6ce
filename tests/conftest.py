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
    dialect=None,
):
    """`target`: a sweep.json's document, as `--target-cpu FILE` reads it;
    `dialect`: as `--dialect` (None: auto); `model`: a built-in model's name or
    an LLM's config.json (a mapping)."""
    from recipe_compiler.hardware.measured import _parse
    from recipe_compiler.linter.config import Config
    from recipe_compiler.model.sources import load_network

    kind = "md" if name.endswith(".md") else "yaml"
    src = source.from_text(text, name, kind)
    source.check_extension(src)
    recipe = from_source(src, overrides)
    if isinstance(model, dict):  # a config.json: an LLM (tables, else transformers)
        import json
        import tempfile

        from recipe_compiler.model.llm.folder import load_llm

        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "config.json").write_text(json.dumps(model))
            net = load_llm(folder)
    else:
        net = load_network(model) if model else None
    spe = steps_per_epoch or DEFAULT_STEPS_PER_EPOCH
    sweep = _parse(target, "sweep.json") if target else None
    config = Config(dialect=None if dialect in (None, "auto") else dialect)
    return recipe, lint_recipe(recipe, config, spe, net, sweep).problems


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


# llm-compressor 0.14, the oracle of its dialect, in its own environment (it needs
# numpy 2, sparseml numpy < 2): `make test` builds .venv-llmc
LLMC_PYTHON = Path(
    os.environ.get("RECIPE_LLMC_PYTHON", ROOT / ".venv-llmc" / "bin" / "python")
)
LLMC_ORACLE = ROOT / "tests" / "llmc" / "oracle.py"


def in_llmc(script: Path, payload: object, timeout: int = 900) -> object:
    """A test script of ours run in .venv-llmc (llm-compressor's environment)
    with `payload` as JSON on stdin; what it prints, as JSON."""
    import json
    import subprocess

    done = subprocess.run(
        [str(LLMC_PYTHON), str(script)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def llmc_verdicts(cases: list[tuple[str, str]]) -> list[dict]:
    """What llm-compressor 0.14.0.1's `Recipe.create_instance` makes of each
    (name, text) recipe: tests/llmc/oracle.py in .venv-llmc, one process for the
    batch (the `llmc` fixture's, and benchmarks/differential_llmc.py's)."""
    import json
    import subprocess

    done = subprocess.run(
        [str(LLMC_PYTHON), str(LLMC_ORACLE)],
        input=json.dumps([{"name": n, "text": t} for n, t in cases]),
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


# SparseML 1.8's sparseml.core, the oracle of its dialect: the runner's own
# environment with the `sparseml-llm` extra, in a process of its own per batch
CORE_ORACLE = ROOT / "tests" / "sparseml_core" / "oracle.py"


def core_verdicts(cases: list[tuple[str, str]]) -> list[dict]:
    """What SparseML 1.8's sparseml.core makes of each (name, text) recipe at
    load and build (tests/sparseml_core/oracle.py; the `core` fixture's, and
    benchmarks/differential_core.py's)."""
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, str(CORE_ORACLE)],
        input=json.dumps([{"name": n, "text": t} for n, t in cases]),
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, "PYTHONWARNINGS": "ignore", "NM_DISABLE_ANALYTICS": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="session")
def core(sparseml):
    """`core_verdicts`, where sparseml and its LLM dependencies are installed
    (missing them is a failure where the runner is required, as for sparseml)."""
    try:
        import compressed_tensors  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the machine
        why = f"the sparseml-llm extra is missing: {exc}"
        if os.environ.get("RECIPE_REQUIRE_RUNNER") or os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return core_verdicts


@pytest.fixture(scope="session")
def llmc():
    """`llmc_verdicts`, where .venv-llmc is built. Missing it is a failure where
    the oracles are required (CI, RECIPE_REQUIRE_RUNNER), as a missing sparseml is."""
    if not LLMC_PYTHON.exists():  # pragma: no cover - depends on the machine
        why = f"llm-compressor's environment is missing: {LLMC_PYTHON} (`make test` builds it)"
        if os.environ.get("RECIPE_REQUIRE_RUNNER") or os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return llmc_verdicts
