"""The runner: compat fixes on their own, and a real run on digits-cnn whose every
step is compared with the plan (the runner extra; never skipped in CI)."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

from recipe_compiler.loader.recipe import load
from recipe_compiler.runner.args import RunArgs
from recipe_compiler.schedule.timeline import plan
from tests.conftest import ROOT

pytestmark = pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnraisableExceptionWarning"
)
RECIPE = ROOT / "recipes" / "digits-gmp.yaml"


def test_compat_qconfig_takes_attributes(sparseml):
    from recipe_compiler import torch_compat

    torch_compat.apply()
    import torch

    q = torch.quantization.QConfig(
        activation=torch.nn.Identity, weight=torch.nn.Identity
    )
    q.quantization_scheme = "scheme"  # what sparseml's QAT does
    assert isinstance(q, torch.ao.quantization.qconfig.QConfig)
    assert torch_compat.applied()


def test_compat_onnx_export_without_dynamo(sparseml, tmp_path):
    from recipe_compiler import torch_compat

    torch_compat.apply()
    import torch

    model = torch.nn.Linear(3, 2)
    torch.onnx.export(model, (torch.randn(1, 3),), str(tmp_path / "m.onnx"))
    assert (tmp_path / "m.onnx").stat().st_size > 0


def test_qat_applies_on_torch_2_13(sparseml):
    from recipe_compiler import torch_compat

    torch_compat.apply()
    import torch
    from sparseml.pytorch.optim import ScheduledModifierManager

    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(144, 10),
    )
    text = (
        "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 2\n"
        "  - !QuantizationModifier\n    start_epoch: 0\n"
    )
    opt = ScheduledModifierManager.from_yaml(text).modify(
        model, torch.optim.SGD(model.parameters(), lr=0.1), steps_per_epoch=2
    )
    model(torch.randn(2, 1, 8, 8)).sum().backward()
    opt.step()
    assert any("FakeQuantize" in type(m).__name__ for m in model.modules())


def test_digits_run_matches_the_plan(sparseml, tmp_path):
    from recipe_compiler.runner.train import run

    lines = []
    report = run(
        RunArgs(str(RECIPE), str(tmp_path / "run"), dense_epochs=4, bench_seconds=0.2),
        progress=lines.append,
    )
    assert report.score_name == "accuracy"
    assert report.dense_score > 0.9 and report.score > 0.9
    assert any(line.startswith("epoch 5/5") for line in lines)
    assert report.onnx_max_abs_diff is not None and report.onnx_max_abs_diff < 1e-4
    engines = {(r["model"], r["engine"]) for r in report.bench}
    assert engines == {
        (m, e) for m in ("dense", "recipe") for e in ("onnxruntime", "deepsparse")
    }
    assert all(r["items_per_sec"] > 0 for r in report.bench)
    assert (tmp_path / "run" / "dense.onnx").exists()
    saved = json.loads((tmp_path / "run" / "report.json").read_text())
    assert saved["accuracy"] == {"dense": report.dense_score, "sparse": report.score}
    assert saved["planned_vs_observed"]["max_lr_diff"] == 0
    # within one weight of the target at every step, for every tensor it prunes
    sizes = [16 * 9, 32 * 16 * 9, 64 * 512, 10 * 64]  # digits-cnn's prunable weights
    assert saved["planned_vs_observed"]["max_sparsity_diff"] <= len(sizes) / sum(sizes)
    layers = saved["sparsity"]["per_layer"]
    assert len(layers) == 4 and all(abs(v - 0.8) < 0.01 for v in layers.values())
    html = (tmp_path / "run" / "report.html").read_text()
    assert f"{RECIPE.name} on digits-cnn, run in {tmp_path / 'run'}" in html
    # the run's folder lints clean (its deploy config is no recipe: skipped)
    from click.testing import CliRunner

    from recipe_compiler.cli import main

    linted = CliRunner().invoke(main, ["lint", str(tmp_path / "run")])
    assert linted.exit_code == 0, linted.output
    assert "YAML file" in linted.output and "without modifiers skipped" in linted.output
    assert saved["export"]["path"].endswith("model.onnx")
    assert {"items_per_sec", "latency_ms", "batch_size"} <= set(saved["bench"][0])
    markdown = (tmp_path / "run" / "report.md").read_text()
    assert (
        "LR differs by at most 0," in markdown and "| `features.0.weight` |" in markdown
    )
    page = (tmp_path / "run" / "report.html").read_text()
    assert "observed lr" in page and f"observed sparsity #{3}" in page
    # what report.md says is on the page too: scores, layers, export, benchmark
    from recipe_compiler.hardware.cpu import detect

    scores = page[page.index('id="run-scores"') :]
    assert f"{report.dense_score:.4f}" in scores and f"{report.score:.4f}" in scores
    assert page.count('<tr class="layer"><td><code>') == len(layers)
    assert "<code>features.0.weight</code>" in page
    assert "max |onnxruntime - torch|" in page and "model.onnx" in page
    assert page.count('<tr class="bench">') == len(saved["bench"])
    assert f"Measured on <b>{detect().describe()}</b>" in page
    assert "INT8" in page and "VNNI" in page
    assert saved["cpu"]["avx2"] == detect().features["avx2"]
    assert f"Measured on {detect().describe()}" in markdown
    # the per-layer plan says before training what the run measured after it
    from recipe_compiler.model.layerplan import layer_plan
    from recipe_compiler.model.sources import load_network

    planned = layer_plan(load(RECIPE), load_network("digits-cnn"))
    assert planned.totals["nonzero_mac_ratio"] == pytest.approx(
        saved["sparsity"]["nonzero_mac_ratio"], rel=1e-12
    )
    assert {x.param: x.final_sparsity for x in planned.layers} == dict.fromkeys(
        layers, 0.8
    )
    recipe = load(RECIPE)
    t = plan(recipe, report.steps_per_epoch)
    rows = list(csv.DictReader((tmp_path / "run" / "observed.csv").open()))
    assert len(rows) == t.total_steps
    observed_lr = np.array([float(r["lr"]) for r in rows])
    assert np.allclose(observed_lr, t.lr[0], rtol=1e-12, atol=0)  # identical
    (index,) = t.sparsity
    from recipe_compiler.runner.train import prunable
    from recipe_compiler.runner.zoo.models import DigitsCNN

    sizes = [p.numel() for p in prunable(DigitsCNN()).values()]
    observed = np.array([float(r[f"sparsity_{index}"]) for r in rows])
    target = t.sparsity[index]
    # per tensor, SparseML masks round(numel * target) weights: within one weight each
    assert np.all(np.abs(observed - target) * sum(sizes) <= len(sizes) + 1e-9)
    assert math.isclose(
        report.sparsity[f"#{index} GMPruningModifier"], 0.8, abs_tol=1e-3
    )


@pytest.mark.parametrize(
    ("size", "params"),
    [
        ("n", 1_872_157),
        ("s", 7_235_389),
        ("m", 21_190_557),
        ("l", 46_563_709),
        ("x", 86_749_405),
    ],
)
def test_yolov5_parameter_counts_match_the_published_ones(sparseml, size, params):
    from recipe_compiler.runner.zoo.yolov5 import yolov5

    model = yolov5(size)
    assert sum(p.numel() for p in model.parameters()) == params


def test_yolov5_runs_and_exports(sparseml, tmp_path):
    import torch

    from recipe_compiler import torch_compat
    from recipe_compiler.runner.zoo.yolov5 import yolov5

    torch_compat.apply()
    model = yolov5("n")
    model.train()
    outs = model(torch.randn(2, 3, 64, 64))
    assert [tuple(o.shape) for o in outs] == [
        (2, 3, 8, 8, 85),
        (2, 3, 4, 4, 85),
        (2, 3, 2, 2, 85),
    ]
    model.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        want = model(x)
    assert tuple(want.shape) == (1, 3 * (64 + 16 + 4), 85)
    torch.onnx.export(model, (x,), str(tmp_path / "yolo.onnx"), opset_version=13)
    import onnxruntime as ort

    session = ort.InferenceSession(str(tmp_path / "yolo.onnx"))
    got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    assert float(abs(got - want.numpy()).max()) < 1e-3


def _recipe_cli(*args):
    import os
    import subprocess
    import sys

    env = {**os.environ, "NM_DISABLE_ANALYTICS": "1", "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen(
        [sys.executable, "-m", "recipe_compiler.cli", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        cwd=ROOT,
        text=True,
    )


def test_kill_9_then_resume_gives_the_same_weights(sparseml, tmp_path):
    import os
    import signal

    import torch

    whole, cut = tmp_path / "whole", tmp_path / "cut"
    args = [str(RECIPE), "--dense-epochs", "2"]
    assert _recipe_cli("run", *args, "--out", str(whole)).wait() == 0
    proc = _recipe_cli("run", *args, "--out", str(cut))
    for line in proc.stderr:  # kill -9 right after epoch 2 of the recipe
        if line.startswith("epoch 2/"):
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (cut / "model.pt").exists()
    resumed = _recipe_cli("run", str(RECIPE), "--resume", str(cut))
    _, err = resumed.communicate()
    assert resumed.returncode == 0, err
    assert "resuming" in err
    a = torch.load(whole / "model.pt")
    b = torch.load(cut / "model.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert (whole / "observed.csv").read_text() == (cut / "observed.csv").read_text()


def test_corrupt_checkpoint_is_refused(sparseml, tmp_path):
    from recipe_compiler.runner.train import RunError, run

    run(RunArgs(str(RECIPE), str(tmp_path), dense_epochs=1), progress=lambda _: None)
    data = (tmp_path / "checkpoint.pt").read_bytes()
    (tmp_path / "checkpoint.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(RunError, match="corrupt or partial"):
        run(RunArgs(str(RECIPE), str(tmp_path), resume=True), progress=lambda _: None)


def test_disk_full_while_checkpointing_keeps_the_previous_checkpoint(
    sparseml, tmp_path, monkeypatch
):
    import errno

    import torch

    from recipe_compiler.runner import checkpoint, train

    train.run(
        RunArgs(str(RECIPE), str(tmp_path), dense_epochs=1), progress=lambda _: None
    )
    before = (tmp_path / "checkpoint.pt").read_bytes()
    real_save = torch.save

    def full_disk(obj, f, *a, **kw):
        f.write(b"partial bytes")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(OSError, match="No space left"):
        checkpoint.save(tmp_path, load(RECIPE).source.text, {"epoch": 9})
    monkeypatch.setattr(torch, "save", real_save)
    assert (tmp_path / "checkpoint.pt").read_bytes() == before
    assert [p.name for p in tmp_path.glob(".checkpoint.*")] == []
    assert checkpoint.load(tmp_path)["epoch"] == 5


def test_yolov5_decodes_boxes_in_pixels(sparseml):
    import torch

    from recipe_compiler.runner.zoo.yolov5 import ANCHORS, yolov5

    model = yolov5("n").eval()
    # with every raw output 0 (sigmoid 0.5), a box is centred in its cell and has its
    # anchor's size in pixels
    for conv in model.model[-1].m:
        torch.nn.init.zeros_(conv.weight)
        torch.nn.init.zeros_(conv.bias)
    with torch.no_grad():
        out = model(torch.zeros(1, 3, 64, 64))
    first = out[0, 0]  # scale P3 (stride 8), anchor 0, cell (0, 0)
    assert first[:4].tolist() == pytest.approx([4.0, 4.0, *ANCHORS[0][:2]])


def test_yolov5n_run_on_generated_shapes_matches_the_plan(sparseml, tmp_path):
    from recipe_compiler.runner.train import prunable, run
    from recipe_compiler.runner.zoo.yolov5 import yolov5

    recipe_path = ROOT / "recipes" / "yolov5n-gmp-tiny.yaml"
    report = run(
        RunArgs(
            str(recipe_path),
            str(tmp_path),
            model_name="yolov5n",
            dense_epochs=1,
            batch_size=16,
        ),
        progress=lambda _: None,
    )
    assert report.score_name == "val_loss" and report.score < report.dense_score
    assert report.onnx_max_abs_diff is not None and report.onnx_max_abs_diff < 1e-2
    t = plan(load(recipe_path), report.steps_per_epoch)
    rows = list(csv.DictReader((tmp_path / "observed.csv").open()))
    assert len(rows) == t.total_steps
    assert np.allclose([float(r["lr"]) for r in rows], t.lr[0], rtol=1e-12, atol=0)
    (index,) = t.sparsity
    sizes = [p.numel() for p in prunable(yolov5("n", 8)).values()]
    observed = np.array([float(r[f"sparsity_{index}"]) for r in rows])
    assert np.all(
        np.abs(observed - t.sparsity[index]) * sum(sizes) <= len(sizes) + 1e-9
    )
    # the per-layer plan (`recipe show --model yolov5n`) counts the MACs the run did
    from recipe_compiler.model.layerplan import layer_plan
    from recipe_compiler.model.sources import load_network

    planned = layer_plan(load(recipe_path), load_network("yolov5n"), 64)
    assert planned.totals["nonzero_mac_ratio"] == pytest.approx(
        report.mac_ratio, rel=1e-12
    )


def test_pruned_quantized_digits_exports_int8(sparseml, tmp_path, monkeypatch):
    import onnx

    from recipe_compiler.runner.train import run

    monkeypatch.chdir(tmp_path)  # sparseml's default logger writes ./sparse_logs/
    report = run(
        RunArgs(
            str(ROOT / "recipes" / "digits-gmp-qat.yaml"),
            str(tmp_path),
            dense_epochs=3,
            bench_seconds=0.2,
        ),
        progress=lambda _: None,
    )
    assert report.score > 0.9
    ops = {n.op_type for n in onnx.load(str(tmp_path / "model.onnx")).graph.node}
    assert {"ConvInteger", "MatMulInteger"} & ops  # real INT8 ops, not fake quant
    # BN folded into the convs (FoldConvDivBn): the unfolded Div/Add/BN chain made
    # DeepSparse 1.8 abort the process with an assertion in its JIT
    assert "BatchNormalization" not in ops
    assert not (tmp_path / "sparse_logs").exists()
    assert "QuantizationModifier" in (tmp_path / "sparseml.log").read_text()
    timed = {(r["model"], r["engine"]) for r in report.bench if r["items_per_sec"] > 0}
    assert ("recipe", "deepsparse") in timed
    want = np.load(tmp_path / "model_sample_output.npy")
    # INT8 arithmetic against torch's simulated quantization: the same answers
    import onnxruntime as ort

    session = ort.InferenceSession(str(tmp_path / "model.onnx"))
    x = np.load(tmp_path / "model_sample_input.npy")
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    assert (got.argmax(1) == want.argmax(1)).all()
    assert report.onnx_max_abs_diff < 0.05 * np.abs(want).max()
    # the INT8 export as --model: said plainly (it used to show "0 of 0 weights")
    from click.testing import CliRunner

    from recipe_compiler.cli import main

    def show(model: str):
        recipe = str(ROOT / "recipes" / "digits-gmp-qat.yaml")
        return CliRunner().invoke(main, ["show", recipe, "--model", model])

    shown = show(str(tmp_path / "model.onnx"))
    assert shown.exit_code == 2, shown.output
    assert "an INT8 export (" in shown.output and "dense.onnx" in shown.output
    dense = show(str(tmp_path / "dense.onnx"))
    assert dense.exit_code == 0, dense.output


def test_yolov5n_qat_runs_with_list_input_modules_ignored(sparseml, tmp_path):
    import onnx
    import onnxruntime as ort

    from recipe_compiler.runner.train import run

    lines = []
    report = run(
        RunArgs(
            str(ROOT / "tests" / "data" / "yolov5n-qat-tiny.yaml"),
            str(tmp_path),
            model_name="yolov5n",
            dense_epochs=1,
            batch_size=16,
        ),
        progress=lines.append,
    )
    assert (
        "QuantizationModifier ignores Concat, Detect (their input is a list)" in lines
    )
    model = onnx.load(str(tmp_path / "model.onnx"))
    assert "QuantizeLinear" in {n.op_type for n in model.graph.node}
    x = np.load(tmp_path / "model_sample_input.npy")
    want = np.load(tmp_path / "model_sample_output.npy")
    session = ort.InferenceSession(str(tmp_path / "model.onnx"))
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    diff = np.abs(got - want)
    # INT8 rounding in onnxruntime vs torch's fake quantization: boxes in pixels
    assert np.median(diff) < 1e-3 and diff.max() < 0.05 * np.abs(want).max()
    assert report.score < report.dense_score


def test_custom_factory_and_weights(sparseml, tmp_path):
    from recipe_compiler.runner.train import RunError, run

    first = run(
        RunArgs(
            str(RECIPE),
            str(tmp_path / "a"),
            model_name="tests.custom_factory:build",
            dense_epochs=3,
            static_batch=4,
        ),
        progress=lambda _: None,
    )
    import onnx

    graph = onnx.load(str(tmp_path / "a" / "model.onnx")).graph
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_value == 4
    assert first.score_name == "val_loss" and first.onnx_max_abs_diff < 1e-4
    report = json.loads((tmp_path / "a" / "report.json").read_text())
    assert set(report["positive_rate"]) == {"dense", "sparse"}  # the factory's own
    lines = []
    second = run(
        RunArgs(
            str(RECIPE),
            str(tmp_path / "b"),
            model_name="tests.custom_factory:build",
            weights=str(tmp_path / "a" / "model.pt"),
        ),
        progress=lines.append,
    )
    assert any(line.startswith("loaded ") for line in lines)
    assert not any(line.startswith("dense epoch") for line in lines)
    assert second.steps_per_epoch == first.steps_per_epoch
    with pytest.raises(RunError, match="does not fit the model"):
        run(
            RunArgs(
                str(RECIPE),
                str(tmp_path / "c"),
                weights=str(tmp_path / "a" / "model.pt"),
            ),
            progress=lambda _: None,
        )
    with pytest.raises(RunError, match="cannot build"):
        run(
            RunArgs(str(RECIPE), str(tmp_path / "d"), model_name="tests.nope:build"),
            progress=lambda _: None,
        )


def _torchrun(recipe, out, port, *command):
    """Run `recipe run` (or `command`) as two gloo processes under torchrun, as users launch DDP."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    torchrun = Path(sys.executable).parent / "torchrun"
    env = {**os.environ, "NM_DISABLE_ANALYTICS": "1", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [
            str(torchrun),
            "--nproc_per_node=2",
            f"--master_port={port}",
            *(
                command
                or (
                    "-m",
                    "recipe_compiler.cli",
                    "run",
                    str(recipe),
                    "--out",
                    str(out),
                    "--dense-epochs",
                    "2",
                    "--batch-size",
                    "16",
                )
            ),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads((out / "report.json").read_text())
    # each of the 2 ranks takes half of the 1,437 training digits, 16 a batch
    assert report["steps_per_epoch"] == 44
    t = plan(load(recipe), report["steps_per_epoch"])
    rows = list(csv.DictReader((out / "observed.csv").open()))
    assert len(rows) == t.total_steps
    assert np.allclose([float(r["lr"]) for r in rows], t.lr[0], rtol=1e-12, atol=0)
    assert report["accuracy"]["sparse"] > 0.9
    assert report["planned_vs_observed"]["max_lr_diff"] == 0
    return report


def test_torchrun_two_processes_match_the_plan(sparseml, tmp_path):
    _torchrun(RECIPE, tmp_path, 29633)


def test_torchrun_qat_exports_int8(sparseml, tmp_path):
    """QAT starts after DDP wrapped the model: the ranks must still end identical."""
    import onnx
    import onnxruntime as ort
    import torch

    recipe = ROOT / "recipes" / "digits-gmp-qat.yaml"
    script = ROOT / "tests" / "rank_state.py"
    _torchrun(recipe, tmp_path, 29634, str(script), str(recipe), str(tmp_path))
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1)]
    assert any(k.endswith("weight_fake_quant.scale") for k in ranks[0])
    assert ranks[0].keys() == ranks[1].keys()
    for key, value in ranks[0].items():
        assert torch.equal(value, ranks[1][key]), key
    ops = {n.op_type for n in onnx.load(str(tmp_path / "model.onnx")).graph.node}
    assert {"ConvInteger", "MatMulInteger"} & ops
    session = ort.InferenceSession(str(tmp_path / "model.onnx"))
    x = np.load(tmp_path / "model_sample_input.npy")
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    want = np.load(tmp_path / "model_sample_output.npy")
    assert (got.argmax(1) == want.argmax(1)).all()


def test_yolov5n_on_a_yolo_format_folder(sparseml, tmp_path):
    from PIL import Image

    from recipe_compiler.runner.train import run
    from recipe_compiler.runner.zoo.detection import Shapes

    root = tmp_path / "data"
    for split, n, seed in (("train", 64, 0), ("val", 16, 1)):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        shapes = Shapes(n, 64, seed)
        for i in range(n):
            x, t = shapes[i]
            pixels = (x.permute(1, 2, 0).numpy() * 255).astype("uint8")
            Image.fromarray(pixels).save(root / "images" / split / f"{i}.png")
            (root / "labels" / split / f"{i}.txt").write_text(
                "\n".join(" ".join(f"{v:g}" for v in row.tolist()) for row in t)
            )
    report = run(
        RunArgs(
            str(ROOT / "recipes" / "yolov5n-gmp-tiny.yaml"),
            str(tmp_path / "run"),
            model_name="yolov5n",
            data=str(root),
            dense_epochs=1,
            batch_size=16,
        ),
        progress=lambda _: None,
    )
    assert report.steps_per_epoch == 4 and report.score < report.dense_score
    assert report.sparsity["#3 GMPruningModifier"] == pytest.approx(0.6, abs=1e-3)


def _tiny_onnx(path, batch="dynamic"):
    from recipe_compiler import torch_compat

    torch_compat.apply()
    import torch

    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU()).eval()
    axes = {"input": {0: "batch"}} if batch == "dynamic" else None
    torch.onnx.export(
        model,
        (torch.randn(2, 16),),
        str(path),
        input_names=["input"],
        dynamic_axes=axes,
        opset_version=13,  # DeepSparse 1.8 refuses torch's default opset 20
    )
    return path


def test_bench_cli_times_every_model_in_every_engine(sparseml, tmp_path):
    import json

    from click.testing import CliRunner

    from recipe_compiler.cli import main

    a = _tiny_onnx(tmp_path / "a.onnx")
    b = _tiny_onnx(tmp_path / "b.onnx")
    args = ["bench", str(a), str(b), "--seconds", "0.2", "--batch-size", "2"]
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["model"], r["engine"]) for r in rows] == [
        (m, e) for m in ("a.onnx", "b.onnx") for e in ("onnxruntime", "deepsparse")
    ]
    assert rows[0]["vs_baseline"] == 1.0
    for r in rows:
        lat = r["latency_ms"]
        assert r["batch_size"] == 2 and r["scenario"] == "sync"
        assert 0 < lat["median"] <= lat["p90"] and lat["std"] >= 0
        # one caller: throughput is batch over the mean latency, less loop overhead
        assert 0.3 < r["items_per_sec"] * lat["mean"] / 1000 / 2 <= 1.0
    text = CliRunner().invoke(main, [*args, "--engine", "deepsparse"])
    assert text.exit_code == 0 and "vs first" in text.stdout
    assert "onnxruntime" not in text.stdout


def test_bench_async_uses_concurrent_callers(sparseml, tmp_path):
    from recipe_compiler.runner.bench import measure

    rows = measure(
        {"a": str(_tiny_onnx(tmp_path / "a.onnx"))},
        seconds=0.2,
        scenario="async",
        progress=lambda _: None,
    )
    # two callers overlap: their latencies add up to more than the wall time
    # (one caller's add up to less, as the sync test checks)
    for r in rows:
        assert r["scenario"] == "async"
        assert r["items_per_sec"] * r["latency_ms"]["mean"] / 1000 > 1.2, r


def test_bench_refuses_bad_models_clearly(sparseml, tmp_path):
    from click.testing import CliRunner

    from recipe_compiler.cli import main

    junk = tmp_path / "junk.onnx"
    junk.write_text("not a model")
    result = CliRunner().invoke(main, ["bench", str(junk), "--seconds", "0.1"])
    assert result.exit_code == 2
    assert "junk.onnx: not a loadable ONNX model" in result.output
    assert "Traceback" not in result.output
    fixed = _tiny_onnx(tmp_path / "fixed.onnx", batch=2)
    result = CliRunner().invoke(main, ["bench", str(fixed), "--seconds", "0.1"])
    assert result.exit_code == 2 and "run with --batch-size 2" in result.output
    result = CliRunner().invoke(main, ["bench", str(fixed), "--engine", "tensorrt"])
    assert result.exit_code == 2 and "tensorrt" in result.output


def test_run_refuses_lint_errors_before_training(sparseml, tmp_path):
    """A recipe SparseML loads but would crash on (start == end) stops before any
    training, with the file, line, code and the steps per epoch it was linted at."""
    from recipe_compiler.runner.train import RunError, run

    recipe = tmp_path / "crash.yaml"
    recipe.write_text(
        "modifiers:\n"
        "  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 2\n"
        "  - !GMPruningModifier\n    params: __ALL_PRUNABLE__\n"
        "    init_sparsity: 0.05\n    final_sparsity: 0.8\n"
        "    start_epoch: 1\n    end_epoch: 1\n    update_frequency: 0.5\n"
    )
    with pytest.raises(RunError, match=r"crash.yaml:10:16: RC205 .*linted at 44 steps"):
        run(RunArgs(str(recipe), str(tmp_path / "out")), progress=lambda _: None)
    assert not (tmp_path / "out").exists()  # refused before dense training


def test_run_refuses_params_its_model_lacks_before_the_dense_epochs(sparseml, tmp_path):
    """YOLOv5 names on digits-cnn: refused with RC501 before any dense epoch and
    before the folder is made (it used to train densely, then die at initialize)."""
    from recipe_compiler.runner.train import RunError, run

    recipe = tmp_path / "yolo-names.yaml"
    recipe.write_text(
        "modifiers:\n"
        "  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 3\n"
        "  - !GMPruningModifier\n    params: ['re:model\\.[0-9]+\\.conv\\.weight']\n"
        "    init_sparsity: 0.05\n    final_sparsity: 0.8\n"
        "    start_epoch: 0\n    end_epoch: 2\n    update_frequency: 0.5\n"
    )
    lines: list[str] = []
    with pytest.raises(RunError, match="RC501") as refused:
        run(
            RunArgs(str(recipe), str(tmp_path / "out"), dense_epochs=3),
            progress=lines.append,
        )
    assert "matches no parameter of DigitsCNN" in str(refused.value)
    assert not any("dense epoch" in line for line in lines)
    assert not (tmp_path / "out").exists()


def test_steps_per_epoch_trains_the_first_batches_on_the_plan(sparseml, tmp_path):
    from recipe_compiler.runner.train import RunError, run

    report = run(
        RunArgs(str(RECIPE), str(tmp_path / "run"), dense_epochs=1, steps_per_epoch=10),
        progress=lambda _: None,
    )
    assert report.steps_per_epoch == 10 and report.max_lr_diff == 0
    t = plan(load(RECIPE), 10)
    rows = list(csv.DictReader((tmp_path / "run" / "observed.csv").open()))
    assert len(rows) == t.total_steps == 50
    with pytest.raises(RunError, match="gives 44 batches an epoch; give 1 to 44"):
        run(
            RunArgs(str(RECIPE), str(tmp_path / "x"), steps_per_epoch=45),
            progress=print,
        )


def test_resume_refuses_other_steps_per_epoch(sparseml, tmp_path):
    from recipe_compiler.runner.train import RunError, run

    out = str(tmp_path / "run")
    run(
        RunArgs(str(RECIPE), out, dense_epochs=0, steps_per_epoch=3),
        progress=lambda _: None,
    )
    with pytest.raises(RunError, match="ran 3 steps an epoch, this run would take 4"):
        run(RunArgs(str(RECIPE), out, resume=True, steps_per_epoch=4), progress=print)


def test_run_refuses_a_recipe_sparseml_cannot_load(sparseml, tmp_path):
    from recipe_compiler.runner.train import RunError, run

    recipe = tmp_path / "bad.yaml"
    recipe.write_text("modifiers:\n  - !NoSuchModifier\n    start_epoch: 0\n")
    with pytest.raises(RunError, match=r"bad.yaml:2:\d+: RC\d+ .*NoSuchModifier"):
        run(RunArgs(str(recipe), str(tmp_path / "out")), progress=lambda _: None)
    assert not (tmp_path / "out").exists()


def test_rescale_runs_the_recipe_retargeted_to_the_run(sparseml, tmp_path):
    """--rescale N: the recipe (written for 9 dense epochs) is retargeted by the
    90-epoch rule, snapped to the run's step grid, saved as DIR/recipe.yaml, and
    that is what SparseML runs: the plan of the saved file matches every step."""
    from recipe_compiler.runner.train import RunError, run

    before = RECIPE.read_bytes()
    out = tmp_path / "run"
    report = run(
        RunArgs(
            str(RECIPE), str(out), dense_epochs=0, steps_per_epoch=8, rescale_to=4.5
        ),
        progress=lambda _: None,
    )
    applied = out / "recipe.yaml"
    assert applied.read_text().startswith("# rescaled from 9 to 4.5 epochs")
    assert RECIPE.read_bytes() == before
    t = plan(load(applied), 8)
    windows = [(m.start, m.end) for _, m in load(applied).models]
    assert (0, 1.5) in windows and (1.5, 2.5) in windows  # prune 3 -> 1.5, tune 2 -> 1
    rows = list(csv.DictReader((out / "observed.csv").open()))
    assert len(rows) == t.total_steps == 3 * 8  # SparseML runs ceil(2.5) epochs
    assert report.max_lr_diff == 0 and report.rescaled_to == 4.5
    data = json.loads((out / "report.json").read_text())
    assert data["rescaled_to"] == 4.5 and data["recipe"] == str(RECIPE)

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "q: 3\nmodifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n"
        "    end_epoch: eval(q + 2)\n  - !QuantizationModifier\n"
        "    start_epoch: eval(q)\n    freeze_bn_stats_epoch: eval(q + 1)\n"
    )
    with pytest.raises(RunError, match=r"cannot rescale to 180 epochs: .*put the num"):
        run(
            RunArgs(str(bad), str(tmp_path / "x"), rescale_to=180),
            progress=lambda _: None,
        )


def test_resume_of_a_rescaled_run_keeps_its_rescale(sparseml, tmp_path):
    from recipe_compiler.runner.train import RunError, run

    out = str(tmp_path / "run")
    run(
        RunArgs(str(RECIPE), out, dense_epochs=0, steps_per_epoch=4, rescale_to=4.5),
        progress=lambda _: None,
    )
    lines: list[str] = []
    report = run(
        RunArgs(str(RECIPE), out, resume=True, steps_per_epoch=4), progress=lines.append
    )
    assert report.rescaled_to == 4.5 and any("resuming" in x for x in lines)
    applied = (tmp_path / "run" / "recipe.yaml").read_text()
    with pytest.raises(RunError, match="another version of the recipe"):
        run(
            RunArgs(str(RECIPE), out, resume=True, steps_per_epoch=4, rescale_to=9),
            progress=lambda _: None,
        )
    assert (tmp_path / "run" / "recipe.yaml").read_text() == applied  # untouched


def test_macs_ratio_counts_nonzero_weights_at_each_layers_output_size(sparseml):
    import torch

    from recipe_compiler.model.macs import macs, ratio

    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3, padding=1, bias=False),  # 18 weights x 16 positions
        torch.nn.Flatten(),
        torch.nn.Linear(32, 4, bias=False),  # 128 weights, once
    )
    with torch.no_grad():
        model[0].weight[0] = 0  # half the conv
    x = torch.zeros(3, 1, 4, 4)  # a batch: counted for one item
    assert macs(model, x) == (18 * 16 + 128, 9 * 16 + 128)
    assert ratio(model, x) == pytest.approx((18 * 16 + 128) / (9 * 16 + 128))
    assert model.training  # restored


def test_bundled_yolov5s_block4_qat_recipe_runs_tiny_through_the_cli(
    sparseml, tmp_path
):
    """The YOLOv5s speed recipe, as docs/runner.md runs it at 640x640, here at 64x64
    and 50 steps: rescaled to 9 epochs, 95% block-4 on every conv but the first and
    Detect's, INT8 export, benchmarked in both engines; the run matches the plan."""
    import onnx

    out = tmp_path / "y"
    proc = _recipe_cli(
        "run",
        "recipes/yolov5s-pruned95-block4-qat.md",
        "--model",
        "yolov5s",
        "--image-size",
        "64",
        "--batch-size",
        "2",
        "--steps-per-epoch",
        "10",
        "--rescale",
        "9",
        "--dense-epochs",
        "0",
        "--out",
        str(out),
        "--bench",
        "0.3",
    )
    stdout, err = proc.communicate()
    assert proc.returncode == 0, err
    assert "recipe rescaled to 9 epochs" in err and "epoch 5/5" in err
    report = json.loads((out / "report.json").read_text())
    assert report["model"] == "yolov5s" and report["rescaled_to"] == 9
    assert report["planned_vs_observed"]["max_lr_diff"] == 0
    assert report["sparsity"]["per_modifier"]["#4 GMPruningModifier"] == pytest.approx(
        0.95, abs=1e-3
    )
    # the recipe's regex leaves the first conv and the Detect convs dense
    layers = report["sparsity"]["per_layer"]
    assert len(layers) == 56 and "model.0.conv.weight" not in layers
    assert not any(name.startswith("model.24.") for name in layers)
    assert all(v == pytest.approx(0.95, abs=0.01) for v in layers.values())
    assert 5 < report["sparsity"]["nonzero_mac_ratio"] < 20
    assert {(r["model"], r["engine"]) for r in report["bench"]} == {
        (m, e) for m in ("dense", "recipe") for e in ("onnxruntime", "deepsparse")
    }
    ops = {n.op_type for n in onnx.load(str(out / "model.onnx")).graph.node}
    assert "ConvInteger" in ops or "QLinearConv" in ops
    assert "of outputs up to" in stdout and "map50" in stdout
    for name in ("map50", "map50_95"):  # as YOLOv5's val.py scores a detector
        assert 0 <= report[name]["sparse"] <= 1 and 0 <= report[name]["dense"] <= 1


def test_step_bar_draws_on_a_terminal_only(sparseml):
    import io

    from recipe_compiler.runner.progress import StepBar

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    tty, log = Terminal(), io.StringIO()
    for stream in (tty, log):
        bar = StepBar(stream, min_interval=0)
        bar.begin()
        for i in range(1, 5):
            bar.update("epoch 2/5", i, 4, loss=0.25, lr=0.005, sparsity=0.5)
        bar.clear()
    assert log.getvalue() == ""  # CI logs and files get the epoch lines only
    frames = tty.getvalue().split("\r")
    assert (
        "epoch 2/5 [##########..........] 2/4 loss 0.25 lr 0.005 sparsity 0.5"
        in (frames[2])
    )
    assert "[####################] 4/4" in frames[4]
    assert frames[-1] == ""  # cleared: the summary line starts clean


def test_run_draws_a_bar_per_epoch(sparseml, tmp_path):
    import io

    from recipe_compiler.runner.progress import StepBar
    from recipe_compiler.runner.train import run

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    tty = Terminal()
    run(
        RunArgs(str(RECIPE), str(tmp_path), dense_epochs=1, steps_per_epoch=3),
        bar=StepBar(tty, min_interval=0),
        progress=lambda _: None,
    )
    text = tty.getvalue()
    assert "dense epoch 1/1 [" in text and "3/3 loss" in text
    assert "epoch 5/5 [####################] 3/3 loss" in text and "sparsity" in text


def test_ctrl_c_exits_cleanly_and_the_run_resumes(sparseml, tmp_path):
    """SIGINT mid-run, under the recipe or in dense training: exit 130, no
    traceback, a pointer to --resume; the resumed run ends with the weights and the
    log of an uninterrupted one (dense epochs are checkpointed too: a real model's
    dense phase is hours). Before the first epoch ends there is nothing to resume,
    and the message says so."""
    import signal

    import torch

    whole = tmp_path / "whole"
    args = [str(RECIPE), "--dense-epochs", "2"]
    assert _recipe_cli("run", *args, "--out", str(whole)).wait() == 0
    for cut, at in [
        (tmp_path / "recipe", "epoch 2/"),
        (tmp_path / "dense", "dense epoch 1/"),
    ]:
        proc = _recipe_cli("run", *args, "--out", str(cut))
        for line in proc.stderr:
            if line.startswith(at):
                proc.send_signal(signal.SIGINT)
                break
        err = proc.stderr.read()
        assert proc.wait() == 130
        assert "Traceback" not in err
        assert f"saved in {cut / 'checkpoint.pt'}: resume with --resume {cut}" in err
        assert not (cut / "model.pt").exists()
        resumed = _recipe_cli("run", str(RECIPE), "--resume", str(cut))
        _, err = resumed.communicate()
        assert resumed.wait() == 0, err
        if at.startswith("dense"):  # the dense epochs asked for at the start: 2
            assert f"resuming {cut} after dense epoch 1/2" in err
            assert "dense epoch 2/2: accuracy" in err
        a, b = torch.load(whole / "model.pt"), torch.load(cut / "model.pt")
        assert all(torch.equal(a[k], b[k]) for k in a)
        assert (whole / "observed.csv").read_text() == (
            cut / "observed.csv"
        ).read_text()

    early = tmp_path / "early"
    proc = _recipe_cli("run", *args, "--var", "final_sparsity=0.7", "--out", str(early))
    for line in proc.stderr:  # said before the first dense epoch
        if line.startswith("recipe with final_sparsity=0.7"):
            proc.send_signal(signal.SIGINT)
            break
    err = proc.stderr.read()
    assert proc.wait() == 130 and "Traceback" not in err
    assert "nothing was saved to resume: start the run again" in err


def test_var_overrides_are_written_into_the_applied_recipe(sparseml, tmp_path):
    """--var as recipe compile does it, then --rescale on top: DIR/recipe.yaml holds
    both, SparseML runs it, the sparsity reached is the override's, and a resume
    keeps them; an unknown variable is refused before training."""
    from recipe_compiler.runner.train import RunError, run

    out = tmp_path / "run"
    lines: list[str] = []
    report = run(
        RunArgs(
            str(RECIPE),
            str(out),
            dense_epochs=0,
            steps_per_epoch=4,
            rescale_to=4.5,
            overrides={"final_sparsity": 0.6},
        ),
        progress=lines.append,
    )
    assert f"recipe with final_sparsity=0.6, rescaled to 4.5 epochs: {out}" in (
        "\n".join(lines)
    )
    applied = load(out / "recipe.yaml")
    assert applied.variables["final_sparsity"].value == 0.6
    assert report.overrides == {"final_sparsity": 0.6} and report.max_lr_diff == 0
    assert list(report.sparsity.values()) == [pytest.approx(0.6, abs=1e-3)]
    resumed = run(
        RunArgs(str(RECIPE), str(out), resume=True, steps_per_epoch=4), progress=print
    )
    assert resumed.overrides == {"final_sparsity": 0.6} and resumed.rescaled_to == 4.5
    with pytest.raises(RunError, match=r"--var: .*no_such"):
        run(
            RunArgs(str(RECIPE), str(tmp_path / "x"), overrides={"no_such": 1}),
            progress=lambda _: None,
        )
    assert not (tmp_path / "x").exists()


def test_yolov5s_show_model_counts_the_macs_recipe_run_does(sparseml, tmp_path):
    """`recipe show --model yolov5s --format json` against `recipe run --model
    yolov5s` on the same recipe: the same nonzero-MAC ratio."""
    import json

    from click.testing import CliRunner

    from recipe_compiler.cli import main
    from recipe_compiler.runner.train import run

    recipe_path = ROOT / "recipes" / "yolov5n-gmp-tiny.yaml"
    report = run(
        RunArgs(
            str(recipe_path),
            str(tmp_path / "run"),
            model_name="yolov5s",
            dense_epochs=0,
            batch_size=4,
            steps_per_epoch=2,
        ),
        progress=lambda _: None,
    )
    shown = CliRunner().invoke(
        main, ["show", str(recipe_path), "--model", "yolov5s", "--format", "json"]
    )
    assert shown.exit_code == 0, shown.output
    totals = json.loads(shown.stdout)["totals"]
    assert totals["nonzero_mac_ratio"] == pytest.approx(report.mac_ratio, rel=1e-12)


# A stand-in for DeepSparse's probe whose engine dies on any model named crash*:
# the way DeepSparse 1.8's JIT assertion ends a process (no Python traceback).
_DYING_PROBE = """
import os, sys
*paths, batch, streams, feed = sys.argv[1:]
for i, path in enumerate(paths):
    if os.path.basename(path).startswith("crash"):
        sys.stderr.write("Assertion at ./src/jit/pooling.hpp:333\\n")
        sys.stderr.flush()
        os._exit(1)
    print("probed", i, flush=True)
"""


def test_a_model_the_engine_dies_on_is_found_and_the_rest_are_probed(tmp_path):
    from recipe_compiler.runner.bench import crashes

    models = [(str(tmp_path / n), []) for n in ("a", "crash1", "b", "crash2", "c")]
    found = crashes(models, 1, "sync", code=_DYING_PROBE)
    assert found == {
        1: "Assertion at ./src/jit/pooling.hpp:333 (exit status 1)",
        3: "Assertion at ./src/jit/pooling.hpp:333 (exit status 1)",
    }
    assert crashes(models[:1], 1, "sync", code=_DYING_PROBE) == {}


def test_a_python_error_in_the_probe_is_left_to_measure(tmp_path):
    from recipe_compiler.runner.bench import crashes

    code = "raise RuntimeError('compile failed')"
    assert crashes([(str(tmp_path / "a"), [])], 1, "sync", code=code) == {}


def test_measure_refuses_or_lists_a_model_deepsparse_dies_on(
    sparseml, tmp_path, monkeypatch
):
    from recipe_compiler.runner import bench

    monkeypatch.setattr(bench, "_PROBE", _DYING_PROBE)
    models = {
        "fine": str(_tiny_onnx(tmp_path / "fine.onnx")),
        "dies": str(_tiny_onnx(tmp_path / "crash.onnx")),
    }
    with pytest.raises(bench.BenchError) as refused:
        bench.measure(models, seconds=0.05, progress=lambda _: None)
    assert str(refused.value) == (
        f"{models['dies']}: deepsparse died running it on this CPU: Assertion at "
        "./src/jit/pooling.hpp:333 (exit status 1); an engine bug, not the model's: "
        "time it in onnxruntime (--engine onnxruntime)"
    )
    failures: list = []
    rows = bench.measure(
        models, seconds=0.05, progress=lambda _: None, failures=failures
    )
    assert [(r["model"], r["engine"]) for r in rows] == [
        ("fine", "onnxruntime"),
        ("fine", "deepsparse"),
        ("dies", "onnxruntime"),
    ]
    assert failures == [
        {
            "model": "dies",
            "engine": "deepsparse",
            "error": "Assertion at ./src/jit/pooling.hpp:333 (exit status 1)",
        }
    ]
