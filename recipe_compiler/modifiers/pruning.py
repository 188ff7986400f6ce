"""Pruning modifiers (sparseml/pytorch/sparsification/pruning/)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from .base import Epoch, Frequency, Modifier, Number, Params, _describe, fail

FROM_PARAM = "__FROM_PARAM__"
INTER_FUNCS = ("linear", "cubic", "inverse_cubic")


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


class _Gradual(Modifier):
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
    def _gradual(self) -> _Gradual:
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


class GMPruningModifier(_Gradual):
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


class MagnitudePruningModifier(_Gradual):
    TAG = "MagnitudePruningModifier"


class GlobalMagnitudePruningModifier(_Gradual):
    TAG = "GlobalMagnitudePruningModifier"


class MovementPruningModifier(_Gradual):
    TAG = "MovementPruningModifier"


class MFACPruningModifier(_Gradual):
    TAG = "MFACPruningModifier"
    global_sparsity: bool = False
    use_gradient_buffering: bool | None = None
    num_grads: int | dict[float, int] = 64
    damp: Number = 1e-5
    grads_device: str | int = "cpu"
    fisher_block_size: int = 2000
    num_pages: int = 1
    available_devices: list[str] | None = None
    grad_sampler_kwargs: dict[str, Any] | None = None


class OBSPruningModifier(_Gradual):
    TAG = "OBSPruningModifier"
    global_sparsity: bool = True
    num_grads: int = 1024
    damp: Number = 1e-7
    fisher_block_size: int = 1
    grad_sampler_kwargs: dict[str, Any] | None = None
    num_recomputations: int = 1


class StructuredPruningModifier(_Gradual):
    TAG = "StructuredPruningModifier"
    param_groups: list[list[str]] | None = None
    params: Params | None = "__ALL_PRUNABLE__"
    mask_type: Any = "filter"

    @model_validator(mode="after")
    def _structured(self) -> StructuredPruningModifier:
        if self.mask_type not in ("filter", "channel"):
            raise fail(
                "RC105",
                f"mask_type must be 'filter' or 'channel' for "
                f"StructuredPruningModifier, got {self.mask_type!r}",
                "mask_type",
            )
        return self


class ConstantPruningModifier(Modifier):
    """Holds the zeros that exist when it starts."""

    TAG = "ConstantPruningModifier"
    KIND = "pruning"
    params: Params
    start_epoch: Epoch = -1.0
    end_epoch: Epoch = -1.0
    update_frequency: Frequency = -1.0


class LayerPruningModifier(Modifier):
    TAG = "LayerPruningModifier"
    KIND = "pruning"
    layers: Params
    start_epoch: Epoch = -1.0
    end_epoch: Epoch = -1.0
    update_frequency: Frequency = -1.0


class ACDCPruningModifier(Modifier):
    TAG = "ACDCPruningModifier"
    KIND = "pruning"
    compression_sparsity: Number
    start_epoch: Epoch
    end_epoch: Epoch
    update_frequency: Frequency
    params: Params
    global_sparsity: bool = True
    leave_enabled: bool = True
    momentum_buffer_reset: bool = True
    mask_type: Any = "unstructured"


class RigLPruningModifier(Modifier):
    TAG = "RigLPruningModifier"
    KIND = "pruning"
    final_sparsity: Number
    start_epoch: Epoch
    end_epoch: Epoch
    update_frequency: Frequency
    params: Params
    num_grads: int = 1
    leave_enabled: bool = True
    global_sparsity: bool = False
    momentum_buffer_reset: bool = True
    mask_type: Any = "unstructured"
    sparsity_strategy: str = "erdos_renyi_kernel"
    init_update_fraction: Number = 0.3
    grad_sampler_kwargs: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _rigl(self) -> RigLPruningModifier:
        if self.global_sparsity:
            raise fail(
                "RC105", "global sparsity is not supported for RigL", "global_sparsity"
            )
        if self.sparsity_strategy not in (
            "erdos_renyi",
            "erdos_renyi_kernel",
            "uniform",
        ):
            raise fail(
                "RC105",
                "sparsity_strategy must be erdos_renyi, erdos_renyi_kernel or uniform",
                "sparsity_strategy",
            )
        return self


class TopKASTPruningModifier(Modifier):
    TAG = "TopKASTPruningModifier"
    KIND = "pruning"
    forward_sparsity: Number
    backward_sparsity: Number
    start_epoch: Epoch
    end_epoch: Epoch
    update_frequency: Frequency
    params: Params
    global_sparsity: bool = True
    leave_enabled: bool = True
    mask_type: Any = "unstructured"
    active_weight_decay: Number = 0.0001


class PowerpropagationModifier(Modifier):
    TAG = "PowerpropagationModifier"
    KIND = "pruning"
    start_epoch: Epoch
    end_epoch: Epoch
    params: Params
    alpha: Number = 1.0
    strict: bool = True


class LayerThinningModifier(Modifier):
    TAG = "LayerThinningModifier"
    KIND = "pruning"
    param_group_dependency_map: dict[str, list[str]]
    structure_type: str = "filter"
    start_epoch: Epoch = -1.0
    update_epochs: list[float] | None = None
    strict: bool = True
    end_epoch: Epoch = -1.0

    @model_validator(mode="after")
    def _thinning(self) -> LayerThinningModifier:
        if self.structure_type not in ("filter", "channel"):
            raise fail(
                "RC105",
                f"invalid structure_type {self.structure_type}; "
                "use 'filter' or 'channel'",
                "structure_type",
            )
        epochs = self.update_epochs or []
        if len(set(epochs)) != len(epochs):
            raise fail(
                "RC105",
                f"update_epochs values may not repeat: {epochs}",
                "update_epochs",
            )
        if sorted(epochs) != epochs:
            raise fail(
                "RC105", f"update_epochs must be sorted: {epochs}", "update_epochs"
            )
        return self


GRADUAL: tuple[type[_Gradual], ...] = (
    GMPruningModifier,
    MagnitudePruningModifier,
    GlobalMagnitudePruningModifier,
    MovementPruningModifier,
    MFACPruningModifier,
    OBSPruningModifier,
    StructuredPruningModifier,
)
ALL: tuple[type[Modifier], ...] = (
    *GRADUAL,
    ConstantPruningModifier,
    LayerPruningModifier,
    ACDCPruningModifier,
    RigLPruningModifier,
    TopKASTPruningModifier,
    PowerpropagationModifier,
    LayerThinningModifier,
)
