"""Where a modifier field's number is written.

A field's value comes from a literal in the modifier, from a YAML anchor its alias
names, or from `eval(...)` over variables, possibly through other variables. The
*roots* are the literal numbers those chains end in. Rescaling or overriding edits
the roots' text and nothing else (`spans.py`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from ..loader.expressions import names_in
from ..loader.recipe import Entry, Recipe, Variable
from ..loader.yamltree import Node


class NotEditable(ValueError):
    """A value that cannot be changed by editing literals (say why, name the line)."""


@dataclasses.dataclass(frozen=True)
class Site:
    """One numeric value a modifier uses: the field (with a path into lists)."""

    entry: Entry
    path: tuple[Any, ...]  # ("start_epoch",) or ("lr_kwargs", "milestones", 1)
    node: Node  # where it is written
    kind: str  # "epoch" | "frequency" | "lr" | "other"
    value: float  # as SparseML reads it (eval(...) evaluated)
    expression: str | None  # the text inside eval(...), when written so

    @property
    def label(self) -> str:
        dotted = ".".join(str(p) for p in self.path)
        return f"!{self.entry.tag} {dotted} (line {self.node.line})"


class Origins:
    """Finds the literal roots behind modifier values in one loaded recipe."""

    def __init__(self, recipe: Recipe):
        self.recipe = recipe
        # the defining node of every anchor (the first, non-alias copy)
        self.defined: dict[int, Node] = {}
        if recipe.root is not None:
            for n in recipe.root.walk():
                if not n.via_alias:
                    self.defined.setdefault(n.anchor, n)

    def scope(self, entry: Entry) -> dict[str, Variable]:
        return self.recipe.values.scope(entry.stage)

    def literal(self, node: Node) -> Node:
        """The node an alias copy stands for (the node itself otherwise)."""
        return self.defined.get(node.anchor, node) if node.via_alias else node

    def roots(self, site: Site) -> list[Node]:
        """The literal nodes a site's value is computed from."""
        if site.expression is None:
            return [self.literal(site.node)]
        return self.expression_roots(site.expression, site.entry, frozenset())

    def expression_roots(
        self, expression: str, entry: Entry, seen: frozenset[str]
    ) -> list[Node]:
        scope = self.scope(entry)
        out: list[Node] = []
        for name in names_in(expression):
            var = scope.get(name)
            if var is None or name in seen:
                raise NotEditable(f"eval({expression})")
            out += self.variable_roots(var, entry, seen | {name})
        return out

    def variable_roots(
        self, var: Variable, entry: Entry, seen: frozenset[str]
    ) -> list[Node]:
        if var.expression is not None:
            return self.expression_roots(var.expression, entry, seen)
        if not var.numeric:
            raise NotEditable(
                f"the variable '{var.name}' (line {var.node.line}) is not a number"
            )
        return [self.literal(var.node)]

    def is_direct(self, expression: str | None, entry: Entry) -> bool:
        """True when the value is one root passed through unchanged (no arithmetic)."""
        if expression is None:
            return True
        name = expression.strip()
        var = self.scope(entry).get(name)
        if var is None or not name.isidentifier():
            return False
        return self.is_direct(var.expression, entry)


def numeric_sites(recipe: Recipe, kinds: dict[str, str]) -> Iterator[Site]:
    """Every numeric value of every valid modifier, with its kind.

    `kinds` maps a field name (or "lr_kwargs.step_size" style paths) to a kind; the
    rest are "other".
    """
    for entry in recipe.modifiers:
        if entry.model is None or entry.node.kind != "map":
            continue
        for field, node in entry.node.value.items():
            yield from _walk(recipe, entry, (field,), node, kinds)


def _walk(
    recipe: Recipe,
    entry: Entry,
    path: tuple[Any, ...],
    node: Node,
    kinds: dict[str, str],
) -> Iterator[Site]:
    key = ".".join(str(p) for p in path if not isinstance(p, int))
    if node.kind == "scalar":
        value = recipe.values.value(node)
        if isinstance(value, int | float) and not isinstance(value, bool):
            expression = recipe.values.expression(node)
            yield Site(entry, path, node, kinds.get(key, "other"), value, expression)
        return
    if node.kind == "map":
        for k, v in node.value.items():
            yield from _walk(recipe, entry, (*path, k), v, kinds)
    elif node.kind == "seq":
        for i, v in enumerate(node.value):
            yield from _walk(recipe, entry, (*path, i), v, kinds)
