"""`recipe show RECIPE --model DIR` for an llm-compressor recipe: what each module
of the LLM gets (`dialects/llmcompressor/applied.py`: the scheme oneshot gives
it, and from which modifier; the sparsity SparseGPT or Wanda prunes it to), as a
table grouped by layer kind (a decoder
layer's index becomes `*`; layers that differ get rows of their own) and as
JSON; the weights' memory before and after."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ..dialects.llmcompressor.applied import Given, Pruned
from ..model.llm.tree import LLM, LLMModule

_LAYER = re.compile(r"\.(\d+)(?=\.|$)")
_KINDS = ("Linear", "Embedding")
_DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8}
SCALE_BYTES = 2  # a bf16/fp16 scale (and an int8 zero point where asymmetric)


def schemed(llm: LLM) -> list[LLMModule]:
    """The modules a scheme can be given to (Linear, Embedding), in order."""
    return [m for m in llm.modules if any(k in m.mro for k in _KINDS)]


def _row(module: LLMModule, g: Given | None, p: Pruned | None = None) -> dict[str, Any]:
    weights = g.group.weights if g else None
    inputs = g.group.input_activations if g else None
    return {
        "name": module.name,
        "type": module.type,
        "shape": list(module.weight or ()),
        "modifier": g.resolved.modifier.name if g else None,
        "modifier_line": g.resolved.modifier.line if g else None,
        "scheme": g.group.name if g else None,
        "weight_bits": weights.get("num_bits") if weights else None,
        "weight_type": weights.get("type") if weights else None,
        "strategy": weights.get("strategy") if weights else None,
        "group_size": weights.get("group_size") if weights else None,
        "input_bits": inputs.get("num_bits") if inputs else None,
        "input_strategy": inputs.get("strategy") if inputs else None,
        "input_group_size": inputs.get("group_size") if inputs else None,
        "input_dynamic": inputs.get("dynamic") if inputs else None,
        "sparsity": p.sparsity if p else None,
        "pruned_by": p.modifier.name if p else None,
    }


def modules_json(
    llm: LLM,
    applied: Mapping[str, Given],
    dtype: str,
    pruned: Mapping[str, Pruned] | None = None,
) -> dict[str, Any]:
    pruned = pruned or {}
    rows = [_row(m, applied.get(m.name), pruned.get(m.name)) for m in schemed(llm)]
    before, after = memory(llm, applied, dtype)
    return {
        "model": {
            "path": llm.path,
            "model_type": llm.model_type,
            "architecture": llm.architecture,
            "tree": llm.source,
            "checked": llm.checked,
            "tied_embeddings": llm.tied,
        },
        "modules": rows,
        "weights_bytes": {"dtype": dtype, "before": before, "after": after},
    }


def _bytes(dtype: str) -> int:
    return _DTYPE_BYTES.get(dtype, 2)


def memory(llm: LLM, applied: Mapping[str, Given], dtype: str) -> tuple[int, int]:
    """Bytes of every parameter at `dtype`, then with each quantized weight at its
    bits plus its scales (one per tensor, channel, group or block; a zero point
    too where asymmetric); a tied weight once."""
    size = _bytes(dtype)
    before = llm.weights * size
    after = before
    for name, g in applied.items():
        weights = g.group.weights
        shape = g.module.weight
        if not weights or not shape or (llm.tied and name == "lm_head"):
            continue
        count = math.prod(shape)
        bits = weights.get("num_bits") or 8
        scales = _scales(shape, weights)
        if not weights.get("symmetric", True):
            scales *= 2
        after += math.ceil(count * bits / 8) + scales * SCALE_BYTES - count * size
    return before, after


def _scales(shape: tuple[int, ...], weights: Mapping[str, Any]) -> int:
    out_features, columns = shape[0], shape[-1]
    strategy = weights.get("strategy")
    if strategy == "channel":
        return out_features
    if strategy in ("group", "tensor_group"):
        size = weights.get("group_size") or columns
        return out_features * math.ceil(columns / size)
    if strategy == "block":
        rows, cols = weights.get("block_structure") or (out_features, columns)
        return math.ceil(out_features / rows) * math.ceil(columns / cols)
    return 1


def _kind(name: str) -> tuple[str, int | None]:
    """`model.layers.3.mlp.up_proj` -> (`model.layers.*.mlp.up_proj`, 3)."""
    m = _LAYER.search(name)
    if m is None:
        return name, None
    return name[: m.start()] + ".*" + name[m.end() :], int(m.group(1))


def _ranges(indices: list[int]) -> str:
    out, start = [], indices[0]
    for a, b in zip(indices, [*indices[1:], None], strict=True):
        if b is None or b != a + 1:
            out.append(f"{start}" if start == a else f"{start}-{a}")
            start = b if b is not None else start
    return ",".join(out)


def _what(row: Mapping[str, Any]) -> tuple[str, ...]:
    sparsity = row["sparsity"]
    pruned = (
        ""
        if sparsity is None
        else f"{sparsity:g}"
        if isinstance(sparsity, float | int)
        else str(sparsity)
    )
    return (*_scheme(row), pruned)


def _scheme(row: Mapping[str, Any]) -> tuple[str, ...]:
    if row["scheme"] is None:
        return ("-", "", "", "", "", "")
    bits = row["weight_bits"]
    wtype = "fp" if row["weight_type"] == "float" else "int"
    weights = f"{wtype}{bits}" if bits else "-"
    group = (
        str(row["group_size"]) if row["strategy"] in ("group", "tensor_group") else ""
    )
    inputs = f"{row['input_bits']}" + (" dyn" if row["input_dynamic"] else "")
    return (
        f"{row['modifier']} (line {row['modifier_line']})",
        str(row["scheme"]),
        weights,
        str(row["strategy"] or ""),
        group,
        inputs if row["input_bits"] else "-",
    )


def modules_table(doc: Mapping[str, Any]) -> str:
    """The JSON's modules grouped: one row per layer kind and scheme, the layer
    indices it covers."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    order: list[tuple[Any, ...]] = []
    for row in doc["modules"]:
        kind, index = _kind(row["name"])
        key = (kind, row["type"], "x".join(map(str, row["shape"])), *_what(row))
        if key not in groups:
            groups[key] = []
            order.append(key)
        if index is not None:
            groups[key].append(index)
    head = ("module", "layers", "type", "shape", "modifier", "scheme", "weights",
            "strategy", "group", "inputs", "sparsity")  # fmt: skip
    lines = [head]
    for key in order:
        indices = groups[key]
        lines.append((key[0], _ranges(indices) if indices else "", *key[1:]))
    widths = [max(len(str(r[i])) for r in lines) for i in range(len(head))]
    text = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in lines]  # fmt: skip
    model = doc["model"]
    mem = doc["weights_bytes"]
    quantized = sum(r["scheme"] is not None for r in doc["modules"])
    pruned = sum(r["sparsity"] is not None for r in doc["modules"])
    out = [
        f"{model['architecture']} ({model['model_type']}) from {model['path']}: "
        f"module tree by {model['tree']}"
        + (f"; {model['checked']}" if model["checked"] else ""),
        f"{quantized} of {len(doc['modules'])} Linear/Embedding modules get a scheme"
        + (f", {pruned} are pruned" if pruned else ""),
        "",
        *text,
        "",
        f"weights: {_mb(mem['before'])} at {mem['dtype']} -> {_mb(mem['after'])} "
        "(quantized weights at their bits, with their scales)",
    ]
    return "\n".join(out) + "\n"


def _mb(n: int) -> str:
    return f"{n / 2**20:,.2f} MiB" if n < 2**30 else f"{n / 2**30:,.2f} GiB"
