"""RC226's hint names a frequency that does not drift at the steps per epoch it was
linted at: never the one written, a whole number of steps, exact in binary."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from recipe_compiler.linter.engine import lint_recipe
from recipe_compiler.linter.rules.rc226_update_drift import _advice
from recipe_compiler.loader.recipe import load

RECIPE = """\
modifiers:
  - !EpochRangeModifier
    start_epoch: 0
    end_epoch: 40
  - !GMPruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 1
    end_epoch: 30
    update_frequency: 0.5
"""


def test_at_an_odd_steps_per_epoch_half_an_epoch_is_not_advised_to_itself():
    """0.5 epochs at 1,849 steps is 924.5 steps: it drifts, and the hint used to
    advise 0.5 all the same."""
    (p,) = lint_recipe(load(RECIPE, text=True), steps_per_epoch=1849).problems
    assert p.code == "RC226"
    assert p.hint is not None and p.hint.startswith("use update_frequency: 1 ")
    assert "update_frequency: 0.5 " not in p.hint


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([0.01, 0.05, 0.1, 0.2, 0.3, 0.333, 0.5, 1.5]),
    st.integers(1, 3000),
)
def test_the_advised_frequency_does_not_drift(freq, spe):
    hint = _advice(freq, spe)
    advised = float(hint.split("update_frequency: ")[1].split(" ")[0])
    steps = advised * spe
    assert advised != freq and steps == round(steps) >= 1
    part = spe // math.gcd(round(steps), spe)
    assert part & (part - 1) == 0  # exact in binary: s / spe, spe / gcd a power of 2
    assert f"{round(steps):,} step" in hint
