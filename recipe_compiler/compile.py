"""`recipe compile`: SparseML-ready output, refused when SparseML would refuse it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._callable import make_callable
from .overrides import OverrideError, write
from .problems import Problem, Severity
from .recipe import Recipe
from .rescale import flatten


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


def compile_recipe(recipe: Recipe, overrides: Mapping[str, Any], flat: bool) -> str:
    """SparseML-ready text: overrides applied, refused when SparseML would refuse."""
    errors = [p for p in recipe.problems if p.severity is Severity.ERROR]
    if flat:
        fixable = {"RC404"}  # SparseML's unary-minus bug disappears once evaluated
        blocking = [p for p in errors if p.code not in fixable]
        if blocking:
            raise CompileError("the recipe has errors", blocking)
        if overrides:
            recipe = recipe.edited(_written(recipe, overrides))
            blocking = [
                p
                for p in recipe.problems
                if p.severity is Severity.ERROR and p.code not in fixable
            ]
            if blocking:
                raise CompileError("the recipe has errors with these values", blocking)
        header = f"# compiled from {recipe.path} by recipe-compiler (flattened)\n"
        return header + flatten(recipe)
    if errors:
        raise CompileError("the recipe has errors", errors)
    text = _written(recipe, overrides) if overrides else recipe.source.text
    compiled = recipe.edited(text)
    errors = [p for p in compiled.problems if p.severity is Severity.ERROR]
    if errors:
        raise CompileError("the recipe has errors with these values", errors)
    return text


# recipe_compiler.compile(...) calls compile_recipe(...)
make_callable(__name__, compile_recipe)
