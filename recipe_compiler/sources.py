"""Where a modifier field's number is written, and edits that change it in place.

A field's value comes from a literal in the modifier, from a YAML anchor its alias
names, or from `eval(...)` over variables, possibly through other variables. The
*roots* are the literal numbers those chains end in. Rescaling or overriding edits
the roots' text and nothing else, so comments, layout and the expressions survive
byte for byte.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from typing import Any

from .emit import scalar
from .expressions import names_in
from .recipe import Entry, Recipe, Variable
from .yamltree import Node


class SourceError(ValueError):
    """A value that cannot be changed by editing literals (say why, name the line)."""


@dataclasses.dataclass
class Site:
    """One numeric value a modifier uses: the field (with a path into lists)."""

    entry: Entry
    path: tuple[Any, ...]  # ("start_epoch",) or ("lr_kwargs", "milestones", 1)
    node: Node
    kind: str  # "epoch" | "frequency" | "lr" | "other"

    @property
    def label(self) -> str:
        dotted = ".".join(str(p) for p in self.path)
        return f"!{self.entry.tag} {dotted} (line {self.node.line})"


@dataclasses.dataclass
class Edit:
    start: int
    end: int
    text: str


def apply(text: str, edits: Iterable[Edit]) -> str:
    """Replace spans of `text`; spans must not overlap."""
    out, pos = [], 0
    for e in sorted(edits, key=lambda e: e.start):
        if e.start < pos:
            raise SourceError("overlapping edits")
        out += [text[pos : e.start], e.text]
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


def number_text(value: float, like: str) -> str:
    """`value` written like the literal it replaces: ints stay ints when whole."""
    if isinstance(value, float) and value.is_integer() and _looks_int(like):
        return str(int(value))
    if isinstance(value, int):
        return str(value) if _looks_int(like) else f"{value}.0"
    return scalar(float(value))


def _looks_int(text: str) -> bool:
    t = text.strip().strip("'\"")
    return t.lstrip("+-").isdigit()


class Resolver:
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
        out = dict(self.recipe.variables)
        if entry.stage is not None:
            out.update(self.recipe.stage_variables.get(entry.stage, {}))
        return out

    def roots(
        self, node: Node, entry: Entry, _seen: frozenset[str] = frozenset()
    ) -> list[Node]:
        """The literal nodes a value is computed from."""
        if node.expression is not None:
            scope = self.scope(entry)
            out: list[Node] = []
            for name in names_in(node.expression):
                var = scope.get(name)
                if var is None or name in _seen:
                    raise SourceError(f"eval({node.expression}) on line {node.line}")
                out += self.variable_roots(var, entry, _seen | {name})
            return out
        if node.via_alias:
            return [self.defined.get(node.anchor, node)]
        return [node]

    def variable_roots(
        self, var: Variable, entry: Entry, seen: frozenset[str]
    ) -> list[Node]:
        node = var.node
        if var.expression is not None:
            expr_node = Node(
                "scalar", var.value, node.line, node.column, expression=var.expression
            )
            return self.roots(expr_node, entry, seen)
        if not var.numeric:
            raise SourceError(
                f"the variable '{var.name}' (line {node.line}) is not a number"
            )
        return [self.defined.get(node.anchor, node) if node.via_alias else node]

    def is_direct(self, node: Node, entry: Entry) -> bool:
        """True when the value is one root passed through unchanged (no arithmetic)."""
        if node.expression is None:
            return True
        scope = self.scope(entry)
        name = node.expression.strip()
        var = scope.get(name)
        if var is None or not name.isidentifier():
            return False
        if var.expression is None:
            return True
        inner = Node(
            "scalar", var.value, node.line, node.column, expression=var.expression
        )
        return self.is_direct(inner, entry)


def numeric_sites(recipe: Recipe, kinds: dict[str, str]) -> Iterator[Site]:
    """Every numeric value of every valid modifier, with its kind.

    `kinds` maps a field name (or "lr_kwargs.step_size" style paths) to a kind; the
    rest are "other".
    """
    for entry in recipe.modifiers:
        if entry.model is None or entry.node.kind != "map":
            continue
        for field, node in entry.node.value.items():
            yield from _walk(entry, (field,), node, kinds)


def _walk(
    entry: Entry, path: tuple[Any, ...], node: Node, kinds: dict[str, str]
) -> Iterator[Site]:
    key = ".".join(str(p) for p in path if not isinstance(p, int))
    if node.kind == "scalar":
        if isinstance(node.value, int | float) and not isinstance(node.value, bool):
            yield Site(entry, path, node, kinds.get(key, "other"))
        return
    if node.kind == "map":
        for k, v in node.value.items():
            yield from _walk(entry, (*path, k), v, kinds)
    elif node.kind == "seq":
        for i, v in enumerate(node.value):
            yield from _walk(entry, (*path, i), v, kinds)
