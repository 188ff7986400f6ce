"""Pydantic models of the 26 modifier tags SparseML 1.8 registers for PyTorch."""

from __future__ import annotations

from typing import Any

from ..suggest import did_you_mean
from . import pruning, quantization, training
from .base import Modifier
from .quantization import LegacyQuantizationModifier

__all__ = ["REGISTRY", "Modifier", "did_you_mean", "model_for"]

REGISTRY: dict[str, type[Modifier]] = {
    cls.TAG: cls for cls in (*pruning.ALL, *training.ALL, *quantization.ALL)
}
# Names people reach for that SparseML 1.8 does not have (pre-0.2 or other libraries).
RENAMED = {
    "LegacyGMPruningModifier": "GMPruningModifier",
    "GradualKSModifier": "GMPruningModifier",
    "ConstantKSModifier": "ConstantPruningModifier",
    "LegacyQuantizationModifier": "QuantizationModifier",
    "LearningRateScheduleModifier": "LearningRateFunctionModifier",
}


def model_for(tag: str, fields: dict[str, Any]) -> type[Modifier] | None:
    """The model SparseML would build for `tag` with these fields, or None."""
    if tag == "QuantizationModifier":
        return quantization.select(fields)
    return REGISTRY.get(tag)


def all_models() -> list[type[Modifier]]:
    """Every model, the legacy QuantizationModifier included (for the schema)."""
    return [*REGISTRY.values(), LegacyQuantizationModifier]
