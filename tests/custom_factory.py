"""A user's own model and data for `recipe run --model tests.custom_factory:build`."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def build(batch_size: int, seed: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(256, 16, generator=g)
    y = (x[:, :4].sum(1) > 0).long()  # a rule a small MLP learns
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 2))
    train = DataLoader(
        TensorDataset(x[:192], y[:192]),
        batch_size=batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(seed),
    )
    val = DataLoader(TensorDataset(x[192:], y[192:]), batch_size=64)

    def metrics(m: nn.Module) -> dict[str, float]:
        """A figure of the user's own, reported before and after the recipe."""
        with torch.no_grad():
            return {"positive_rate": float((m(x[192:]).argmax(1) == 1).float().mean())}

    return {
        "model": model,
        "loss": nn.CrossEntropyLoss(),
        "train": train,
        "val": val,
        "metrics": metrics,
    }


class Mixer(nn.Module):
    """A layer of the user's own: a weight SparseML does not count as prunable
    (not a Linear, Conv or Embedding), so `__ALL_PRUNABLE__` leaves it out."""

    def __init__(self, features: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(features, features) / features**0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.weight


def own_layer(batch_size: int, seed: int) -> dict:
    """build's model with a Mixer between its layers."""
    parts = build(batch_size, seed)
    first, act, last = parts["model"]
    parts["model"] = nn.Sequential(first, act, Mixer(32), last)
    return parts


def broken(batch_size: int, seed: int) -> dict:
    """A factory that fails: `--model` says so in one line."""
    raise RuntimeError("no GPU found\n(a traceback a user would rather not read)")


def wrong(batch_size: int, seed: int) -> dict:
    """A factory that returns no model."""
    return {"train": None}
