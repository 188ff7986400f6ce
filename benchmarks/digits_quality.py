"""Accuracy kept by the bundled GMP 80% + QAT recipe on digits-cnn, per seed.

For each seed, through `recipe run`: train dense (DENSE_EPOCHS, default 18), run
recipes/digits-gmp-qat.yaml rescaled to that length (`--rescale`; it is written for
9, so 18 doubles every window), then score the exported INT8 ONNX model in
onnxruntime on the whole validation split, so the figure is the deployed model's,
not PyTorch's simulated quantization. The bar (issue 6): the
sparse INT8 model keeps at least 99% of the dense accuracy.

    python benchmarks/digits_quality.py [SEEDS] [DENSE_EPOCHS]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np

os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def int8_accuracy(onnx_path: str, seed: int) -> float:
    import onnxruntime as ort

    from recipe_compiler.runner.zoo.data import digits

    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    _, val = digits(256, seed)
    right = total = 0
    for x, y in val:
        logits = session.run(None, {name: x.numpy()})[0]
        right += int((logits.argmax(1) == y.numpy()).sum())
        total += len(y)
    return right / total


def main() -> None:
    from recipe_compiler.runner.args import RunArgs
    from recipe_compiler.runner.train import run

    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    dense_epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 18
    recipe = ROOT / "recipes" / "digits-gmp-qat.yaml"
    print(
        f"{recipe.name} rescaled to the run's {dense_epochs} dense epochs, "
        f"digits-cnn, {seeds} seeds"
    )
    print(f"{'seed':>4} {'dense':>7} {'QAT torch':>10} {'INT8 onnx':>10} {'kept':>7}")
    kept = []
    for seed in range(seeds):
        out = tempfile.mkdtemp(prefix=f"digits-q{seed}-")
        report = run(
            RunArgs(
                str(recipe),
                out,
                dense_epochs=dense_epochs,
                rescale_to=dense_epochs,
                seed=seed,
            ),
            progress=lambda _: None,
        )
        assert report.onnx is not None
        int8 = int8_accuracy(report.onnx, seed)
        kept.append(int8 / report.dense_score)
        print(
            f"{seed:>4} {report.dense_score:>7.4f} {report.score:>10.4f} "
            f"{int8:>10.4f} {kept[-1]:>6.1%}",
            flush=True,
        )
    print(
        f"INT8 keeps {np.mean(kept):.1%} of dense accuracy on average, "
        f"{min(kept):.1%} at worst (bar: 99%)"
    )


if __name__ == "__main__":
    main()
