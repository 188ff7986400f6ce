"""`recipe sweep`: what each sparsity and precision buys on this CPU, before training.

Speed depends on where the zeros are and on the precision, hardly on the weights'
values, so every variant is made in one shot from the same (random or given)
weights: pruned by magnitude through SparseML's own `GMPruningModifier` (init =
final sparsity, applied at once by `manager.apply`; the kept weights then redrawn
from the layer's own, see `_redraw`), quantized through
SparseML's `QuantizationModifier` (QAT's fake-quantize modules, calibrated on a few
batches), and exported exactly as `recipe run` exports (`export.export`: sparseml's
exporter with `convert_qat`, checked in onnxruntime). All variants are then timed in
one interleaved run in onnxruntime and DeepSparse (`bench.measure`), so the ratios
are fair on a noisy machine. Each variant's recipe is written next to its model.

An ONNX file (`--model FILE.onnx`) gets the FP32 variants: its Conv and Gemm
weights pruned by SparseML's ONNX magnitude pruning (`prune_model_one_shot`).
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import math
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .. import torch_compat

torch_compat.apply()

import torch  # noqa: E402

from ..fileio import write_atomic  # noqa: E402
from ..hardware.cpu import detect as detect_cpu  # noqa: E402
from ..hardware.measured import beyond_noise, ratio_range  # noqa: E402
from ..model import macs  # noqa: E402
from ..model.onnx import mac_ratio  # noqa: E402
from . import checkpoint  # noqa: E402
from .bench import measure  # noqa: E402
from .errors import RunError  # noqa: E402
from .export import export, sparseml_log_to  # noqa: E402
from .zoo.tasks import build  # noqa: E402

BASELINE = ("dense FP32", "onnxruntime")


@dataclasses.dataclass(frozen=True)
class Variant:
    name: str
    sparsity: float  # of every prunable layer; 0 for dense
    mask: str  # SparseML's mask_type: "unstructured" or "block4"
    int8: bool

    @property
    def slug(self) -> str:
        return re.sub(r"\W+", "-", self.name.lower()).strip("-")

    def recipe(self) -> str:
        """The SparseML recipe that makes this variant in one shot (dense FP32 has
        none: nothing is applied)."""
        return self._recipe(bool(self.sparsity), self.int8)

    def _recipe(self, prune: bool, quantize: bool) -> str:
        lines = [f"# recipe sweep: {self.name}, applied in one shot (no training)"]
        lines.append("modifiers:")
        # `manager.apply(epoch=inf)` applies every modifier whatever its epochs;
        # written as a training would order them (pruning done before QAT starts,
        # training going on after both), the recipe is one `recipe lint` reads clean
        lines += [
            "  - !EpochRangeModifier",
            "    start_epoch: 0.0",
            "    end_epoch: 2.0",
        ]
        if prune:
            lines += [
                "  - !GMPruningModifier",
                "    params: __ALL_PRUNABLE__",
                f"    init_sparsity: {self.sparsity}",
                f"    final_sparsity: {self.sparsity}",
                "    start_epoch: 0.0",
                "    end_epoch: 1.0",
                "    update_frequency: 1.0",
                f"    mask_type: {self.mask}",
            ]
        if quantize:
            start = "1.5" if prune else "0.0"  # after a fine-tuning (RC222)
            lines += ["  - !QuantizationModifier", f"    start_epoch: {start}"]
        return "\n".join(lines) + "\n"


VARIANTS = (
    Variant("dense FP32", 0.0, "unstructured", False),
    Variant("dense INT8", 0.0, "unstructured", True),
    Variant("80% unstructured FP32", 0.8, "unstructured", False),
    Variant("90% unstructured FP32", 0.9, "unstructured", False),
    Variant("95% unstructured FP32", 0.95, "unstructured", False),
    Variant("80% unstructured + INT8", 0.8, "unstructured", True),
    Variant("90% block-4 + INT8", 0.9, "block4", True),
    Variant("95% block-4 + INT8", 0.95, "block4", True),
)


@dataclasses.dataclass(frozen=True)
class Built:
    variant: Variant
    onnx: str
    mac_ratio: float | None  # all MACs over nonzero-weight MACs
    seconds: float  # to build and export


@dataclasses.dataclass(frozen=True)
class Sweep:
    """What `recipe sweep` measured; `to_dict()` is `DIR/sweep.json`."""

    model: str
    input_shape: tuple[int, ...]  # of one item: (3, 640, 640)
    batch_size: int
    seconds: float
    weights: str | None  # None: random initial weights
    cpu: dict[str, Any]
    built: list[Built]
    rows: list[dict[str, Any]]  # bench.measure's rows, with `variant` and `mac_ratio`
    # pairs the engine died on (bench.measure's failures): model, engine, error
    failed: list[dict[str, str]] = dataclasses.field(default_factory=list)

    @property
    def fastest(self) -> dict[str, Any]:
        return max(self.rows, key=lambda r: r["items_per_sec"])

    @property
    def ties(self) -> list[dict[str, Any]]:
        """The rows as fast as the fastest within the noise (their ranges of the
        ratio over the rounds overlap), the fastest not among them."""
        best = self.fastest
        top = _range(best)
        return [
            r for r in self.rows if r is not best and not beyond_noise(top, _range(r))
        ]

    def fastest_line(self) -> str:
        best = self.fastest
        lo, hi = _range(best)
        line = (
            f"fastest: {best['model']} in {best['engine']}, "
            f"{best['vs_dense_fp32_onnxruntime']:.2f}x dense FP32 onnxruntime "
            f"({lo:.2f}-{hi:.2f}x over the rounds)"
        )
        tied = [f"{r['model']} in {r['engine']}" for r in self.ties]
        if tied:
            line += "; within the noise of it: " + ", ".join(tied)
        return line

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "input_shape": list(self.input_shape),
            "batch_size": self.batch_size,
            "seconds": self.seconds,
            "weights": self.weights or "random",
            "cpu": self.cpu,
            "variants": [
                {
                    **dataclasses.asdict(b.variant),
                    "onnx": b.onnx,
                    "mac_ratio": b.mac_ratio,
                    "build_seconds": b.seconds,
                }
                for b in self.built
            ],
            "rows": self.rows,
            "failed": self.failed,
            "fastest": {
                "variant": self.fastest["model"],
                "engine": self.fastest["engine"],
                "vs_dense_fp32_onnxruntime": self.fastest["vs_dense_fp32_onnxruntime"],
            },
        }


def _range(row: dict[str, Any]) -> tuple[float, float]:
    r = row["vs_dense_fp32_onnxruntime"]
    lo, hi = row.get("vs_dense_fp32_onnxruntime_range", (r, r))
    return float(lo), float(hi)


def _one_shot(model: torch.nn.Module, variant: Variant, log_dir: Path) -> None:
    """Prune and/or quantize `model` in place with SparseML's manager, at once: the
    pruning modifier, the kept weights redrawn (`_redraw`), then QAT."""
    if variant.sparsity:
        dense = {n: p.detach().clone() for n, p in model.named_parameters()}
        _apply(model, variant._recipe(True, False), log_dir)
        _redraw(model, dense)
    if variant.int8:
        _apply(model, variant._recipe(False, True), log_dir)


def _apply(model: torch.nn.Module, recipe: str, log_dir: Path) -> None:
    from sparseml.pytorch.optim import ScheduledModifierManager

    manager = ScheduledModifierManager.from_yaml(recipe)
    torch_compat.prepare_manager(manager, model)
    model.train()  # layer fusion for QAT must see a model in train mode
    with sparseml_log_to(log_dir / "sparseml.log"):
        manager.apply(model, epoch=math.inf, loggers=[_quiet_logger()])


def _redraw(model: torch.nn.Module, dense: dict[str, torch.Tensor]) -> None:
    """Keep SparseML's mask, but give the kept weights values drawn from the same
    layer's dense weights (seeded).

    Where DeepSparse emulates INT8 (no VNNI) the values matter through their size:
    magnitude pruning of random weights keeps only the largest (93% of yolov5s's kept
    weights quantize above 63 in magnitude; 69% after training), and that measured
    6-7% slower than the trained twin; redrawn, within 1% of it (docs/doctor.md).
    """
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, param in model.named_parameters():
            kept = param != 0
            if param.dim() < 2 or name not in dense or bool(kept.all()):
                continue  # biases and norms are not pruned
            pool = dense[name].flatten()
            order = torch.randperm(pool.numel(), generator=generator)
            param[kept] = pool[order[: int(kept.sum())]]


def _quiet_logger() -> Any:
    """SparseML's modifier log into a logger that writes nowhere (else it opens
    `./sparse_logs/` in the user's folder)."""
    import logging

    from sparseml.pytorch.utils.logger import PythonLogger

    log = logging.getLogger("recipe_compiler.runner.sweep.sparseml")
    log.propagate = False
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    return PythonLogger(log)


def _calibrate(model: torch.nn.Module, loader: Any, batches: int) -> None:
    """QAT's observers see a few batches, so INT8 scales fit the activations."""
    model.eval()
    with torch.no_grad():
        for x, _ in itertools.islice(loader, batches):
            model(x)


def build_torch(
    model_name: str,
    out: Path,
    variants: Sequence[Variant],
    *,
    image_size: int,
    batch_size: int,
    weights: str | None,
    calibration_batches: int,
    progress: Callable[[str], None],
) -> tuple[list[Built], Any]:
    """Every variant of a built-in or factory model, exported into `out/`."""
    try:
        task = build(model_name, max(batch_size, 4), 0, image_size)
    except (KeyError, FileNotFoundError) as exc:
        why = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        raise RunError(f"cannot build {model_name}: {why}") from None
    if weights:
        checkpoint.load_weights(task.model, weights)
    from sparseml.pytorch.utils import ModuleExporter

    sample = next(iter(task.val))[0]
    built = []
    for i, variant in enumerate(variants, 1):
        t = time.perf_counter()
        progress(f"[{i}/{len(variants)}] {variant.name}: building and exporting...")
        folder = out / variant.slug
        folder.mkdir(parents=True, exist_ok=True)
        model = copy.deepcopy(task.model)
        if variant.sparsity or variant.int8:
            write_atomic(folder / "recipe.yaml", variant.recipe())
            _one_shot(model, variant, folder)
        if variant.int8:
            _calibrate(model, task.val, calibration_batches)
        ratio = macs.ratio(model, sample)
        onnx, _, _ = export(model, task.val, folder, ModuleExporter, "model.onnx")
        built.append(Built(variant, onnx, ratio, time.perf_counter() - t))
        progress(
            f"[{i}/{len(variants)}] {variant.name}: {ratio:.1f}x fewer MACs, "
            f"{time.perf_counter() - t:.0f} s"
        )
    return built, sample.numpy()


def build_onnx(
    path: str,
    out: Path,
    variants: Sequence[Variant],
    progress: Callable[[str], None],
) -> list[Built]:
    """The FP32 variants of an ONNX model: its Conv and Gemm weights pruned by
    SparseML's ONNX magnitude pruning (unstructured: it has no block masks)."""
    import onnx
    from sparseml.onnx.utils import get_prunable_nodes, prune_model_one_shot

    base = onnx.load(path)
    built = []
    for i, variant in enumerate(variants, 1):
        t = time.perf_counter()
        progress(f"[{i}/{len(variants)}] {variant.name}: pruning the ONNX weights...")
        folder = out / variant.slug
        folder.mkdir(parents=True, exist_ok=True)
        model = copy.deepcopy(base)
        if variant.sparsity:
            nodes = get_prunable_nodes(model)
            prune_model_one_shot(model, nodes, variant.sparsity)
        target = folder / "model.onnx"
        onnx.save(model, str(target))
        built.append(
            Built(variant, str(target), mac_ratio(model), time.perf_counter() - t)
        )
    return built


def _onnx_input_shape(path: str) -> tuple[int, ...]:
    import onnxruntime as ort

    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    dims = session.get_inputs()[0].shape[1:]
    return tuple(d if isinstance(d, int) else 0 for d in dims)


def variants_for(onnx_model: bool) -> tuple[list[Variant], list[Variant]]:
    """(made, left out): an ONNX file gets the FP32 unstructured variants only."""
    if not onnx_model:
        return list(VARIANTS), []
    made = [v for v in VARIANTS if not v.int8 and v.mask == "unstructured"]
    return made, [v for v in VARIANTS if v not in made]


def sweep(
    model: str,
    out: str | Path,
    *,
    image_size: int = 64,
    batch_size: int = 1,
    seconds: float = 10.0,
    weights: str | None = None,
    calibration_batches: int = 4,
    engines: Sequence[str] = ("onnxruntime", "deepsparse"),
    progress: Callable[[str], None] = print,
) -> Sweep:
    """Build every variant of `model`, time them all interleaved, write
    `out/sweep.json` and `out/sweep.html`."""
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    is_onnx = model.endswith(".onnx")
    made, left = variants_for(is_onnx)
    if left:
        progress(
            "an ONNX file gets the FP32 unstructured variants; "
            f"{', '.join(v.name for v in left)} need the PyTorch model "
            "(SparseML's QAT and block masks): pass a built-in model or a factory"
        )
    sample = None
    if is_onnx:
        built = build_onnx(model, out_dir, made, progress)
        shape = _onnx_input_shape(model)
    else:
        built, sample = build_torch(
            model,
            out_dir,
            made,
            image_size=image_size,
            batch_size=batch_size,
            weights=weights,
            calibration_batches=calibration_batches,
            progress=progress,
        )
        shape = tuple(int(d) for d in sample.shape[1:])
    failed: list[dict[str, str]] = []
    rows = measure(
        {b.variant.name: b.onnx for b in built},
        engines=engines,
        batch_size=batch_size,
        seconds=seconds,
        sample=sample,
        progress=progress,
        failures=failed,
    )
    ratio = {b.variant.name: b.mac_ratio for b in built}
    base_row = next((r for r in rows if (r["model"], r["engine"]) == BASELINE), rows[0])
    base = base_row["items_per_sec"]
    rows = [
        {
            **r,
            "mac_ratio": ratio[r["model"]],
            "vs_dense_fp32_onnxruntime": r["items_per_sec"] / base,
            "vs_dense_fp32_onnxruntime_range": list(
                ratio_range(r["round_rates"], base_row["round_rates"])
            ),
        }
        for r in rows
    ]
    result = Sweep(
        model,
        shape,
        batch_size,
        seconds,
        weights,
        detect_cpu().to_dict(),
        built,
        rows,
        failed,
    )
    write_atomic(out_dir / "sweep.json", json.dumps(result.to_dict(), indent=2) + "\n")
    write_atomic(out_dir / "sweep.html", chart(result))
    return result


def text_table(result: Sweep) -> str:
    """The rows: items/s, latency, ratio to dense FP32 in onnxruntime, MAC ratio."""
    w = max(len(r["model"]) for r in result.rows)
    lines = [
        f"{'variant':<{w}} {'engine':<12} {'items/s':>9} {'median ms':>10} "
        f"{'p90 ms':>8} {'vs dense FP32 ORT':>18} {'MAC ratio':>10}"
    ]
    for r in result.rows:
        mac = f"{r['mac_ratio']:.1f}x" if r["mac_ratio"] else "-"
        lines.append(
            f"{r['model']:<{w}} {r['engine']:<12} {r['items_per_sec']:>9.1f} "
            f"{r['latency_ms']['median']:>10.2f} {r['latency_ms']['p90']:>8.2f} "
            f"{r['vs_dense_fp32_onnxruntime']:>17.2f}x {mac:>10}"
        )
    for f in result.failed:
        lines.append(f"{f['model']:<{w}} {f['engine']:<12} failed: {f['error']}")
    return "\n".join(lines)


def chart(result: Sweep) -> str:
    """One offline HTML page: items/s of every variant in each engine, the dense
    FP32 onnxruntime figure as a line."""
    import plotly.graph_objects as go

    fig = go.Figure()
    names = [b.variant.name for b in result.built]
    for engine in dict.fromkeys(r["engine"] for r in result.rows):
        by = {r["model"]: r for r in result.rows if r["engine"] == engine}
        fig.add_bar(
            name=engine,
            x=names,
            y=[by[n]["items_per_sec"] if n in by else None for n in names],
            text=[
                f"{by[n]['vs_dense_fp32_onnxruntime']:.2f}x" if n in by else "failed"
                for n in names
            ],
            hovertemplate="%{x}<br>%{y:.1f} items/s (%{text} dense FP32 ORT)",
        )
    base = [
        r["items_per_sec"] for r in result.rows if (r["model"], r["engine"]) == BASELINE
    ]
    if base:
        fig.add_hline(
            y=base[0], line_dash="dash", annotation_text="dense FP32, onnxruntime"
        )
    cpu = result.cpu
    size = "x".join(map(str, result.input_shape))
    fig.update_layout(
        title=(
            f"{result.model} ({size}), batch {result.batch_size}: items/s on "
            f"{cpu['model']}, {cpu['cores']} cores, {cpu['isa']}<br><sup>"
            f"{result.fastest_line()}; weights "
            f"{result.weights or 'random (speed turns on the zeros and the precision)'}"
            "</sup>"
        ),
        yaxis_title=f"items/s (batch {result.batch_size})",
        barmode="group",
    )
    html: str = fig.to_html(include_plotlyjs=True, full_html=True)
    return html
