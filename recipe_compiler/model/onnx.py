"""`--model FILE.onnx`: the network an ONNX file describes, read with `onnx` alone
(no torch), as far as the file can tell it.

torch's exporter names an initializer after the parameter it holds
(`features.0.weight`) when the export keeps parameters as they are: training mode
(`training=torch.onnx.TrainingMode.TRAINING`), as SparseML's and `recipe run`'s
exports are. An eval-mode export folds each BatchNorm into the conv before it and
writes the folded weights as `onnx::Conv_29`: the names SparseML would resolve on
the torch model are then not in the file, and we refuse it rather than call real
names missing. The file knows parameters, not modules: a module appears here only
through its parameters (and as the prefix of a deeper one), so the checks that look
up parameter-less modules or class names (QuantizationModifier `ignore`, layer
pruning, distillation layers) are left to a built-in model or a factory.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from .network import Module, Network, NetworkError

MAX_ONNX_BYTES = 2**30  # yolov5x in FP32 is 350 MB
# the op, the input holding the weight, the class torch exports it from
_LAYERS = {
    "Conv": (1, "Conv"),
    "ConvTranspose": (1, "ConvTranspose"),
    "Gemm": (1, "Linear"),
    "MatMul": (1, "Linear"),
    "Gather": (0, "Embedding"),
}
_NAMED = re.compile(r"^[A-Za-z_][\w]*(\.[\w]+)*\.[A-Za-z_]\w*$")
_OTHER = {"BatchNormalization": "BatchNorm2d", "LayerNormalization": "LayerNorm"}
_INT8_OPS = {"ConvInteger", "MatMulInteger", "QLinearConv", "QLinearMatMul"}


def is_onnx_path(spec: str) -> bool:
    return spec.lower().endswith(".onnx") or Path(spec).is_file()


def onnx_network(spec: str) -> Network:
    path = Path(spec)
    if path.is_dir():
        raise NetworkError(f"--model {spec}: a folder, not a model file")
    if not path.is_file():
        raise NetworkError(f"--model {spec}: no such file")
    size = path.stat().st_size
    if size > MAX_ONNX_BYTES:
        raise NetworkError(
            f"--model {spec}: {size / 2**20:.0f} MiB is over the "
            f"{MAX_ONNX_BYTES // 2**20} MiB an ONNX model may take here; pass the "
            "model as a built-in name or pkg.module:factory"
        )
    with path.open("rb") as f:
        head = f.read(1)
    if head != b"\x08":  # ModelProto starts with its ir_version (field 1, varint)
        raise NetworkError(f"--model {spec}: not an ONNX file")
    try:
        import onnx
    except ImportError:
        raise NetworkError(
            f"--model {spec}: reading an ONNX file needs the onnx package: "
            "pip install 'recipe-compiler[onnx]'"
        ) from None
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # DecodeError on a truncated or foreign file
        raise NetworkError(
            f"--model {spec}: not a readable ONNX file ({type(exc).__name__})"
        ) from None
    if not model.graph.node:
        raise NetworkError(f"--model {spec}: not an ONNX model (it has no graph)")
    return network_of(model, path.name)


def network_of(model: Any, name: str) -> Network:
    """The parameters of an ONNX ModelProto, grouped into the modules their names
    give, with conv / linear output positions where shapes are static."""
    graph = model.graph
    shapes = {i.name: tuple(int(d) for d in i.dims) for i in graph.initializer}
    layer_of: dict[str, tuple[str, Any]] = {}  # weight initializer -> (class, node)
    kinds: dict[str, str] = {}
    buffers: set[str] = set()  # BatchNorm's running statistics are not parameters
    for node in graph.node:
        if node.op_type == "BatchNormalization":
            buffers.update(node.input[3:5])
        if node.op_type in _LAYERS:
            slot, kind = _LAYERS[node.op_type]
            if len(node.input) > slot and node.input[slot] in shapes:
                layer_of[node.input[slot]] = (kind, node)
        for i in node.input:
            if i in shapes and node.op_type in _OTHER:
                kinds.setdefault(i, _OTHER[node.op_type])
    quantized = {n.op_type for n in graph.node} & _INT8_OPS
    if quantized and not any(_NAMED.match(w) for w in layer_of):
        raise NetworkError(
            f"--model {name}: an INT8 export ({', '.join(sorted(quantized))}): "
            "converting QAT to integer ops folded its weights into quantized "
            "initializers under other names, so none is a parameter a recipe can "
            "name. Pass the FP32 export (a run's dense.onnx), a built-in model, or "
            "pkg.module:factory"
        )
    anonymous = sorted(w for w in layer_of if not _NAMED.match(w))
    if anonymous:
        raise NetworkError(
            f"--model {name}: {len(anonymous)} conv/linear weights have no parameter "
            f"names ({', '.join(anonymous[:3])}): the export folded BatchNorm into "
            "them or renamed them. Export with "
            "training=torch.onnx.TrainingMode.TRAINING (as SparseML does), or pass "
            "the model as pkg.module:factory"
        )
    at = _positions(
        model,
        {n.output[0]: (w, k.startswith("Conv")) for w, (k, n) in layer_of.items()},
    )
    modules: dict[str, dict[str, Any]] = {}
    for param, shape in shapes.items():
        if not _NAMED.match(param) or param in buffers:
            continue  # constants the exporter made, buffers: not parameters
        owner, _, own = param.rpartition(".")
        kind = layer_of[param][0] if param in layer_of else kinds.get(param, "")
        entry = modules.setdefault(owner, {"type": "", "params": {}, "at": None})
        entry["params"][own] = shape
        if param in layer_of and own == "weight":
            dims = len(shape) - 2
            entry["type"] = f"{kind}{dims}d" if kind.startswith("Conv") else kind
            entry["at"] = at.get(param)
        elif kind and not entry["type"]:
            entry["type"] = kind
    names: dict[str, None] = {"": None}
    for owner in modules:
        parts = owner.split(".")
        for k in range(1, len(parts) + 1):
            names.setdefault(".".join(parts[:k]), None)
    out = []
    for n in names:
        m = modules.get(n, {"type": "", "params": {}, "at": None})
        kind = m["type"] or "Module"
        prunable = kind in ("Linear", "Embedding") or kind.startswith("Conv")
        params = tuple(m["params"].items())
        out.append(Module(n, kind, prunable, params, m["at"]))
    return Network(name, tuple(out), _input(graph, shapes), parameters_only=True)


def _input(graph: Any, initializers: dict[str, Any]) -> tuple[int, ...]:
    for i in graph.input:
        if i.name in initializers:
            continue
        dims = [d.dim_value if d.HasField("dim_value") else 0 for d in _dims(i)]
        return tuple(dims[1:]) if dims and all(dims[1:]) else ()
    return ()


def _dims(value: Any) -> Any:
    return value.type.tensor_type.shape.dim


def _positions(model: Any, outputs: dict[str, tuple[str, bool]]) -> dict[str, int]:
    """Output positions of each conv / linear weight (as `runner.macs` counts
    them), from onnx's shape inference with the batch set to one; none where a
    shape is not static."""
    import onnx

    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # an op onnx cannot infer: no MACs, the names still count
        return {}
    out: dict[str, int] = {}
    for v in list(inferred.graph.value_info) + list(inferred.graph.output):
        if v.name not in outputs:
            continue
        dims = [d.dim_value if d.HasField("dim_value") else 0 for d in _dims(v)]
        rest = dims[1:]
        if not rest or not all(rest):
            continue
        weight, conv = outputs[v.name]
        out[weight] = math.prod(rest[1:]) if conv else math.prod(rest[:-1])
    return out


def mac_ratio(model: Any) -> float | None:
    """All MACs over nonzero-weight MACs of an ONNX model's convs and linears whose
    shapes are static (`runner.macs.ratio` for a file); None if none are."""
    import numpy as np
    from onnx import numpy_helper

    weights = {i.name: i for i in model.graph.initializer}
    outputs: dict[str, tuple[str, bool]] = {}
    for node in model.graph.node:
        if node.op_type in _LAYERS and node.op_type != "Gather":
            slot, kind = _LAYERS[node.op_type]
            if len(node.input) > slot and node.input[slot] in weights:
                outputs[node.output[0]] = (node.input[slot], kind.startswith("Conv"))
    total = nonzero = 0
    for weight, positions in _positions(model, outputs).items():
        array = numpy_helper.to_array(weights[weight])
        total += array.size * positions
        nonzero += int(np.count_nonzero(array)) * positions
    return total / nonzero if nonzero else None
