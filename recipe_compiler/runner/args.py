"""What a `recipe run` is asked to do: one typed object (llm-compressor's `args/`
shape), filled by the CLI from its options or by a caller of `train.run`.

Plain data, no torch: the CLI builds it before the runner's imports.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..loader.source import Limits


@dataclasses.dataclass(frozen=True)
class RunArgs:
    recipe: str  # the recipe file
    out: str  # the run's folder: -o DIR of a new run, or --resume DIR
    model_name: str = "digits-cnn"  # a built-in model or pkg.module:factory
    dense_epochs: int = 18  # dense training before the recipe
    batch_size: int = 32
    lr: float = 0.05  # dense SGD's learning rate (the recipe sets its own)
    seed: int = 0
    bench_seconds: float = 0.0  # time each model this long an engine; 0: no bench
    resume: bool = False  # continue `out` from its last checkpoint
    image_size: int = 64  # YOLOv5's square input
    weights: str | None = None  # a trained state dict: no dense training
    static_batch: int | None = None  # pin the exports' batch dimension
    data: str | None = None  # a YOLO-format folder (default: generated shapes)
    steps_per_epoch: int | None = None  # the first N batches of every epoch
    rescale_to: float | None = None  # dense epochs, by the 90-epoch rule
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)  # --var
    limits: Limits | None = None  # the reader's bounds
