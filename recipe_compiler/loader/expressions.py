"""A safe evaluator for the inside of `eval(...)`, with SparseML's grammar.

The grammar is exactly what `sparseml.utils.restricted_eval` accepts: int and float
literals, names of numeric recipe variables, binary `+ - * / // ** %`, and calls to
`abs float int min max round` with positional or keyword arguments. The text is
parsed with `ast.parse` and walked here; nothing is ever executed by Python's `eval`.
Cost is bounded: expression length, nesting depth and the size of integers.

SparseML 1.8 crashes on a unary minus (`eval(-1)`); it is evaluated here so that
planning can go on, and reported with code RC404 so the user knows to fix it.
"""

from __future__ import annotations

import ast
import functools
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

Number = int | float

_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Pow: operator.pow,
    ast.Mod: operator.mod,
}
_SYMBOLS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Pow: "**",
    ast.Mod: "%",
}
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "float": float,
    "int": int,
    "min": min,
    "max": max,
    "round": round,
}
_NODE_NAMES = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.JoinedStr: "f-strings",
    ast.NamedExpr: "assignment expressions (:=)",
    ast.Compare: "comparisons",
    ast.BoolOp: "and/or",
    ast.IfExp: "if/else expressions",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.Starred: "* unpacking",
    ast.Await: "await",
}


class ExpressionError(Exception):
    """An expression SparseML would not evaluate; `code` is the problem code."""

    def __init__(self, code: str, message: str, name: str | None = None):
        super().__init__(message)
        self.code = code
        self.name = name


class UnknownName(ExpressionError):
    def __init__(self, name: str):
        super().__init__("RC401", f"unknown variable {name!r}", name)


class Evaluator:
    """Evaluates one expression; `notes` collects (code, message) of SparseML bugs."""

    def __init__(
        self,
        names: Mapping[str, Any],
        max_chars: int = 2_000,
        max_int_bits: int = 4_096,
        max_depth: int = 100,
    ):
        self.names = names
        self.max_chars = max_chars
        self.max_int_bits = max_int_bits
        self.max_depth = max_depth
        self.notes: list[tuple[str, str]] = []

    def evaluate(self, expression: str) -> Any:
        if len(expression) > self.max_chars:
            raise ExpressionError(
                "RC008",
                f"expression of {len(expression):,} characters, over the limit "
                f"of {self.max_chars:,}",
            )
        tree = _parsed(expression.strip())
        if isinstance(tree, str):
            raise ExpressionError("RC403", tree)
        if not tree.body:
            raise ExpressionError("RC403", "empty expression")
        stmt = tree.body[0]
        if not isinstance(stmt, ast.Expr):
            raise ExpressionError(
                "RC403", f"a {type(stmt).__name__} statement is not an expression"
            )
        try:
            return self._eval(stmt.value, 0)
        except ExpressionError:
            raise
        except ZeroDivisionError:
            raise ExpressionError("RC403", "division by zero") from None
        except (OverflowError, ValueError, TypeError) as exc:
            raise ExpressionError("RC403", f"cannot be evaluated: {exc}") from None

    def _eval(self, node: ast.AST, depth: int) -> Any:
        if depth > self.max_depth:
            raise ExpressionError(
                "RC008", f"expression nested deeper than {self.max_depth} levels"
            )
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(
                node.value, int | float | complex
            ):
                raise ExpressionError(
                    "RC403",
                    f"the constant {node.value!r} is not a number; SparseML "
                    "evaluates only numbers and numeric variables",
                )
            return self._check(node.value)
        if isinstance(node, ast.Name):
            if node.id not in self.names:
                raise UnknownName(node.id)
            return self.names[node.id]
        if isinstance(node, ast.BinOp):
            op = type(node.op)
            if op not in _BINOPS:
                raise ExpressionError(
                    "RC403", f"the operator {type(node.op).__name__} is not supported"
                )
            left = self._eval(node.left, depth + 1)
            right = self._eval(node.right, depth + 1)
            self._guard(op, left, right)
            return self._check(_BINOPS[op](left, right))
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                value = self._eval(node.operand, depth + 1)
                self.notes.append(
                    (
                        "RC404",
                        "SparseML 1.8 crashes on a unary minus in eval(...) "
                        "(AttributeError: 'UnaryOp' object has no attribute 'left')",
                    )
                )
                return self._check(-value)
            raise ExpressionError(
                "RC403", f"the unary operator {type(node.op).__name__} is not supported"
            )
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise ExpressionError("RC403", "only calls of plain function names")
            name = node.func.id
            if name not in FUNCTIONS:
                raise ExpressionError(
                    "RC403",
                    f"the function {name!r} is not supported; SparseML allows "
                    + ", ".join(FUNCTIONS),
                    name,
                )
            args = [self._eval(a, depth + 1) for a in node.args]
            kwargs = {}
            for kw in node.keywords:
                if kw.arg is None:
                    raise ExpressionError("RC403", "** unpacking is not supported")
                kwargs[kw.arg] = self._eval(kw.value, depth + 1)
            return self._check(FUNCTIONS[name](*args, **kwargs))
        what = _NODE_NAMES.get(type(node), type(node).__name__)
        raise ExpressionError("RC403", f"{what} not supported in eval(...)")

    def _guard(self, op: type[ast.operator], left: Any, right: Any) -> None:
        """Refuse operations whose result would be too big to compute cheaply."""
        ints = isinstance(left, int) and isinstance(right, int)
        if op is ast.Pow and ints and right > 0 and abs(left) > 1:
            bits = right * math.log2(abs(left))
            if bits > self.max_int_bits:
                raise ExpressionError(
                    "RC008",
                    f"{left} ** {right} is too large (about {bits:,.0f} bits, "
                    f"over {self.max_int_bits:,})",
                )
        if op is ast.Mult and ints and _bits(left) + _bits(right) > self.max_int_bits:
            raise ExpressionError(
                "RC008", f"product too large (over {self.max_int_bits:,} bits)"
            )

    def _check(self, value: Any) -> Any:
        if isinstance(value, int) and _bits(value) > self.max_int_bits:
            raise ExpressionError(
                "RC008", f"integer too large (over {self.max_int_bits:,} bits)"
            )
        return value


def _bits(value: int) -> int:
    return abs(value).bit_length()


def is_eval_string(value: Any) -> bool:
    """SparseML's `is_eval_string`: exactly `eval(` ... `)`, no spaces around."""
    return isinstance(value, str) and value.startswith("eval(") and value.endswith(")")


def looks_like_eval(value: Any) -> bool:
    """Strings a person meant as eval(...) that SparseML leaves as text."""
    return (
        isinstance(value, str)
        and not is_eval_string(value)
        and value.strip().startswith("eval(")
        and value.strip().endswith(")")
    )


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> ast.Module | str:
    """The expression's tree, or why it has none. A recipe writes the same few
    expressions on every modifier (`eval(final_sparsity)` 72 times in a per-layer
    recipe), and the language server reads them again at every keystroke: each
    text is parsed once. The trees are only ever read."""
    try:
        return ast.parse(text)
    except SyntaxError as exc:
        return f"not a valid expression: {exc.msg}"
    except (RecursionError, MemoryError, ValueError):
        return "expression too deeply nested"


def names_in(expression: str) -> list[str]:
    """Variable names an expression refers to (empty when it does not parse)."""
    return list(_names(expression.strip()))


@functools.lru_cache(maxsize=4096)
def _names(text: str) -> tuple[str, ...]:
    tree = _parsed(text)
    if isinstance(tree, str):
        return ()
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in out:
            out.append(node.id)
    calls = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    return tuple(n for n in out if n not in calls)
