"""YOLOv5 at 640x640, batch 1: DeepSparse against dense FP32 ONNX Runtime, one run.

Builds the model from its definition (random weights: speed does not depend on
them), sparsifies it one-shot with SparseML's manager (`manager.apply`), adds QAT and
exports INT8 with sparseml's exporter, then times every variant in one process:

    python benchmarks/yolo_bench.py [s|l] [SECONDS]
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

from recipe_compiler.runner import compat  # noqa: E402

compat.apply()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

PRUNE = """
modifiers:
  - !GMPruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: {sparsity}
    start_epoch: 0
    end_epoch: 1
    update_frequency: 1
    mask_type: {mask}
"""
QUANT = """
  - !QuantizationModifier
    start_epoch: 0
"""
VARIANTS = [  # name, sparsity, mask, quantize
    ("dense fp32", None, None, False),
    ("dense int8", None, None, True),
    ("80% unstructured + int8", 0.8, "unstructured", True),
    ("95% block4 + int8", 0.95, "block4", True),
]


def macs(model: nn.Module, size: int) -> tuple[float, float]:
    """Multiply-accumulates of every conv at batch 1: all, and with nonzero weights."""
    total, nonzero = 0.0, 0.0

    def hook(m: nn.Module, _inp: object, out: torch.Tensor) -> None:
        nonlocal total, nonzero
        w = m.weight
        per_weight = out.shape[2] * out.shape[3]
        total += w.numel() * per_weight
        nonzero += int((w != 0).sum()) * per_weight

    handles = [
        m.register_forward_hook(hook)
        for m in model.modules()
        if isinstance(m, nn.Conv2d)
    ]
    with torch.no_grad():
        model.eval()(torch.zeros(1, 3, size, size))
    for h in handles:
        h.remove()
    return total, nonzero


def build(
    size_key: str,
    sparsity: float | None,
    mask: str | None,
    quantize: bool,
    image: int,
    out: Path,
    name: str,
) -> tuple[str, float]:
    from sparseml.pytorch.optim import ScheduledModifierManager
    from sparseml.pytorch.utils import ModuleExporter

    from recipe_compiler.runner.yolov5 import yolov5

    torch.manual_seed(0)
    model = yolov5(size_key).train()
    recipe = ""
    if sparsity:
        recipe = PRUNE.format(sparsity=sparsity, mask=mask)
    if quantize:
        recipe = (recipe or "modifiers:\n") + QUANT
    ratio = 1.0
    if recipe:
        manager = ScheduledModifierManager.from_yaml(recipe)
        compat.prepare_manager(manager, model)
        manager.apply(model)
        all_macs, nonzero = macs(model, image)
        ratio = all_macs / nonzero
    model.eval()
    path = out / f"{name}.onnx"
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ModuleExporter(model, str(out)).export_onnx(
            sample_batch=torch.zeros(1, 3, image, image),
            name=path.name,
            convert_qat=True,
            disable_bn_fusing=False,
        )
    return str(path), ratio


def main() -> None:
    from recipe_compiler.runner.bench import throughput

    size_key = sys.argv[1] if len(sys.argv) > 1 else "s"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    image = 640
    out = Path(tempfile.mkdtemp())
    sample = np.random.default_rng(0).random((1, 3, image, image), dtype=np.float32)
    rows = []
    for name, sparsity, mask, quantize in VARIANTS:
        t = time.perf_counter()
        path, ratio = build(
            size_key,
            sparsity,
            mask,
            quantize,
            image,
            out,
            name.replace(" ", "_").replace("%", ""),
        )
        print(
            f"  built {name} in {time.perf_counter() - t:.0f} s; timing...",
            file=sys.stderr,
        )
        rates = throughput(path, sample, seconds)
        rows.append((name, ratio, rates))
    base = rows[0][2]["onnxruntime"]
    ds_int8 = rows[1][2]["deepsparse"]
    print(
        f"YOLOv5{size_key}, {image}x{image}, batch 1, {os.cpu_count()} cores, "
        f"{seconds:g} s an engine"
    )
    print(
        f"{'variant':<26} {'MAC ratio':>9} {'ORT it/s':>9} {'DS it/s':>9} "
        f"{'DS vs ORT dense':>16} {'DS vs DS int8':>14}"
    )
    for name, ratio, r in rows:
        print(
            f"{name:<26} {ratio:>8.1f}x {r['onnxruntime']:>9.2f} "
            f"{r['deepsparse']:>9.2f} {r['deepsparse'] / base:>15.2f}x "
            f"{r['deepsparse'] / ds_int8:>13.2f}x"
        )


if __name__ == "__main__":
    main()
