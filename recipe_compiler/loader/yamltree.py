"""YAML to a tree of positioned nodes, with PyYAML's YAML 1.1 scalar rules.

PyYAML, whose `yaml.safe_load` SparseML reads recipes with, composes the node graph
(so every node keeps its line and column) but nothing is constructed by a YAML
library: scalars are resolved here with the exact regexes of PyYAML's `SafeLoader`,
so `1e-5` stays a string and `yes` becomes True as they do in SparseML. Tags are kept
as names, never turned into objects. Alias expansion, nesting and node counts are
bounded by `Limits`.

The graph comes from libyaml (PyYAML's C parser, ~40x faster: what keeps `recipe
lsp` re-linting in milliseconds) when the text holds nothing the two parsers read
differently (`_DIVERGES`) and libyaml accepts it; anything else is composed by
PyYAML's pure-Python parser, the one `safe_load` uses, so a refusal is SparseML's
own, with its message (and a text only libyaml refuses, such as one nested past
libyaml's 1,000 levels, is read as SparseML reads it).
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

import yaml
from yaml.error import MarkedYAMLError, YAMLError
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from ..problems import Problem
from . import codes
from .source import Limits, Source

# PyYAML 6 yaml/resolver.py: Resolver implicit resolvers (YAML 1.1)
_BOOL = re.compile(
    r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$"
)
_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_INT = re.compile(
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0x[0-9a-fA-F_]+
    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$""",
    re.X,
)
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_TRUE = {"yes", "true", "on"}

STD = "tag:yaml.org,2002:"
_NO_KEYS: Mapping[Any, Any] = MappingProxyType({})


@dataclasses.dataclass(frozen=True, eq=False)
class Node:
    """A YAML value with its 1-based position in the file, as written (immutable).

    `value` is a read-only mapping of key -> Node for mappings, a tuple of Nodes for
    sequences and a Python scalar (str, int, float, bool, None) otherwise. `tag` is
    the name of a local tag (`!GMPruningModifier` -> "GMPruningModifier"), else None.
    Nodes compare and hash by identity, so later stages key their results by node
    (what an `eval(...)` gave, say) instead of writing into the tree.
    """

    kind: str  # "map" | "seq" | "scalar"
    value: Any
    line: int
    column: int
    tag: str | None = None
    tag_line: int = 0
    tag_column: int = 0
    keys: Mapping[Any, tuple[int, int]] = dataclasses.field(
        default_factory=lambda: _NO_KEYS
    )
    quoted: bool = False
    via_alias: bool = False
    span: tuple[int, int] = (0, 0)  # [start, end) in the file's text; for an alias,
    # the span of the node it names
    anchor: int = 0  # identifies the YAML node: copies made by aliases share it

    def plain(self) -> Any:
        """The value without positions (tags dropped)."""
        if self.kind == "map":
            return {k: v.plain() for k, v in self.value.items()}
        if self.kind == "seq":
            return [v.plain() for v in self.value]
        return self.value

    def get(self, key: str) -> Node | None:
        return self.value.get(key) if self.kind == "map" else None

    def key_position(self, key: Any) -> tuple[int, int]:
        return self.keys.get(key, (self.line, self.column))

    def children(self) -> Iterable[Node]:
        if self.kind == "map":
            return self.value.values()
        return self.value if self.kind == "seq" else ()

    def walk(self) -> Iterator[Node]:
        """This node and every node below it, parents first, in document order
        (a stack, not recursion: nested generators cost a frame per level)."""
        stack = [self]
        pop, push = stack.pop, stack.extend
        while stack:
            node = pop()
            yield node
            kind = node.kind
            if kind == "map":
                push(reversed(node.value.values()))
            elif kind == "seq":
                push(reversed(node.value))


def node_from(fields: dict[str, Any]) -> Node:
    """A Node from all its fields: what the frozen class's `__init__` does, one
    `object.__setattr__` a field, in one step (the builder makes thousands, and
    `reparse` copies them)."""
    node = object.__new__(Node)
    object.__setattr__(node, "__dict__", fields)
    return node


def mapping(
    items: dict[Any, Node], keys: dict[Any, tuple[int, int]], like: Node
) -> Node:
    """A mapping node at `like`'s position holding `items` (a new node: the tree is
    never changed in place)."""
    return dataclasses.replace(
        like, kind="map", value=MappingProxyType(items), keys=MappingProxyType(keys)
    )


@dataclasses.dataclass(frozen=True)
class Parsed:
    root: Node | None
    problems: list[Problem]
    # anchor -> how many times YAML aliases repeat that node (its copies beyond the
    # first, counting copies made inside repeated parents)
    aliases: Mapping[int, int] = dataclasses.field(default_factory=lambda: _NO_KEYS)
    # set by `reparse` on a tree it patched: (start, end, delta), the text's offsets
    # [start, end) of the previous text that were replaced and how far what followed
    # moved; every span of the previous text outside them holds the same text
    edit: tuple[int, int, int] | None = None


class _Limit(Exception):
    def __init__(self, message: str, line: int, column: int, flag: str = ""):
        super().__init__(message)
        self.line, self.column, self.flag = line, column, flag


def parse(src: Source, limits: Limits | None = None) -> Parsed:
    """Compose the Source's YAML into Nodes; syntax errors become Problems."""
    limits = limits or Limits()
    if src.yaml_text is None:
        return Parsed(None, [])
    deep = _flow_depth(src.yaml_text, limits.max_depth)
    if deep is not None:
        line, col = src.position(*deep)
        message = (
            f"brackets nested deeper than {limits.max_depth} levels: "
            "recipe-compiler reads no further"
        )
        hint = "flatten the recipe or raise the limit (--max-depth)"
        return Parsed(None, [codes.make("RC008", src.path, line, col, message, hint)])
    graph, refused = _compose(src)
    if refused is not None:
        return Parsed(None, [refused])
    if graph is None:
        return Parsed(None, [])
    builder = _Builder(src, limits)
    try:
        root = builder.build(graph, 0)
    except _Limit as exc:
        hint = f"simplify the recipe or raise the limit ({exc.flag or '--max-nodes'})"
        message = f"{exc}: recipe-compiler reads no further"
        problem = codes.make("RC008", src.path, exc.line, exc.column, message, hint)
        return Parsed(None, [problem])
    return Parsed(root, builder.problems, MappingProxyType(builder.copies))


def _compose(src: Source) -> tuple[Any, Problem | None]:
    """PyYAML's node graph of the YAML, or the Problem `yaml.safe_load` raises."""
    text = src.yaml_text or ""
    if libyaml_agrees(text):
        try:
            return yaml.compose(text, Loader=_FAST), None
        except (YAMLError, RecursionError):
            pass  # SparseML's parser gives the verdict and the message
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader), None
    except MarkedYAMLError as exc:
        return None, _syntax_problem(src, exc)
    except YAMLError as exc:
        return None, codes.make("RC001", src.path, 1, 1, str(exc))
    except RecursionError:
        return None, codes.make(
            "RC008",
            src.path,
            1,
            1,
            "nesting too deep for the YAML parser: recipe-compiler reads no further",
            "flatten the recipe",
        )


class _Unresolved(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's composer without PyYAML's implicit tag resolution (a regex match
    per scalar in Python): `_Builder` resolves every untagged scalar itself with
    the same rules, and reads only tags that are written."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        return _PLAIN[kind]


_PLAIN: Mapping[type, str] = MappingProxyType(
    {ScalarNode: STD + "str", SequenceNode: STD + "seq", MappingNode: STD + "map"}
)
_PLAIN_TAGS = frozenset(_PLAIN.values())
_FAST = _Unresolved
# YAML 1.1's own tags a recipe may carry (what PyYAML resolves, or writes out)
_STD_ALLOWED = frozenset(
    {"str", "int", "float", "bool", "null", "map", "seq", "merge"}
    | {"timestamp", "binary", "omap", "set", "pairs"}
)
# Where libyaml and PyYAML's pure parser part ways (found by differential fuzzing,
# tests/loader/test_yaml_parsers.py): characters the pure Reader refuses (its
# NON_PRINTABLE); tabs, which libyaml takes as separators where the pure scanner
# refuses them; NEL, LS, PS and the BOM, which move libyaml's marks differently;
# a bare `!` (libyaml resolves `!` on an empty node to str, PyYAML to null); and a
# block scalar header other than digits and +/- (libyaml reads `|#x`, PyYAML
# refuses it). Such texts are read by the pure parser alone.
_DIVERGES_ASCII = re.compile(
    "[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]|!(?=[\\s,\\[\\]{}]|$)|[|>][^\\s\\d+-]"
)
_NON_ASCII = (  # what the ASCII pattern leaves out, compiled only when needed
    "[^\x0a\x0d\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


def libyaml_agrees(text: str) -> bool:
    """Whether libyaml's graph of `text` is the pure parser's (see above)."""
    if text.isascii():  # most recipes: a small pattern, cheap to compile
        return _DIVERGES_ASCII.search(text) is None
    return _diverges().search(text) is None


@functools.lru_cache(maxsize=1)
def _diverges() -> re.Pattern[str]:
    """The whole pattern; its classes of non-ASCII ranges take ~2 ms to compile."""
    return re.compile(_NON_ASCII + "|" + _DIVERGES_ASCII.pattern.split("|", 1)[1])


# PyYAML's Reader: a line ends at LF, CR not followed by LF, NEL, LS and PS
_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")


def _flow_depth(text: str, limit: int) -> tuple[int, int] | None:
    """Where `[`/`{` nesting first passes `limit` (0-based line, column), if it does.

    The YAML parser recurses once a level: checking first keeps a file of a million
    brackets from costing seconds.
    """
    depth = 0
    for m in _BRACKETS.finditer(text):
        depth += 1 if m.group() in "[{" else -1
        if depth > limit:
            start = text.rfind("\n", 0, m.start()) + 1
            return text.count("\n", 0, m.start()), m.start() - start
    return None


_BRACKETS = re.compile(r"[\[\]{}]")


def _syntax_problem(src: Source, exc: MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = src.position(mark.line, mark.column) if mark else (1, 1)
    problem = exc.problem or str(exc)
    if "expected a single document" in str(exc):
        return codes.make(
            "RC009",
            src.path,
            line,
            col,
            "the YAML holds more than one document (a second '---'); SparseML "
            "reads a .yaml recipe as a single document",
            "remove the '---' lines, or save the recipe as .md with front matter",
        )
    if "found duplicate anchor" in str(exc):
        found = re.search(r"found duplicate anchor '([^']*)'", str(exc))
        anchor = found.group(1) if found else "?"
        return codes.make(
            "RC001",
            src.path,
            line,
            col,
            f"the anchor &{anchor} is defined a second time here; SparseML "
            'fails with "found duplicate anchor"',
            f"rename one of the two anchors (and its aliases *{anchor})",
        )
    hint = None
    if "\t" in problem or "'\\t'" in problem:
        hint = "YAML does not allow tabs for indentation: use spaces"
    elif "undefined alias" in problem:
        name = problem.split("'")[1] if "'" in problem else "name"
        hint = (
            f"no anchor &{name} is defined above this line: define it on the value "
            f"it stands for (e.g. '{name}: &{name} 0.001') or write the value here"
        )
    context = f" ({exc.context})" if exc.context else ""
    return codes.make("RC001", src.path, line, col, f"{problem}{context}", hint)


class _Builder:
    def __init__(self, src: Source, limits: Limits):
        self.src, self.limits = src, limits
        self.count = 0
        self.copies: dict[int, int] = {}  # anchor -> copies built after the first
        self.problems: list[Problem] = []
        self.top: tuple[int, int] | None = None  # the top-level key being built
        self.starts = [0] + [m.end() for m in _BREAK.finditer(src.yaml_text or "")]
        self.text = src.yaml_text or ""
        self.base = src.yaml_start  # index in the file where the YAML begins
        self.line_offset = src.line_offset

    def pos(self, node: Any) -> tuple[int, int]:
        """File line and column of the node, from its index as PyYAML counts lines
        (libyaml's line and column differ from PyYAML's at the end of the text)."""
        index = node.start_mark.index
        line0 = bisect.bisect_right(self.starts, index) - 1
        if line0:  # `Source.position`, inlined: the builder asks it of every node
            return line0 + self.line_offset + 1, index - self.starts[line0] + 1
        return self.src.position(line0, index - self.starts[line0])

    def build(self, node: Any, depth: int, parent_key: Any = None) -> Node:
        self.count += 1
        line, col = self.pos(node)
        if self.count > self.limits.max_nodes:
            raise _Limit(
                f"more than {self.limits.max_nodes:,} YAML nodes, counting each "
                "alias as a copy of what it names",
                *(self.top or (line, col)),
                "--max-nodes",
            )
        if depth > self.limits.max_depth:
            raise _Limit(
                f"nesting deeper than {self.limits.max_depth} level"
                f"{'s' * (self.limits.max_depth != 1)}",
                line,
                col,
                "--max-depth",
            )
        anchor = id(node)
        via_alias = anchor in self.copies
        self.copies[anchor] = self.copies[anchor] + 1 if via_alias else 0
        tag, std = self._tag(node, line, col)
        at: dict[str, Any] = {
            "kind": "scalar",
            "value": None,
            "line": line,
            "column": col,
            "tag": tag,
            "tag_line": line if tag is not None else 0,
            "tag_column": col if tag is not None else 0,
            "keys": _NO_KEYS,
            "quoted": False,
            "via_alias": via_alias,
            "span": self._span(node),
            "anchor": anchor,
        }
        if isinstance(node, MappingNode):
            values, keys = self._mapping(
                node, depth, _names_keys(node, depth, tag, parent_key)
            )
            at["kind"], at["value"] = "map", MappingProxyType(values)
            at["keys"] = MappingProxyType(keys)
        elif isinstance(node, SequenceNode):
            at["kind"] = "seq"
            at["value"] = tuple([self.build(n, depth + 1) for n in node.value])
        else:
            value = self._scalar(node, std)
            if tag is not None:
                # `- !EpochRangeModifier` with nothing below: SparseML builds it
                # from an empty mapping
                at["kind"], at["value"] = "map", _NO_KEYS
            else:
                at["value"] = value
                at["quoted"] = node.style in ("'", '"', "|", ">")
        return node_from(at)

    def _span(self, node: Any) -> tuple[int, int]:
        """The node's text in the file, without a leading `&anchor` or `!tag`."""
        text = self.text
        start, end = node.start_mark.index, node.end_mark.index
        while start < end and text[start] in "&!":
            while start < end and not text[start].isspace():
                start += 1
            while start < end and text[start] in " \t":
                start += 1
        return self.base + start, self.base + end

    def _explicit(self, node: Any) -> bool:
        """Whether the node's tag is written (`!!str 5`), not resolved by PyYAML."""
        text = self.src.yaml_text or ""
        i, end = node.start_mark.index, node.end_mark.index
        while i < end and text[i] in "&!":
            if text[i] == "!":
                return True
            while i < end and not text[i].isspace():
                i += 1
            while i < end and text[i].isspace():
                i += 1
        return False

    def _tag(self, node: Any, line: int, col: int) -> tuple[str | None, str | None]:
        raw = node.tag if type(node.tag) is str else str(node.tag or "")
        if raw in _PLAIN_TAGS:  # most nodes: a tag written only if `!` starts it
            text = self.text
            i = node.start_mark.index
            if i >= len(text) or text[i] not in "&!":
                return None, None
        if raw.startswith(STD):
            std = raw[len(STD) :]
            if std in _STD_ALLOWED:
                return None, std if self._explicit(node) else None
            self.problems.append(
                codes.make(
                    "RC011",
                    self.src.path,
                    line,
                    col,
                    f"the tag !!{std} is not allowed in a recipe",
                    "remove the tag; recipes hold modifiers, numbers and strings",
                )
            )
            return None, None
        if raw.startswith("!") and not raw.startswith("!!"):
            return raw[1:], None
        if raw and raw != "?":
            self.problems.append(
                codes.make(
                    "RC011",
                    self.src.path,
                    line,
                    col,
                    f"the tag {raw} is not allowed in a recipe",
                    "remove the tag",
                )
            )
        return None, None

    def _mapping(
        self, node: Any, depth: int, names: bool
    ) -> tuple[dict[Any, Node], dict[Any, tuple[int, int]]]:
        """The mapping's values and key positions; `names`: SparseML uses its keys
        as names, so a key that is not a string is a problem (RC012)."""
        values: dict[Any, Node] = {}
        keys: dict[Any, tuple[int, int]] = {}
        merged: list[Node] = []
        for knode, vnode in node.value:
            key_raw = str(getattr(knode.tag, "value", knode.tag) or "")
            if (
                isinstance(knode, ScalarNode)
                and knode.value == "<<"
                and not knode.style  # plain: None in PyYAML, "" in libyaml
            ) or key_raw.endswith(":merge"):
                value = self.build(vnode, depth + 1)
                merged.extend(value.value if value.kind == "seq" else [value])
                continue
            key = self.build(knode, depth + 1)
            kline, kcol = key.line, key.column
            if key.kind != "scalar":
                self.problems.append(
                    codes.make(
                        "RC012",
                        self.src.path,
                        kline,
                        kcol,
                        "a mapping or list used as a key",
                        "keys in a recipe are plain names",
                    )
                )
                continue
            k = key.value
            if depth == 0:
                self.top = (kline, kcol)
            if names and not isinstance(k, str):
                self.problems.append(
                    codes.make(
                        "RC012",
                        self.src.path,
                        kline,
                        kcol,
                        f"the key {knode.value!r} is read as {type(k).__name__} "
                        f"{k!r}, not as a name",
                        f"quote it: '{knode.value}'",
                    )
                )
            if k in values:
                self.problems.append(
                    codes.make(
                        "RC010",
                        self.src.path,
                        kline,
                        kcol,
                        f"the key {k!r} appears again in this mapping (first on line "
                        f"{keys[k][0]}); SparseML keeps only this last value",
                        "remove one of the two",
                    )
                )
                del values[k]  # last wins, and at the position of the last
            values[k] = self.build(vnode, depth + 1, k)
            keys[k] = (kline, kcol)
        # PyYAML flatten_mapping: explicit keys win over merged ones, earlier merges
        # win over later ones
        for m in merged:
            if m.kind != "map":
                line, col = m.line, m.column
                self.problems.append(
                    codes.make(
                        "RC001",
                        self.src.path,
                        line,
                        col,
                        "a merge key '<<' needs a mapping or a list of mappings",
                    )
                )
                continue
            for k, v in m.value.items():
                if k not in values:
                    values[k] = v
                    keys[k] = m.keys.get(k, (m.line, m.column))
        return values, keys

    def _scalar(self, node: Any, std: str | None) -> Any:
        text = node.value
        if std is None and node.style:
            return text  # quoted or block scalars are strings
        kind = std or _resolve(text)
        try:
            return _typed(text, kind)
        except (ValueError, IndexError):  # `!!int ''`: PyYAML fails with either
            line, col = self.pos(node)
            self.problems.append(
                codes.make(
                    "RC001",
                    self.src.path,
                    line,
                    col,
                    f"cannot read {text!r} as {kind}",
                )
            )
        return text


def _names_keys(node: Any, depth: int, tag: str | None, parent_key: Any) -> bool:
    """Whether SparseML uses this mapping's keys as names, where a float or int key
    crashes it: the recipe's top level and its stages (it asks `"modifiers" in
    key`: TypeError), a modifier's fields, a `*_kwargs` mapping (passed as
    keyword arguments: "keywords must be strings"), LayerThinning's
    `param_group_dependency_map` (its keys are parameter names: ValueError at
    load) and QAT's `scheme_overrides` (module names or types, matched with
    `startswith` when QAT starts: TypeError). Keys elsewhere are data, such as
    the sparsities of a `final_sparsity` mapping, and stay as YAML reads them.
    `grad_sampler_kwargs` is the user's integration's (MFAC and OBS hand the
    mapping over as it is; RigL's model checks its keys)."""
    if depth == 0 or tag is not None:
        return True
    if parent_key == "grad_sampler_kwargs":
        return False
    if parent_key in ("param_group_dependency_map", "scheme_overrides"):
        return True
    if isinstance(parent_key, str) and parent_key.endswith("kwargs"):
        return True
    return depth == 1 and any(
        isinstance(k, ScalarNode) and "modifiers" in str(k.value) for k, _ in node.value
    )


def plain_scalar(text: str) -> Any:
    """What PyYAML's SafeLoader makes of an untagged plain scalar (raises
    ValueError or IndexError where its constructor fails)."""
    return _typed(text, _resolve(text))


def _typed(text: str, kind: str) -> Any:
    if kind == "null":
        return None
    if kind == "bool":
        return text.lower() in _TRUE
    if kind == "int":
        return _construct_int(text)
    if kind == "float":
        return _construct_float(text)
    return text


def _resolve(text: str) -> str:
    """The implicit type of a plain scalar, trying only the patterns its first
    character can start (as PyYAML's resolver dispatches on it)."""
    first = text[:1]
    if first in _NULL_FIRST and _NULL.match(text):  # "" is in every str
        return "null"
    if first in "yYnNtTfFoO" and _BOOL.match(text):
        return "bool"
    if first in "-+0123456789" and _INT.match(text):
        return "int"
    if first in "-+.0123456789" and _FLOAT.match(text):
        return "float"
    return "str"


_NULL_FIRST = "~nN"


def _construct_int(text: str) -> int:
    value = text.replace("_", "")
    sign = -1 if value[0] == "-" else 1
    if value[0] in "+-":
        value = value[1:]
    if value == "0":
        return 0
    if value.startswith("0b"):
        return sign * int(value[2:], 2)
    if value.startswith("0x"):
        return sign * int(value[2:], 16)
    if value[0] == "0":
        return sign * int(value, 8)
    if ":" in value:
        return sign * _base60([int(p) for p in value.split(":")])
    return sign * int(value)


def _construct_float(text: str) -> float:
    value = text.replace("_", "").lower()
    sign = -1.0 if value[0] == "-" else 1.0
    if value[0] in "+-":
        value = value[1:]
    if value == ".inf":
        return sign * float("inf")
    if value == ".nan":
        return float("nan")
    if ":" in value:
        return sign * _base60([float(p) for p in value.split(":")])
    return sign * float(value)


def _base60(digits: list[Any]) -> Any:
    """YAML 1.1's sexagesimal numbers (`1:30` is 90), as PyYAML adds them up."""
    result, base = digits[0] * 0, 1
    for d in reversed(digits):
        result += d * base
        base *= 60
    return result
