"""What a rule yields: a position, a message and a hint; the engine adds the rest."""

from __future__ import annotations

from typing import NamedTuple


class Finding(NamedTuple):
    line: int
    column: int
    message: str
    hint: str | None = None
