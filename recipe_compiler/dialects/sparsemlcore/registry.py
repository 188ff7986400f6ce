"""The modifiers SparseML 1.8's `sparseml.core` builds for PyTorch, as the engine
defines them (`registry.json`, written by `generate.py` in the runner's
environment with the LLM dependencies of its time)."""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REGISTRY = Path(__file__).resolve().parent / "registry.json"


@dataclasses.dataclass(frozen=True)
class ModifierClass:
    """One name the engine's `ModifierFactory` creates, and the class it builds."""

    name: str
    class_name: str  # the class instantiated (`...PyTorch`, or the base)
    fields: Mapping[str, Mapping[str, Any]]  # name -> required, default, schema


@dataclasses.dataclass(frozen=True)
class Registry:
    versions: Mapping[str, str]  # sparseml, compressed-tensors, transformers
    modifiers: Mapping[str, ModifierClass]
    legacy_scheme_aliases: tuple[str, ...]


@functools.cache
def registry() -> Registry:
    data = json.loads(REGISTRY.read_text(encoding="utf-8"))
    modifiers = {
        name: ModifierClass(name, m["class"], m["fields"])
        for name, m in data["modifiers"].items()
    }
    return Registry(data["engine"], modifiers, tuple(data["legacy_scheme_aliases"]))
