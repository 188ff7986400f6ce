"""compressed-tensors 0.4.0's quantization models as SparseML 1.8 validates them in
`config_groups`: their types come from the registry's JSON Schema (nested models,
enums); what a schema cannot say is `QuantizationArgs.validate_strategy`, a
validator of the engine's own, emulated here. A field whose models have any
other validator is not checked (the registry names them; a new engine version
with another makes its field unchecked, never wrongly checked).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

EMULATED = {
    "QuantizationArgs": frozenset({"validate_strategy"}),
    "QuantizationScheme": frozenset(),
}
PARTS = ("weights", "input_activations", "output_activations")


def emulated(info: Mapping[str, Any]) -> bool:
    """Whether every validator of the field's nested models is one emulated here."""
    nested = info.get("nested") or {}
    return bool(nested) and all(
        m in EMULATED and set(v) <= EMULATED[m] for m, v in nested.items()
    )


def strategy_errors(config_groups: Any) -> list[str]:
    """pydantic's message for each QuantizationArgs whose `strategy` validator
    raises (in the order pydantic validates them)."""
    out: list[str] = []
    if not isinstance(config_groups, dict):
        return out
    for scheme in config_groups.values():
        if not isinstance(scheme, dict):
            continue
        for part in PARTS:
            args = scheme.get(part)
            if isinstance(args, dict):
                said = _strategy(args)
                if said:
                    out.append(said)
    return out


def _group_size(value: Any) -> int | None:
    """`group_size` as pydantic validated it before `strategy` (None where it
    was not given or failed: then the validator does not see it)."""
    from pydantic import TypeAdapter, ValidationError

    try:
        return TypeAdapter(int | None).validate_python(value)
    except ValidationError:
        return None


def _strategy(args: Mapping[str, Any]) -> str | None:
    """`validate_strategy(value, values)`: a strategy from group_size where none
    is given, and group_size required by the group strategy."""
    group_size = _group_size(args.get("group_size"))
    value = args.get("strategy")
    if group_size is not None and value is None:
        if group_size > 0 or group_size == -1:
            return None
        return (
            f"Value error, group_size={group_size} with strategy {value} is invald. "
            "group_size > 0 for strategy='group' and group_size = -1 for 'channel'"
        )
    if value == "group" and group_size is None:
        return f"Value error, strategy {value} requires group_size to be set."
    return None
