"""The JSON Schema for editors, all three dialects: the legacy format's (from the
modifier models, `modifiers/schema.py`) with staged groups beside its modifier
lists: `<group>_modifiers: {ModifierName: {fields}}`, each name one that
llm-compressor 0.14 or SparseML 1.8's sparseml.core builds, with the fields either
takes (from their registries, generated from the engines' own classes).

No stricter than the engines: a field of either dialect is offered and checked
against the types either takes (an `eval(...)` string too where sparseml.core
evaluates one), and fields neither defines are left to `recipe lint` (sparseml.core
drops them silently, llm-compressor refuses them: the schema cannot know which
engine a file is for). Names neither engine has are marked: both refuse them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..modifiers.schema import EVAL, recipe_schema
from .llmcompressor.registry import registry as llmc
from .sparsemlcore.registry import registry as core


def _without_refs(schema: Any) -> Any:
    """The schema with every part that refers to an engine's own class (a
    `$ref`) opened to any value."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return {}
        return {k: _without_refs(v) for k, v in schema.items() if k != "default"}
    if isinstance(schema, list):
        return [_without_refs(v) for v in schema]
    return schema


def _field(found: list[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """One field's schema from each dialect that defines it: any of theirs."""
    alternatives: list[Any] = []
    for dialect, info in found:
        schema = _without_refs(info.get("schema") or {})
        schema.pop("title", None)
        if schema not in alternatives:
            alternatives.append(schema)  # ({}: a type JSON Schema cannot say)
        if dialect == "sparseml-core" and EVAL not in alternatives:
            alternatives.append(EVAL)
    where = " and ".join(sorted({d for d, _ in found}))
    annotation = "; ".join(f"{d}: {info['annotation']}" for d, info in found)
    out: dict[str, Any] = {"description": f"{annotation} ({where})"}
    if alternatives and {} not in alternatives:
        out["anyOf"] = alternatives
    return out


def _modifier(name: str) -> dict[str, Any]:
    fields: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
    engines = []
    for dialect, reg in (("llm-compressor", llmc()), ("sparseml-core", core())):
        cls = reg.modifiers.get(name)
        if cls is None:
            continue
        engines.append(dialect)
        for field, info in cls.fields.items():
            if not field.endswith("_"):  # (the modifier's own state)
                fields.setdefault(field, []).append((dialect, info))
    return {
        "description": f"{name} ({' and '.join(engines)})",
        "type": ["object", "null"],
        "properties": {f: _field(found) for f, found in sorted(fields.items())},
    }


def recipe_schema_all() -> dict[str, Any]:
    schema = recipe_schema()
    defs = schema["$defs"]
    names = sorted(set(llmc().modifiers) | set(core().modifiers))
    for name in names:
        defs[f"Staged{name}"] = _modifier(name)
    defs["StagedGroup"] = {
        "description": "A group of a staged recipe (llm-compressor, sparseml.core): "
        "modifier class names, each with its fields.",
        "type": "object",
        "properties": {n: {"$ref": f"#/$defs/Staged{n}"} for n in names},
        "additionalProperties": False,
    }
    group = {
        "anyOf": [{"$ref": "#/$defs/ModifierList"}, {"$ref": "#/$defs/StagedGroup"}]
    }
    stage = schema["additionalProperties"]["anyOf"][1]
    stage["patternProperties"] = {"modifiers": group}
    stage["properties"] = {
        "run_type": {
            "description": "sparseml.core: how its finetune runner runs the stage "
            "(llm-compressor ignores it)",
            "enum": ["oneshot", "train"],
        }
    }
    schema["title"] = "SparseML 1.8 and llm-compressor 0.14 recipe"
    schema["description"] += (
        " Staged recipes (llm-compressor, SparseML 1.8's sparseml.core) write "
        "`<name>_stage:` → `<group>_modifiers:` → `ModifierName: {fields}`."
    )
    schema["$defs"] = dict(sorted(defs.items()))
    return schema


def render() -> str:
    return json.dumps(recipe_schema_all(), indent=2, sort_keys=False) + "\n"
