"""The parameter tables `recipe lint --model` reads instead of building a model.

    python -m recipe_compiler.runner.tables    # rewrites recipe_compiler/model/tables

One JSON file per built-in model (the very classes `recipe run` builds): the input
it was measured at, then every module in `named_modules()` order with its class,
whether SparseML's `get_prunable_layers` counts it (what `__ALL_PRUNABLE__`
expands to), its own parameters with their shapes, and for a conv or linear layer
the output positions each weight is multiplied at (`model.macs`' count: a
weight's MACs per item at that input). tests/model/test_params.py regenerates them and
fails when a definition changed and the tables did not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..model.network import TABLES
from ..model.torch import table_of
from .zoo.models import MODELS

INPUTS = {"digits-cnn": [1, 8, 8]}  # what `recipe run` feeds each model
INPUTS.update({f"yolov5{s}": [3, 64, 64] for s in "nsmlx"})


def table(name: str) -> dict[str, Any]:
    """The table of a built-in model, from its torch definition and SparseML."""
    import torch

    return table_of(MODELS[name](), name, torch.zeros(1, *INPUTS[name]))


def text(name: str) -> str:
    """The file's text: one module a line, so a changed definition diffs readably."""
    t = table(name)
    rows = ",\n".join(json.dumps(m, separators=(",", ":")) for m in t["modules"])
    head = f'"model": "{name}", "input": {json.dumps(t["input"])}'
    return f'{{{head}, "modules": [\n{rows}\n]}}\n'


def main() -> None:
    for name in MODELS:
        path = Path(TABLES) / f"{name}.json"
        path.write_text(text(name), encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
