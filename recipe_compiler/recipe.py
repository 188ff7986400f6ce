"""`load`: a recipe file or text to a typed `Recipe`, the way SparseML 1.8 reads it.

Follows `optim/helpers.py` (variables, `eval(...)`, stages, overrides) and
`optim/modifier.py: load_framework_list` (where modifiers may live) step by step,
on a tree that keeps every node's position, so each refusal SparseML would make
becomes a Problem at the line the user wrote.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import ValidationError

from . import codes, source, yamltree
from .expressions import (
    Evaluator,
    ExpressionError,
    UnknownName,
    is_eval_string,
    looks_like_eval,
    names_in,
)
from .markers import missing_markers
from .modifiers import REGISTRY, RENAMED, Modifier, did_you_mean, model_for
from .problems import Problem, Severity
from .source import Limits, Source
from .yamltree import Node

METADATA_KEY = "__metadata__"


class OverrideError(ValueError):
    """A `--var` override names no variable of the recipe (SparseML refuses it)."""


@dataclasses.dataclass
class Variable:
    name: str
    node: Node
    value: Any
    stage: str | None = None
    numeric: bool = False
    expression: str | None = None  # the text inside eval(...), when written so
    overridden: bool = False
    used_by: list[str] = dataclasses.field(default_factory=list)
    key_position: tuple[int, int] = (1, 1)


@dataclasses.dataclass
class Entry:
    """One modifier as written: where it is, what it says, what it became."""

    index: int
    tag: str
    node: Node
    group: str
    stage: str | None
    fields: dict[str, Any]
    model: Modifier | None = None
    expressions: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def line(self) -> int:
        return self.node.tag_line or self.node.line

    @property
    def column(self) -> int:
        return self.node.tag_column or self.node.column

    def field_position(self, name: str, value: bool = True) -> tuple[int, int]:
        """Where a field is written: its value (or key), else the tag."""
        node = self.node.get(name) if self.node.kind == "map" else None
        if node is None:
            return self.line, self.column
        if value and not node.via_alias:
            return node.line, node.column
        return self.node.key_position(name)


@dataclasses.dataclass
class Recipe:
    source: Source
    root: Node | None
    modifiers: list[Entry]
    variables: dict[str, Variable]
    stage_variables: dict[str, dict[str, Variable]]
    staged: bool
    problems: list[Problem]

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def ok(self) -> bool:
        return not any(p.severity is Severity.ERROR for p in self.problems)

    @property
    def models(self) -> list[tuple[Entry, Modifier]]:
        return [(e, e.model) for e in self.modifiers if e.model is not None]

    @property
    def max_epochs(self) -> float:
        """`BaseManager.max_epochs`: ceil of the largest start or end above -1."""
        vals = [
            math.ceil(x)
            for _, m in self.models
            for x in (m.start, m.end)
            if x > -1 and math.isfinite(x)
        ]
        return max(vals) if vals else -1

    @property
    def min_epochs(self) -> float:
        vals = [math.floor(m.start) for _, m in self.models if m.start > -1]
        return min(vals) if vals else -1

    def edited(self, text: str) -> Recipe:
        """This recipe's file holding `text` instead (an edit before it is written),
        read as the file would be: same path and kind, so problems name it."""
        return from_source(source.from_text(text, self.path, self.source.kind))

    def all_variables(self) -> Iterator[Variable]:
        yield from self.variables.values()
        for stage in self.stage_variables.values():
            yield from stage.values()


def load(
    path_or_text: str | os.PathLike[str],
    overrides: Mapping[str, Any] | None = None,
    limits: Limits | None = None,
    *,
    text: bool | None = None,
) -> Recipe:
    """Load a recipe from a path, or from text when it holds a newline (as SparseML).

    Raises OverrideError when an override names no variable; every other finding is
    a Problem on the returned Recipe.
    """
    limits = limits or Limits()
    raw = str(path_or_text)
    if text is None:
        text = "\n" in raw or "\r" in raw
    src = source.from_text(raw) if text else source.read(path_or_text, limits)
    return from_source(src, overrides, limits)


def from_source(
    src: Source,
    overrides: Mapping[str, Any] | None = None,
    limits: Limits | None = None,
) -> Recipe:
    limits = limits or Limits()
    problems = list(src.problems)
    recipe = Recipe(src, None, [], {}, {}, False, problems)
    if src.unreadable or src.yaml_text is None:
        return recipe
    problems.extend(source.tag_lines_with_dot(src))
    problems.extend(source.tags_after_keys(src))
    parsed = yamltree.parse(src, limits)
    problems.extend(parsed.problems)
    if parsed.problems and any(
        p.code in ("RC001", "RC008", "RC009") for p in parsed.problems
    ):
        markers = missing_markers(src)
        if markers:
            problems[:] = [p for p in problems if p.code != "RC001"] + markers
        return recipe
    recipe.root = parsed.root
    _Resolver(recipe, limits).run(dict(overrides or {}))
    return recipe


class _Resolver:
    def __init__(self, recipe: Recipe, limits: Limits):
        self.stage_counts: dict[str, int] = {}
        self.r = recipe
        self.limits = limits
        self.path = recipe.path

    def problem(
        self,
        code: str,
        node: Node | tuple[int, int],
        message: str,
        hint: str | None = None,
    ) -> None:
        line, col = (node.line, node.column) if isinstance(node, Node) else node
        self.r.problems.append(codes.make(code, self.path, line, col, message, hint))

    # -- structure ---------------------------------------------------------------
    def run(self, overrides: dict[str, Any]) -> None:
        root = self.r.root
        if root is None or (root.kind == "scalar" and root.tag is None):
            self.problem(
                "RC106",
                (1, 1) if root is None else root,
                "the recipe is empty"
                if root is None or root.value is None
                else "the recipe is a single value, not a mapping of modifiers",
                "list modifiers under a key named 'modifiers'",
            )
            return
        if root.kind == "seq":
            self.problem(
                "RC109",
                root,
                "the recipe is a bare list; SparseML crashes on it "
                "(AttributeError: 'list' object has no attribute 'items')",
                "put the list under a key: 'modifiers:' on the first line and the "
                "list indented below it",
            )
            return
        if root.tag is not None:
            # a single modifier at the top: SparseML takes it (no eval inside)
            self.r.modifiers = [self.entry(root, "", None, 0)]
            self.validate_all()
            return
        staged = any(
            v.kind == "map"
            and v.tag is None
            and any(isinstance(k, str) and "modifiers" in k for k in v.value)
            for v in root.value.values()
        )
        self.r.staged = staged
        if overrides:
            self.apply_overrides(root, overrides, staged)
        # load_framework_list: a top-level key containing 'modifiers' makes the whole
        # file one stage, even when variables were evaluated as a staged recipe
        flat = any(isinstance(k, str) and "modifiers" in k for k in root.value)
        if staged:
            self.run_staged(root, collect=not flat)
        else:
            variables = self.evaluate_container(root, None, {})
            self.r.variables = variables
            scope = dict(variables)
            for key, value in root.value.items():
                if isinstance(key, str) and "modifiers" in key:
                    self.evaluate_object(value, scope, key)
        if flat:
            self.collect(root, None)
        self.flag_unevaluated(root)
        self.validate_all()
        if staged and not flat:
            self.empty_stages(root)
        elif not self.r.modifiers:
            self.no_modifiers(root)

    def run_staged(self, root: Node, collect: bool) -> None:
        stages = {
            k: v
            for k, v in root.value.items()
            if v.kind == "map"
            and v.tag is None
            and any(isinstance(s, str) and "modifiers" in s for s in v.value)
        }
        main = Node(
            "map",
            {k: v for k, v in root.value.items() if k not in stages},
            root.line,
            root.column,
            keys=root.keys,
        )
        globals_ = self.evaluate_container(main, None, {})
        self.r.variables = globals_
        for name, stage in stages.items():
            local = self.evaluate_container(stage, name, globals_)
            self.r.stage_variables[name] = local
            scope = {**globals_, **local}
            for key, value in stage.value.items():
                if isinstance(key, str) and "modifiers" in key:
                    self.evaluate_object(value, scope, f"{name}.{key}")
            if collect:
                self.collect(stage, name)

    def apply_overrides(
        self, root: Node, overrides: dict[str, Any], staged: bool
    ) -> None:
        """`update_recipe_variables`: only keys that already hold a variable."""
        containers = [root]
        if staged:
            containers += [v for v in root.value.values() if v.kind == "map"]
        for name, value in overrides.items():
            found = False
            for c in containers:
                node = c.value.get(name)
                if node is None or (c is root and staged and node.kind == "map"):
                    continue
                if node.kind == "seq" and all(v.kind == "map" for v in node.value):
                    continue
                c.value[name] = Node("scalar", value, node.line, node.column)
                found = True
            if not found:
                keys = [k for c in containers for k in c.value]
                guess = did_you_mean(name, keys)
                raise OverrideError(
                    f"cannot override '{name}': the recipe has no variable of that "
                    "name (SparseML refuses to add one)"
                    + (f"; did you mean '{guess}'?" if guess else "")
                )

    # -- variables -----------------------------------------------------------------
    def evaluate_container(
        self, container: Node, stage: str | None, global_vars: dict[str, Variable]
    ) -> dict[str, Variable]:
        """`_evaluate_container_variables`: numbers and eval(...) to a fixed point."""
        numeric: dict[str, Any] = {}
        non_eval: dict[str, Any] = {}
        variables: dict[str, Variable] = {}
        pending: dict[str, str] = {}
        for name, node in container.value.items():
            if not isinstance(name, str):
                continue
            if isinstance(name, str) and "modifiers" in name:
                continue
            var = Variable(
                name,
                node,
                node.plain(),
                stage,
                key_position=container.key_position(name),
            )
            variables[name] = var
            val = node.value if node.kind == "scalar" else None
            if (
                node.kind == "scalar"
                and node.tag is None
                and isinstance(val, int | float)
            ):
                var.numeric = True
                numeric[name] = val
            elif node.kind == "scalar" and isinstance(val, str) and is_eval_string(val):
                var.expression = val[5:-1]
                pending[name] = val[5:-1]
        for name in container.value:
            if name in variables and name not in pending and name not in numeric:
                non_eval[name] = variables[name].value
        # fixed point, as SparseML iterates until no new variable is evaluated
        progress = True
        while pending and progress:
            progress = False
            for name in list(pending):
                expr = pending[name]
                var = variables[name]
                if expr in non_eval:
                    continue  # a non-numeric value: never becomes a number
                if global_vars and expr in global_vars:
                    gv = global_vars[expr]
                    gv.used_by.append(name)
                    if gv.numeric:
                        var.value, var.numeric = gv.value, True
                        numeric[name] = gv.value
                        del pending[name]
                        progress = True
                    continue
                ev = Evaluator(
                    numeric, self.limits.max_expression_chars, self.limits.max_int_bits
                )
                try:
                    value = ev.evaluate(expr)
                except UnknownName:
                    continue
                except ExpressionError as exc:
                    self.expression_problem(exc, var.node, expr)
                    del pending[name]
                    continue
                self.notes(ev, var.node)
                self.mark_used(expr, variables, name)
                if isinstance(value, int | float):
                    var.value, var.numeric = value, True
                    numeric[name] = value
                    del pending[name]
                    progress = True
                else:
                    self.problem(
                        "RC406", var.node, f"eval({expr}) gives {value!r}, not a number"
                    )
                    del pending[name]
        for name, expr in pending.items():
            self.unresolved(variables[name], expr, variables, stage, global_vars)
        return variables

    def unresolved(
        self,
        var: Variable,
        expr: str,
        variables: dict[str, Variable],
        stage: str | None,
        global_vars: dict[str, Variable],
    ) -> None:
        """Name why a variable's eval(...) never became a number."""
        names = names_in(expr)
        if (
            expr in variables
            and not variables[expr].numeric
            and variables[expr].expression is None
        ):
            self.problem(
                "RC406",
                var.node,
                f"{var.name}: eval({expr}) names a variable that is not a "
                "number, so SparseML cannot evaluate it",
                "use the value directly, or make it a number",
            )
            return
        undefined = [n for n in names if n not in variables]
        if undefined:
            n = undefined[0]
            in_globals = stage is not None and n in global_vars
            guess = did_you_mean(n, list(variables) + list(global_vars))
            if in_globals:
                msg = (
                    f"{var.name}: eval({expr}) uses the global variable '{n}' in "
                    "an expression; SparseML evaluates stage variables with the "
                    "stage's own numbers only, and fails with \"Unable to "
                    'evaluate expression"'
                )
                hint = f"write eval({n}) alone, or move '{var.name}' to the top level"
            else:
                msg = f"{var.name}: eval({expr}) uses '{n}', which is not defined"
                hint = (
                    f"did you mean '{guess}'?"
                    if guess
                    else f"define '{n}' at the top of the recipe"
                )
            self.problem("RC401", var.node, msg, hint)
            return
        non_numeric = [
            n
            for n in names
            if n in variables
            and not variables[n].numeric
            and variables[n].expression is None
        ]
        if non_numeric:
            n = non_numeric[0]
            shown = variables[n].value
            self.problem(
                "RC401",
                var.node,
                f"{var.name}: eval({expr}) uses '{n}', which is not a number "
                f"(YAML reads it as {type(shown).__name__} {shown!r})",
                "write the number with a dot and a signed exponent (1.0e-5), or "
                "without an exponent"
                if isinstance(shown, str)
                else None,
            )
            return
        cycle = [n for n in names if n in variables and variables[n].expression]
        self.problem(
            "RC405",
            var.node,
            f"{var.name}: eval({expr}) cannot be evaluated: "
            + (
                f"it depends on {', '.join(cycle)}, which depend back on it"
                if cycle
                else "its variables form a cycle"
            ),
            "break the cycle: give one of the variables a number",
        )

    def mark_used(
        self, expr: str, variables: Mapping[str, Variable], user: str
    ) -> None:
        for n in names_in(expr):
            if n in variables:
                variables[n].used_by.append(user)

    def evaluate_object(
        self, node: Node, scope: dict[str, Variable], where: str
    ) -> None:
        """`_maybe_evaluate_yaml_object`: each eval(...) under a modifiers key."""
        for child in node.walk():
            if child.kind != "scalar" or not is_eval_string(child.value):
                continue
            expr = child.value[5:-1]
            child.expression = expr
            var = scope.get(expr)
            if var is not None and not var.numeric:
                var.used_by.append(where)
                child.value = var.value
                continue
            numbers = {k: v.value for k, v in scope.items() if v.numeric}
            ev = Evaluator(
                numbers, self.limits.max_expression_chars, self.limits.max_int_bits
            )
            try:
                value = ev.evaluate(expr)
            except UnknownName as exc:
                name = exc.name or ""
                if name in scope:
                    shown = scope[name].value
                    self.problem(
                        "RC401",
                        child,
                        f"eval({expr}) uses '{name}', which is not a number (YAML "
                        f"reads it as {type(shown).__name__} {shown!r}); SparseML "
                        f'fails with "Unknown variable name in eval: {name}"',
                        "write the number with a dot and a signed exponent (1.0e-5)"
                        if isinstance(shown, str)
                        else None,
                    )
                else:
                    guess = did_you_mean(name, scope)
                    self.problem(
                        "RC401",
                        child,
                        f"eval({expr}) uses '{name}', which is not defined; SparseML "
                        f'fails with "Unknown variable name in eval: {name}"',
                        f"did you mean '{guess}'?"
                        if guess
                        else f"define '{name}' at the top of the recipe",
                    )
                child.value = None
                child.failed = True
                continue
            except ExpressionError as exc:
                self.expression_problem(exc, child, expr)
                child.value = None
                child.failed = True
                continue
            self.notes(ev, child)
            self.mark_used(expr, scope, where)
            if not isinstance(value, int | float):
                self.problem(
                    "RC406",
                    child,
                    f"eval({expr}) gives {value!r}; SparseML requires a float or int",
                )
                child.value = None
                child.failed = True
                continue
            child.value = value

    def expression_problem(self, exc: ExpressionError, node: Node, expr: str) -> None:
        self.problem(
            exc.code,
            node,
            f"eval({expr}): {exc}",
            "SparseML evaluates numbers, numeric variables, + - * / // ** % and "
            "abs, float, int, min, max, round",
        )

    def notes(self, ev: Evaluator, node: Node) -> None:
        for code, message in ev.notes[:1]:
            self.problem(
                code,
                node,
                message,
                "write the subtraction from zero instead, e.g. eval(0 - x), "
                "or run `recipe compile --flatten`",
            )

    def flag_unevaluated(self, root: Node) -> None:
        """eval(...) strings SparseML leaves as text, and near misses."""
        for node in root.walk():
            if node.kind != "scalar" or not isinstance(node.value, str):
                continue
            if looks_like_eval(node.value):
                self.problem(
                    "RC407",
                    node,
                    f"{node.value!r} is not evaluated: SparseML needs the text to "
                    "start with 'eval(' and end with ')' exactly",
                    "remove the spaces around it",
                )

    # -- modifiers -----------------------------------------------------------------
    def collect(self, container: Node, stage: str | None) -> None:
        """`_load_stage_modifiers` for the top level or one stage."""
        before = len(self.r.modifiers)
        for key, item in container.value.items():
            if isinstance(key, str) and "modifiers" in key and item.kind == "seq":
                for child in item.value:
                    if child.tag is None:
                        self.problem(
                            "RC108",
                            child,
                            f"this entry of '{key}' is not a tagged modifier; SparseML "
                            "crashes when it sorts the modifiers",
                            "start the entry with a tag such as !GMPruningModifier",
                        )
                        continue
                    self.add(child, key, stage)
            elif item.tag is not None:
                self.add(item, str(key), stage)
            elif item.kind == "seq" and any(c.tag for c in item.value):
                guess = did_you_mean(
                    str(key),
                    [
                        "modifiers",
                        "training_modifiers",
                        "pruning_modifiers",
                        "quantization_modifiers",
                    ],
                )
                self.problem(
                    "RC107",
                    container.key_position(key),
                    f"modifiers listed under '{key}': SparseML takes modifier lists "
                    "only from keys with 'modifiers' in their name and fails with "
                    '"Invalid modifier location"',
                    f"rename the key to '{guess}'"
                    if guess
                    else f"rename the key to '{key}_modifiers'",
                )
        if stage is not None:
            self.stage_counts[stage] = len(self.r.modifiers) - before

    def add(self, node: Node, group: str, stage: str | None) -> None:
        self.r.modifiers.append(self.entry(node, group, stage, len(self.r.modifiers)))

    def entry(self, node: Node, group: str, stage: str | None, index: int) -> Entry:
        fields = (
            {k: v.plain() for k, v in node.value.items()} if node.kind == "map" else {}
        )
        exprs = {
            k: v.expression
            for k, v in (node.value.items() if node.kind == "map" else [])
            if v.expression is not None
        }
        return Entry(
            index, node.tag or "", node, group, stage, fields, expressions=exprs
        )

    def validate_all(self) -> None:
        """Build every tagged node: PyYAML constructs tags anywhere in the file."""
        listed = {id(e.node): e for e in self.r.modifiers}
        for node in self.r.root.walk() if self.r.root else []:
            if node.tag is None:
                continue
            entry = listed.get(id(node)) or self.entry(node, "", None, -1)
            entry.model = self.build(entry)

    def build(self, e: Entry) -> Modifier | None:
        if any(n.failed for n in e.node.walk()):
            return None  # an eval(...) in it already failed with a problem
        cls = model_for(e.tag, e.fields)
        if cls is None:
            self.unknown_tag(e)
            return None
        try:
            return cls.model_validate(e.fields)
        except ValidationError as exc:
            self.schema_problems(e, cls, exc)
            return None

    def unknown_tag(self, e: Entry) -> None:
        tag = e.tag
        if "." in tag:
            prefix, _, name = tag.partition(".")
            if name in REGISTRY:
                self.problem(
                    "RC101",
                    (e.line, e.column),
                    f"!{tag}: SparseML does not accept the framework prefix "
                    f"'{prefix}.' in a recipe",
                    f"write !{name}",
                )
                return
        guess = RENAMED.get(tag) or did_you_mean(tag, REGISTRY, cutoff=0.5)
        self.problem(
            "RC101",
            (e.line, e.column),
            f'!{tag} is not a SparseML 1.8 modifier; SparseML fails with "could not '
            f"determine a constructor for the tag '!pytorch.{tag}'\"",
            f"did you mean !{guess}?"
            if guess
            else "see `recipe schema` for the modifiers SparseML 1.8 knows",
        )

    def schema_problems(
        self, e: Entry, cls: type[Modifier], exc: ValidationError
    ) -> None:
        by_field: dict[str, Any] = {}
        for err in exc.errors():
            loc = err["loc"]
            field = str(loc[0]) if loc else (err.get("ctx") or {}).get("field", "")
            if not loc and err.get("ctx", {}).get("field"):
                field = err["ctx"]["field"]
            prev = by_field.get(field)
            if prev is None or len(err["loc"]) > len(prev["loc"]):
                by_field[field] = err
        name = cls.__name__ if cls.__name__ == cls.TAG else f"{cls.TAG} (legacy form)"
        for field, err in by_field.items():
            etype = err["type"]
            if etype == "missing":
                self.problem(
                    "RC103",
                    (e.line, e.column),
                    f"!{e.tag} is missing the required field '{field}'; SparseML "
                    f'fails with "__init__() missing 1 required positional argument: '
                    f"'{field}'\"",
                    f"add '{field}: ...' to this modifier",
                )
            elif etype == "extra_forbidden":
                choices = [f for f in cls.model_fields if f != "log_types"]
                guess = did_you_mean(field, choices)
                self.problem(
                    "RC102",
                    e.field_position(field, value=False),
                    f"!{e.tag} has no field '{field}'; SparseML fails with "
                    f"\"__init__() got an unexpected keyword argument '{field}'\"",
                    f"did you mean '{guess}'?"
                    if guess
                    else f"fields of {name}: " + ", ".join(choices),
                )
            else:
                code = (
                    etype
                    if etype.startswith("RC")
                    else ("RC105" if etype in ("literal_error", "enum") else "RC104")
                )
                where = (
                    self.locate(e, err["loc"])
                    if err["loc"]
                    else e.field_position(field)
                )
                msg = err["msg"]
                prefix = "" if msg.startswith(field) else f"{field}: "
                self.problem(
                    code,
                    where,
                    f"!{e.tag} {prefix}{msg}".strip(),
                    _hint_for(code, field),
                )

    def locate(self, e: Entry, loc: tuple[Any, ...]) -> tuple[int, int]:
        node = e.node
        pos = (e.line, e.column)
        for part in loc:
            nxt = None
            if (node.kind == "map" and part in node.value) or (
                node.kind == "seq" and isinstance(part, int) and part < len(node.value)
            ):
                nxt = node.value[part]
            if nxt is None:
                continue
            node = nxt
            pos = (node.line, node.column) if not node.via_alias else pos
        return pos

    def no_modifiers(self, root: Node) -> None:
        """RC106: SparseML's "Unable to find any modifiers", with the likely cause."""
        keys = [k for k in root.value if isinstance(k, str)]
        holder = next((k for k in keys if "modifiers" in k), None)
        guess = holder or next(
            (
                k
                for k in keys
                if did_you_mean(k, ["modifiers"], cutoff=0.75)
                or "modifier" in k.lower()
            ),
            None,
        )
        where = root.key_position(guess) if guess else (root.line, root.column)
        message = (
            'SparseML finds no modifiers: it fails with "Unable to find any '
            'modifiers in given recipe"'
        )
        if holder:
            message += f"; '{holder}' holds no list of tagged modifiers"
            hint = f"list the modifiers under '{holder}', each as '- !ModifierName'"
        elif guess:
            message += f"; the key '{guess}' is read as a plain variable"
            hint = "name the key 'modifiers' (or any name containing 'modifiers')"
        else:
            hint = (
                "list the modifiers under a key whose name contains 'modifiers', "
                "e.g. 'modifiers:' or 'training_modifiers:'"
            )
        self.problem("RC106", where, message, hint)

    def empty_stages(self, root: Node) -> None:
        """Stages without modifiers: one loads and does nothing, several crash."""
        empty = [s for s, n in self.stage_counts.items() if n == 0]
        if not empty:
            return
        stage = root.value[empty[0]]
        untagged = any(
            sub.kind == "map"
            for k, sub in stage.value.items()
            if isinstance(k, str) and "modifiers" in k
        )
        crash = len(self.stage_counts) > 1
        consequence = (
            'SparseML fails with "ValueError: max() arg is an empty sequence" when '
            "it orders the stages"
            if crash
            else "SparseML loads it with no modifiers, so training runs unmodified"
        )
        if untagged:
            code = "RC110"
            message = (
                f"stage '{empty[0]}' lists untagged new-framework modifiers, which "
                f"SparseML's legacy ScheduledModifierManager ignores: {consequence}"
            )
            hint = (
                "load it with sparseml.core's Recipe, or write each modifier as a "
                "tagged list item ('- !GMPruningModifier')"
            )
        else:
            code = "RC106"
            message = f"stage '{empty[0]}' has no modifiers: {consequence}"
            hint = "list the stage's modifiers as '- !ModifierName' items"
        line, col = root.key_position(empty[0])
        problem = codes.make(code, self.path, line, col, message, hint)
        self.r.problems.append(
            problem.replace(severity=Severity.ERROR if crash else Severity.WARNING)
        )


def _hint_for(code: str, field: str) -> str | None:
    return {
        "RC201": "make end_epoch at least start_epoch, or -1 where the modifier "
        "allows it",
        "RC202": "epochs are -1 (unset) or at least 0",
        "RC203": "remove end_epoch: QAT runs until training ends",
        "RC204": "use -1 (every step) or a positive number of epochs",
        "RC301": "sparsities are fractions: init_sparsity in [0, 1], "
        "final_sparsity in (0, 1)",
        "RC302": "learning rates are in (0, 1]",
    }.get(code)
