"""`recipe new`: over its options, every recipe it writes is clean, loads in
SparseML at the intended length, and plans the intended windows."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recipe_compiler.cli import main
from recipe_compiler.edit.new import AuthoringError, Spec, render, windows
from recipe_compiler.linter.engine import lint_recipe
from recipe_compiler.loader import source
from recipe_compiler.loader.recipe import from_source
from recipe_compiler.model.sources import load_network
from recipe_compiler.schedule.clock import DEFAULT_STEPS_PER_EPOCH
from recipe_compiler.schedule.timeline import plan
from tests.conftest import ROOT


@st.composite
def specs(draw):
    template = draw(st.sampled_from(["gmp", "gmp-qat", "qat", "transfer"]))
    final = draw(st.floats(0.3, 0.97))
    lr0 = draw(st.sampled_from([0.1, 0.05, 0.01, 0.003, 0.001]))
    return Spec(
        template=template,
        epochs=draw(st.sampled_from([9, 18, 30, 45, 90, 100, 120, 150, 300, 37.5])),
        final_sparsity=round(final, 3),
        init_sparsity=draw(st.sampled_from([0.0, 0.05, 0.1, 0.2])),
        lr=(lr0, lr0 * draw(st.sampled_from([0.1, 0.01, 0.0]))),
        mask=draw(st.sampled_from(["unstructured", "block4"])),
        model=draw(st.sampled_from([None, "digits-cnn", "yolov5n", "yolov5s"])),
        format=draw(st.sampled_from(["yaml", "md"])),
        steps_per_epoch=draw(st.one_of(st.none(), st.integers(1, 400))),
    )


def _made(spec):
    net = load_network(spec.model) if spec.model else None
    text = render(spec, net, f"new.{spec.format}")
    recipe = from_source(source.from_text(text, f"new.{spec.format}", spec.format))
    return text, recipe, net


SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@SETTINGS
@given(spec=specs())
def test_every_new_recipe_is_clean_and_plans_the_rule(spec):
    grid = spec.steps_per_epoch or 2
    n = Fraction(spec.epochs).limit_denominator(10**6)
    after = (5 if spec.template == "transfer" else 2) * n / 9  # what follows pruning
    qat = max(2, round(n / 45 * grid)) if spec.template != "gmp" else 0  # steps
    if spec.template != "qat" and max(1, round(after * grid)) - qat <= 0:
        # QAT's two steps at least leave no fine-tuning: refused, saying so
        with pytest.raises(AuthoringError, match="too short"):
            _made(spec)
        return
    text, recipe, net = _made(spec)
    spe = spec.steps_per_epoch or DEFAULT_STEPS_PER_EPOCH
    found = lint_recipe(recipe, None, spe, net).problems
    loud = [p for p in found if p.severity in ("error", "warning")]
    assert loud == [], (spec, loud)
    w = windows(spec)
    t = plan(recipe, spe)
    # the intended length, and SparseML's max_epochs of it
    assert math.isclose(recipe.max_epochs, math.ceil(w.total))
    assert t.total_steps == math.ceil(w.total) * spe
    if spec.template in ("gmp", "gmp-qat"):
        # pruning ends at N/3 (on the step grid), at the midpoint LR
        assert abs(w.pruning - n / 3) <= Fraction(1, 2 * grid)
        (index,) = t.sparsity
        end = round(w.pruning * spe)
        assert t.sparsity[index][end] == pytest.approx(spec.final_sparsity)
        assert t.sparsity[index][end - 1] < spec.final_sparsity
        mid = (spec.lr[0] + spec.lr[1]) / 2
        assert np.allclose(t.lr[0][:end], mid, rtol=1e-9)
        # fine-tuning (and QAT) fill the 2N/9 after it
        assert abs(w.finetuning + w.qat - 2 * n / 9) <= Fraction(1, 2 * grid)
    if w.qat:
        (qat,) = [p for p in t.phases if p.name == "qat"]
        assert qat.start_step == round((w.total - w.qat) * spe)
        assert qat.start_step < t.total_steps
        frozen = [p for p in t.phases if p.name in ("bn-freeze", "observers-off")]
        assert frozen and all(
            qat.start_step < p.start_step < t.total_steps for p in frozen
        )
    assert "__metadata__:\n  base_epochs:" in text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs())
def test_sparseml_loads_every_new_recipe_at_its_length(sparseml, spec):
    import tempfile
    from pathlib import Path

    from sparseml.pytorch.optim import ScheduledModifierManager

    text, recipe, _ = _made(spec)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"r.{spec.format}"
        path.write_text(text)
        manager = ScheduledModifierManager.from_yaml(str(path))
    assert manager.max_epochs == math.ceil(windows(spec).total) == recipe.max_epochs


def test_the_guide_numbers_for_90_epochs():
    """30 + 20 for a 90-epoch dense run; QAT the last 2 of the 20; LR midpoint."""
    w = windows(Spec("gmp-qat"))
    assert (w.pruning, w.finetuning, w.qat, w.observer) == (30, 18, 2, 1)
    text, _recipe, _ = _made(Spec("gmp-qat", lr=(0.01, 0.0001)))
    assert "pruning_lr: 0.00505" in text and "qat_lr: 0.00001" in text


def test_yolov5_params_leave_out_the_first_conv_and_the_head():
    from recipe_compiler.model.params import flat, resolve_params

    for size in "nsmlx":
        spec = Spec("gmp", model=f"yolov5{size}")
        _, recipe, net = _made(spec)
        (gmp,) = [m for e, m in recipe.models if e.tag == "GMPruningModifier"]
        taken = resolve_params(flat(gmp.params), net).params
        convs = list(net.prunable_weights)
        assert taken == [n for n in convs[1:] if not n.startswith("model.24.")], size


def _new(*args):
    return CliRunner().invoke(main, ["new", *args])


def test_new_writes_atomically_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "r.md"
    r = _new("-t", "gmp", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert out.read_text().startswith("---\n# Any model: 80% sparse")
    again = _new("-t", "gmp", "-o", str(out))
    assert again.exit_code == 2 and "--force" in again.stderr
    assert _new("-t", "qat", "-o", str(out), "--force").exit_code == 0
    assert "quantization-aware" in out.read_text()


def test_new_var_sets_a_variable_and_rejects_unknown_ones():
    r = _new("-t", "gmp", "--var", "final_sparsity=0.9")
    assert r.exit_code == 0 and "final_sparsity: 0.9 " in r.stdout
    bad = _new("-t", "qat", "--var", "final_sparsity=0.9")
    assert bad.exit_code == 2 and "qat template has no such variable" in bad.stderr
    worse = _new("-t", "gmp", "--var", "final_sparsity=1.5")
    assert worse.exit_code == 1 and "RC301" in worse.stderr


def test_new_records_the_command_that_makes_it_again(tmp_path):
    out = tmp_path / "r.yaml"
    args = [
        "-t",
        "gmp-qat",
        "--model",
        "yolov5n",
        "--mask",
        "block4",
        "--epochs",
        "120",
        "--steps-per-epoch",
        "50",
        "-o",
        str(out),
    ]
    assert _new(*args).exit_code == 0
    first = out.read_text()
    line = next(x for x in first.splitlines() if x.startswith("# Made by"))
    recorded = [*line.split("recipe new ", 1)[1].split(), "--force"]
    assert _new(*recorded).exit_code == 0
    assert out.read_text() == first


def test_too_short_a_run_for_its_windows_is_one_line(tmp_path):
    r = _new("-t", "gmp-qat", "--epochs", "2")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    assert "too short" in r.stderr


def _made_by(path):
    for line in path.read_text().splitlines():
        if line.startswith("# Made by recipe-compiler: recipe new "):
            return line.split("recipe new ", 1)[1].split()
    return None


LIBRARY = [p for p in sorted((ROOT / "recipes").glob("*.*")) if _made_by(p)]


def test_the_library_has_the_guides_journey():
    names = {p.name for p in LIBRARY}
    assert {
        "yolov5s-gmp-qat.md",
        "yolov5s-qat.md",
        "yolov5s-transfer.md",
        "yolov5s-pruned95-block4-qat.md",
        "yolov5s-pruned90-fp32.md",
    } <= names


@pytest.mark.parametrize("path", LIBRARY, ids=[p.name for p in LIBRARY])
def test_regenerating_a_bundled_recipe_gives_the_same_file(tmp_path, monkeypatch, path):
    """Each bundled recipe `recipe new` made: its recorded command, run again
    (from the repository, as recorded), writes the same bytes."""
    args = _made_by(path)
    out = args.index("-o") + 1
    recorded = args[out]
    target = tmp_path / Path(recorded).name
    args[out] = str(target)
    monkeypatch.chdir(ROOT)
    r = _new(*args)
    assert r.exit_code == 0, r.output
    assert target.read_text().replace(str(target), recorded) == path.read_text()
