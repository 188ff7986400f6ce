"""Throughput and latency of ONNX models in DeepSparse and onnxruntime, in one process.

Every (model, engine) pair is compiled first, warmed up, then timed in short
interleaved slices until each has run for the asked time: the machine is shared
and noisy, and interleaving spreads the noise over all pairs alike, so the ratios
printed together are fair. Compare those ratios, not runs from different days.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")

ENGINES = ("onnxruntime", "deepsparse")
SCENARIOS = ("sync", "async")
STREAMS = 2  # concurrent callers in the async scenario (one per core here)
_DTYPES = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(double)": np.float64,
    "tensor(uint8)": np.uint8,
    "tensor(int8)": np.int8,
    "tensor(int32)": np.int32,
    "tensor(int64)": np.int64,
}


class BenchError(Exception):
    """A model that cannot be benchmarked: the message says which and why."""


@dataclass
class _Pair:
    model: str
    engine: str
    call: Callable[[], Any]
    latencies: list[float] = field(default_factory=list)  # seconds per call
    busy: float = 0.0  # wall time spent timing, seconds
    calls: int = 0


def inputs_for(
    onnx_path: str, batch_size: int, sample: np.ndarray | None = None
) -> list[np.ndarray]:
    """One batch for each graph input: `sample` repeated, or seeded random data.

    A batch dimension pinned in the graph must equal `batch_size`; every other
    dimension must be fixed, since there is nothing to guess it from.
    """
    import onnxruntime as ort

    try:
        session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise BenchError(f"{onnx_path}: not a loadable ONNX model ({exc})") from exc
    rng = np.random.default_rng(0)
    arrays = []
    for i, spec in enumerate(session.get_inputs()):
        dims = list(spec.shape)
        if dims and isinstance(dims[0], int) and dims[0] != batch_size:
            raise BenchError(
                f"{onnx_path}: input {spec.name!r} has batch {dims[0]} fixed in the "
                f"graph; run with --batch-size {dims[0]}"
            )
        if not all(isinstance(d, int) for d in dims[1:]):
            raise BenchError(
                f"{onnx_path}: input {spec.name!r} has dynamic dimensions {dims}; "
                "export it with fixed ones"
            )
        shape = [batch_size, *dims[1:]] if dims else []
        if sample is not None and i == 0:
            rows = np.ascontiguousarray(sample[:1])
            arrays.append(np.repeat(rows, batch_size, axis=0))
            continue
        dtype = _DTYPES.get(spec.type)
        if dtype is None:
            raise BenchError(f"{onnx_path}: input {spec.name!r} of type {spec.type}")
        if np.issubdtype(dtype, np.floating):
            arrays.append(rng.random(shape).astype(dtype))
        else:
            arrays.append(rng.integers(0, 10, shape).astype(dtype))
    return arrays


def _compile(
    onnx_path: str, engine: str, arrays: list[np.ndarray], batch: int, scenario: str
) -> Callable[[], Any]:
    if engine == "onnxruntime":
        import onnxruntime as ort

        opts = ort.SessionOptions()
        session = ort.InferenceSession(
            onnx_path, opts, providers=["CPUExecutionProvider"]
        )
        feed = {s.name: a for s, a in zip(session.get_inputs(), arrays, strict=True)}
        return lambda: session.run(None, feed)
    from deepsparse import Scheduler, compile_model

    if scenario == "async":
        compiled = compile_model(
            onnx_path,
            batch_size=batch,
            num_streams=STREAMS,
            scheduler=Scheduler.multi_stream,
        )
    else:
        compiled = compile_model(onnx_path, batch_size=batch)
    return lambda: compiled.run(arrays)


def _slice(pair: _Pair, seconds: float, callers: int) -> None:
    """Run `pair` for `seconds` with `callers` concurrent callers, recording calls."""
    lock = threading.Lock()
    start = time.perf_counter()

    def work() -> None:
        while time.perf_counter() - start < seconds:
            t = time.perf_counter()
            pair.call()
            took = time.perf_counter() - t
            with lock:
                pair.latencies.append(took)
                pair.calls += 1

    if callers == 1:
        work()
    else:
        threads = [threading.Thread(target=work) for _ in range(callers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    pair.busy += time.perf_counter() - start


def measure(
    models: dict[str, str],
    *,
    engines: Sequence[str] = ENGINES,
    batch_size: int = 1,
    seconds: float = 2.0,
    scenario: str = "sync",
    sample: np.ndarray | None = None,
    progress: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Rows of items/s and latency for every model (label -> ONNX path) and engine.

    `vs_baseline` is each row's throughput over the first row's (the first model
    in the first engine: the dense FP32 model in onnxruntime for `recipe run`).
    """
    if scenario not in SCENARIOS:
        raise BenchError(f"scenario {scenario!r}: use one of {', '.join(SCENARIOS)}")
    pairs = []
    for label, path in models.items():
        arrays = inputs_for(path, batch_size, sample)
        for engine in engines:
            progress(f"compiling {label} in {engine}...")
            try:
                call = _compile(path, engine, arrays, batch_size, scenario)
                for _ in range(10):
                    call()  # warm-up: first calls allocate and tune
            except Exception as exc:  # engines raise untyped errors
                reason = str(exc).strip().splitlines()[0][:300] if str(exc) else ""
                raise BenchError(f"{path}: {engine} cannot run it: {reason}") from exc
            pairs.append(_Pair(label, engine, call))
    callers = STREAMS if scenario == "async" else 1
    step = min(0.25, max(seconds / 8, 0.01))
    progress(f"timing {len(pairs)} model-engine pairs, {seconds:g} s each, interleaved")
    while any(p.busy < seconds for p in pairs):
        for pair in pairs:
            if pair.busy < seconds:
                _slice(pair, min(step, seconds - pair.busy), callers)
    rows: list[dict[str, Any]] = []
    base = pairs[0].calls / pairs[0].busy
    for pair in pairs:
        ms = [t * 1000 for t in pair.latencies]
        rows.append(
            {
                "model": pair.model,
                "engine": pair.engine,
                "batch_size": batch_size,
                "scenario": scenario,
                "items_per_sec": pair.calls * batch_size / pair.busy,
                "latency_ms": {
                    "mean": statistics.fmean(ms),
                    "median": statistics.median(ms),
                    "p90": float(np.percentile(ms, 90)),
                    "std": statistics.pstdev(ms),
                },
                "vs_baseline": pair.calls / pair.busy / base,
            }
        )
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as text, in the columns of `deepsparse.benchmark`'s summary."""
    w = max([14, *(len(r["model"]) for r in rows)])
    head = (
        f"{'model':<{w}} {'engine':<12} {'batch':>5} {'items/s':>10} {'mean ms':>9} "
        f"{'median':>8} {'p90':>8} {'std':>7} {'vs first':>9}"
    )
    lines = [head]
    for r in rows:
        lat = r["latency_ms"]
        lines.append(
            f"{r['model']:<{w}} {r['engine']:<12} {r['batch_size']:>5} "
            f"{r['items_per_sec']:>10.1f} {lat['mean']:>9.3f} {lat['median']:>8.3f} "
            f"{lat['p90']:>8.3f} {lat['std']:>7.3f} {r['vs_baseline']:>8.2f}x"
        )
    return "\n".join(lines)
