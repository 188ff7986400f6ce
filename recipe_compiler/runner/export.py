"""ONNX through sparseml's exporter, checked in onnxruntime against torch."""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn


def export(
    model: nn.Module, loader: Any, out_dir: Path, exporter_cls: Any, name: str
) -> tuple[str, float, float]:
    """ONNX through sparseml's exporter, checked in onnxruntime against torch:
    the path, the largest |difference| and the largest |output| it compares with."""
    import numpy as np
    import onnxruntime as ort

    model.eval()
    x, _ = next(iter(loader))
    sample = x[:4]
    with warnings.catch_warnings():
        # tracing warns about every Python-level branch (fake-quantize's observer
        # switch, YOLO's grid): noise to a user, and errors under pytest -W error
        warnings.simplefilter("ignore")
        # convert_qat: QAT becomes real INT8 ops (ConvInteger, QLinearMatMul), not
        # float convs between Quantize/Dequantize pairs; batch norms may be folded
        with sparseml_log_to(out_dir / "sparseml.log"):
            exporter_cls(model, str(out_dir)).export_onnx(
                sample_batch=sample,
                name=name,
                convert_qat=True,
                disable_bn_fusing=False,
            )
    path = out_dir / name
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: sample.numpy()})[0]
    with torch.no_grad():
        want = model(sample).numpy()
    stem = name.removesuffix(".onnx")
    np.save(out_dir / f"{stem}_sample_input.npy", sample.numpy())
    np.save(out_dir / f"{stem}_sample_output.npy", want)
    return str(path), float(np.max(np.abs(got - want))), float(np.max(np.abs(want)))


@contextlib.contextmanager
def sparseml_log_to(path: Path) -> Any:
    """sparseml's INFO lines (one per export transform, 18 for a QAT export) go to
    `path` instead of the terminal, where they buried the run's own output."""
    import logging

    logger = logging.getLogger("sparseml")
    consoles = [
        h
        for h in logger.handlers
        if isinstance(h, logging.StreamHandler)
        and not isinstance(h, logging.FileHandler)
    ]
    levels = [h.level for h in consoles]
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setFormatter(
        logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s")
    )
    to_file.setLevel(logging.INFO)
    for h in consoles:
        h.setLevel(max(h.level, logging.WARNING))
    logger.addHandler(to_file)
    try:
        yield
    finally:
        logger.removeHandler(to_file)
        to_file.close()
        for h, level in zip(consoles, levels, strict=True):
            h.setLevel(level)


def pin_batch(onnx_path: str | Path, batch: int) -> None:
    """Make the exported batch dimension static (sparseml exports it dynamic)."""
    import onnx

    model = onnx.load(str(onnx_path))
    for value in [*model.graph.input, *model.graph.output]:
        dims = value.type.tensor_type.shape.dim
        if dims and dims[0].dim_param:
            dims[0].ClearField("dim_param")
            dims[0].dim_value = batch
    onnx.checker.check_model(model)
    onnx.save(model, str(onnx_path))
