"""QuantizationModifier in its two forms (quantization-aware training).

SparseML swaps to the legacy class when any key of the mapping is a field only the
legacy class has (`_select_quantization_modifier`); `select` does the same.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)

from .base import Epoch, Flag, Modifier, Number, _describe, fail

SCHEME_PRESETS = ("default", "deepsparse", "tensorrt")


class QuantizationArgs(BaseModel):
    """quantization_scheme.py: QuantizationArgs."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    num_bits: int = 8
    symmetric: bool = False
    strategy: Literal["tensor", "channel"] = "tensor"
    kwargs: dict[str, Any] = Field(default_factory=dict)


class QuantizationScheme(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    input_activations: QuantizationArgs | None = None
    weights: QuantizationArgs | None = None
    output_activations: QuantizationArgs | None = None
    target_hardware: str | None = None


Scheme = Literal["default", "deepsparse", "tensorrt"] | QuantizationScheme | None


def _fuse_kwargs(v: Any, info: ValidationInfo) -> Any:
    """`model_fuse_fn_kwargs or {}`: falsy is none; anything else is unpacked into
    the fuse function when QAT starts, which `no_fuse` skips."""
    if not v or info.data.get("model_fuse_fn_name") == "no_fuse":
        return v or None
    if isinstance(v, dict):
        return v
    raise fail(
        "RC104",
        f"model_fuse_fn_kwargs must be a mapping, got {_describe(v)}; SparseML "
        "fails when QAT starts (TypeError)",
        on_start=True,
    )


FuseKwargs = Annotated[Any, BeforeValidator(_fuse_kwargs)]


class QAT(Modifier):
    KIND = "quantization"
    EPOCH_FIELDS = (
        "start_epoch",
        "end_epoch",
        "disable_quantization_observer_epoch",
        "freeze_bn_stats_epoch",
    )
    start_epoch: Epoch = -1.0
    end_epoch: Epoch = Field(default=-1.0, description="Must stay -1.")
    disable_quantization_observer_epoch: Number | None = None
    freeze_bn_stats_epoch: Number | None = None
    model_fuse_fn_name: str | None = None
    model_fuse_fn_kwargs: FuseKwargs = None
    # used only with a calibration data loader, which the integration gives
    num_calibration_steps: Any = None

    @model_validator(mode="after")
    def _qat(self) -> QAT:
        if self.end_epoch != -1:
            raise fail(
                "RC203",
                "end_epoch is disabled for QuantizationModifier and can only be set "
                f"to -1, given {self.end_epoch}",
                "end_epoch",
            )
        for name in ("disable_quantization_observer_epoch", "freeze_bn_stats_epoch"):
            value = getattr(self, name)
            if value is not None and value < self.start_epoch:
                raise fail(
                    "RC201",
                    f"{name} may not be less than start_epoch for "
                    f"QuantizationModifier, received {value} with start_epoch "
                    f"{self.start_epoch}",
                    name,
                    hint=f"make {name} at least start_epoch ({self.start_epoch:g}), "
                    "or leave it out",
                )
        return self


class QuantizationModifier(QAT):
    """Quantization-aware training (the scheme-based form)."""

    TAG = "QuantizationModifier"
    scheme: Scheme = None
    scheme_overrides: dict[str, Scheme] | None = None
    ignore: Any = None  # module names or types; falsy means none

    @model_validator(mode="after")
    def _ignore(self) -> QuantizationModifier:
        if self.ignore and not (
            isinstance(self.ignore, list)
            and all(isinstance(x, str) for x in self.ignore)
        ):
            raise fail(
                "RC104",
                f"ignore must be a list of module names or types, got "
                f"{self.ignore!r}; SparseML matches them as strings when QAT starts "
                "and fails (TypeError)",
                "ignore",
                on_start=True,
            )
        return self

    strict: Flag = True


class LegacyQuantizationModifier(QAT):
    """QuantizationModifier as SparseML builds it when a legacy-only field is set."""

    TAG = "QuantizationModifier"
    submodules: list[str] | None = None
    quantize_embeddings: Flag = True
    reduce_range: Flag = False
    quantize_linear_activations: Flag = True
    quantize_conv_activations: Flag = True
    quantize_embedding_activations: Flag = True
    activation_bits: int = 8
    weight_bits: int = 8
    exclude_batchnorm: Flag = True
    exclude_module_types: list[str] | None = None
    custom_quantizable_module_types: list[str] | None = None
    activation_qconfig_kwargs: dict[str, Any] | None = None
    weight_qconfig_kwargs: dict[str, Any] | None = None
    tensorrt: Flag = False


LEGACY_ONLY = frozenset(LegacyQuantizationModifier.model_fields) - frozenset(
    QuantizationModifier.model_fields
)


def select(fields: dict[str, Any]) -> type[QAT]:
    """The class SparseML builds for a QuantizationModifier mapping."""
    if any(k in LEGACY_ONLY for k in fields):
        return LegacyQuantizationModifier
    return QuantizationModifier
