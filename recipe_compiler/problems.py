"""The one `Problem` type, carried unchanged from the loader to every output format."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable
from typing import Any


class Severity(enum.StrEnum):
    """One meaning everywhere.

    error: SparseML 1.8 would refuse the recipe or crash on it (at load or run time).
    warning: it runs, but not as the author most likely meant.
    info: style.
    """

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


@dataclasses.dataclass(frozen=True, order=True)
class Problem:
    """A finding at a 1-based line and column of the file the user wrote."""

    path: str
    line: int
    column: int
    code: str
    severity: Severity = dataclasses.field(compare=False)
    message: str = dataclasses.field(compare=False)
    hint: str | None = dataclasses.field(default=None, compare=False)
    json_path: str | None = dataclasses.field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of `recipe lint --format json`: exactly these keys."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint,
        }

    def replace(self, **changes: Any) -> Problem:
        return dataclasses.replace(self, **changes)


class RecipeError(Exception):
    """Raised by the API when a recipe has error-level problems; lists all of them."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(problems)
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return "\n".join(
            f"{p.path}:{p.line}:{p.column}: {p.code} {p.severity} {p.message}"
            for p in self.problems
        )


def worst(problems: Iterable[Problem]) -> Severity | None:
    """The highest severity among `problems`, or None when there are none."""
    best: Severity | None = None
    for p in problems:
        if best is None or p.severity.rank > best.rank:
            best = p.severity
    return best
