"""A `params` name written with typographic quotes (‘ ’ “ ”), kept as part of it.

Pasted from a document or a chat, `params: [‘re:model.0.conv.weight’]` holds a name
that starts with ‘ and ends with ’: YAML quotes only with ' and ", so SparseML looks
for a parameter whose name has the curly quotes in it (and no longer reads `re:` as
a regex), finds none in any model and fails at initialize ("All supplied parameter
names or regex patterns not found"; with `--model`, RC501 says so too).

Passes: `params: ['re:model.0.conv.weight']`.
Fails: `params: [‘re:model.0.conv.weight’]`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...loader.yamltree import Node
from ...problems import Severity
from ..context import Context
from ._base import Finding

CODE = "RC304"
NAME = "typographic-quotes"
SEVERITY = Severity.ERROR
SPARSEML = ("initialize: RuntimeError",)
QUOTES = "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u00ab\u00bb"


def check(ctx: Context) -> Iterator[Finding]:
    for e in ctx.recipe.modifiers:
        top = e.node.get("params") if e.node.kind == "map" else None
        if top is None:
            continue
        for node in _strings(top):
            text = node.value
            if not any(q in text for q in QUOTES):
                continue
            yield Finding(
                node.line,
                node.column,
                f"!{e.tag} params entry {text!r} holds typographic quotes, which "
                "YAML keeps as part of the name (it quotes only with ' and \"): "
                "no parameter has such a name, and SparseML fails at initialize "
                '("All supplied parameter names or regex patterns not found")',
                f"write '{text.strip(QUOTES)}' with plain quotes, or none",
            )


def _strings(node: Node) -> Iterator[Node]:
    for n in node.walk():
        if n.kind == "scalar" and isinstance(n.value, str) and not n.via_alias:
            yield n
