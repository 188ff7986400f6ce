"""Shared field types and the schedule checks of SparseML's `BaseScheduled`.

Errors are raised as `PydanticCustomError` whose type is our problem code, so the
loader turns them into Problems without guessing. Messages say what SparseML says.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

INTER_FUNCS = ("linear", "cubic", "inverse_cubic")
FROM_PARAM = "__FROM_PARAM__"  # an init_sparsity: the param's sparsity at start
Kind = Literal["pruning", "lr", "quantization", "training", "distillation", "other"]


NAN_TO_INT = "ValueError: cannot convert float NaN to integer"  # int()/round() of NaN


def fail(
    code: str,
    message: str,
    field: str | None = None,
    *,
    on_start: bool = False,
    hint: str | None = None,
) -> PydanticCustomError:
    """An error whose type is our code; `field` locates model-level checks.

    `on_start`: SparseML stores the value unchecked and fails only once the
    modifier acts, so a modifier that never starts (validate.never_starts) runs.
    `hint`: what to do, where the code's general hint (validate._HINTS) misleads.
    """
    ctx: dict[str, Any] = {}
    if field:
        ctx["field"] = field
    if on_start:
        ctx["on_start"] = True
    if hint:
        ctx["hint"] = hint
    return PydanticCustomError(
        code, message.replace("{", "(").replace("}", ")"), ctx or None
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
    """A number SparseML stores as given and computes with: YAML 1.1's `yes` is
    True there, and True is 1 to Python's arithmetic."""
    if not isinstance(v, int | float):
        raise fail("RC104", f"must be a number, got {_describe(v)}")
    return int(v) if isinstance(v, bool) else v


def _used_number(v: Any) -> float | int:
    """`_number` for a value SparseML uses only once the modifier starts."""
    try:
        return _number(v)
    except PydanticCustomError as exc:
        raise fail(
            "RC104",
            f"{exc.message()}; SparseML fails when the modifier starts (TypeError)",
            on_start=True,
        ) from None


def _weight_decay(v: Any) -> float | int:
    """A weight decay goes to torch as the `alpha` of an add, which takes no bool
    for a float tensor ("Boolean alpha only supported for Boolean results")."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise fail(
            "RC104",
            f"must be a number, got {_describe(v)}; torch fails at the first "
            "optimizer step after the modifier starts",
            on_start=True,
        )
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
    """`utils/helpers.py: validate_str_iterable`: a list, or one of two tokens.
    The pruning modifiers check it only when it is truthy: null, [], 0 and ''
    all mean __ALL_PRUNABLE__ there."""
    if not v and not isinstance(v, list):
        return None
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


def _frequency(v: Any) -> float:
    """`BaseUpdate.validate` compares update_frequency with -1 as written: a
    string (YAML 1.1's `1e-1`, or quoted) is a TypeError at load."""
    if isinstance(v, bool | int | float):
        return float(v)
    raise fail(
        "RC104",
        f"must be a number, got {_describe(v)}; SparseML compares it with -1 at load "
        "(TypeError)",
    )


def _truthy(v: Any) -> bool:
    """SparseML never checks a flag's type; it takes its truth value."""
    return bool(v)


# Epoch-valued fields are cast with float() by BaseScheduled; "-1" means "not set".
Epoch = Annotated[float, BeforeValidator(_sparseml_float)]
Frequency = Annotated[float, BeforeValidator(_frequency)]
# update_frequency where SparseML passes -1 in its place: anything is accepted
IgnoredFrequency = Annotated[Any, Field(json_schema_extra={"type": "number"})]
Flag = Annotated[bool, BeforeValidator(_truthy)]


def _count(v: Any) -> int:
    """An int SparseML computes with as written (sizes, counts): a string or a
    float there fails at the first step that uses it."""
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    raise fail("RC104", f"must be a whole number, got {_describe(v)}", on_start=True)


def tensor_shape(v: Any) -> tuple[int, ...] | None:
    """The shape `torch.tensor(v)` gives nested lists of numbers; None if ragged."""
    if not isinstance(v, list):
        return ()
    shapes = {tensor_shape(x) for x in v}
    if len(shapes) > 1:
        return None
    inner = shapes.pop() if shapes else ()
    return None if inner is None else (len(v), *inner)


def _range_count(v: Any) -> int:
    """A count SparseML passes to `range()`: a bool is an int there, a float or a
    string fails at the first step that uses it."""
    if isinstance(v, bool):
        return int(v)
    return _count(v)


def _tensor_value(v: Any, info: ValidationInfo) -> Any:
    """SetParam's and GradualParam's values become `torch.tensor(v)` at
    initialize: a number or a (nested) list of numbers. An empty list is a tensor
    of no values, the shape of no parameter: it runs only with params []."""
    empty_ok = info.data.get("params", None) == []

    def ok(x: Any) -> bool:
        if isinstance(x, list):
            return (bool(x) or empty_ok) and all(ok(y) for y in x)
        return isinstance(x, int | float)

    if ok(v) and tensor_shape(v) is None:
        raise fail(
            "RC104",
            f"{v!r} is ragged (lists of different lengths at one depth); SparseML "
            "makes a tensor of it at initialize and fails (ValueError)",
        )

    if not ok(v):
        raise fail(
            "RC104",
            f"must be a number or a list of numbers, got {_describe(v)}; SparseML "
            "makes a tensor of it at initialize and fails",
        )
    return v


def _float_only(v: Any) -> float:
    """Where SparseML tells a float from a mapping by its type: an int is taken
    for a mapping and fails (`'int' object has no attribute 'items'`)."""
    if isinstance(v, float):
        return v
    raise fail("RC104", f"must be a float, got {_describe(v)}")


def _loose_number(v: Any) -> Any:
    """A number SparseML computes with, unchecked at load (MFAC's and OBS's
    init_sparsity), or a list of them, one per pruned parameter: anything else
    fails at the first pruning step."""

    def number(x: Any) -> bool:
        return isinstance(x, int | float)  # a bool too: True prunes as 1.0

    if number(v) or v == FROM_PARAM:
        return v
    if isinstance(v, list) and v and all(number(x) for x in v):
        return v
    raise fail(
        "RC104",
        f"must be a number, {FROM_PARAM} or a list of numbers (one per parameter), "
        f"got {_describe(v)}; SparseML fails at the first pruning step",
        on_start=True,
    )


def _float_or_mapping(v: Any) -> Any:
    """A float, or a mapping of sparsity to params; SparseML takes anything else
    for a mapping and fails at initialize (`object has no attribute 'items'`)."""
    if isinstance(v, float | dict):
        return v
    raise fail(
        "RC104",
        f"must be a float or a mapping of sparsity to params, got {_describe(v)}; "
        "SparseML fails at initialize (AttributeError)",
    )


def _positive_count(v: Any) -> int:
    v = _count(v)
    if v < 1:
        raise fail(
            "RC105",
            f"must be at least 1, got {v}: SparseML fails at the first pruning step",
            on_start=True,
        )
    return v


def _positive_number(v: Any) -> float | int:
    """A number of gradients SparseML collects until it has at least this many
    (RigL, OBS): any number above 0 works, 0 or less collects none and fails."""
    if not isinstance(v, int | float):
        raise fail(
            "RC104",
            f"must be a number, got {_describe(v)}; SparseML fails at the first "
            "pruning step (TypeError)",
            on_start=True,
        )
    if not v > 0:
        raise fail(
            "RC105",
            f"must be above 0, got {v:g}: SparseML collects no gradients and fails "
            "at the first pruning step",
            on_start=True,
        )
    return int(v) if isinstance(v, bool) else v


def _arithmetic(v: Any) -> Any:
    """A value SparseML computes with, unchecked: bools count as numbers there."""
    if isinstance(v, int | float):
        return v
    raise fail(
        "RC104",
        f"must be a number, got {_describe(v)}; SparseML computes with it at the "
        "first step, started or not (TypeError)",
    )


Count = Annotated[int, BeforeValidator(_count)]
RangeCount = Annotated[int, BeforeValidator(_range_count)]
PositiveNumber = Annotated[float, BeforeValidator(_positive_number)]
UsedNumber = Annotated[float, BeforeValidator(_used_number)]
WeightDecay = Annotated[float, BeforeValidator(_weight_decay)]
ArithmeticValue = Annotated[Any, BeforeValidator(_arithmetic)]
PositiveCount = Annotated[int, BeforeValidator(_positive_count)]
FloatOrMapping = Annotated[Any, BeforeValidator(_float_or_mapping)]
StrictEpoch = Annotated[float, BeforeValidator(_number)]
FloatOnly = Annotated[Any, BeforeValidator(_float_only)]
TensorValue = Annotated[Any, BeforeValidator(_tensor_value)]
LooseNumber = Annotated[Any, BeforeValidator(_loose_number)]
# a field SparseML replaces with its default whatever is written
Ignored = Annotated[Any, Field(json_schema_extra={"type": "number"})]
Number = Annotated[float, BeforeValidator(_number)]
LRValue = Annotated[float, BeforeValidator(_float_or_str)]
Params = Annotated[str | list[str] | None, BeforeValidator(_params)]


def _names(v: Any) -> Any:
    """`validate_str_iterable` as it is, without the pruning modifiers' falsy
    default: a token string or an iterable; null or a number is "unsupported
    type", a ValueError at load."""
    if isinstance(v, list | dict):
        return list(v)
    if isinstance(v, str):
        return _params(v)
    raise fail(
        "RC104",
        f"must be a list of names, got {_describe(v)}; SparseML raises "
        "ValueError at load",
    )


Names = Annotated[str | list[str], BeforeValidator(_names)]


def _names_matching(v: Any) -> Any:
    """`Names` that must match something at initialize: [] is not read as
    __ALL_PRUNABLE__ here (ConstantPruning, AC/DC, TopKAST)."""
    v = _names(v)
    if v == []:
        raise fail(
            "RC105",
            "params: [] matches nothing here (only the gradual modifiers read it "
            "as __ALL_PRUNABLE__); SparseML raises ValueError at initialize",
        )
    return v


NamesMatching = Annotated[str | list[str], BeforeValidator(_names_matching)]


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
    # SparseML never checks or uses the update_frequency written: it passes -1 in
    # its place (ConstantPruning, LayerPruning, the two LR modifiers) or never
    # validates it (the distillation modifiers)
    FREQUENCY_FORCED: ClassVar[bool] = False
    # SparseML passes end_epoch=-1 in place of what is written (SetLearningRate,
    # LayerThinning): the value is never checked
    END_FORCED: ClassVar[bool] = False
    EPOCH_FIELDS: ClassVar[tuple[str, ...]] = ("start_epoch", "end_epoch")
    # acts only at steps strictly inside its window, after the start step and
    # before the end step (the distillation losses): with end == start, never
    ACTS_INSIDE_WINDOW: ClassVar[bool] = False

    log_types: Any = Field(
        default=None,
        exclude=True,
        description="Accepted and dropped by SparseML's YAML constructor.",
    )

    @model_validator(mode="after")
    def _schedule(self) -> Modifier:
        start = getattr(self, "start_epoch", None)
        end = getattr(self, "end_epoch", None)
        if self.END_FORCED or not isinstance(end, int | float):
            end = None  # an end SparseML never reads
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
        if (
            self.END_COMPARATOR is None
            and end is not None
            and end != end
            and "end_epoch" in type(self).model_fields
        ):
            # end_comparator None: the end must equal its init value, and NaN
            # equals nothing ("end_epoch of nan must be equal the init value")
            raise fail(
                "RC202",
                f"end_epoch of nan must be equal the init value of nan for {name}",
                "end_epoch",
            )
        if start is None or end is None or self.END_COMPARATOR is None:
            return self
        # BaseScheduled.validate_schedule, comparison for comparison (so NaN passes,
        # as it does in SparseML: RC229 warns about it)
        cmp = self.END_COMPARATOR
        # an equal end loads, but collapses a gradual window (RC205): say greater
        longer = "greater than" if cmp == 1 or self.KIND == "pruning" else "at least"
        hint = f"make end_epoch {longer} start_epoch ({start:g})"
        if cmp == -1 and end < start and end != -1:
            raise fail(
                "RC201",
                f"end_epoch of {end} must be greater than or equal to start_epoch "
                f"of {start} for {name} or equal to -1",
                "end_epoch",
                hint=f"{hint}, or -1 (until training ends)",
            )
        if cmp == 0 and start > end:
            raise fail(
                "RC201",
                f"end_epoch of {end} must be greater than or equal to start_epoch "
                f"of {start} for {name}",
                "end_epoch",
                hint=hint,
            )
        if cmp == 1 and start >= end:
            raise fail(
                "RC201",
                f"end_epoch of {end} must be greater than start_epoch of {start} "
                f"for {name}",
                "end_epoch",
                hint=hint,
            )
        return self

    @property
    def start(self) -> float:
        return float(getattr(self, "start_epoch", -1.0))

    @property
    def end(self) -> float:
        """The end SparseML uses: -1 where it replaces the one written."""
        if self.END_FORCED:
            return -1.0
        return float(getattr(self, "end_epoch", -1.0))
