"""`--var NAME=VALUE` written into a recipe's text, comments and layout kept.

What `recipe compile` and `recipe run --var` save: the values `loader/overrides.py`
applies when loading, written where each variable is. `applicable` picks, of
several overrides, the ones a recipe has (`recipe preview` compares recipes that do
not all share their variables).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..loader.overrides import OverrideError
from ..loader.recipe import Recipe
from .spans import Edit, apply, number_text
from .yaml_out import scalar


def write(recipe: Recipe, overrides: Mapping[str, Any]) -> str:
    """The file text with each overridden variable's value written in place."""
    edits = []
    for name, value in overrides.items():
        targets = [v for v in recipe.all_variables() if v.name == name]
        if not targets:
            raise OverrideError(
                f"cannot override '{name}': the recipe has no variable of that name"
            )
        for var in targets:
            node = var.node
            if var.aliases:
                raise OverrideError(
                    f"'{name}' (line {node.line}) is also used through a YAML alias, "
                    "which SparseML's override would leave at the old value: compile "
                    "with --flatten, or replace the alias with eval(" + name + ")"
                )
            if node.kind != "scalar" or node.via_alias:
                raise OverrideError(f"'{name}' (line {node.line}) is not a plain value")
            old = recipe.source.text[node.span[0] : node.span[1]]
            text = (
                number_text(value, old)
                if isinstance(value, int | float) and not isinstance(value, bool)
                else scalar(value)
            )
            edits.append(Edit(node.span[0], node.span[1], text))
    return apply(recipe.source.text, edits)


def applicable(recipe: Recipe, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The overrides that name a variable of `recipe`."""
    names = {var.name for var in recipe.all_variables()}
    return {k: v for k, v in overrides.items() if k in names}
