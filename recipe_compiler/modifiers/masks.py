"""What SparseML does with a sparsity handed as it is to its masks.

AC/DC's `compression_sparsity` and TopKAST's `backward_sparsity` go unchanged to
`ModuleParamPruningMask.update_param_masks` when the modifier starts
(sparseml/pytorch/sparsification/pruning/mask_params.py, mask_creator.py). Any
iterable is taken as one target per parameter: a list, a mapping's keys, a
string's characters. What fails there, in SparseML's order:

1. the thinning adjustment indexes each target's parameter: a target past the
   last parameter raises IndexError (None targets are skipped);
2. an N:M mask checks only a `float` or a `list`: every value 0, or every value
   within 1e-2 of 1 - N/M (ValueError; a non-number raises TypeError). A mapping
   or a string passes unchecked, and the mask prunes N:M;
3. any other mask needs exactly one target per parameter (ValueError); pruning
   globally, all equal to `target[0]` (a mapping without the key 0: KeyError;
   else ValueError); each a number (TypeError) and not NaN (ValueError).

A scalar becomes `[value] * len(params)`; its checks are `check_nm_ratio` and
clock's NaN crash. A count is judged only where the params are explicit names:
a regex or `__ALL_PRUNABLE__` matches a number of parameters only the model knows.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from .base import NAN_TO_INT, Modifier, _describe, fail
from .gradual import nm_sparsity

_AT_START = "SparseML fails when the modifier starts"


def _targets(v: Any) -> Any:
    """A number (YAML 1.1's `yes` is 1) or an iterable SparseML reads as one target
    per parameter; anything else (null) fails `<=` in the mask creator."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int | float | list | dict | str):
        return v
    raise fail(
        "RC104",
        f"must be a number or one number per parameter, got {_describe(v)}; "
        f"{_AT_START} (TypeError)",
        on_start=True,
    )


Targets = Annotated[
    Any,
    BeforeValidator(_targets),
    Field(
        description="A sparsity, or one per parameter: a list, or a mapping whose "
        "keys SparseML reads as the list."
    ),
]


def _is_number(v: object) -> bool:
    return isinstance(v, int | float)


def explicit_count(m: Modifier) -> int | None:
    """How many parameters `params` names, where it names them (no regex)."""
    names = m.params if isinstance(getattr(m, "params", None), list) else None  # type: ignore[attr-defined]
    return len(names) if names and not any(x.startswith("re:") for x in names) else None


def check_targets(m: Modifier, field: str) -> None:
    """Raise where SparseML's masks fail on `field` given per parameter."""
    value = getattr(m, field)
    if not isinstance(value, list | dict | str):
        return
    targets = list(value)
    n = explicit_count(m)
    shown = repr(value) if isinstance(value, str) else str(targets)

    def error(code: str, why: str, raised: str) -> PydanticCustomError:
        if isinstance(value, str):  # a wrong type first, whatever it then breaks
            code, why = "RC104", f"a string is one target per character: {why}"
        message = f"{field} {shown}: {why}; {_AT_START} ({raised})"
        return fail(code, message, field, on_start=True)

    if n is not None and any(t is not None for t in targets[n:]):
        raise error(
            "RC105",
            f"{len(targets)} values for {n} params (one per parameter)",
            "IndexError",
        )
    ratio = nm_sparsity(getattr(m, "mask_type", None))
    if ratio is not None:
        if not isinstance(value, list) or all(t == 0.0 for t in targets):
            return
        for t in targets:
            if not _is_number(t):
                raise error("RC104", f"{_describe(t)} is not a number", "TypeError")
            if abs(ratio - t) > 1e-2:
                raise error(
                    "RC105",
                    f"an N:M mask prunes exactly {ratio:g}, each value must be that "
                    "or all 0",
                    "ValueError",
                )
        return
    if not targets or (n is not None and len(targets) != n):
        raise error(
            "RC105",
            f"{len(targets)} values for "
            + (f"{n} params" if n is not None else "the params")
            + " (one per parameter)",
            "ValueError",
        )
    if getattr(m, "global_sparsity", False):
        if isinstance(value, dict) and 0 not in value:
            raise error(
                "RC105",
                "pruning globally, SparseML reads target[0], which this mapping lacks",
                "KeyError",
            )
        first = value[0]
        if any(t != first for t in targets):
            raise error(
                "RC105",
                "global pruning needs one sparsity for all parameters",
                "ValueError",
            )
    for t in targets:
        if not _is_number(t):
            raise error("RC104", f"{_describe(t)} is not a number", "TypeError")
        if t != t:
            raise error("RC105", "a NaN sparsity", NAN_TO_INT)
