"""`recipe run` on llm-compressor recipes: the time and peak memory of each phase
(load, calibration data, oneshot, compare, save, reload, report), read from the
run's report.json, for the tiny models the tests use and for a ~0.5B-parameter
architecture (Qwen2-0.5B's config: 24 layers, hidden 896, vocab 151,936) built
from its config with random weights: nothing is downloaded.

Each run is `.venv-llmc/bin/recipe run` as a user starts it (a process of its
own: peak memory is that process's resident set, sampled every 20 ms). The
figures depend on the machine: the CPU is printed first; compare within one run.

    python benchmarks/llm_run.py [--skip-large] [--samples N] [--seq L]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recipe_compiler.hardware.cpu import detect  # noqa: E402
from tests.llmrun.cases import RECIPES  # noqa: E402

LLMC = ROOT / ".venv-llmc" / "bin"
TINY = {
    "tiny-llama": {"model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
                   "num_hidden_layers": 2, "num_attention_heads": 4,
                   "num_key_value_heads": 2, "vocab_size": 256,
                   "max_position_embeddings": 256},
    "tiny-qwen3-moe": {"model_type": "qwen3_moe", "hidden_size": 64,
                       "intermediate_size": 128, "moe_intermediate_size": 64,
                       "num_experts": 4, "num_experts_per_tok": 2,
                       "num_hidden_layers": 2, "num_attention_heads": 4,
                       "num_key_value_heads": 2, "head_dim": 16, "vocab_size": 256,
                       "max_position_embeddings": 256},
}  # fmt: skip
QWEN2_05B = {  # Qwen/Qwen2-0.5B's config.json, its sizes as published
    "model_type": "qwen2", "hidden_size": 896, "intermediate_size": 4864,
    "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
    "vocab_size": 151936, "max_position_embeddings": 32768, "rope_theta": 1000000.0,
    "tie_word_embeddings": True, "torch_dtype": "bfloat16", "rms_norm_eps": 1e-6,
}  # fmt: skip


def build(folder: Path, config: dict) -> float:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(config))
    start = time.perf_counter()
    subprocess.run(
        [str(LLMC / "python"), "-m", "recipe_compiler.runner.llm.tiny", str(folder)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return time.perf_counter() - start


def run(recipe: Path, model: Path, out: Path, samples: int, seq: int) -> dict:
    done = subprocess.run(
        [str(LLMC / "recipe"), "run", str(recipe), "--model", str(model), "-o",
         str(out), "--samples", str(samples), "--max-seq-length", str(seq),
         "--held-out", "4"],
        capture_output=True, text=True,
        env={**os.environ, "NM_DISABLE_ANALYTICS": "1"},
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"{recipe.name} on {model.name}: {done.stderr[-2000:]}")
    return json.loads((out / "report.json").read_text())


def show(model: str, recipe: str, report: dict) -> None:
    phases = {p["phase"]: p for p in report["phases"]}
    cells = "  ".join(
        f"{name} {p['seconds']:6.2f}s {p['peak_rss_bytes'] / 2**20:6.0f}M"
        for name, p in phases.items()
    )
    ck, close = report["checkpoint"], report["closeness"]
    print(
        f"{model:15} {recipe:18} {cells}\n{'':34} checkpoint "
        f"{ck['bytes_before'] / 2**20:,.1f} -> {ck['bytes_after'] / 2**20:,.1f} MiB, "
        f"KL {close['kl_mean']:.3g}, top-1 {close['top1_agreement']:.3f}, "
        f"as predicted: {report['prediction']['agrees']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--seq", type=int, default=128)
    args = parser.parse_args()
    cpu = detect()
    print(f"CPU: {cpu.describe()}")
    print(f"calibration: {args.samples} generated sequences of {args.seq} tokens; "
          "phase: seconds, peak resident memory\n")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, text in RECIPES.items():
            (root / f"{name}.yaml").write_text(text)
        for model, config in TINY.items():
            build(root / model, config)
            for name in RECIPES:
                report = run(root / f"{name}.yaml", root / model,
                             root / f"out-{model}-{name}", args.samples,
                             min(args.seq, 256))  # fmt: skip
                show(model, name, report)
        if not args.skip_large:
            seconds = build(root / "qwen2-0.5b", QWEN2_05B)
            print(f"\nqwen2-0.5b (random weights, bfloat16): built in {seconds:.0f} s")
            for name in ("gptq-w4a16-g32", "fp8-dynamic"):
                report = run(root / f"{name}.yaml", root / "qwen2-0.5b",
                             root / f"out-large-{name}", args.samples, args.seq)  # fmt: skip
                show("qwen2-0.5b", name, report)


if __name__ == "__main__":
    main()
