"""The tiny LLM folders every LLM runner test reads (built once, in .venv-llmc)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import in_llmc
from tests.llmrun.cases import LLAMA, MOE

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def models(llmc, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("llms")
    folders = {"llama": root / "llama", "moe": root / "qwen3-moe"}
    in_llmc(
        HERE / "models.py",
        [
            {"folder": str(folders["llama"]), **LLAMA},
            {"folder": str(folders["moe"]), **MOE},
        ],
    )
    return folders
