"""Output of `recipe show` (the modifiers as SparseML resolves them) and `recipe
variables` (every variable and `eval(...)`, its value and what uses it)."""

from __future__ import annotations

from typing import Any

from .._text import epoch_text
from ..edit.origins import numeric_sites
from ..loader.expressions import names_in
from ..loader.recipe import Recipe


def modifiers_table(recipe: Recipe) -> str:
    """A readable table of resolved modifiers (file order) and the training length."""
    lines = [
        f"{recipe.path}: {len(recipe.modifiers)} modifiers, "
        f"max_epochs {recipe.max_epochs}"
    ]
    width = max((len(e.tag) for e in recipe.modifiers), default=8)
    for e in recipe.modifiers:
        m = e.model
        window = (
            "invalid" if m is None else f"{epoch_text(m.start)} -> {epoch_text(m.end)}"
        )
        fields = (
            ""
            if m is None
            else ", ".join(
                f"{k}={_value(v)}"
                for k, v in m.model_dump(exclude={"start_epoch", "end_epoch"}).items()
                if k in e.fields
            )
        )
        lines.append(
            f"  {e.index:>2}  {e.tag:<{width}}  line {e.line:<4} "
            f"epochs {window:<16} {fields}"
        )
    return "\n".join(lines) + "\n"


def _value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list) and len(v) > 3:
        return f"[{len(v)} items]"
    return str(v)


def variables_report(recipe: Recipe) -> str:
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
