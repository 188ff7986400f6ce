"""Variables and `eval(...)`, as `optim/helpers.py` evaluates them, bugs included.

Variables of a container (overrides already applied, `overrides.py`) are evaluated
to a fixed point (`_evaluate_container_variables`), stage variables with the stage's
own numbers only; then every `eval(...)` under a modifiers key is evaluated
(`_maybe_evaluate_yaml_object`) with the variables in scope. Nothing is written
into the tree: the result says what each `eval(...)` node became, keyed by node.
`expressions.py` does the arithmetic; Python's `eval` is never called.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping
from typing import Any

from .._text import did_you_mean
from ..problems import Problem
from . import codes
from .expressions import (
    Evaluator,
    ExpressionError,
    UnknownName,
    is_eval_string,
    looks_like_eval,
    names_in,
)
from .layout import Layout, holds_modifiers
from .source import Limits
from .yamltree import Node


@dataclasses.dataclass
class Variable:
    """A recipe variable and what it evaluated to; `used_by` names its users."""

    name: str
    node: Node
    value: Any
    stage: str | None = None
    numeric: bool = False
    expression: str | None = None  # the text inside eval(...), when written so
    used_by: list[str] = dataclasses.field(default_factory=list)
    key_position: tuple[int, int] = (1, 1)
    aliases: int = 0  # how many times a YAML alias repeats its value


@dataclasses.dataclass(frozen=True)
class Evaluated:
    """What one `eval(...)` string under a modifiers key became."""

    expression: str  # the text inside eval(...)
    value: Any  # the number (or a non-numeric variable's value); None when failed
    failed: bool = False  # a Problem says why


@dataclasses.dataclass(frozen=True)
class Values:
    """The variables and the value of every evaluated node of one recipe."""

    variables: Mapping[str, Variable] = dataclasses.field(default_factory=dict)
    stage_variables: Mapping[str, Mapping[str, Variable]] = dataclasses.field(
        default_factory=dict
    )
    evaluated: Mapping[Node, Evaluated] = dataclasses.field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    def scope(self, stage: str | None) -> dict[str, Variable]:
        """The variables an eval(...) in `stage` sees: the recipe's, shadowed by
        the stage's own (SparseML's order)."""
        return {**self.variables, **self.stage_variables.get(stage or "", {})}

    def value(self, node: Node) -> Any:
        """The scalar's value after evaluation (the node's own value otherwise)."""
        done = self.evaluated.get(node)
        return node.value if done is None else done.value

    def expression(self, node: Node) -> str | None:
        """The text inside `eval(...)` this node's value came from, if it did."""
        done = self.evaluated.get(node)
        return None if done is None else done.expression

    def failed(self, node: Node) -> bool:
        done = self.evaluated.get(node)
        return done is not None and done.failed

    @functools.cached_property
    def any_failed(self) -> bool:
        """Whether any eval(...) failed (most recipes: none, and nothing to look
        for node by node)."""
        return any(done.failed for done in self.evaluated.values())

    def plain(self, node: Node) -> Any:
        """Like `Node.plain`, with every evaluated `eval(...)` replaced by its value."""
        if self.evaluated and node in self.evaluated:
            return self.evaluated[node].value
        if node.kind == "map":
            return {k: self.plain(v) for k, v in node.value.items()}
        if node.kind == "seq":
            return [self.plain(v) for v in node.value]
        return node.value


NO_VALUES = Values()


def evaluate(
    root: Node,
    layout: Layout,
    aliases: Mapping[int, int],
    limits: Limits,
    path: str,
    text: str = "",
) -> Values:
    """Every variable and every `eval(...)` under a modifiers key, as SparseML.
    `text` is the file's, where node spans point (problems then name positions
    inside an expression)."""
    return _Evaluation(aliases, limits, path, text).run(root, layout)


class _Evaluation:
    def __init__(
        self, aliases: Mapping[int, int], limits: Limits, path: str, text: str = ""
    ):
        self.aliases, self.limits, self.path = aliases, limits, path
        self.text = text
        self.problems: list[Problem] = []
        self.evaluated: dict[Node, Evaluated] = {}
        # by id(scope); the scope is held so that its id is never reused
        self.numbers: dict[int, tuple[dict[str, Variable], dict[str, Any]]] = {}
        self.outcomes: dict[tuple[int, str], Any] = {}

    def problem(
        self,
        code: str,
        node: Node,
        message: str,
        hint: str | None = None,
        name: str | None = None,
    ) -> None:
        line, column = self.name_position(node, name) if name else (None, None)
        self.problems.append(
            codes.make(
                code,
                self.path,
                line or node.line,
                column or node.column,
                message,
                hint,
            )
        )

    def name_position(self, node: Node, name: str) -> tuple[int | None, int | None]:
        """Where `name` is written inside the node's eval(...), when the node is
        written here (not through an alias) and the name appears once."""
        a, b = node.span
        raw = self.text[a:b]
        start = raw.find("eval(")
        if node.via_alias or start < 0 or b <= a:
            return None, None
        found = [
            m.start()
            for m in re.finditer(rf"(?<![\w.]){re.escape(name)}(?!\w)", raw)
            if m.start() > start
        ]
        if len(found) != 1:
            return None, None
        at = a + found[0]
        line = self.text.count("\n", 0, at) + 1
        return line, at - (self.text.rfind("\n", 0, at) + 1) + 1

    def run(self, root: Node, layout: Layout) -> Values:
        stage_variables: dict[str, dict[str, Variable]] = {}
        if layout.staged:
            main = {k: v for k, v in root.value.items() if k not in layout.stages}
            variables = self.container(main, root, None, {})
            for name, stage in layout.stages.items():
                local = self.container(stage.value, stage, name, variables)
                stage_variables[name] = local
                scope = {**variables, **local}
                for key, value in stage.value.items():
                    if holds_modifiers(key):
                        self.modifiers(value, scope, f"{name}.{key}")
        else:
            variables = self.container(root.value, root, None, {})
            scope = dict(variables)
            for key, value in root.value.items():
                if holds_modifiers(key):
                    self.modifiers(value, scope, key)
        return Values(variables, stage_variables, self.evaluated, tuple(self.problems))

    def variable(
        self, name: str, node: Node, stage: str | None, key: tuple[int, int]
    ) -> Variable:
        aliases = 0 if node.via_alias else self.aliases.get(node.anchor, 0)
        return Variable(
            name, node, node.plain(), stage, key_position=key, aliases=aliases
        )

    def container(
        self,
        items: Mapping[Any, Node],
        holder: Node,
        stage: str | None,
        global_vars: dict[str, Variable],
    ) -> dict[str, Variable]:
        """`_evaluate_container_variables`: numbers and eval(...) to a fixed point."""
        numeric: dict[str, Any] = {}
        variables: dict[str, Variable] = {}
        pending: dict[str, str] = {}
        for name, node in items.items():
            if not isinstance(name, str) or holds_modifiers(name):
                continue
            var = self.variable(name, node, stage, holder.key_position(name))
            variables[name] = var
            if node.kind != "scalar":
                continue
            if node.tag is None and isinstance(node.value, int | float):
                var.numeric = True
                numeric[name] = node.value
            elif is_eval_string(node.value):
                var.expression = pending[name] = node.value[5:-1]
        non_eval = {
            n: v.value
            for n, v in variables.items()
            if n not in pending and n not in numeric
        }
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
                ev = self.evaluator(numeric)
                try:
                    value = ev.evaluate(expr)
                except UnknownName:
                    continue
                except ExpressionError as exc:
                    self.expression_problem(exc, var.node, expr)
                    del pending[name]
                    continue
                self.notes(ev.notes, var.node)
                self.mark_used(expr, variables, name)
                del pending[name]
                if isinstance(value, int | float):
                    var.value, var.numeric = value, True
                    numeric[name] = value
                    progress = True
                else:
                    self.problem(
                        "RC406", var.node, f"eval({expr}) gives {value!r}, not a number"
                    )
        for name, expr in pending.items():
            self.unresolved(variables[name], expr, variables, stage, global_vars)
        return variables

    def evaluator(self, numbers: Mapping[str, Any]) -> Evaluator:
        return Evaluator(
            numbers, self.limits.max_expression_chars, self.limits.max_int_bits
        )

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
            if stage is not None and n in global_vars:
                msg = (
                    f"{var.name}: eval({expr}) uses the global variable '{n}' in "
                    "an expression; SparseML evaluates stage variables with the "
                    "stage's own numbers only, and fails with \"Unable to "
                    'evaluate expression"'
                )
                hint = f"write eval({n}) alone, or move '{var.name}' to the top level"
            else:
                guess = did_you_mean(n, list(variables) + list(global_vars))
                msg = (
                    f"{var.name}: eval({expr}) uses '{n}', which is not defined; "
                    'SparseML fails with "Unable to evaluate expression"'
                )
                hint = (
                    f"did you mean '{guess}'?"
                    if guess
                    else f"define '{n}' at the top of the recipe"
                )
            self.problem("RC401", var.node, msg, hint, name=n)
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
                name=n,
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

    def modifiers(self, node: Node, scope: dict[str, Variable], where: str) -> None:
        """`_maybe_evaluate_yaml_object`: each eval(...) under a modifiers key."""
        for child in node.walk():
            if child.kind == "scalar" and is_eval_string(child.value):
                expr = child.value[5:-1]
                self.evaluated[child] = self.modifier_value(child, expr, scope, where)

    def modifier_value(
        self, child: Node, expr: str, scope: dict[str, Variable], where: str
    ) -> Evaluated:
        var = scope.get(expr)
        if var is not None and not var.numeric:
            var.used_by.append(where)
            return Evaluated(expr, var.value)
        value, notes, error = self.outcome(expr, scope)
        if isinstance(error, UnknownName):
            self.unknown_name(child, expr, error.name or "", scope)
            return Evaluated(expr, None, failed=True)
        if error is not None:
            self.expression_problem(error, child, expr)
            return Evaluated(expr, None, failed=True)
        self.notes(notes, child)
        self.mark_used(expr, scope, where)
        if not isinstance(value, int | float):
            self.problem(
                "RC406",
                child,
                f"eval({expr}) gives {value!r}; SparseML requires a float or int",
            )
            return Evaluated(expr, None, failed=True)
        return Evaluated(expr, value)

    def outcome(
        self, expr: str, scope: dict[str, Variable]
    ) -> tuple[Any, list[tuple[str, str]], ExpressionError | None]:
        """What `expr` gives in `scope`: its value, the evaluator's notes and the
        error it raised. Computed once a scope: a per-layer recipe writes the same
        eval(final_sparsity) in each of its dozens of modifiers."""
        key = (id(scope), expr)
        found = self.outcomes.get(key)
        if found is None:
            held = self.numbers.get(id(scope))
            if held is None:
                numbers = {k: v.value for k, v in scope.items() if v.numeric}
                held = self.numbers[id(scope)] = scope, numbers
            ev = self.evaluator(held[1])
            try:
                found = ev.evaluate(expr), ev.notes, None
            except ExpressionError as exc:  # UnknownName is one
                found = None, ev.notes, exc
            self.outcomes[key] = found
        return found

    def unknown_name(
        self, child: Node, expr: str, name: str, scope: dict[str, Variable]
    ) -> None:
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
                name=name,
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
                name=name,
            )

    def expression_problem(self, exc: ExpressionError, node: Node, expr: str) -> None:
        if exc.code == "RC008":
            message = f"eval({expr}): {exc}: recipe-compiler does not evaluate it"
            flag = (
                "--max-expression-chars"
                if "characters" in str(exc)
                else "--max-int-bits"
                if "bits" in str(exc)
                else None
            )
            hint = (
                f"simplify it or raise the limit ({flag})"
                if flag
                else "simplify it: recipe-compiler's bound on nesting in an "
                "expression is fixed (docs/security.md)"
            )
        else:
            message = f"eval({expr}): {exc}"
            hint = (
                "SparseML evaluates numbers, numeric variables, + - * / // ** % and "
                "abs, float, int, min, max, round"
            )
        self.problem(exc.code, node, message, hint)

    def notes(self, notes: list[tuple[str, str]], node: Node) -> None:
        for code, message in notes[:1]:
            self.problem(
                code,
                node,
                message,
                "write the subtraction from zero instead, e.g. eval(0 - x), "
                "or run `recipe compile --flatten`",
            )


def unevaluated(root: Node, values: Values, path: str) -> list[Problem]:
    """RC407: eval(...) strings SparseML leaves as text, and near misses."""
    out = []
    for node in root.walk():
        if node.kind != "scalar":
            continue
        value = values.value(node)
        if looks_like_eval(value):
            out.append(
                codes.make(
                    "RC407",
                    path,
                    node.line,
                    node.column,
                    f"{value!r} is not evaluated: SparseML needs the text to "
                    "start with 'eval(' and end with ')' exactly",
                    "remove the spaces around it",
                )
            )
    return out
