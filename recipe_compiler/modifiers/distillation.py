"""Knowledge distillation from a teacher: on the outputs, or layer by layer."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from .base import Epoch, Flag, IgnoredFrequency, Modifier, Number, fail


class DistillationModifier(Modifier):
    TAG = "DistillationModifier"
    FREQUENCY_FORCED = True
    KIND = "distillation"
    start_epoch: Epoch = -1.0
    end_epoch: Epoch = -1.0
    distill_output_keys: Any = None  # read by the integration's loss
    teacher_input_keys: Any = None
    update_frequency: IgnoredFrequency = -1.0
    hardness: Number = 0.5
    temperature: Number = 2.0


class PerLayerDistillationModifier(Modifier):
    TAG = "PerLayerDistillationModifier"
    FREQUENCY_FORCED = True
    KIND = "distillation"
    gain: Number = 1.5
    start_epoch: Epoch = -1.0
    end_epoch: Epoch = -1.0
    update_frequency: IgnoredFrequency = -1.0
    normalize: Flag = True
    student_layer_names: list[str] | None = None
    teacher_layer_names: list[str] | None = None
    project_features: Flag = True
    epsilon: Number = 1e-6

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
        return self
