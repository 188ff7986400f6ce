"""Multiply-accumulates of a model's convs and linears, dense and at its sparsity.

The ratio of all MACs to those with a nonzero weight is the speed-up sparsity alone
could give if an engine skipped every zero: the ceiling to compare a benchmark with.
"""

from __future__ import annotations

import torch
from torch import nn

LAYERS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)


def macs(model: nn.Module, sample: torch.Tensor) -> tuple[float, float]:
    """(all, nonzero-weight) MACs of one forward pass over `sample` (one item)."""
    total, nonzero = 0.0, 0.0

    def hook(m: nn.Module, _inputs: object, out: torch.Tensor) -> None:
        nonlocal total, nonzero
        w = m.weight
        assert isinstance(w, torch.Tensor)
        if isinstance(m, nn.Linear):
            per_weight = out.numel() / out.shape[-1]  # one MAC per weight per token
        else:
            per_weight = out[0, 0].numel()  # output positions of each filter
        total += w.numel() * per_weight
        nonzero += int((w != 0).sum()) * per_weight

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
    return total, nonzero


def ratio(model: nn.Module, sample: torch.Tensor) -> float:
    """All MACs over nonzero-weight MACs: 1.0 dense, 20.0 at 95% everywhere."""
    total, nonzero = macs(model, sample)
    return total / nonzero if nonzero else float("inf")
