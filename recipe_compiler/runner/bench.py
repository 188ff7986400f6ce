"""Throughput of exported models in DeepSparse and onnxruntime, in one process.

Each engine runs batch-1 inference on the same sample for a fixed time after a
warm-up; the figure is items per second. The machine is shared and noisy: compare
the ratios printed together, not runs from different days.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")


def _rate(fn: Callable[[], Any], seconds: float) -> float:
    for _ in range(10):
        fn()  # warm-up
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - start)


def throughput(
    onnx_path: str, sample: np.ndarray, seconds: float = 2.0, threads: int | None = None
) -> dict[str, float]:
    """Items per second of one model in onnxruntime and DeepSparse (batch 1)."""
    import onnxruntime as ort
    from deepsparse import compile_model

    x = np.ascontiguousarray(sample[:1])
    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    session = ort.InferenceSession(onnx_path, opts, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    engine = compile_model(onnx_path, batch_size=1, num_cores=threads)
    return {
        "onnxruntime": _rate(lambda: session.run(None, {name: x}), seconds),
        "deepsparse": _rate(lambda: engine.run([x]), seconds),
    }


def compare(
    models: dict[str, str],
    sample: np.ndarray,
    seconds: float = 2.0,
    progress: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Every model in both engines; rows carry items/s and the ratio to the first
    model in onnxruntime (the dense FP32 baseline)."""
    rows: list[dict[str, Any]] = []
    for label, path in models.items():
        progress(f"benchmarking {label} ({seconds:g} s an engine)...")
        for engine, rate in throughput(path, sample, seconds).items():
            rows.append({"model": label, "engine": engine, "items_per_s": rate})
    base = float(rows[0]["items_per_s"])
    for row in rows:
        row["vs_dense_onnxruntime"] = row["items_per_s"] / base
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'model':<14} {'engine':<12} {'items/s':>10} {'vs dense ORT':>13}"]
    for r in rows:
        lines.append(
            f"{r['model']:<14} {r['engine']:<12} {r['items_per_s']:>10.0f} "
            f"{r['vs_dense_onnxruntime']:>12.2f}x"
        )
    return "\n".join(lines)
