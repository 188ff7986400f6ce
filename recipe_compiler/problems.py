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

    def __str__(self) -> str:
        """`path:line:col: CODE severity message`, the one-line form every command
        prints."""
        return (
            f"{self.path}:{self.line}:{self.column}: {self.code} {self.severity} "
            f"{self.message}"
        )

    def described(self, indent: str = "") -> str:
        """The one-line form, then the hint on its own line: what `recipe lint`
        prints, and every command that refuses a recipe."""
        hint = f"\n{indent}    hint: {self.hint}" if self.hint else ""
        return f"{indent}{self}{hint}"

    def replace(self, **changes: Any) -> Problem:
        return dataclasses.replace(self, **changes)


def errors(problems: Iterable[Problem]) -> list[Problem]:
    """The problems of severity error: what SparseML would refuse or crash on."""
    return [p for p in problems if p.severity is Severity.ERROR]
