"""`recipe rescale` of a sparseml.core recipe (edit/rescale_core.py)
moves what SparseML 1.8 makes of it exactly as the rule says: generated recipes
(epochs as numbers, YAML anchors and `eval(...)` over args, sums and multiples
of them, derived args, oneshot stages beside train stages) go through the engine
before and after, and each built modifier's epochs must be the old ones times
N/M (within the rounding asked for) while every other field it holds stays.
Recipes that cannot scale (a number inside an eval, an arg or anchor that
something other than an epoch also reads) must be refused, never written."""

from __future__ import annotations

import random
import re

import pytest

from recipe_compiler.edit.rescale import RescaleError
from recipe_compiler.edit.rescale_core import rescale_core
from recipe_compiler.loader.recipe import from_source
from recipe_compiler.loader.source import from_text

BASE = 90.0
# the fields SparseML 1.8's modifiers read as epochs (`Modifier.start`/`end`,
# QuantizationModifier's observer and BN-freeze epochs)
EPOCHS = {
    "start",
    "end",
    "disable_quantization_observer_epoch",
    "freeze_bn_stats_epoch",
}


def _number(rng: random.Random) -> str:
    return rng.choice([str(rng.randint(0, 40)), f"{rng.randint(0, 400) / 10:g}"])


def case(rng: random.Random) -> tuple[str, bool]:
    """A recipe's text, and whether it can be rescaled."""
    args = [f"a{i}" for i in range(rng.randint(1, 3))]
    lines = ["# generated"] + [f"{a}: {_number(rng)}  # an epoch" for a in args]
    derived = rng.random() < 0.4
    if derived:
        lines.append(f"d: eval({' + '.join(args)})")
    lines.append("sparsity: 0.75")
    scalable = True
    anchored = False
    used: set[str] = set()  # the args an epoch reads

    def epoch() -> str:
        nonlocal scalable, anchored
        a, b = rng.choice(args), rng.choice(args)
        forms = [
            (_number(rng), set()),
            (f"eval({a})", {a}),
            (f"eval({a} + {b})", {a, b}),
            (f"eval({a} * 2)", {a}),
            (f"eval({a} / 2 + {b} / 2)", {a, b}),
        ]
        if derived:
            forms += [("eval(d)", set(args)), (f"eval(d - {a} + {b})", set(args))]
        if not anchored:
            forms.append((f"&x {rng.randint(1, 40)}", set()))
        form, reads = rng.choice(forms)
        if rng.random() < 0.08:
            form, reads = f"eval({a} + 3)", {a}  # 3 stays 3
            scalable = False
        anchored = anchored or form.startswith("&x")
        used.update(reads)
        return form

    lines += ["train_stage:", "  pruning_modifiers:"]
    lines += [
        "    MagnitudePruningModifier:",
        "      targets: ['re:.*weight']",
        "      init_sparsity: 0.05",
        "      final_sparsity: eval(sparsity)",
        f"      start: {epoch()}",
        f"      end: {epoch()}",
        "      update: 0.5",
    ]
    lines += [
        "    ConstantPruningModifier:",
        "      targets: __ALL__",
        f"      start: {rng.choice(['-1', '0']) if rng.random() < 0.3 else epoch()}",
    ]
    if rng.random() < 0.5:
        lines.append(f"      end: {epoch()}")
    if anchored and rng.random() < 0.5:
        lines += ["  quant_modifiers:", "    LegacyQuantizationModifier:"]
        lines += ["      start: *x", f"      freeze_bn_stats_epoch: {epoch()}"]
    if rng.random() < 0.6:
        lines += [
            "oneshot_stage:",
            "  obcq_modifiers:",
            "    SparseGPTModifier:",
            "      start: -1",
        ]
        if rng.random() < 0.15:
            scalable = scalable and args[0] not in used  # read by oneshot too
            lines.append(f"      sparsity: eval({args[0]} / 100)")
        else:
            lines.append(f"      sparsity: {rng.choice(['0.5', 'eval(sparsity)'])}")
        if anchored and rng.random() < 0.3:
            scalable = False  # the anchor's number is also a block size
            lines.append("      block_size: *x")
    return "\n".join(lines) + "\n", scalable


def _recipe(text: str):
    return from_source(from_text(text, "case.yaml", "yaml"))


def test_rescaled_recipes_are_the_engines_epochs_times_the_factor(core):
    rng = random.Random(3507)
    cases = [case(rng) for _ in range(70)]
    written: list[tuple[str, str, float, float]] = []  # old, new, factor, quantum
    refused = 0
    for text, scalable in cases:
        epochs = rng.choice([30, 45, 60, 72, 120, 135, 180, 33])
        round_to = rng.choice([None, None, 1.0, 0.5, 0.01])
        try:
            result = rescale_core(_recipe(text), epochs, round_to=round_to)
        except RescaleError as exc:
            assert not scalable, f"refused a recipe that scales: {exc}\n{text}"
            refused += 1
            continue
        assert scalable, f"rescaled a recipe that cannot scale:\n{text}"
        written.append((text, result.text, epochs / BASE, round_to or 1e-4))
    assert refused >= 3 and len(written) >= 45, (refused, len(written))
    verdicts = core([(f"r{i}.yaml", t) for w in written for i, t in enumerate(w[:2])])
    moved = 0
    for k, (old_text, new_text, factor, quantum) in enumerate(written):
        old, new = verdicts[2 * k], verdicts[2 * k + 1]
        assert old["builds"] and new["builds"], (old, new, old_text)
        assert old["modifiers"] == new["modifiers"]
        stages = [s == "train" for s in old["stages"]]
        assert len(stages) == len(new["stages"])
        for before, after, name in zip(
            old["fields"], new["fields"], old["modifiers"], strict=True
        ):
            train = name != "SparseGPTModifier"  # (the oneshot stage's only one)
            assert before.keys() == after.keys()
            for key, value in before.items():
                if train and key in EPOCHS and value is not None and value >= 0:
                    want = value * factor
                    assert after[key] == pytest.approx(want, abs=2 * quantum), (
                        name,
                        key,
                        value,
                        after[key],
                        new_text,
                    )
                    moved += after[key] != value
                else:
                    assert after[key] == value, (name, key, new_text)
    assert moved > 100


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (
            "a: 10\ntrain_stage:\n  p_modifiers:\n    ConstantPruningModifier:\n"
            "      targets: __ALL__\n      start: eval(a + 3)\n",
            "does not scale",
        ),
        (
            "a: 10\ntrain_stage:\n  p_modifiers:\n    MagnitudePruningModifier:\n"
            "      targets: __ALL__\n      init_sparsity: 0.0\n"
            "      final_sparsity: eval(a / 20)\n      start: 0\n      end: eval(a)\n",
            "the arg 'a' (line 1)",
        ),
        (
            "oneshot_stage:\n  o_modifiers:\n    SparseGPTModifier:\n"
            "      sparsity: 0.5\n",
            "nothing to rescale",
        ),
    ],
)
def test_what_cannot_scale_is_refused_with_the_reason(text, why):
    with pytest.raises(RescaleError, match=re.escape(why)):
        rescale_core(_recipe(text), 45)


def test_only_the_numbers_change_and_the_rule_is_said_in_a_header():
    text = (
        "# keep me\nwarm: 5  # warm-up\nprune: 20\n"
        "train_stage:\n  pruning_modifiers:\n    MagnitudePruningModifier:\n"
        "      targets: __ALL__\n      init_sparsity: 0.05\n"
        "      final_sparsity: 0.8\n      start: eval(warm)\n"
        "      end: eval(warm + prune)\n"
    )
    result = rescale_core(_recipe(text), 45)
    assert result.text == (
        "# rescaled from 90 to 45 epochs by recipe-compiler\n"
        + text.replace("warm: 5", "warm: 2.5").replace("prune: 20", "prune: 10")
    )
    again = rescale_core(_recipe(result.text), 90)  # the header gives the base
    assert again.text == (
        "# rescaled from 90 to 90 epochs by recipe-compiler\n"
        + text.replace("warm: 5", "warm: 5.0")
    )
