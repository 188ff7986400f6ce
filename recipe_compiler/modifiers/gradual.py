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
    if isinstance(v, dict):
        values = list(v.keys())
    elif isinstance(v, list):
        values = v
    else:
        values = [v]
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
        description="Sparsity at end_epoch: a float in (0, 1), a list of them, or "
        "a mapping of sparsity to params (then params must be [])."
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
        return self


class _NoList(Gradual):
    """Layer-wise magnitude and movement pruning read a list of sparsities as a
    mapping and fail at initialize; only GMPruningModifier takes a list."""

    @model_validator(mode="after")
    def _no_list(self) -> _NoList:
        if isinstance(self.final_sparsity, list):
            raise fail(
                "RC104",
                f"final_sparsity: {type(self).__name__} takes a float or a mapping of "
                "sparsity to params, not a list; SparseML reads the list as a mapping "
                "and fails at initialize (AttributeError)",
                "final_sparsity",
            )
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


class MagnitudePruningModifier(_NoList):
    TAG = "MagnitudePruningModifier"


class GlobalMagnitudePruningModifier(_NoList):
    TAG = "GlobalMagnitudePruningModifier"


class MovementPruningModifier(_NoList):
    TAG = "MovementPruningModifier"
