"""The parameter tables `recipe lint --model` reads instead of building a model.

    python -m recipe_compiler.runner.tables    # rewrites recipe_compiler/modeltables

One JSON file per built-in model (the very classes `recipe run` builds): every
module in `named_modules()` order with its class, whether SparseML's
`get_prunable_layers` counts it (what `__ALL_PRUNABLE__` expands to), and its own
parameters with their shapes. tests/test_modeltables.py regenerates them and fails
when a definition changed and the tables did not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..network import TABLES, network_from_dict
from .models import MODELS


def table(name: str) -> dict[str, Any]:
    """The table of a built-in model, from its torch definition and SparseML."""
    from sparseml.pytorch.utils.helpers import get_prunable_layers

    model = MODELS[name]()
    prunable = {n for n, _ in get_prunable_layers(model)}
    modules = [
        [
            n,
            type(m).__name__,
            n in prunable,
            {p: list(t.shape) for p, t in m.named_parameters(recurse=False)},
        ]
        for n, m in model.named_modules()
    ]
    out = {"model": name, "modules": modules}
    network_from_dict(out)  # what the loader reads back
    return out


def text(name: str) -> str:
    """The file's text: one module a line, so a changed definition diffs readably."""
    t = table(name)
    rows = ",\n".join(json.dumps(m, separators=(",", ":")) for m in t["modules"])
    return f'{{"model": "{name}", "modules": [\n{rows}\n]}}\n'


def main() -> None:
    for name in MODELS:
        path = Path(TABLES) / f"{name}.json"
        path.write_text(text(name), encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    from . import compat

    compat.apply()
    main()
