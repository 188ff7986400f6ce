"""A value SparseML fails on only once its modifier starts, in a modifier that never
starts: SparseML runs the recipe, so lint warns instead of calling it an error;
what SparseML checks at load (the schedule) is still an error."""

from __future__ import annotations

import pytest

from tests.conftest import lint_text
from tests.sml_verdict import verdict

HEAD = "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 4\n"
# a modifier and a value it fails on once it acts
LATE = {
    "weight decay": "  - !SetWeightDecayModifier\n    weight_decay: yes\n",
    "alpha": "  - !PowerpropagationModifier\n    params: [a.weight]\n"
    "    alpha: '0.5'\n    end_epoch: -1\n",
    "temperature": "  - !DistillationModifier\n    temperature: x\n    end_epoch: -1\n",
}
# start_epoch -> (lint's severity for the value, SparseML's verdict starts with)
STARTS = {
    "1": ("error", "step"),
    ".nan": ("warning", ""),
    "5": ("warning", ""),  # the training's last epoch ends before epoch 5 begins
}


@pytest.mark.parametrize("start", sorted(STARTS))
@pytest.mark.parametrize("what", sorted(LATE))
def test_a_value_that_fails_late_is_an_error_only_where_the_modifier_starts(
    sparseml, what, start
):
    text = HEAD + LATE[what] + f"    start_epoch: {start}\n"
    severity, stage = STARTS[start]
    _, problems = lint_text(text, "recipe.yaml", steps_per_epoch=4)
    assert [(p.code, str(p.severity)) for p in problems if p.code == "RC104"] == [
        ("RC104", severity)
    ], problems
    assert str(verdict(text, "recipe.yaml", 4)).startswith(stage) and (
        bool(stage) == (severity == "error")
    )
    if severity == "warning":
        assert "never starts" in next(p for p in problems if p.code == "RC104").message


def test_the_schedule_of_a_modifier_that_never_starts_is_still_checked(sparseml):
    text = (
        HEAD + "  - !PowerpropagationModifier\n    params: [a.weight]\n"
        "    start_epoch: 5\n    end_epoch: 2\n    alpha: x\n"
    )
    _, problems = lint_text(text, "recipe.yaml", steps_per_epoch=4)
    assert [p.code for p in problems if str(p.severity) == "error"] == ["RC201"]
    assert str(verdict(text, "recipe.yaml", 4)) == "load: ValueError"
