"""A `params` regex that also takes the first conv or a detection head (`--model`).

The first convolution sees the raw image through a handful of weights, and a
detector's head (YOLOv5's Detect convs) maps features to boxes: both are small, so
pruning them buys little speed and costs most of the accuracy (the bundled speed
recipe keeps them dense at no speed cost, docs/runner.md). A regex written for the
body often catches them too. Named explicitly, or through `__ALL_PRUNABLE__`, they
are taken on purpose and not reported.

Passes: `params: ["re:model\\.([1-9]|1[0-9]|2[0-3])\\..*conv.weight"]` on yolov5n.
Fails: `params: ["re:model\\..*conv.weight"]` on yolov5n (model.0 and, through
`.*`, nothing of Detect, whose convs are `model.24.m.N`).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...model.network import Network
from ...model.params import entry_matches, pruned_entries, resolve_params
from ...problems import Severity
from ..context import Context
from ._base import Finding
from .rc501_params_not_found import TAGS, entry_position

CODE = "RC502"
NAME = "regex-takes-the-ends"
SEVERITY = Severity.WARNING
NEEDS = ("network",)


def ends(net: Network) -> dict[str, str]:
    """param -> why it is an end: the first prunable layer, a head's layers."""
    out: dict[str, str] = {}
    prunable = [m for m in net.modules if m.prunable]
    if prunable:
        out[f"{prunable[0].name}.weight"] = "the first layer, which sees the input"
    heads = [m.name for m in net.modules if m.type == "Detect"]
    for m in prunable:
        if any(m.name.startswith(h + ".") for h in heads):
            out[f"{m.name}.weight"] = "a layer of the detection head"
    return out


def check(ctx: Context) -> Iterator[Finding]:
    recipe, net = ctx.recipe, ctx.network
    special = ends(net)
    for e, m in recipe.models:
        if e.tag not in TAGS:
            continue
        entries = pruned_entries(m) or []
        if any(t in entries for t in ("__ALL__", "__ALL_PRUNABLE__")):
            continue
        taken = set(resolve_params(entries, net).params)
        named = {x for x in entries if not x.startswith("re:")}
        for i, entry in enumerate(entries):
            if not entry.startswith("re:"):
                continue
            caught = [
                p
                for p in special
                if p in taken and p not in named and entry_matches(p, entry)
            ]
            if not caught:
                continue
            line, col = entry_position(e, entries, i)
            shown = ", ".join(f"{p} ({special[p]})" for p in caught[:3])
            yield Finding(
                line,
                col,
                f"!{e.tag} params entry '{entry}' also takes {shown}: small layers "
                "where pruning costs most of the accuracy for little speed",
                "narrow the regex to the body of the model, or name these layers "
                "explicitly if they are meant",
            )
