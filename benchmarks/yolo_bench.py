"""YOLOv5 at 640x640, batch 1, through `recipe run`: what each variant buys on this CPU.

Every variant is trained by the runner (SparseML's manager on the model's training
loop, generated shapes at 640x640) from the same random initial weights: the
bundled recipes/yolov5s-pruned95-block4-qat.md (95% block-4 + QAT, the first conv
and the Detect convs dense), rescaled to a short run, and variants of it: its QAT
alone, 80% unstructured + QAT, and 95% block-4 + QAT on every conv. Each is exported
as the runner exports (INT8 where quantized), then all are timed in one interleaved
run (`recipe bench`'s measure) in onnxruntime and DeepSparse, against the dense FP32
model in onnxruntime. Random weights: speed does not depend on their values. An
HTML bar chart of the figures is written to out/yolo-bench-<size>.html.

    python benchmarks/yolo_bench.py [s|l] [SECONDS] [STEPS_PER_EPOCH]
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RECIPE = ROOT / "recipes" / "yolov5s-pruned95-block4-qat.md"
IMAGE = 640
RESCALE_TO = 9  # dense epochs: 3 of pruning, 1.8 of fine-tuning, 0.2 of QAT
SEED_L_ITEMS_PER_SEC = 74.0  # the seed's figure for pruned-quantized YOLOv5l
# the bundled recipe's params: every conv but the first (model.0) and Detect's
INNER_CONVS = r"re:^model\.([1-9]|1\d|2[0-3])\..*conv\.weight$"
BUNDLED = "95% block4 + int8 (recipe)"


def variants(text: str) -> dict[str, str]:
    """The bundled recipe (95% block-4 + QAT, the first conv and the Detect convs
    dense) and its variants, by editing its text."""
    qat_only = re.sub(
        r"\npruning_modifiers:.*?\nquantization_modifiers:",
        "\nquantization_modifiers:",
        text,
        flags=re.S,
    )
    every_conv = text.replace(f"params: ['{INNER_CONVS}']", "params: __ALL_PRUNABLE__")
    unstructured = every_conv.replace(
        "final_sparsity: 0.95", "final_sparsity: 0.8"
    ).replace("mask_type: block4", "mask_type: unstructured")
    assert text.count(INNER_CONVS) == 2 and every_conv.count("__ALL_PRUNABLE__") == 2
    assert qat_only != text and "mask_type: unstructured" in unstructured
    return {
        "dense int8": qat_only,
        "80% unstructured + int8": unstructured,
        "95% block4 + int8, every conv": every_conv,
        BUNDLED: text,
    }


def write_variants(work: Path) -> dict[str, Path]:
    """The variants as recipe files in `work`, by name (the file stem is a slug)."""
    paths = {}
    for name, text in variants(RECIPE.read_text()).items():
        slug = re.sub(r"\W+", "-", name).strip("-")
        path = work / f"{slug}.md"
        path.write_text(text)
        paths[name] = path
    return paths


def chart(rows: list[dict], title: str, path: Path) -> None:
    import plotly.graph_objects as go

    fig = go.Figure()
    for engine in ("onnxruntime", "deepsparse"):
        mine = [r for r in rows if r["engine"] == engine]
        fig.add_bar(
            name=engine,
            x=[r["model"] for r in mine],
            y=[r["items_per_sec"] for r in mine],
            text=[f"{r['items_per_sec']:.1f}" for r in mine],
        )
    fig.update_layout(title=title, yaxis_title="items/s (batch 1)", barmode="group")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.write_html(path, include_plotlyjs=True, full_html=True)


def train_variants(
    size: str, spe: int, work: Path
) -> tuple[dict[str, str], dict[str, float]]:
    """Every variant trained by `recipe run` at 640x640 and exported: label -> ONNX
    (the dense FP32 export first) and label -> nonzero-MAC ratio."""
    from recipe_compiler.runner.args import RunArgs
    from recipe_compiler.runner.train import run

    models: dict[str, str] = {}
    mac_ratio = {"dense fp32": 1.0}
    work.mkdir(parents=True, exist_ok=True)
    for name, path in write_variants(work).items():
        t = time.perf_counter()
        args = RunArgs(
            str(path),
            str(work / path.stem),
            model_name=f"yolov5{size}",
            image_size=IMAGE,
            batch_size=1,
            dense_epochs=0,  # random weights: speed does not depend on them
            steps_per_epoch=spe,
            rescale_to=RESCALE_TO,
            seed=0,
        )
        report = run(
            args,
            progress=lambda line, n=name: print(f"  [{n}] {line}", file=sys.stderr),
        )
        assert report.onnx is not None and report.mac_ratio is not None
        print(
            f"  [{name}] trained {report.epochs:g} epochs x {spe} steps and exported "
            f"in {time.perf_counter() - t:.0f} s; planned vs observed: LR "
            f"{report.max_lr_diff:g}, sparsity {report.max_sparsity_diff or 0:.2g}",
            file=sys.stderr,
        )
        if not models:
            models["dense fp32"] = str(work / path.stem / "dense.onnx")
        models[name] = report.onnx
        mac_ratio[name] = report.mac_ratio
    return models, mac_ratio


def main() -> None:
    from recipe_compiler.runner.bench import measure, table

    size = sys.argv[1] if len(sys.argv) > 1 else "s"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    spe = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    work = Path(tempfile.mkdtemp(prefix=f"yolo-bench-{size}-"))
    models, mac_ratio = train_variants(size, spe, work)
    rows = measure(
        models,
        seconds=seconds,
        progress=lambda line: print(f"  {line}", file=sys.stderr),
    )
    rate = {(r["model"], r["engine"]): r["items_per_sec"] for r in rows}
    ort_dense = rate["dense fp32", "onnxruntime"]
    ds_int8 = rate["dense int8", "deepsparse"]
    print(
        f"YOLOv5{size} through recipe run, {IMAGE}x{IMAGE}, batch 1, "
        f"{os.cpu_count()} cores, {seconds:g} s an engine, interleaved"
    )
    print(table(rows))
    print()
    print(
        f"{'variant':<30} {'MAC ratio':>9} {'ORT it/s':>9} {'DS it/s':>9} "
        f"{'DS vs ORT dense':>16} {'DS vs DS int8':>14}"
    )
    for name in models:
        ds = rate[name, "deepsparse"]
        print(
            f"{name:<30} {mac_ratio[name]:>8.1f}x {rate[name, 'onnxruntime']:>9.2f} "
            f"{ds:>9.2f} {ds / ort_dense:>15.2f}x {ds / ds_int8:>13.2f}x"
        )
    best = rate[BUNDLED, "deepsparse"]
    print(
        f"bar: the recipe in DeepSparse {best / ort_dense:.2f}x dense FP32 "
        f"onnxruntime (>= 2.5x) and {best / ds_int8:.2f}x DeepSparse dense INT8 "
        f"(>= 1.05x)"
    )
    if size == "l":
        print(
            f"pruned-quantized YOLOv5l: {best:.1f} items/s here; the seed's figure "
            f"{SEED_L_ITEMS_PER_SEC:g} items/s"
        )
    out = ROOT / "out" / f"yolo-bench-{size}"
    chart(
        rows,
        f"YOLOv5{size} {IMAGE}x{IMAGE}, batch 1, {os.cpu_count()} cores",
        out.with_suffix(".html"),
    )
    out.with_suffix(".json").write_text(json.dumps(rows, indent=2) + "\n")
    print(f"chart: {out.with_suffix('.html')}")


if __name__ == "__main__":
    main()
