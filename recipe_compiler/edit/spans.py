"""Text edits: replace spans of a file's text, numbers written like the ones they
replace, so comments, layout and expressions survive byte for byte."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from .yaml_out import scalar


class OverlapError(ValueError):
    """Two edits touch the same text."""


@dataclasses.dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str


def apply(text: str, edits: Iterable[Edit]) -> str:
    """Replace spans of `text`; spans must not overlap."""
    out, pos = [], 0
    for e in sorted(edits, key=lambda e: e.start):
        if e.start < pos:
            raise OverlapError("overlapping edits")
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
