"""Modifiers as SparseML builds them: tagged nodes and their values → pydantic models.

PyYAML constructs a tag wherever it sits, so every tagged node is validated, not
only the ones SparseML then schedules. Every validation error becomes a Problem at
the position of the field (or the tag), with SparseML's own words and a hint.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from . import codes
from .layout import Placement
from .modifiers import REGISTRY, RENAMED, Modifier, did_you_mean, model_for
from .problems import Problem
from .variables import Values
from .yamltree import Node


@dataclasses.dataclass(frozen=True)
class Entry:
    """One modifier as written: where it is, what it says, what it became."""

    index: int
    tag: str
    node: Node
    group: str
    stage: str | None
    fields: dict[str, Any]  # the values SparseML passes, eval(...) evaluated
    model: Modifier | None = None

    @property
    def line(self) -> int:
        return self.node.tag_line or self.node.line

    @property
    def column(self) -> int:
        return self.node.tag_column or self.node.column

    def field_position(self, name: str, value: bool = True) -> tuple[int, int]:
        """Where a field is written: its value (or key), else the tag."""
        node = self.node.get(name) if self.node.kind == "map" else None
        if node is None:
            return self.line, self.column
        if value and not node.via_alias:
            return node.line, node.column
        return self.node.key_position(name)


def validate(
    root: Node, placements: Iterable[Placement], values: Values, path: str
) -> tuple[list[Entry], list[Problem]]:
    """The recipe's modifiers, typed, and the problems of every tagged node."""
    listed = {p.node: p for p in placements}
    entries: dict[Node, Entry] = {}
    problems: list[Problem] = []
    for node in root.walk():
        if node.tag is None:
            continue
        place = listed.get(node) or Placement(-1, node, "", None)
        fields = (
            {k: values.plain(v) for k, v in node.value.items()}
            if node.kind == "map"
            else {}
        )
        entry = Entry(place.index, node.tag, node, place.group, place.stage, fields)
        model = _build(entry, values, path, problems)
        if place.index >= 0:
            entries[node] = dataclasses.replace(entry, model=model)
    return [entries[p.node] for p in listed.values()], problems


def _build(
    e: Entry, values: Values, path: str, problems: list[Problem]
) -> Modifier | None:
    if any(values.failed(n) for n in e.node.walk()):
        return None  # an eval(...) in it already failed with a problem
    cls = model_for(e.tag, e.fields)
    if cls is None:
        problems.append(_unknown_tag(e, path))
        return None
    try:
        return cls.model_validate(e.fields)
    except ValidationError as exc:
        problems.extend(_schema_problems(e, cls, exc, path))
        return None


def _unknown_tag(e: Entry, path: str) -> Problem:
    tag = e.tag
    if "." in tag:
        prefix, _, name = tag.partition(".")
        if name in REGISTRY:
            return codes.make(
                "RC101",
                path,
                e.line,
                e.column,
                f"!{tag}: SparseML does not accept the framework prefix "
                f"'{prefix}.' in a recipe",
                f"write !{name}",
            )
    guess = RENAMED.get(tag) or did_you_mean(tag, REGISTRY, cutoff=0.5)
    return codes.make(
        "RC101",
        path,
        e.line,
        e.column,
        f'!{tag} is not a SparseML 1.8 modifier; SparseML fails with "could not '
        f"determine a constructor for the tag '!pytorch.{tag}'\"",
        f"did you mean !{guess}?"
        if guess
        else "see `recipe schema` for the modifiers SparseML 1.8 knows",
    )


def _schema_problems(
    e: Entry, cls: type[Modifier], exc: ValidationError, path: str
) -> Iterable[Problem]:
    """One Problem a field: the deepest of pydantic's errors on it."""
    by_field: dict[str, Any] = {}
    for err in exc.errors():
        loc = err["loc"]
        if (loc and not isinstance(loc[0], str)) or "[key]" in loc:
            continue  # a key that is not a string: RC012 says so where it is written
        field = str(loc[0]) if loc else (err.get("ctx") or {}).get("field", "")
        prev = by_field.get(field)
        if prev is None or len(err["loc"]) > len(prev["loc"]):
            by_field[field] = err
    name = cls.__name__ if cls.__name__ == cls.TAG else f"{cls.TAG} (legacy form)"
    for field, err in by_field.items():
        etype = err["type"]
        if etype == "missing":
            yield codes.make(
                "RC103",
                path,
                e.line,
                e.column,
                f"!{e.tag} is missing the required field '{field}'; SparseML "
                f'fails with "__init__() missing 1 required positional argument: '
                f"'{field}'\"",
                f"add '{field}: ...' to this modifier",
            )
        elif etype == "extra_forbidden":
            choices = [f for f in cls.model_fields if f != "log_types"]
            guess = did_you_mean(field, choices)
            yield codes.make(
                "RC102",
                path,
                *e.field_position(field, value=False),
                f"!{e.tag} has no field '{field}'; SparseML fails with "
                f"\"__init__() got an unexpected keyword argument '{field}'\"",
                f"did you mean '{guess}'?"
                if guess
                else f"fields of {name}: " + ", ".join(choices),
            )
        else:
            code = (
                etype
                if etype.startswith("RC")
                else ("RC105" if etype in ("literal_error", "enum") else "RC104")
            )
            where = _locate(e, err["loc"]) if err["loc"] else e.field_position(field)
            msg = err["msg"]
            prefix = "" if msg.startswith(field) else f"{field}: "
            yield codes.make(
                code,
                path,
                *where,
                f"!{e.tag} {prefix}{msg}".strip(),
                _HINTS.get(code),
            )


def _locate(e: Entry, loc: tuple[Any, ...]) -> tuple[int, int]:
    """The position of the deepest node along pydantic's `loc` (aliases: the last
    position written in the modifier)."""
    node = e.node
    pos = (e.line, e.column)
    for part in loc:
        nxt = None
        if (node.kind == "map" and part in node.value) or (
            node.kind == "seq" and isinstance(part, int) and part < len(node.value)
        ):
            nxt = node.value[part]
        if nxt is None:
            continue
        node = nxt
        pos = (node.line, node.column) if not node.via_alias else pos
    return pos


_HINTS = {
    "RC201": "make end_epoch at least start_epoch, or -1 where the modifier allows it",
    "RC202": "epochs are -1 (unset) or at least 0",
    "RC203": "remove end_epoch: QAT runs until training ends",
    "RC204": "use -1 (every step) or a positive number of epochs",
    "RC301": "sparsities are fractions: init_sparsity in [0, 1], "
    "final_sparsity in (0, 1)",
    "RC302": "learning rates are in (0, 1]",
}
