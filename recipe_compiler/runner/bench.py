"""Throughput and latency of ONNX models in DeepSparse and onnxruntime, in one process.

Every (model, engine) pair is compiled first, warmed up, then timed in short
interleaved slices until each has run for the asked time: the machine is shared
and noisy, and interleaving spreads the noise over all pairs alike, so the ratios
printed together are fair. Compare those ratios, not runs from different days.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
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


# Compiles and runs each model once in DeepSparse, saying so after each: DeepSparse
# 1.8 aborts the whole process on some graphs and CPUs (an assertion in its JIT,
# seen on AVX-512 VNNI for small pooled INT8 inputs), which no try/except catches.
_PROBE = """
import sys, numpy as np
from deepsparse import Scheduler, compile_model
*paths, batch, streams, feed = sys.argv[1:]
data = np.load(feed)
for i, path in enumerate(paths):
    arrays = [data[k] for k in sorted(data.files) if k.startswith(f"m{i:04d}_")]
    kw = {"num_streams": int(streams), "scheduler": Scheduler.multi_stream}
    compile_model(path, batch_size=int(batch), **(kw if int(streams) else {})).run(
        arrays
    )
    print("probed", i, flush=True)
"""
PROBE_SECONDS = 1800  # compiling yolov5x a few times; a hung engine is stopped


def _abort_reason(stderr: str, returncode: int) -> str:
    """The line that says why a DeepSparse process died (its assertion, else the
    last line it printed, else the exit status)."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    said = [ln for ln in lines if ln.startswith(("Assertion", "Uncaught", "Error"))]
    last = said[0] if said else (lines[-1] if lines else "")
    return f"{last[:300]} (exit status {returncode})" if last else f"exit {returncode}"


def crashes(
    models: list[tuple[str, list[np.ndarray]]],
    batch_size: int,
    scenario: str,
    code: str | None = None,
) -> dict[int, str]:
    """Which models (by index) DeepSparse cannot compile and run without dying,
    and why: each is tried in a child process, in order, the child restarted after
    one that killed it. Python errors are left to `measure` to report."""
    found: dict[int, str] = {}
    start = 0
    with tempfile.TemporaryDirectory() as tmp:
        streams = str(STREAMS if scenario == "async" else 0)
        while start < len(models):
            feed = os.path.join(tmp, f"inputs{start}.npz")
            np.savez(
                feed,
                **{
                    f"m{i:04d}_{j:04d}": a
                    for i, (_, arrays) in enumerate(models[start:])
                    for j, a in enumerate(arrays)
                },
            )
            argv = [path for path, _ in models[start:]] + [str(batch_size), streams]
            try:
                done = subprocess.run(
                    [sys.executable, "-c", code or _PROBE, *argv, feed],
                    capture_output=True,
                    text=True,
                    timeout=PROBE_SECONDS,
                    env={**os.environ, "NM_DISABLE_ANALYTICS": "1"},
                )
            except subprocess.TimeoutExpired as exc:
                out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else ""
                hung = start + out.count("probed ")
                found[hung] = f"still compiling or running after {PROBE_SECONDS} s"
                start = hung + 1
                continue
            probed = sum(ln.startswith("probed ") for ln in done.stdout.splitlines())
            if done.returncode == 0 or start + probed >= len(models):
                break
            if done.returncode > 0 and "Traceback" in done.stderr:
                break  # a Python error: `measure` raises it with its message
            found[start + probed] = _abort_reason(done.stderr, done.returncode)
            start += probed + 1
    return found


@dataclass
class _Pair:
    model: str
    engine: str
    call: Callable[[], Any]
    latencies: list[float] = field(default_factory=list)  # seconds per call
    busy: float = 0.0  # wall time spent timing, seconds
    calls: int = 0
    rates: list[float] = field(default_factory=list)  # calls/s in each round


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
    before = pair.calls
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
    took = time.perf_counter() - start
    pair.busy += took
    pair.rates.append((pair.calls - before) / took)


def measure(
    models: dict[str, str],
    *,
    engines: Sequence[str] = ENGINES,
    batch_size: int = 1,
    seconds: float = 2.0,
    scenario: str = "sync",
    sample: np.ndarray | None = None,
    progress: Callable[[str], None] = print,
    failures: list[dict[str, str]] | None = None,
) -> list[dict[str, Any]]:
    """Rows of items/s and latency for every model (label -> ONNX path) and engine.

    `vs_baseline` is each row's throughput over the first row's (the first model
    in the first engine: the dense FP32 model in onnxruntime for `recipe run`).
    A model DeepSparse dies on (tried first in a child process) raises BenchError,
    or, given a `failures` list, is left out of the rows and listed there
    (`{"model", "engine", "error"}`).
    """
    if scenario not in SCENARIOS:
        raise BenchError(f"scenario {scenario!r}: use one of {', '.join(SCENARIOS)}")
    feeds = {
        label: inputs_for(path, batch_size, sample) for label, path in models.items()
    }
    dead: dict[str, str] = {}
    if "deepsparse" in engines:
        progress(f"trying {len(models)} model(s) in deepsparse in a child process...")
        labels = list(models)
        found = crashes(
            [(models[label], feeds[label]) for label in labels], batch_size, scenario
        )
        dead = {labels[i]: why for i, why in found.items()}
    for label, why in dead.items():
        message = (
            f"{models[label]}: deepsparse died running it on this CPU: {why}; "
            "an engine bug, not the model's: time it in onnxruntime "
            "(--engine onnxruntime)"
        )
        if failures is None:
            raise BenchError(message)
        progress(f"{label}: {message}")
        failures.append({"model": label, "engine": "deepsparse", "error": why})
    pairs = []
    for label, path in models.items():
        arrays = feeds[label]
        for engine in engines:
            if engine == "deepsparse" and label in dead:
                continue
            progress(f"compiling {label} in {engine}...")
            try:
                call = _compile(path, engine, arrays, batch_size, scenario)
                for _ in range(10):
                    call()  # warm-up: first calls allocate and tune
            except Exception as exc:  # engines raise untyped errors
                reason = str(exc).strip().splitlines()[0][:300] if str(exc) else ""
                raise BenchError(f"{path}: {engine} cannot run it: {reason}") from exc
            pairs.append(_Pair(label, engine, call))
    if not pairs:
        raise BenchError("no model-engine pair could be timed")
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
                # items/s in each interleaved round: ratios paired round by round
                # show the spread noise gives them (`hardware.measured`)
                "round_rates": [r * batch_size for r in pair.rates],
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
