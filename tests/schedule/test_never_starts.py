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


# (start_epoch, end_epoch) at 4 steps per epoch in a 5-epoch training (steps 0..19)
WINDOWS = [
    ("0", "0.25"),  # start step 0, end step 1: nothing strictly between
    ("0", "0.5"),
    ("1", "1.25"),
    ("0", "-1"),
    ("4.5", "-1"),
    ("4.75", "-1"),  # the last step: distillation acts only after it
    ("4.9", "-1"),  # before the length (5) but past the last step's epoch
]
ACTING = {
    "distillation": "  - !DistillationModifier\n    temperature: abc\n",
    "layer distillation": "  - !PerLayerDistillationModifier\n    gain: abc\n",
    "weight decay": "  - !SetWeightDecayModifier\n    weight_decay: yes\n",
}


@pytest.mark.parametrize(("start", "end"), WINDOWS)
@pytest.mark.parametrize("what", sorted(ACTING))
def test_whether_a_modifier_acts_depends_on_the_steps_per_epoch(
    sparseml, what, start, end
):
    text = (
        "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 5\n"
        + ACTING[what]
        + f"    start_epoch: {start}\n    end_epoch: {end}\n"
    )
    _, problems = lint_text(text, "recipe.yaml", steps_per_epoch=4)
    found = [p for p in problems if p.code == "RC104"]
    assert len(found) == 1, problems
    fails = not verdict(text, "recipe.yaml", 4).ran
    assert (str(found[0].severity) == "error") == fails, (found, fails)
    if not fails:
        assert "4 steps per epoch this modifier never acts" in found[0].message


def test_plan_refuses_a_value_read_where_the_modifier_acts(tmp_path):
    from click.testing import CliRunner

    from recipe_compiler.cli import main

    body = (
        "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 5\n"
        "  - !DistillationModifier\n    temperature: abc\n"
        "    start_epoch: 0\n    end_epoch: 0.25\n"
    )
    path = tmp_path / "r.yaml"
    path.write_text(body)
    # a window of one step at 4 steps per epoch, of 25 at 100
    quiet = CliRunner().invoke(main, ["plan", str(path), "--steps-per-epoch", "4"])
    loud = CliRunner().invoke(main, ["plan", str(path), "--steps-per-epoch", "100"])
    assert quiet.exit_code == 0, quiet.output
    assert loud.exit_code == 1 and "RC104" in loud.output, loud.output


@pytest.mark.parametrize("forward", ["[0.8, 0.9]", "1.0", "abc", ".nan"])
@pytest.mark.parametrize("start", ["3", "4.9", "5"])
def test_topkast_reads_forward_sparsity_at_every_step_started_or_not(
    sparseml, forward, start
):
    """Its weight decay divides by 1 - forward_sparsity from the first step; a NaN
    target fails only where the masks are built, at the start step."""
    text = (
        "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 5\n"
        "  - !TopKASTPruningModifier\n    params: [a.weight, b.weight]\n"
        f"    start_epoch: {start}\n    end_epoch: 5\n    update_frequency: 1\n"
        f"    forward_sparsity: {forward}\n    backward_sparsity: 0.5\n"
    )
    _, problems = lint_text(text, "recipe.yaml", steps_per_epoch=4)
    said = any(str(p.severity) == "error" for p in problems)
    assert said == (not verdict(text, "recipe.yaml", 4).ran), problems
