"""RecipeSession: a recipe applied by SparseML in a plain training loop written
here, logged and reported as `recipe run` logs and reports it."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from recipe_compiler.loader.recipe import load
from recipe_compiler.runner.args import RunArgs
from recipe_compiler.schedule.timeline import plan
from tests.conftest import ROOT

RECIPE = ROOT / "recipes" / "digits-gmp.yaml"


def _digits(batch_size=32):
    from recipe_compiler import torch_compat

    torch_compat.apply()
    import torch

    from recipe_compiler.runner.zoo.data import digits
    from recipe_compiler.runner.zoo.models import DigitsCNN

    torch.manual_seed(0)
    train, val = digits(batch_size, seed=0)
    return DigitsCNN(), train, val


def test_session_in_a_plain_loop_matches_the_plan(sparseml, tmp_path):
    import torch

    from recipe_compiler.runner import RecipeSession

    model, train, _ = _digits()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    spe = len(train)
    session = RecipeSession(RECIPE, model, optimizer, spe, out=tmp_path / "run")
    for _ in range(session.epochs):
        for x, y in train:
            session.optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            session.step(loss)
    lr_diff, sparsity_diff = session.finish()
    rows = list(csv.DictReader((tmp_path / "run" / "observed.csv").open()))
    t = plan(load(RECIPE), spe)
    assert len(rows) == t.total_steps
    assert np.allclose([float(r["lr"]) for r in rows], t.lr[0], rtol=1e-12, atol=0)
    assert lr_diff == 0
    (index,) = t.sparsity
    sizes = [
        p.numel()
        for n, p in model.named_parameters()
        if n.endswith("weight") and p.dim() > 1
    ]
    assert sparsity_diff <= len(sizes) / sum(sizes)  # within a weight per tensor
    assert abs(float(rows[-1][f"sparsity_{index}"]) - 0.8) < 1e-3
    page = (tmp_path / "run" / "report.html").read_text()
    assert "observed lr" in page


def test_session_refuses_names_the_live_model_lacks(sparseml, tmp_path):
    import torch

    from recipe_compiler.runner import RecipeSession, RunError

    model, train, _ = _digits()
    bad = tmp_path / "r.yaml"
    bad.write_text(
        RECIPE.read_text().replace("params: __ALL_PRUNABLE__", "params: [features.0]")
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    with pytest.raises(RunError, match=r"RC501.*features\.0\.weight"):
        RecipeSession(bad, model, optimizer, len(train))
    # wrapped as DistributedDataParallel wraps it, the names are the module's own
    wrapped = torch.nn.DataParallel(model)
    ok = tmp_path / "ok.yaml"
    ok.write_text(
        RECIPE.read_text().replace(
            "params: __ALL_PRUNABLE__", "params: [features.0.weight]"
        )
    )
    session = RecipeSession(ok, wrapped, optimizer, len(train))
    assert session.model is model
    session.finish()


def test_session_report_matches_recipe_runs_on_the_same_recipe_and_data(
    sparseml, tmp_path
):
    """The same model, data, optimizer and recipe through `recipe run` (no dense
    epochs) and through RecipeSession in a loop written here: the same
    observed.csv, step for step, and the same planned-vs-observed differences."""
    import json

    import torch

    from recipe_compiler.runner import RecipeSession
    from recipe_compiler.runner.train import run
    from recipe_compiler.runner.zoo.tasks import build

    run(
        RunArgs(str(RECIPE), str(tmp_path / "run"), dense_epochs=0),
        progress=lambda _: None,
    )
    task = build("digits-cnn", 32, 0, 64, None)  # what recipe run builds
    model = task.model
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    session = RecipeSession(
        RECIPE, model, optimizer, len(task.train), out=tmp_path / "own"
    )
    model.train()
    for _ in range(session.epochs):
        for x, y in task.train:
            session.optimizer.zero_grad()
            loss = task.loss(model(x), y)
            loss.backward()
            session.step(loss)
    lr_diff, sparsity_diff = session.finish()

    def rows(folder):
        return list(csv.DictReader((tmp_path / folder / "observed.csv").open()))

    theirs, ours = rows("run"), rows("own")
    assert len(ours) == len(theirs) > 0
    assert list(ours[0]) == list(theirs[0])
    for a, b in zip(ours, theirs, strict=True):
        assert (a["step"], a["epoch"], a["lr"]) == (b["step"], b["epoch"], b["lr"])
        for key in a:
            assert float(a[key]) == pytest.approx(float(b[key]), rel=1e-6, abs=1e-9)
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    theirs = report["planned_vs_observed"]
    assert lr_diff == theirs["max_lr_diff"] == 0
    assert sparsity_diff == pytest.approx(theirs["max_sparsity_diff"], abs=1e-9)
    assert (tmp_path / "own" / "report.html").exists()
