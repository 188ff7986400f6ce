"""`recipe compile`: SparseML-ready output, refused when SparseML would refuse it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..loader import source
from ..loader.overrides import OverrideError
from ..loader.recipe import Recipe, from_source
from ..problems import Problem, errors
from ..schedule.clock import DEFAULT_STEPS_PER_EPOCH
from .flatten import flatten
from .set_vars import write

if TYPE_CHECKING:
    from ..linter.config import Config


class CompileError(ValueError):
    """The recipe cannot be compiled as asked; `problems` lists lint's findings."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = problems or []


def _written(recipe: Recipe, values: Mapping[str, Any]) -> str:
    try:
        return write(recipe, values)
    except OverrideError as exc:
        raise CompileError(str(exc)) from None


def compile_recipe(
    recipe: Recipe,
    overrides: Mapping[str, Any],
    flat: bool,
    *,
    steps_per_epoch: int = DEFAULT_STEPS_PER_EPOCH,
    config: Config | None = None,
) -> str:
    """SparseML-ready text: overrides applied, refused when `recipe lint` (with
    `config`, schedule rules at `steps_per_epoch`) calls the recipe or the text
    an error."""
    from ..linter.engine import lint_recipe

    # SparseML's unary-minus bug (RC404) disappears once every value is a number
    ignored = {"RC404"} if flat else set()

    def refuse(r: Recipe, message: str) -> None:
        found = [
            p
            for p in errors(lint_recipe(r, config, steps_per_epoch).problems)
            if p.code not in ignored
        ]
        if found:
            raise CompileError(message, found)

    refuse(recipe, "the recipe has errors")
    text = recipe.source.text
    if overrides:
        text = _written(recipe, overrides)
        recipe = recipe.edited(text)
        refuse(recipe, "the recipe has errors with these values")
    if not flat:
        return text
    text = f"# compiled from {recipe.path} by recipe-compiler (flattened)\n"
    text += flatten(recipe)
    refuse(
        from_source(source.from_text(text, "<flattened>", "yaml")),
        "the flattened recipe has errors",
    )
    return text
