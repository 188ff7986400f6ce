"""Modifiers of parameters (trainable, set, gradual) and of logging."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from .base import INTER_FUNCS, Epoch, Frequency, Modifier, Params, fail


class TrainableParamsModifier(Modifier):
    TAG = "TrainableParamsModifier"
    KIND = "training"
    params: Params
    trainable: bool
    params_strict: bool = True
    start_epoch: Epoch = -1.0
    end_epoch: Epoch = -1.0


class SetParamModifier(Modifier):
    TAG = "SetParamModifier"
    KIND = "training"
    END_COMPARATOR = None
    params: Params
    val: Any
    params_strict: bool = True
    start_epoch: Epoch = 0.0
    end_epoch: Epoch = -1.0


class GradualParamModifier(Modifier):
    TAG = "GradualParamModifier"
    KIND = "training"
    END_COMPARATOR = 1
    MIN_END = 0.0
    params: Params
    init_val: Any
    final_val: Any
    start_epoch: Epoch
    end_epoch: Epoch
    update_frequency: Frequency
    inter_func: str = "linear"
    params_strict: bool = True

    @model_validator(mode="after")
    def _inter(self) -> GradualParamModifier:
        if self.inter_func not in INTER_FUNCS:
            raise fail(
                "RC105",
                f"{self.inter_func} is not a supported inter_func, "
                f"available are {list(INTER_FUNCS)}",
                "inter_func",
            )
        return self


class SparsificationLoggingModifier(Modifier):
    TAG = "SparsificationLoggingModifier"
    KIND = "other"
    start_epoch: Epoch
    end_epoch: Epoch = -1.0
    update_frequency: Frequency = 1.0
