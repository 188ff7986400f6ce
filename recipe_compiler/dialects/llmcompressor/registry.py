"""llm-compressor 0.14's modifiers and compressed-tensors' preset schemes, as the
engine defines them (`registry.json`, written by `generate.py` in `.venv-llmc`)."""

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
    """One class the engine's `ModifierFactory` creates by name."""

    name: str
    fields: Mapping[str, Mapping[str, Any]]  # name -> required, default, annotation
    abstract: tuple[str, ...]  # abstract methods: building it raises TypeError
    quantizes: bool  # a QuantizationMixin (what AWQ must be followed by)
    awq: bool


@dataclasses.dataclass(frozen=True)
class Registry:
    versions: Mapping[str, str]  # llmcompressor, compressed-tensors
    modifiers: Mapping[str, ModifierClass]
    presets: Mapping[str, Mapping[str, Any]]  # scheme name -> what it quantizes


@functools.cache
def registry() -> Registry:
    data = json.loads(REGISTRY.read_text(encoding="utf-8"))
    modifiers = {
        name: ModifierClass(
            name,
            m["fields"],
            tuple(m["abstract"]),
            m["quantizes"],
            m["awq"],
        )
        for name, m in data["modifiers"].items()
    }
    return Registry(data["engine"], modifiers, data["preset_schemes"])
