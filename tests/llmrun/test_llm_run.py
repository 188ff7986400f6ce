"""`recipe run RECIPE --model DIR -o OUT` on llm-compressor recipes, end to end in
.venv-llmc (llm-compressor 0.14.0.1, transformers 5.17, torch CPU): tiny Llama
and Qwen3-MoE models with random weights, the four recipes people write most
(W8A8 with SmoothQuant, GPTQ W4A16 group 32, FP8 dynamic, 2:4 SparseGPT); what
the report says is held to `recipe show --model`'s prediction, to the saved
checkpoint (read by transformers here, not by the runner's code) and to the
folders (a refused recipe loads nothing, a failed or interrupted run is clearly
incomplete and the dense folder is untouched)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import LLMC_PYTHON, ROOT
from tests.llmrun.cases import FORMATS, RECIPES

HERE = Path(__file__).parent

FAST = ["--samples", "8", "--max-seq-length", "32", "--held-out", "4"]


def recipe(*args: str, cwd: Path, python: Path = LLMC_PYTHON, timeout: int = 600):
    return subprocess.run(
        [str(python), "-m", "recipe_compiler.cli", "run", *args],
        capture_output=True, text=True, timeout=timeout, cwd=cwd,
        env={**os.environ, "NM_DISABLE_ANALYTICS": "1", "PYTHONWARNINGS": "ignore"},
    )  # fmt: skip


def hooked(mode: str, shape: str, path: Path, model: Path, cwd: Path):
    """`recipe run path --model model -o out` with oneshot made to fail or be
    interrupted (hooked.py)."""
    return subprocess.run(
        [str(LLMC_PYTHON), str(HERE / "hooked.py"), mode, shape,
         "run", str(path), "--model", str(model), "-o", "out", *FAST],
        capture_output=True, text=True, timeout=600, cwd=cwd,
        env={**os.environ, "NM_DISABLE_ANALYTICS": "1"},
    )  # fmt: skip


def predicted(recipe_path: Path, model: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "recipe_compiler.cli", "show", str(recipe_path),
         "--model", str(model), "--format", "json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
    }


@pytest.mark.parametrize("family", ["llama", "moe"])
@pytest.mark.parametrize("name", list(RECIPES))
def test_a_run_does_what_the_prediction_said(models, tmp_path, family, name):
    path = tmp_path / f"{name}.yaml"
    path.write_text(RECIPES[name])
    model = models[family]
    before = digest(model)
    done = recipe(str(path), "--model", str(model), "-o", "out", *FAST, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir() if p.name != ".recipe.lock") == [
        "llmcompressor.log", "model", "recipe.yaml", "report.html", "report.json",
        "report.md",
    ]  # fmt: skip
    report = json.loads((out / "report.json").read_text())
    assert "calibration: 8 generated sequences of 32 random token ids" in done.stderr
    assert report["calibration"]["source"] == "generated"
    assert report["prediction"] == {**report["prediction"], "computed": True,
                                    "agrees": True, "findings": []}  # fmt: skip
    # module by module: exactly the modules `recipe show --model` lists, each
    # given the predicted scheme by the predicted modifier, pruned as predicted
    shown = predicted(path, model)["modules"]
    assert [r["name"] for r in report["modules"]] == [r["name"] for r in shown]
    schemed = {r["name"] for r in shown if r["modifier"]}
    pruned = {r["name"] for r in shown if r["pruned_by"]}
    assert schemed or pruned
    assert {
        r["name"] for r in report["modules"] if r["observed"]["modifier"]
    } == schemed
    assert {
        r["name"] for r in report["modules"] if r["observed"]["pruned_by"]
    } == pruned
    for row in report["modules"]:
        if row["name"] in pruned:
            assert row["observed"]["zeros"] >= 0.5 - 0.01, row
    counted = report["modifiers"][-1]
    assert counted["schemed_count"] == len(schemed)
    assert counted["pruned_count"] == len(pruned)
    assert counted["line"] == 3 + (name == "w8a8-smoothquant") * 2
    if family == "moe":
        assert any(".mlp.experts.3." in n for n in schemed | pruned)
    # the checkpoint: compressed as the scheme says, its config as saved
    config = json.loads((out / "model" / "config.json").read_text())
    quantization = config.get("quantization_config")
    ck = report["checkpoint"]
    if FORMATS[name] is None:
        assert quantization is None and "saved dense" in done.stdout
        assert ck["bytes_after"] == pytest.approx(ck["bytes_before"], rel=0.05)
    else:
        assert quantization["format"] == FORMATS[name]
        assert ck["quantization_config"] == quantization
        assert ck["bytes_after"] < 0.7 * ck["bytes_before"]
    reload = ck["reload"]
    if (family, name) == ("moe", "w8a8-smoothquant"):
        # transformers 5.17 routes the int8 experts' `.weight` tensors through its
        # MoE fusing conversion and fails: said in the report, the run done
        assert reload["ok"] is False and "conversion" in reload["error"]
        assert "transformers cannot read it back" in done.stdout
    else:
        assert reload["ok"] and reload["quantization_config"] == bool(quantization)
        assert reload["schemed"] == len(schemed)
        scale = max(1.0, reload["logit_scale"])
        if reload["schemed_again"] == reload["schemed"]:
            assert reload["max_abs_logit_diff"] <= 1e-3 * scale
        else:  # transformers fuses the experts back, dequantized: said, bounded
            assert family == "moe" and "come back without their scheme" in done.stdout
            assert reload["max_abs_logit_diff"] <= 0.1 * scale
    close = report["closeness"]
    assert close["tokens"] == 4 * 32 and close["non_finite_positions"] == 0
    assert 0 <= close["kl_mean"] < 0.1 and 0 < close["top1_agreement"] <= 1
    assert [p["phase"] for p in report["phases"]] == [
        "import", "calibration data", "load", "oneshot", "compare", "save", "reload",
    ]  # fmt: skip
    assert all(
        p["seconds"] >= 0 and p["peak_rss_bytes"] > 2**20 for p in report["phases"]
    )
    assert report["machine"]["packages"]["llmcompressor"] == "0.14.0.1"
    assert "Measured on" in (out / "report.html").read_text()
    assert digest(model) == before  # the dense folder is only read


def test_the_checkpoint_reloads_with_transformers(models, tmp_path):
    """Read by transformers in a process of its own (not the runner's code): the
    quantized Linear layers come back with their scheme, the config carries it."""
    path = tmp_path / "w4.yaml"
    path.write_text(RECIPES["gptq-w4a16-g32"])
    done = recipe(str(path), "--model", str(models["llama"]), "-o", "out", *FAST,
                  cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    code = (
        "import json, sys, torch, transformers\n"
        "m = transformers.AutoModelForCausalLM.from_pretrained(sys.argv[1])\n"
        "q = m.config.quantization_config\n"
        "q = q if isinstance(q, dict) else q.to_dict()\n"
        "x = m(input_ids=torch.tensor([[5, 6, 7, 8]])).logits\n"
        "print(json.dumps({'format': q['format'], 'groups': q['config_groups'],"
        " 'finite': bool(torch.isfinite(x).all()), 'shape': list(x.shape)}))\n"
    )
    read = subprocess.run(
        [str(LLMC_PYTHON), "-c", code, str(tmp_path / "out" / "model")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert read.returncode == 0, read.stderr[-2000:]
    got = json.loads(read.stdout.strip().splitlines()[-1])
    assert got["format"] == "pack-quantized" and got["finite"]
    assert got["groups"]["group_0"]["weights"]["group_size"] == 32
    assert got["shape"] == [1, 4, 256]


def test_a_group_size_error_is_refused_before_any_weight_is_loaded(models, tmp_path):
    """Group 128 on 64-wide projections: oneshot would fail (ValueError in
    GPTQ's observer); lint refuses it first, so no folder is made, nothing
    loaded, no calibration run."""
    path = tmp_path / "w4-g128.yaml"
    path.write_text(
        RECIPES["gptq-w4a16-g32"].replace("group_size: 32", "group_size: 128")
    )
    done = recipe(str(path), "--model", str(models["llama"]), "-o", "out", *FAST,
                  cwd=tmp_path)  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "RC752" in done.stderr and "nothing was loaded" in done.stderr
    assert f"{path.name}:8:" in done.stderr  # at the group's line
    assert "[1/8] import" not in done.stderr and "calibration" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_failed_oneshot_names_modifier_and_layer_and_leaves_the_dense_alone(
    models, tmp_path
):
    path = tmp_path / "w4.yaml"
    path.write_text(RECIPES["gptq-w4a16-g32"])
    model = models["llama"]
    before = digest(model)
    done = hooked("raise", "64x128", path, model, tmp_path)
    assert done.returncode == 1, done.stderr[-3000:]
    said = done.stderr.strip().splitlines()[-1]
    assert said.startswith(
        "recipe run: oneshot failed in calibration's forward pass at "
        "model.layers.0.mlp.down_proj: RuntimeError: the kernel refused this layer;"
    )
    assert f"the model folder {model} is untouched" in said
    out = tmp_path / "out"
    assert "failed during oneshot" in (out / "INCOMPLETE").read_text()
    assert not (out / "model").exists() and not (out / ".model.partial").exists()
    assert not (out / "report.json").exists()
    assert digest(model) == before
    again = recipe(str(path), "--model", str(model), "-o", "out", *FAST, cwd=tmp_path)
    assert again.returncode == 2 and "--overwrite" in again.stderr


def test_a_failure_inside_a_modifier_names_it_with_its_line(models, tmp_path):
    path = tmp_path / "w8a8.yaml"
    path.write_text(RECIPES["w8a8-smoothquant"])
    done = hooked("solver", "-", path, models["llama"], tmp_path)
    assert done.returncode == 1, done.stderr[-3000:]
    said = done.stderr.strip().splitlines()[-1]
    assert said.startswith(
        "recipe run: oneshot failed in GPTQModifier at "
        "model.layers.0.self_attn.q_proj: RuntimeError: the solver refused this "
        "Hessian (recipe line 5);"
    ), said
    assert "failed during oneshot" in (tmp_path / "out" / "INCOMPLETE").read_text()


def test_ctrl_c_leaves_out_clearly_incomplete(models, tmp_path):
    path = tmp_path / "w4.yaml"
    path.write_text(RECIPES["gptq-w4a16-g32"])
    done = hooked("sigint", "64x128", path, models["llama"], tmp_path)
    assert done.returncode == 130, done.stderr[-3000:]
    assert "interrupted" in done.stderr and "--overwrite" in done.stderr
    out = tmp_path / "out"
    assert "interrupted (Ctrl-C) during oneshot" in (out / "INCOMPLETE").read_text()
    assert not (out / "report.json").exists() and not (out / "model").exists()


def test_calibration_from_a_jsonl_file(models, tmp_path):
    data = tmp_path / "calib.jsonl"
    lines = [json.dumps({"text": " ".join(f"w{(i * 7 + j) % 250 + 3}" for j in range(40))})
             for i in range(20)]  # fmt: skip
    data.write_text("\n".join(lines) + "\n")
    path = tmp_path / "fp8.yaml"
    path.write_text(RECIPES["fp8-dynamic"])
    done = recipe(str(path), "--model", str(models["llama"]), "-o", "out",
                  "--dataset", str(data), "--samples", "8", "--max-seq-length", "32",
                  cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    cal = json.loads((tmp_path / "out" / "report.json").read_text())["calibration"]
    assert cal["source"] == "file" and cal["samples"] == 8 and cal["held_out"] == 4
    assert cal["calibration_tokens"] == 8 * 32 and "calib.jsonl" in cal["description"]


def test_a_bad_calibration_file_is_refused_at_its_line(models, tmp_path):
    data = tmp_path / "calib.jsonl"
    data.write_text('{"text": "w3 w4"}\n{"txt": "w5"}\n')
    path = tmp_path / "fp8.yaml"
    path.write_text(RECIPES["fp8-dynamic"])
    done = recipe(str(path), "--model", str(models["llama"]), "-o", "out",
                  "--dataset", str(data), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2
    assert f'{data}:2: no "text" string' in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_calibration_file_too_short_once_tokenized_is_bad_input(models, tmp_path):
    data = tmp_path / "calib.jsonl"
    data.write_text('{"text": "w3 w4 w5"}\n')
    path = tmp_path / "fp8.yaml"
    path.write_text(RECIPES["fp8-dynamic"])
    done = recipe(str(path), "--model", str(models["llama"]), "-o", "out",
                  "--dataset", str(data), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    assert "1 lines: at least 2 are needed" in done.stderr
    assert "[3/8] load" not in done.stderr  # (found before the weights load)
    assert "calibration data" in (tmp_path / "out" / "INCOMPLETE").read_text()


@pytest.mark.parametrize(
    ("text", "extra", "code", "said"),
    [
        ("default_stage: [unclosed\n", [], 1, "RC001 error"),
        ("default_stage:\n  default_modifiers: {}\n", [], 1, "reads no modifier"),
        (RECIPES["fp8-dynamic"], ["--resume", "."], 2, "--resume: for SparseML"),
    ],
)
def test_what_the_llm_runner_refuses_before_loading(
    models, tmp_path, text, extra, code, said
):
    """A recipe that does not read, or that names no modifier, with a model
    folder; --resume: refused by the LLM runner (in the main environment: no
    llm-compressor needed to say so), nothing made."""
    path = tmp_path / "r.yaml"
    path.write_text(text)
    out = [] if extra else ["-o", "out"]
    done = recipe(str(path), "--model", str(models["llama"]), *out, *extra,
                  cwd=tmp_path, python=Path(sys.executable))  # fmt: skip
    assert done.returncode == code, done.stderr
    assert said in done.stderr
    assert not (tmp_path / "out").exists()


def test_without_llm_compressor_the_cli_says_how_to_install_it(models, tmp_path):
    """The main environment (sparseml's) has no llm-compressor: the recipe is
    checked, then one line says what to install; no folder is made."""
    path = tmp_path / "fp8.yaml"
    path.write_text(RECIPES["fp8-dynamic"])
    done = recipe(str(path), "--model", str(models["llama"]), "-o", "out",
                  cwd=tmp_path, python=Path(sys.executable))  # fmt: skip
    assert done.returncode == 2
    said = done.stderr.strip().splitlines()
    assert said[-1] == (
        "recipe run: llm-compressor recipes run with llm-compressor 0.14, not "
        "installed here: pip install 'recipe-compiler[llm]' into an environment of "
        "its own (llm-compressor needs numpy 2, the runner extra numpy < 2)"
    )
    assert said[0].startswith(f"recipe run: {path}:5:")  # (lint's warning first:
    assert "RC751 warning" in said[0]  # the router pattern matches nothing here)
    assert not (tmp_path / "out").exists()


def test_sparseml_options_are_refused_by_name(models, tmp_path):
    path = tmp_path / "fp8.yaml"
    path.write_text(RECIPES["fp8-dynamic"])
    done = recipe(str(path), "--model", str(models["llama"]), "-o", "out",
                  "--rescale", "3", "--bench", cwd=tmp_path,
                  python=Path(sys.executable))  # fmt: skip
    assert done.returncode == 2
    assert "--bench, --rescale: for SparseML recipes" in done.stderr
    legacy = recipe(str(ROOT / "recipes" / "digits-gmp.yaml"), "-o", "out",
                    "--samples", "3", cwd=tmp_path, python=Path(sys.executable))  # fmt: skip
    assert legacy.returncode == 2
    assert "--samples: for llm-compressor recipes" in legacy.stderr


def test_tiny_refuses_a_config_transformers_cannot_build_in_one_line(llmc, tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "llama", "hidden_size": "x"}')
    done = subprocess.run(
        [str(LLMC_PYTHON), "-m", "recipe_compiler.runner.llm.tiny", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"tiny: {tmp_path}/config.json: ")
    assert not list(tmp_path.glob("*.safetensors"))
