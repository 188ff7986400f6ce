"""Drive SparseML 1.8's manager step by step, without training (the parity oracle).

Does per optimizer step what `ScheduledOptimizer` does around `optimizer.step()`:
`manager.update`, `optimizer_pre_step`, (no step), `optimizer_post_step`; then the
epoch advances as `steps // spe + (steps % spe) / spe`. Records every param group's
LR after the update and the number of masked weights of every pruning mask.
"""

from __future__ import annotations

import warnings
from typing import ClassVar

warnings.filterwarnings("ignore")

import torch  # noqa: E402


class TinyNet(torch.nn.Module):
    """Eight prunable tensors, one per pruning modifier; every width divides by 4
    so that block masks (`block4`) fit."""

    SHAPES: ClassVar[dict[str, tuple[int, int]]] = {
        "a": (48, 40),
        "b": (32, 32),
        "c": (24, 40),
        "d": (40, 24),
        "e": (16, 64),
        "f": (64, 16),
        "g": (20, 40),
        "h": (36, 28),
    }
    NAMES = tuple(f"{n}.weight" for n in SHAPES)

    def __init__(self, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        for name, (out, inp) in self.SHAPES.items():
            setattr(self, name, torch.nn.Linear(inp, out))
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=g))

    def forward(self, x):  # pragma: no cover - never run
        return x


class WideNet(torch.nn.Module):
    """`n` prunable tensors `w0.weight`..., for per-layer recipes of many
    modifiers, one tensor each (widths divide by 4)."""

    def __init__(self, n: int, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        for i in range(n):
            setattr(self, f"w{i}", torch.nn.Linear(16 + 4 * (i % 5), 12))
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=g))

    def forward(self, x):  # pragma: no cover - never run
        return x


def run(
    recipe_text: str,
    spe: int,
    total_steps: int,
    n_groups: int = 1,
    base_lr: float = 0.5,
    recipe_variables=None,
    model=None,
):
    """(manager, LRs per step per group, zeros of each pruning mask per step), on
    TinyNet unless a `model` is given."""
    from sparseml.pytorch.optim import ScheduledModifierManager

    model = model if model is not None else TinyNet()
    params = list(model.parameters())
    if n_groups == 1:
        opt = torch.optim.SGD(params, lr=base_lr)
    else:
        chunks = [params[i::n_groups] for i in range(n_groups)]  # 16 params
        opt = torch.optim.SGD([{"params": c} for c in chunks], lr=base_lr)
    manager = ScheduledModifierManager.from_yaml(
        recipe_text, recipe_variables=recipe_variables
    )
    manager.initialize(model, epoch=0.0)
    masks = {}
    for mod in manager.iter_modifiers():
        mm = getattr(mod, "module_masks", None)
        if mm is not None:
            for i, name in enumerate(mm.names):
                masks[name.replace(".sparsity_mask", "")] = (mm, i)
    lrs, decays, zeros = [], [], {n: [] for n in masks}
    for step in range(total_steps):
        epoch = float(step // spe) + float(step % spe) / float(spe)
        try:
            manager.update(model, opt, epoch, spe)
        except Exception as exc:
            exc.step = step  # where SparseML raised, for the crash comparisons
            raise
        manager.optimizer_pre_step(model, opt, epoch, spe)
        manager.optimizer_post_step(model, opt, epoch, spe)
        lrs.append([g["lr"] for g in opt.param_groups])
        decays.append(opt.param_groups[0]["weight_decay"])
        for n, (mm, i) in masks.items():
            zeros[n].append(int((mm.param_masks[i] == 0).sum()))
    run.weight_decay = decays  # group 0's weight decay per step (SGD default 0)
    return manager, lrs, zeros


def numel(name: str, model=None) -> int:
    return (model if model is not None else TinyNet()).get_parameter(name).numel()
