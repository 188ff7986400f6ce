"""A field SparseML accepts and then ignores.

LearningRateFunctionModifier and LearningRateModifier force update_frequency to -1
(the LR is set on every step whatever is written).

Passes: a LearningRateFunctionModifier without update_frequency.
Fails: `update_frequency: 1.0` on a LearningRateFunctionModifier.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...modifiers import is_lr_class, is_lr_function
from ...problems import Severity
from ...recipe import Recipe
from ._base import Finding

CODE = "RC210"
NAME = "ignored-field"
SEVERITY = Severity.WARNING


def check(recipe: Recipe) -> Iterator[Finding]:
    for entry, m in recipe.models:
        if (
            (is_lr_function(m) or is_lr_class(m))
            and "update_frequency" in entry.fields
            and m.update_frequency != -1
        ):
            line, col = entry.field_position("update_frequency")
            yield Finding(
                line,
                col,
                f"{entry.tag} ignores update_frequency ({m.update_frequency:g}): "
                "SparseML sets the learning rate on every step",
                "remove update_frequency",
            )
