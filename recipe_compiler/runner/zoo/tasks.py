"""What the runner trains: a model, its loss, its data and how it is scored."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader

from ...model.torch import call_factory
from .data import digits
from .models import MODELS


@dataclasses.dataclass
class Task:
    model: nn.Module
    loss: Callable[[Any, Any], torch.Tensor]
    train: DataLoader
    val: DataLoader
    score: Callable[[nn.Module], float]  # on the validation set
    score_name: str  # "accuracy" (higher is better) or "val_loss" (lower is better)
    # more figures for the report, e.g. a detector's mAP: name -> value
    metrics: Callable[[nn.Module], dict[str, float]] | None = None
    class_names: list[str] | None = None  # a detector's, for its deploy folder


def _accuracy(model: nn.Module, loader: DataLoader) -> float:
    model.eval()
    right = total = 0
    with torch.no_grad():
        for x, y in loader:
            right += int((model(x).argmax(1) == y).sum())
            total += len(y)
    model.train()
    return right / total


def _val_loss(loss: Callable[[Any, Any], torch.Tensor], loader: DataLoader) -> Callable:
    def score(model: nn.Module) -> float:
        # raw head outputs (training mode) under no_grad: BN uses batch statistics,
        # the price of scoring with the training loss
        total, n = 0.0, 0
        with torch.no_grad():
            for x, y in loader:
                total += float(loss(model(x), y))
                n += 1
        return total / max(1, n)

    return score


def _map(loader: DataLoader) -> Callable[[nn.Module], dict[str, float]]:
    """mAP@0.5 and mAP@0.5:0.95 on the validation set, as YOLOv5's val.py."""

    def metrics(model: nn.Module) -> dict[str, float]:
        from .detection_metrics import evaluate

        return evaluate(model, loader)

    return metrics


def custom(spec: str, batch_size: int, seed: int) -> Task:
    """`pkg.module:factory`: the user's own model and data.

    The factory is called as `factory(batch_size=..., seed=...)` and returns a dict
    with `model`, `loss` (called as `loss(model(x), y)`), `train` and `val` (loaders
    of `(x, y)` batches), and optionally `score` (`score(model) -> float`, on the
    validation set) with `score_name`; without them the validation loss is scored.
    `metrics` (`metrics(model) -> {name: value}`), if given, is reported before and
    after the recipe, as a detector's mAP is.
    """
    parts = call_factory(spec, batch_size=batch_size, seed=seed)
    score = parts.get("score") or _val_loss(parts["loss"], parts["val"])
    return Task(
        parts["model"],
        parts["loss"],
        parts["train"],
        parts["val"],
        score,
        parts.get("score_name", "val_loss" if "score" not in parts else "score"),
        parts.get("metrics"),
    )


def build(
    model_name: str,
    batch_size: int,
    seed: int,
    image_size: int = 64,
    data: str | None = None,
) -> Task:
    """digits-cnn on scikit-learn's digits; yolov5* on generated shapes; or
    `pkg.module:factory` (see `custom`)."""
    if ":" in model_name:
        return custom(model_name, batch_size, seed)
    if model_name not in MODELS:
        raise KeyError(
            f"no such model; the built-in ones are {', '.join(MODELS)}, or give "
            "a factory as pkg.module:function"
        )
    torch.manual_seed(seed)
    if data is not None and model_name.startswith("yolov5"):
        from .detection import folder

        train, val, nc = folder(data, batch_size, image_size, seed)
        # the label files' class numbers are the names
        return _detector(
            MODELS[model_name](nc), train, val, [str(c) for c in range(nc)]
        )
    if data is not None:
        raise KeyError(f"--data is for the yolov5 models, not {model_name}")
    model = MODELS[model_name]()
    if model_name == "digits-cnn":
        train, val = digits(batch_size, seed)
        return Task(
            model,
            nn.CrossEntropyLoss(),
            train,
            val,
            lambda m: _accuracy(m, val),
            "accuracy",
        )
    from .detection import CLASS_NAMES, shapes

    train, val = shapes(batch_size, image_size, seed=seed)
    return _detector(model, train, val, CLASS_NAMES)


def _detector(
    model: nn.Module, train: DataLoader, val: DataLoader, class_names: list[str]
) -> Task:
    """A YOLOv5 task: YOLOv5's loss, scored by validation loss, with mAP."""
    from .detection import YoloLoss

    loss = YoloLoss(model)
    return Task(
        model,
        loss,
        train,
        val,
        _val_loss(loss, val),
        "val_loss",
        _map(val),
        class_names,
    )
