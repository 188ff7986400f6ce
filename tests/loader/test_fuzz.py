"""Fuzzing: no exception escapes load, lint, plan or rescale; every Problem points
inside the file; lint is deterministic. `benchmarks/fuzz.py` runs the long version."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzzing import check, check_bytes, mutated_corpus, recipe_like

FAST = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FAST
@given(recipe_like(), st.sampled_from(["fuzz.md", "fuzz.yaml", "fuzz.yml"]))
def test_recipe_like_input(text, name):
    check(text, name)


@FAST
@given(mutated_corpus())
def test_mutated_corpus_recipes(text):
    check(text, "fuzz.md")


@FAST
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data):
    check_bytes(data)


@FAST
@given(st.text(max_size=500))
def test_arbitrary_text(text):
    check(text, "fuzz.yaml")
