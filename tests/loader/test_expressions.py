"""The safe evaluator: SparseML's grammar, nothing more, in bounded time."""

from __future__ import annotations

import pytest

from recipe_compiler.loader.expressions import Evaluator, ExpressionError, UnknownName

NAMES = {"a": 3, "b": 2.5, "flag": True}


def ev(expr, **kw):
    return Evaluator(NAMES, **kw).evaluate(expr)


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("a + b * 2", 8.0),
        ("a // 2", 1),
        ("a ** 2 % 5", 4),
        ("round(b)", 2),
        ("round(number=b, ndigits=0)", 2.0),
        ("max(a, b, 1)", 3),
        ("int(b) + float(a)", 5.0),
        ("abs(1 - a)", 2),
        ("flag + 1", 2),
        ("  a  ", 3),
        ("a; b", 3),  # SparseML evaluates the first statement only
    ],
)
def test_accepted(expr, value):
    assert ev(expr) == value


@pytest.mark.parametrize(
    "expr",
    [
        "__import__('os').system('echo owned')",
        "a.__class__",
        "(lambda: 1)()",
        "[x for x in (1, 2)]",
        "f'{a}'",
        "(y := 3)",
        "a if b else 1",
        "a < b",
        "'text'",
        "True",
        "pow(a, 2)",
        "a[0]",
        "not a",
        "+a",
        "x = 1",
        "",
        "10 ** 10 ** 10",
        "9 ** 9 ** 9 ** 9",
        "(10 ** 1000) * (10 ** 1000)",
        "(" * 300 + "1" + ")" * 300,
        "1 + " * 400 + "1",
        "a / 0",
        "round(1e308 * 10)",
        "x" * 5000,
        "abs(**{'x': 1})",
    ],
)
def test_refused(expr):
    # each of these is refused before any large number is built (no hang, no memory)
    with pytest.raises(ExpressionError):
        ev(expr)


def test_unknown_name_is_reported_by_name():
    with pytest.raises(UnknownName) as info:
        ev("nope * 2")
    assert info.value.name == "nope" and info.value.code == "RC401"


def test_unary_minus_is_evaluated_and_noted():
    e = Evaluator(NAMES)
    assert e.evaluate("-a") == -3
    assert [code for code, _ in e.notes] == ["RC404"]
