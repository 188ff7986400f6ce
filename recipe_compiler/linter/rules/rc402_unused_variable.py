"""A numeric variable that no eval(...) uses.

Usually a leftover, or a misspelling: the field that should use it holds a literal
or another variable, and overriding it (`--var`) changes nothing.

Passes: `num_epochs: 50` used by `end_epoch: eval(num_epochs)`.
Fails: `num_epochs: 50` used nowhere.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...loader.recipe import METADATA_KEY
from ...problems import Severity
from ..context import Context
from ._base import Finding

CODE = "RC402"
NAME = "unused-variable"
SEVERITY = Severity.WARNING


def check(ctx: Context) -> Iterator[Finding]:
    recipe = ctx.recipe
    for var in recipe.all_variables():
        if var.name in ("version", METADATA_KEY) or var.used_by:
            continue
        if not (var.numeric or var.expression is not None):
            continue
        if var.aliases:
            continue  # used through a YAML alias instead of eval(...)
        yield Finding(
            *var.key_position,
            f"the variable '{var.name}' is not used by any eval(...)",
            "remove it, or use it: eval(" + var.name + ")",
        )
