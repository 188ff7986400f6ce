"""`recipe serve` under load: what DeepSparse's server costs over its engine alone.

One client, then K clients, post one image each, back to back, to
`/v2/models/<name>/infer/from_files` over loopback (S/2 and S seconds; bounded:
K <= 32, S <= 120). One client gives the latency a request pays over the engine
(no request waits behind another); K clients give the throughput (their latency is
mostly queueing, K / throughput). Both are printed beside `recipe bench`'s
engine-only figure for the same model (DeepSparse, batch 1, timed while the server
is stopped, so the two never share the cores), as ratios: the server's overhead is
HTTP, the multipart upload, decoding the image, the letterbox, NMS. The processing
alone (in this process, no HTTP) is timed too, to say where the overhead goes. The
clients run in this process, on the same cores as the server: on a small machine
they take a share of its CPU. Failed requests are counted (0 expected; exit 1
otherwise). Latency CDFs are written to out/serve-load.html.

    python benchmarks/serve_load.py [RUN_DIR] [CLIENTS] [SECONDS] [WORKERS]

Without RUN_DIR, the bundled recipes/yolov5s-pruned95-block4-qat.md is run by
`recipe run` on yolov5s at 640x640 (random weights, a few steps an epoch: speed
does not depend on the values) into out/serve-load/run. The image posted is a
generated 640x480 scene (shapes on noise) as a JPEG, as a camera would send.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RECIPE = ROOT / "recipes" / "yolov5s-pruned95-block4-qat.md"


def trained_run(out: Path) -> Path:
    """The bundled pruned-quantized recipe run on yolov5s at 640 (a short run)."""
    from recipe_compiler.runner.args import RunArgs
    from recipe_compiler.runner.train import run

    if (out / "deploy" / "server.yaml").exists():
        return out
    run(
        RunArgs(
            str(RECIPE),
            str(out),
            model_name="yolov5s",
            image_size=640,
            batch_size=1,
            dense_epochs=0,
            steps_per_epoch=10,
            rescale_to=9,
        ),
        progress=lambda line: print(f"  [run] {line}", file=sys.stderr),
    )
    return out


def scene(width: int = 640, height: int = 480) -> bytes:
    """Shapes on noise, as the training data, at a camera's aspect, as JPEG."""
    import numpy as np
    from PIL import Image

    from recipe_compiler.runner.zoo.detection import Shapes

    data = Shapes(1, 640, seed=5)
    a = (data.images[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    img = Image.fromarray(a).resize((width, height), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def load(url: str, image: bytes, clients: int, seconds: float) -> dict:
    """K threads posting `image` back to back for `seconds`: latencies, failures."""
    import requests

    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[str] = []
    stop = time.monotonic() + seconds

    def client(i: int) -> None:
        with requests.Session() as s:
            while time.monotonic() < stop:
                t = time.perf_counter()
                try:
                    r = s.post(
                        url, files=[("request", ("scene.jpg", image))], timeout=60
                    )
                    ok = r.status_code == 200 and "boxes" in r.json()
                except Exception as exc:  # every failure is counted, none hidden
                    failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                if ok:
                    latencies[i].append(time.perf_counter() - t)
                else:
                    failures.append(f"{r.status_code}: {r.text[:120]}")

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    ticks = 0
    while any(t.is_alive() for t in threads):
        time.sleep(0.5)
        ticks += 1
        if ticks % 10 == 0:
            done = sum(len(x) for x in latencies)
            print(f"  load: {done} requests, {len(failures)} failed", file=sys.stderr)
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    flat = sorted(v for x in latencies for v in x)
    return {"latencies": flat, "failures": failures, "elapsed": elapsed}


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def processing_cost(deploy: Path, image: bytes, n: int = 30) -> tuple[float, float]:
    """Median seconds of decode + preprocess, and of postprocess, in-process."""
    import importlib.util

    import numpy as np

    spec = importlib.util.spec_from_file_location("p", deploy / "processing.py")
    assert spec is not None and spec.loader is not None
    p = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(p)
    from deepsparse import Engine

    engine = Engine(str(deploy / "model.onnx"), batch_size=1)
    pre, post = [], []
    for _ in range(n):
        t = time.perf_counter()
        x, context = p.preprocess(p.Input.from_files([io.BytesIO(image)]))
        pre.append(time.perf_counter() - t)
        out = engine(x)
        t = time.perf_counter()
        p.postprocess([np.asarray(out[0])], **context)
        post.append(time.perf_counter() - t)
    return statistics.median(pre), statistics.median(post)


def chart(
    latencies: dict[str, list[float]], engine_ms: float, title: str, path: Path
) -> None:
    """Each load's latency CDF, the engine's median as a line."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, values in latencies.items():
        ms = [v * 1000 for v in values]
        fig.add_trace(
            go.Scatter(
                x=ms,
                y=[(i + 1) / len(ms) for i in range(len(ms))],
                mode="lines",
                name=name,
            )
        )
    fig.add_vline(x=engine_ms, line_dash="dash", annotation_text="engine alone")
    fig.update_layout(
        title=title,
        xaxis={"title": "latency (ms)", "rangemode": "tozero"},
        yaxis_title="fraction of requests",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.write_html(path, include_plotlyjs=True, full_html=True)


def main() -> int:
    from recipe_compiler.deploy.serve import ServeSettings, start
    from recipe_compiler.hardware.cpu import detect
    from recipe_compiler.runner.bench import measure

    args = sys.argv[1:]
    run_dir = (
        Path(args[0]) if args else trained_run(ROOT / "out" / "serve-load" / "run")
    )
    clients = min(32, max(1, int(args[1]) if len(args) > 1 else 4))
    seconds = min(120.0, max(1.0, float(args[2]) if len(args) > 2 else 20.0))
    workers = int(args[3]) if len(args) > 3 else None
    deploy = run_dir / "deploy"
    image = scene()
    cpu = detect()

    print(
        "engine alone (recipe bench's measure, DeepSparse, batch 1)...", file=sys.stderr
    )
    (row,) = measure(
        {"model": str(deploy / "model.onnx")},
        engines=["deepsparse"],
        seconds=min(seconds, 20.0),
        progress=lambda line: print(f"  {line}", file=sys.stderr),
    )
    pre, post = processing_cost(deploy, image)

    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    running = start(
        ServeSettings(str(run_dir), port=port, workers=workers),
        progress=lambda line: print(f"  {line}", file=sys.stderr),
        echo=lambda line: None,  # the access log: one line a request
    )
    try:
        url = running.url("/infer/from_files")
        load(url, image, 1, 2.0)  # warm-up
        alone = load(url, image, 1, seconds / 2)  # latency: no request waits
        loaded = load(url, image, clients, seconds)  # throughput
    finally:
        running.stop()
    one, lat = alone["latencies"], loaded["latencies"]
    failures = alone["failures"] + loaded["failures"]
    if not one or not lat:
        print(f"no request answered ({len(failures)} failed):", file=sys.stderr)
        for f in failures[:5]:
            print(f"  failed: {f}", file=sys.stderr)
        return 1
    rate = len(lat) / loaded["elapsed"]
    engine_rate, engine_ms = row["items_per_sec"], row["latency_ms"]["median"]

    def ms(values: list[float], q: float) -> str:
        return f"{percentile(values, q) * 1000:.1f}"

    print(
        f"recipe serve: {deploy / 'model.onnx'} over loopback, one "
        f"{len(image) // 1024} KiB JPEG a request; {cpu.describe()} (the clients "
        "share these cores with the server)"
    )
    print(
        f"  1 client x {seconds / 2:g} s: {len(one)} requests; latency p50 "
        f"{ms(one, 50)} ms, p90 {ms(one, 90)} ms, p99 {ms(one, 99)} ms"
    )
    print(
        f"  {clients} clients x {seconds:g} s: {len(lat)} requests, {rate:.2f} "
        f"requests/s; latency p50 {ms(lat, 50)} ms, p90 {ms(lat, 90)} ms, p99 "
        f"{ms(lat, 99)} ms (queueing: {clients} / throughput = "
        f"{clients / rate * 1000:.0f} ms)"
    )
    print(f"  failed requests: {len(failures)}")
    print(
        f"  engine alone (recipe bench): {engine_rate:.2f} items/s, median "
        f"{engine_ms:.1f} ms (batch 1, one caller)"
    )
    print(
        f"  processing alone: decode + letterbox {pre * 1000:.1f} ms, NMS + scaling "
        f"{post * 1000:.1f} ms a request"
    )
    print(
        f"  server / engine: p50 latency {percentile(one, 50) * 1000 / engine_ms:.2f}x "
        f"(1 client, +{percentile(one, 50) * 1000 - engine_ms:.1f} ms), throughput "
        f"{rate / engine_rate:.2f}x ({clients} clients)"
    )
    for f in failures[:5]:
        print(f"  failed: {f}")
    path = ROOT / "out" / "serve-load.html"
    chart(
        {"1 client": one, f"{clients} clients": lat},
        engine_ms,
        f"recipe serve, {cpu.describe()}",
        path,
    )
    print(f"chart: {path}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
