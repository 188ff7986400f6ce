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
    validator_names: tuple[str, ...] = ()  # its own, field and model ones
    defs: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # $defs


@dataclasses.dataclass(frozen=True)
class Registry:
    versions: Mapping[str, str]  # llmcompressor, compressed-tensors
    modifiers: Mapping[str, ModifierClass]
    presets: Mapping[str, Mapping[str, Any]]  # scheme name -> what it quantizes
    # compressed-tensors' nested models: fields in order, validators' names
    models: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)


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
            tuple(m["validator_names"]),
            m["defs"],
        )
        for name, m in data["modifiers"].items()
    }
    return Registry(data["engine"], modifiers, data["preset_schemes"], data["models"])
