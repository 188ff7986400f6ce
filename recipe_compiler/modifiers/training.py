"""The schedule's own modifiers: learning rate, weight decay and the epoch range."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import Field, model_validator

from .base import (
    Epoch,
    Flag,
    Ignored,
    IgnoredFrequency,
    LRValue,
    Modifier,
    StrictEpoch,
    WeightDecay,
    fail,
)

LR_FUNCS = ("linear", "cosine", "cyclic_linear")

LR_CLASSES = {
    "StepLR": ("gamma", "step_size"),
    "MultiStepLR": ("gamma", "milestones"),
    "ExponentialLR": ("gamma",),
    "CosineAnnealingWarmRestarts": ("lr_min", "cycle_epochs"),
}
# what torch's scheduler takes once SparseML has rewritten lr_kwargs
# (`corrected_lr_info`: ExponentialLR becomes StepLR with step_size 1, lr_min and
# cycle_epochs become eta_min and T_0); tests/schedule/test_torch_schedulers.py
# checks them against torch's signatures
TORCH_KWARGS = {
    "StepLR": ("step_size", "gamma", "last_epoch"),
    "MultiStepLR": ("milestones", "gamma", "last_epoch"),
    "ExponentialLR": ("step_size", "gamma", "last_epoch"),
    "CosineAnnealingWarmRestarts": (
        "lr_min",
        "cycle_epochs",
        "T_0",
        "T_mult",
        "eta_min",
        "last_epoch",
    ),
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class SetLearningRateModifier(Modifier):
    """Sets the LR once, at the first step at or after start_epoch."""

    TAG = "SetLearningRateModifier"
    KIND = "lr"
    END_COMPARATOR = None  # SparseML forces end_epoch to -1
    END_FORCED = True
    learning_rate: LRValue
    param_groups: list[int] | None = None
    start_epoch: Epoch = -1.0
    end_epoch: Annotated[Any, Field(json_schema_extra={"type": "number"})] = Field(
        default=-1.0, description="Ignored: SparseML passes -1 in its place."
    )
    constant_logging: Flag = False

    @model_validator(mode="after")
    def _lr(self) -> SetLearningRateModifier:
        if self.learning_rate <= 0.0:
            raise fail("RC302", "learning_rate must be greater than 0", "learning_rate")
        if self.learning_rate > 1.0:
            raise fail(
                "RC302",
                "learning_rate must be less than or equal to 1.0",
                "learning_rate",
            )
        return self

    @property
    def end(self) -> float:
        return -1.0


class LearningRateFunctionModifier(Modifier):
    """Sets the LR on every step in [start, end] from a function of the epoch."""

    TAG = "LearningRateFunctionModifier"
    KIND = "lr"
    END_COMPARATOR = 1
    FREQUENCY_FORCED = True
    lr_func: str = Field(description="linear, cosine or cyclic_linear")
    init_lr: LRValue
    final_lr: LRValue
    start_epoch: Epoch
    end_epoch: Epoch
    cycle_epochs: Any = Field(
        default=1.0, description="Epochs per cycle of cyclic_linear (read by no other)"
    )
    param_groups: list[int] | None = None
    update_frequency: IgnoredFrequency = Field(
        default=-1.0, description="Accepted but ignored: the LR is set every step."
    )

    @model_validator(mode="after")
    def _lr(self) -> LearningRateFunctionModifier:
        if self.lr_func not in LR_FUNCS:
            raise fail(
                "RC105",
                f"lr_func must be one of {list(LR_FUNCS)}, got {self.lr_func!r}",
                "lr_func",
            )
        if self.lr_func == "cyclic_linear" and not _is_number(self.cycle_epochs):
            raise fail(
                "RC104",
                f"cycle_epochs must be a number, got {self.cycle_epochs!r}",
                "cycle_epochs",
            )
        for name in ("init_lr", "final_lr"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise fail(
                    "RC302",
                    f"{name} must be within range [0.0, 1.0], given {value}",
                    name,
                )
        return self


class LearningRateModifier(Modifier):
    """A torch LR scheduler (StepLR, MultiStepLR, ExponentialLR, cosine restarts)."""

    TAG = "LearningRateModifier"
    KIND = "lr"
    FREQUENCY_FORCED = True
    lr_class: str
    lr_kwargs: dict[str, Any]
    init_lr: LRValue
    start_epoch: StrictEpoch  # compared as written: a string is a TypeError at load
    end_epoch: Epoch = -1.0
    update_frequency: IgnoredFrequency = Field(
        default=-1.0, description="Ignored: SparseML passes -1 in its place."
    )
    constant_logging: Flag = False

    @model_validator(mode="after")
    def _lr(self) -> LearningRateModifier:
        if math.isnan(self.start_epoch):
            raise fail(
                "RC202",
                "start_epoch is NaN: LearningRateModifier takes math.floor of it and "
                "SparseML raises ValueError at load",
                "start_epoch",
            )
        if self.lr_class not in LR_CLASSES:
            raise fail(
                "RC105",
                f"unknown lr_class given of {self.lr_class}; use one "
                f"of {list(LR_CLASSES)}",
                "lr_class",
            )
        # ExponentialLR is rewritten to StepLR(step_size=1) before the check,
        # which then asks for gamma in the name of StepLR
        checked = "StepLR" if self.lr_class == "ExponentialLR" else self.lr_class
        for key in LR_CLASSES[self.lr_class]:
            if key not in self.lr_kwargs:
                raise fail(
                    "RC103",
                    f"{key} must be in lr_kwargs for {checked}",
                    "lr_kwargs",
                )
        for key in ("gamma", "step_size", "lr_min", "cycle_epochs"):
            value = self.lr_kwargs.get(key)
            if key in self.lr_kwargs and not _is_number(value):
                raise fail(
                    "RC104",
                    f"lr_kwargs {key} must be a number, got {value!r}: SparseML loads "
                    "it and torch raises TypeError once the scheduler runs",
                    "lr_kwargs",
                )
        milestones = self.lr_kwargs.get("milestones")
        if "milestones" in self.lr_kwargs and not (
            isinstance(milestones, list) and all(_is_number(m) for m in milestones)
        ):
            raise fail(
                "RC104",
                f"lr_kwargs milestones must be a list of epochs, got {milestones!r}: "
                "SparseML raises once the scheduler starts",
                "lr_kwargs",
            )
        if self.init_lr <= 0.0:
            raise fail("RC302", "init_lr must be greater than 0", "init_lr")
        if self.init_lr > 1.0:
            raise fail("RC302", "init_lr must be less than or equal to 1.0", "init_lr")
        unknown = [k for k in self.lr_kwargs if k not in TORCH_KWARGS[self.lr_class]]
        if unknown:
            raise fail(
                "RC105",
                f"lr_kwargs {unknown[0]!r} is no argument of {checked}, which takes "
                f"{', '.join(TORCH_KWARGS[self.lr_class])}; SparseML passes it to "
                "torch when the scheduler starts (TypeError)",
                "lr_kwargs",
                on_start=True,
            )
        return self


class SetWeightDecayModifier(Modifier):
    TAG = "SetWeightDecayModifier"
    KIND = "training"
    END_FORCED = True
    weight_decay: WeightDecay
    start_epoch: Epoch = -1.0
    param_groups: list[int] | None = None
    end_epoch: Ignored = Field(default=-1.0, description="Ignored: forced to -1.")
    constant_logging: Flag = False


class EpochRangeModifier(Modifier):
    """Does nothing at run time; sets the training length (max_epochs)."""

    TAG = "EpochRangeModifier"
    KIND = "training"
    start_epoch: Epoch
    end_epoch: Epoch
