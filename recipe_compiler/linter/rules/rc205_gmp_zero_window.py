"""Gradual pruning with start_epoch equal to end_epoch crashes at run time.

SparseML loads it, then divides by `end - start` at the first update and stops
training with a ZeroDivisionError.

Passes: `start_epoch: 0` and `end_epoch: 30`.
Fails: `start_epoch: 30` and `end_epoch: 30`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...loader.validate import never_starts
from ...modifiers import is_gradual
from ...problems import Severity
from ..context import Context
from ._base import Finding

CODE = "RC205"
NAME = "pruning-zero-window"
SEVERITY = Severity.ERROR
SPARSEML = ("step: ZeroDivisionError",)  # where SparseML fails (tests/linter/rules)


def check(ctx: Context) -> Iterator[Finding]:
    recipe = ctx.recipe
    for entry, m in recipe.models:
        if (
            is_gradual(m)
            and m.start == m.end
            and not never_starts(m.start, recipe.max_epochs)
        ):
            line, col = entry.field_position("end_epoch")
            yield Finding(
                line,
                col,
                f"!{entry.tag} starts and ends at epoch {m.start:g}: SparseML loads it "
                "but fails with ZeroDivisionError at the first pruning step",
                "give pruning a window (end_epoch > start_epoch), or use "
                "!ConstantPruningModifier to hold existing sparsity",
            )
