"""Characters that look like YAML's own and are not: a non-breaking space in an
indentation, an en dash as a list marker. Pasted from a web page or a word
processor, they make PyYAML fail a line or two later with a message about
something else ("could not find expected ':'"); found here, the problem names the
line and the character, as a tab gets its hint.
"""

from __future__ import annotations

import re

from ..problems import Problem
from . import codes
from .source import Source

# spaces other than U+0020 (NBSP, the en/em/thin spaces, the narrow NBSP, the
# ideographic space) and dashes other than '-' (figure, en, em dash, minus)
_SPACES = "\u00a0\u2000-\u200a\u202f\u3000"
_INDENT = re.compile(rf"^([ \t]*)[{_SPACES}]", re.M)
_MARKER = re.compile(r"^([ \t]*)([\u2012\u2013\u2014\u2212])(?=[ \t])", re.M)


def lookalikes(src: Source) -> list[Problem]:
    """RC001 at the first look-alike in the YAML, or nothing."""
    text = src.yaml_text or ""
    found = []
    for m in _INDENT.finditer(text):
        char = text[m.end() - 1]
        found.append(
            (
                m.end() - 1,
                f"the indentation holds U+{ord(char):04X} ({_name(char)}), not a "
                "plain space: YAML indents with spaces only, and SparseML's parser "
                "fails on this line or the next",
                "replace it with a plain space (it comes from copying text out of "
                "a web page or a word processor)",
            )
        )
    for m in _MARKER.finditer(text):
        char = m.group(2)
        found.append(
            (
                m.start(2),
                f"the list marker is U+{ord(char):04X} ({_name(char)}), not '-': "
                "YAML reads no list item here, and SparseML's parser fails",
                "write '- ' (a hyphen-minus and a space)",
            )
        )
    if not found:
        return []
    at, message, hint = min(found)
    line0 = text.count("\n", 0, at)
    column0 = at - (text.rfind("\n", 0, at) + 1)
    line, column = src.position(line0, column0)
    return [codes.make("RC001", src.path, line, column, message, hint)]


def _name(char: str) -> str:
    import unicodedata

    return unicodedata.name(char, "a look-alike").lower()
