"""`eval(...)` as SparseML 1.8's `sparseml.core` evaluates it, without Python's eval.

The engine (core/recipe/args.py, `eval_str`): a string holding `eval(` has its
first `eval\\(([^()]*)\\)` (no parentheses inside: no calls) evaluated by Python's
`eval` with `math` and the recipe's args in scope; the result's `str()` replaces
every copy of that `eval(...)` in the string; the text is then a float when
`float()` takes it, else evaluated again. `eval_args` repeats over the args until a
pass changes nothing. Here the inner expression is parsed with `ast` and walked:
literals, names, `math.<constant>`, arithmetic, comparisons, boolean operators,
conditionals, containers and indexing, computed with Python's own operators so
that each error is the engine's (NameError, ZeroDivisionError, TypeError, ...).
What the walk cannot compute without running code (a builtin's repr, a
comprehension, an attribute of a value) is `UNKNOWN`: no check judges it. Cost
is bounded (the size of numbers, strings and the depth of re-evaluation).
"""

from __future__ import annotations

import ast
import builtins
import math
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

PATTERN = re.compile(r"eval\(([^()]*)\)")
_MAX_DEPTH = 200  # re-evaluations of one string: past it, the engine's recursion
_MAX_BITS = 4096  # an int past this is not computed (the engine would: UNKNOWN)
_MAX_LEN = 100_000  # nor a string or list past this length


class _Unknown:
    """A value the walk does not compute."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


class EvalError(Exception):
    """What the engine raises evaluating a string: its exception's type name and
    first line."""

    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}")
        self.kind, self.message = kind, message


_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitAnd: operator.and_,
    ast.BitXor: operator.xor,
    ast.MatMult: operator.matmul,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
    ast.Invert: operator.invert,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_MATH = object()  # the name `math`
_VALUES = (int, float, complex, str, bytes, bool, type(None), list, tuple, dict, set)


def _unknown(value: Any) -> bool:
    """Not computed here (or `math` itself, used as a value)."""
    return value is UNKNOWN or value is _MATH


def _big(value: Any) -> bool:
    if isinstance(value, int) and value.bit_length() > _MAX_BITS:
        return True
    return isinstance(value, str | bytes | list | tuple | dict | set) and (
        len(value) > _MAX_LEN
    )


def _bounded(op: Callable[..., Any], *values: Any) -> Any:
    """`op` on computed values; UNKNOWN where the result could be huge."""
    if any(v is UNKNOWN or v is _MATH for v in values):
        return UNKNOWN
    if op is operator.pow and all(isinstance(v, int) for v in values):
        base, exp = values
        if (
            exp > 0
            and abs(base) > 1
            and exp * max(abs(base).bit_length(), 1) > _MAX_BITS
        ):
            return UNKNOWN
    if op is operator.lshift and isinstance(values[1], int) and values[1] > _MAX_BITS:
        return UNKNOWN
    if op is operator.mod and isinstance(values[0], str | bytes):
        return UNKNOWN  # %-formatting: a width can ask for any length
    if op is operator.mul and len(values) == 2:
        a, b = values
        for seq, n in ((a, b), (b, a)):
            sized = isinstance(seq, str | bytes | list | tuple) and isinstance(n, int)
            if sized and len(seq) * max(n, 0) > _MAX_LEN:
                return UNKNOWN
    result = op(*values)
    return UNKNOWN if _big(result) else result


class _Walk:
    def __init__(self, names: Mapping[str, Any]):
        self.names = names

    def __call__(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return self(node.body)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.Attribute):
            owner = self(node.value)
            if owner is _MATH:
                value = getattr(math, node.attr, None)
                if value is None:
                    raise AttributeError(
                        f"module 'math' has no attribute '{node.attr}'"
                    )
                return value if isinstance(value, float) else UNKNOWN
            if owner is UNKNOWN:
                return UNKNOWN
            if not hasattr(owner, node.attr):  # a value's (an arg named math)
                raise AttributeError(
                    f"'{type(owner).__name__}' object has no attribute '{node.attr}'"
                )
            value = getattr(owner, node.attr)
            return value if isinstance(value, int | float | complex) else UNKNOWN
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            left = self(node.left)
            if _unknown(left):  # (what it would raise is not known: stop here)
                return UNKNOWN
            return _bounded(_BINOPS[type(node.op)], left, self(node.right))
        if isinstance(node, ast.UnaryOp):
            return _bounded(_UNARY[type(node.op)], self(node.operand))
        if isinstance(node, ast.BoolOp):
            last: Any = None
            for operand in node.values:
                last = self(operand)
                if last is UNKNOWN or last is _MATH:
                    return UNKNOWN
                if isinstance(node.op, ast.And) != bool(last):
                    return last
            return last
        if isinstance(node, ast.Compare):
            left = self(node.left)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                if _unknown(left):
                    return UNKNOWN
                right = self(right_node)
                result = _bounded(_COMPARE[type(op)], left, right)
                if result is UNKNOWN or not result:
                    return result
                left = right
            return result
        if isinstance(node, ast.IfExp):
            test = self(node.test)
            if test is UNKNOWN or test is _MATH:
                return UNKNOWN
            return self(node.body if test else node.orelse)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items = []
            for e in node.elts:  # in order, stopping at what is not known
                items.append(self(e))
                if _unknown(items[-1]):
                    return UNKNOWN
            if isinstance(node, ast.List):
                return items
            return tuple(items) if isinstance(node, ast.Tuple) else set(items)
        if isinstance(node, ast.Dict) and None not in node.keys:
            pairs = []
            for k, v in zip(node.keys, node.values, strict=True):
                key = self(k) if k is not None else UNKNOWN
                if _unknown(key):
                    return UNKNOWN
                value = self(v)
                if _unknown(value):
                    return UNKNOWN
                pairs.append((key, value))
            return _bounded(dict, pairs)
        if isinstance(node, ast.Subscript):
            owner = self(node.value)
            if _unknown(owner):
                return UNKNOWN
            return _bounded(operator.getitem, owner, self(node.slice))
        if isinstance(node, ast.Slice):
            parts = []
            for p in (node.lower, node.upper, node.step):
                parts.append(None if p is None else self(p))
                if _unknown(parts[-1]):
                    return UNKNOWN
            return slice(*parts)
        return UNKNOWN  # comprehensions, lambdas, f-strings, ...: not computed

    def name(self, name: str) -> Any:
        if name in self.names:  # the args are eval's locals: they come first
            return self.names[name]
        if name == "math":
            return _MATH
        if hasattr(builtins, name):
            return UNKNOWN  # a builtin: its repr is what the engine would get
        raise NameError(f"name '{name}' is not defined")


def _expression(text: str, names: Mapping[str, Any]) -> Any:
    try:
        tree = ast.parse(text.lstrip(" \t"), mode="eval")
    except SyntaxError as exc:
        raise EvalError("SyntaxError", exc.msg) from None
    except (RecursionError, MemoryError, ValueError):  # too deep for the parser
        return UNKNOWN
    try:
        value = _Walk(names)(tree)
    except EvalError:
        raise
    except RecursionError:
        return UNKNOWN
    except Exception as exc:  # the engine's own exception, as Python raises it
        first = (str(exc).strip().splitlines() or [""])[0]
        raise EvalError(type(exc).__name__, first) from None
    if value is _MATH or not isinstance(value, (*_VALUES, _Unknown, slice)):
        return UNKNOWN
    return value


def eval_str(target: str, args: Mapping[str, Any] | None, depth: int = 0) -> Any:
    """`RecipeArgs.eval_str`: the string, a float, or UNKNOWN; EvalError as the
    engine raises."""
    if "eval(" not in target:
        return target
    if depth > _MAX_DEPTH:
        raise EvalError(
            "RecursionError",
            "maximum recursion depth exceeded while calling a Python object",
        )
    match = PATTERN.search(target)
    if not match:
        raise EvalError("ValueError", f"invalid eval string {target}")
    result = _expression(match.group(1), args or {})
    if result is UNKNOWN or isinstance(result, slice):
        return UNKNOWN
    new_target = target.replace(match.group(0), str(result))
    if len(new_target) > _MAX_LEN:
        return UNKNOWN
    try:
        return float(new_target)
    except ValueError:
        return eval_str(new_target, args, depth + 1)


def eval_args(args: Mapping[str, Any]) -> dict[str, Any]:
    """`RecipeArgs.eval_args`: every string arg evaluated, pass after pass, each
    with the args as the pass has left them, until a pass changes nothing."""
    before = dict(args)
    resolved = dict(args)
    for _ in range(len(resolved) + 2):
        for key, value in resolved.items():
            if isinstance(value, str):
                resolved[key] = eval_str(value, resolved)
        if _same(before, resolved):
            return resolved
        before = dict(resolved)
    return {
        k: (UNKNOWN if isinstance(v, str) and "eval(" in v else v)
        for k, v in resolved.items()
    }


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """dict equality as Python compares (an object equals itself: NaN too)."""
    return a.keys() == b.keys() and all(a[k] is b[k] or a[k] == b[k] for k in a)


def eval_obj(target: Any, args: Mapping[str, Any]) -> Any:
    """`RecipeArgs.eval_obj`: strings evaluated, into mapping values and list items."""
    if isinstance(target, str):
        return eval_str(target, args)
    if isinstance(target, dict):
        return {k: eval_obj(v, args) for k, v in target.items()}
    if isinstance(target, list):
        return [eval_obj(item, args) for item in target]
    return target
