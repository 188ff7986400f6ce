"""`recipe preview RECIPE --model DIR` of an llm-compressor recipe: oneshot has
no schedule, so the page (the preview's template, plotly inlined, nothing from
the network) shows what it does to the model: two heat maps over decoder layers
x module kinds (a layer's `self_attn.q_proj`, ...), one of the weight bits each
module is quantized to (16 where none) and one of the sparsity it is pruned to,
each cell's hover naming the module, its scheme and modifier, beside the
recipe's text and problems. The cells are `recipe show --format json`'s rows."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..problems import Problem

_LAYER = re.compile(r"^(?P<prefix>.*?)\.(?P<i>\d+)\.(?P<kind>.+)$")


def grid(
    doc: Mapping[str, Any],
) -> tuple[list[str], list[int], dict[tuple[str, int], Any]]:
    """(module kinds in order, layer indices, (kind, layer) -> the row)."""
    kinds: list[str] = []
    layers: set[int] = set()
    cells: dict[tuple[str, int], Any] = {}
    for row in doc["modules"]:
        m = _LAYER.match(row["name"])
        if m is None:
            continue
        kind, index = m.group("kind"), int(m.group("i"))
        if kind not in kinds:
            kinds.append(kind)
        layers.add(index)
        cells[(kind, index)] = row
    return kinds, sorted(layers), cells


def _hover(row: Mapping[str, Any] | None) -> str:
    if row is None:
        return ""
    said = [row["name"]]
    if row["scheme"] is not None:
        said.append(
            f"{row['scheme']} by {row['modifier']} (line {row['modifier_line']}): "
            f"{row['weight_bits']}-bit weights, {row['strategy']}"
            + (
                f" {row['group_size']}"
                if row["strategy"] in ("group", "tensor_group")
                else ""
            )
        )
    if row["sparsity"] is not None:
        said.append(f"pruned to {row['sparsity']} by {row['pruned_by']}")
    return "<br>".join(said)


def figures(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    kinds, layers, cells = grid(doc)
    if not kinds:
        return []
    bits = [
        [
            (cells[(k, i)]["weight_bits"] or 16) if (k, i) in cells else None
            for i in layers
        ]
        for k in kinds
    ]
    sparsity = [[_level(cells.get((k, i))) for i in layers] for k in kinds]
    hover = [[_hover(cells.get((k, i))) for i in layers] for k in kinds]
    out = []
    maps = []
    if any(r["scheme"] is not None for r in cells.values()):
        maps.append(("weight bits (16: not quantized)", bits, "Viridis", 16))
    if any(r["sparsity"] is not None for r in cells.values()):
        maps.append(("sparsity (owl: -1)", sparsity, "Reds", 1))
    for n, (title, z, scale, zmax) in enumerate(maps):
        out.append(
            {
                "id": f"llm-{n}",
                "sync": False,
                "data": [
                    {
                        "type": "heatmap",
                        "x": layers,
                        "y": kinds,
                        "z": z,
                        "text": hover,
                        "hoverinfo": "text",
                        "colorscale": scale,
                        "zmin": 0,
                        "zmax": zmax,
                    }
                ],
                "layout": {
                    "title": {"text": title},
                    "xaxis": {"title": {"text": "decoder layer"}, "dtick": 1},
                    "yaxis": {"automargin": True},
                    "height": 120 + 28 * len(kinds),
                },
            }
        )
    return out


def _level(row: Mapping[str, Any] | None) -> float | None:
    if row is None or row["sparsity"] is None:
        return 0.0 if row is not None else None
    value = row["sparsity"]
    return float(value) if isinstance(value, int | float) else -1.0


def render(
    path: str, text: str, doc: Mapping[str, Any], problems: list[Problem], why: str
) -> str:
    from .preview import page, staged_card

    model = doc["model"]
    quantized = sum(r["scheme"] is not None for r in doc["modules"])
    pruned = sum(r["sparsity"] is not None for r in doc["modules"])
    note = (
        f"read as llm-compressor's ({why}); on {model['architecture']} from "
        f"{model['path']}: {quantized} of {len(doc['modules'])} Linear/Embedding "
        f"modules quantized, {pruned} pruned (outside the decoder layers: "
        + ", ".join(
            f"{r['name']} {r['scheme'] or '-'}"
            for r in doc["modules"]
            if not _LAYER.match(r["name"])
        )
        + ")"
    )
    recipe = staged_card(path, text, note, problems)
    return page(path, [recipe], figures(doc))
