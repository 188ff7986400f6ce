"""What the language server knows of one open document, computed once per version.

Pure: text, path and settings in, an immutable `Analysis` out; the server
(`lsp/server.py`) only turns its answers into LSP messages. Lines and columns are
the file's, 1-based, in code points, as every `Problem` has them; `lsp/server.py`
converts to the protocol's 0-based UTF-16 positions.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..linter.config import Config
from ..linter.engine import lint_recipe
from ..loader.expressions import names_in
from ..loader.recipe import Recipe, Variable, from_source
from ..loader.source import Limits, check_extension, from_bytes, kind_of
from ..loader.yamltree import Node
from ..model.network import Network
from ..problems import Problem
from ..schedule.clock import DEFAULT_STEPS_PER_EPOCH, Clock

Span = tuple[int, int]  # [start, end) offsets in the document's text
_NAME = re.compile(r"[A-Za-z_]\w*")
_TOKEN = re.compile(r"[^\s,\[\]{}#]+")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_OTHER_BREAKS = re.compile("[\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
# the did-you-mean hints a quick fix applies (a modifier, field or scheme name)
_RENAMES = frozenset({"RC705", "RC713", "RC716"})
_DID_YOU_MEAN = re.compile(r"did you mean '?([\w.:-]+)'?\?")


@dataclasses.dataclass(frozen=True)
class Settings:
    """What a document is linted with: the project's config (its select/ignore,
    `steps-per-epoch` and `model`) and the network that model names."""

    config: Config = dataclasses.field(default_factory=Config)
    steps_per_epoch: int = DEFAULT_STEPS_PER_EPOCH
    network: Network | None = None
    limits: Limits = dataclasses.field(default_factory=Limits)


@dataclasses.dataclass(frozen=True)
class _Eval:
    span: Span
    expression: str  # the text inside eval(...)
    value: Any  # None when it failed (a diagnostic says why)
    stage: str | None  # the stage whose variables it sees
    where: str  # "!GMPruningModifier end_epoch (line 12)", "variable x (line 3)"
    variable: Variable | None = None  # the variable it defines, if it does


@dataclasses.dataclass(frozen=True)
class Hover:
    span: Span
    text: str  # markdown


@dataclasses.dataclass(frozen=True)
class Location:
    span: Span


@dataclasses.dataclass(frozen=True)
class TextEdit:
    span: Span
    new_text: str


@dataclasses.dataclass(frozen=True)
class Fix:
    title: str
    code: str
    edits: tuple[TextEdit, ...]


def is_recipe(text: str, path: str, config: Config) -> bool:
    """Whether an open document is linted: a YAML file that mentions modifiers, a
    markdown file whose front matter does (as folder walks take them), not a lint
    config and not excluded by the config. Editors send every YAML file."""
    from ..linter.config import CONFIG_NAMES
    from ..linter.discovery import is_recipe_card, mentions_modifiers

    p = Path(path)
    if p.name in CONFIG_NAMES or config.excludes(p):
        return False
    if kind_of(path) == "md":
        return is_recipe_card(text)
    return mentions_modifiers(text)


def analyse(
    text: str, path: str, settings: Settings, previous: Analysis | None = None
) -> Analysis:
    """Load and lint `text` as the file at `path` would be (no problems for a
    document that is not a recipe). `previous`: the document's analysis before
    this edit, whose tree an edit inside one value reuses."""
    src = from_bytes(
        text.encode("utf-8", "surrogatepass"), path, kind_of(path), settings.limits
    )
    if not src.unreadable:
        check_extension(src)
    before = None
    if previous is not None and previous.settings.limits == settings.limits:
        before = previous.recipe
    recipe = from_source(src, {}, settings.limits, previous=before, remember=True)
    problems = []
    if is_recipe(text, path, settings.config):
        problems = lint_recipe(
            recipe, settings.config, settings.steps_per_epoch, settings.network
        ).problems
    inherited = None
    edit = recipe.parsed.edit if recipe.parsed is not None else None
    if edit is not None and previous is not None:  # patched from previous's tree
        inherited = previous._spans, edit
    return Analysis(text, recipe, tuple(problems), settings, inherited)


@dataclasses.dataclass(frozen=True, eq=False)
class Analysis:
    text: str
    recipe: Recipe
    problems: tuple[Problem, ...]
    settings: Settings
    # the previous analysis's problem spans and the edit since (`Parsed.edit`):
    # a heavy recipe's edit keeps most problems where they were, and descending
    # the tree again for each costs more than the lint of one modifier
    inherited: tuple[dict[tuple[int, int], Span], tuple[int, int, int]] | None = (
        dataclasses.field(default=None, repr=False)
    )

    # -- positions ------------------------------------------------------------------

    @functools.cached_property
    def _line_starts(self) -> list[int]:
        """Where each line starts (LF, CRLF and CR end lines, as YAML's do)."""
        text = self.text
        if _OTHER_BREAKS.search(text) is None:  # splitlines breaks at these too
            return [0, *itertools.accumulate(map(len, text.splitlines(True)))][
                : text.count("\n") + text.count("\r") - text.count("\r\n") + 1
            ]
        starts = [0]
        starts += [m.end() for m in re.finditer(r"\r\n|\n|\r", text)]
        return starts

    def offset(self, line: int, column: int) -> int:
        """The text offset of a 1-based line and column."""
        starts = self._line_starts
        if line < 1:
            return 0
        if line > len(starts):
            return len(self.text)
        end = starts[line] if line < len(starts) else len(self.text)
        return min(starts[line - 1] + max(column - 1, 0), end)

    @functools.cached_property
    def narrow(self) -> bool:
        """Whether every character is one UTF-16 code unit (LSP's columns)."""
        return self.text.isascii() or _ASTRAL.search(self.text) is None

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based line and column of a text offset."""
        i = bisect.bisect_right(self._line_starts, offset) - 1
        return i + 1, offset - self._line_starts[i] + 1

    def _end_at(self, offset: int) -> int | None:
        """Where the key, value or tag written at `offset` ends, if one is: found
        by descending to it, not by walking the tree (a heavy recipe's edit with a
        problem on every modifier would walk thousands of nodes)."""
        node = self.recipe.root
        where = self.position(offset)  # nodes keep lines and columns
        while node is not None and not node.via_alias:
            a, b = node.span
            if node.kind == "scalar":
                here = b > a and (node.line, node.column) == where
                return b if here else None
            if node.tag is not None and (node.tag_line, node.tag_column) == where:
                return offset + 1 + len(node.tag)
            for key, at in node.keys.items():
                if at == where:
                    width = len(str(key))
                    if self.text[offset : offset + width] == str(key):
                        return offset + width
            node = self._child_at(node, offset)
        return None

    def _child_at(self, node: Node, offset: int) -> Node | None:
        """The child of `node` whose text (from its tag or first key to its end)
        holds `offset`."""
        found = self._children.get(id(node))
        if found is None:
            kids = [c for c in node.children() if not c.via_alias]
            starts = [self.offset(c.line, c.column) for c in kids]
            found = kids, starts, starts == sorted(starts)
            self._children[id(node)] = found
        kids, starts, ordered = found
        if ordered:
            i = bisect.bisect_right(starts, offset) - 1
            if i >= 0 and offset <= kids[i].span[1]:
                return kids[i]
            return None
        for child, start in zip(kids, starts, strict=True):  # merged: unordered
            if start <= offset <= child.span[1]:
                return child
        return None

    @functools.cached_property
    def _children(self) -> dict[int, tuple[list[Node], list[int], bool]]:
        return {}

    def problem_span(self, p: Problem) -> Span:
        """A problem's range: the key, value or tag it starts at, else the token
        there, else the rest of its line."""
        key = (p.line, p.column)
        found = self._spans.get(key)
        if found is None:
            found = self._inherited_span(key) or self._span_at(*key)
            self._spans[key] = found
        return found

    @functools.cached_property
    def _spans(self) -> dict[tuple[int, int], Span]:
        return {}

    def _inherited_span(self, key: tuple[int, int]) -> Span | None:
        """The previous text's span at this line and column when it lay wholly
        before or after the edit (the text it covers is unchanged, moved by the
        edit's length change when after it), else None."""
        if self.inherited is None:
            return None
        spans, (a, b, delta) = self.inherited
        old = spans.get(key)
        if old is None:
            return None
        s, e = old
        start = self.offset(*key)
        if e < a and s == start:
            return old
        if s >= b and s + delta == start:
            return s + delta, e + delta
        return None

    def _span_at(self, line: int, column: int) -> Span:
        start = self.offset(line, column)
        end = self._end_at(start)
        if end is None:
            m = _TOKEN.match(self.text, start)
            end = m.end() if m else start
        if end <= start:
            line_start = self.offset(line, 1)
            text = self.text[line_start : self.offset(line + 1, 1)]
            end = max(line_start + len(text.rstrip("\r\n")), start)
        return start, end

    # -- what names what --------------------------------------------------------------

    @functools.cached_property
    def _evals(self) -> list[_Eval]:
        """Every eval(...) written here (not repeated by an alias), in order."""
        out = []
        values = self.recipe.values
        for entry in self.recipe.modifiers:
            if entry.node.kind != "map":
                continue
            for field, top in entry.node.value.items():
                for n in top.walk():
                    expr = values.expression(n)
                    if expr is None or n.via_alias:
                        continue
                    value = None if values.failed(n) else values.value(n)
                    where = f"!{entry.tag} {field} (line {n.line})"
                    out.append(_Eval(n.span, expr, value, entry.stage, where))
        for var in self.recipe.all_variables():
            if var.expression is not None and not var.node.via_alias:
                where = f"variable {var.name} (line {var.node.line})"
                out.append(
                    _Eval(
                        var.node.span,
                        var.expression,
                        var.value,
                        var.stage,
                        where,
                        var,
                    )
                )
        return sorted(out, key=lambda e: e.span)

    @functools.cached_property
    def users(self) -> dict[tuple[str | None, str], list[str]]:
        """(stage, variable name) -> the fields and variables whose eval(...) use
        it, as `recipe variables` lists them."""
        out: dict[tuple[str | None, str], list[str]] = {}
        for e in self._evals:
            for name in names_in(e.expression):
                var = self.recipe.values.scope(e.stage).get(name)
                if var is not None:
                    out.setdefault((var.stage, name), []).append(e.where)
        return out

    def _eval_at(self, offset: int) -> _Eval | None:
        for e in self._evals:
            if e.span[0] <= offset < e.span[1]:
                return e
        return None

    def _name_at(self, offset: int) -> tuple[Span, str] | None:
        """The identifier under the cursor inside an eval(...)."""
        e = self._eval_at(offset)
        if e is None:
            return None
        a, b = e.span
        inner = self.text.find("eval(", a, b)
        for m in _NAME.finditer(self.text, max(inner + 5, a), b):
            if m.start() <= offset < m.end() or (m.end() == offset and offset > a):
                if m.group() == "eval":
                    return None
                return (m.start(), m.end()), m.group()
        return None

    def _variable_key_at(self, offset: int) -> tuple[Span, Variable] | None:
        for var in self.recipe.all_variables():
            start = self.offset(*var.key_position)
            if start <= offset < start + len(var.name) and (
                self.text[start : start + len(var.name)] == var.name
            ):
                return (start, start + len(var.name)), var
        return None

    # -- hover ---------------------------------------------------------------------

    def hover(self, offset: int) -> Hover | None:
        name = self._name_at(offset)
        if name is not None:
            span, ident = name
            e = self._eval_at(offset)
            assert e is not None
            var = self.recipe.values.scope(e.stage).get(ident)
            if var is not None:
                return Hover(span, self._variable_text(var))
            return Hover(span, f"`{ident}`: no such variable in scope")
        key = self._variable_key_at(offset)
        if key is not None:
            return Hover(key[0], self._variable_text(key[1]))
        e = self._eval_at(offset)
        if e is not None and e.variable is not None:
            return Hover(e.span, self._variable_text(e.variable))
        if e is not None:
            text = f"`eval({e.expression})` = **{_shown(e.value)}**"
            epoch = self._epoch_text(e.span)
            return Hover(e.span, text + (f"\n\n{epoch}" if epoch else ""))
        return self._epoch_hover(offset) or self._scheme_hover(offset)

    def _scheme_hover(self, offset: int) -> Hover | None:
        """A preset scheme name under `scheme:` (llm-compressor's, compressed-
        tensors' presets): what it quantizes, with bits, strategy, group size."""
        from ..dialects.llmcompressor.scheme_text import preset_text

        root = self.recipe.root
        for node in [] if root is None else root.walk():
            if node.kind != "map" or "scheme" not in node.value:
                continue
            value = node.value["scheme"]
            names: list[tuple[Span, Any]] = []
            if value.kind == "scalar" and not value.via_alias:
                names.append((value.span, value.value))
            elif value.kind == "map":
                for key in value.value:
                    start = self.offset(*value.key_position(key))
                    names.append(((start, start + len(str(key))), key))
            for (a, b), name in names:
                if a <= offset <= b and isinstance(name, str):
                    text = preset_text(name)
                    if text is not None:
                        return Hover((a, b), text)
        return None

    def _variable_text(self, var: Variable) -> str:
        where = f" (stage {var.stage})" if var.stage else ""
        line = self.position(self.offset(*var.key_position))[0]
        head = f"**{var.name}**{where} = **{_shown(var.value)}**"
        if var.expression is not None:
            head += f" from `eval({var.expression})`"
        used = self.users.get((var.stage, var.name), [])
        body = "used by: " + (", ".join(used) if used else "nothing")
        return f"{head}  \ndefined at line {line}; {body}"

    @functools.cached_property
    def _epoch_fields(self) -> dict[Span, tuple[Span, str, str, float]]:
        """The epoch-valued fields of every modifier, by the span of their key and
        of their value: (value span, modifier tag, field, epoch)."""
        from ..edit.origins import numeric_sites
        from ..modifiers.fields import FIELD_UNITS

        out: dict[Span, tuple[Span, str, str, float]] = {}
        for site in numeric_sites(self.recipe, FIELD_UNITS):
            if site.kind != "epoch" or site.node.via_alias:
                continue
            field = str(site.path[0])
            found = (site.node.span, site.entry.tag, field, float(site.value))
            out[site.node.span] = found
            if len(site.path) == 1 and field in site.entry.node.keys:
                start = self.offset(*site.entry.node.keys[field])
                if self.text[start : start + len(field)] == field:
                    out[(start, start + len(field))] = found
        return out

    def _epoch_hover(self, offset: int) -> Hover | None:
        for span in self._epoch_fields:
            if span[0] <= offset < span[1]:
                text = self._epoch_text(span)
                return Hover(span, text) if text else None
        return None

    @functools.cached_property
    def _timeline(self) -> Any:
        from ..schedule.timeline import ScheduleError, plan

        if self.recipe.root is None:
            return None
        try:  # a recipe with errors: planned from the modifiers that loaded
            return plan(
                self.recipe, self.settings.steps_per_epoch, partial=not self.recipe.ok
            )
        except (ScheduleError, ValueError, ArithmeticError):
            return None

    def _epoch_text(self, span: Span) -> str | None:
        """The step an epoch field lands on at the project's steps per epoch (as
        SparseML's clock reaches it), and the phases of training there."""
        if span not in self._epoch_fields:
            return None
        _, tag, field, epoch = self._epoch_fields[span]
        spe = self.settings.steps_per_epoch
        t = self._timeline
        at = f"at {spe:,} steps per epoch"
        if t is None:
            return None  # nothing loaded to place it in
        clock = Clock(spe, t.total_steps)
        if field == "start_epoch":
            step = clock.start_step(epoch)
        elif field == "end_epoch":
            step = clock.end_step(epoch)
        else:
            step = clock.first_at_or_after(epoch)
        what = f"`!{tag}` {field} {epoch:g}"
        if step is None:
            if epoch == -1 and field in ("start_epoch", "end_epoch"):
                edge = "the first step" if field == "start_epoch" else "the end"
                return f"{what}: from {edge} of training ({at})"
            return (
                f"{what} lands on no step {at}: training has steps 0 to "
                f"{t.total_steps - 1:,} (epoch {t.max_epochs:g})"
            )
        text = f"{what} lands on **step {step:,}** {at}"
        here = [p for p in t.phases if p.start_step <= step < p.end_step]
        if here:
            text += "; phase: " + ", ".join(
                f"**{p.name}** (steps {p.start_step:,} to {p.end_step - 1:,})"
                for p in here
            )
        return text

    # -- definition ------------------------------------------------------------------

    def definition(self, offset: int) -> Location | None:
        name = self._name_at(offset)
        if name is not None:
            e = self._eval_at(offset)
            assert e is not None
            var = self.recipe.values.scope(e.stage).get(name[1])
            if var is not None:
                start = self.offset(*var.key_position)
                return Location((start, start + len(var.name)))
            return None
        return self._anchor_of_alias(offset)

    @functools.cached_property
    def _anchors(self) -> list[tuple[str, Span, bool]]:
        """(name, span, is_alias) of every `&anchor` and `*alias` token, in order."""
        from ruamel.yaml import YAML
        from ruamel.yaml.error import YAMLError
        from ruamel.yaml.tokens import AliasToken, AnchorToken

        src = self.recipe.source
        if src.yaml_text is None or "*" not in src.yaml_text:
            return []
        out = []
        base = src.yaml_start
        try:
            for tok in YAML(typ="safe", pure=True).scan(src.yaml_text):
                if isinstance(tok, AnchorToken | AliasToken):
                    a = base + tok.start_mark.index
                    b = base + tok.end_mark.index
                    out.append((tok.value, (a, b), isinstance(tok, AliasToken)))
        except YAMLError:
            pass
        return out

    def _anchor_of_alias(self, offset: int) -> Location | None:
        defined: dict[str, Span] = {}
        for name, span, alias in self._anchors:
            if not alias:
                defined[name] = span
            elif span[0] <= offset < span[1] and name in defined:
                return Location(defined[name])
        return None

    # -- code actions ----------------------------------------------------------------

    def fixes(self, span: Span) -> list[Fix]:
        """The `--fix` edit (missing `- ` list markers) where an RC002 is in range;
        the did-you-mean of a misspelled llm-compressor modifier, field or scheme
        name (RC705, RC713, RC716) where one is."""
        from ..loader.list_markers import add_markers

        out = [
            fix
            for p in self.problems
            if p.code in _RENAMES and _overlaps(self.problem_span(p), span)
            for fix in self._rename(p)
        ]
        hits = [
            p
            for p in self.problems
            if p.code == "RC002" and _overlaps(self.problem_span(p), span)
        ]
        if not hits:
            return out
        fixed = add_markers(self.recipe.source)
        if fixed is None:
            return out
        return [
            *out,
            Fix(
                "Add the missing '- ' list markers (recipe lint --fix)",
                "RC002",
                tuple(_line_edits(self.text, fixed)),
            ),
        ]

    def _rename(self, p: Problem) -> list[Fix]:
        """The name the hint suggests, written over the misspelled one."""
        m = _DID_YOU_MEAN.fullmatch(p.hint or "")
        if m is None:
            return []
        start, end = self.problem_span(p)
        written, guess = self.text[start:end], m.group(1)
        if not written or written == guess:
            return []
        return [
            Fix(
                f"Change '{written}' to '{guess}'",
                p.code,
                (TextEdit((start, end), guess),),
            )
        ]


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _line_edits(old: str, new: str) -> Iterator[TextEdit]:
    """The smallest line-wise edits from `old` to `new` (an editor keeps the
    cursor and the undo step small)."""
    import difflib

    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    starts = [0]
    for line in a:
        starts.append(starts[-1] + len(line))
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
        if op != "equal":
            yield TextEdit((starts[i1], starts[i2]), "".join(b[j1:j2]))


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | dict):
        return f"<{type(value).__name__}>"
    return str(value)
