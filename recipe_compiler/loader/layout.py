"""Where SparseML takes modifiers from: `optim/modifier.py: load_framework_list`.

The layout reads only the shape of the positioned tree, never a value: whether the
recipe is empty, a bare list, one modifier, one stage or several (a top-level map
holding a key with 'modifiers' in its name is a stage), which tagged nodes are the
modifiers, and what SparseML says when it finds none.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal

from .._text import did_you_mean
from ..problems import Problem, Severity
from . import codes
from .yamltree import Node

Shape = Literal["empty", "bare-list", "single", "mapping", "staged"]
GROUP_NAMES = (
    "modifiers",
    "training_modifiers",
    "pruning_modifiers",
    "quantization_modifiers",
)


def holds_modifiers(key: Any) -> bool:
    """SparseML's test for a modifiers key: 'modifiers' anywhere in the name."""
    return isinstance(key, str) and "modifiers" in key


def _is_stage(node: Node) -> bool:
    return (
        node.kind == "map"
        and node.tag is None
        and any(holds_modifiers(k) for k in node.value)
    )


@dataclasses.dataclass(frozen=True)
class Layout:
    """The recipe's shape. `staged`: variables are evaluated per stage; `flat`: a
    top-level modifiers key makes the whole file one stage (even when staged)."""

    shape: Shape
    staged: bool = False
    flat: bool = False
    stages: Mapping[str, Node] = dataclasses.field(default_factory=dict)
    problems: tuple[Problem, ...] = ()


def read(root: Node | None, path: str) -> Layout:
    """The layout of `root`; an empty recipe or a bare list is a problem already."""
    if root is None or (root.kind == "scalar" and root.tag is None):
        return Layout(
            "empty",
            problems=(
                codes.make(
                    "RC106",
                    path,
                    *((1, 1) if root is None else (root.line, root.column)),
                    "the recipe is empty"
                    if root is None or root.value is None
                    else "the recipe is a single value, not a mapping of modifiers",
                    "list modifiers under a key named 'modifiers'",
                ),
            ),
        )
    if root.kind == "seq":
        return Layout(
            "bare-list",
            problems=(
                codes.make(
                    "RC109",
                    path,
                    root.line,
                    root.column,
                    "the recipe is a bare list; SparseML crashes on it "
                    "(AttributeError: 'list' object has no attribute 'items')",
                    "put the list under a key: 'modifiers:' on the first line and "
                    "the list indented below it",
                ),
            ),
        )
    if root.tag is not None:
        return Layout("single")  # a modifier at the top: SparseML takes it
    stages = {k: v for k, v in root.value.items() if _is_stage(v)}
    flat = any(holds_modifiers(k) for k in root.value)
    return Layout("staged" if stages else "mapping", bool(stages), flat, stages)


@dataclasses.dataclass(frozen=True)
class Placement:
    """A tagged node SparseML builds as one of the recipe's modifiers."""

    index: int
    node: Node
    group: str  # the key it is listed under
    stage: str | None


@dataclasses.dataclass(frozen=True)
class Modifiers:
    placements: tuple[Placement, ...]
    problems: tuple[Problem, ...]
    per_stage: Mapping[str, int]  # modifiers found in each stage (staged only)


def collect(root: Node, layout: Layout, path: str) -> Modifiers:
    """`_load_stage_modifiers` for the top level or for each stage."""
    if layout.shape == "single":
        return Modifiers((Placement(0, root, "", None),), (), {})
    found: list[Placement] = []
    problems: list[Problem] = []
    per_stage: dict[str, int] = {}
    if layout.flat:
        _collect(root, None, path, found, problems)
    elif layout.staged:
        for name, stage in layout.stages.items():
            before = len(found)
            _collect(stage, name, path, found, problems)
            per_stage[name] = len(found) - before
    return Modifiers(tuple(found), tuple(problems), per_stage)


def _collect(
    container: Node,
    stage: str | None,
    path: str,
    found: list[Placement],
    problems: list[Problem],
) -> None:
    for key, item in container.value.items():
        if holds_modifiers(key) and item.kind == "seq":
            for child in item.value:
                if child.tag is None:
                    problems.append(
                        codes.make(
                            "RC108",
                            path,
                            child.line,
                            child.column,
                            f"this entry of '{key}' is not a tagged modifier; "
                            "SparseML crashes when it sorts the modifiers",
                            "start the entry with a tag such as !GMPruningModifier",
                        )
                    )
                    continue
                found.append(Placement(len(found), child, key, stage))
        elif item.tag is not None:
            found.append(Placement(len(found), item, str(key), stage))
        elif item.kind == "seq" and any(c.tag for c in item.value):
            guess = did_you_mean(str(key), GROUP_NAMES)
            problems.append(
                codes.make(
                    "RC107",
                    path,
                    *container.key_position(key),
                    f"modifiers listed under '{key}': SparseML takes modifier lists "
                    "only from keys with 'modifiers' in their name and fails with "
                    '"Invalid modifier location"',
                    f"rename the key to '{guess}'"
                    if guess
                    else f"rename the key to '{key}_modifiers'",
                )
            )


def missing(root: Node, layout: Layout, found: Modifiers, path: str) -> list[Problem]:
    """What SparseML does when a recipe, or one of its stages, has no modifiers."""
    if layout.shape == "single":
        return []
    if layout.staged and not layout.flat:
        return _empty_stages(root, found.per_stage, path)
    return [] if found.placements else [_no_modifiers(root, path)]


def _no_modifiers(root: Node, path: str) -> Problem:
    """RC106: SparseML's "Unable to find any modifiers", with the likely cause."""
    keys = [k for k in root.value if isinstance(k, str)]
    holder = next((k for k in keys if "modifiers" in k), None)
    guess = holder or next(
        (
            k
            for k in keys
            if did_you_mean(k, ["modifiers"], cutoff=0.75) or "modifier" in k.lower()
        ),
        None,
    )
    where = root.key_position(guess) if guess else (root.line, root.column)
    message = (
        'SparseML finds no modifiers: it fails with "Unable to find any '
        'modifiers in given recipe"'
    )
    if holder:
        message += f"; '{holder}' holds no list of tagged modifiers"
        hint = f"list the modifiers under '{holder}', each as '- !ModifierName'"
    elif guess:
        message += f"; the key '{guess}' is read as a plain variable"
        hint = "name the key 'modifiers' (or any name containing 'modifiers')"
    else:
        hint = (
            "list the modifiers under a key whose name contains 'modifiers', "
            "e.g. 'modifiers:' or 'training_modifiers:'"
        )
    return codes.make("RC106", path, *where, message, hint)


def _empty_stages(root: Node, per_stage: Mapping[str, int], path: str) -> list[Problem]:
    """Stages without modifiers: one loads and does nothing, several crash."""
    empty = [s for s, n in per_stage.items() if n == 0]
    if not empty:
        return []
    stage = root.value[empty[0]]
    untagged = any(
        sub.kind == "map" for k, sub in stage.value.items() if holds_modifiers(k)
    )
    crash = len(per_stage) > 1
    consequence = (
        'SparseML fails with "ValueError: max() arg is an empty sequence" when '
        "it orders the stages"
        if crash
        else "SparseML loads it with no modifiers, so training runs unmodified"
    )
    if untagged:
        code = "RC110"
        message = (
            f"stage '{empty[0]}' lists untagged modifiers: a staged recipe of "
            "sparseml.core or llm-compressor, which SparseML's legacy "
            f"ScheduledModifierManager ignores: {consequence}"
        )
        hint = (
            "run it with the engine it is written for (sparseml.core's oneshot or "
            "train, llm-compressor's oneshot); `recipe lint --dialect "
            "llm-compressor` checks it as llm-compressor reads it (SparseML 1.8's "
            "sparseml.core reading is not checked yet)"
        )
    else:
        code = "RC106"
        message = f"stage '{empty[0]}' has no modifiers: {consequence}"
        hint = "list the stage's modifiers as '- !ModifierName' items"
    problem = codes.make(code, path, *root.key_position(empty[0]), message, hint)
    return [problem.replace(severity=Severity.ERROR if crash else Severity.WARNING)]
