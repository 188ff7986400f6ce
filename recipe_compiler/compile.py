"""`recipe compile` and `recipe explain`: SparseML-ready output, and where values
come from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .edits import Edit, apply, number_text
from .emit import scalar
from .expressions import names_in
from .problems import Problem, Severity
from .recipe import Recipe
from .rescale import flatten
from .sites import numeric_sites


class CompileError(ValueError):
    """The recipe cannot be compiled as asked; `problems` lists lint's findings."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = problems or []


def apply_overrides(recipe: Recipe, overrides: Mapping[str, Any]) -> str:
    """The file text with each overridden variable's value written in place."""
    edits = []
    for name, value in overrides.items():
        targets = [v for v in recipe.all_variables() if v.name == name]
        if not targets:
            raise CompileError(
                f"cannot override '{name}': the recipe has no variable of that name"
            )
        for var in targets:
            node = var.node
            if var.aliases:
                raise CompileError(
                    f"'{name}' (line {node.line}) is also used through a YAML alias, "
                    "which SparseML's override would leave at the old value: compile "
                    "with --flatten, or replace the alias with eval(" + name + ")"
                )
            if node.kind != "scalar" or node.via_alias:
                raise CompileError(f"'{name}' (line {node.line}) is not a plain value")
            old = recipe.source.text[node.span[0] : node.span[1]]
            text = (
                number_text(value, old)
                if isinstance(value, int | float) and not isinstance(value, bool)
                else scalar(value)
            )
            edits.append(Edit(node.span[0], node.span[1], text))
    return apply(recipe.source.text, edits)


def compile_recipe(recipe: Recipe, overrides: Mapping[str, Any], flat: bool) -> str:
    """SparseML-ready text: overrides applied, refused when SparseML would refuse."""
    errors = [p for p in recipe.problems if p.severity is Severity.ERROR]
    if flat:
        fixable = {"RC404"}  # SparseML's unary-minus bug disappears once evaluated
        blocking = [p for p in errors if p.code not in fixable]
        if blocking:
            raise CompileError("the recipe has errors", blocking)
        if overrides:
            recipe = recipe.edited(apply_overrides(recipe, overrides))
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
    text = apply_overrides(recipe, overrides) if overrides else recipe.source.text
    compiled = recipe.edited(text)
    errors = [p for p in compiled.problems if p.severity is Severity.ERROR]
    if errors:
        raise CompileError("the recipe has errors with these values", errors)
    return text


def explain(recipe: Recipe) -> str:
    """Every variable and every eval(...) with its value and the fields that use it."""
    users: dict[str, list[str]] = {}
    exprs = []
    for site in numeric_sites(recipe, {}):
        expr = site.expression
        if expr is None:
            continue
        exprs.append((site.node.line, site.label, expr, site.value))
        for name in names_in(expr):
            users.setdefault(name, []).append(site.label)
    for var in recipe.all_variables():
        if var.expression:
            for name in names_in(var.expression):
                users.setdefault(name, []).append(
                    f"variable {var.name} (line {var.node.line})"
                )
    lines = [
        f"{recipe.path}: {len(list(recipe.all_variables()))} variables, "
        f"{len(exprs)} expressions in modifiers",
        "",
        "variables:",
    ]
    for var in recipe.all_variables():
        where = f"[{var.stage}] " if var.stage else ""
        value = (
            var.value
            if not isinstance(var.value, list | dict)
            else f"<{type(var.value).__name__}>"
        )
        shown = f"eval({var.expression}) = {value}" if var.expression else f"{value}"
        used = users.get(var.name, [])
        lines.append(f"  line {var.node.line:<4} {where}{var.name} = {shown}")
        lines.append(
            "             used by: " + (", ".join(used) if used else "nothing")
        )
    lines += ["", "expressions in modifiers:"]
    for line, label, expr, value in sorted(exprs):
        lines.append(f"  line {line:<4} {label}: eval({expr}) = {value}")
    return "\n".join(lines) + "\n"
