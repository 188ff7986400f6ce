"""YOLOv5 (v6.0 and later) built from its definition, with random initial weights.

The architecture of ultralytics/yolov5 `models/yolov5{n,s,m,l,x}.yaml`: Conv (conv,
batch norm, SiLU), C3 blocks, SPPF, a PANet neck and a Detect head with three anchor
sets. Depth and width multiples give the five sizes; parameter counts match the
published ones (7,235,389 for s and 46,563,709 for l, 80 classes).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

ANCHORS = [
    [10, 13, 16, 30, 33, 23],  # P3/8
    [30, 61, 62, 45, 59, 119],  # P4/16
    [116, 90, 156, 198, 373, 326],  # P5/32
]
SIZES = {  # depth_multiple, width_multiple
    "n": (0.33, 0.25),
    "s": (0.33, 0.50),
    "m": (0.67, 0.75),
    "l": (1.0, 1.0),
    "x": (1.33, 1.25),
}
# (from, repeats, module, args) as in models/yolov5*.yaml
BACKBONE: list[tuple[Any, int, str, list[Any]]] = [
    (-1, 1, "Conv", [64, 6, 2, 2]),  # 0-P1/2
    (-1, 1, "Conv", [128, 3, 2]),  # 1-P2/4
    (-1, 3, "C3", [128]),
    (-1, 1, "Conv", [256, 3, 2]),  # 3-P3/8
    (-1, 6, "C3", [256]),
    (-1, 1, "Conv", [512, 3, 2]),  # 5-P4/16
    (-1, 9, "C3", [512]),
    (-1, 1, "Conv", [1024, 3, 2]),  # 7-P5/32
    (-1, 3, "C3", [1024]),
    (-1, 1, "SPPF", [1024, 5]),  # 9
]
HEAD: list[tuple[Any, int, str, list[Any]]] = [
    (-1, 1, "Conv", [512, 1, 1]),
    (-1, 1, "Upsample", []),
    ([-1, 6], 1, "Concat", []),  # cat backbone P4
    (-1, 3, "C3", [512, False]),  # 13
    (-1, 1, "Conv", [256, 1, 1]),
    (-1, 1, "Upsample", []),
    ([-1, 4], 1, "Concat", []),  # cat backbone P3
    (-1, 3, "C3", [256, False]),  # 17 (P3/8-small)
    (-1, 1, "Conv", [256, 3, 2]),
    ([-1, 14], 1, "Concat", []),  # cat head P4
    (-1, 3, "C3", [512, False]),  # 20 (P4/16-medium)
    (-1, 1, "Conv", [512, 3, 2]),
    ([-1, 10], 1, "Concat", []),  # cat head P5
    (-1, 3, "C3", [1024, False]),  # 23 (P5/32-large)
    ([17, 20, 23], 1, "Detect", []),  # Detect(P3, P4, P5)
]


class Conv(nn.Module):
    """Conv2d (no bias), BatchNorm2d, SiLU."""

    def __init__(
        self, c1: int, c2: int, k: int = 1, s: int = 1, p: int | None = None, g: int = 1
    ):
        super().__init__()
        self.conv = nn.Conv2d(
            c1, c2, k, s, k // 2 if p is None else p, groups=g, bias=False
        )
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c1: int, c2: int, shortcut: bool = True, e: float = 0.5):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = Conv(c1, c_, 1, 1)
        self.cv2 = Conv(c_, c2, 3, 1)
        self.add = shortcut and c1 == c2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C3(nn.Module):
    """CSP bottleneck with three convolutions."""

    def __init__(self, c1: int, c2: int, n: int = 1, shortcut: bool = True):
        super().__init__()
        c_ = int(c2 * 0.5)
        self.cv1 = Conv(c1, c_, 1, 1)
        self.cv2 = Conv(c1, c_, 1, 1)
        self.cv3 = Conv(2 * c_, c2, 1)
        self.m = nn.Sequential(*(Bottleneck(c_, c_, shortcut, e=1.0) for _ in range(n)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))


class SPPF(nn.Module):
    """Spatial pyramid pooling, fast: three chained 5x5 max pools."""

    def __init__(self, c1: int, c2: int, k: int = 5):
        super().__init__()
        c_ = c1 // 2
        self.cv1 = Conv(c1, c_, 1, 1)
        self.cv2 = Conv(c_ * 4, c2, 1, 1)
        self.m = nn.MaxPool2d(kernel_size=k, stride=1, padding=k // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))


class Concat(nn.Module):
    """Concatenates a list of feature maps (its input is a list: not quantizable)."""

    def forward(self, xs: list[torch.Tensor]) -> torch.Tensor:
        return torch.cat(xs, 1)


class Detect(nn.Module):
    """Per scale, a 1x1 conv to anchors x (classes + 5); decodes boxes in eval mode."""

    stride = torch.tensor([8.0, 16.0, 32.0])

    def __init__(self, nc: int, ch: list[int]):
        super().__init__()
        self.nc, self.no, self.nl, self.na = (
            nc,
            nc + 5,
            len(ANCHORS),
            len(ANCHORS[0]) // 2,
        )
        # anchors in grid units of their scale (pixels / stride), as yolov5 keeps them
        pixels = torch.tensor(ANCHORS, dtype=torch.float32).view(self.nl, -1, 2)
        self.register_buffer("anchors", pixels / self.stride.view(-1, 1, 1))
        self.m = nn.ModuleList(nn.Conv2d(x, self.no * self.na, 1) for x in ch)

    def forward(self, xs: list[torch.Tensor]) -> Any:
        out, decoded = [], []
        for i in range(self.nl):
            x = self.m[i](xs[i])
            bs, _, ny, nx = x.shape
            x = x.view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).contiguous()
            out.append(x)
            if not self.training:
                yv, xv = torch.meshgrid(
                    torch.arange(ny), torch.arange(nx), indexing="ij"
                )
                grid = torch.stack((xv, yv), 2).view(1, 1, ny, nx, 2).float()
                anchors: torch.Tensor = self.anchors  # type: ignore[assignment]
                anchor = (anchors[i] * self.stride[i]).view(1, self.na, 1, 1, 2)
                y = x.sigmoid()
                xy = (y[..., :2] * 2 - 0.5 + grid) * self.stride[i]
                wh = (y[..., 2:4] * 2) ** 2 * anchor
                decoded.append(
                    torch.cat((xy, wh, y[..., 4:]), -1).view(bs, -1, self.no)
                )
        return out if self.training else torch.cat(decoded, 1)


def _divisible(x: float, d: int = 8) -> int:
    return math.ceil(x / d) * d


class YOLOv5(nn.Module):
    def __init__(self, size: str = "s", nc: int = 80):
        super().__init__()
        gd, gw = SIZES[size]
        ch: list[int] = []  # output channels of every layer so far
        layers: list[nn.Module] = []
        self.sources: list[Any] = []
        for f, n, kind, args in BACKBONE + HEAD:
            n = max(round(n * gd), 1) if n > 1 else n
            if kind in ("Conv", "C3", "SPPF"):
                c1, c2 = ch[f] if ch else 3, _divisible(args[0] * gw)
                if kind == "Conv":
                    m: nn.Module = Conv(c1, c2, *args[1:])
                elif kind == "C3":
                    m = C3(c1, c2, n, *args[1:])
                else:
                    m = SPPF(c1, c2, *args[1:])
            elif kind == "Upsample":
                c2, m = ch[f], nn.Upsample(scale_factor=2, mode="nearest")
            elif kind == "Concat":
                c2, m = sum(ch[x] for x in f), Concat()
            else:
                c2, m = 0, Detect(nc, [ch[x] for x in f])
            layers.append(m)
            self.sources.append(f)
            ch.append(c2)
        self.model = nn.Sequential(*layers)
        self._init()

    def _init(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eps, m.momentum = 1e-3, 0.03
        detect: Any = self.model[-1]
        for conv, s in zip(detect.m, detect.stride, strict=True):  # bias priors
            b = conv.bias.view(detect.na, -1)
            with torch.no_grad():
                b[:, 4] += math.log(8 / (640 / s) ** 2)
                b[:, 5:] += math.log(0.6 / (detect.nc - 0.99999))

    def forward(self, x: Any) -> Any:
        outputs: list[Any] = []
        for m, f in zip(self.model, self.sources, strict=True):
            if f != -1:
                x = (
                    outputs[f]
                    if isinstance(f, int)
                    else [x if j == -1 else outputs[j] for j in f]
                )
            x = m(x)
            outputs.append(x)
        return x


def yolov5(size: str, nc: int = 80) -> YOLOv5:
    if size not in SIZES:
        raise ValueError(f"unknown YOLOv5 size {size!r}: use one of {', '.join(SIZES)}")
    return YOLOv5(size, nc)
