"""SparseGPT's and Wanda's own validators (llm-compressor 0.14's
`SparsityModifierBase`), emulated with their words: `sparsity_profile` is
lower-cased and must be "owl" (a value that is no string raises AttributeError,
which escapes pydantic); once every field is valid, `sparsity_profile: owl`,
`owl_m` and `owl_lmbda` come all together or not at all, and `mask_structure` is
split as "N:M" into two ints (Python's `int`, as the engine calls it).

As for the quantization schemes (`schemes.py`): only where the registry names
no validator of the modifier that is not emulated here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .registry import registry
from .schemes import Checked, Error, Raw

EMULATED = frozenset(
    {"validate_model_after", "validate_sequential_update", "validate_sparsity_profile"}
)
_FIELDS = ("sparsity_profile", "owl_m", "owl_lmbda", "mask_structure")
_OWL = (
    'Value error, Must provide all of `profile="owl"`, `owl_m` and `owl_lmbda` or none'
)


def _emulated(name: str) -> bool:
    cls = registry().modifiers[name]
    names = set(cls.validator_names)
    return names == EMULATED and all(f in cls.fields for f in _FIELDS)


def check(name: str, values: Mapping[str, Any]) -> Checked:
    """`validate_sparsity_profile` (`validate_sequential_update` takes anything)."""
    if not _emulated(name) or values.get("sparsity_profile") is None:
        return Checked((), None, frozenset())
    value = values["sparsity_profile"]
    judged = frozenset({"sparsity_profile"})
    if not isinstance(value, str):
        raw = Raw(
            "AttributeError",
            f"'{type(value).__name__}' object has no attribute 'lower'",
            ("sparsity_profile",),
        )
        return Checked((), raw, judged)
    if value.lower() != "owl":
        message = "Value error, Please choose profile from ['owl']"
        return Checked((Error(("sparsity_profile",), message),), None, judged)
    return Checked((), None, judged)


def resolved(name: str, values: Mapping[str, Any]) -> Error | None:
    """`validate_model_after`, once every field is valid."""
    if not _emulated(name):
        return None
    profile = values.get("sparsity_profile")
    owl = (
        values.get("owl_m") is not None,
        values.get("owl_lmbda") is not None,
        isinstance(profile, str) and profile.lower() == "owl",
    )
    if any(owl) and not all(owl):
        return Error(("sparsity_profile" if owl[2] else _first_owl(values),), _OWL)
    structure = values.get("mask_structure", "0:0")
    try:
        n, m = str(structure).split(":")
        int(n), int(m)
    except ValueError as exc:
        return Error(("mask_structure",), f"Value error, {exc}")
    return None


def _first_owl(values: Mapping[str, Any]) -> str:
    return "owl_m" if values.get("owl_m") is not None else "owl_lmbda"
