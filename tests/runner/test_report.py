"""report.html shows what report.md says (scores before and after, sparsity per
layer, the export check, the benchmark with the CPU it ran on), above the plan."""

from __future__ import annotations

from pathlib import Path

from recipe_compiler.hardware.cpu import detect
from recipe_compiler.linter.engine import lint_recipe
from recipe_compiler.loader.recipe import load
from recipe_compiler.runner.report import Report, report_markdown, write
from recipe_compiler.schedule.timeline import plan
from recipe_compiler.views.preview import Planned
from tests.conftest import ROOT
from tests.hardware.test_cpu import AVX2_ONLY

RECIPE = ROOT / "recipes" / "digits-gmp.yaml"


def bench_row(model, engine, ips, vs):
    lat = {"mean": 1000 / ips, "median": 1000 / ips, "p90": 1.1e3 / ips, "std": 0.1}
    return {
        "model": model,
        "engine": engine,
        "batch_size": 1,
        "items_per_sec": ips,
        "latency_ms": lat,
        "vs_baseline": vs,
    }


def a_report(cpu):
    return Report(
        "out",
        "yolov5n",
        10,
        3.0,
        "val_loss",
        0.5,
        0.55,
        {"#3 GMPruningModifier": 0.8},
        "out/model.onnx",
        2e-5,
        1.0,
        recipe=str(RECIPE),
        per_layer={"model.0.conv.weight": 0.1, "model.2.cv1.conv.weight": 0.8},
        overall_sparsity=0.79,
        mac_ratio=4.2,
        metrics={"map50": {"dense": 0.31, "sparse": 0.29}},
        onnx_output_max_abs=640.0,
        bench=[
            bench_row("dense", "onnxruntime", 100.0, 1.0),
            bench_row("recipe", "deepsparse", 180.0, 1.8),
        ],
        cpu=cpu.to_dict(),
    )


def test_report_html_carries_the_run(tmp_path):
    recipe = load(RECIPE)
    drawn = Planned(
        recipe, plan(recipe, 10), lint_recipe(recipe).problems, "digits-gmp.yaml"
    )
    write(a_report(detect(AVX2_ONLY)), tmp_path, drawn)
    page = (tmp_path / "report.html").read_text()
    run = page[page.index('id="run"') : page.index('id="fig-sparsity"')]
    for figure, dense, after in (
        ("val_loss", "0.5000", "0.5500"),
        ("map50", "0.3100", "0.2900"),
    ):
        row = run[run.index(f"<td>{figure}</td>") :].split("</tr>")[0]
        assert dense in row and after in row
    assert run.count('<tr class="layer">') == 2 and "model.2.cv1.conv.weight" in run
    assert "out/model.onnx" in run and "2e-05" in run and "640" in run
    assert run.count('<tr class="bench">') == 2 and "1.80x" in run
    assert "Measured on <b>AMD EPYC 7B13, 2 cores, AVX2 only</b>" in run
    assert "emulates INT8" in run and "tiny input" in run
    md = report_markdown(a_report(detect(AVX2_ONLY)))
    assert "Measured on AMD EPYC 7B13, 2 cores, AVX2 only" in md
    assert (tmp_path / "report.json").exists() and (tmp_path / "report.md").exists()


def test_report_without_a_plan_writes_no_page(tmp_path):
    write(a_report(detect(AVX2_ONLY)), tmp_path)
    assert not (tmp_path / "report.html").exists()
    assert Path(tmp_path / "report.md").read_text().startswith("# recipe run")
