"""Models the runner builds from their definitions (random initial weights)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class DigitsCNN(nn.Module):
    """A small CNN for scikit-learn's 8x8 digits: trains to ~97% in seconds on a CPU."""

    def __init__(self, classes: int = 10):
        super().__init__()
        # no conv bias before BatchNorm: redundant, and it keeps sparseml's exporter
        # from folding BN into the INT8 convs, a graph DeepSparse 1.8 aborts on
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def _yolo(size: str) -> type[nn.Module]:
    from .yolov5 import YOLOv5

    class Sized(YOLOv5):
        def __init__(self, nc: int = 8) -> None:
            # the generated shapes have 8 classes; --weights of a COCO model need 80
            super().__init__(size, nc)

    Sized.__name__ = f"YOLOv5{size}"
    return Sized


MODELS: dict[str, Any] = {"digits-cnn": DigitsCNN}
MODELS.update({f"yolov5{s}": _yolo(s) for s in "nsmlx"})
