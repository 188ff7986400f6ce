"""The JSON Schema of the recipe format, generated from the modifier models."""

from __future__ import annotations

import json
from typing import Any

from .modifiers import all_models

SCHEMA_ID = "https://recipe-compiler.dev/schemas/recipe.schema.json"


def recipe_schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    refs = []
    for cls in all_models():
        name = cls.__name__
        schema = cls.model_json_schema(ref_template="#/$defs/{model}")
        for sub, body in schema.pop("$defs", {}).items():
            defs[sub] = body
        schema.get("properties", {}).pop("log_types", None)
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
    modifier_list = {"type": "array", "items": {"anyOf": refs}}
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
            "lists and variables."
        },
        "$defs": dict(sorted(defs.items())),
    }


def render() -> str:
    return json.dumps(recipe_schema(), indent=2, sort_keys=False) + "\n"
