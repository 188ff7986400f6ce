"""Knowledge distillation from a teacher: on the outputs, or layer by layer."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationInfo, model_validator

from .base import (
    Epoch,
    Flag,
    IgnoredFrequency,
    Modifier,
    UsedNumber,
    _describe,
    _used_number,
    fail,
)


class DistillationModifier(Modifier):
    TAG = "DistillationModifier"
    FREQUENCY_FORCED = True
    ACTS_INSIDE_WINDOW = True
    KIND = "distillation"
    start_epoch: Epoch = -1.0
    end_epoch: Epoch = -1.0
    distill_output_keys: Any = None  # read by the integration's loss
    teacher_input_keys: Any = None
    update_frequency: IgnoredFrequency = -1.0
    hardness: UsedNumber = 0.5
    temperature: UsedNumber = 2.0


def _epsilon(v: Any, info: ValidationInfo) -> Any:
    """Read only to normalize the features: with normalize false, never."""
    return v if not info.data.get("normalize", True) else _used_number(v)


Epsilon = Annotated[Any, BeforeValidator(_epsilon)]


def _layer_names(v: Any) -> list[str] | None:
    """Module names, looked up in the student and the teacher at the first
    distillation step."""
    if v is None or (isinstance(v, list) and all(isinstance(x, str) for x in v)):
        return v
    sized = isinstance(v, str | list | dict)  # `__init__` takes len() or .copy()
    raise fail(
        "RC104",
        f"must be a list of layer names, got {_describe(v)}; SparseML fails "
        + (
            "at the first distillation step"
            if sized
            else "at load, where it measures or copies the list"
        ),
        on_start=sized,
    )


LayerNames = Annotated[list[str] | None, BeforeValidator(_layer_names)]


class PerLayerDistillationModifier(Modifier):
    TAG = "PerLayerDistillationModifier"
    FREQUENCY_FORCED = True
    ACTS_INSIDE_WINDOW = True
    KIND = "distillation"
    gain: UsedNumber = 1.5
    start_epoch: Epoch = -1.0
    end_epoch: Epoch = -1.0
    update_frequency: IgnoredFrequency = -1.0
    normalize: Flag = True
    student_layer_names: LayerNames = None
    teacher_layer_names: LayerNames = None
    project_features: Flag = True
    epsilon: Epsilon = 1e-6

    @model_validator(mode="after")
    def _names(self) -> PerLayerDistillationModifier:
        # `__init__`: the lengths must agree; one list alone is copied to the other
        student, teacher = self.student_layer_names, self.teacher_layer_names
        if student is not None and teacher is not None and len(student) != len(teacher):
            raise fail(
                "RC105",
                "student_layer_names and teacher_layer_names must have the same length",
                "teacher_layer_names",
            )
        if student is None and teacher is not None:
            self.student_layer_names = list(teacher)
        if teacher is None and student is not None:
            self.teacher_layer_names = list(student)
        if self.student_layer_names == []:
            raise fail(
                "RC105",
                "no layer names: SparseML indexes the first layer at the first "
                "distillation step and fails (IndexError); leave both out for "
                "every layer",
                "student_layer_names",
                on_start=True,
            )
        return self
