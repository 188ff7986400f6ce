"""Writing modifiers back as YAML that SparseML 1.8 reads exactly as meant.

Numbers are written so that PyYAML's YAML 1.1 rules give back the same value
(`1e-05` would be a string there, so it is written `1.0e-05`), tags stand alone on
their line (a `.` after a tag on its line hides it from SparseML), and strings are
double-quoted.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        if "e" in text:
            mantissa, _, exponent = text.partition("e")
            if "." not in mantissa:
                mantissa += ".0"
            if exponent[0] not in "+-":
                exponent = "+" + exponent
            text = f"{mantissa}e{exponent}"
        return text
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{scalar(k)}: {scalar(v)}" for k, v in value.items()) + "}"
        )
    raise TypeError(f"cannot write {type(value).__name__} in a recipe")


def modifiers_yaml(
    items: Iterable[tuple[str, dict[str, Any]]], key: str = "modifiers"
) -> str:
    """A recipe with one list of modifiers, each `- !Tag` and its fields below."""
    lines = [f"{key}:"]
    for tag, fields in items:
        lines.append(f"  - !{tag}")
        lines += [f"    {k}: {scalar(v)}" for k, v in fields.items()]
    return "\n".join(lines) + "\n"
