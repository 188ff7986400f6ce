"""Which engine a recipe is written for: SparseML's legacy loader, SparseML 1.8's
`sparseml.core`, or llm-compressor.

`auto` decides from the file alone, and says why. A recipe that writes its
modifiers as `!Tags` or as a `modifiers:` list is SparseML's legacy format. One
written in stages (`<name>_stage:` → `<name>_modifiers:` → `ModifierName: {...}`)
is read as llm-compressor's, the maintained engine, unless it uses what only
SparseML 1.8's `sparseml.core` reads: `eval(...)` (llm-compressor evaluates
nothing) or a modifier only SparseML has (both engines' registries say which).
Anything else (no modifiers anywhere) is left to the legacy reader,
whose problems say what is missing.
"""

from __future__ import annotations

import dataclasses
import enum

from ..loader.yamltree import Node


class Dialect(enum.StrEnum):
    SPARSEML = "sparseml"
    SPARSEML_CORE = "sparseml-core"
    LLM_COMPRESSOR = "llm-compressor"


CHOICES = ("auto", *(d.value for d in Dialect))


@dataclasses.dataclass(frozen=True)
class Choice:
    dialect: Dialect
    why: str  # one clause: "it writes modifiers as !Tags (line 3)"


def detect(root: Node | None) -> Choice:
    """The dialect `auto` reads a parsed recipe as (None: a text that did not
    parse, read by the legacy reader, which reports why)."""
    if root is None or root.kind != "map":
        return Choice(Dialect.SPARSEML, "it holds no stages")
    tagged = next((n for n in root.walk() if n.tag is not None), None)
    if tagged is not None:
        return Choice(
            Dialect.SPARSEML,
            f"it writes modifiers as !Tags (line {tagged.tag_line or tagged.line})",
        )
    for key, value in root.value.items():
        if isinstance(key, str) and "modifiers" in key and value.kind == "seq":
            line, _ = root.key_position(key)
            return Choice(
                Dialect.SPARSEML, f"it lists modifiers under '{key}' (line {line})"
            )
    stage = _staged(root)
    if stage is None:
        return Choice(Dialect.SPARSEML, "it holds no stages")
    evaluated = next(
        (
            n
            for n in root.walk()
            if n.kind == "scalar" and isinstance(n.value, str) and "eval(" in n.value
        ),
        None,
    )
    if evaluated is not None:
        return Choice(
            Dialect.SPARSEML_CORE,
            f"a staged recipe that uses eval(...) (line {evaluated.line}), which "
            "only SparseML 1.8's sparseml.core evaluates",
        )
    only = _sparseml_only(root)
    if only is not None:
        name, line = only
        return Choice(
            Dialect.SPARSEML_CORE,
            f"a staged recipe with {name} (line {line}), a modifier only SparseML "
            "1.8's sparseml.core has",
        )
    return Choice(
        Dialect.LLM_COMPRESSOR,
        f"a staged recipe ('{stage}') without eval(...): read as llm-compressor's, "
        "the maintained engine",
    )


# modifiers sparseml.core has that llm-compressor had too before 0.14 (its own
# recipes of that time name them: tests/data/corpus/llmcompressor; a test holds
# this to the corpus): no sign of a SparseML recipe
LLMC_DROPPED = frozenset({"OutputDistillationModifier"})


def _sparseml_only(root: Node) -> tuple[str, int] | None:
    """The first modifier in a stage's group that sparseml.core has and
    llm-compressor never had, with its line."""
    from .llmcompressor.registry import registry as llmc
    from .sparsemlcore.registry import registry as core

    only = set(core().modifiers) - set(llmc().modifiers) - LLMC_DROPPED
    for stage in root.value.values():
        if stage.kind != "map":
            continue
        for key, group in stage.value.items():
            if not (isinstance(key, str) and key.endswith("_modifiers")):
                continue
            if group.kind != "map":
                continue
            for name in group.value:
                if name in only:
                    return name, group.key_position(name)[0]
    return None


def _staged(root: Node) -> str | None:
    """The first key that makes the file a staged recipe: a `<name>_stage` or
    `stages` mapping, or an untagged `<name>_modifiers` mapping at the top or one
    level below."""
    for key, value in root.value.items():
        if not isinstance(key, str) or value.kind != "map":
            continue
        if key.endswith("_stage") or key == "stages" or key.endswith("_modifiers"):
            return key
        for inner, body in value.value.items():
            staged = isinstance(inner, str) and inner.endswith("_modifiers")
            if staged and body.kind == "map":
                return key
    return None


def resolve(setting: str | None, root: Node | None) -> Choice:
    """`--dialect` / the config's `dialect:` (a name, or auto / None)."""
    if setting in (None, "auto"):
        return detect(root)
    return Choice(Dialect(setting), "as asked")
