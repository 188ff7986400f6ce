"""A model as `recipe lint --model` knows it: module and parameter names, shapes,
and which modules SparseML counts as prunable; no torch.

Built-in models (`digits-cnn`, `yolov5n|s|m|l|x`, the classes `recipe run` builds)
are read from tables shipped in `model/tables/` (regenerated from the definitions by
`python -m recipe_compiler.runner.tables`; a test fails when they are stale).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

TABLES = Path(__file__).resolve().parent / "tables"
MAX_TABLE_BYTES = 8 * 2**20


class NetworkError(ValueError):
    """`--model` names nothing we can read; the message says what to pass."""


def named_by(exc: NetworkError, config: str | None) -> str:
    """The message, naming the config file's `model` key where the model came
    from a config instead of the `--model` flag."""
    text = str(exc)
    if config and text.startswith("--model "):
        return f"{config}: model {text[len('--model ') :]}"
    return text


@dataclasses.dataclass(frozen=True)
class Module:
    name: str  # as in named_modules(): "" for the model itself
    type: str  # the class name: Conv2d, Linear, BatchNorm2d, ...
    prunable: bool  # in SparseML's get_prunable_layers (Conv*, Linear, Embedding)
    params: tuple[tuple[str, tuple[int, ...]], ...]  # its own parameters, shapes
    # conv / linear: output positions each weight is multiplied at, per item at the
    # table's input (its MACs = weights x positions); None for other modules
    positions: int | None = None


@dataclasses.dataclass(frozen=True)
class Network:
    name: str
    modules: tuple[Module, ...]
    input: tuple[int, ...] = ()  # (channels, height, width) the positions are at
    # an ONNX file: parameters and their modules only, no parameter-less modules
    # and no exact class names (see model/onnx.py)
    parameters_only: bool = False

    @property
    def params(self) -> dict[str, tuple[int, ...]]:
        """Full parameter names (`model.0.conv.weight`) in SparseML's walk order:
        each module's own parameters, modules in `named_modules()` order."""
        return {f"{m.name}.{p}": shape for m in self.modules for p, shape in m.params}

    @property
    def prunable_weights(self) -> list[str]:
        """What SparseML's pruning modifiers expand `__ALL_PRUNABLE__` to."""
        return [f"{m.name}.weight" for m in self.modules if m.prunable]


def builtin_names() -> list[str]:
    return sorted(p.stem for p in TABLES.glob("*.json"))


def network_from_dict(doc: Any) -> Network:
    """A table's JSON, checked: {"model": name, "input": [c, h, w], "modules":
    [[name, type, prunable, {param: shape}, positions | null], ...]}."""
    try:
        modules = tuple(
            Module(
                str(name),
                str(kind),
                bool(prunable),
                tuple((str(p), tuple(int(d) for d in s)) for p, s in params.items()),
                None if at is None else int(at),
            )
            for name, kind, prunable, params, at in doc["modules"]
        )
        size = tuple(int(d) for d in doc.get("input", ()))
        return Network(str(doc["model"]), modules, size)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise NetworkError(f"not a model table ({exc})") from None


_FUSED = {2: "ConvBn2d", 3: "ConvBnReLU2d"}


def fused(net: Network) -> Network:
    """The modules after SparseML's default fusion (`fuse_module_conv_bn_relus`),
    which QuantizationModifier runs before it matches `ignore` and
    `scheme_overrides`: a Conv2d followed in `named_modules()` order, under the
    same parent, by a BatchNorm2d and/or a ReLU becomes one ConvBn2d, ConvReLU2d
    or ConvBnReLU2d holding them as children `0`, `1`, `2`; the fused BatchNorm2d
    and ReLU become Identity. Types are compared by class name, as SparseML does."""
    blocks: list[list[Module]] = []
    block: list[Module] = []
    parent = ""
    for m in net.modules:
        here = ".".join(m.name.split(".")[:-1])
        if here == parent and (
            (len(block) == 1 and m.type == "BatchNorm2d")
            or (len(block) in (1, 2) and m.type == "ReLU")
        ):
            block.append(m)
            continue
        if len(block) > 1:
            blocks.append(block)
        block, parent = ([m], here) if m.type == "Conv2d" else ([], "")
    if len(block) > 1:
        blocks.append(block)
    heads = {b[0].name: b for b in blocks}
    absorbed = {m.name for b in blocks for m in b[1:]}
    out: list[Module] = []
    for m in net.modules:
        if m.name in absorbed:
            out.append(Module(m.name, "Identity", False, ()))
        elif m.name in heads:
            b = heads[m.name]
            kind = "ConvReLU2d" if b[1].type == "ReLU" else _FUSED[len(b)]
            out.append(Module(m.name, kind, False, ()))
            for i, part in enumerate(b):
                out.append(dataclasses.replace(part, name=f"{m.name}.{i}"))
        else:
            out.append(m)
    return Network(net.name, tuple(out), net.input)
