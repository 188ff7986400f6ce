"""Write `registry.json`: llm-compressor 0.14's modifiers and compressed-tensors'
preset schemes, as the engine itself defines them.

Run with the Python of `.venv-llmc` (the engine's own environment; nothing of
recipe-compiler is imported here, and nothing here is imported by recipe-compiler):

    .venv-llmc/bin/python recipe_compiler/dialects/llmcompressor/generate.py

Every name the engine's `ModifierFactory` registers (as `Recipe.create_instance`
finds them), whether it is abstract, quantizes (`QuantizationMixin`) or is AWQ,
with each pydantic field: whether a recipe must give it, its default
(JSON where it is, else its repr) and its annotation; then each preset scheme
(`W4A16`, `FP8_DYNAMIC`, ...) with what it quantizes. tests/llmc/test_registry.py
fails when the file is not what this prints.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "registry.json"


def _jsonable(value: Any) -> Any:
    """The value as JSON, or its repr (marked) when JSON cannot hold it."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return {"repr": repr(value)}
    return value


def _annotation(tp: Any) -> str:
    text = getattr(tp, "__name__", None) if isinstance(tp, type) else None
    return text or str(tp).replace("typing.", "")


def _schema(cls: Any) -> dict[str, Any]:
    """The model's JSON Schema in validation mode (properties, $defs), or {} where
    pydantic cannot write one."""
    try:
        return dict(cls.model_json_schema(mode="validation"))
    except Exception:  # a type JSON Schema cannot say: its fields go unchecked
        return {}


def _validators(cls: Any) -> dict[str, list[str]]:
    """field -> the modes of its own validators ("before" ones may accept what
    its type alone would not)."""
    out: dict[str, list[str]] = {}
    for dec in cls.__pydantic_decorators__.field_validators.values():
        for field in dec.info.fields:
            out.setdefault(field, []).append(dec.info.mode)
    return {k: sorted(v) for k, v in out.items()}


def _plain(tp: Any) -> bool:
    """Whether an annotation is made of builtins alone (str, int, float, bool,
    None, Any, lists, str-keyed dicts, unions, literals): then its JSON Schema
    says all pydantic checks. A class of the engine's (an enum, a model, torch's
    dtype), Annotated metadata (Strict) or anything else: False."""
    import types
    import typing

    if tp in (str, int, float, bool, type(None), typing.Any):
        return True
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Literal:
        return all(isinstance(a, str | int | bool) for a in args)
    if origin in (typing.Union, types.UnionType):
        return all(_plain(a) for a in args)
    if origin is list:
        return all(_plain(a) for a in args)
    if origin is dict:
        return len(args) == 2 and args[0] is str and _plain(args[1])
    return False


def _fields(cls: Any) -> dict[str, Any]:
    from pydantic_core import PydanticUndefined

    schema = _schema(cls).get("properties", {})
    validators = _validators(cls)
    out = {}
    for name, info in cls.model_fields.items():
        if info.default_factory is not None:
            default = _jsonable(info.default_factory())
        elif info.default is PydanticUndefined:
            default = None
        else:
            default = _jsonable(info.default)
        out[name] = {
            "required": info.is_required(),
            "default": default,
            "annotation": _annotation(info.annotation),
            "plain": _plain(info.annotation) and not info.metadata,
            "validators": validators.get(name, []),
            "schema": schema.get(name),
        }
    return out


def _names(cls: Any) -> list[str]:
    """The names of a model's own validators, field and model ones: a name
    recipe-compiler does not emulate leaves what it checks unchecked."""
    decorators = cls.__pydantic_decorators__
    return sorted([*decorators.field_validators, *decorators.model_validators])


def _nested() -> list[Any]:
    """compressed-tensors' models a recipe writes inside a modifier
    (`config_groups`, `kv_cache_scheme`)."""
    from compressed_tensors.quantization import QuantizationArgs, QuantizationScheme

    return [QuantizationArgs, QuantizationScheme]


def _model(cls: Any) -> dict[str, Any]:
    """A nested model's fields in the order pydantic validates them, each with
    the modes of its own validators, and its validators' names."""
    validators = _validators(cls)
    return {
        "fields": [
            {"name": name, "validators": validators.get(name, [])}
            for name in cls.model_fields
        ],
        "validator_names": _names(cls),
    }


def _scheme(preset: dict[str, Any]) -> dict[str, Any]:
    """What a preset quantizes: weights, input and output activations."""
    out = {}
    for part, args in preset.items():
        dumped = args.model_dump(mode="json") if hasattr(args, "model_dump") else args
        out[part] = {k: _jsonable(v) for k, v in dumped.items()}
    return out


def registry() -> dict[str, Any]:
    answer, sys.stdout = sys.stdout, sys.stderr  # the factory prints import errors
    try:
        import compressed_tensors
        import llmcompressor
        from compressed_tensors.quantization.quant_scheme import PRESET_SCHEMES
        from llmcompressor.modifiers import ModifierFactory
        from llmcompressor.modifiers.quantization import QuantizationMixin
        from llmcompressor.modifiers.transform import AWQModifier

        ModifierFactory.refresh()
    finally:
        sys.stdout = answer
    modifiers = {}
    for kind, found in (
        ("main", ModifierFactory._main_registry),
        ("experimental", ModifierFactory._experimental_registry),
    ):
        for name in sorted(found):
            cls = found[name]
            modifiers[name] = {
                "registry": kind,
                "module": cls.__module__,
                "extra": cls.model_config.get("extra"),
                # a class with abstract methods raises TypeError when the recipe
                # builds it; the recipe's check: AWQ needs a quantizing one after it
                "abstract": sorted(getattr(cls, "__abstractmethods__", ())),
                "quantizes": issubclass(cls, QuantizationMixin),
                "awq": issubclass(cls, AWQModifier),
                "fields": _fields(cls),
                "defs": _schema(cls).get("$defs", {}),
                "model_validators": sorted(
                    d.info.mode
                    for d in cls.__pydantic_decorators__.model_validators.values()
                ),
                "validator_names": _names(cls),
            }
    return {
        "engine": {
            "llmcompressor": llmcompressor.__version__,
            "compressed-tensors": compressed_tensors.__version__,
        },
        "modifiers": modifiers,
        "models": {cls.__name__: _model(cls) for cls in _nested()},
        "preset_schemes": {
            n: _scheme(PRESET_SCHEMES[n]) for n in sorted(PRESET_SCHEMES)
        },
    }


def text() -> str:
    return json.dumps(registry(), indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    if "--print" in sys.argv:
        sys.stdout.write(text())
    else:
        OUT.write_text(text())
        print(f"wrote {OUT}", file=sys.stderr)
