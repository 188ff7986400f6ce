"""`did_you_mean`: the closest name, for hints (no pydantic on this import path)."""

from __future__ import annotations

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
