"""`recipe diff`: rewrites that change nothing diff as equal; each kind of change
is reported with both values; `--plan` finds the first step that differs."""

from __future__ import annotations

import json

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recipe_compiler.cli import main
from recipe_compiler.edit.compile import compile_recipe
from recipe_compiler.edit.new import Spec, render
from recipe_compiler.loader import source
from recipe_compiler.loader.recipe import from_source
from recipe_compiler.views.diff import diff
from tests.conftest import ROOT

GMP = ROOT / "recipes" / "yolov5s-gmp.md"


def _recipe(text, name="r.yaml"):
    kind = "md" if name.endswith(".md") else "yaml"
    return from_source(source.from_text(text, name, kind))


def _diff(a, b, spe=100):
    return diff(_recipe(a), _recipe(b), spe)


def _run(tmp_path, a, b, *extra):
    pa, pb = tmp_path / "a.yaml", tmp_path / "b.yaml"
    pa.write_text(a)
    pb.write_text(b)
    return CliRunner().invoke(main, ["diff", str(pa), str(pb), *extra])


BASE = """\
modifiers:
  - !EpochRangeModifier
    start_epoch: 0
    end_epoch: 50
  - !SetLearningRateModifier
    start_epoch: 0
    learning_rate: 0.00505
  - !LearningRateFunctionModifier
    start_epoch: 30
    end_epoch: 50
    lr_func: cosine
    init_lr: 0.00505
    final_lr: 0.0001
  - !GMPruningModifier
    params: [re:features.*weight, classifier.1.weight]
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 0
    end_epoch: 30
    update_frequency: 0.5
"""

VARIABLES = """\
pruning_epochs: 30
total: eval(pruning_epochs + 20)
lr: 0.00505
modifiers:
  - !GMPruningModifier
    params: [classifier.1.weight, re:features.*weight]
    init_sparsity: 0.05
    final_sparsity: eval(0.4 * 2)
    start_epoch: 0
    end_epoch: eval(pruning_epochs)
    update_frequency: 0.5
  - !LearningRateFunctionModifier
    start_epoch: &p eval(pruning_epochs)
    end_epoch: &t eval(total)
    lr_func: cosine
    init_lr: &lr eval(lr)
    final_lr: 0.0001
  - !SetLearningRateModifier
    start_epoch: 0
    learning_rate: *lr
  - !EpochRangeModifier
    start_epoch: 0
    end_epoch: *t
"""


def test_literals_variables_anchors_and_order_diff_as_equal(tmp_path):
    d = _diff(BASE, VARIABLES)
    assert d.equivalent, d
    r = _run(tmp_path, BASE, VARIABLES, "--plan")
    assert r.exit_code == 0, r.output
    assert r.stdout.rstrip().endswith(
        "equivalent: the same modifiers and the same schedule at every step"
    )
    assert "the plans agree at every step" in r.stdout


def test_the_guides_recipe_and_the_variables_one_are_equivalent():
    guide = ROOT / "recipes" / "yolov5s-gmp-guide.md"
    r = CliRunner().invoke(
        main, ["diff", str(guide), str(GMP), "--steps-per-epoch", "1849"]
    )
    assert r.exit_code == 0, r.output


def test_a_changed_field_shows_both_values_and_their_expressions(tmp_path):
    changed = VARIABLES.replace("eval(0.4 * 2)", "eval(0.45 * 2)")
    r = _run(tmp_path, BASE, changed, "--format", "json")
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    (mod,) = out["modifiers"]
    assert mod["type"] == "GMPruningModifier" and (mod["a_line"], mod["b_line"]) == (
        14,
        5,
    )
    (field,) = mod["fields"]
    assert field == {
        "name": "final_sparsity",
        "a": 0.8,
        "b": 0.9,
        "a_from": None,
        "b_from": "eval(0.45 * 2)",
    }
    what = {c["what"]: (c["a"], c["b"]) for c in out["schedule"]}
    assert what["pruning (start, end, final sparsity)"] == (
        [[0.0, 30.0, 0.8]],
        [[0.0, 30.0, 0.9]],
    )


def test_modifiers_only_in_one_recipe_and_the_qat_start(tmp_path):
    qat = BASE + "  - !QuantizationModifier\n    start_epoch: 45\n"
    r = _run(tmp_path, BASE, qat)
    assert r.exit_code == 1
    assert "+ !QuantizationModifier (line 21) only in B" in r.stdout
    assert "QAT starts (epoch): [] -> [45.0]" in r.stdout
    back = _run(tmp_path, qat, BASE)
    assert "- !QuantizationModifier (line 21) only in A" in back.stdout


def test_length_lr_and_update_counts(tmp_path):
    longer = BASE.replace("end_epoch: 50", "end_epoch: 60").replace(
        "update_frequency: 0.5", "update_frequency: 1.0"
    )
    d = _diff(BASE, longer)
    what = {c.what: (c.a, c.b) for c in d.schedule}
    assert what["training length (epochs)"] == (50, 60)
    assert what["optimizer steps"] == (5000, 6000)
    assert what["!GMPruningModifier (line 14 / 14) mask updates"] == (61, 31)
    fields = {f.name: (f.a, f.b) for p in d.pairs for f in p.fields}
    assert fields["end_epoch"] == (50.0, 60.0) and fields["update_frequency"] == (
        0.5,
        1.0,
    )


def test_plan_finds_the_first_step_that_differs(tmp_path):
    """The cosine starts at 30 in A and 31 in B: both hold 0.00505 at step 3000,
    where A's cosine begins at its init_lr; step 3001 is the first to differ."""
    later = BASE.replace(
        "start_epoch: 30\n    end_epoch: 50", "start_epoch: 31\n    end_epoch: 50"
    )
    d = _diff(BASE, later)
    assert (d.first_step.step, d.first_step.what) == (3001, "lr")
    r = _run(tmp_path, BASE, later, "--plan")
    assert "first differing step: 3001 (epoch 30.01): lr" in r.stdout


def test_plan_compares_what_sparseml_does_whatever_the_modifiers_types(tmp_path):
    """A pruner of another type and final sparsity (the two are not matched as
    one modifier changed): the first differing step is where the targets part,
    as the two plans of `recipe plan --format json` show it."""
    other = BASE.replace("!GMPruningModifier", "!MagnitudePruningModifier").replace(
        "final_sparsity: 0.8", "final_sparsity: 0.85"
    )
    d = _diff(BASE, other)
    assert d.first_step is not None and "target sparsity" in d.first_step.what
    plans = []
    for name, text in (("a.yaml", BASE), ("b.yaml", other)):
        (tmp_path / name).write_text(text)
        r = CliRunner().invoke(
            main,
            [
                "plan",
                str(tmp_path / name),
                "--format",
                "csv",
                "--steps-per-epoch",
                "100",
            ],
        )
        assert r.exit_code == 0, r.output
        plans.append([line.split(",") for line in r.stdout.splitlines()[1:]])
    sparsity = -1  # the last column: the pruner's target after each step
    first = next(
        int(ra[0])
        for ra, rb in zip(*plans, strict=True)
        if ra[sparsity] != rb[sparsity]
    )
    assert d.first_step.step == first > 0
    r = _run(tmp_path, BASE, other, "--plan")
    assert r.exit_code == 1
    assert f"first differing step: {first} " in r.stdout
    assert "agree at every step" not in r.stdout


def test_unreadable_is_one_problem_and_exit_2(tmp_path):
    (tmp_path / "bad.yaml").write_bytes(b"\x00\x01")
    r = CliRunner().invoke(main, ["diff", str(tmp_path / "bad.yaml"), str(GMP)])
    assert r.exit_code == 2 and r.stderr == (
        f"recipe diff: {tmp_path / 'bad.yaml'}:1:1: RC000 error binary data, not a "
        "text recipe\n    hint: give a .yaml or .md recipe\n"
    )
    r = CliRunner().invoke(main, ["diff", str(tmp_path / "none.yaml"), str(GMP)])
    assert r.exit_code == 2 and "no such file" in r.stderr


@st.composite
def new_recipes(draw):
    return Spec(
        template=draw(st.sampled_from(["gmp", "gmp-qat", "qat", "transfer"])),
        epochs=draw(st.sampled_from([18, 45, 90, 100, 300])),
        final_sparsity=draw(st.sampled_from([0.5, 0.8, 0.9])),
        steps_per_epoch=draw(st.one_of(st.none(), st.integers(1, 200))),
        mask=draw(st.sampled_from(["unstructured", "block4"])),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=new_recipes(), seed=st.randoms(use_true_random=False))
def test_flattened_and_shuffled_rewrites_are_equivalent(spec, seed):
    """`recipe compile --flatten` (every value a literal) and the modifiers in
    another order change nothing SparseML does."""
    text = render(spec)
    recipe = _recipe(text)
    spe = spec.steps_per_epoch or 100
    flat = compile_recipe(recipe, {}, True, steps_per_epoch=spe)
    lines = flat.split("\n  - ")
    head, mods = lines[0], lines[1:]
    seed.shuffle(mods)
    shuffled = "\n  - ".join([head, *mods])
    if not shuffled.endswith("\n"):
        shuffled += "\n"
    d = diff(recipe, _recipe(shuffled), spe)
    assert d.equivalent, (d, shuffled)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=new_recipes(), data=st.data())
def test_a_changed_variable_is_reported_with_both_values(spec, data):
    text = render(spec)
    recipe = _recipe(text)
    names = [
        n
        for n in ("final_sparsity", "qat_lr", "num_finetuning_epochs")
        if f"\n{n}: " in text
    ]
    name = data.draw(st.sampled_from(names))
    key = f"\n{name}: "
    written = text.split(key)[1].split()[0]
    old = float(written)
    new = old * 0.5 if name != "num_finetuning_epochs" else old + 1
    changed = text.replace(key + written, key + repr(new), 1)
    d = diff(recipe, _recipe(changed), spec.steps_per_epoch or 100)
    assert not d.equivalent
    pairs = [(f.a, f.b) for p in d.pairs for f in p.fields]
    assert (
        any(
            abs(a - old) < 1e-12 and abs(b - new) < 1e-12
            for a, b in pairs
            if isinstance(a, float) and isinstance(b, float)
        )
        or name == "num_finetuning_epochs"
    ), (name, pairs)
    assert d.schedule or d.first_step


def test_compile_flatten_keeps_epochs_that_land_between_decimals():
    """Found by the property above: `compile --flatten` wrote 1/6 as 0.1667, a
    step later at 6 steps an epoch. It now writes the values as they are."""
    text = render(Spec("qat", epochs=18, steps_per_epoch=6))
    recipe = _recipe(text)
    flat = compile_recipe(recipe, {}, True, steps_per_epoch=6)
    assert "0.1667" not in flat and "0.16666666666666666" in flat
    assert diff(recipe, _recipe(flat), 6).equivalent
