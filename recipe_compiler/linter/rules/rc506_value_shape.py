"""A SetParam `val` or GradualParam `init_val` whose shape is not the shape of a
parameter it sets (`--model`).

SparseML makes `torch.tensor(value)` at initialize and raises ValueError("Value
shape of ... does not match param shape of ...") for the first parameter `params`
resolves to whose shape differs: a scalar sets no parameter, every parameter needs
its full nested list. (GradualParam's init_val and final_val must also match each
other; that needs no model and is checked when the recipe loads.)

Passes: `val: [1.0, 1.0, ..., 1.0]` (16 values) on `features.1.weight` of digits-cnn.
Fails: `val: 0.0` on `features.1.weight` of digits-cnn (shape [16]).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...model.params import flat, resolve_params
from ...modifiers.base import tensor_shape
from ...problems import Severity
from ..context import Context
from ._base import Finding

CODE = "RC506"
NAME = "value-shape"
SEVERITY = Severity.ERROR
NEEDS = ("network",)
SPARSEML = ("initialize: ValueError",)
FIELDS = {"SetParamModifier": "val", "GradualParamModifier": "init_val"}


def check(ctx: Context) -> Iterator[Finding]:
    recipe, net = ctx.recipe, ctx.network
    for e, m in recipe.models:
        field = FIELDS.get(e.tag)
        entries = flat(getattr(m, "params", None)) if field else None
        if not field or not entries:
            continue
        found = resolve_params(entries, net, prunable_token=False)
        if found.missing and getattr(m, "params_strict", True):
            continue  # RC501: it fails on the name first
        shape = tensor_shape(getattr(m, field))
        shapes = net.params
        wrong = [n for n in found.params if shapes[n] != shape]
        if shape is None or not wrong:
            continue
        node = e.node.get(field) if e.node.kind == "map" else None
        line, col = (node.line, node.column) if node else (e.line, e.column)
        first = wrong[0]
        yield Finding(
            line,
            col,
            f"!{e.tag} {field} has shape {list(shape)} but {first} is "
            f"{list(shapes[first])}; SparseML raises ValueError at initialize "
            f'("Value shape of torch.Size({list(shape)}) does not match param '
            f'shape of torch.Size({list(shapes[first])})")',
            "write one value per element, nested as the parameter's shape"
            + (
                f"; params takes parameters of {kinds} shapes: give each shape its "
                "own modifier"
                if (kinds := len({shapes[n] for n in found.params})) > 1
                else ""
            ),
        )
