"""Does `recipe sweep` tell the truth? Its one-shot variants against trained ones.

1. `recipe sweep --model yolov5s --image-size 640` as a user runs it, timed end to
   end (the bar: at most 15 minutes on these 2 cores).
2. The trained variants of `benchmarks/yolo_bench.py` (each through `recipe run`).
3. Both sets timed together in one interleaved run (`recipe bench`'s measure), and
   each sweep variant that has a trained twin compared with it in DeepSparse: the
   same fastest variant, each ratio to dense FP32 in onnxruntime within 10%.

Prints the sweep's table and its `fastest:` line, the joint table, and the bars.

    python benchmarks/sweep_quality.py [SECONDS] [STEPS_PER_EPOCH] [SWEEP_SECONDS]
        [TRAINED_DIR]   (the trained/ folder of an earlier run: reused, not retrained)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from yolo_bench import BUNDLED, train_variants, write_variants  # noqa: E402

# sweep variant -> its trained twin in yolo_bench (both prune every conv)
TWINS = {
    "dense INT8": "dense int8",
    "80% unstructured + INT8": "80% unstructured + int8",
    "95% block-4 + INT8": "95% block4 + int8, every conv",
}


def main() -> int:
    from recipe_compiler.hardware.cpu import detect
    from recipe_compiler.runner.bench import measure, table
    from recipe_compiler.runner.sweep import sweep, text_table

    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    spe = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    sweep_seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 5.0
    work = Path(tempfile.mkdtemp(prefix="sweep-quality-"))
    cpu = detect()
    print(f"CPU: {cpu.describe()}")

    t = time.perf_counter()
    result = sweep(
        "yolov5s",
        work / "sweep",
        image_size=640,
        seconds=sweep_seconds,
        progress=lambda line: print(f"  [sweep] {line}", file=sys.stderr),
    )
    minutes = (time.perf_counter() - t) / 60
    print(f"recipe sweep --model yolov5s --image-size 640: {minutes:.1f} min")
    print(text_table(result))
    print(result.fastest_line())

    if len(sys.argv) > 4:  # an earlier run's trained variants: the same code made them
        done = Path(sys.argv[4])
        (work / "recipes").mkdir()
        names = {"dense fp32": done / "dense-int8" / "dense.onnx"}
        names |= {
            label: done / p.stem / "model.onnx"
            for label, p in write_variants(work / "recipes").items()
        }
        trained = {k: str(v) for k, v in names.items()}
    else:
        trained, _ = train_variants("s", spe, work / "trained")
    models = {"dense FP32": trained["dense fp32"]}
    models |= {f"sweep: {b.variant.name}": b.onnx for b in result.built}
    models |= {f"trained: {k}": v for k, v in trained.items() if k != "dense fp32"}
    rows = measure(
        models,
        seconds=seconds,
        progress=lambda line: print(f"  [joint] {line}", file=sys.stderr),
    )
    print(
        f"\njoint run: YOLOv5s 640x640, batch 1, {cpu.describe()}, {seconds:g} s a "
        "pair, interleaved"
    )
    print(table(rows))
    rate = {(r["model"], r["engine"]): r["items_per_sec"] for r in rows}
    base = rate["dense FP32", "onnxruntime"]
    print(f"\n{'sweep variant':<26} {'sweep':>7} {'trained':>8} {'diff':>7}")
    worst = 0.0
    for mine, twin in TWINS.items():
        s = rate[f"sweep: {mine}", "deepsparse"] / base
        k = rate[f"trained: {twin}", "deepsparse"] / base
        worst = max(worst, abs(s / k - 1))
        print(f"{mine:<26} {s:>6.2f}x {k:>7.2f}x {s / k - 1:>+6.1%}")
    fastest_sweep = max(TWINS, key=lambda m: rate[f"sweep: {m}", "deepsparse"])
    fastest_trained = max(
        TWINS, key=lambda m: rate[f"trained: {TWINS[m]}", "deepsparse"]
    )
    best = result.fastest
    print(
        f"\nbars: sweep took {minutes:.1f} min (<= 15); the same fastest variant: "
        f"{fastest_sweep == fastest_trained} (sweep {fastest_sweep}, trained "
        f"{TWINS[fastest_trained]}); largest ratio difference {worst:.1%} (<= 10%); "
        f"the sweep's fastest {best['model']} in {best['engine']} at "
        f"{best['vs_dense_fp32_onnxruntime']:.2f}x dense FP32 onnxruntime (>= 2.5x)"
    )
    bundled = rate[f"trained: {BUNDLED}", "deepsparse"] / base
    print(f"(the bundled recipe, first conv and Detect dense, trained: {bundled:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
