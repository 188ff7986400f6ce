"""`eval(...)` as sparseml.core evaluates it, without Python's eval: equal to the
engine's own `RecipeArgs.eval_str` on generated expressions over args, and bounded
where the engine would build something huge."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from recipe_compiler.dialects.sparsemlcore.evaluate import UNKNOWN, EvalError, eval_str

ARGS = {"s": 2, "t": 0.5, "w": "abc", "n": -3, "z": 0}
ATOMS = st.sampled_from(
    ["s", "t", "n", "z", "1", "2.5", "0", "math.pi", "w", "nope", "True"]
)
OPS = st.sampled_from(["+", "-", "*", "/", "//", "%", "**", ">", "==", " and ", " or "])


@st.composite
def expressions(draw) -> str:
    parts = [draw(ATOMS)]
    for _ in range(draw(st.integers(0, 3))):
        parts += [draw(OPS), draw(ATOMS)]
    inner = "".join(parts)
    return draw(
        st.sampled_from(["eval({})", "pre_eval({})_post", "eval({}) eval(s)"])
    ).format(inner)


def _engine(text: str):
    from sparseml.core.recipe.args import RecipeArgs

    try:
        return "ok", RecipeArgs.eval_str(text, dict(ARGS))
    except Exception as exc:  # the engine's exception, whatever it is
        return "raises", type(exc).__name__


def _ours(text: str):
    try:
        return "ok", eval_str(text, dict(ARGS))
    except EvalError as exc:
        return "raises", exc.kind


@settings(max_examples=400, deadline=None)
@given(expressions())
def test_eval_is_the_engines(core, text):
    theirs, ours = _engine(text), _ours(text)
    if ours == ("ok", UNKNOWN):  # only %-formatting a string is left uncomputed
        # (here the one string arg, w, somewhere left of a %)
        assert any("w" in left for left in text.split("%")[:-1]), text
        return
    assert ours[0] == theirs[0], (text, ours, theirs)
    if ours[0] == "ok" and isinstance(theirs[1], float) and theirs[1] != theirs[1]:
        assert ours[1] != ours[1]  # NaN
    else:
        assert ours[1] == theirs[1], (text, ours, theirs)


def test_what_would_be_huge_is_not_computed():
    assert eval_str("eval(w % 1)", {"w": "%*d"}) is UNKNOWN  # a width of any size
    assert eval_str("eval(9 ** 99999)", {}) is UNKNOWN
    assert eval_str("eval(w * 10000000)", {"w": "abc"}) is UNKNOWN
    assert eval_str("eval(1 << 100000)", {}) is UNKNOWN
