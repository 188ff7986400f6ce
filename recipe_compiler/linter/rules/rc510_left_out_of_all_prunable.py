"""`__ALL_PRUNABLE__` on a model with weights SparseML does not count as prunable
(`--model`).

SparseML expands the token to `<module>.weight` of every Linear, Conv and
Embedding module (`get_prunable_layers`, by class); a layer of the user's own
that holds a weight matrix (`x @ self.weight`, say) is not among them, so it
silently stays dense while the recipe's sparsity suggests the whole model. Built-in
models have none; factories often do.

Passes: `params: __ALL_PRUNABLE__` on digits-cnn.
Fails: `params: __ALL_PRUNABLE__` on a model with a layer of its own holding a
2-D weight (tests.custom_factory:own_layer).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...model.params import ALL, ALL_PRUNABLE, pruned_entries
from ...problems import Severity
from ..context import Context
from ._base import Finding
from .rc501_params_not_found import TAGS, entry_position

CODE = "RC510"
NAME = "left-out-of-all-prunable"
SEVERITY = Severity.WARNING
NEEDS = ("network",)


def check(ctx: Context) -> Iterator[Finding]:
    recipe, net = ctx.recipe, ctx.network
    if net.parameters_only:
        return  # an ONNX file does not know the classes
    left = [
        (f"{m.name}.weight", m.type, dict(m.params)["weight"])
        for m in net.modules
        if not m.prunable and len(dict(m.params).get("weight", ())) >= 2
    ]
    if not left:
        return
    for e, m in recipe.models:
        entries = pruned_entries(m) or []
        if e.tag not in TAGS or ALL_PRUNABLE not in entries or ALL in entries:
            continue
        line, col = entry_position(e, entries, entries.index(ALL_PRUNABLE))
        shown = ", ".join(
            f"{n} ({kind}, {'x'.join(map(str, shape))})" for n, kind, shape in left[:3]
        )
        more = f" and {len(left) - 3} more" if len(left) > 3 else ""
        yield Finding(
            line,
            col,
            f"!{e.tag} __ALL_PRUNABLE__ leaves out {shown}{more}: SparseML counts "
            "only Linear, Conv and Embedding modules as prunable, so "
            f"{'it stays' if len(left) == 1 else 'they stay'} dense",
            "list the parameters to prune by name or re: pattern instead of the "
            f"token (re:.*weight$ takes {left[0][0]} too)",
        )
