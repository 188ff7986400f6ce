"""A name the model lacks where SparseML lets the entry silently do nothing
(`--model`).

The same lookups as RC501 and RC504 (recipe_compiler/model/names.py), on the
fields where SparseML does not raise: SetParam / TrainableParams / GradualParam
`params` with `params_strict: false`, QuantizationModifier `ignore` and
`scheme_overrides` with `strict: false`, legacy QuantizationModifier
`exclude_module_types`, LayerThinningModifier dependencies, and its parameter
groups when it thins only as the manager is finalized (a KeyError after the last
step, which the training steps never reach).

Passes: `exclude_module_types: [ReLU]` on digits-cnn.
Fails: `exclude_module_types: [SiLU]` on digits-cnn (a YOLOv5 activation).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...problems import Severity
from ..context import Context
from ._base import Finding
from .rc504_names_not_found import findings

CODE = "RC505"
NAME = "name-does-nothing"
SEVERITY = Severity.WARNING
NEEDS = ("network",)


def check(ctx: Context) -> Iterator[Finding]:
    recipe, net = ctx.recipe, ctx.network
    return findings(recipe, net, failing=False)
