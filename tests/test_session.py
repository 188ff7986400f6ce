"""RecipeSession: a recipe applied by SparseML in a plain training loop written
here, logged and reported as `recipe run` logs and reports it."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from recipe_compiler.recipe import load
from recipe_compiler.schedule import plan
from tests.conftest import ROOT

RECIPE = ROOT / "recipes" / "digits-gmp.yaml"


def _digits(batch_size=32):
    from recipe_compiler.runner import compat

    compat.apply()
    import torch

    from recipe_compiler.runner.data import digits
    from recipe_compiler.runner.models import DigitsCNN

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
