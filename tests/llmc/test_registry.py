"""The shipped llm-compressor registry is what the engine defines.

`recipe_compiler/dialects/llmcompressor/registry.json` is generated from
llm-compressor 0.14's own classes (its `ModifierFactory`, the modifiers' pydantic
fields, compressed-tensors' preset schemes) by `generate.py` in `.venv-llmc`; a
hand edit or a new engine version makes this fail until it is regenerated.
"""

from __future__ import annotations

import json
import subprocess

from tests.conftest import LLMC_PYTHON, ROOT

FOLDER = ROOT / "recipe_compiler" / "dialects" / "llmcompressor"


def test_the_registry_is_the_engines(llmc):
    done = subprocess.run(
        [str(LLMC_PYTHON), str(FOLDER / "generate.py"), "--print"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    shipped = (FOLDER / "registry.json").read_text()
    assert done.stdout == shipped, (
        "stale: .venv-llmc/bin/python recipe_compiler/dialects/llmcompressor/generate.py"
    )
    found = json.loads(shipped)
    assert found["engine"]["llmcompressor"] == "0.14.0.1"
    assert {"GPTQModifier", "QuantizationModifier", "SmoothQuantModifier"} <= set(
        found["modifiers"]
    )
    assert {"W4A16", "W8A8", "FP8_DYNAMIC", "NVFP4"} <= set(found["preset_schemes"])
