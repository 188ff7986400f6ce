"""Pydantic models of the 26 modifier tags SparseML 1.8 registers for PyTorch."""

from __future__ import annotations

import difflib
from typing import Any

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


def did_you_mean(word: str, choices: Any, cutoff: float = 0.6) -> str | None:
    """The closest choice to `word`, for hints."""
    choices = [c for c in choices if isinstance(c, str)]
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:
        return lowered[word.lower()]
    match = difflib.get_close_matches(word, choices, n=1, cutoff=cutoff)
    return match[0] if match else None


def all_models() -> list[type[Modifier]]:
    """Every model, the legacy QuantizationModifier included (for the schema)."""
    return [*REGISTRY.values(), LegacyQuantizationModifier]
