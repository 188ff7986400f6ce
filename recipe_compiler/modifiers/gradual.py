"""Gradual magnitude pruning (GMP): sparsity interpolated from start to end epoch.

The family of SparseML's `BaseGradualPruningModifier` that recipes use most; its
rarer members (MFAC, OBS, structured) are in `pruning.py`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from .base import (
    FROM_PARAM,
    INTER_FUNCS,
    Epoch,
    Flag,
    Frequency,
    Modifier,
    Params,
    _describe,
    fail,
)


def _init_sparsity(v: Any) -> float | str:
    # sparsification/modifier_pruning.py: GMPruningModifier.validate: a float in
    # [0, 1] or __FROM_PARAM__; an int (even 0) is a TypeError
    if v == FROM_PARAM and isinstance(v, str):
        return v
    if not isinstance(v, float):
        raise fail(
            "RC104",
            f"init_sparsity must be of float type or be '{FROM_PARAM}', got "
            f"{_describe(v)}"
            + (
                f"; write {float(v)}"
                if isinstance(v, int) and not isinstance(v, bool)
                else ""
            ),
        )
    if not 0.0 <= v <= 1.0:
        raise fail(
            "RC301", f"init_sparsity value must be in the range [0.0, 1.0], given {v}"
        )
    return v


def _final_sparsity(v: Any) -> Any:
    if isinstance(v, list):
        # GMPruningModifier.validate accepts a list, then `_get_mask_creator`
        # reads every non-float as a mapping (`.items()`) at initialize
        raise fail(
            "RC104",
            "final_sparsity takes a float or a mapping of sparsity to params, not a "
            "list; SparseML reads the list as a mapping and fails at initialize "
            "(AttributeError)",
        )
    values = list(v.keys()) if isinstance(v, dict) else [v]
    for s in values:
        if not isinstance(s, float):
            raise fail(
                "RC104",
                f"final_sparsity must be of float type, got {_describe(s)}"
                + (
                    f"; write {float(s)}"
                    if isinstance(s, int) and not isinstance(s, bool)
                    else ""
                ),
            )
        if not 0.0 < s < 1.0:
            raise fail(
                "RC301",
                f"final_sparsity value(s) must be in the range (0.0, 1.0), given {v}",
            )
    return v


def _mask_type(v: Any) -> Any:
    """`mask_creator.get_mask_creator_default`, which initialize calls."""
    if v in ("unstructured", "block4", "tensorrt") and isinstance(v, str):
        return v
    if isinstance(v, str) and ":" in v:
        parts = v.split(":")
        if len(parts) == 2 and all(_is_int_text(p) for p in parts):
            return v
        raise fail(
            "RC105",
            f"mask_type {v!r} is not 'N:M' with two integers; SparseML raises "
            "ValueError at initialize",
        )
    if isinstance(v, list):
        if len(v) == 2 and all(isinstance(x, int) for x in v):
            return v
        raise fail(
            "RC105",
            f"mask_type {v!r}: a block must be a list of two integers; SparseML "
            "raises ValueError at initialize",
        )
    if isinstance(v, str | dict):
        raise fail(
            "RC105",
            f"unknown mask_type {v!r}; SparseML raises ValueError at initialize",
        )
    raise fail(
        "RC104",
        f"mask_type must be a string or a list, got {_describe(v)}; SparseML raises "
        "TypeError at initialize",
    )


def _is_int_text(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def nm_sparsity(mask_type: object) -> float | None:
    """1 - N/M of an N:M mask ('2:4', 'tensorrt'), the only sparsity it applies."""
    if mask_type == "tensorrt":
        return 0.5
    if isinstance(mask_type, str) and mask_type.count(":") == 1:
        n, m = mask_type.split(":")
        try:
            return 1 - int(n) / int(m)
        except (ValueError, ZeroDivisionError):
            return None
    return None


def check_mask_dimensions(mask_type: object, params: object) -> None:
    """A [rows, cols] block mask or an N:M mask needs parameters of two or more
    dimensions; `__ALL__` takes every bias and norm weight too, and a `.bias` is
    one-dimensional: SparseML fails at the first pruning step (`block4` and
    unstructured masks take them)."""
    if not (isinstance(mask_type, list) or nm_sparsity(mask_type) is not None):
        return
    names = params if isinstance(params, list) else [params]
    flat = [
        n
        for n in names
        if isinstance(n, str) and (n.upper() == "__ALL__" or n.endswith(".bias"))
    ]
    if flat:
        raise fail(
            "RC105",
            f"mask_type {mask_type!r} on {flat[0]}: a block or N:M mask needs "
            "parameters of two or more dimensions, and biases and norms have one; "
            "SparseML fails at the first pruning step (use __ALL_PRUNABLE__ or "
            "name the weights)",
            "params",
            on_start=True,
        )


def check_nm_ratio(mask_type: object, name: str, value: object, when: str) -> None:
    """An N:M mask prunes exactly 1 - N/M: a constant sparsity other than that (or
    0) fails `NMPruningMaskCreator` when it is applied (TopKAST, AC/DC; the
    gradual modifiers' targets are checked per update in clock.py)."""
    ratio = nm_sparsity(mask_type)
    if (
        ratio is not None
        and isinstance(value, int | float)
        and value != 0
        and abs(ratio - value) > 1e-2
    ):
        raise fail(
            "RC105",
            f"{name} {value:g} with mask_type {mask_type!r}: an N:M mask prunes "
            f"exactly {ratio:g}, and SparseML fails {when}",
            name,
            on_start=True,
        )


MaskType = Annotated[Any, BeforeValidator(_mask_type)]
InitSparsity = Annotated[Any, BeforeValidator(_init_sparsity)]
FinalSparsity = Annotated[Any, BeforeValidator(_final_sparsity)]


class Gradual(Modifier):
    """BaseGradualPruningModifier: sparsity interpolated from start to end."""

    KIND = "pruning"
    init_sparsity: InitSparsity = Field(
        description="Sparsity at start_epoch: a float in [0, 1] or __FROM_PARAM__."
    )
    final_sparsity: FinalSparsity = Field(
        description="Sparsity at end_epoch: a float in (0, 1), or a mapping of "
        "sparsity to params (then params must be [])."
    )
    start_epoch: Epoch
    end_epoch: Epoch
    update_frequency: Frequency = Field(
        description="Epochs between mask updates; -1 or 0 = every step."
    )
    params: Params | None = Field(
        description="Param names, re: regexes, __ALL__ or __ALL_PRUNABLE__."
    )
    leave_enabled: Flag = True
    inter_func: str = Field(
        default="cubic", description="linear, cubic or inverse_cubic"
    )
    mask_type: MaskType = Field(
        default="unstructured",
        description="unstructured, block4, 'N:M', tensorrt (2:4) or [rows, cols]",
    )

    @model_validator(mode="after")
    def _gradual(self) -> Gradual:
        name = type(self).__name__
        if self.inter_func not in INTER_FUNCS:
            raise fail(
                "RC105",
                f"{self.inter_func} is not a supported inter_func, available are "
                f"{list(INTER_FUNCS)} for {name}",
                "inter_func",
            )
        if isinstance(self.final_sparsity, dict) and self.params not in ([], None):
            raise fail(
                "RC105",
                "when final_sparsity is set to a mapping, params must be set to []",
                "params",
            )
        check_mask_dimensions(self.mask_type, self.params)
        return self


class GMPruningModifier(Gradual):
    TAG = "GMPruningModifier"
    global_sparsity: Flag = Field(default=False, description="Deprecated.")
    phased: Flag = False
    score_type: str = "magnitude"

    @model_validator(mode="after")
    def _gmp(self) -> GMPruningModifier:
        if self.phased:
            raise fail("RC105", "phased pruning is not supported", "phased")
        if self.score_type != "magnitude":
            raise fail(
                "RC105",
                f"score_type {self.score_type!r} is not supported; use 'magnitude'",
                "score_type",
            )
        return self


class MagnitudePruningModifier(Gradual):
    TAG = "MagnitudePruningModifier"


class GlobalMagnitudePruningModifier(Gradual):
    TAG = "GlobalMagnitudePruningModifier"


class MovementPruningModifier(Gradual):
    TAG = "MovementPruningModifier"
