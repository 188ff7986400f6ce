"""Inline disables: `# recipe: disable=CODE` on a line, `disable-next-line=CODE`
before it, `disable-file=CODE` anywhere (codes or rule names, comma-separated)."""

from __future__ import annotations

import re

from .config import code_of

_DISABLE = re.compile(r"#\s*recipe:\s*disable(-next-line|-file)?=([A-Za-z0-9_,\- ]+)")


def inline_disables(text: str) -> dict[int, set[str]]:
    """Codes silenced per line by `# recipe: disable=CODE` (its own line),
    `disable-next-line=CODE` (the line after) and `disable-file=CODE` (every
    line: key 0)."""
    out: dict[int, set[str]] = {}
    if "recipe:" not in text:
        return out
    for i, line in enumerate(text.split("\n"), start=1):
        m = _DISABLE.search(line)
        if m:
            where = {None: i, "-next-line": i + 1, "-file": 0}[m.group(1)]
            codes = {code_of(c.strip()) for c in m.group(2).split(",")}
            out.setdefault(where, set()).update(codes)
    return out
