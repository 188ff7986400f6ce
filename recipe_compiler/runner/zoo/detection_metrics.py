"""mAP of a detector, the way YOLOv5's val.py computes it.

Predictions are the decoded head output (cx, cy, w, h in pixels, objectness, class
probabilities); confidence is objectness x class probability, one detection per
class above `conf` (val.py's multi-label NMS). Detections go through class-aware
non-maximum suppression, are matched to the ground truth at each IoU threshold
0.50:0.05:0.95 as val.py's `process_batch` does, and the
average precision of each class is the area under its precision envelope sampled at
101 recall points (COCO's interpolation). mAP@0.5 and mAP@0.5:0.95 average over the
classes that have ground truth. Written in numpy and torch: torchvision's NMS is
not available beside this torch.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from torch import nn

from ...deploy.files import processing
from ...deploy.files.processing import box_iou, xywh_to_xyxy

__all__ = ["box_iou", "evaluate", "mean_ap", "nms", "xywh_to_xyxy"]

IOUS = np.linspace(0.5, 0.95, 10)


def nms(
    pred: np.ndarray,
    conf: float = 0.001,
    iou: float = 0.6,
    max_det: int = 300,
    max_boxes: int = 30000,
) -> np.ndarray:
    """One image's decoded rows -> detections (x1, y1, x2, y2, confidence, class),
    as YOLOv5's val.py calls `non_max_suppression` (multi-label, its thresholds):
    the deploy folder's NMS, so what is scored is what is served."""
    return processing.nms(pred, conf, iou, max_det, True, max_boxes)


def match(det: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(detections, 10) bool: true positive at each IoU threshold of IOUS.

    `labels` rows are (class, x1, y1, x2, y2); each label matches at most one
    detection and each detection one label (YOLOv5 v7's process_batch)."""
    correct = np.zeros((len(det), len(IOUS)), bool)
    if not len(det) or not len(labels):
        return correct
    iou = box_iou(labels[:, 1:], det[:, :4])
    same = labels[:, :1] == det[:, 5][None, :]
    for k, t in enumerate(IOUS):
        li, di = np.nonzero((iou >= t) & same)
        if not len(li):
            continue
        pairs = np.stack((li, di, iou[li, di]), 1)
        pairs = pairs[np.argsort(-pairs[:, 2], kind="stable")]
        pairs = pairs[np.unique(pairs[:, 1], return_index=True)[1]]
        # no re-sort by IoU here: val.py has it commented out, so a label keeps
        # the first of its matches in detection order
        pairs = pairs[np.unique(pairs[:, 0], return_index=True)[1]]
        correct[pairs[:, 1].astype(int), k] = True
    return correct


def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """Area under the precision envelope at 101 recall points (COCO)."""
    r = np.concatenate(([0.0], recall, [1.0]))
    p = np.concatenate(([1.0], precision, [0.0]))
    p = np.flip(np.maximum.accumulate(np.flip(p)))
    x = np.linspace(0, 1, 101)
    area = np.interp(x, r, p)
    return float(((area[1:] + area[:-1]) / 2 * np.diff(x)).sum())  # trapezoids


def mean_ap(
    correct: np.ndarray, conf: np.ndarray, pred_cls: np.ndarray, target_cls: np.ndarray
) -> tuple[float, float]:
    """(mAP@0.5, mAP@0.5:0.95) over the classes with ground truth."""
    order = np.argsort(-conf, kind="stable")
    correct, pred_cls = correct[order], pred_cls[order]
    classes = np.unique(target_cls)
    if not len(classes) or not correct.any():
        return 0.0, 0.0  # val.py reports 0 when no detection is right
    ap = np.zeros((len(classes), len(IOUS)))
    for n, c in enumerate(classes):
        mine = pred_cls == c
        labels = int((target_cls == c).sum())
        if not mine.any():
            continue
        tp = np.cumsum(correct[mine], 0)
        fp = np.cumsum(~correct[mine], 0)
        recall = tp / labels
        precision = tp / (tp + fp)
        for k in range(len(IOUS)):
            ap[n, k] = average_precision(recall[:, k], precision[:, k])
    return float(ap[:, 0].mean()), float(ap.mean())


def evaluate(
    model: nn.Module, loader: Iterable[Any], conf: float = 0.001, iou: float = 0.6
) -> dict[str, float]:
    """mAP@0.5 and mAP@0.5:0.95 of `model` (decoding in eval mode) over `loader`,
    whose batches are images and rows (image, class, cx, cy, w, h) normalised."""
    was_training = model.training
    model.eval()
    rows: list[np.ndarray] = []
    confs: list[np.ndarray] = []
    classes: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    try:
        with torch.no_grad():
            for images, labels in loader:
                h, w = images.shape[2:]
                out = model(images).float().numpy()
                labels = labels.numpy()
                for i in range(len(images)):
                    det = nms(out[i], conf, iou)
                    mine = labels[labels[:, 0] == i]
                    gt = np.concatenate(
                        (mine[:, 1:2], xywh_to_xyxy(mine[:, 2:6] * [w, h, w, h])), 1
                    )
                    rows.append(match(det, gt))
                    confs.append(det[:, 4])
                    classes.append(det[:, 5])
                    targets.append(mine[:, 1])
    finally:
        model.train(was_training)
    m50, m = mean_ap(
        np.concatenate(rows) if rows else np.zeros((0, len(IOUS)), bool),
        np.concatenate(confs) if confs else np.zeros(0),
        np.concatenate(classes) if classes else np.zeros(0),
        np.concatenate(targets) if targets else np.zeros(0),
    )
    return {"map50": m50, "map50_95": m}
