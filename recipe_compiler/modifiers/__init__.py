"""Pydantic models of the 26 modifier tags SparseML 1.8 registers for PyTorch.

A model family's module is imported when a recipe first names one of its tags:
defining all 26 models costs more than the rest of `recipe lint`'s start, and a
recipe uses a few. Code that asks what kind a model is uses the guards below
(`is_gradual`, ...), which compare tags and so import nothing.

`schema` generates the JSON Schema of the recipe format from these models;
`fields` says which fields hold epochs, frequencies and learning rates.

May import: pydantic and the ground floor (`_text`); nothing else of the package.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeGuard

from .._text import did_you_mean
from .base import Modifier

if TYPE_CHECKING:
    from .gradual import Gradual
    from .quantization import QAT
    from .training import (
        EpochRangeModifier,
        LearningRateFunctionModifier,
        LearningRateModifier,
        SetLearningRateModifier,
        SetWeightDecayModifier,
    )

__all__ = ["REGISTRY", "RENAMED", "Modifier", "did_you_mean", "model_for"]

FAMILIES: dict[str, tuple[str, ...]] = {  # module -> the tags it defines
    "gradual": (
        "GMPruningModifier",
        "MagnitudePruningModifier",
        "GlobalMagnitudePruningModifier",
        "MovementPruningModifier",
    ),
    "pruning": (
        "MFACPruningModifier",
        "OBSPruningModifier",
        "StructuredPruningModifier",
        "ConstantPruningModifier",
        "LayerPruningModifier",
        "ACDCPruningModifier",
        "RigLPruningModifier",
        "TopKASTPruningModifier",
        "PowerpropagationModifier",
        "LayerThinningModifier",
    ),
    "training": (
        "SetLearningRateModifier",
        "LearningRateFunctionModifier",
        "LearningRateModifier",
        "SetWeightDecayModifier",
        "EpochRangeModifier",
    ),
    "params": (
        "TrainableParamsModifier",
        "SetParamModifier",
        "GradualParamModifier",
        "SparsificationLoggingModifier",
    ),
    "quantization": ("QuantizationModifier",),
    "distillation": ("DistillationModifier", "PerLayerDistillationModifier"),
}
_HOME = {tag: module for module, tags in FAMILIES.items() for tag in tags}
# SparseML's BaseGradualPruningModifier family: sparsity from init to final
GRADUAL_TAGS = frozenset(
    (
        *FAMILIES["gradual"],
        "MFACPruningModifier",
        "OBSPruningModifier",
        "StructuredPruningModifier",
    )
)
# Names people reach for that SparseML 1.8 does not have (pre-0.2 or other libraries).
RENAMED = {
    "LegacyGMPruningModifier": "GMPruningModifier",
    "GradualKSModifier": "GMPruningModifier",
    "ConstantKSModifier": "ConstantPruningModifier",
    "LegacyQuantizationModifier": "QuantizationModifier",
    "LearningRateScheduleModifier": "LearningRateFunctionModifier",
}


class _Registry(Mapping[str, "type[Modifier]"]):
    """tag -> model; the tags are known up front, each model is built on first use."""

    def __init__(self) -> None:
        self._built: dict[str, type[Modifier]] = {}

    def __getitem__(self, tag: str) -> type[Modifier]:
        cls = self._built.get(tag)
        if cls is None:
            module = importlib.import_module(f"{__name__}.{_HOME[tag]}")
            cls = self._built[tag] = getattr(module, tag)
        return cls

    def get(self, tag: str, default: Any = None) -> Any:
        cls = self._built.get(tag)
        return cls if cls is not None else super().get(tag, default)

    def __contains__(self, tag: object) -> bool:
        return tag in _HOME

    def __iter__(self) -> Iterator[str]:
        return iter(_HOME)

    def __len__(self) -> int:
        return len(_HOME)


REGISTRY: Mapping[str, type[Modifier]] = _Registry()


def model_for(tag: str, fields: dict[str, Any]) -> type[Modifier] | None:
    """The model SparseML would build for `tag` with these fields, or None."""
    if tag == "QuantizationModifier":
        from .quantization import select

        return select(fields)
    return REGISTRY.get(tag)


def all_models() -> list[type[Modifier]]:
    """Every model, the legacy QuantizationModifier included (for the schema)."""
    from .quantization import LegacyQuantizationModifier

    return [*REGISTRY.values(), LegacyQuantizationModifier]


# What kind a model is, by tag: no family module is imported to ask.
def is_gradual(m: Modifier | None) -> TypeGuard[Gradual]:
    return m is not None and m.TAG in GRADUAL_TAGS


def is_qat(m: Modifier | None) -> TypeGuard[QAT]:
    return m is not None and m.TAG == "QuantizationModifier"


def is_lr(m: Modifier | None) -> bool:
    """Any of the three modifiers that set the learning rate."""
    return m is not None and m.KIND == "lr"


def is_set_lr(m: Modifier | None) -> TypeGuard[SetLearningRateModifier]:
    return m is not None and m.TAG == "SetLearningRateModifier"


def is_lr_function(m: Modifier | None) -> TypeGuard[LearningRateFunctionModifier]:
    return m is not None and m.TAG == "LearningRateFunctionModifier"


def is_lr_class(m: Modifier | None) -> TypeGuard[LearningRateModifier]:
    return m is not None and m.TAG == "LearningRateModifier"


def is_weight_decay(m: Modifier | None) -> TypeGuard[SetWeightDecayModifier]:
    return m is not None and m.TAG == "SetWeightDecayModifier"


def is_epoch_range(m: Modifier | None) -> TypeGuard[EpochRangeModifier]:
    return m is not None and m.TAG == "EpochRangeModifier"
