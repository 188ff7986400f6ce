"""Pre- and post-processing of this folder's model, for DeepSparse's `custom` task.

Written by `recipe run` into `DIR/deploy/processing.py`; `deploy.json` beside it
says which model this is (`kind`: "yolo" or "digits"), its input size, class names
and limits. DeepSparse's `CustomTaskPipeline` calls `preprocess` and `postprocess`
(`processing_file=`); `Input` and `Output` are the pipeline's schemas, and
`Input.from_files` reads uploaded image files (the server's `/infer/from_files`).

yolo: YOLOv5's detect.py path. Each image is letterboxed to the model's input size
(aspect kept, padded with grey 114, centred), RGB, scaled to [0, 1], NCHW float32;
the outputs (decoded rows: cx, cy, w, h in pixels, objectness, class
probabilities) go through YOLOv5's `non_max_suppression` (confidence = objectness x
class probability above `conf_thres`, class-aware greedy NMS at `iou_thres`,
`max_det`) and the boxes are scaled back to the image as `scale_boxes` does.
Defaults are detect.py's (conf 0.25, IoU 0.45, 1000 detections) unless deploy.json
sets `conf_thres`, `iou_thres` or `max_det`: uploads carry no parameters. Resizing uses
Pillow's bilinear filter (YOLOv5 uses OpenCV's, which is not installed beside this
stack): boxes can differ from YOLOv5's by a fraction of a pixel.

digits: 8x8 grey images of the digit in bright ink on black, as scikit-learn's
digits data (`invert=True` for dark ink on white), resized to 8x8 if they are not,
scaled to [0, 1]; the output is the class, its probability and all ten.

Every image is decoded with bounds (`max_bytes`, `max_pixels`, `max_images` in
deploy.json) before its pixels are: an upload that is not an image, is empty,
truncated or too large is refused with a message (a 4xx from the server).
Imports numpy, Pillow and pydantic only; fastapi only when the server calls.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy
from PIL import Image, ImageOps, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, Field


class BadImage(ValueError):
    """An input this model cannot take; `status` is the HTTP status a server
    answers with (400 bad, 413 too large)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@lru_cache(maxsize=1)
def config() -> dict[str, Any]:
    """deploy.json beside this file: kind, input size, class names, limits."""
    path = Path(__file__).with_name("deploy.json")
    if not path.exists():
        raise BadImage(f"{path} is missing: this file belongs in a deploy folder", 500)
    return dict(json.loads(path.read_text(encoding="utf-8")))


# ---- images -------------------------------------------------------------------


def _limit(name: str, default: int) -> int:
    try:
        return int(config().get(name, default))
    except BadImage:
        return default


def decode(data: bytes, name: str = "image") -> Image.Image:
    """Bytes of an image file -> a loaded RGB image, refused with a message when
    they are empty, not an image, truncated, or larger than the limits."""
    if not data:
        raise BadImage(f"{name}: the file is empty; upload an image (PNG, JPEG, ...)")
    if len(data) > _limit("max_bytes", 32 << 20):
        raise BadImage(
            f"{name}: {len(data)} bytes is more than max_bytes "
            f"({_limit('max_bytes', 32 << 20)})",
            413,
        )
    try:
        img = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise BadImage(f"{name}: not an image Pillow can read") from None
    except Exception as exc:  # a header that breaks a decoder
        raise BadImage(f"{name}: not a readable image ({exc})") from None
    return _loaded(img, name)


def _loaded(img: Image.Image, name: str) -> Image.Image:
    w, h = img.size
    most = _limit("max_pixels", 40_000_000)
    if w * h > most:  # checked before a pixel is decoded: a bomb stays a header
        raise BadImage(f"{name}: {w}x{h} is more than max_pixels ({most})", 413)
    if w == 0 or h == 0:
        raise BadImage(f"{name}: the image is {w}x{h}")
    try:
        img.load()
        img = ImageOps.exif_transpose(img)
        return img.convert("RGB")
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt data
        raise BadImage(
            f"{name}: the image data is truncated or corrupt ({exc})"
        ) from None


def to_image(item: Any, index: int) -> Image.Image:
    """One input -> an RGB image: a path, bytes, or an array (HxW grey, HxWx3 RGB
    or HxWx4 RGBA; uint8, or floats in 0-255) as `numpy.array(PIL image)` gives."""
    name = f"images[{index}]"
    if isinstance(item, str | Path):
        try:
            data = Path(item).read_bytes()
        except OSError as exc:
            raise BadImage(f"{name}: cannot read {item} ({exc.strerror})") from None
        return decode(data, str(item))
    if isinstance(item, bytes | bytearray):
        return decode(bytes(item), name)
    if isinstance(item, Image.Image):
        return _loaded(item, name)
    try:
        array = numpy.asarray(item)
    except Exception:
        raise BadImage(f"{name}: not an image, a path or an array") from None
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise BadImage(f"{name}: an array of shape {array.shape} is not an image")
    if array.dtype.kind not in "uif":
        raise BadImage(f"{name}: an array of {array.dtype} is not an image")
    if array.shape[0] * array.shape[1] > _limit("max_pixels", 40_000_000):
        raise BadImage(f"{name}: {array.shape[1]}x{array.shape[0]} is too large", 413)
    pixels = numpy.clip(numpy.nan_to_num(array.astype(numpy.float64)), 0, 255)
    img = Image.fromarray(numpy.round(pixels).astype(numpy.uint8))
    return img.convert("RGB")


def _images(images: Any) -> list[Image.Image]:
    items = [images] if isinstance(images, str | Path | bytes) else list(images)
    if not items:
        raise BadImage("no images given")
    most = _limit("max_images", 64)
    if len(items) > most:
        raise BadImage(f"{len(items)} images is more than max_images ({most})", 413)
    return [to_image(item, i) for i, item in enumerate(items)]


def read_files(files: Iterable[Any], from_server: bool) -> list[bytes]:
    """The bytes of each file object, at most max_bytes + 1 read from each; on the
    server a refusal is an HTTPException (4xx) rather than an error (500)."""
    most = _limit("max_bytes", 32 << 20)
    out = []
    for i, f in enumerate(files):
        if i >= _limit("max_images", 64):
            _refuse(BadImage(f"more than max_images ({i}) files", 413), from_server)
        out.append(f.read(most + 1))
    if not out:
        _refuse(
            BadImage("no files: upload images as the form field `request`"), from_server
        )
    return out


def _refuse(exc: BadImage, from_server: bool) -> None:
    if from_server:
        from fastapi import HTTPException

        raise HTTPException(status_code=exc.status, detail=str(exc)) from None
    raise exc


class _FromFiles(BaseModel):
    """Image inputs: paths, bytes, arrays or PIL images; `from_files` for uploads."""

    images: Any = Field(description="image paths, file bytes, or HxW(xC) arrays")
    model_config = ConfigDict(arbitrary_types_allowed=True)

    @classmethod
    def from_files(
        cls, files: Iterable[Any], *args: Any, from_server: bool = False, **kwargs: Any
    ) -> Any:
        """One input of every uploaded file, decoded and checked now, so a bad
        upload is the client's error (4xx), not the server's."""
        if "images" in kwargs:
            raise ValueError("images cannot be given with files")
        images = []
        for i, data in enumerate(read_files(files, from_server)):
            try:
                images.append(decode(data, f"file {i + 1}"))
            except BadImage as exc:
                _refuse(exc, from_server)
        return cls(*args, images=images, **kwargs)


# ---- YOLO ---------------------------------------------------------------------


def _default(name: str, value: Any) -> Any:
    """deploy.json's value for `name`, else YOLOv5 detect.py's: DeepSparse's
    `/infer/from_files` takes files only, so the server's thresholds are set there."""
    try:
        return config().get(name, value)
    except BadImage:
        return value


class YOLOInput(_FromFiles):
    conf_thres: float = Field(
        default_factory=lambda: _default("conf_thres", 0.25),
        ge=0,
        le=1,
        description="confidence a detection needs",
    )
    iou_thres: float = Field(
        default_factory=lambda: _default("iou_thres", 0.45),
        ge=0,
        le=1,
        description="NMS: a box overlapping a better one by more is dropped",
    )
    max_det: int = Field(
        default_factory=lambda: _default("max_det", 1000),
        ge=1,
        le=100_000,
        description="detections kept per image",
    )
    multi_label: bool = Field(False, description="a box for every class above conf")


class YOLOOutput(BaseModel):
    """Per image: boxes (x1, y1, x2, y2 in the image's pixels), scores, labels."""

    boxes: list[list[list[float]]]
    scores: list[list[float]]
    labels: list[list[str]]


def letterbox(img: Image.Image, size: tuple[int, int], fill: int = 114) -> Image.Image:
    """YOLOv5's letterbox (auto=False, scaleup=True): resized to fit (h, w), the
    aspect kept, centred on a grey canvas."""
    h, w = size
    w0, h0 = img.size
    r = min(h / h0, w / w0)
    nw, nh = round(w0 * r), round(h0 * r)
    if (nw, nh) != (w0, h0):
        img = img.resize((nw, nh), Image.Resampling.BILINEAR)
    top, left = round((h - nh) / 2 - 0.1), round((w - nw) / 2 - 0.1)
    canvas = Image.new("RGB", (w, h), (fill, fill, fill))
    canvas.paste(img, (left, top))
    return canvas


def scale_boxes(
    boxes: numpy.ndarray, size: tuple[int, int], shape: tuple[int, int]
) -> numpy.ndarray:
    """YOLOv5's scale_boxes: (x1, y1, x2, y2) on the letterboxed (h, w) `size`
    back to the original image's (h, w) `shape`, clipped to it."""
    gain = min(size[0] / shape[0], size[1] / shape[1])
    pad_x = round((size[1] - shape[1] * gain) / 2 - 0.1)
    pad_y = round((size[0] - shape[0] * gain) / 2 - 0.1)
    out = boxes.astype(numpy.float64).copy()
    out[:, [0, 2]] = ((out[:, [0, 2]] - pad_x) / gain).clip(0, shape[1])
    out[:, [1, 3]] = ((out[:, [1, 3]] - pad_y) / gain).clip(0, shape[0])
    return out


def xywh_to_xyxy(b: numpy.ndarray) -> numpy.ndarray:
    out = numpy.empty_like(b)
    out[:, :2] = b[:, :2] - b[:, 2:] / 2
    out[:, 2:] = b[:, :2] + b[:, 2:] / 2
    return out


def box_iou(a: numpy.ndarray, b: numpy.ndarray) -> numpy.ndarray:
    """IoU of every (x1, y1, x2, y2) box of `a` with every box of `b`."""
    lt = numpy.maximum(a[:, None, :2], b[None, :, :2])
    rb = numpy.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = numpy.clip(rb - lt, 0, None).prod(2)
    area_a = (a[:, 2:] - a[:, :2]).prod(1)
    area_b = (b[:, 2:] - b[:, :2]).prod(1)
    return inter / (area_a[:, None] + area_b[None, :] - inter + 1e-9)


def nms(
    pred: numpy.ndarray,
    conf: float = 0.25,
    iou: float = 0.45,
    max_det: int = 1000,
    multi_label: bool = False,
    max_boxes: int = 30000,
) -> numpy.ndarray:
    """One image's decoded rows -> detections (x1, y1, x2, y2, confidence, class).

    YOLOv5's `non_max_suppression`: rows whose objectness passes `conf`; the
    confidence of a class is objectness x its probability; the best class of a
    row (or, `multi_label`, every class) whose confidence passes `conf`; the best
    `max_boxes`; class-aware greedy NMS dropping IoU > `iou`; `max_det` kept.
    """
    pred = pred[pred[:, 4] > conf]
    scores = pred[:, 5:] * pred[:, 4:5]
    if multi_label:
        rows, cls = numpy.nonzero(scores > conf)
    else:
        cls = scores.argmax(1) if len(scores) else numpy.zeros(0, int)
        rows = numpy.nonzero(scores[numpy.arange(len(scores)), cls] > conf)[0]
        cls = cls[rows]
    boxes, score = xywh_to_xyxy(pred[rows, :4]), scores[rows, cls]
    order = numpy.argsort(-score, kind="stable")[:max_boxes]
    boxes, score, cls = boxes[order], score[order], cls[order]
    # class-aware: boxes of different classes are moved apart and never overlap
    shifted = boxes + (cls * 7680.0)[:, None]  # YOLOv5's max_wh
    chosen: list[int] = []
    left = numpy.arange(len(boxes))
    while len(left) and len(chosen) < max_det:  # greedy: best box, drop overlaps
        best, left = left[0], left[1:]
        chosen.append(int(best))
        left = left[box_iou(shifted[best : best + 1], shifted[left])[0] <= iou]
    idx = numpy.array(chosen, dtype=int)
    return numpy.concatenate(
        (boxes[idx], score[idx, None], cls[idx, None].astype(boxes.dtype)), 1
    )


def _yolo_pre(inputs: YOLOInput) -> tuple[list[numpy.ndarray], dict[str, Any]]:
    h, w = config()["input_size"]
    images = _images(inputs.images)
    batch = numpy.stack(
        [numpy.asarray(letterbox(img, (h, w)), dtype=numpy.float32) for img in images]
    )
    x = numpy.ascontiguousarray(batch.transpose(0, 3, 1, 2) / 255.0, numpy.float32)
    context = {
        "shapes": [(img.size[1], img.size[0]) for img in images],
        "conf": inputs.conf_thres,
        "iou": inputs.iou_thres,
        "max_det": inputs.max_det,
        "multi_label": inputs.multi_label,
    }
    return [x], context


def _yolo_post(outputs: list[numpy.ndarray], **context: Any) -> YOLOOutput:
    size = config()["input_size"]
    names = config().get("class_names") or []
    boxes, scores, labels = [], [], []
    for rows, shape in zip(outputs[0], context["shapes"], strict=True):
        det = nms(
            rows.astype(numpy.float32),
            context["conf"],
            context["iou"],
            context["max_det"],
            context["multi_label"],
        )
        xyxy = scale_boxes(det[:, :4], (size[0], size[1]), shape)
        boxes.append([[float(v) for v in b] for b in xyxy])
        scores.append([float(s) for s in det[:, 4]])
        cls = det[:, 5].astype(int)
        labels.append([names[c] if c < len(names) else str(c) for c in cls])
    return YOLOOutput(boxes=boxes, scores=scores, labels=labels)


# ---- digits -------------------------------------------------------------------


class DigitsInput(_FromFiles):
    invert: bool = Field(False, description="dark ink on a light ground")


class DigitsOutput(BaseModel):
    """Per image: the digit, its probability, and the probability of each."""

    labels: list[int]
    scores: list[float]
    probabilities: list[list[float]]


def _digits_pre(inputs: DigitsInput) -> tuple[list[numpy.ndarray], dict[str, Any]]:
    h, w = config()["input_size"]
    grey = []
    for img in _images(inputs.images):
        small = img.convert("L")
        if small.size != (w, h):
            small = small.resize((w, h), Image.Resampling.BILINEAR)
        a = numpy.asarray(small, dtype=numpy.float32) / 255.0
        grey.append(1.0 - a if inputs.invert else a)
    return [numpy.ascontiguousarray(numpy.stack(grey)[:, None], numpy.float32)], {}


def _digits_post(outputs: list[numpy.ndarray], **_: Any) -> DigitsOutput:
    logits = outputs[0].astype(numpy.float64)
    p = numpy.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    best = p.argmax(1)
    return DigitsOutput(
        labels=[int(c) for c in best],
        scores=[float(p[i, c]) for i, c in enumerate(best)],
        probabilities=[[float(v) for v in row] for row in p],
    )


# ---- what DeepSparse calls ------------------------------------------------------

_KINDS: dict[str, tuple[Any, Any, Any, Any]] = {
    "yolo": (YOLOInput, YOLOOutput, _yolo_pre, _yolo_post),
    "digits": (DigitsInput, DigitsOutput, _digits_pre, _digits_post),
}


def _kind() -> tuple[Any, Any, Any, Any]:
    kind = config().get("kind")
    if kind not in _KINDS:
        raise BadImage(f"deploy.json: kind {kind!r} is not one of {list(_KINDS)}", 500)
    return _KINDS[kind]


def preprocess(inputs: Any) -> Any:
    """The engine's inputs (and the context `postprocess` needs) for `inputs`."""
    return _kind()[2](inputs)


def postprocess(outputs: list[numpy.ndarray], **context: Any) -> Any:
    """The pipeline's output for the engine's `outputs`."""
    return _kind()[3](outputs, **context)


def __getattr__(name: str) -> Any:
    """`Input` and `Output`: this folder's schemas (deploy.json's kind)."""
    if name == "Input":
        return _kind()[0]
    if name == "Output":
        return _kind()[1]
    raise AttributeError(name)
