"""The per-layer plan of `recipe show --model`: what each pruning modifier leaves of
every parameter it takes, and what that does to the multiply-accumulates.

A layer-wise mask keeps `numel - round(numel * sparsity)` weights of each tensor
(SparseML's unstructured mask creator), so the final counts are known before
training; a global one (GlobalMagnitudePruningModifier) splits its target over the
tensors by magnitude, which only training decides, so its layers show no count. The
nonzero-MAC ratio (all conv and linear MACs over those with a nonzero weight) is the
most that sparsity alone can speed a model up, as `recipe run` reports it.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from .._text import aligned
from ..loader.recipe import Recipe
from .network import Network
from .params import pruned_entries, resolve_params

TAGS = (
    "GMPruningModifier",
    "MagnitudePruningModifier",
    "GlobalMagnitudePruningModifier",
    "ConstantPruningModifier",
)


class PlanError(ValueError):
    """The plan cannot be made as asked (an image size the model cannot take)."""


@dataclasses.dataclass(frozen=True)
class Layer:
    modifier: str  # "#3 GMPruningModifier (line 30)"
    param: str
    shape: tuple[int, ...]
    weights: int
    macs: float  # per item at the image size; 0 for a parameter outside conv/linear
    final_sparsity: float | None  # None: decided in training (global, constant)
    nonzero_macs: float | None


@dataclasses.dataclass(frozen=True)
class LayerPlan:
    model: str
    image_size: int | None
    layers: list[Layer]
    totals: dict[str, float | None]
    # every conv and linear weight in model order with its MACs, pruned or not:
    # what a chart draws (the dense first conv and head show as what they are)
    all_weights: tuple[tuple[str, float], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `recipe show --model M --format json`."""
        return {
            "model": self.model,
            "image_size": self.image_size,
            "layers": [
                {
                    "modifier": x.modifier,
                    "param": x.param,
                    "shape": list(x.shape),
                    "weights": x.weights,
                    "macs": x.macs,
                    "final_sparsity": x.final_sparsity,
                    "nonzero_macs": x.nonzero_macs,
                }
                for x in self.layers
            ],
            "totals": self.totals,
        }


def _scale(net: Network, image_size: int | None) -> float:
    """How the table's positions grow at `image_size` (conv outputs by area)."""
    if image_size is None or not net.input or image_size == net.input[-1]:
        return 1.0
    if not net.name.startswith("yolov5"):
        raise PlanError(f"{net.name} takes {net.input[-1]}x{net.input[-1]} inputs only")
    if image_size % 32:
        raise PlanError("--image-size must be a multiple of 32 (YOLOv5's stride)")
    return (image_size / net.input[-1]) ** 2


def layer_plan(
    recipe: Recipe, net: Network, image_size: int | None = None
) -> LayerPlan:
    scale = _scale(net, image_size)
    modules = {m.name: m for m in net.modules}
    shapes = net.params
    chosen: dict[str, tuple[float, Layer]] = {}  # param -> (end epoch, its row)
    for e, m in recipe.models:
        if e.tag not in TAGS:
            continue
        entries = pruned_entries(m)
        final = getattr(m, "final_sparsity", None)
        if entries is None or isinstance(final, dict):
            continue
        layerwise = e.tag != "GlobalMagnitudePruningModifier" and not getattr(
            m, "global_sparsity", False
        )
        target = final if isinstance(final, float) and layerwise else None
        for name in resolve_params(entries, net).params:
            shape = shapes[name]
            weights = math.prod(shape)
            module = modules[name.rsplit(".", 1)[0]]
            per = (module.positions or 0) * scale if name.endswith(".weight") else 0
            macs = weights * per
            nonzero = None
            if target is not None:
                nonzero = (weights - round(weights * target)) * per
            row = Layer(
                f"#{e.index} {e.tag} (line {e.line})",
                name,
                shape,
                weights,
                macs,
                target,
                nonzero,
            )
            # a ConstantPruningModifier holds what pruned the tensor before it;
            # of two that prune it, the one that ends last leaves the mask
            end = -math.inf if e.tag == "ConstantPruningModifier" else m.end
            end = math.inf if end == -1 else end
            if name not in chosen or end >= chosen[name][0]:
                chosen[name] = (end, row)
    layers = [chosen[n][1] for n in shapes if n in chosen]
    square = len(net.input) == 3 and net.input[1] == net.input[2]
    size = image_size or (net.input[-1] if square else None)
    every = tuple(
        (f"{m.name}.weight", math.prod(dict(m.params)["weight"]) * m.positions * scale)
        for m in net.modules
        if m.positions is not None and "weight" in dict(m.params)
    )
    return LayerPlan(net.name, size, layers, _totals(net, layers, scale), every)


def _totals(net: Network, layers: list[Layer], scale: float) -> dict[str, float | None]:
    total_macs = sum(
        math.prod(dict(m.params)["weight"]) * m.positions * scale
        for m in net.modules
        if m.positions is not None and "weight" in dict(m.params)
    )
    known = all(x.final_sparsity is not None for x in layers)
    pruned = (
        sum(round(x.weights * (x.final_sparsity or 0.0)) for x in layers)
        if known
        else None
    )
    weights = sum(x.weights for x in layers)
    nonzero = None
    if known:
        nonzero = total_macs - sum(x.macs - (x.nonzero_macs or 0.0) for x in layers)
    return {
        "weights": weights,
        "pruned_weights": pruned,
        "sparsity": (pruned / weights) if pruned is not None and weights else None,
        "macs": total_macs,
        "nonzero_macs": nonzero,
        "nonzero_mac_ratio": (total_macs / nonzero) if nonzero else None,
    }


def as_text(p: LayerPlan) -> str:
    """The plan as a table: one row a parameter, then the totals."""

    def num(x: float | None, fmt: str) -> str:
        return "?" if x is None else format(x, fmt)

    head = ("param", "shape", "weights", "MMACs", "final", "nonzero MMACs", "modifier")
    rows = [head] + [
        (
            x.param,
            "x".join(map(str, x.shape)),
            f"{x.weights:,}",
            num(x.macs / 1e6, ".3f"),
            num(x.final_sparsity, ".3f"),
            num(None if x.nonzero_macs is None else x.nonzero_macs / 1e6, ".3f"),
            x.modifier,
        )
        for x in p.layers
    ]
    lines = aligned(rows, right=(2, 3, 4, 5))
    t = p.totals
    size = f" at {p.image_size}x{p.image_size}" if p.image_size else ""
    lines += [
        "",
        f"{p.model}{size}: {len(p.layers)} parameters pruned, "
        f"{num(t['pruned_weights'], ',.0f')} of {t['weights']:,.0f} weights "
        f"(sparsity {num(t['sparsity'], '.3f')}); "
        f"{num(t['nonzero_mac_ratio'], '.2f')}x fewer MACs with a nonzero weight "
        f"({num(t['macs'] and t['macs'] / 1e6, ',.1f')} MMACs in all conv and linear "
        "layers): the most sparsity alone can speed it up",
    ]
    if t["pruned_weights"] is None:
        lines.append(
            "? decided in training: a global mask splits its target over the layers "
            "by magnitude, a constant one keeps what the weights hold"
        )
    return "\n".join(lines) + "\n"
