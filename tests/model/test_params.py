"""`--model`: the shipped parameter tables equal the torch models, and `params`
resolves as SparseML's own pruning modifiers resolve it, on generated lists."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recipe_compiler.model.names import qat_finds
from recipe_compiler.model.network import TABLES, builtin_names, fused
from recipe_compiler.model.params import flat, resolve_params
from recipe_compiler.model.sources import load_network
from tests.conftest import ROOT

MODELS = (
    "digits-cnn",
    "yolov5n",
    "tests.custom_factory:build",
    "tests.custom_factory:own_layer",
)


@pytest.mark.parametrize("name", builtin_names())
def test_shipped_tables_equal_the_torch_models(sparseml, name):
    """Regenerated from the definitions `recipe run` builds: a changed model with a
    stale table fails here (run `python -m recipe_compiler.runner.tables`)."""
    from recipe_compiler import torch_compat

    torch_compat.apply()
    from recipe_compiler.runner.tables import text

    shipped = (TABLES / f"{name}.json").read_text()
    assert shipped == text(name), "stale: python -m recipe_compiler.runner.tables"
    assert json.loads(shipped)["model"] == name


def test_every_model_recipe_run_builds_has_a_table(sparseml):
    from recipe_compiler.runner.zoo.models import MODELS as BUILT

    assert sorted(BUILT) == builtin_names()


def _sparseml_resolution(model, entries):
    """What GMPruningModifier's initialize takes, or the exception it raises."""
    from sparseml.pytorch.sparsification import GMPruningModifier

    m = GMPruningModifier(
        params=entries,
        init_sparsity=0.05,
        final_sparsity=0.5,
        start_epoch=0.0,
        end_epoch=2.0,
        update_frequency=1.0,
    )
    try:
        found = m._create_named_layers_and_params(model)
    except Exception as exc:  # RuntimeError (no match) or re.error (bad regex)
        return None, type(exc).__name__
    return [f"{p.layer_name}.{p.param_name}" for p in found], None


@st.composite
def params_lists(draw, names):
    """Lists like people write: real names, names off by a part, regexes that
    match, do not match or do not compile, and the two tokens."""
    real = st.sampled_from(names)
    wrong = real.map(lambda n: n.rsplit(".", 1)[0])  # the module, no .weight
    prefixed = real.map(lambda n: "module." + n)
    regex = st.one_of(
        real.map(lambda n: "re:" + n.split(".")[0] + r"\..*weight"),
        real.map(lambda n: "re:" + n.rsplit(".", 1)[-1]),  # re.match anchors
        real.map(lambda n: "re:.*" + n.split(".")[-2] + r"\.weight"),
        st.just("re:features[.0"),
    )
    token = st.sampled_from(["__ALL__", "__ALL_PRUNABLE__"])
    entry = st.one_of(real, real, wrong, prefixed, regex, token)
    return draw(st.lists(entry, min_size=1, max_size=5))


def _torch_model(name):
    from recipe_compiler import torch_compat

    torch_compat.apply()
    from recipe_compiler.runner.zoo.models import MODELS as BUILT
    from recipe_compiler.runner.zoo.tasks import custom

    return BUILT[name]() if name in BUILT else custom(name, 1, 0).model


@pytest.mark.parametrize("name", MODELS)
def test_resolution_matches_sparseml(sparseml, name):
    model = _torch_model(name)
    net = load_network(name)
    names = list(net.params)

    @settings(
        max_examples=60 if name == "yolov5n" else 150,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(entries=params_lists(names))
    def check(entries):
        want, raised = _sparseml_resolution(model, entries)
        got = resolve_params(flat(entries), net)
        if raised == "RuntimeError":
            assert got.missing and not got.invalid, (entries, got)
        elif raised is not None:  # re.error: a pattern that does not compile
            assert got.invalid, (entries, got)
        else:
            assert not got.missing and not got.invalid, entries
            assert got.params == want

    check()


def test_lint_with_a_builtin_model_never_imports_torch(tmp_path):
    """The tables keep `recipe lint --model yolov5s` light: no torch, no sparseml."""
    code = (
        "import sys\n"
        "from recipe_compiler.cli import main\n"
        "try:\n"
        f"    main(['lint', {str(ROOT / 'recipes')!r}, '--model', 'yolov5s', "
        f"'--config', {str(ROOT / '.recipelint.yaml')!r}])\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
        "heavy = [m for m in ('torch', 'sparseml', 'onnx') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)


def test_a_model_that_is_not_one_is_one_line_and_exit_2():
    from click.testing import CliRunner

    from recipe_compiler.cli import main

    r = CliRunner().invoke(main, ["lint", str(ROOT / "recipes"), "--model", "yolov9"])
    assert r.exit_code == 2
    assert r.stderr.strip().count("\n") == 0 and "not a built-in model" in r.stderr


def test_show_model_json_has_the_per_layer_plan_keys():
    from click.testing import CliRunner

    from recipe_compiler.cli import main

    r = CliRunner().invoke(
        main,
        [
            "show",
            str(ROOT / "recipes" / "digits-gmp.yaml"),
            "--model",
            "digits-cnn",
            "--format",
            "json",
        ],
        catch_exceptions=False,
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert set(doc) == {"model", "image_size", "layers", "totals"}
    assert set(doc["layers"][0]) == {
        "modifier",
        "param",
        "shape",
        "weights",
        "macs",
        "final_sparsity",
        "nonzero_macs",
    }
    assert set(doc["totals"]) == {
        "weights",
        "pruned_weights",
        "sparsity",
        "macs",
        "nonzero_macs",
        "nonzero_mac_ratio",
    }
    # conv1: 16x1x3x3 weights at 8x8 outputs; 80% pruned keeps 29 of 144
    first = doc["layers"][0]
    assert (first["param"], first["weights"], first["macs"]) == (
        "features.0.weight",
        144,
        144 * 64,
    )
    assert first["nonzero_macs"] == (144 - round(144 * 0.8)) * 64


def test_a_constant_modifier_keeps_the_sparsity_that_pruned_before_it():
    from recipe_compiler.loader.recipe import load
    from recipe_compiler.model.layerplan import layer_plan

    recipe = load(ROOT / "recipes" / "yolov5s-pruned95-block4-qat.md")
    plan = layer_plan(recipe, load_network("yolov5s"), 640)
    assert plan.layers and all(x.final_sparsity == 0.95 for x in plan.layers)
    assert all("GMPruningModifier" in x.modifier for x in plan.layers)
    assert plan.image_size == 640
    # MACs grow with the input area: 100x at 640 from the tables' 64
    small = layer_plan(recipe, load_network("yolov5s"))
    assert plan.totals["macs"] == pytest.approx(100 * small.totals["macs"])
    assert plan.totals["nonzero_mac_ratio"] == pytest.approx(
        small.totals["nonzero_mac_ratio"]
    )


def test_global_pruning_leaves_the_layer_counts_to_training():
    from click.testing import CliRunner

    from recipe_compiler.cli import main

    r = CliRunner().invoke(
        main, ["show", str(ROOT / "recipes" / "yolov5s-gmp.md"), "--model", "yolov5s"]
    )
    assert r.exit_code == 0
    assert "? decided in training" in r.stdout and "(sparsity ?)" in r.stdout
    r = CliRunner().invoke(
        main,
        [
            "show",
            str(ROOT / "recipes" / "digits-gmp.yaml"),
            "--model",
            "digits-cnn",
            "--image-size",
            "64",
        ],
    )
    assert r.exit_code == 2 and "8x8 inputs only" in r.stderr


@pytest.mark.parametrize(
    "spec, says",
    [
        (
            "tests.custom_factory:broken",
            "the factory failed: RuntimeError: no GPU found",
        ),
        ("tests.custom_factory:wrong", "returned no loss, model, val"),
        ("tests.custom_factory:nope", "has no attribute 'nope'"),
        ("no_such_package.mod:build", "No module named 'no_such_package'"),
    ],
)
def test_a_factory_that_fails_is_one_line_and_exit_2(sparseml, spec, says):
    from click.testing import CliRunner

    from recipe_compiler.cli import main

    r = CliRunner().invoke(main, ["lint", str(ROOT / "recipes"), "--model", spec])
    assert r.exit_code == 2, r.output
    assert says in r.stderr and r.stderr.strip().count("\n") == 0, r.stderr


def test_lint_against_a_factory_model(sparseml, tmp_path):
    from click.testing import CliRunner

    from recipe_compiler.cli import main

    path = tmp_path / "r.yaml"
    path.write_text(
        "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 4\n"
        "  - !GMPruningModifier\n    params: [0.weight, 1.weight]\n"
        "    init_sparsity: 0.05\n    final_sparsity: 0.5\n    start_epoch: 0\n"
        "    end_epoch: 2\n    update_frequency: 1\n"
    )
    spec = "tests.custom_factory:build"
    r = CliRunner().invoke(main, ["lint", str(path), "--model", spec])
    assert r.exit_code == 1
    assert ":6:24: RC501 error" in r.stdout and "'1.weight'" in r.stdout
    assert "1 is a ReLU here, with no parameters; nearest: 2.weight" in r.stdout


BAD_NAMES = (
    "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 4\n"
    "  - !GMPruningModifier\n    params: [features.0]\n    init_sparsity: 0.05\n"
    "    final_sparsity: 0.5\n    start_epoch: 0\n    end_epoch: 2\n"
    "    update_frequency: 1\n"
)


def test_plan_with_a_model_refuses_what_fails_at_initialize(tmp_path):
    from click.testing import CliRunner

    from recipe_compiler.cli import main

    path = tmp_path / "r.yaml"
    path.write_text(BAD_NAMES)
    r = CliRunner().invoke(main, ["plan", str(path), "--model", "digits-cnn"])
    assert r.exit_code == 1 and r.stdout == "" and "RC501" in r.stderr
    r = CliRunner().invoke(main, ["plan", str(path)])  # without it: planned
    assert r.exit_code == 0 and "GMPruningModifier" in r.stdout


def test_preview_with_a_model_draws_sparsity_per_layer(tmp_path):
    from click.testing import CliRunner

    from recipe_compiler.cli import main

    page = tmp_path / "p.html"
    recipe = ROOT / "recipes" / "yolov5s-pruned95-block4-qat.md"
    r = CliRunner().invoke(
        main, ["preview", str(recipe), "-o", str(page), "--model", "yolov5s"]
    )
    assert r.exit_code == 0, r.output
    html = page.read_text()
    at = html.index('id: "fig-layers", sync: false, fig: ') + len(
        'id: "fig-layers", sync: false, fig: '
    )
    fig = json.JSONDecoder().raw_decode(html, at)[0]
    bars, dense = fig["data"]
    assert bars["type"] == "bar" and {y for y in bars["y"] if y is not None} == {0.95}
    # the first conv and the Detect convs are drawn as not pruned
    assert dense["x"][0] == "model.0.conv.weight"
    assert all(n.startswith("model.24.") for n in dense["x"][1:])
    assert 'id: "fig-sparsity", sync: true' in html
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_NAMES)
    r = CliRunner().invoke(
        main, ["preview", str(bad), "-o", str(page), "--model", "digits-cnn"]
    )
    assert r.exit_code == 1 and "RC501" in r.stderr
    assert "<td>RC501</td>" in page.read_text()


def test_every_modifier_rc501_checks_resolves_as_the_parity_test_drives(sparseml):
    """RC501's modifiers run the very method the parity test compares with: the
    base class's, or the gradual one, which for a float final_sparsity calls it."""
    from recipe_compiler import torch_compat
    from recipe_compiler.linter.rules.rc501_params_not_found import TAGS

    torch_compat.apply()
    import sparseml.pytorch.sparsification as S
    from sparseml.pytorch.sparsification.pruning.modifier_pruning_base import (
        BaseGradualPruningModifier,
        BasePruningModifier,
    )

    methods = {
        BasePruningModifier._create_named_layers_and_params,
        BaseGradualPruningModifier._create_named_layers_and_params,
    }
    for tag in TAGS:
        assert getattr(S, tag)._create_named_layers_and_params in methods, tag


@pytest.mark.parametrize("name", ["digits-cnn", "yolov5n"])
def test_set_and_trainable_params_resolve_as_sparseml(sparseml, name):
    """SetParam / TrainableParams / GradualParam: `__ALL__` is a token,
    `__ALL_PRUNABLE__` a name that matches nothing (prunable_token=False)."""
    from sparseml.pytorch.sparsification import TrainableParamsModifier

    model = _torch_model(name)
    net = load_network(name)
    by_id = {id(p): n for n, p in model.named_parameters()}

    @settings(max_examples=80, deadline=None)
    @given(entries=params_lists(list(net.params)))
    def check(entries):
        m = TrainableParamsModifier(params=entries, trainable=True, start_epoch=-1.0)
        got = resolve_params(flat(entries), net, prunable_token=False)
        try:
            m.initialize(model)
        except RuntimeError:
            assert got.missing and not got.invalid, (entries, got)
            return
        except re.error:
            assert got.invalid, (entries, got)
            return
        assert not got.missing and not got.invalid, entries
        assert [by_id[id(p)] for p in m._module_params] == got.params

    check()


@st.composite
def qat_names(draw, net):
    """`ignore` entries: module names, prefixes of them, class names before and
    after fusion, and names that are not there."""
    names = [m.name for m in net.modules if m.name]
    real = st.sampled_from(names)
    return draw(
        st.one_of(
            real,
            real.map(lambda n: n[: max(1, len(n) // 2)]),
            real.map(lambda n: n + ".x"),
            st.sampled_from(sorted({m.type for m in fused(net).modules})),
            st.sampled_from(["SiLU", "ReLU6", "Identity", "head", "module.model"]),
        )
    )


@pytest.mark.parametrize("name", ["digits-cnn", "yolov5n"])
def test_qat_ignore_matches_as_sparseml_after_fusion(sparseml, name):
    """QuantizationModifier's strict check of `ignore` / `scheme_overrides`, run by
    SparseML on the model its default fusion leaves, against `qat_finds` on
    `fused(net)`."""
    from sparseml.pytorch.sparsification.quantization.helpers import (
        fuse_module_conv_bn_relus,
    )
    from sparseml.pytorch.sparsification.quantization.quantize import (
        _validate_set_module_schemes,
    )

    model = _torch_model(name)
    model.train()
    fuse_module_conv_bn_relus(model, inplace=True)
    net = load_network(name)
    seen = fused(net)
    assert [(m.name, m.type) for m in seen.modules] == [
        (n, type(x).__name__) for n, x in model.named_modules()
    ]

    @settings(max_examples=100, deadline=None)
    @given(entry=qat_names(net))
    def check(entry):
        try:
            _validate_set_module_schemes(model, {}, [entry])
            raised = False
        except ValueError:
            raised = True
        assert raised == (not qat_finds(entry, seen)), entry

    check()


def _exported(name, tmp_path, **kwargs):
    """A built-in model exported as users export theirs: SparseML's
    ModuleExporter (the names stay the parameters'), or torch's with kwargs."""
    import torch

    from recipe_compiler.runner.tables import INPUTS

    model = _torch_model(name).eval()
    with torch.no_grad():  # values as trained: torch's export writes identical
        for p in model.parameters():  # tensors (fresh BatchNorm ones) only once
            p.normal_()
    sample = torch.zeros(1, *INPUTS[name])
    path = tmp_path / f"{name}.onnx"
    if kwargs:
        torch.onnx.export(model, sample, str(path), dynamo=False, **kwargs)
        return path
    from sparseml.pytorch.utils import ModuleExporter

    ModuleExporter(model, str(tmp_path)).export_onnx(sample, name=path.name)
    return path


@pytest.mark.parametrize("name", ["digits-cnn", "yolov5n"])
def test_an_onnx_export_reads_as_the_torch_model(sparseml, tmp_path, name):
    """Every parameter, shape, prunable weight and MAC position of the ONNX file
    is the torch model's (the built-in table's)."""
    got = load_network(str(_exported(name, tmp_path)))
    want = load_network(name)
    assert got.params == want.params
    assert set(got.prunable_weights) == set(want.prunable_weights)
    at = {m.name: m.positions for m in want.modules if m.positions}
    assert {m.name: m.positions for m in got.modules if m.positions} == at
    assert got.input == want.input


def test_an_eval_export_that_folded_batchnorm_is_refused(sparseml, tmp_path):
    import torch

    path = _exported("digits-cnn", tmp_path, training=torch.onnx.TrainingMode.EVAL)
    r = _lint_model(str(path))
    assert r.exit_code == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "onnx::Conv_" in r.stderr and "TrainingMode.TRAINING" in r.stderr


def _lint_model(model):
    from click.testing import CliRunner

    from recipe_compiler.cli import main

    recipe = str(ROOT / "recipes" / "digits-gmp.yaml")
    return CliRunner().invoke(main, ["lint", recipe, "--model", model])


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda p: p.write_bytes(_dense_bytes()[:3000]), "not a readable ONNX file"),
        (lambda p: p.write_bytes(bytes(range(256)) * 40), "not an ONNX file"),
        (lambda p: p.write_bytes(b"\x08" + b"\xff" * 100), "not a readable ONNX"),
        (lambda p: p.write_bytes(b"\x08\x07"), "not an ONNX model (it has no graph)"),
        (lambda p: p.mkdir(), "a folder, not a model file"),
        (lambda p: None, "no such file"),
        (lambda p: p.touch() or os.truncate(p, 3 * 2**30), "MiB is over"),
    ],
    ids=["truncated", "not-onnx", "garbage", "no-graph", "folder", "missing", "huge"],
)
def test_an_onnx_file_that_is_not_one_is_one_line_and_exit_2(tmp_path, make, says):
    path = tmp_path / "model.onnx"
    make(path)
    r = _lint_model(str(path))
    assert r.exit_code == 2 and r.stderr.count("\n") == 1, r.stderr
    assert says in r.stderr and "Traceback" not in r.output


def _dense_bytes():
    """A real export's bytes, made once without torch: the built-in table's
    parameters written by onnx's helpers as torch's exporter names them."""
    import onnx
    from onnx import TensorProto, helper

    net = load_network("digits-cnn")
    inits = [
        helper.make_tensor(n, TensorProto.FLOAT, s, [0.0] * math.prod(s))
        for n, s in net.params.items()
    ]
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    node = helper.make_node("Conv", ["input", "features.0.weight"], ["y"])
    graph = helper.make_graph([node], "g", [x], [y], inits)
    return onnx.helper.make_model(graph).SerializeToString()


def test_lint_with_an_onnx_file_never_imports_torch(tmp_path):
    """An ONNX file is read with onnx alone."""
    path = tmp_path / "m.onnx"
    path.write_bytes(_dense_bytes())
    code = (
        "import sys\n"
        "from recipe_compiler.cli import main\n"
        "try:\n"
        f"    main(['lint', {str(ROOT / 'recipes' / 'digits-gmp.yaml')!r}, "
        f"'--model', {str(path)!r}])\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
        "heavy = [m for m in ('torch', 'sparseml') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert 'onnx' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)


@pytest.mark.parametrize("written", [None, []])
def test_an_empty_gradual_params_is_all_prunable_as_in_sparseml(sparseml, written):
    from recipe_compiler.model.params import pruned_entries
    from recipe_compiler.modifiers.gradual import GMPruningModifier as Ours

    model = _torch_model("digits-cnn")
    want, raised = _sparseml_resolution(model, written)
    assert raised is None
    ours = Ours.model_validate(
        {
            "params": written,
            "init_sparsity": 0.05,
            "final_sparsity": 0.5,
            "start_epoch": 0.0,
            "end_epoch": 2.0,
            "update_frequency": 1.0,
        }
    )
    entries = pruned_entries(ours)
    assert resolve_params(entries, load_network("digits-cnn")).params == want


def test_all_prunable_leaves_a_layer_of_the_users_own_out(sparseml):
    """What RC510 warns of, in SparseML itself."""
    spec = "tests.custom_factory:own_layer"
    want, _ = _sparseml_resolution(_torch_model(spec), "__ALL_PRUNABLE__")
    assert "2.weight" in load_network(spec).params and "2.weight" not in want
