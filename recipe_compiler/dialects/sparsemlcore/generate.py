"""Write `registry.json`: the modifiers SparseML 1.8's `sparseml.core` builds for
PyTorch, as the engine itself defines them.

Run with the runner's Python (sparseml 1.8.0 with the LLM dependencies of its
time, the `sparseml-llm` extra; nothing of recipe-compiler is imported here):

    .venv/bin/python recipe_compiler/dialects/sparsemlcore/generate.py

Every name `ModifierFactory.refresh()` registers (attributes of `sparseml.modifiers`
whose name ends in `Modifier`), with the class `create_modifier(Framework.pytorch)`
instantiates (the `...PyTorch` sibling when its module imports, else the base
class, as `MultiFrameworkObject.__new__` falls back), its pydantic fields (whether
a recipe must give one, its default, its annotation and JSON Schema) and what its
own `__init__` checks (LegacyQuantizationModifier's scheme aliases). A test fails
when the file is not what this prints.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "registry.json"
os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")


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


def _plain(tp: Any) -> bool:
    """Whether an annotation is made of builtins alone (str, int, float, bool,
    None, Any, lists, tuples, str-keyed dicts, unions, literals): then its JSON
    Schema says all pydantic checks."""
    import types
    import typing

    if tp in (str, int, float, bool, type(None), typing.Any):
        return True
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Literal:
        return all(isinstance(a, str | int | bool) for a in args)
    if origin in (typing.Union, types.UnionType):
        return all(_plain(a) for a in args)
    if origin in (list, tuple) or tp in (list, tuple, dict):
        return all(_plain(a) for a in args if a is not Ellipsis)
    if origin is dict:  # (a bare Dict: any keys and values)
        return not args or (args[0] in (str, typing.Any) and _plain(args[1]))
    return False


def _schema(tp: Any) -> dict[str, Any] | None:
    """The annotation's JSON Schema in validation mode, or None where pydantic
    cannot write one (a torch or engine class)."""
    from pydantic import TypeAdapter

    try:
        return dict(TypeAdapter(tp).json_schema(mode="validation"))
    except Exception:  # a type JSON Schema cannot say: the field goes unchecked
        return None


def _fields(cls: Any) -> dict[str, Any]:
    from pydantic_core import PydanticUndefined

    out = {}
    for name, info in cls.model_fields.items():
        if info.default_factory is not None:
            default = _jsonable(info.default_factory())
        elif info.default is PydanticUndefined:
            default = None
        else:
            default = _jsonable(info.default)
        plain = _plain(info.annotation) and not info.metadata
        nested = None if plain else _nested(info.annotation)
        out[name] = {
            "required": info.is_required(),
            "default": default,
            "annotation": _annotation(info.annotation),
            "plain": plain,
            "schema": _schema(info.annotation) if plain or nested else None,
        }
        if nested:
            out[name]["nested"] = nested
    return out


def _nested(tp: Any) -> dict[str, list[str]] | None:
    """For an annotation of compressed-tensors' quantization models (config_groups:
    Dict[str, QuantizationScheme]): each model's own validators by name (the
    reader emulates the ones it knows, and checks nothing where it meets
    another); None for any other annotation."""
    import typing

    from pydantic import BaseModel

    models: dict[str, list[str]] = {}

    def walk(t: Any) -> bool:
        if isinstance(t, type) and issubclass(t, BaseModel):
            if not t.__module__.startswith("compressed_tensors.quantization"):
                return False
            decorators = t.__pydantic_decorators__
            models[t.__name__] = sorted(
                [
                    *decorators.validators,
                    *decorators.field_validators,
                    *decorators.model_validators,
                ]
            )
            return all(walk(f.annotation) for f in t.model_fields.values())
        if isinstance(t, type) and issubclass(t, str):  # str enums, str
            return True
        if t in (int, float, bool, type(None), typing.Any):
            return True
        args = [a for a in typing.get_args(t) if a is not Ellipsis]
        origin = typing.get_origin(t)
        if origin is None:
            return False
        return all(walk(a) for a in args)

    return models if walk(tp) and models else None


def _built(cls: Any) -> Any:
    """The class `create_modifier(Framework.pytorch)` instantiates for `cls`
    (core/framework_object.py: the sibling `pytorch` module's `<Name>PyTorch`,
    the base class when that module does not import)."""
    package = cls.__module__.rsplit(".", 1)[0]
    try:
        module = importlib.import_module(f"{package}.pytorch")
    except ImportError:
        return cls
    return getattr(module, f"{cls.__name__}PyTorch")


def registry() -> dict[str, Any]:
    answer, sys.stdout = sys.stdout, sys.stderr  # the factory prints import errors
    try:
        import sparseml
        import transformers
        from sparseml.core.factory import ModifierFactory
        from sparseml.modifiers.quantization_legacy.utils.quantization_scheme import (
            QuantizationScheme,
        )

        ModifierFactory.refresh()
    finally:
        sys.stdout = answer
    modifiers = {}
    for name in sorted(ModifierFactory._main_registry):
        base = ModifierFactory._main_registry[name]
        cls = _built(base)
        modifiers[name] = {
            "class": cls.__name__,
            "module": cls.__module__,
            "extra": cls.model_config.get("extra") or "ignore",
            "fields": _fields(cls),
            "validators": sorted(cls.__pydantic_decorators__.field_validators)
            + sorted(cls.__pydantic_decorators__.model_validators),
        }
    aliases = list(QuantizationScheme.__dict__.get("_aliases", {}) or ())
    return {
        "engine": {
            "sparseml": sparseml.__version__,
            "compressed-tensors": version("compressed-tensors"),
            "transformers": transformers.__version__,
        },
        "modifiers": modifiers,
        "legacy_scheme_aliases": aliases or _scheme_aliases(QuantizationScheme),
    }


def _scheme_aliases(scheme: Any) -> list[str]:
    """The string aliases `QuantizationScheme.load` takes, from its own error
    message (the engine lists them there)."""
    try:
        scheme.load("\x00")
    except ValueError as exc:
        listed = str(exc).split("Valid strings:", 1)[1]
        return json.loads(listed.strip().replace("'", '"'))  # its order
    raise AssertionError("QuantizationScheme.load took an unknown alias")


def text() -> str:
    return json.dumps(registry(), indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    if "--print" in sys.argv:
        sys.stdout.write(text())
    else:
        OUT.write_text(text())
        print(f"wrote {OUT}", file=sys.stderr)
