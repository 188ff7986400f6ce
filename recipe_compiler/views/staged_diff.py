"""`recipe diff` of two staged recipes of one dialect (llm-compressor's, or SparseML
1.8's sparseml.core): which modifiers its engine applies in one and not the other,
what changed in the ones both apply, which moved to another stage and whether the
order changed.

Modifiers are matched by class and `targets` (the same class on other targets is
another modifier), else by class alone, each in the engine's order; fields are
compared as the engine builds them (llm-compressor's as written: it evaluates
nothing; sparseml.core's as its session evaluates them, so `eval(s * 2)` and the
number it gives are the same), a missing field and its default being the
engine's same value.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..dialects.llmcompressor.registry import registry as llmc
from ..dialects.sparsemlcore.registry import registry as core

Written = Any  # a modifier as either staged reader writes it (name, stage, ...)
# what each engine does with a recipe's modifiers, as the report words it
ENGINE = {
    "llm-compressor": ("llm-compressor applies", "oneshot's order"),
    "sparseml-core": ("SparseML 1.8's session builds", "the session's order"),
}


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


def _fields(m: Written, dialect: str) -> dict[str, Any]:
    """The modifier's fields as the engine builds it: given (as sparseml.core
    evaluates them), else the default (a `{"repr": ...}` marks one JSON cannot
    hold: left out)."""
    registry = llmc if dialect == "llm-compressor" else core
    cls = registry().modifiers.get(m.name) if isinstance(m.name, str) else None
    defaults = {
        k: v["default"]
        for k, v in (cls.fields.items() if cls is not None else ())
        if not v["required"]
        and not k.endswith("_")
        and not (isinstance(v["default"], dict) and set(v["default"]) == {"repr"})
    }
    given = getattr(m, "args", None)
    if given is None:
        given = m.node.plain() if m.node.kind == "map" else {}
    return {**defaults, **given}


def staged_diff(a: Any, b: Any, dialect: str = "llm-compressor") -> StagedDiff:
    """`a` and `b`: two reads of `dialect`'s reader."""
    built = {id(m): _fields(m, dialect) for m in (*a.modifiers, *b.modifiers)}

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


def as_text(d: StagedDiff, a: str, b: str, dialect: str = "llm-compressor") -> str:
    does, order = ENGINE[dialect]
    if d.equivalent:
        return (
            f"{a} and {b}: {does} the same modifiers with the same "
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
            f"{order} differs: " + ", ".join(d.order_a) + " -> " + ", ".join(d.order_b)
        )
    return "\n".join(lines)
