"""A quantizing modifier's schemes as llm-compressor 0.14 validates them when the
recipe builds it: `config_groups` (compressed-tensors' QuantizationScheme, each
with QuantizationArgs for weights and activations), `kv_cache_scheme`
(QuantizationArgs), `targets` and `observer` (validators of the mixin's own),
then the mixin's model validator, which resolves the config (`scheme` with
`config_groups`, observers given twice, GPTQ's `actorder` against a group's).

The types come from the registry's JSON Schemas (enums, nested models), checked
by pydantic as the engine's models are; the validators the schemas cannot say
are emulated here, with their words. The registry names every validator each
model and modifier has (`generate.py`): where one is not emulated here (a new
compressed-tensors or llm-compressor), nothing here is checked, so an engine
version that validates more leaves a field unchecked, never wrongly checked.

pydantic counts one error per failing value (a union's members each); a
validator's ValueError is one; any other exception (TypeError from `group_size:
"128"`, NotImplementedError from a float of 16 bits or an activation strategy the
scheme refuses) escapes pydantic and is what the engine raises (`Raw`).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

from ..field_types import type_of
from .registry import registry

EMULATED_MODELS = {
    "QuantizationArgs": frozenset(
        {
            "validate_actorder",
            "validate_block_structure",
            "validate_dynamic",
            "validate_group",
            "validate_model_after",
            "validate_strategy",
            "validate_type",
        }
    ),
    "QuantizationScheme": frozenset({"validate_model_after"}),
}
EMULATED_MODIFIER = frozenset(
    {
        "_set_requires_calibration_data",
        "_validate_batched_quantization",
        "validate_observer",
        "validate_scheme",
        "validate_targets",
    }
)
_ACTIVATION_STRATEGIES = ("token", "tensor", "group", "tensor_group", "attn_head")
_DYNAMIC_STRATEGIES = ("token", "tensor", "tensor_group", "group")
_GPTQ_ORDERED = ("group", "tensor_group", "channel", "tensor", "block")
_OBSERVER_KEYS = ("weights", "input", "output")
_EXTRA = "Extra inputs are not permitted"


class Raw(Exception):
    """An exception pydantic does not collect: the engine raises it as it is."""

    def __init__(self, kind: str, message: str, path: tuple[Any, ...]):
        super().__init__(f"{kind}: {message}")
        self.error, self.path = f"{kind}: {message}", path


class Unchecked(Exception):
    """A value this module does not judge (torch dtypes)."""


@dataclasses.dataclass(frozen=True)
class Error:
    path: tuple[Any, ...]  # (field, ...) inside the modifier
    message: str


def emulates(validator_names: tuple[str, ...]) -> bool:
    """Whether the modifier's validators and its nested models' are all emulated."""
    models = registry().models
    return set(validator_names) <= EMULATED_MODIFIER and all(
        set(models.get(name, {}).get("validator_names", ["?"])) <= names
        for name, names in EMULATED_MODELS.items()
    )


@functools.cache
def _defs() -> Mapping[str, Any]:
    return registry().modifiers["QuantizationModifier"].defs


def _enum(name: str) -> tuple[str, ...]:
    return tuple(_defs()[name]["enum"])


def _typed(schema: Mapping[str, Any], value: Any, path: tuple[Any, ...]) -> Any:
    """The value as pydantic validates it against the schema (errors raised as
    a list of Error)."""
    import pydantic

    adapter = _adapter(repr(schema), schema)
    try:
        return adapter.validate_python(value)
    except pydantic.ValidationError as exc:
        raise _Errors(
            [Error(path + tuple(e["loc"]), e["msg"]) for e in exc.errors()]
        ) from None


_ADAPTERS: dict[str, Any] = {}


def _adapter(key: str, schema: Mapping[str, Any]) -> Any:
    if key not in _ADAPTERS:
        import pydantic

        _ADAPTERS[key] = pydantic.TypeAdapter(type_of(schema, _defs()))
    return _ADAPTERS[key]


class _Errors(Exception):
    def __init__(self, errors: list[Error]):
        super().__init__(errors)
        self.errors = errors


def _value_error(path: tuple[Any, ...], message: str) -> _Errors:
    return _Errors([Error(path, f"Value error, {message}")])


def _type_name(value: Any) -> str:
    return type(value).__name__


def _before_args(field: str, value: Any, path: tuple[Any, ...]) -> Any:
    """QuantizationArgs' own `before` validators."""
    if field == "type" and isinstance(value, str):
        return _member(value.lower(), "QuantizationType", path)
    if field == "strategy" and isinstance(value, str):
        return _member(value.lower(), "QuantizationStrategy", path)
    if field == "dynamic" and isinstance(value, str):
        return _member(value.lower(), "DynamicType", path)
    if field == "group_size" and value is not None:
        try:
            below = value < -1
        except TypeError:
            raise Raw(
                "TypeError",
                "'<' not supported between instances of "
                f"'{_type_name(value)}' and 'int'",
                path,
            ) from None
        if below:
            raise _value_error(
                path,
                f"Invalid group size {value}. Use group_size > 0 for "
                "strategy='group' and group_size = -1 for 'channel'",
            )
    if field == "block_structure" and value is not None:
        return _block_structure(value, path)
    if field == "actorder":
        if isinstance(value, bool):
            if value:
                raise _value_error(
                    path,
                    "actorder=True previously mapped to ActivationOrdering.GROUP, "
                    "which has been removed. Consider using actorder='weight' "
                    "instead.",
                )
            return None
        if isinstance(value, str) and value.lower() in ("group", "dynamic"):
            raise _value_error(
                path,
                f"actorder='{value}' has been removed. Consider using "
                "actorder='weight' or actorder=None instead.",
            )
    return value


def _member(value: str, enum: str, path: tuple[Any, ...]) -> str:
    if value not in _enum(enum):
        raise _value_error(path, f"'{value}' is not a valid {enum}")
    return value


def _block_structure(value: Any, path: tuple[Any, ...]) -> list[int]:
    error = _value_error(
        path,
        f"Invalid block_structure '{value}'. Must be a list of positive ints "
        "[rows, cols].",
    )
    if isinstance(value, str):
        try:
            value = [int(x) for x in value.split("x")]
        except Exception:
            raise error from None
    if isinstance(value, list | tuple):
        if (
            len(value) != 2
            or not all(isinstance(v, int) for v in value)
            or not all(v > 0 for v in value)
        ):
            raise error
        return list(value)
    raise error


def model(
    name: str,
    value: Any,
    path: tuple[Any, ...],
    nested: Mapping[str, Any],
) -> tuple[list[Error], dict[str, Any] | None]:
    """A nested model validated: its errors, and its validated fields (None
    when it has errors)."""
    if not isinstance(value, dict):
        return [
            Error(path, f"Input should be a valid dictionary or instance of {name}")
        ], None
    schema = _defs()[name]
    props, required = schema["properties"], set(schema.get("required", ()))
    errors: list[Error] = []
    out: dict[str, Any] = {}
    for field in [f["name"] for f in registry().models[name]["fields"]]:
        where = (*path, field)
        if field not in value:
            if field in required:
                errors.append(Error(where, "Field required"))
            out[field] = props[field].get("default")
            continue
        given = value[field]
        try:
            if field in nested and given is not None:
                found, validated = model(nested[field], given, where, {})
                errors += found
                out[field] = validated
                continue
            if field in ("scale_dtype", "zp_dtype") and given is not None:
                raise Unchecked(field)  # torch's dtype: its own rules
            if name == "QuantizationArgs":
                given = _before_args(field, given, where)
            out[field] = _typed(props[field], given, where)
        except _Errors as exc:
            errors += exc.errors
    errors += [
        Error((*path, k), "Extra inputs are not permitted")
        for k in value
        if k not in props
    ]
    if errors:
        return errors, None
    after = _args_after if name == "QuantizationArgs" else _scheme_after
    try:
        after(out, path)
    except _Errors as exc:
        return exc.errors, None
    return [], out


def _args_after(args: dict[str, Any], path: tuple[Any, ...]) -> None:
    """`QuantizationArgs.validate_model_after`, which also infers the strategy."""
    strategy, group_size = args["strategy"], args["group_size"]
    block, dynamic = args["block_structure"], args["dynamic"]
    if strategy is None:
        if group_size is None:
            strategy = "tensor"
        elif group_size > 0:
            strategy = "group"
        elif group_size == -1:
            strategy = "channel"
        else:
            raise _value_error(
                path,
                f"Invalid group size {group_size}. Use group_size > 0 for "
                "strategy='group' and group_size = -1 for 'channel'",
            )
    if strategy == "token" and not dynamic:
        raise _value_error(
            path, "Cannot perform static token quantization, please use `dynamic=True`"
        )
    if strategy in ("group", "tensor_group") and (
        group_size is None or group_size <= 0
    ):
        raise _value_error(
            path,
            f"strategy {strategy} requires group_size to be set to a positive value",
        )
    if (
        group_size is not None
        and group_size > 0
        and strategy
        not in (
            "group",
            "tensor_group",
        )
    ):
        raise _value_error(path, "group_size requires strategy to be set to 'group'")
    if strategy == "block" and block is None:
        raise _value_error(path, "Block strategy requires block structure")
    if block is not None and strategy != "block":
        raise _value_error(path, "Block structure requires block strategy")
    if dynamic:
        if strategy not in _DYNAMIC_STRATEGIES:
            raise _value_error(
                path, f"One of {_DYNAMIC_STRATEGIES} must be used for dynamic quant."
            )
        if dynamic == "local" and strategy != "tensor_group":
            raise _value_error(
                path, "local is only supported for strategy tensor_group"
            )
    if args["type"] == "float" and args["num_bits"] not in (4, 8):
        raise Raw("NotImplementedError", "Only num_bits in (8) are supported", path)
    if args["strategy"] is None:  # the validator assigns the enum member it inferred
        args["strategy_text"] = f"QuantizationStrategy.{strategy.upper()}"
    args["strategy"] = strategy


def _scheme_after(scheme: dict[str, Any], path: tuple[Any, ...]) -> None:
    """`QuantizationScheme.validate_model_after`."""
    inputs, outputs = scheme["input_activations"], scheme["output_activations"]
    if inputs is not None:
        if inputs["strategy"] not in _ACTIVATION_STRATEGIES:
            raise Raw(
                "NotImplementedError",
                f"Using {inputs.get('strategy_text', inputs['strategy'])} strategy "
                "is not supported for "
                "activation quantization",
                (*path, "input_activations", "strategy"),
            )
        if inputs["actorder"] is not None:
            raise _value_error(
                (*path, "input_activations", "actorder"),
                "Cannot apply actorder to input activations",
            )
    if outputs is not None and outputs["actorder"] is not None:
        raise _value_error(
            (*path, "output_activations", "actorder"),
            "Cannot apply actorder to output activations",
        )
    if scheme["format"] == "mixed-precision":
        raise _value_error(
            path, "mixed-precision cannot be set as a format for a QuantizationScheme"
        )


@dataclasses.dataclass(frozen=True)
class Checked:
    """What the modifier's validation makes of the fields this module checks."""

    errors: tuple[Error, ...]  # one each, as pydantic counts them
    raw: Raw | None  # an exception that escapes (it is what the engine raises)
    checked: frozenset[str]  # the fields judged here (others: field_types)


def check(name: str, values: Mapping[str, Any]) -> Checked:
    """The fields `config_groups`, `kv_cache_scheme`, `targets` and `observer`
    of a quantizing modifier, as its validation judges them."""
    cls = registry().modifiers[name]
    if not cls.quantizes or not emulates(cls.validator_names):
        return Checked((), None, frozenset())
    errors: list[Error] = []
    judged = {"targets", "observer", "config_groups", "kv_cache_scheme"}
    try:
        for field in ("config_groups", "kv_cache_scheme"):
            if values.get(field) is None:
                continue
            try:
                errors += _field(field, values[field])
            except Unchecked:
                judged.discard(field)
        errors += _targets(values)
        errors += _observer(values)
    except Raw as exc:
        return Checked(tuple(errors), exc, frozenset(judged))
    return Checked(tuple(errors), None, frozenset(judged))


def _field(field: str, value: Any) -> list[Error]:
    parts = dict.fromkeys(PARTS, "QuantizationArgs")
    if field == "kv_cache_scheme":
        return model("QuantizationArgs", value, (field,), {})[0]
    if not isinstance(value, dict):
        return [Error((field,), "Input should be a valid dictionary")]
    errors: list[Error] = []
    for key, scheme in value.items():
        if not isinstance(key, str):
            errors.append(Error((field, key), "Input should be a valid string"))
        errors += model("QuantizationScheme", scheme, (field, key), parts)[0]
    return errors


PARTS = ("weights", "input_activations", "output_activations")


def _targets(values: Mapping[str, Any]) -> list[Error]:
    """`validate_targets`: a string becomes a list of it, then `str | list[str]`."""
    if "targets" not in values:
        return []
    value = values["targets"]
    if isinstance(value, str):
        return []
    schema = registry().modifiers["QuantizationModifier"].fields["targets"]["schema"]
    try:
        _typed(schema, value, ("targets",))
    except _Errors as exc:
        return exc.errors
    return []


def _observer(values: Mapping[str, Any]) -> list[Error]:
    """`validate_observer`: None, or a mapping of weights/input/output to strings."""
    value = values.get("observer")
    if value is None:
        return []
    path = ("observer",)
    if not isinstance(value, dict):
        return [Error(path, "Value error, `observer` must be a dictionary")]
    for key, obs in value.items():
        if key not in _OBSERVER_KEYS:
            return [
                Error(
                    path,
                    f"Value error, Invalid observer key '{key}'. Valid keys are: "
                    "{'weights', 'input', 'output'}",
                )
            ]
        if not isinstance(obs, str):
            return [
                Error(path, f"Value error, Observer value for '{key}' must be a string")
            ]
    return []


def resolved(name: str, values: Mapping[str, Any]) -> Error | None:
    """`_set_requires_calibration_data`, run once every field is valid: unless a
    `kv_cache_scheme` or `requires_calibration_data` returns first, the config
    is resolved, which refuses `scheme` with `config_groups`, observers given
    both ways and a GPTQ `actorder` that differs from a group's."""
    cls = registry().modifiers[name]
    if not cls.quantizes or not emulates(cls.validator_names):
        return None
    if _needs_data(cls, values) or values.get("kv_cache_scheme") is not None:
        return None  # (GPTQ's and AutoRound's default: their config resolves later)
    if values.get("scheme") is not None and values.get("config_groups") is not None:
        return Error(
            ("scheme",),
            "Value error, Please specify either `scheme` or `config_groups`",
        )
    individual = any(
        values.get(f) is not None
        for f in ("weight_observer", "input_observer", "output_observer")
    )
    if individual and values.get("observer") is not None:
        return Error(
            ("observer",),
            "Value error, Cannot specify both individual observer parameters "
            "(weight_observer, input_observer, output_observer) and observer dict. "
            "Please use either individual parameters or the observer dict.",
        )
    if name == "GPTQModifier" and "actorder" in values:
        return _actorder(values)
    return None


def _needs_data(cls: Any, values: Mapping[str, Any]) -> bool:
    """`requires_calibration_data` as validated (lax bool), else its default."""
    import pydantic

    field = cls.fields["requires_calibration_data"]
    if "requires_calibration_data" not in values:
        return bool(field["default"])
    given = values["requires_calibration_data"]
    return bool(pydantic.TypeAdapter(bool).validate_python(given))


def _actorder(values: Mapping[str, Any]) -> Error | None:
    """GPTQ's `actorder` given and a config group's weights ordered otherwise."""
    mine = values["actorder"]
    if mine == "static" or values.get("scheme") is not None:
        return None  # (presets order nothing)
    for scheme in (values.get("config_groups") or {}).values():
        _, weights = model("QuantizationArgs", scheme.get("weights"), (), {})
        if weights is None or weights["strategy"] not in _GPTQ_ORDERED:
            continue
        theirs = weights["actorder"]
        if theirs is not None and mine != theirs:
            return Error(
                ("actorder",),
                "Value error, Cannot resolve activation ordering when both "
                "`GPTQModifier.actorder` and `QuantizationScheme.actorder` are "
                f"provided and differ ({mine}, {theirs}).",
            )
    return None
