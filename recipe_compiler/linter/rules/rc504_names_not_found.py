"""A module or parameter name outside pruning `params` that the model lacks, where
SparseML then fails (`--model`).

Each field is looked up as the engine does (recipe_compiler/model/names.py):
LayerPruningModifier `layers` (AttributeError at initialize for a missing module; a
parameter's name is a TypeError when the modifier starts), legacy
QuantizationModifier `submodules` (RuntimeError at initialize), QuantizationModifier
`ignore` and `scheme_overrides` keys with `strict` (ValueError when QAT starts: a
module name prefix or a class name after conv-bn-relu fusion),
PerLayerDistillationModifier `student_layer_names` (the first distilling step
fails), and the parameter groups of LayerThinningModifier with update epochs
(KeyError when it thins).

Passes: `ignore: [classifier.3, ReLU]` on digits-cnn.
Fails: `layers: [features.9]` on digits-cnn (it has features.0 to features.6).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...loader.recipe import Recipe
from ...model.names import references
from ...model.network import Network
from ...problems import Severity
from ..context import Context
from ._base import Finding

CODE = "RC504"
NAME = "names-not-found"
SEVERITY = Severity.ERROR
NEEDS = ("network",)
SPARSEML = (
    "initialize: AttributeError",
    "initialize: RuntimeError",
    "initialize: ValueError",
    "step: AssertionError",
    "step: KeyError",
    "step: TypeError",
    "step: ValueError",
)


def check(ctx: Context) -> Iterator[Finding]:
    recipe, net = ctx.recipe, ctx.network
    return findings(recipe, net, failing=True)


def findings(recipe: Recipe, net: Network, failing: bool) -> Iterator[Finding]:
    """The names the model lacks where SparseML fails (RC504), or where it lets
    them do nothing (RC505): one lookup, one message, two severities."""
    for r in references(recipe, net):
        if (r.fails is not None) == failing:
            yield Finding(
                r.line,
                r.column,
                f"!{r.tag} {r.field} entry '{r.entry}' is not in {net.name}: "
                f"{r.effect}",
                r.hint,
            )
