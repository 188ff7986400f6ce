"""`load`: a recipe file or text to a typed `Recipe`, the way SparseML 1.8 reads it.

Three stages over the positioned tree, which none of them changes: `layout` (where
SparseML takes modifiers from), `variables` (overrides, variables and `eval(...)`)
and `validate` (the pydantic models). Each refusal SparseML would make becomes a
Problem at the line the user wrote.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Iterator, Mapping
from typing import Any

from ..modifiers import Modifier
from ..problems import Problem, Severity
from . import layout, source, variables, yamltree
from . import overrides as var_overrides
from .list_markers import missing_markers
from .overrides import OverrideError
from .source import Limits, Source
from .validate import Entry, validate
from .variables import NO_VALUES, Values, Variable
from .yamltree import Node

__all__ = [
    "METADATA_KEY",
    "Entry",
    "OverrideError",
    "Recipe",
    "Variable",
    "from_source",
    "load",
]

METADATA_KEY = "__metadata__"


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A loaded recipe: the file, its tree as written, and what SparseML makes of it.

    `values` holds what every `eval(...)` under a modifiers key evaluated to (keyed
    by node); `root` is the file's tree, unchanged by overrides or evaluation.
    """

    source: Source
    root: Node | None
    modifiers: list[Entry]
    staged: bool
    problems: list[Problem]
    values: Values = NO_VALUES
    # the YAML tree as parsed, for `from_source(previous=...)` (the editor's next
    # keystroke); None when the text did not parse
    parsed: yamltree.Parsed | None = dataclasses.field(
        default=None, repr=False, compare=False
    )

    @property
    def variables(self) -> Mapping[str, Variable]:
        return self.values.variables

    @property
    def stage_variables(self) -> Mapping[str, Mapping[str, Variable]]:
        return self.values.stage_variables

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def ok(self) -> bool:
        return not any(p.severity is Severity.ERROR for p in self.problems)

    @property
    def models(self) -> list[tuple[Entry, Modifier]]:
        return [(e, e.model) for e in self.modifiers if e.model is not None]

    @property
    def max_epochs(self) -> float:
        """`BaseManager.max_epochs`: ceil of the largest start or end above -1."""
        vals = [
            math.ceil(x)
            for _, m in self.models
            for x in (m.start, m.end)
            if x > -1 and math.isfinite(x)
        ]
        return max(vals) if vals else -1

    def edited(self, text: str) -> Recipe:
        """This recipe's file holding `text` instead (an edit before it is written),
        read as the file would be: same path and kind, so problems name it."""
        return from_source(source.from_text(text, self.path, self.source.kind))

    def all_variables(self) -> Iterator[Variable]:
        yield from self.variables.values()
        for stage in self.stage_variables.values():
            yield from stage.values()


def load(
    path_or_text: str | os.PathLike[str],
    overrides: Mapping[str, Any] | None = None,
    limits: Limits | None = None,
    *,
    text: bool | None = None,
) -> Recipe:
    """Load a recipe from a path, or from text when it holds a newline (as SparseML).

    Raises OverrideError when an override names no variable; every other finding is
    a Problem on the returned Recipe.
    """
    limits = limits or Limits()
    raw = str(path_or_text)
    if text is None:
        text = "\n" in raw or "\r" in raw
    src = source.from_text(raw) if text else source.read(path_or_text, limits)
    return from_source(src, overrides, limits)


def from_source(
    src: Source,
    overrides: Mapping[str, Any] | None = None,
    limits: Limits | None = None,
    *,
    previous: Recipe | None = None,
    remember: bool = False,
) -> Recipe:
    """Parse, lay out, evaluate and validate; every finding is a Problem on it.

    `previous`: the same file's recipe before an edit, read with the same limits;
    an edit inside one value then reuses its tree (`reparse`) instead of parsing.
    `remember`: keep each modifier's validation for the next read of this file
    (the editor's: a keystroke leaves most modifiers as they were).
    """
    limits = limits or Limits()
    problems = list(src.problems)
    if src.unreadable or src.yaml_text is None:
        return Recipe(src, None, [], False, problems)
    problems.extend(source.tag_problems(src))
    parsed = None
    if previous is not None and previous.parsed is not None:
        from .reparse import reparse  # the editor's path only

        parsed = reparse(previous.source, previous.parsed, src)
    if parsed is None:
        parsed = yamltree.parse(src, limits)
    problems.extend(parsed.problems)
    if any(p.code in ("RC001", "RC008", "RC009") for p in parsed.problems):
        from .lookalikes import lookalikes

        failed = [p.line for p in problems if p.code == "RC001"]
        # a look-alike at or before where PyYAML failed is what it failed on
        looks = [p for p in lookalikes(src) if failed and p.line <= min(failed)]
        markers = looks or missing_markers(src)
        if markers:
            problems = [p for p in problems if p.code != "RC001"] + markers
        return Recipe(src, None, [], False, problems)
    root = parsed.root
    shape = layout.read(root, src.path)
    problems.extend(shape.problems)
    if root is None or shape.problems:
        return Recipe(src, root, [], False, problems, parsed=parsed)
    view = root  # what SparseML evaluates: the tree with the overrides applied
    values = NO_VALUES
    if shape.shape != "single":
        if overrides:
            view = var_overrides.apply(root, overrides, shape.staged)
            shape = layout.read(view, src.path)
        values = variables.evaluate(
            view, shape, parsed.aliases, limits, src.path, src.text
        )
        problems.extend(values.problems)
    found = layout.collect(view, shape, src.path)
    problems.extend(found.problems)
    if shape.shape != "single":
        problems.extend(variables.unevaluated(view, values, src.path))
    unaliased = remember and view is root and not any(parsed.aliases.values())
    entries, invalid = validate(
        view, found.placements, values, src.path, src.text if unaliased else None
    )
    problems.extend(invalid)
    problems.extend(layout.missing(view, shape, found, src.path))
    return Recipe(
        src,
        root,
        entries,
        shape.staged,
        problems,
        values,
        parsed,
    )
