"""A `mask_type` whose blocks do not fit a parameter the modifier prunes
(`--model`).

SparseML makes the masks at the modifier's first update and raises ValueError
there, on the model's real shapes (`pruning/mask_creator.py`):

- `'N:M'` and `tensorrt` (2:4): the weights must split into groups of M; and for
  a conv, SparseML 1.8 builds the mask in the (out, kh, kw, in) layout it groups
  in and never permutes it back, so it fails against the weight's (out, in, kh,
  kw) unless those are the same shape. N:M works on linear layers only.
- `[rows, cols]` blocks: every dimension must be a multiple of its block
  dimension (a conv's kernel dimensions take blocks of 1; -1 means the whole
  dimension), and a parameter must have two dimensions or more.

Passes: `mask_type: '2:4'` on `classifier.1.weight` (a linear layer) of digits-cnn.
Fails: `mask_type: tensorrt` on `features.3.weight` (a 3x3 conv); `mask_type: [4, 1]`
on `classifier.3.weight` (10 outputs).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from ...model.params import pruned_entries, resolve_params
from ...problems import Severity
from ..context import Context
from ._base import Finding
from .rc501_params_not_found import TAGS

CODE = "RC507"
NAME = "mask-does-not-fit"
SEVERITY = Severity.ERROR
NEEDS = ("network",)
SPARSEML = ("step: ValueError",)


def misfit(mask: object, shape: tuple[int, ...]) -> str | None:
    """Why SparseML's mask creator for `mask` raises on a parameter of `shape`."""
    if isinstance(mask, str) and (mask == "tensorrt" or ":" in mask):
        m = 4 if mask == "tensorrt" else int(mask.split(":")[1])
        if m > 0 and math.prod(shape) % m:
            return f"its {math.prod(shape)} weights do not split into groups of {m}"
        if len(shape) == 4 and (shape[0], *shape[2:], shape[1]) != shape:
            return (
                "SparseML 1.8 builds an N:M mask for a conv in the (out, kh, kw, in) "
                "layout and never permutes it back"
            )
        return None
    if isinstance(mask, list) and len(mask) == 2:
        if len(shape) < 2:
            return "a block mask needs a parameter of two dimensions or more"
        block = [shape[i] if b == -1 else b for i, b in enumerate(mask)]
        bad = [
            f"{d} is not a multiple of {b}"
            for d, b in zip(shape, block, strict=False)
            if b and d % b
        ]
        return ", ".join(bad) or None
    return None


def check(ctx: Context) -> Iterator[Finding]:
    recipe, net = ctx.recipe, ctx.network
    end = recipe.max_epochs
    for e, m in recipe.models:
        mask = getattr(m, "mask_type", None)
        entries = pruned_entries(m)
        if e.tag not in TAGS or mask is None or not entries or not m.start < end:
            continue
        if isinstance(getattr(m, "final_sparsity", 0.0), dict):
            continue
        shapes = net.params
        wrong = [
            (n, why)
            for n in resolve_params(entries, net).params
            if (why := misfit(mask, shapes[n]))
        ]
        if not wrong:
            continue
        node = e.node.get("mask_type") if e.node.kind == "map" else None
        line, col = (node.line, node.column) if node else (e.line, e.column)
        name, why = wrong[0]
        more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
        shown = "x".join(map(str, shapes[name]))
        yield Finding(
            line,
            col,
            f"!{e.tag} mask_type {mask!r} does not fit {name} ({shown}){more}: "
            f"{why}; SparseML raises ValueError at the modifier's first update "
            f"(epoch {max(m.start, 0):g})",
            "N:M masks work on linear layers; for convs use block4 or unstructured"
            if isinstance(mask, str)
            else "choose block dimensions that divide every pruned parameter's, or "
            "leave the misfits out of params",
        )
