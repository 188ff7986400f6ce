"""Detection data made offline, and YOLOv5's training loss.

`shapes()` draws filled rectangles and ellipses of a few colours on noise, with their
boxes and classes: a detection task a YOLO model can learn without downloading
anything. `YoloLoss` is YOLOv5's (v6) loss: targets matched to anchors whose shape
ratio is within `anchor_t`, assigned to their cell and the two nearest neighbours,
CIoU box loss, objectness BCE against the IoU, class BCE.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

COLOURS = torch.tensor(
    [[0.9, 0.2, 0.2], [0.2, 0.8, 0.2], [0.2, 0.3, 0.9], [0.9, 0.9, 0.2]]
)
# class 2k is a rectangle of colour k, 2k + 1 an ellipse
CLASS_NAMES = [
    f"{colour} {shape}"
    for colour in ("red", "green", "blue", "yellow")
    for shape in ("rectangle", "ellipse")
]


class Shapes(Dataset):
    """Images (3, size, size) in [0, 1]; targets (class, cx, cy, w, h) normalised."""

    def __init__(self, n: int, size: int = 64, seed: int = 0, max_objects: int = 3):
        g = torch.Generator().manual_seed(seed)
        self.images = torch.rand(n, 3, size, size, generator=g) * 0.3
        self.targets: list[torch.Tensor] = []
        yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
        for i in range(n):
            rows = []
            for _ in range(int(torch.randint(1, max_objects + 1, (1,), generator=g))):
                w, h = (torch.rand(2, generator=g) * 0.35 + 0.1).tolist()
                cx = float(torch.rand(1, generator=g)) * (1 - w) + w / 2
                cy = float(torch.rand(1, generator=g)) * (1 - h) + h / 2
                cls = int(torch.randint(0, 2 * len(COLOURS), (1,), generator=g))
                x0, x1 = (cx - w / 2) * size, (cx + w / 2) * size
                y0, y1 = (cy - h / 2) * size, (cy + h / 2) * size
                if cls % 2:  # ellipse
                    mask = (
                        ((xx + 0.5 - cx * size) / (w * size / 2)) ** 2
                        + ((yy + 0.5 - cy * size) / (h * size / 2)) ** 2
                    ) <= 1
                else:  # rectangle
                    mask = (xx >= x0) & (xx < x1) & (yy >= y0) & (yy < y1)
                self.images[i][:, mask] = COLOURS[cls // 2].view(3, 1)
                rows.append([cls, cx, cy, w, h])
            self.targets.append(torch.tensor(rows, dtype=torch.float32))

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[i], self.targets[i]


def collate(
    batch: list[tuple[torch.Tensor, torch.Tensor]],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Images stacked; targets as rows (image index, class, cx, cy, w, h)."""
    images = torch.stack([b[0] for b in batch])
    rows = [
        torch.cat((torch.full((len(t), 1), float(i)), t), 1)
        for i, (_, t) in enumerate(batch)
    ]
    return images, torch.cat(rows, 0)


def shapes(
    batch_size: int = 8,
    size: int = 64,
    n_train: int = 256,
    n_val: int = 64,
    seed: int = 0,
) -> tuple[DataLoader, DataLoader]:
    g = torch.Generator().manual_seed(seed)
    return (
        DataLoader(
            Shapes(n_train, size, seed),
            batch_size=batch_size,
            shuffle=True,
            generator=g,
            drop_last=True,
            collate_fn=collate,
        ),
        DataLoader(
            Shapes(n_val, size, seed + 1), batch_size=batch_size, collate_fn=collate
        ),
    )


def bbox_ciou(b1: torch.Tensor, b2: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Complete IoU of boxes given as (cx, cy, w, h), row by row."""
    (x1, y1, w1, h1), (x2, y2, w2, h2) = b1.T, b2.T
    b1x1, b1x2, b1y1, b1y2 = x1 - w1 / 2, x1 + w1 / 2, y1 - h1 / 2, y1 + h1 / 2
    b2x1, b2x2, b2y1, b2y2 = x2 - w2 / 2, x2 + w2 / 2, y2 - h2 / 2, y2 + h2 / 2
    inter = (torch.min(b1x2, b2x2) - torch.max(b1x1, b2x1)).clamp(0) * (
        torch.min(b1y2, b2y2) - torch.max(b1y1, b2y1)
    ).clamp(0)
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = inter / union
    cw = torch.max(b1x2, b2x2) - torch.min(b1x1, b2x1)
    ch = torch.max(b1y2, b2y2) - torch.min(b1y1, b2y1)
    c2 = cw**2 + ch**2 + eps
    rho2 = (x2 - x1) ** 2 + (y2 - y1) ** 2
    v = (4 / math.pi**2) * (
        torch.atan(w2 / (h2 + eps)) - torch.atan(w1 / (h1 + eps))
    ) ** 2
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


class YoloLoss:
    """YOLOv5's loss for the raw outputs of `Detect` in training mode."""

    def __init__(
        self,
        model: nn.Module,
        box: float = 0.05,
        obj: float = 1.0,
        cls: float = 0.5,
        anchor_t: float = 4.0,
    ):
        det: Any = model.model[-1]  # type: ignore[index]
        self.det, self.nc, self.nl, self.na = det, det.nc, det.nl, det.na
        self.box, self.obj, self.cls, self.anchor_t = box, obj, cls, anchor_t
        self.balance = [4.0, 1.0, 0.4]
        self.bce = nn.BCEWithLogitsLoss()

    def __call__(
        self, preds: list[torch.Tensor], targets: torch.Tensor
    ) -> torch.Tensor:
        lbox = lobj = lcls = torch.zeros(())
        tcls, tbox, indices, anchors = self.build_targets(preds, targets)
        for i, pi in enumerate(preds):
            b, a, gj, gi = indices[i]
            tobj = torch.zeros(pi.shape[:4])
            if len(b):
                p = pi[b, a, gj, gi]
                pxy = p[:, :2].sigmoid() * 2 - 0.5
                pwh = (p[:, 2:4].sigmoid() * 2) ** 2 * anchors[i]
                iou = bbox_ciou(torch.cat((pxy, pwh), 1), tbox[i])
                lbox = lbox + (1.0 - iou).mean()
                tobj[b, a, gj, gi] = iou.detach().clamp(0)
                t = torch.zeros_like(p[:, 5:])
                t[range(len(b)), tcls[i]] = 1.0
                lcls = lcls + self.bce(p[:, 5:], t)
            lobj = lobj + self.bce(pi[..., 4], tobj) * self.balance[i]
        bs = preds[0].shape[0]
        return (lbox * self.box + lobj * self.obj + lcls * self.cls) * bs

    def build_targets(self, preds: list[torch.Tensor], targets: torch.Tensor) -> Any:
        na, nt = self.na, targets.shape[0]
        tcls, tbox, indices, anch = [], [], [], []
        gain = torch.ones(7)
        ai = torch.arange(na, dtype=torch.float32).view(na, 1).repeat(1, nt)
        targets = torch.cat((targets.repeat(na, 1, 1), ai[..., None]), 2)
        g = 0.5
        off = torch.tensor([[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1]]).float() * g
        for i in range(self.nl):
            anchors, shape = self.det.anchors[i], preds[i].shape
            gain[2:6] = torch.tensor(shape)[[3, 2, 3, 2]]
            t = targets * gain
            if nt:
                r = t[..., 4:6] / anchors[:, None]
                j = torch.max(r, 1 / r).max(2)[0] < self.anchor_t
                t = t[j]
                gxy = t[:, 2:4]
                gxi = gain[[2, 3]] - gxy
                j, k = ((gxy % 1 < g) & (gxy > 1)).T
                lm, m = ((gxi % 1 < g) & (gxi > 1)).T
                j = torch.stack((torch.ones_like(j), j, k, lm, m))
                t = t.repeat((5, 1, 1))[j]
                offsets = (torch.zeros_like(gxy)[None] + off[:, None])[j]
            else:
                t, offsets = targets[0], torch.zeros(())
            bc, gxy, gwh, a = t.chunk(4, 1)
            a, (b, c) = a.long().view(-1), bc.long().T
            gij = (gxy - offsets).long()
            gi, gj = gij.T
            gj = gj.clamp_(0, shape[2] - 1)
            gi = gi.clamp_(0, shape[3] - 1)
            indices.append((b, a, gj, gi))
            tbox.append(torch.cat((gxy - torch.stack((gi, gj), 1), gwh), 1))
            anch.append(anchors[a])
            tcls.append(c)
        return tcls, tbox, indices, anch


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")


class YoloFolder(Dataset):
    """A folder in the YOLO label format: `images/<split>/x.png` beside
    `labels/<split>/x.txt`, one `class cx cy w h` line (normalised) an object.
    Images are resized to `size` x `size` (normalised boxes are unchanged)."""

    def __init__(self, root: str, split: str, size: int = 64):
        from pathlib import Path

        base = Path(root)
        images = base / "images" / split
        if not images.is_dir():
            raise FileNotFoundError(f"{images} is not a folder of images")
        self.files = sorted(
            p for p in images.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES
        )
        if not self.files:
            raise FileNotFoundError(f"no images in {images}")
        self.labels = base / "labels" / split
        self.size = size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        import numpy as np
        from PIL import Image

        with Image.open(self.files[i]) as img:
            rgb = img.convert("RGB").resize((self.size, self.size))
            x = torch.from_numpy(np.asarray(rgb, dtype=np.float32) / 255.0)
        label = self.labels / (self.files[i].stem + ".txt")
        rows = []
        if label.exists():
            for line in label.read_text().split("\n"):
                parts = line.split()
                if len(parts) == 5:
                    rows.append([float(v) for v in parts])
        t = torch.tensor(rows, dtype=torch.float32).reshape(-1, 5)
        return x.permute(2, 0, 1).contiguous(), t

    def classes(self) -> int:
        top = -1
        for p in self.labels.glob("*.txt"):
            for line in p.read_text().split("\n"):
                if line.split():
                    top = max(top, int(float(line.split()[0])))
        return top + 1


def folder(
    root: str, batch_size: int, size: int, seed: int
) -> tuple[DataLoader, DataLoader, int]:
    """Loaders over `root`'s train and val splits, and the number of classes."""
    train, val = YoloFolder(root, "train", size), YoloFolder(root, "val", size)
    g = torch.Generator().manual_seed(seed)
    return (
        DataLoader(
            train,
            batch_size=batch_size,
            shuffle=True,
            generator=g,
            drop_last=True,
            collate_fn=collate,
        ),
        DataLoader(val, batch_size=batch_size, collate_fn=collate),
        max(train.classes(), val.classes(), 1),
    )
