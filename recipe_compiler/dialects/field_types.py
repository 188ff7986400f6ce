"""The types of a staged modifier's fields, checked as the engine's pydantic
checks them (llm-compressor's and sparseml.core's modifiers are pydantic models):
from each field's JSON Schema in the dialect's registry (generated from the
engine's own classes), a pydantic model of the fields that can be checked,
validated in pydantic's lax mode as the engine's models are (a number written as
a string is a number, 1.5 is no integer).

A field is checked only where its schema says all the engine checks: its
annotation is made of builtins alone (the registry's `plain`: not torch's dtype,
an enum or a nested model such as QuantizationScheme, nor a Strict int), and it
has no "before" validator of its own (one may take what its type alone would
not: `targets`, `scheme`). Checking fewer fields than the
engine means missing an error, never inventing one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Union


class _Unchecked(Exception):
    """A schema this module does not turn into a type."""


def _type(schema: Mapping[str, Any], defs: Mapping[str, Any] | None = None) -> Any:
    """The Python type pydantic validates as the schema says. `defs`: the
    schema's `$defs`, for a nested model's `$ref` (each a model built once)."""
    if not schema:
        return Any  # the empty schema: any value (a bare Tuple's items)
    if "$ref" in schema:
        return _ref(schema["$ref"], defs)
    if "allOf" in schema and len(schema["allOf"]) == 1:  # (a $ref with a default)
        return _type(schema["allOf"][0], defs)
    if "allOf" in schema or "oneOf" in schema:
        raise _Unchecked
    if "anyOf" in schema:
        members = [_type(s, defs) for s in schema["anyOf"]]
        return Union[tuple(members)]  # noqa: UP007 - built from a list
    if "const" in schema:
        return Literal[schema["const"]]
    if "enum" in schema:
        return Literal[tuple(schema["enum"])]
    kind = schema.get("type")
    if kind is None:
        raise _Unchecked
    if kind == "string":
        return str
    if kind == "integer":
        return int
    if kind == "number":
        return float
    if kind == "boolean":
        return bool
    if kind == "null":
        return type(None)
    if kind == "array":
        items = schema.get("items")
        if items is None:
            return list[Any]
        return list[_type(items, defs)]  # type: ignore[misc]
    if kind == "object":
        extra = schema.get("additionalProperties", True)
        if extra is True or extra == {}:
            return dict[Any, Any]  # (keys unchecked: a bare Dict takes any)
        if extra is False:
            raise _Unchecked
        return dict[str, _type(extra, defs)]  # type: ignore[misc]
    raise _Unchecked


def type_of(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Any:
    """The Python type pydantic validates as `schema` says (`defs`: its models
    and enums); ValueError where it cannot say."""
    try:
        return _type(schema, defs)
    except _Unchecked:
        raise ValueError(f"a schema not turned into a type: {schema}") from None


_NESTED: dict[tuple[str, int], Any] = {}


def _ref(ref: str, defs: Mapping[str, Any] | None) -> Any:
    """A `$ref` into `defs`: an enum (its values) or a model of its properties,
    required ones required, extra fields ignored (pydantic's default)."""
    name = ref.rsplit("/", 1)[-1]
    if not defs or name not in defs:
        raise _Unchecked
    key = (name, id(defs))
    if key not in _NESTED:
        import pydantic

        body = defs[name]
        if "enum" in body:
            _NESTED[key] = Literal[tuple(body["enum"])]
        elif body.get("type") == "object":
            required = set(body.get("required", ()))
            props = {
                f: (_type(p, defs), ... if f in required else None)
                for f, p in body.get("properties", {}).items()
            }
            _NESTED[key] = pydantic.create_model(  # type: ignore[call-overload]
                name,
                __config__=pydantic.ConfigDict(extra="ignore", protected_namespaces=()),
                **props,
            )
        else:
            raise _Unchecked
    return _NESTED[key]


_MODELS: dict[tuple[str, str], Any] = {}


def _model(key: tuple[str, str], fields_of: Mapping[str, Mapping[str, Any]]) -> Any:
    """A pydantic model of the modifier's checkable fields (None: none are),
    built once per (dialect, modifier)."""
    if key not in _MODELS:
        _MODELS[key] = _build(key[1], fields_of)
    return _MODELS[key]


def _build(name: str, fields_of: Mapping[str, Mapping[str, Any]]) -> Any:
    import pydantic

    fields: dict[str, Any] = {}
    for field, info in fields_of.items():
        schema = info.get("schema")
        if not schema or not info.get("plain"):
            continue  # a type of the engine's own, whose schema says less
        if any(mode != "after" for mode in info.get("validators", [])):
            continue
        try:  # (a default is not validated: None stands for any)
            fields[field] = (_type(schema, schema.get("$defs")), None)
        except _Unchecked:
            continue
    if not fields:
        return None
    return pydantic.create_model(
        f"{name}Fields",
        __config__=pydantic.ConfigDict(extra="ignore", protected_namespaces=()),
        **fields,
    )


def wrong_types(
    key: tuple[str, str],
    fields: Mapping[str, Mapping[str, Any]],
    values: Mapping[str, Any],
) -> list[tuple[str, str]]:
    """(field, pydantic's message) of each error the engine's model raises on
    a value's type, among the fields that can be checked: as many as the engine
    counts (a union's members each fail on a value none of them takes). `key`:
    (dialect, modifier name); `fields`: the registry's fields of that modifier."""
    model = _model(key, fields)
    if model is None:
        return []
    import pydantic

    given = {k: v for k, v in values.items() if k in model.model_fields}
    try:
        model.model_validate(given)
    except pydantic.ValidationError as exc:
        return [
            (str(err["loc"][0]), _where(err["loc"][1:]) + err["msg"])
            for err in exc.errors()
        ]
    return []


def _where(loc: tuple[Any, ...]) -> str:
    """Inside a field (a nested model's own field, an item): where, as a path."""
    return ".".join(str(part) for part in loc) + ": " if loc else ""


def checked(
    key: tuple[str, str], fields: Mapping[str, Mapping[str, Any]]
) -> tuple[str, ...]:
    """The fields of a modifier whose types are checked."""
    model = _model(key, fields)
    return () if model is None else tuple(model.model_fields)
