"""The shipped sparseml.core registry is what SparseML 1.8 defines.

`recipe_compiler/dialects/sparsemlcore/registry.json` is generated from the
engine's own classes (its `ModifierFactory`, the class each name builds for
PyTorch and its pydantic fields) by `generate.py` in the runner's environment; a
hand edit or other engine versions make this fail until it is regenerated.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

FOLDER = ROOT / "recipe_compiler" / "dialects" / "sparsemlcore"


def test_the_registry_is_the_engines(core):
    done = subprocess.run(
        [sys.executable, str(FOLDER / "generate.py"), "--print"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NM_DISABLE_ANALYTICS": "1", "PYTHONWARNINGS": "ignore"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    shipped = (FOLDER / "registry.json").read_text()
    assert done.stdout == shipped, (
        "stale: .venv/bin/python recipe_compiler/dialects/sparsemlcore/generate.py"
    )
    found = json.loads(shipped)
    assert found["engine"]["sparseml"] == "1.8.0"
    built = {name: m["class"] for name, m in found["modifiers"].items()}
    # with the LLM dependencies of its time every modifier has its PyTorch class
    assert built["SparseGPTModifier"] == "SparseGPTModifierPyTorch"
    assert built["QuantizationModifier"] == "QuantizationModifierPyTorch"
    assert found["legacy_scheme_aliases"] == ["default", "deepsparse", "tensorrt"]
