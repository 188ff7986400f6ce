"""Data the runner can use offline: scikit-learn's bundled 8x8 digits."""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, TensorDataset


def digits(batch_size: int = 32, seed: int = 0) -> tuple[DataLoader, DataLoader]:
    """Train and validation loaders (80/20, shuffled with `seed`), images in [0, 1]."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    images = torch.tensor(x, dtype=torch.float32).reshape(-1, 1, 8, 8) / 16.0
    labels = torch.tensor(y, dtype=torch.long)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    cut = int(0.8 * len(order))
    train, val = order[:cut], order[cut:]
    g = torch.Generator().manual_seed(seed)
    return (
        DataLoader(
            TensorDataset(images[train], labels[train]),
            batch_size=batch_size,
            shuffle=True,
            generator=g,
            drop_last=True,
        ),
        DataLoader(TensorDataset(images[val], labels[val]), batch_size=256),
    )
