"""Multiply-accumulates of a model's convs and linears, dense and at its sparsity.

The ratio of all MACs to those with a nonzero weight is the speed-up sparsity alone
could give if an engine skipped every zero: the ceiling to compare a benchmark with.
"""

from __future__ import annotations

import torch
from torch import nn

LAYERS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)


def positions(model: nn.Module, sample: torch.Tensor) -> dict[str, int]:
    """Per conv and linear layer (by module name): the output positions each of its
    weights is multiplied at in one forward pass over `sample` (one item)."""
    out: dict[str, int] = {}
    names = {m: n for n, m in model.named_modules()}

    def hook(m: nn.Module, _inputs: object, y: torch.Tensor) -> None:
        if isinstance(m, nn.Linear):
            out[names[m]] = int(y.numel() // y.shape[-1])  # one MAC a weight a token
        else:
            out[names[m]] = int(y[0, 0].numel())  # output positions of each filter

    handles = [
        m.register_forward_hook(hook) for m in model.modules() if isinstance(m, LAYERS)
    ]
    was_training = model.training
    try:
        with torch.no_grad():
            model.eval()(sample[:1])
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return out


def macs(model: nn.Module, sample: torch.Tensor) -> tuple[float, float]:
    """(all, nonzero-weight) MACs of one forward pass over `sample` (one item)."""
    at = positions(model, sample)
    total, nonzero = 0.0, 0.0
    for name, m in model.named_modules():
        if name in at:
            w = m.weight
            assert isinstance(w, torch.Tensor)
            total += w.numel() * at[name]
            nonzero += int((w != 0).sum()) * at[name]
    return total, nonzero


def ratio(model: nn.Module, sample: torch.Tensor) -> float:
    """All MACs over nonzero-weight MACs: 1.0 dense, 20.0 at 95% everywhere."""
    total, nonzero = macs(model, sample)
    return total / nonzero if nonzero else float("inf")
