"""A recipe applied to a torch model in a training loop: the one place SparseML's
manager is set up, in `recipe run` and in your own loop alike.

    from recipe_compiler.runner import RecipeSession

    session = RecipeSession("recipe.yaml", model, optimizer, steps_per_epoch, out="run")
    for epoch in range(session.epochs):
        for x, y in loader:
            session.optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            session.step(loss)          # instead of optimizer.step()
    session.finish()                    # run/observed.csv, run/report.html

Before anything runs, the recipe is linted as `recipe lint --model` would lint it,
against the live module (unwrapped from DistributedDataParallel, as SparseML must
see it): a name that matches no parameter stops here, not at SparseML's initialize.
SparseML's own manager then wraps the optimizer (`manager.modify`, the model in
train mode for QAT's fusion), so its schedule is the engine's; `step()` takes the
wrapped optimizer's step and writes the row of `observed.csv` (step, epoch, LR,
loss, each pruning modifier's sparsity); `state_dict()` is what a checkpoint keeps
to resume; `finish()` finalizes the manager and, if asked, draws the plan with the
run over it in `report.html`. The session never moves a tensor: the model and its
data stay on the device the loop put them on.
"""

from __future__ import annotations

import csv
import dataclasses
import logging
import math
from pathlib import Path
from typing import Any

from .. import torch_compat
from ..fileio import write_atomic
from ..linter.engine import lint_recipe
from ..loader.recipe import Recipe, load
from ..model.network import Network, network_from_dict
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


def live_network(model: Any, name: str = "model") -> Network:
    """The live module as `--model` tables describe one (no MAC positions)."""
    from ..model.torch import table_of

    return network_from_dict(table_of(model, name))


def params_of(model: Any, spec: Any, net: Network | None = None) -> dict[str, Any]:
    """The tensors a modifier's `params` takes, resolved as SparseML resolves them
    (`model/params.py`: tokens anywhere in a list replace it; names; `re:` patterns;
    none given: `__ALL_PRUNABLE__`)."""
    named = dict(model.named_parameters())
    entries = flat(spec) if spec not in (None, []) else None
    net = net if net is not None else live_network(model)
    taken = resolve_params(entries or ["__ALL_PRUNABLE__"], net)
    return {n: named[n] for n in taken.params if n in named}


def zero_fraction(tensors: dict[str, Any]) -> float:
    """Zeros over all elements of `tensors` together: a modifier's sparsity."""
    zeros = sum(int((t == 0).sum()) for t in tensors.values())
    return zeros / max(1, sum(t.numel() for t in tensors.values()))


@dataclasses.dataclass(frozen=True)
class Watched:
    """The tensors each pruning modifier prunes: file index -> (label, tensors)."""

    tensors: dict[int, tuple[str, dict[str, Any]]]

    def labels(self) -> list[str]:
        return [label for label, _ in self.tensors.values()]

    def fractions(self) -> list[float]:
        return [zero_fraction(ts) for _, ts in self.tensors.values()]


def modifier_log(out_dir: Path, main: bool = True) -> Any:
    """SparseML's modifier-level log, kept in `DIR/sparseml.log` with the run.

    Left to its default, sparseml writes `./sparse_logs/<time>.log` into whatever
    folder the user started from. Ranks other than the main one log nowhere.
    """
    from sparseml.pytorch.utils.logger import PythonLogger

    log = logging.getLogger(f"recipe_compiler.runner.sparseml.{out_dir.resolve()}")
    log.propagate = False  # the console shows our progress lines, not these
    log.setLevel(logging.DEBUG)
    for handler in list(log.handlers):  # a second run into the same folder
        log.removeHandler(handler)
        handler.close()
    if main:
        log.addHandler(logging.FileHandler(out_dir / "sparseml.log", delay=True))
    else:
        log.addHandler(logging.NullHandler())
    return PythonLogger(log)


class RecipeSession:
    """SparseML's manager over `model` and `optimizer`, from `epoch` on.

    `out`: the folder of `observed.csv` (and `report.html` at `finish`); None
    writes nothing. `resume`: `observed.csv` keeps the rows before `epoch` and
    goes on after them. `loggers`: SparseML's (default: its own; a session with
    `out` logs to `out/sparseml.log`).
    """

    def __init__(
        self,
        recipe: str | Path | Recipe,
        model: Any,
        optimizer: Any,
        steps_per_epoch: int,
        out: str | Path | None = None,
        *,
        epoch: float = 0.0,
        loggers: list[Any] | None = None,
        resume: bool = False,
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
        if self.out is not None:
            self.out.mkdir(parents=True, exist_ok=True)
        if loggers is None and self.out is not None:
            loggers = [modifier_log(self.out)]
        path = Path(self.recipe.path)
        manager = ScheduledModifierManager.from_yaml(
            str(path) if path.is_file() else self.recipe.source.text
        )
        self.changes = torch_compat.prepare_manager(manager, self.model)
        self.model.train()  # layer fusion for QAT must see a model in train mode
        self.manager = manager
        self.optimizer = manager.modify(
            self.model,
            optimizer,
            steps_per_epoch=self.spe,
            epoch=float(epoch),
            loggers=loggers,
        )
        self._inner = optimizer
        self.steps = round(epoch * self.spe)
        self.watched = Watched(
            {
                e.index: (
                    f"#{e.index} {e.tag}",
                    params_of(self.model, getattr(m, "params", None), net),
                )
                for e, m in self.recipe.models
                if is_gradual(m)  # the modifiers the plan has a sparsity for
            }
        )
        self._measured: list[float] | None = []  # the sparsity after the last step
        self._file: Any = None
        self._writer: Any = None
        if self.out is not None:
            self._open(self.out / "observed.csv", resume)

    def _open(self, path: Path, resume: bool) -> None:
        """`observed.csv`, one row a step; resuming, the rows before this session's
        first step are kept (those of an epoch cut short are dropped)."""
        if resume and path.exists():
            with path.open(newline="") as f:
                kept = list(csv.reader(f))[: 1 + self.steps]
            with path.open("w", newline="") as f:
                csv.writer(f).writerows(kept)
            self._file = path.open("a", newline="")
            self._writer = csv.writer(self._file)
            return
        self._file = path.open("w", newline="")
        self._writer = csv.writer(self._file)
        labels = [f"sparsity_{i}" for i in self.watched.tensors]
        self._writer.writerow(["step", "epoch", "lr", "loss", *labels])

    @property
    def max_epochs(self) -> float:
        """SparseML's `max_epochs` of the recipe."""
        return float(self.manager.max_epochs)

    @property
    def epochs(self) -> int:
        """Epochs to train: SparseML's `max_epochs`, rounded up."""
        return math.ceil(self.manager.max_epochs)

    @property
    def lr(self) -> float:
        """The first param group's learning rate, as SparseML last set it."""
        return float(self._inner.param_groups[0]["lr"])

    def sparsity(self) -> list[float]:
        """Each pruning modifier's zeros over its tensors, in file order."""
        return self.watched.fractions()

    @property
    def fractions(self) -> list[float]:
        """Each pruning modifier's sparsity after the last step, measured once a
        step and only when asked (counting zeros syncs a GPU): a loop that writes
        no observed.csv and shows no sparsity pays nothing for it."""
        if self._measured is None:
            self._measured = self.sparsity()
        return self._measured

    def step(self, loss: Any = None) -> None:
        """The optimizer step under SparseML's manager, and its row of observed.csv."""
        self.optimizer.step()
        self._measured = None
        if self._writer is not None:
            value = float(loss) if loss is not None else math.nan
            self._writer.writerow(
                [self.steps, self.steps / self.spe, self.lr, value, *self.fractions]
            )
        self.steps += 1

    def flush(self) -> None:
        """observed.csv's rows so far on disk (a run does it after every epoch)."""
        if self._file is not None:
            self._file.flush()

    def state_dict(self) -> dict[str, Any]:
        """What resuming needs of the session: the optimizer's and the manager's."""
        return {
            "optimizer": self._inner.state_dict(),
            "manager": self.manager.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._inner.load_state_dict(state["optimizer"])
        self.manager.load_state_dict(state["manager"])

    def finish(self, draw: bool = True) -> tuple[float | None, float | None]:
        """Finalize the manager; with `out` and `draw`, draw report.html and return
        the largest planned-vs-observed differences of the LR and the sparsity."""
        self.manager.finalize(self.model)
        if self._file is None:
            return None, None
        self._file.close()
        self._file = self._writer = None
        if not draw:
            return None, None
        from ..views.preview import render
        from .report import compare_with_plan

        assert self.out is not None
        drawn, lr_diff, sparsity_diff = compare_with_plan(
            self.recipe, self.problems, self.spe, self.out
        )
        write_atomic(self.out / "report.html", render([drawn]))
        return lr_diff, sparsity_diff
