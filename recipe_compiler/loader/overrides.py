"""What `--var NAME=VALUE` does to a recipe as SparseML loads it.

SparseML's `recipe_variables` override only variables that exist
(`update_recipe_variables`): `apply` does that to a copy of the positioned tree,
which SparseML then evaluates. Writing the same values into the file's text is an
edit (`edit/set_vars.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .._text import did_you_mean
from .yamltree import Node, mapping


class OverrideError(ValueError):
    """An override SparseML would refuse (it names no variable), or one that cannot
    be written into the text as asked; the message says which and what to do."""


def no_such_variable(
    name: str, names: Iterable[Any], what: str = "the recipe"
) -> OverrideError:
    """The one message for a `--var` that names nothing, whichever command."""
    guess = did_you_mean(name, [str(n) for n in names])
    return OverrideError(
        f"cannot override '{name}': {what} has no variable of that name (SparseML "
        "refuses to add one)" + (f"; did you mean '{guess}'?" if guess else "")
    )


def apply(root: Node, overrides: Mapping[str, Any], staged: bool) -> Node:
    """`update_recipe_variables`: `root`, or a copy with the overridden variables'
    values replaced where a variable of that name exists (at the top, or in a
    stage of a staged recipe); raises OverrideError when none does."""
    containers: dict[Any, Node] = {None: root}
    if staged:
        containers.update({k: v for k, v in root.value.items() if v.kind == "map"})
    changed: dict[Any, dict[Any, Node]] = {}
    for name, value in overrides.items():
        found = False
        for where, container in containers.items():
            node = container.value.get(name)
            if node is None or (where is None and staged and node.kind == "map"):
                continue
            if node.kind == "seq" and all(v.kind == "map" for v in node.value):
                continue
            items = changed.setdefault(where, dict(container.value))
            items[name] = Node(  # where the variable is written, holding the value
                "scalar",
                value,
                node.line,
                node.column,
                via_alias=node.via_alias,
                span=node.span,
                anchor=node.anchor,
            )
            found = True
        if not found:
            raise no_such_variable(
                name, [k for c in containers.values() for k in c.value]
            )
    if not changed:
        return root
    top = changed.pop(None, None) or dict(root.value)
    for key, items in changed.items():
        top[key] = mapping(items, dict(root.value[key].keys), root.value[key])
    return mapping(top, dict(root.keys), root)
