"""Modifiers of parameters (trainable, set, gradual) and of logging."""

from __future__ import annotations

from pydantic import model_validator

from .base import (
    INTER_FUNCS,
    Epoch,
    Flag,
    Frequency,
    Modifier,
    Names,
    TensorValue,
    fail,
    tensor_shape,
)


class TrainableParamsModifier(Modifier):
    TAG = "TrainableParamsModifier"
    KIND = "training"
    params: Names
    trainable: Flag

    @model_validator(mode="after")
    def _trainable(self) -> TrainableParamsModifier:
        # with params_strict falsy, a name that matches nothing is let go
        name = self.params.upper() if isinstance(self.params, str) else ""
        if name == "__ALL_PRUNABLE__" and self.params_strict:
            raise fail(
                "RC105",
                "TrainableParamsModifier knows __ALL__ but not __ALL_PRUNABLE__: "
                "SparseML looks for a parameter of that name and fails at initialize",
                "params",
            )
        return self

    params_strict: Flag = True
    start_epoch: Epoch = -1.0
    end_epoch: Epoch = -1.0


class SetParamModifier(Modifier):
    TAG = "SetParamModifier"
    KIND = "training"
    END_COMPARATOR = None
    params: Names
    val: TensorValue
    params_strict: Flag = True
    start_epoch: Epoch = 0.0
    end_epoch: Epoch = -1.0


class GradualParamModifier(Modifier):
    TAG = "GradualParamModifier"
    KIND = "training"
    END_COMPARATOR = 1
    MIN_END = 0.0
    params: Names
    init_val: TensorValue
    final_val: TensorValue
    start_epoch: Epoch
    end_epoch: Epoch
    update_frequency: Frequency
    inter_func: str = "linear"
    params_strict: Flag = True

    @model_validator(mode="after")
    def _inter(self) -> GradualParamModifier:
        a, b = tensor_shape(self.init_val), tensor_shape(self.final_val)
        if a != b:
            raise fail(
                "RC105",
                f"init_val has shape {a} and final_val {b}: SparseML needs them "
                "alike and raises ValueError at initialize",
                "final_val",
            )
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
