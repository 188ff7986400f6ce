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
    return {"model": model, "loss": nn.CrossEntropyLoss(), "train": train, "val": val}
