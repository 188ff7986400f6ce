"""Run a recipe under torchrun and save each rank's final weights and observers.

Used by tests/runner/test_runner.py: after QAT under DDP every rank must hold the same
state, fake-quant scales included, or the exported rank-0 model is not the one
the others trained.
"""

from __future__ import annotations

import os
import sys

import torch

from recipe_compiler.runner import train
from recipe_compiler.runner.args import RunArgs

_models: list[torch.nn.Module] = []
_wrap = train.Distributed.wrap


def _capture(self: train.Distributed, model: torch.nn.Module) -> torch.nn.Module:
    _models.append(model)
    return _wrap(self, model)


if __name__ == "__main__":
    recipe, out = sys.argv[1:3]
    train.Distributed.wrap = _capture  # type: ignore[method-assign]
    train.run(
        RunArgs(recipe, out, dense_epochs=2, batch_size=16), progress=lambda _: None
    )
    state = {k: v.detach().clone() for k, v in _models[0].state_dict().items()}
    torch.save(state, os.path.join(out, f"rank{os.environ['RANK']}.pt"))
