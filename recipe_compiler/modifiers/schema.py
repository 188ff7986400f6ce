"""The JSON Schema of the recipe format, generated from the modifier models."""

from __future__ import annotations

import json
from typing import Any

from . import all_models

SCHEMA_ID = "https://recipe-compiler.dev/schemas/recipe.schema.json"
# SparseML evaluates `eval(...)` in any field; a number, integer or boolean field
# takes one, so an editor's schema check does not flag what SparseML reads
EVAL = {"type": "string", "pattern": r"^\s*eval\(.*\)\s*$"}
_EVALUABLE = {"number", "integer", "boolean"}


def recipe_schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    refs = []
    for cls in all_models():
        name = cls.__name__
        schema = cls.model_json_schema(ref_template="#/$defs/{model}")
        for sub, body in schema.pop("$defs", {}).items():
            defs[sub] = body
        schema["properties"] = {
            k: _evaluable(v) for k, v in schema.get("properties", {}).items()
        }
        schema["x-yaml-tag"] = f"!{cls.TAG}"
        schema["x-kind"] = cls.KIND
        if name != cls.TAG:
            schema["description"] = (
                f"{cls.TAG} as SparseML builds it when a legacy-only field is set. "
                + (cls.__doc__ or "").strip()
            )
        elif cls.__doc__ and "description" not in schema:
            schema["description"] = cls.__doc__.strip().split("\n")[0]
        defs[name] = schema
        refs.append({"$ref": f"#/$defs/{name}"})
    defs["ModifierList"] = {"type": "array", "items": {"anyOf": refs}}
    modifier_list = {"$ref": "#/$defs/ModifierList"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "SparseML 1.8 recipe (legacy PyTorch modifiers)",
        "description": (
            "A mapping of variables and modifier lists. Modifiers are YAML-tagged "
            "mappings (!GMPruningModifier ...); each $defs entry names its tag in "
            "x-yaml-tag. Lists live under keys containing 'modifiers'; staged "
            "recipes nest such keys one level down. Values may be eval(...) strings "
            "over numeric variables."
        ),
        "type": "object",
        "patternProperties": {
            "modifiers": modifier_list,
        },
        "properties": {
            "version": {"type": ["string", "number"]},
            "__metadata__": {"type": "object"},
        },
        "additionalProperties": {
            "description": "A recipe variable, or a stage holding its own modifiers "
            "lists and variables.",
            "anyOf": [
                {"type": ["string", "number", "boolean", "null", "array"]},
                {"type": "object", "patternProperties": {"modifiers": modifier_list}},
            ],
        },
        "$defs": dict(sorted(defs.items())),
    }


def _types(schema: dict[str, Any]) -> set[str]:
    t = schema.get("type")
    out = {t} if isinstance(t, str) else set(t or ())
    for sub in schema.get("anyOf", ()):
        out |= _types(sub)
    return out


def _evaluable(prop: dict[str, Any]) -> dict[str, Any]:
    """A field's schema that also takes an `eval(...)` string where SparseML
    would evaluate one to its type."""
    if not _types(prop) & _EVALUABLE or "$ref" in prop:
        return prop
    prop = dict(prop)
    keep: dict[str, Any] = {
        k: prop.pop(k) for k in ("title", "description", "default") if k in prop
    }
    alternatives = prop["anyOf"] if set(prop) == {"anyOf"} else [prop]
    return {**keep, "anyOf": [*alternatives, EVAL]}


def custom_tags() -> list[str]:
    """`yaml.customTags` for the YAML language server: every modifier tag, as a
    mapping (docs/editors.md)."""
    return sorted({f"!{cls.TAG} mapping" for cls in all_models()})


def render() -> str:
    return json.dumps(recipe_schema(), indent=2, sort_keys=False) + "\n"
