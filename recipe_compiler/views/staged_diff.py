"""`recipe diff` of two recipes read as llm-compressor's: which modifiers oneshot
applies in one and not the other, what changed in the ones both apply, which moved
to another stage and whether the order changed.

Modifiers are matched by class and `targets` (the same class on other targets is
another modifier), else by class alone, each in oneshot's order; fields are
compared as written (llm-compressor evaluates nothing), a missing field and its
default being the engine's same value.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..dialects.llmcompressor.reader import Read, Written
from ..dialects.llmcompressor.registry import registry


@dataclasses.dataclass(frozen=True)
class StagedDiff:
    only_a: list[Written]
    only_b: list[Written]
    changed: list[tuple[Written, Written, list[str]]]  # a, b, what changed
    moved: list[tuple[Written, Written]]  # another stage
    order_a: list[str]  # the matched modifiers' order, when it differs
    order_b: list[str]

    @property
    def equivalent(self) -> bool:
        return not (
            self.only_a or self.only_b or self.changed or self.moved or self.order_a
        )


def _fields(m: Written) -> dict[str, Any]:
    """The modifier's fields as the engine builds it: written, else the default."""
    defaults = {
        k: v["default"]
        for k, v in registry().modifiers[m.name].fields.items()
        if not v["required"] and not isinstance(v["default"], dict | type(None))
    }
    return {**defaults, **m.node.plain()}


def staged_diff(a: Read, b: Read) -> StagedDiff:
    built = {id(m): _fields(m) for m in (*a.modifiers, *b.modifiers)}

    def targets(m: Written) -> Any:
        return built[id(m)].get("targets")

    left = list(b.modifiers)
    pairs: list[tuple[Written, Written]] = []
    only_a: list[Written] = []
    for m in a.modifiers:
        same = [n for n in left if n.name == m.name and targets(n) == targets(m)]
        match = same or [n for n in left if n.name == m.name]
        if match:
            left.remove(match[0])
            pairs.append((m, match[0]))
        else:
            only_a.append(m)
    changed, moved = [], []
    for m, n in pairs:
        fa, fb = built[id(m)], built[id(n)]
        said = []
        for key in sorted(set(fa) | set(fb)):
            if key not in fb:
                said.append(f"-{key} {fa[key]!r}")
            elif key not in fa:
                said.append(f"+{key} {fb[key]!r}")
            elif fa[key] != fb[key]:
                said.append(f"{key} {fa[key]!r} -> {fb[key]!r}")
        if m.group != n.group:
            said.append(f"group {m.group!r} -> {n.group!r}")
        if said:
            changed.append((m, n, said))
        if m.stage != n.stage:
            moved.append((m, n))
    order_a = [m.name for m, _ in pairs]
    order_b = [n.name for n in b.modifiers if any(n is q for _, q in pairs)]
    if order_a == order_b:
        order_a = order_b = []
    return StagedDiff(only_a, left, changed, moved, order_a, order_b)


def as_text(d: StagedDiff, a: str, b: str) -> str:
    if d.equivalent:
        return (
            f"{a} and {b}: llm-compressor applies the same modifiers with the same "
            "fields, in the same stages and order"
        )
    lines = [f"--- {a}", f"+++ {b}"]
    for m in d.only_a:
        lines.append(f"- {m.name} (stage '{m.stage}', line {m.line}): only in {a}")
    for n in d.only_b:
        lines.append(f"+ {n.name} (stage '{n.stage}', line {n.line}): only in {b}")
    for m, n, said in d.changed:
        lines.append(f"~ {m.name} (line {m.line} -> {n.line}): " + "; ".join(said))
    for m, n in d.moved:
        lines.append(f"~ {m.name}: stage '{m.stage}' -> '{n.stage}'")
    if d.order_a:
        lines.append(
            "oneshot's order differs: "
            + ", ".join(d.order_a)
            + " -> "
            + ", ".join(d.order_b)
        )
    return "\n".join(lines)
