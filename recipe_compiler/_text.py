"""Text helpers every layer may use: `did_you_mean` (the closest name, for hints),
`epoch_text` (an epoch as people write it), `aligned` (rows as columns) and
`error_line` (an exception as one line).
Standard library only, so the lint path stays cheap."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def did_you_mean(word: str, choices: Any, cutoff: float = 0.6) -> str | None:
    """The closest choice to `word`, for hints."""
    choices = [c for c in choices if isinstance(c, str)]
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:
        return lowered[word.lower()]
    import difflib  # only when a hint is written: it costs start-up time

    match = difflib.get_close_matches(word, choices, n=1, cutoff=cutoff)
    return match[0] if match else None


def epoch_text(x: float) -> str:
    """An epoch as people write it: -1 (not set) or the number to ten digits, so
    `166.6667` shows as written and never as `166.667`."""
    return "-1" if x == -1 else f"{x:.10g}"


def aligned(rows: Sequence[tuple[str, ...]], right: tuple[int, ...] = ()) -> list[str]:
    """Rows as columns two spaces apart, each as wide as its widest cell (the
    columns in `right` right-aligned)."""
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [
            cell.rjust(w) if c in right else cell.ljust(w)
            for c, (cell, w) in enumerate(zip(r, widths, strict=True))
        ]
        out.append("  ".join(cells).rstrip())
    return out


def error_line(exc: BaseException) -> str:
    """`Type: the first line of its message`: an engine's exception, said in one
    line where a traceback would be."""
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}"
