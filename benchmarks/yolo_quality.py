"""Detection accuracy each YOLO recipe variant keeps, through `recipe run`.

The speed side is benchmarks/yolo_bench.py; this is the other half of the trade.
YOLOv5n learns the generated shapes at 64x64 (30 dense epochs), then each variant of
recipes/yolov5s-pruned95-block4-qat.md (its QAT alone, 80% unstructured + QAT on
every conv, 95% block-4 + QAT on every conv, and the recipe itself: the same with
the first conv and the Detect convs dense) runs rescaled to those 30 epochs. The exported
INT8 model is scored in onnxruntime with the runner's mAP (YOLOv5 val.py's), so the
figure is the deployed model's. Shapes on noise are not COCO: read the differences
between variants, not the absolute mAP.

    python benchmarks/yolo_quality.py [SEEDS]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.yolo_bench import RECIPE, write_variants  # noqa: E402

DENSE_EPOCHS = 30


class OnnxDetector:
    """An exported detector that `detection_metrics.evaluate` can score."""

    training = False

    def __init__(self, path: str):
        import onnxruntime as ort

        self.session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        self.name = self.session.get_inputs()[0].name

    def eval(self) -> OnnxDetector:
        return self

    def train(self, mode: bool = True) -> OnnxDetector:
        return self

    def __call__(self, x):  # type: ignore[no-untyped-def]
        import torch

        return torch.from_numpy(self.session.run(None, {self.name: x.numpy()})[0])


def main() -> None:
    from recipe_compiler.runner.args import RunArgs
    from recipe_compiler.runner.train import run
    from recipe_compiler.runner.zoo.detection import shapes
    from recipe_compiler.runner.zoo.detection_metrics import evaluate

    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    work = Path(tempfile.mkdtemp(prefix="yolo-quality-"))
    print(
        f"YOLOv5n on generated shapes at 64x64, {DENSE_EPOCHS} dense epochs, variants "
        f"of {RECIPE.name} rescaled to {DENSE_EPOCHS}; mAP@0.5 of the INT8 export"
    )
    print(
        f"{'variant':<30} {'seed':>4} {'dense':>7} {'torch':>7} {'INT8 onnx':>10} "
        f"{'kept':>7} {'seconds':>8}"
    )
    kept: dict[str, list[float]] = {}
    same_length: dict[str, list[float]] = {}  # over the QAT-only run of that seed
    for seed in range(seeds):
        _, val = shapes(16, 64, seed=seed)
        for name, path in write_variants(work).items():
            t = time.perf_counter()
            report = run(
                RunArgs(
                    str(path),
                    str(work / f"{path.stem}-{seed}"),
                    model_name="yolov5n",
                    image_size=64,
                    batch_size=16,
                    dense_epochs=DENSE_EPOCHS,
                    rescale_to=DENSE_EPOCHS,
                    seed=seed,
                ),
                progress=lambda _: None,
            )
            assert report.onnx is not None
            dense = report.metrics["map50"]["dense"]
            int8 = evaluate(OnnxDetector(report.onnx), val)["map50"]  # type: ignore[arg-type]
            kept.setdefault(name, []).append(int8 / dense)
            if name == "dense int8":
                baseline = int8
            same_length.setdefault(name, []).append(int8 / baseline)
            print(
                f"{name:<30} {seed:>4} {dense:>7.3f} "
                f"{report.metrics['map50']['sparse']:>7.3f} {int8:>10.3f} "
                f"{int8 / dense:>6.0%} {time.perf_counter() - t:>8.0f}",
                flush=True,
            )
    for name, ratios in kept.items():
        print(
            f"{name:<30} keeps {np.mean(ratios):.0%} of the dense mAP@0.5 and "
            f"{np.mean(same_length[name]):.0%} of the QAT-only run's (same training "
            "length) on average"
        )


if __name__ == "__main__":
    main()
