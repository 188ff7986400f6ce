"""`mask_type: block4` on a layer whose input channels are not a multiple of 4
(`--model`).

Block-4 masks prune four consecutive input channels together, the groups INT8
kernels that multiply four channels at once (VNNI) can skip. SparseML pads a
layer whose input channels do not divide by 4 (`FourBlockMaskCreator.group_tensor`
fills each row's last block with the mean of the channels left over), so that
layer's last block of every row is partly padding: it runs, but the blocks do not
line up with the channels, and the sparsity lands off the target in steps of a
whole block (a 8x5 linear layer at 0.5 ends at 0.575). YOLOv5's first conv (3 input
channels) and depthwise convs are the usual cases.

Passes: `block4` on `features.3.weight` of digits-cnn (16 input channels).
Fails: `block4` on `features.0.weight` of digits-cnn (1 input channel).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...model.params import pruned_entries, resolve_params
from ...problems import Severity
from ..context import Context
from ._base import Finding
from .rc501_params_not_found import TAGS

CODE = "RC508"
NAME = "block4-partial"
SEVERITY = Severity.WARNING
NEEDS = ("network",)


def check(ctx: Context) -> Iterator[Finding]:
    recipe, net = ctx.recipe, ctx.network
    for e, m in recipe.models:
        entries = pruned_entries(m)
        if e.tag not in TAGS or getattr(m, "mask_type", None) != "block4":
            continue
        if not entries:
            continue
        shapes = net.params
        odd = [
            n
            for n in resolve_params(entries, net).params
            if len(shapes[n]) >= 2 and shapes[n][1] % 4
        ]
        if not odd:
            continue
        node = e.node.get("mask_type") if e.node.kind == "map" else None
        line, col = (node.line, node.column) if node else (e.line, e.column)
        shown = ", ".join(f"{n} ({shapes[n][1]})" for n in odd[:3])
        more = f" and {len(odd) - 3} more" if len(odd) > 3 else ""
        yield Finding(
            line,
            col,
            f"!{e.tag} mask_type block4 on input channels that are not a multiple "
            f"of 4: {shown}{more}; SparseML pads their last block of 4, so it does "
            "not line up with the channels and the sparsity lands off the target",
            "leave these layers out of params (YOLOv5's first conv usually is), or "
            "prune them unstructured in a modifier of their own",
        )
