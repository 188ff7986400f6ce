"""Gradual magnitude pruning (GMP): sparsity interpolated from start to end epoch.

The family of SparseML's `BaseGradualPruningModifier` that recipes use most; its
rarer members (MFAC, OBS, structured) are in `pruning.py`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from .base import INTER_FUNCS, Epoch, Frequency, Modifier, Params, _describe, fail

FROM_PARAM = "__FROM_PARAM__"


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
    leave_enabled: bool = True
    inter_func: str = Field(
        default="cubic", description="linear, cubic or inverse_cubic"
    )
    mask_type: Any = "unstructured"

    @model_validator(mode="after")
    def _gradual(self) -> Gradual:
        name = type(self).__name__
        if not self.leave_enabled:
            raise fail(
                "RC105",
                f"leave_enabled: false is not supported for {name}; "
                "SparseML raises at load",
                "leave_enabled",
            )
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


class GMPruningModifier(Gradual):
    TAG = "GMPruningModifier"
    global_sparsity: bool = Field(default=False, description="Deprecated.")
    phased: bool = False
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
