"""Recipes SparseML 1.8 runs get no error; the near misses it refuses keep theirs.

Each case is run through SparseML itself: `from_yaml` (load) and, where the recipe
names parameters, `initialize` on TinyNet and a first optimizer step (the stages
where SparseML would raise). Found in real Neural Magic recipes (issue 12): OBS's
`damp: 1e-7`, which YAML 1.1 reads as a string and SparseML float()s; a
PerLayerDistillationModifier given one list of layer names, which SparseML copies;
a `final_sparsity` mapping of sparsity to params, whose float keys are data.
"""

from __future__ import annotations

import warnings

import pytest

from tests.conftest import lint_text

warnings.filterwarnings("ignore")
pytestmark = pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnraisableExceptionWarning"
)

OBS = """\
modifiers:
  - !EpochRangeModifier {start_epoch: 0, end_epoch: 4}
  - !OBSPruningModifier
    start_epoch: 0
    end_epoch: 2
    init_sparsity: 0.05
    final_sparsity: 0.5
    update_frequency: 1
    params: [a.weight]
    num_grads: 4
    damp: DAMP
"""
PER_LAYER = """\
modifiers:
  - !EpochRangeModifier {start_epoch: 0, end_epoch: 4}
  - !PerLayerDistillationModifier
    start_epoch: 0
    end_epoch: 2
    NAMES
"""
MAPPING = """\
targets: &ts {0.50: [a.weight, b.weight], 0.75: [c.weight]}
modifiers:
  - !EpochRangeModifier {start_epoch: 0, end_epoch: 4}
  - !GMPruningModifier
    start_epoch: 0
    end_epoch: 2
    init_sparsity: 0.05
    final_sparsity: FINAL
    update_frequency: 1
    params: []
"""


def sparseml_runs(text: str, *, initialize: bool = True) -> str:
    """'' when SparseML loads the recipe, initializes it on TinyNet and takes the
    steps of its first two epochs (2 an epoch), else the stage and the exception
    type it raised there."""
    import torch
    from sparseml.pytorch.optim import ScheduledModifierManager

    from tests.sml_harness import TinyNet

    try:
        manager = ScheduledModifierManager.from_yaml(text)
    except Exception as exc:
        return f"load: {type(exc).__name__}"
    if not initialize:
        return ""
    model = TinyNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    try:
        manager.initialize(model, epoch=0.0)
    except Exception as exc:
        return f"initialize: {type(exc).__name__}"
    for step in range(4):
        try:
            manager.update(model, optimizer, epoch=step / 2, steps_per_epoch=2)
        except Exception as exc:
            return f"step {step}: {type(exc).__name__}"
    return ""


def errors(text: str) -> list[str]:
    _, problems = lint_text(text)
    return [p.code for p in problems if p.severity == "error"]


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        (OBS.replace("DAMP", "1e-7"), ""),  # a string to YAML 1.1, float()ed
        (OBS.replace("DAMP", "1.0e-7"), ""),
        (OBS.replace("DAMP", "1e-7x"), "load: ValueError"),
        (PER_LAYER.replace("NAMES", "student_layer_names: [a]"), ""),
        (PER_LAYER.replace("NAMES", "teacher_layer_names: [a]"), ""),
        (
            PER_LAYER.replace(
                "NAMES", "student_layer_names: [a]\n    teacher_layer_names: [a, b]"
            ),
            "load: ValueError",
        ),
        (MAPPING.replace("FINAL", "*ts"), ""),
        (MAPPING.replace("FINAL", "{0.5: [a.weight], 0.8: [b.weight]}"), ""),
    ],
    ids=[
        "obs-damp-1e-7",
        "obs-damp-1.0e-7",
        "obs-damp-not-a-number",
        "per-layer-student-only",
        "per-layer-teacher-only",
        "per-layer-lengths-differ",
        "mapping-through-alias",
        "mapping-inline",
    ],
)
def test_verdict_matches_sparseml(sparseml, text, stage):
    """No error exactly when SparseML gets through load, initialize and the steps.
    OBS needs a gradient sampler and distillation a teacher to initialize: their
    fields are checked where SparseML checks them, at load."""
    load_only = "OBSPruning" in text or "PerLayerDistillation" in text
    assert sparseml_runs(text, initialize=not load_only) == stage
    assert (errors(text) == []) == (stage == ""), errors(text)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        # SparseML asks `"modifiers" in key` of top-level and stage keys
        (
            "0.5: 3\nmodifiers:\n  - !EpochRangeModifier {start_epoch: 0, end_epoch: 4}\n",
            1,
        ),
        (
            "yes: 3\nmodifiers:\n  - !EpochRangeModifier {start_epoch: 0, end_epoch: 4}\n",
            1,
        ),
        (
            "stage:\n  0.5: 1\n  s_modifiers:\n"
            "    - !EpochRangeModifier {start_epoch: 0, end_epoch: 4}\n",
            2,
        ),
        # a modifier's fields are keyword arguments
        (
            "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 4\n    1: 2\n",
            5,
        ),
    ],
    ids=["top-level", "top-level-bool", "stage", "modifier-field"],
)
def test_keys_sparseml_reads_as_names_stay_errors(sparseml, text, line):
    assert sparseml_runs(text).startswith("load: TypeError")
    _, problems = lint_text(text)
    found = {(p.code, p.line) for p in problems if p.severity == "error"}
    assert ("RC012", line) in found and {ln for _, ln in found} == {line}


def test_kwargs_keys_are_names_and_other_nested_keys_are_data(sparseml):
    lr = (
        "modifiers:\n  - !EpochRangeModifier {start_epoch: 0, end_epoch: 4}\n"
        "  - !LearningRateModifier\n    start_epoch: 0\n    end_epoch: 2\n"
        "    lr_class: StepLR\n    init_lr: 0.1\n"
        "    lr_kwargs: {step_size: 1, gamma: 0.5, KEY: 2}\n"
    )
    # the scheduler is built at the first update after start: "keywords must be
    # strings"
    assert sparseml_runs(lr.replace("KEY", "0.5")) == "step 1: TypeError"
    assert errors(lr.replace("KEY", "0.5")) == ["RC012"]  # once, where it is
    data = "ts: {0.9: 1, ~: 2, a: 3}\n" + lr.replace(", KEY: 2", "")
    assert sparseml_runs(data) == ""
    assert errors(data) == []
