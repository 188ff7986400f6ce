"""An edit inside one plain scalar, applied to the previous tree instead of parsing.

The language server re-reads a document on every keystroke, and most keystrokes
change one value: a digit of an epoch, a letter of a `params` name. Composing and
building the whole tree again costs most of a heavy recipe's re-lint (a 96-modifier
per-layer recipe: ~15 of ~30 ms), although every node but one stays as it was.

`reparse` takes the previous text's tree and the new text, and when the two texts
differ inside one plain scalar of a block mapping or list, on one line, and the new
text of that scalar is one PyYAML reads as the same single plain scalar, returns
the previous tree with that scalar's value and the spans after it moved. Otherwise
(an edit across lines, a key, a quote or an indicator typed, aliases, a tag, any
problem in the previous parse) it returns None and the caller parses the text
again: the conditions are conservative, and a property test checks that every tree
it returns equals the full parse of the new text.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any

from .source import Source
from .yamltree import Node, Parsed, libyaml_agrees, node_from, plain_scalar

# A plain scalar PyYAML reads whole wherever a block value stands: no indicator
# first, no ': ', ' #', flow characters, quotes or tabs anywhere, no space at the
# ends. Narrower than YAML's plain scalars on purpose: anything else is parsed.
_SAFE = re.compile(
    r"(?:[A-Za-z0-9_.(+]|-(?=[^-\s]))"  # a first character no indicator
    r"(?:[A-Za-z0-9_.+\-*/()^%=<>~ ]|:(?=[^\s]))*"
    r"(?<! )\Z"
)
_REST_OF_LINE = re.compile(r"[ ]*(?:#[^\n\r]*)?(?:\r\n|[\n\r]|\Z)")
_BEFORE = re.compile(r"[:\-][ ]+\Z")  # `key: ` or `- ` just before the scalar


def reparse(before: Source, parsed: Parsed, after: Source) -> Parsed | None:
    """`after`'s tree, from `before`'s parse; None when it must be parsed again."""
    old, new = before.yaml_text, after.yaml_text
    if old is None or new is None or parsed.root is None or parsed.problems:
        return None
    if (before.path, before.kind, before.yaml_start, before.line_offset) != (
        after.path,
        after.kind,
        after.yaml_start,
        after.line_offset,
    ) or before.column_offset != after.column_offset:
        return None
    if any(parsed.aliases.values()) or "<<" in old:
        return None  # a node that stands in two places
    if old == new:
        return Parsed(parsed.root, [], parsed.aliases, (0, 0, 0))
    p = common_prefix(old, new)
    s = common_suffix(old, new, min(len(old), len(new)) - p)
    old_end, delta = len(old) - s, len(new) - len(old)
    base = before.yaml_start
    if _in_comment(old, new, p, old_end, parsed.root, base):
        edit = (base + p, base + old_end, delta)
        return Parsed(
            _shifted(parsed.root, base + old_end, delta), [], parsed.aliases, edit
        )
    path = _path_to(parsed.root, base + p, base + old_end)
    if path is None:
        return None
    scalar = path[-1]
    a, b = scalar.span[0] - base, scalar.span[1] - base
    text = new[a : b + delta]
    if (
        "\n" in old[a:b]
        or "\r" in old[a:b]
        or not _SAFE.match(text)
        or not _BEFORE.search(old, max(0, a - 64), a)
        or not _REST_OF_LINE.match(new, b + delta)
    ):
        return None
    try:
        value = plain_scalar(text)
    except (ValueError, IndexError):
        return None  # PyYAML's own failure: the full parse reports it
    edited = _copy(scalar, value=value, span=(scalar.span[0], scalar.span[1] + delta))
    root = _rebuilt(path, edited, base + b, delta)
    return Parsed(root, [], parsed.aliases, (base + a, base + b, delta))


def _in_comment(
    old: str, new: str, start: int, old_end: int, root: Node, base: int
) -> bool:
    """Whether old[start:old_end] and what replaced it lie inside one comment: after
    a `#` that starts a line or follows a space, that no scalar holds, with no line
    break and nothing the two YAML parsers read differently typed."""
    typed = new[start : start + len(new) - len(old) + old_end - start]
    if _BREAKS.search(old, start, old_end) or _BREAKS.search(typed):
        return False
    if not libyaml_agrees(typed):
        return False
    line = max(old.rfind("\n", 0, start), old.rfind("\r", 0, start)) + 1
    m = _HASH.search(old, line, start)
    if m is None or _QUOTES.search(old, line, m.start()) or _COMPLEX_KEY.search(old):
        return False  # a `#` a quoted or an explicit key may hold
    at = base + m.end() - 1
    node = root
    while node.kind != "scalar":
        for child in node.children():
            if child.span[0] <= at < child.span[1]:
                node = child
                break
        else:
            return True  # inside a collection, in no value: a comment
    return not (node.span[0] <= at < node.span[1])


_BREAKS = re.compile("[\n\r\x85\u2028\u2029]")
_HASH = re.compile(r"(?:(?<![^\n\r])|(?<=[ \t]))#")
_QUOTES = re.compile("['\"]")
_COMPLEX_KEY = re.compile(r"(?m)^[ \t-]*\?(?:[ \t]|$)")


def common_prefix(a: str, b: str) -> int:
    """How many characters `a` and `b` share at the start."""
    n = min(len(a), len(b))
    lo, hi = 0, n  # binary search on slices: C speed on a long text
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def common_suffix(a: str, b: str, limit: int) -> int:
    """How many characters (at most `limit`) `a` and `b` share at the end."""
    lo, hi = 0, max(limit, 0)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid :] == b[len(b) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _path_to(root: Node, start: int, end: int) -> list[Node] | None:
    """The nodes from the root down to the plain scalar whose span holds
    [start, end), or None when no such scalar does."""
    path = [root]
    node = root
    while node.kind != "scalar":
        for child in node.children():
            if child.span[0] <= start and end <= child.span[1]:
                node = child
                path.append(node)
                break
        else:
            return None
    if (
        len(path) < 2
        or node.quoted
        or node.tag is not None
        or node.via_alias
        or node.span[1] <= node.span[0]
    ):
        return None
    return path


def _copy(node: Node, **changes: Any) -> Node:
    """`node` with `changes`, without running the frozen class's checks again."""
    return node_from({**node.__dict__, **changes})


def _shifted(node: Node, after: int, delta: int) -> Node:
    """`node` with every span coordinate at or past `after` moved by `delta`."""
    s0, s1 = node.span
    if s1 < after or delta == 0:
        return node
    fields = node.__dict__.copy()
    fields["span"] = (s0 + delta if s0 >= after else s0, s1 + delta)
    kind = node.kind
    if kind == "map":
        fields["value"] = MappingProxyType(
            {k: _shifted(v, after, delta) for k, v in node.value.items()}
        )
    elif kind == "seq":
        fields["value"] = tuple([_shifted(v, after, delta) for v in node.value])
    return node_from(fields)


def _rebuilt(path: list[Node], edited: Node, after: int, delta: int) -> Node:
    """The root with `path[-1]` replaced by `edited` and everything past the old
    scalar's end shifted."""
    child = edited
    for parent, old_child in zip(reversed(path[:-1]), reversed(path[1:]), strict=True):
        if parent.kind == "map":
            value: Any = MappingProxyType(
                {
                    k: child if v is old_child else _shifted(v, after, delta)
                    for k, v in parent.value.items()
                }
            )
        else:
            value = tuple(
                child if v is old_child else _shifted(v, after, delta)
                for v in parent.value
            )
        s0, s1 = parent.span
        child = _copy(parent, value=value, span=(s0, s1 + delta if s1 >= after else s1))
    return child
