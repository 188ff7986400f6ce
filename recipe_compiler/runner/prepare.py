"""A recipe as a run applies it: `--var` values written in, rescaled to the run's
length on its step grid, and linted at its steps per epoch, before any training.

`recipe run` calls it; the pieces are `recipe compile` (overrides written into the
text) and `recipe rescale --steps-per-epoch` (the 90-epoch rule on the grid), so a
run executes exactly what those commands would write.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from ..loader import source
from ..loader.recipe import Recipe, from_source
from ..problems import Problem, errors
from ..schedule.clock import DEFAULT_STEPS_PER_EPOCH


class PrepareError(ValueError):
    """The recipe cannot run as asked; the message names the first problem."""


@dataclasses.dataclass(frozen=True)
class Prepared:
    recipe: Recipe  # the text below, loaded (problems name `path`)
    text: str  # what SparseML runs
    changed: bool  # overrides or a rescale made it differ from the file
    problems: list[Problem]  # every lint problem at the run's steps per epoch


def prepare(
    recipe: Recipe,
    overrides: Mapping[str, Any] | None = None,
    rescale_to: float | None = None,
    steps_per_epoch: int = DEFAULT_STEPS_PER_EPOCH,
    *,
    path: str | None = None,
) -> Prepared:
    """`recipe` with `overrides` written into its variables, then rescaled to
    `rescale_to` dense epochs with events on the grid of `steps_per_epoch`; the
    result is read as the file `path` (default: the recipe's own) would be.

    Raises PrepareError when the recipe has errors to begin with, or the values or
    the rescale cannot be applied; lint problems of the result are returned.
    """
    from ..edit.compile import CompileError, compile_recipe
    from ..edit.rescale import RescaleError, rescale
    from ..linter.engine import lint_recipe

    spe = steps_per_epoch
    changed = bool(overrides) or rescale_to is not None
    if not changed:
        problems = lint_recipe(recipe, None, spe).problems
        return Prepared(recipe, recipe.source.text, False, problems)
    if not recipe.ok:
        raise PrepareError(refusal(lint_recipe(recipe, None, spe).problems, spe))
    if overrides:
        try:
            text = compile_recipe(recipe, overrides, False)
        except CompileError as exc:
            first = exc.problems[0] if exc.problems else None
            where = (
                f" ({first.line}:{first.column} {first.code} {first.message})"
                if first
                else ""
            )
            raise PrepareError(f"{recipe.path}: --var: {exc}{where}") from None
        recipe = recipe.edited(text)
    text = recipe.source.text
    if rescale_to is not None:
        try:
            text = rescale(recipe, rescale_to, round_to=1.0 / spe).text
        except RescaleError as exc:
            advice = {
                "finer": f": more steps an epoch than {spe}, or a longer rescale, "
                "keeps the events apart",
                "variable": "; put the number in a variable",
                "flatten": ": rescale it with `recipe rescale --flatten` and run "
                "that file",
            }.get(exc.fix or "", "")
            raise PrepareError(
                f"{recipe.path}: cannot rescale to {rescale_to:g} epochs: {exc}{advice}"
            ) from None
    kind = recipe.source.kind
    result = from_source(source.from_text(text, path or recipe.path, kind))
    return Prepared(result, text, True, lint_recipe(result, None, spe).problems)


def refusal(problems: Sequence[Problem], steps_per_epoch: int) -> str:
    """Why a run does not start: the first error, where and what to do."""
    found = errors(problems)
    first = found[0]
    more = f"; {len(found) - 1} more: run recipe lint" if len(found) > 1 else ""
    hint = f"; {first.hint}" if first.hint else ""
    return f"{first}{hint} (linted at {steps_per_epoch} steps an epoch{more})"
