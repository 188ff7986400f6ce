"""The parameter tables `recipe lint --model` reads instead of building a model.

    python -m recipe_compiler.runner.tables    # rewrites recipe_compiler/modeltables

One JSON file per built-in model (the very classes `recipe run` builds): the input
it was measured at, then every module in `named_modules()` order with its class,
whether SparseML's `get_prunable_layers` counts it (what `__ALL_PRUNABLE__`
expands to), its own parameters with their shapes, and for a conv or linear layer
the output positions each weight is multiplied at (`runner.macs`' count: a
weight's MACs per item at that input). tests/test_resolve.py regenerates them and
fails when a definition changed and the tables did not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..network import TABLES, Network, network_from_dict
from .models import MODELS

INPUTS = {"digits-cnn": [1, 8, 8]}  # what `recipe run` feeds each model
INPUTS.update({f"yolov5{s}": [3, 64, 64] for s in "nsmlx"})


def table(name: str) -> dict[str, Any]:
    """The table of a built-in model, from its torch definition and SparseML."""
    import torch

    return table_of(MODELS[name](), name, torch.zeros(1, *INPUTS[name]))


def table_of(model: Any, name: str, sample: Any = None) -> dict[str, Any]:
    """The table of a torch model, its MAC positions measured on `sample` (a
    batch of one; none without it)."""
    from sparseml.pytorch.utils.helpers import get_prunable_layers

    from .macs import positions

    prunable = {n for n, _ in get_prunable_layers(model)}
    at = positions(model, sample) if sample is not None else {}
    modules = [
        [
            n,
            type(m).__name__,
            n in prunable,
            {p: list(t.shape) for p, t in m.named_parameters(recurse=False)},
            at.get(n),
        ]
        for n, m in model.named_modules()
    ]
    shape = list(sample.shape[1:]) if sample is not None else []
    out = {"model": name, "input": shape, "modules": modules}
    network_from_dict(out)  # what the loader reads back
    return out


def factory_network(spec: str) -> Network:
    """`--model pkg.module:factory`: the runner's factory protocol (`recipe run
    --model`), its model read as the tables are, on one item of its `val` data."""
    from .tasks import custom

    task = custom(spec, batch_size=1, seed=0)
    batch = next(iter(task.val))
    x = batch[0] if isinstance(batch, list | tuple) else batch
    return network_from_dict(table_of(task.model, spec, x[:1]))


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
    from . import compat

    compat.apply()
    main()
