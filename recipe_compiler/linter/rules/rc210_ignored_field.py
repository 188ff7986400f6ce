"""A field SparseML accepts and then ignores.

LearningRateFunctionModifier and LearningRateModifier force update_frequency to -1
(the LR is set on every step whatever is written); ConstantPruningModifier and
LayerPruningModifier do too (they act once, at start and end). SparseML never
checks the value written, so even `-2` loads.

Passes: a LearningRateFunctionModifier without update_frequency.
Fails: `update_frequency: 1.0` on a LearningRateFunctionModifier.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...problems import Severity
from ..context import Context
from ._base import Finding

CODE = "RC210"
NAME = "ignored-field"
SEVERITY = Severity.WARNING


def check(ctx: Context) -> Iterator[Finding]:
    recipe = ctx.recipe
    for entry, m in recipe.models:
        freq = getattr(m, "update_frequency", -1)
        if m.FREQUENCY_FORCED and "update_frequency" in entry.fields and freq != -1:
            line, col = entry.field_position("update_frequency")
            what = (
                "sets the learning rate on every step"
                if m.KIND == "lr"
                else "acts at its start and end only"
            )
            yield Finding(
                line,
                col,
                f"{entry.tag} ignores update_frequency ({freq!r}): SparseML {what}",
                "remove update_frequency",
            )
