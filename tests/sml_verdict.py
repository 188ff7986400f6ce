"""Where SparseML 1.8 fails on a recipe, if it does: the evidence behind every `error`.

A recipe goes through what an integration does with it: `from_yaml` (load),
`manager.initialize` on a model whose parameters are the names the recipe uses
(initialize), then training steps through its whole schedule as
`ScheduledOptimizer` takes them: `update`, `loss_update`, `optimizer_pre_step`,
a real `optimizer.step()` on a real loss, `optimizer_post_step` (step N). The
verdict is the first stage that raised and the exception's type, or "" when the
recipe runs to its last epoch. OBS and M-FAC get a gradient sampler and the
distillation modifiers a teacher (a copy of the student), as the integrations give
them; nothing else is special-cased.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import ClassVar

warnings.filterwarnings("ignore")

import torch  # noqa: E402

from tests.sml_harness import TinyNet  # noqa: E402

STEPS_PER_EPOCH = 4  # small so that a schedule of tens of epochs runs in moments
MAX_STEPS = 600  # bounds a generated schedule; a longer one is cut (Verdict.cut)

# dotted names ending in .weight or .bias that a recipe may name as parameters
_PARAM = re.compile(r"(?<![\w.:])([A-Za-z_]\w*(?:\.\w+)*)\.(?:weight|bias)\b")


@dataclasses.dataclass(frozen=True)
class Verdict:
    stage: str  # "" | "load" | "initialize" | "step"
    exception: str = ""  # the type SparseML raised
    step: int | None = None  # the step that raised, for "step"
    message: str = ""
    cut: bool = False  # the schedule ran past MAX_STEPS and was not finished

    @property
    def ran(self) -> bool:
        return self.stage == ""

    def __str__(self) -> str:
        if self.ran:
            return ""
        where = f"step {self.step}" if self.stage == "step" else self.stage
        return f"{where}: {self.exception}"


class Net(torch.nn.Module):
    """TinyNet's eight Linear layers (a..h) plus one 16x16 Linear per module path
    the recipe names (`model.0.conv.weight` -> module `model.0.conv`). The forward
    pass runs every layer, so QAT's observers and every gradient are real."""

    BASE: ClassVar[dict[str, tuple[int, int]]] = TinyNet.SHAPES

    def __init__(self, paths: tuple[str, ...] = ()):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        for name, (out, inp) in self.BASE.items():
            setattr(self, name, torch.nn.Linear(inp, out))
        for path in paths:
            self._add(path.split("."))
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=g))

    def _add(self, parts: list[str]) -> None:
        parent: torch.nn.Module = self
        for i, part in enumerate(parts):
            child = parent._modules.get(part)
            last = i == len(parts) - 1
            if child is None:
                child = torch.nn.Linear(16, 16) if last else torch.nn.Module()
                parent.add_module(part, child)
            elif isinstance(child, torch.nn.Linear) != last:
                return  # a name that is both a layer and a container: left out
            parent = child

    def forward(self, x):
        out = x.sum(dim=1, keepdim=True) * 0
        for m in self.modules():
            if isinstance(m, torch.nn.Linear):
                out = out + m(torch.ones(x.shape[0], m.in_features)).mean(1, True)
        return out


def module_paths(text: str) -> tuple[str, ...]:
    """The module paths of the parameter names written in the recipe."""
    return tuple(sorted({m.group(1) for m in _PARAM.finditer(text)} - set(Net.BASE)))


def _batches(*_args, **_kwargs):  # a loader builder takes the recipe's kwargs
    while True:
        yield [torch.ones(2, 4)], {}, torch.zeros(2, 1)


def _loss(out, target):
    return ((out - target) ** 2).mean()


def verdict(
    text: str,
    name: str = "recipe.yaml",
    spe: int = STEPS_PER_EPOCH,
    max_steps: int = MAX_STEPS,
    model: str | None = None,
) -> Verdict:
    """The first stage at which SparseML raises on `text` read from a file called
    `name` (SparseML reads `.md` and `.yaml` files differently), or Verdict("").
    `model` names a built-in model of the runner to initialize and train instead
    of the Net of the recipe's own parameter names."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(name).name
        path.write_bytes(text.encode("utf-8"))
        # SparseML prints (progress bars, Powerprop's parameter names): not ours
        with (
            open(os.devnull, "w") as null,
            contextlib.redirect_stdout(null),
            contextlib.redirect_stderr(null),
        ):
            return verdict_of_file(path, spe, max_steps, text, model)


INPUTS = {"digits-cnn": (2, 1, 8, 8)}  # a batch for each model a case names
INPUTS.update({f"yolov5{s}": (1, 3, 64, 64) for s in "nsmlx"})


def verdict_of_file(
    path: Path,
    spe: int = STEPS_PER_EPOCH,
    max_steps: int = MAX_STEPS,
    text: str = "",
    model_name: str | None = None,
) -> Verdict:
    """`verdict` of a file as it is on disk (missing, a folder, not UTF-8: RC000)."""
    from recipe_compiler import torch_compat

    torch_compat.apply()  # torch 2.13 needs it for QAT, as the runner does
    from sparseml.pytorch.optim import ScheduledModifierManager

    try:
        manager = ScheduledModifierManager.from_yaml(str(path))
        epochs = manager.max_epochs
    except Exception as exc:
        return _failed("load", exc)
    x = torch.ones(2, 4)
    if model_name is None:
        model: torch.nn.Module = Net(module_paths(text))
    else:
        from recipe_compiler.runner.zoo.models import MODELS
        from recipe_compiler.runner.zoo.tasks import custom

        torch.manual_seed(0)
        if model_name in MODELS:
            model, x = MODELS[model_name](), torch.ones(INPUTS[model_name])
        else:  # pkg.module:factory, fed one item of its own validation data
            task = custom(model_name, 1, 0)
            model, x = task.model, next(iter(task.val))[0][:1]
    teacher = copy.deepcopy(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    batches = _batches
    if model_name is not None and not isinstance(model(x), list | tuple):
        target = torch.zeros_like(model(x)).detach()

        def batches(*_args, **_kwargs):  # the model's own inputs, for OBS / M-FAC
            while True:
                yield [x], {}, target

    try:
        manager.initialize(
            model,
            epoch=0.0,
            distillation_teacher=teacher,
            grad_sampler={"data_loader_builder": batches, "loss_function": _loss},
        )
    except Exception as exc:
        return _failed("initialize", exc)
    total = max(1, math.ceil(epochs) if epochs > 0 else 1) * spe
    for step in range(min(total, max_steps)):  # steps 0..total-1, as training runs
        epoch = step // spe + (step % spe) / spe
        try:
            manager.update(model, optimizer, epoch, spe)
            out = model(x)
            if isinstance(out, (list, tuple)):  # a detector's per-scale outputs
                out = sum(o.float().mean() for o in out).reshape(1, 1)
            loss = _loss(out, torch.zeros_like(out))
            loss = manager.loss_update(
                loss,
                model,
                optimizer,
                epoch,
                spe,
                student_outputs=out,
                student_inputs=x,
                teacher_inputs=x,
            )
            optimizer.zero_grad()
            loss.backward()
            manager.optimizer_pre_step(model, optimizer, epoch, spe)
            optimizer.step()
            manager.optimizer_post_step(model, optimizer, epoch, spe)
        except Exception as exc:
            return _failed("step", exc, step)
    return Verdict("", cut=total > max_steps)


def _failed(stage: str, exc: Exception, step: int | None = None) -> Verdict:
    name = type(exc).__name__
    if name.islower():  # re.error, struct.error: the bare name says nothing
        name = f"{type(exc).__module__}.{name}"
    return Verdict(stage, name, step, str(exc)[:300])
