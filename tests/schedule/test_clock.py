"""The clock's arithmetic written out for speed gives what the plain methods give."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from recipe_compiler.schedule.clock import Clock

EPOCHS = st.one_of(
    st.floats(-2, 40),
    st.just(float("nan")),
    st.integers(0, 40).map(float),
    st.tuples(st.integers(0, 400), st.sampled_from([0.01, 0.05, 0.1, 1 / 3])).map(
        lambda t: t[0] * t[1]
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 500),
    st.integers(0, 12_000),
    st.lists(EPOCHS, min_size=1, max_size=30),
)
def test_firsts_is_first_at_or_after_of_each(spe, total, xs):
    clock = Clock(spe, total)
    assert clock.firsts(xs) == [clock.first_at_or_after(x) for x in xs]
