"""The planned schedule against SparseML's own manager, step by step.

For every corpus recipe SparseML loads (its LR modifiers, epoch range, weight decay
and gradual pruning modifiers, each pruning modifier moved onto its own tensor of a
tiny model) and for generated recipes: max_epochs equal; the LR of every param group
equal at every step within 1e-12 relative; for every pruning modifier, the steps
where its mask changes and the number of masked weights there equal to
`round(numel * target)` (per block of 4 for block masks).
"""

from __future__ import annotations

import csv

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recipe_compiler.edit.yaml_out import modifiers_yaml
from recipe_compiler.loader.recipe import load
from recipe_compiler.modifiers import is_gradual
from recipe_compiler.modifiers.training import (
    EpochRangeModifier,
    LearningRateFunctionModifier,
    LearningRateModifier,
    SetLearningRateModifier,
    SetWeightDecayModifier,
)
from recipe_compiler.schedule.timeline import plan
from tests.conftest import CORPUS

pytestmark = pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnraisableExceptionWarning"
)
KEEP = (
    LearningRateFunctionModifier,
    LearningRateModifier,
    SetLearningRateModifier,
    EpochRangeModifier,
    SetWeightDecayModifier,
)
ROWS = [
    r
    for r in csv.DictReader((CORPUS / "INDEX.tsv").open(), delimiter="\t")
    if r["loads_sparseml_1_8"] == "yes"
]


def tiny_version(recipe, names=None):
    """The recipe's schedule on TinyNet (or the tensors `names`): one tensor per
    pruning modifier."""
    from tests.sml_harness import TinyNet

    names = names or TinyNet.NAMES
    items, n = [], 0
    for e in recipe.modifiers:
        m = e.model
        fields = {
            k: v
            for k, v in m.model_dump(exclude={"log_types"}).items()
            if k in e.fields
        }
        if is_gradual(m):
            fields["params"] = [names[n % len(names)]]
            n += 1
            items.append((e.tag, fields))
        elif isinstance(m, KEEP):
            items.append((e.tag, fields))
    return modifiers_yaml(items)


def param_groups_used(recipe) -> int:
    """How many optimizer param groups the recipe's LR modifiers address."""
    used = [
        g
        for e in recipe.modifiers
        for g in (getattr(e.model, "param_groups", None) or [])
    ]
    return 1 + max(used, default=0)


def compare(text: str, spe: int, model=None):
    """Assert the plan of `text` equals SparseML's replay (on TinyNet, or `model`);
    returns the timeline."""
    from tests import sml_harness

    recipe = load(text, text=True)
    assert recipe.ok, recipe.problems
    groups = param_groups_used(recipe)
    t = plan(recipe, spe, param_groups=groups)
    manager, lrs, zeros = sml_harness.run(
        text, spe, t.total_steps, n_groups=groups, model=model
    )
    assert t.max_epochs == manager.max_epochs
    observed = np.array(lrs).T
    planned = t.lr
    unset = np.isnan(planned) & (observed == 0.5)  # the optimizer's own LR
    same = np.isclose(planned, observed, rtol=1e-12, atol=0) | unset
    assert same.all(), (np.flatnonzero(~same.all(axis=0))[:5], text)
    wd = np.asarray(sml_harness.run.weight_decay)
    planned_wd = np.where(np.isnan(t.weight_decay), 0.0, t.weight_decay)
    assert np.array_equal(planned_wd, wd), text
    for p in t.modifiers:
        if p.sparsity is None:
            continue
        (name,) = p.model.params
        z = np.asarray(zeros[name])
        numel = sml_harness.numel(name, model)
        block = 4 if p.model.mask_type in ("block4", [1, 4]) else 1
        target = (np.round(numel / block * np.asarray(p.sparsity)) * block).astype(int)
        ours = np.flatnonzero(np.diff(np.concatenate([[0], target])))
        theirs = np.flatnonzero(np.diff(np.concatenate([[0], z])))
        assert list(np.asarray(list(p.update_steps))[ours]) == list(theirs), (
            name,
            text,
        )
        assert list(target[ours]) == list(z[theirs]), (name, text)
    return t


@pytest.mark.parametrize(
    "row", ROWS, ids=[r["local_name"].split("__")[-1] for r in ROWS]
)
def test_corpus_schedules_match_sparseml(sparseml, row):
    recipe = load(CORPUS / row["local_name"])
    text = tiny_version(recipe)
    if (
        any(p.code == "RC205" for p in load(text, text=True).problems)
        or "yolact_pruned_quant" in row["local_name"]
    ):
        with pytest.raises(ZeroDivisionError) as info:
            compare(text, 3)
        assert info.value.step == 0
        crashes = [p.crash for p in plan(load(text, text=True), 3).modifiers if p.crash]
        assert crashes and "ZeroDivisionError" in crashes[0]
        return
    compare(text, 3)


EPOCH = st.sampled_from([0, 0.5, 1, 1.3, 2, 2.25, 3, 4.7, 5, float("nan")])
FREQ = st.sampled_from([-1, 0, 0.001, 0.1, 0.25, 0.4, 0.5, 1, 1.5])


@st.composite
def recipes(draw):
    mods = []
    n_gmp = draw(st.integers(0, 3))
    for _ in range(n_gmp):
        s = draw(EPOCH)
        e = draw(EPOCH.filter(lambda x, s=s: x > s))
        init = draw(st.sampled_from([0.0, 0.05, 0.3]))
        mods.append(
            (
                "GMPruningModifier",
                {
                    "params": "__ALL_PRUNABLE__",
                    "init_sparsity": init,
                    "final_sparsity": draw(st.sampled_from([0.5, 0.8, 0.95])),
                    "start_epoch": s,
                    "end_epoch": e,
                    "update_frequency": draw(FREQ),
                    "inter_func": draw(
                        st.sampled_from(["linear", "cubic", "inverse_cubic"])
                    ),
                    "mask_type": draw(st.sampled_from(["unstructured", "block4"])),
                },
            )
        )
    if draw(st.booleans()):
        mods.append(
            (
                "SetWeightDecayModifier",
                {
                    "weight_decay": draw(st.sampled_from([0.0001, 0.00005])),
                    "start_epoch": draw(st.sampled_from([-1, 0, 1.5, 2])),
                },
            )
        )
    if draw(st.booleans()):
        mods.append(
            (
                "SetLearningRateModifier",
                {
                    "learning_rate": draw(st.sampled_from([0.1, 0.01])),
                    "start_epoch": draw(st.sampled_from([-1, 0, 1.5, 2])),
                },
            )
        )
    if draw(st.booleans()):
        s = draw(EPOCH)
        mods.append(
            (
                "LearningRateFunctionModifier",
                {
                    "lr_func": draw(
                        st.sampled_from(["linear", "cosine", "cyclic_linear"])
                    ),
                    "init_lr": draw(st.sampled_from([0.1, 0.05])),
                    "final_lr": draw(st.sampled_from([0.001, 0.0, 0.2])),
                    "start_epoch": s,
                    "end_epoch": draw(EPOCH.filter(lambda x, s=s: x > s)),
                    "cycle_epochs": draw(st.sampled_from([1.0, 2.0, 0.5])),
                },
            )
        )
    if draw(st.booleans()):
        cls = draw(
            st.sampled_from(
                [
                    "StepLR",
                    "MultiStepLR",
                    "ExponentialLR",
                    "CosineAnnealingWarmRestarts",
                ]
            )
        )
        s = draw(st.sampled_from([0, 0.5, 1]))
        kw = {"gamma": draw(st.sampled_from([0.5, 0.9]))}
        end = draw(st.sampled_from([-1, 4, 4.5]))
        if cls == "StepLR":
            kw["step_size"] = draw(st.sampled_from([1, 0.5, 2]))
        if cls == "MultiStepLR":
            kw["milestones"] = [m for m in (2, 3) if m > s and (end < 0 or m < end)]
        if cls == "CosineAnnealingWarmRestarts":
            kw = {"lr_min": 0.001, "cycle_epochs": draw(st.sampled_from([1, 2, 2.0]))}
        mods.append(
            (
                "LearningRateModifier",
                {
                    "lr_class": cls,
                    "lr_kwargs": kw,
                    "init_lr": 0.1,
                    "start_epoch": s,
                    "end_epoch": end,
                },
            )
        )
    mods.append(
        (
            "EpochRangeModifier",
            {"start_epoch": 0, "end_epoch": draw(st.sampled_from([5, 6, 5.5]))},
        )
    )
    mods = draw(st.permutations(mods))
    return mods, draw(st.sampled_from([1, 2, 3, 4, 7, 10]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipes())
def test_generated_schedules_match_sparseml(sparseml, case):
    mods, spe = case
    text = modifiers_yaml(mods)
    recipe = load(text, text=True)
    if not recipe.ok:
        # a refusal must be SparseML's too, at load (values are generated wrong
        # on purpose: NaN epochs, frequencies past the window)
        from tests.sml_verdict import verdict

        assert verdict(text).stage == "load", (text, recipe.problems)
        return
    crashing = [p for p in plan(recipe, spe).modifiers if p.crash]
    if crashing:
        with pytest.raises((ZeroDivisionError, TypeError, ValueError)) as info:
            compare(tiny_version(recipe), spe)
        assert info.value.step == min(p.crash_step for p in crashing)
        assert type(info.value).__name__ in {p.crash.split(":")[0] for p in crashing}
        return
    compare(tiny_version(recipe), spe)


@pytest.mark.parametrize(
    ("modifiers", "frequency", "epochs", "seed", "spe"),
    [
        (24, 0.01, 3, None, 100),  # one update a step: the recurrence, unrounded
        (24, 0.01, 3, 1, 100),  # some modifiers on their own window or target
        (30, 0.05, 10, 2, 7),  # 0.05 x 7 steps: off the grid, drifting
        (36, 0.05, 6, 3, 30),
    ],
)
def test_long_per_layer_schedules_match_sparseml(
    sparseml, modifiers, frequency, epochs, seed, spe
):
    """SparseML's published per-layer recipes: dozens of GMP modifiers, most on
    one schedule (which the replay computes once and shares), each on its own
    tensor; and the lint of each (its replay's verdicts) unchanged by sharing."""
    from recipe_compiler.linter.engine import lint_recipe
    from tests.heavy_recipes import per_layer_recipe
    from tests.sml_harness import WideNet

    recipe = load(per_layer_recipe(modifiers, frequency, epochs, seed), text=True)
    assert recipe.ok, recipe.problems
    model = WideNet(modifiers)
    text = tiny_version(recipe, [f"w{i}.weight" for i in range(modifiers)])
    t = compare(text, spe, model)
    gradual = [p for p in t.modifiers if p.sparsity is not None]
    assert len(gradual) == modifiers
    assert len({tuple(p.update_steps) for p in gradual}) < modifiers  # shared
    from recipe_compiler.linter.rules import rc226_update_drift
    from recipe_compiler.schedule import clock

    for cache in (clock._cached_points, clock._targets, rc226_update_drift._drift):
        cache.cache_clear()
    cold = lint_recipe(recipe, None, spe).problems
    assert clock._cached_points.cache_info().misses <= 1 + len(
        {(e.model.start, e.model.end) for e in recipe.modifiers}
    )  # one replay a distinct schedule, not one a modifier
    assert lint_recipe(recipe, None, spe).problems == cold
