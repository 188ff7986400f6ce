"""Modifiers written without `- ` list markers: find them and add the markers.

A recipe that lists two tagged modifiers under `modifiers:` without `- ` is not a
list. SparseML first rewrites each `!Tag` to `OBJECT.Tag:`, which turns the block
into one mapping that loads, then re-dumps it and fails with a ParserError at a line
of the text it rewrote. Here the problem is reported at the user's own lines, and
`recipe lint --fix` inserts the markers without touching anything else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..problems import Problem
from . import codes
from .source import Source

_BARE_TAG = re.compile(
    r"^(?P<indent>[ ]*)!(?P<tag>[A-Za-z_][A-Za-z0-9_^.]*)[ \t]*(#.*)?$"
)
_KEY = re.compile(r"^(?P<indent>[ ]*)(?P<key>[^\s#'\"][^:#]*?)[ \t]*:[ \t]*(#.*)?$")


def _candidates(yaml_text: str) -> list[tuple[int, int, str, str]]:
    """(line index, indent, tag, parent key) of bare tag lines under a modifiers key."""
    lines = yaml_text.split("\n")
    found: list[tuple[int, int, str, str]] = []
    for i, line in enumerate(lines):
        m = _BARE_TAG.match(line.rstrip("\r"))
        if not m:
            continue
        indent = len(m.group("indent"))
        for j in range(i - 1, -1, -1):
            prev = lines[j].rstrip("\r")
            stripped = prev.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if len(prev) - len(prev.lstrip(" ")) >= indent:
                continue
            k = _KEY.match(prev)
            if k and "modifiers" in k.group("key"):
                found.append((i, indent, m.group("tag"), k.group("key")))
            break
    return found


def missing_markers(src: Source) -> list[Problem]:
    """RC002 problems, when two or more modifiers share a parent without markers."""
    if src.yaml_text is None:
        return []
    found = _candidates(src.yaml_text)
    parents: dict[str, int] = {}
    for _, _, _, key in found:
        parents[key] = parents.get(key, 0) + 1
    out = []
    for i, indent, tag, key in found:
        if parents[key] < 2:
            continue
        line, col = src.position(i, indent)
        out.append(
            codes.make(
                "RC002",
                src.path,
                line,
                col,
                f"!{tag} is not a list item: without '- ' before each modifier the "
                f"entries under '{key}' are not a list, and SparseML fails with "
                "\"ParserError: expected <block end>, but found '<tag>'\" at a line "
                "of its own rewritten text",
                f"write '- !{tag}' (run `recipe lint --fix` to add the markers)",
            )
        )
    return out


def add_markers(src: Source) -> str | None:
    """The file's text with `- ` added before each bare modifier tag, or None.

    Fields written at the tag's own column (as pasting from a web page leaves
    them) would then belong to the list, not to the modifier: each such
    modifier's lines move right by the marker's width too."""
    if src.yaml_text is None or not missing_markers(src):
        return None
    lines = src.yaml_text.split("\n")
    found = _candidates(src.yaml_text)
    starts = {i for i, *_ in found}
    for i, indent, _, _ in found:
        body = list(_body(lines, i, indent, starts))
        fields = (j for j in body if lines[j].strip()[:1] not in ("", "#"))
        first = next(fields, None)
        if first is not None and _indent(lines[first]) == indent:
            for j in body:
                if lines[j].strip():
                    lines[j] = "  " + lines[j]
        lines[i] = lines[i][:indent] + "- " + lines[i][indent:]
    fixed_yaml = "\n".join(lines)
    start = src.yaml_end - len(src.yaml_text)
    return src.text[:start] + fixed_yaml + src.text[src.yaml_end :]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _body(lines: list[str], i: int, indent: int, starts: set[int]) -> Iterator[int]:
    """The lines of the modifier tagged at line `i`: up to the next bare tag or
    the first line left of the tag (blank lines and comments go with it)."""
    for j in range(i + 1, len(lines)):
        line = lines[j].rstrip("\r")
        if j in starts:
            return
        if (
            line.strip()
            and not line.lstrip().startswith("#")
            and _indent(line) < indent
        ):
            return
        yield j


# What SparseML raises when a text does not parse as YAML (or is not read at all).
_UNPARSED = ("ParserError", "ScannerError", "ComposerError", "ReaderError")


def unparsed(problems: list[Problem]) -> list[Problem]:
    """The problems that say a text does not parse: a fix that leaves one has not
    done its job (any other problem is the recipe's own, for lint to report)."""
    return [
        p
        for p in problems
        if p.code == "RC008"
        or any(
            stage.endswith(_UNPARSED) for stage in codes.SPARSEML_FAILS.get(p.code, ())
        )
    ]
