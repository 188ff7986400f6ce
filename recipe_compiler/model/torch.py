"""A live torch module read as `--model` tables describe one, and the runner's
`pkg.module:factory` protocol that gives `--model` a user's own model.

torch is imported here at import; only `model/sources.py` (for a factory, turning
an ImportError into advice) and the runner import this module. SparseML (for its
prunable-layer walk) is imported inside `table_of`, after the compat fixes.
"""

from __future__ import annotations

import importlib
from typing import Any

import torch  # noqa: F401 - the runner extra: sources.py reports its absence

from .. import torch_compat
from .network import Network, network_from_dict

FACTORY_PARTS = ("model", "loss", "train", "val")


def call_factory(spec: str, batch_size: int, seed: int) -> dict[str, Any]:
    """`pkg.module:factory` called as `factory(batch_size=..., seed=...)`: the dict
    it returns, with `model`, `loss`, `train` and `val` (KeyError naming what is
    missing or cannot be imported)."""
    module_name, _, attr = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise KeyError(f"{spec}: {exc}") from None
    parts = factory(batch_size=batch_size, seed=seed)
    missing = set(FACTORY_PARTS) - set(parts)
    if missing:
        raise KeyError(f"{spec} returned no {', '.join(sorted(missing))}")
    return dict(parts)


def table_of(model: Any, name: str, sample: Any = None) -> dict[str, Any]:
    """The table of a torch model, its MAC positions measured on `sample` (a
    batch of one; none without it)."""
    torch_compat.apply()
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
    """`--model pkg.module:factory`: the factory's model read as the tables are,
    its MAC positions measured on one item of its `val` data."""
    parts = call_factory(spec, batch_size=1, seed=0)
    batch = next(iter(parts["val"]))
    x = batch[0] if isinstance(batch, list | tuple) else batch
    return network_from_dict(table_of(parts["model"], spec, x[:1]))
