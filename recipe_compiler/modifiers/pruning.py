"""Pruning modifiers other than GMP (sparseml/pytorch/sparsification/pruning/)."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from .base import Epoch, Frequency, LRValue, Modifier, Number, Params, fail
from .gradual import Gradual


class MFACPruningModifier(Gradual):
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


class OBSPruningModifier(Gradual):
    TAG = "OBSPruningModifier"
    global_sparsity: bool = True
    num_grads: int = 1024
    # `_validate`: "to support 'damp: 1e-7' in the recipe", a string is float()ed
    damp: LRValue = 1e-7
    fisher_block_size: int = 1
    grad_sampler_kwargs: dict[str, Any] | None = None
    num_recomputations: int = 1


class StructuredPruningModifier(Gradual):
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
    FREQUENCY_FORCED = True
    params: Params
    start_epoch: Epoch = -1.0
    end_epoch: Epoch = -1.0
    update_frequency: Frequency = -1.0


class LayerPruningModifier(Modifier):
    TAG = "LayerPruningModifier"
    KIND = "pruning"
    FREQUENCY_FORCED = True
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
