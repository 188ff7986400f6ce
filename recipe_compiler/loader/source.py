"""Reading recipe files the way SparseML 1.8 reads them, keeping file positions.

SparseML pulls YAML front matter out of markdown with a regex and loses the offset,
so its errors point at the wrong line; here the offset is kept, so every position
is a line and column of the file the user wrote.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from ..problems import Problem
from . import codes

# optim/helpers.py: _load_yaml_str_from_file (re.S | re.M): the first `---`/`+++`
# anywhere opens the block and the next one anywhere, even inside a line, closes it.
FRONT_MATTER = re.compile(r"^\s*(?:---|\+\+\+)(.*?)(?:---|\+\+\+)", re.S | re.M)
# optim/modifier.py: a tag is rewritten only when no `.` follows on its line.
SPARSEML_TAG = re.compile(r"!(?P<mod_class>(?!.*\.)[a-zA-Z_][a-zA-Z^._0-9]+)")
ANY_TAG = re.compile(r"(?<![!\w])!(?P<name>[A-Za-z_][A-Za-z0-9_^]*)")

Kind = Literal["yaml", "md", "text"]


@dataclasses.dataclass(frozen=True)
class Limits:
    """What a recipe may cost. Every limit is an option of `recipe lint`."""

    max_bytes: int = 1024 * 1024  # the largest real recipe we know is 8.5 KB
    max_nodes: int = 100_000  # YAML nodes after alias expansion
    max_depth: int = 64  # nesting of mappings and lists
    max_expression_chars: int = 2_000
    max_int_bits: int = 4_096  # integers larger than this in eval(...) are refused


@dataclasses.dataclass
class Source:
    """A recipe's text and where its YAML sits in the file."""

    path: str
    text: str
    kind: Kind
    yaml_text: str | None
    line_offset: int = 0  # lines of `text` before the first line of `yaml_text`
    column_offset: int = 0  # columns before `yaml_text` on its first line
    yaml_end: int = 0  # index in `text` just past the YAML (markdown only)
    problems: list[Problem] = dataclasses.field(default_factory=list)

    def position(self, line0: int, column0: int) -> tuple[int, int]:
        """File line and column (1-based) of a 0-based position in `yaml_text`."""
        return file_position(line0, column0, self.line_offset, self.column_offset)

    @property
    def yaml_start(self) -> int:
        """Index in `text` where `yaml_text` begins."""
        return self.yaml_end - len(self.yaml_text or "")

    @property
    def unreadable(self) -> bool:
        return any(p.code == "RC000" for p in self.problems)


def read(path: str | os.PathLike[str], limits: Limits | None = None) -> Source:
    """Read a recipe file (.yaml, .yml or .md); problems are kept on the Source."""
    limits = limits or Limits()
    p = Path(path)
    name = str(path)
    if name.startswith("zoo:"):
        return _unreadable(
            name,
            "a SparseZoo stub, not a file: SparseZoo is end-of-life and "
            "recipe-compiler works offline",
            "download the recipe and pass its path",
        )
    try:
        size = p.stat().st_size
        if size > limits.max_bytes:
            return _unreadable(
                name,
                f"file is {size:,} bytes, over the limit of {limits.max_bytes:,}: "
                "recipe-compiler does not read it",
                "raise the limit with --max-bytes if this recipe is really that big",
                code="RC008",
            )
        data = p.read_bytes()
    except OSError as exc:
        return _unreadable(name, f"cannot read file: {exc.strerror or exc}", None)
    src = from_bytes(data, name, kind_of(p), limits)
    if not src.unreadable:
        check_extension(src)
    return src


SPARSEML_SUFFIXES = (".yaml", ".md")  # the only ones SparseML reads


def kind_of(path: str | os.PathLike[str]) -> Literal["md", "yaml"]:
    """How a recipe file is read: markdown with front matter (`.md`, any case)
    or plain YAML (anything else)."""
    return "md" if Path(path).suffix.lower() == ".md" else "yaml"


def recipe_suffix(path: str | os.PathLike[str]) -> str:
    """The suffix of a recipe written from the one at `path`: SparseML reads only
    `.md` and `.yaml`, so a `.yml` input is written as `.yaml`."""
    return f".{kind_of(path)}"


def check_extension(src: Source) -> None:
    """SparseML reads only `.md` and `.yaml` paths (case-insensitive)."""
    p = Path(src.path)
    if p.suffix.lower() in SPARSEML_SUFFIXES:
        return
    hint = (
        f"rename it to {p.with_suffix('.yaml').name}"
        if p.suffix.lower() == ".yml"
        else "save the recipe as .yaml, or as .md with YAML front matter"
    )
    src.problems.append(
        codes.make(
            "RC007",
            src.path,
            1,
            1,
            f"SparseML refuses the extension '{p.suffix}': it reads only '.md' and "
            "'.yaml' recipes",
            hint,
        )
    )


def from_bytes(
    data: bytes, name: str, kind: Kind, limits: Limits | None = None
) -> Source:
    limits = limits or Limits()
    if len(data) > limits.max_bytes:
        return _unreadable(
            name,
            f"input is {len(data):,} bytes, over the limit of {limits.max_bytes:,}: "
            "recipe-compiler does not read it",
            "raise the limit with --max-bytes if this recipe is really that big",
            code="RC008",
        )
    if b"\x00" in data[:8192]:
        return _unreadable(
            name, "binary data, not a text recipe", "give a .yaml or .md recipe"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return _unreadable(
            name,
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} on line {line})",
            "save the file as UTF-8",
            line=line,
        )
    return from_text(text, name, kind)


def from_text(text: str, name: str = "<text>", kind: Kind = "text") -> Source:
    """A Source from text; `kind` says whether it came from .yaml, .md or a string."""
    if text.startswith("\ufeff"):
        text = text[1:]  # PyYAML skips a leading BOM too
    if kind == "yaml" or (kind == "text" and not FRONT_MATTER.search(text)):
        return Source(name, text, kind, text, yaml_end=len(text))
    m = FRONT_MATTER.search(text)
    if m is None:
        src = Source(name, text, kind, None)
        src.problems.append(
            codes.make(
                "RC003",
                name,
                1,
                1,
                "no YAML front matter: SparseML reads a markdown recipe only "
                "between two '---' lines",
                "put the recipe between a '---' line and a closing '---' line at "
                "the top of the file",
            )
        )
        return src
    start = m.start(1)
    line_start = text.rfind("\n", 0, start) + 1
    src = Source(
        name,
        text,
        kind,
        m.group(1),
        line_offset=text.count("\n", 0, start),
        column_offset=start - line_start,
        yaml_end=m.end(1),
    )
    _check_front_matter_end(src, m.end(1))
    return src


def _check_front_matter_end(src: Source, end: int) -> None:
    text = src.text
    line_start = text.rfind("\n", 0, end) + 1
    if text[line_start:end].strip():
        line = text.count("\n", 0, end) + 1
        src.problems.append(
            codes.make(
                "RC004",
                src.path,
                line,
                end - line_start + 1,
                "SparseML ends the front matter at this '"
                + text[end : end + 3]
                + "' inside a line; everything after it is not part of the recipe",
                "quote the value or avoid '---' and '+++' inside the front matter",
            )
        )
    rest = text[end + 3 :]
    for m in ANY_TAG.finditer(rest):
        if not m.group("name").endswith("Modifier"):
            continue
        pos = end + 3 + m.start()
        line = text.count("\n", 0, pos) + 1
        src.problems.append(
            codes.make(
                "RC005",
                src.path,
                line,
                pos - (text.rfind("\n", 0, pos) + 1) + 1,
                f"!{m.group('name')} comes after the end of the front matter: "
                "SparseML reads only the first '---' block, so it is never loaded",
                "move it into the front matter's modifiers list",
            )
        )


def _unreadable(
    name: str, message: str, hint: str | None, line: int = 1, code: str = "RC000"
) -> Source:
    """A Source with no text: RC000, or RC008 for a file over the size limit."""
    src = Source(name, "", "yaml", None)
    src.problems.append(codes.make(code, name, line, 1, message, hint))
    return src


@functools.lru_cache(maxsize=4)
def _bang_lines(text: str) -> tuple[tuple[int, str], ...]:
    """(index, text) of the lines (split at LF) holding a `!`, found once for the
    three tag checks."""
    out = []
    i = last = 0
    at = text.find("!")
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        i += text.count("\n", last, start)
        last = start
        out.append((i, text[start:end]))
        at = text.find("!", end)
    return tuple(out)


def tag_problems(src: Source) -> list[Problem]:
    """RC006, RC011 and RC013: what SparseML's tag rewrite does to the lines that
    hold a `!`. A function of those lines alone, so an edit that leaves them as
    they were (the editor's keystroke in a value) finds them here."""
    bang = _bang_lines(src.yaml_text or "")
    if not bang:
        return []
    where = _Where(src.path, src.line_offset, src.column_offset)
    return list(_tag_problems(where, bang))


class _Where:
    """What places a problem in the file: the path and where its YAML starts (a
    plain class: a dataclass costs the cold start its generated code)."""

    __slots__ = ("_key", "column_offset", "line_offset", "path")

    def __init__(self, path: str, line_offset: int, column_offset: int):
        self.path, self.line_offset, self.column_offset = (
            path,
            line_offset,
            column_offset,
        )
        self._key = (path, line_offset, column_offset)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Where) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def position(self, line0: int, column0: int) -> tuple[int, int]:
        return file_position(line0, column0, self.line_offset, self.column_offset)


def file_position(
    line0: int, column0: int, line_offset: int, column_offset: int
) -> tuple[int, int]:
    """The file's 1-based line and column of a 0-based position in YAML that
    starts `line_offset` lines and (on its first line) `column_offset` columns in."""
    col = column0 + (column_offset if line0 == 0 else 0)
    return line0 + line_offset + 1, col + 1


@functools.lru_cache(maxsize=64)
def _tag_problems(
    where: _Where, bang: tuple[tuple[int, str], ...]
) -> tuple[Problem, ...]:
    return (
        *tag_lines_with_dot(where, bang),
        *standard_tags_rewritten(where, bang),
        *tags_after_keys(where, bang),
    )


def _tags_in_code(
    bang: tuple[tuple[int, str], ...], pattern: re.Pattern[str]
) -> Iterator[tuple[int, str, re.Match[str]]]:
    """(line index, line, match) of tags outside comments and quoted strings."""
    for i, line in bang:
        for m in pattern.finditer(line):
            before = line[: m.start()]
            if "#" in before or before.count("'") % 2 or before.count('"') % 2:
                continue
            yield i, line, m


def tags_after_keys(src: _Where, bang: tuple[tuple[int, str], ...]) -> list[Problem]:
    """`key: !Tag`: SparseML's rewrite makes it `key: OBJECT.Tag:`, a ScannerError."""
    out: list[Problem] = []
    for i, line, m in _tags_in_code(bang, SPARSEML_TAG):
        if not line[: m.start()].rstrip().endswith(":"):
            continue
        line1, col1 = src.position(i, m.start())
        name = m.group("mod_class")
        out.append(
            codes.make(
                "RC013",
                src.path,
                line1,
                col1,
                f"!{name} on the same line as its key: SparseML rewrites it to "
                f"'OBJECT.{name}:' and fails with \"ScannerError: mapping values "
                'are not allowed here"',
                f"write the modifier as a list item: the key alone on its line, "
                f"then '- !{name}' below it",
            )
        )
    return out


# the YAML tags PyYAML's safe loader knows (`!!str`); any other `!!x` is RC011 from
# the parse tree
STANDARD_TAGS = frozenset(
    [
        "str",
        "int",
        "float",
        "bool",
        "null",
        "map",
        "seq",
        "merge",
        "timestamp",
        "binary",
        "omap",
        "set",
        "pairs",
    ]
)


def standard_tags_rewritten(
    src: _Where, bang: tuple[tuple[int, str], ...]
) -> list[Problem]:
    """`!!str` on a line without a `.` after it: SparseML's tag rewrite takes its
    second `!` for a modifier's (`!OBJECT.str:`), and PyYAML refuses the result."""
    out: list[Problem] = []
    for i, line, m in _tags_in_code(bang, SPARSEML_TAG):
        name = m.group("mod_class")
        if m.start() == 0 or line[m.start() - 1] != "!" or name not in STANDARD_TAGS:
            continue
        line1, col1 = src.position(i, m.start() - 1)
        out.append(
            codes.make(
                "RC011",
                src.path,
                line1,
                col1,
                f"SparseML rewrites !!{name} to '!OBJECT.{name}:' (as it rewrites "
                'modifier tags) and fails with "could not determine a constructor '
                f"for the tag '!OBJECT.{name}:'\"",
                "remove the tag: without it the value is read the same (quote it "
                "to keep a string)",
            )
        )
    return out


def tag_lines_with_dot(src: _Where, bang: tuple[tuple[int, str], ...]) -> list[Problem]:
    """Tags SparseML leaves unrewritten because a `.` follows on their line."""
    out: list[Problem] = []
    for i, line, m in _tags_in_code(bang, ANY_TAG):
        if m.start() > 0 and line[m.start() - 1] not in " \t-[{,:":
            continue
        if SPARSEML_TAG.match(line, m.start()) or not m.group("name")[0].isupper():
            continue
        after = line[m.end() :]
        dot = after.index(".") if "." in after else 0
        line1, col1 = src.position(i, m.start())
        out.append(
            codes.make(
                "RC006",
                src.path,
                line1,
                col1,
                f"SparseML does not recognise the tag !{m.group('name')} "
                "because a '.' follows on the same line "
                f"({after[max(0, dot - 10) : dot + 10].strip()!r}); it fails "
                f'with "could not determine a constructor for the tag '
                f"'!{m.group('name')}'\"",
                "put the tag on its own line and the fields below it (block "
                "style), or write numbers on this line without a '.', "
                "e.g. 0 instead of 0.0",
            )
        )
    return out


def check_recipe_output(path: str | os.PathLike[str], suffix: str) -> None:
    """Refuse (ValueError) an output SparseML would not read, or one in another
    format than `suffix` (the input's, or `.yaml` for a flattened recipe)."""
    p = Path(path)
    if p.suffix.lower() not in SPARSEML_SUFFIXES:
        raise ValueError(
            f"{path}: SparseML reads only .yaml and .md recipes; name the output "
            f"{p.with_suffix(suffix).name}"
        )
    if p.suffix.lower() != suffix:
        what = "markdown with front matter" if suffix == ".md" else "plain YAML"
        raise ValueError(
            f"{path}: the output is {what}, like what it is written from: name it "
            f"{p.with_suffix(suffix).name}"
        )
