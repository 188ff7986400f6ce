"""A recipe in your own training loop: SparseML applies it, we check and log it.

    from recipe_compiler.runner import RecipeSession

    session = RecipeSession("recipe.yaml", model, optimizer, steps_per_epoch, out="run")
    for epoch in range(session.epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            session.step(loss)          # instead of optimizer.step()
    session.finish()                    # run/observed.csv, run/report.html

Before anything runs, the recipe is linted as `recipe lint --model` would lint it,
against the live module (unwrapped from DistributedDataParallel, as SparseML must
see it): a name that matches no parameter stops here, not at SparseML's initialize.
SparseML's own manager then wraps the optimizer (`manager.modify`), so its schedule
is the engine's; `step()` takes the wrapped optimizer's step and writes the row of
`observed.csv` that `recipe run` writes (step, epoch, LR, loss, each pruning
modifier's sparsity); `finish()` finalizes the manager and draws the plan with the
run over it in `report.html`, returning the largest differences. The session never
moves a tensor: the model and its data stay on the device the loop put them on.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from .. import torch_compat
from ..fileio import write_atomic
from ..linter.engine import lint_recipe
from ..loader.recipe import Recipe, load
from ..model.network import network_from_dict
from ..model.params import flat, resolve_params
from ..modifiers import is_gradual
from ..problems import errors
from .errors import RunError
from .prepare import refusal


def _unwrapped(model: Any) -> Any:
    """The module SparseML is given: a DistributedDataParallel's (or
    DataParallel's) `.module`."""
    import torch

    wrappers = (torch.nn.parallel.DistributedDataParallel, torch.nn.DataParallel)
    return model.module if isinstance(model, wrappers) else model


def live_network(model: Any, name: str = "model") -> Any:
    """The live module as `--model` tables describe one (no MAC positions)."""
    from ..model.torch import table_of

    return network_from_dict(table_of(model, name))


class RecipeSession:
    def __init__(
        self,
        recipe: str | Path | Recipe,
        model: Any,
        optimizer: Any,
        steps_per_epoch: int,
        out: str | Path | None = None,
        *,
        epoch: float = 0.0,
    ):
        torch_compat.apply()
        from sparseml.pytorch.optim import ScheduledModifierManager

        self.recipe = recipe if isinstance(recipe, Recipe) else load(recipe)
        self.model = _unwrapped(model)
        self.spe = int(steps_per_epoch)
        net = live_network(self.model, type(self.model).__name__)
        problems = lint_recipe(
            self.recipe, steps_per_epoch=self.spe, network=net
        ).problems
        if errors(problems):
            raise RunError(refusal(problems, self.spe))
        self.problems = problems
        self.out = Path(out) if out is not None else None
        path = Path(self.recipe.path)
        text = self.recipe.source.text
        manager = ScheduledModifierManager.from_yaml(
            str(path) if path.is_file() else text
        )
        list(torch_compat.prepare_manager(manager, self.model))
        self.manager = manager
        self.optimizer = manager.modify(
            self.model, optimizer, steps_per_epoch=self.spe, epoch=float(epoch)
        )
        self._inner = optimizer
        self.steps = round(epoch * self.spe)
        named = dict(self.model.named_parameters())
        self.watched = {
            e.index: [
                named[n]
                for n in resolve_params(
                    flat(getattr(e.model, "params", None)) or ["__ALL_PRUNABLE__"], net
                ).params
            ]
            for e, m in self.recipe.models
            if is_gradual(m)  # the modifiers the plan has a sparsity for
        }
        self._file: Any = None
        self._writer: Any = None
        if self.out is not None:
            self.out.mkdir(parents=True, exist_ok=True)
            self._file = (self.out / "observed.csv").open("w", newline="")
            self._writer = csv.writer(self._file)
            self._writer.writerow(
                [
                    "step",
                    "epoch",
                    "lr",
                    "loss",
                    *[f"sparsity_{i}" for i in self.watched],
                ]
            )

    @property
    def epochs(self) -> int:
        """Epochs to train: SparseML's `max_epochs`."""
        return math.ceil(self.manager.max_epochs)

    def sparsity(self) -> list[float]:
        """Each pruning modifier's zeros over its tensors, in file order."""
        out = []
        for tensors in self.watched.values():
            zeros = sum(int((t == 0).sum()) for t in tensors)
            out.append(zeros / max(1, sum(t.numel() for t in tensors)))
        return out

    def step(self, loss: Any = None) -> None:
        """The optimizer step under SparseML's manager, and its row of observed.csv."""
        self.optimizer.step()
        if self._writer is not None:
            value = float(loss) if loss is not None else math.nan
            lr = self._inner.param_groups[0]["lr"]
            self._writer.writerow(
                [self.steps, self.steps / self.spe, lr, value, *self.sparsity()]
            )
        self.steps += 1

    def finish(self) -> tuple[float | None, float | None]:
        """Finalize the manager; with `out`, draw report.html and return the largest
        planned-vs-observed differences of the LR and the sparsity."""
        self.manager.finalize(self.model)
        if self._file is None:
            return None, None
        self._file.close()
        from ..views.preview import render
        from .report import compare_with_plan

        assert self.out is not None
        drawn, lr_diff, sparsity_diff = compare_with_plan(
            self.recipe, self.problems, self.spe, self.out
        )
        write_atomic(self.out / "report.html", render([drawn]))
        return lr_diff, sparsity_diff
