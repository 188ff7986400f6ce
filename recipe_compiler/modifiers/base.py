"""Shared field types and the schedule checks of SparseML's `BaseScheduled`.

Errors are raised as `PydanticCustomError` whose type is our problem code, so the
loader turns them into Problems without guessing. Messages say what SparseML says.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

INTER_FUNCS = ("linear", "cubic", "inverse_cubic")
Kind = Literal["pruning", "lr", "quantization", "training", "distillation", "other"]


def fail(code: str, message: str, field: str | None = None) -> PydanticCustomError:
    """An error whose type is our code; `field` locates model-level checks."""
    return PydanticCustomError(
        code,
        message.replace("{", "(").replace("}", ")"),
        {"field": field} if field else None,
    )


def _describe(v: Any) -> str:
    if isinstance(v, str) and v.startswith("eval(") and v.endswith(")"):
        return f"the unevaluated expression {v!r}"
    if isinstance(v, str):
        try:
            float(v)
        except ValueError:
            pass
        else:
            return (
                f"the string {v!r} (SparseML's YAML 1.1 parser reads it as text; "
                "write it with a dot and a signed exponent, e.g. 1.0e-5)"
            )
    return f"{type(v).__name__} {v!r}"


def _sparseml_float(v: Any) -> float:
    """What `float(v)` in SparseML's `BaseScheduled.__init__` accepts."""
    if isinstance(v, bool | int | float):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            pass
    raise fail("RC104", f"must be a number, got {_describe(v)}")


def _number(v: Any) -> float | int:
    """A number SparseML stores as given (ints stay ints)."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise fail("RC104", f"must be a number, got {_describe(v)}")
    return v


def _float_or_str(v: Any) -> float:
    """LR fields: SparseML turns strings into floats in `validate()`."""
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            raise fail("RC104", f"must be a number, got {_describe(v)}") from None
    return _number(v)


def _params(v: Any) -> Any:
    """`utils/helpers.py: validate_str_iterable`: a list, or one of two tokens."""
    if isinstance(v, str):
        if v.upper() not in ("__ALL__", "__ALL_PRUNABLE__"):
            raise fail(
                "RC105",
                f"a single string must be __ALL__ or __ALL_PRUNABLE__, got {v!r}; "
                'SparseML raises "unsupported string" at load',
            )
        return v
    if v is None or isinstance(v, list):
        return v
    raise fail("RC104", f"must be a list of names, got {_describe(v)}")


# Epoch-valued fields are cast with float() by BaseScheduled; "-1" means "not set".
Epoch = Annotated[float, BeforeValidator(_sparseml_float)]
Frequency = Annotated[float, BeforeValidator(_sparseml_float)]
Number = Annotated[float, BeforeValidator(_number)]
LRValue = Annotated[float, BeforeValidator(_float_or_str)]
Params = Annotated[str | list[str] | None, BeforeValidator(_params)]


class Modifier(BaseModel):
    """Base of every modifier model; subclasses mirror one SparseML class."""

    model_config = ConfigDict(extra="forbid", defer_build=True, protected_namespaces=())

    TAG: ClassVar[str]
    KIND: ClassVar[Kind] = "other"
    # BaseScheduled(end_comparator=...): None = end fixed, -1 = end >= start or -1,
    # 0 = end >= start, 1 = end > start
    END_COMPARATOR: ClassVar[int | None] = -1
    MIN_START: ClassVar[float] = -1.0
    MIN_END: ClassVar[float] = -1.0
    MIN_FREQUENCY: ClassVar[float] = -1.0
    # SparseML passes update_frequency=-1 to its base, so the value written is
    # never checked (ConstantPruning, LayerPruning and the two LR modifiers)
    FREQUENCY_FORCED: ClassVar[bool] = False
    EPOCH_FIELDS: ClassVar[tuple[str, ...]] = ("start_epoch", "end_epoch")

    log_types: Any = Field(
        default=None,
        exclude=True,
        description="Accepted and dropped by SparseML's YAML constructor.",
    )

    @model_validator(mode="after")
    def _schedule(self) -> Modifier:
        start = getattr(self, "start_epoch", None)
        end = getattr(self, "end_epoch", None)
        name = type(self).__name__
        if start is not None and start < self.MIN_START:
            raise fail(
                "RC202",
                f"start_epoch of {start} must be greater than or equal to "
                f"{self.MIN_START} for {name}",
                "start_epoch",
            )
        if end is not None and end < self.MIN_END:
            raise fail(
                "RC202",
                f"end_epoch of {end} must be greater than or equal to "
                f"{self.MIN_END} for {name}",
                "end_epoch",
            )
        freq = getattr(self, "update_frequency", None)
        if freq is not None and not self.FREQUENCY_FORCED and freq < self.MIN_FREQUENCY:
            raise fail(
                "RC204",
                f"update_frequency of {freq} must be greater than or equal to "
                f"{self.MIN_FREQUENCY} for {name}",
                "update_frequency",
            )
        for field, value in (("start_epoch", start), ("end_epoch", end)):
            if value is not None and math.isinf(value):
                raise fail(
                    "RC202",
                    f"{field} of {value} for {name}: SparseML loads it, then its "
                    "max_epochs raises OverflowError (cannot convert float infinity "
                    "to integer)",
                    field,
                )
        if start is None or end is None or self.END_COMPARATOR is None:
            return self
        # BaseScheduled.validate_schedule, comparison for comparison (so NaN passes,
        # as it does in SparseML: RC229 warns about it)
        cmp = self.END_COMPARATOR
        if cmp == -1 and end < start and end != -1:
            raise fail(
                "RC201",
                f"end_epoch of {end} must be greater than or equal to start_epoch "
                f"of {start} for {name} or equal to -1",
                "end_epoch",
            )
        if cmp == 0 and start > end:
            raise fail(
                "RC201",
                f"end_epoch of {end} must be greater than or equal to start_epoch "
                f"of {start} for {name}",
                "end_epoch",
            )
        if cmp == 1 and start >= end:
            raise fail(
                "RC201",
                f"end_epoch of {end} must be greater than start_epoch of {start} "
                f"for {name}",
                "end_epoch",
            )
        return self

    @property
    def start(self) -> float:
        return float(getattr(self, "start_epoch", -1.0))

    @property
    def end(self) -> float:
        return float(getattr(self, "end_epoch", -1.0))
