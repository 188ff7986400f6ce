"""mAP as YOLOv5's val.py computes it, on cases whose answer is known by hand."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def dm(sparseml):
    """The module (it needs torch: the runner extra, required under CI)."""
    from recipe_compiler.runner.zoo import detection_metrics

    return detection_metrics


def decoded(boxes_xywh, cls, conf=0.9, nc=3):
    """Head rows (cx, cy, w, h, objectness, class probabilities)."""
    rows = np.zeros((len(boxes_xywh), 5 + nc), np.float32)
    rows[:, :4] = boxes_xywh
    rows[:, 4] = conf
    rows[np.arange(len(cls)), 5 + np.asarray(cls)] = 1.0
    return rows


def replay(outputs):
    """A 'model' that returns the given decoded outputs, batch after batch."""
    import torch

    class Replay(torch.nn.Module):
        def forward(self, x):
            return torch.from_numpy(outputs.pop(0))

    return Replay()


def loader_of(images_targets):
    import torch

    for images, rows in images_targets:
        yield (
            torch.zeros(len(images), 3, 64, 64),
            torch.tensor(rows, dtype=torch.float32),
        )


def test_perfect_detections_score_one_and_shifted_ones_score_by_iou(dm):
    # two images, ground truth (image, class, cx, cy, w, h) normalised to 64 px
    rows = [[0, 1, 0.5, 0.5, 0.25, 0.25], [1, 2, 0.25, 0.25, 0.5, 0.5]]
    px = np.array([r[2:] for r in rows]) * 64
    out = np.stack([decoded(px[:1], [1]), decoded(px[1:], [2])])
    # 0.995, not 1: YOLOv5's interpolation ends the curve at (recall 1, precision
    # 0), so a perfect detector's last trapezoid is half; its val.py reports 0.995
    assert dm.evaluate(replay([out]), loader_of([([0, 1], rows)])) == pytest.approx(
        {"map50": 0.995, "map50_95": 0.995}
    )
    # widen every box so IoU = 1 / 1.6 = 0.625: a hit at 0.50, 0.55, 0.60 only
    wide = px.copy()
    wide[:, 2] *= 1.6
    out = np.stack([decoded(wide[:1], [1]), decoded(wide[1:], [2])])
    got = dm.evaluate(replay([out]), loader_of([([0, 1], rows)]))
    assert got == pytest.approx({"map50": 0.995, "map50_95": 0.3 * 0.995})
    # the right box with the wrong class finds nothing
    out = np.stack([decoded(px[:1], [0]), decoded(px[1:], [0])])
    assert dm.evaluate(replay([out]), loader_of([([0, 1], rows)]))["map50"] == 0


def test_precision_envelope_by_hand(dm):
    # one class, two labels; ranked detections: hit, miss, hit
    correct = np.array([[1], [0], [1]], bool).repeat(10, 1)
    conf = np.array([0.9, 0.8, 0.7])
    m50, _ = dm.mean_ap(correct, conf, np.zeros(3), np.zeros(2))
    # precision 1 up to recall 0.5, then 2/3 up to recall 1: area 0.5 + 1/3
    assert m50 == pytest.approx(0.5 + 1 / 3, abs=0.01)


def test_nms_keeps_one_of_overlapping_boxes_per_class(dm):
    rows = decoded(
        np.array([[32, 32, 20, 20], [33, 32, 20, 20], [32, 32, 20, 20]]),
        [1, 1, 2],
        conf=np.array([0.9, 0.8, 0.7]),
    )
    det = dm.nms(rows)
    assert det[:, 5].tolist() == [1, 2]  # the weaker class-1 twin is suppressed
    assert det[:, 4] == pytest.approx([0.9, 0.7])
    assert det[0, :4] == pytest.approx([22, 22, 42, 42])


def test_yolov5n_scores_a_map_on_generated_shapes(dm):
    from recipe_compiler.runner.zoo.detection import shapes
    from recipe_compiler.runner.zoo.yolov5 import yolov5

    _, val = shapes(8, 64, n_val=16)
    got = dm.evaluate(yolov5("n", 8), val)
    assert set(got) == {"map50", "map50_95"}
    assert 0 <= got["map50_95"] <= got["map50"] <= 1


def test_matching_follows_val_py_one_label_one_detection(dm):
    # two detections over one label (IoU 0.9 and 1.0): each threshold gives the
    # label to one of them only. val.py then keeps the first match in detection
    # order, not the best IoU (its re-sort is commented out): at 0.5 detection 0
    # is the hit; at 0.95 only detection 1 overlaps enough
    labels = np.array([[0, 0, 0, 10, 10]], float)
    det = np.array([[0, 0, 10, 9, 0.9, 0], [0, 0, 10, 10, 0.8, 0]], float)
    correct = dm.match(det, labels)
    assert correct[:, 0].tolist() == [True, False]
    assert correct[:, -1].tolist() == [False, True]
    # no right detection at all: 0, as val.py reports (not the envelope's sliver)
    none = np.zeros((3, 10), bool)
    assert dm.mean_ap(none, np.array([0.9, 0.5, 0.1]), np.zeros(3), np.zeros(2)) == (
        0.0,
        0.0,
    )
