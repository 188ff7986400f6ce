"""A pruning update_frequency that updates every step, or never between ends.

`update_frequency` of -1 or 0 recomputes the masks on every optimizer step (slow,
and rarely what a recipe meant). One larger than the pruning window means only the
start and end updates happen: a one-shot jump to final_sparsity.

Passes: `update_frequency: 1.0` over a 30-epoch window.
Fails: `update_frequency: 0`, or `update_frequency: 40` over a 30-epoch window.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...modifiers import is_gradual
from ...problems import Severity
from ..context import Context
from ._base import Finding

CODE = "RC207"
NAME = "pruning-update-frequency"
SEVERITY = Severity.WARNING


def check(ctx: Context) -> Iterator[Finding]:
    recipe = ctx.recipe
    for entry, m in recipe.models:
        if not is_gradual(m):
            continue
        freq = m.update_frequency
        line, col = entry.field_position("update_frequency")
        if freq <= 0:
            yield Finding(
                line,
                col,
                f"update_frequency {freq:g} recomputes the pruning masks on every "
                "optimizer step",
                "use a fraction of an epoch or more, e.g. update_frequency: 0.5",
            )
        elif m.end > m.start >= 0 and freq > m.end - m.start:
            yield Finding(
                line,
                col,
                f"update_frequency {freq:g} is longer than the pruning window "
                f"({m.start:g} to {m.end:g}): SparseML prunes once at start_epoch "
                "and jumps to final_sparsity at end_epoch",
                "use an update_frequency smaller than the window",
            )
