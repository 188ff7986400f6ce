"""Pruning modifiers other than GMP (sparseml/pytorch/sparsification/pruning/)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from .base import (
    ArithmeticValue,
    Count,
    Epoch,
    Flag,
    FloatOnly,
    FloatOrMapping,
    Frequency,
    Ignored,
    IgnoredFrequency,
    LooseNumber,
    LRValue,
    Modifier,
    Names,
    NamesMatching,
    Number,
    Params,
    PositiveCount,
    fail,
)
from .gradual import Gradual, MaskType, _NoList, nm_sparsity


class MFACPruningModifier(Gradual):
    """Not a GMPruningModifier in SparseML: its sparsities are not type- or
    range-checked, and its end must be at or after its start (-1 is not special)."""

    TAG = "MFACPruningModifier"
    END_COMPARATOR = 0
    init_sparsity: LooseNumber
    final_sparsity: FloatOrMapping
    global_sparsity: Flag = False
    use_gradient_buffering: bool | None = None
    num_grads: PositiveCount | dict[float, int] = 64
    damp: Number = 1e-5
    grads_device: str | int = "cpu"
    fisher_block_size: PositiveCount = 2000
    num_pages: Any = 1  # read only with gradient buffering on several devices
    available_devices: list[str] | None = None
    grad_sampler_kwargs: Any = None  # read by the integration's grad sampler

    @model_validator(mode="after")
    def _mfac(self) -> MFACPruningModifier:
        if isinstance(self.init_sparsity, int | float) and self.init_sparsity == 1:
            raise fail(
                "RC105",
                f"init_sparsity {self.init_sparsity:g} prunes every weight: SparseML "
                "fails at the first pruning step (RuntimeError)",
                "init_sparsity",
            )
        if self.damp == 0:
            raise fail(
                "RC105",
                "damp 0: SparseML divides by it at the first pruning step "
                "(ZeroDivisionError)",
                "damp",
            )
        if self.num_grads == {}:
            raise fail(
                "RC105",
                "num_grads {}: SparseML looks up the number of gradients for each "
                "sparsity in it and fails at the first pruning step (ValueError)",
                "num_grads",
            )
        if self.fisher_block_size < 1:
            raise fail(
                "RC105",
                f"fisher_block_size must be at least 1, got {self.fisher_block_size}: "
                "SparseML fails at the first pruning step (RuntimeError)",
                "fisher_block_size",
            )
        return self


class OBSPruningModifier(Gradual):
    """Like MFAC, a BaseGradualPruningModifier without GMP's value checks."""

    TAG = "OBSPruningModifier"
    END_COMPARATOR = 0
    init_sparsity: LooseNumber
    final_sparsity: FloatOrMapping
    global_sparsity: Flag = True
    num_grads: PositiveCount = 1024
    # `_validate`: "to support 'damp: 1e-7' in the recipe", a string is float()ed
    damp: LRValue = 1e-7
    fisher_block_size: PositiveCount = 1
    grad_sampler_kwargs: Any = None  # read by the integration's grad sampler
    num_recomputations: Count = 1

    @model_validator(mode="after")
    def _obs(self) -> OBSPruningModifier:
        if self.damp == 0:
            raise fail(
                "RC105",
                "damp 0: SparseML divides by it at the first pruning step "
                "(ZeroDivisionError)",
                "damp",
            )
        if self.mask_type not in ("unstructured", "block4"):
            raise fail(
                "RC105",
                f"{self.mask_type!r} mask_type not supported by OBS: unstructured or "
                "block4 (SparseML raises ValueError at load)",
                "mask_type",
            )
        return self


class StructuredPruningModifier(_NoList):
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
        names = self.params if isinstance(self.params, list) else None
        if names and not any(n.startswith("re:") for n in names):
            for group in self.param_groups or []:
                for name in group:
                    if name not in names:
                        raise fail(
                            "RC105",
                            f"param {name} from param_groups is not in params; "
                            "SparseML raises ValueError at initialize",
                            "param_groups",
                        )
        return self


class ConstantPruningModifier(Modifier):
    """Holds the zeros that exist when it starts."""

    TAG = "ConstantPruningModifier"
    KIND = "pruning"
    FREQUENCY_FORCED = True
    params: NamesMatching

    start_epoch: Epoch = -1.0
    end_epoch: Epoch = -1.0
    update_frequency: IgnoredFrequency = -1.0


class LayerPruningModifier(Modifier):
    TAG = "LayerPruningModifier"
    KIND = "pruning"
    FREQUENCY_FORCED = True
    layers: Params
    start_epoch: Epoch = -1.0
    end_epoch: Epoch = -1.0
    update_frequency: IgnoredFrequency = -1.0


class ACDCPruningModifier(Modifier):
    TAG = "ACDCPruningModifier"
    KIND = "pruning"
    END_COMPARATOR = 0
    compression_sparsity: Number
    start_epoch: Epoch
    end_epoch: Epoch
    update_frequency: Epoch  # int()ed, not compared as written
    params: NamesMatching
    global_sparsity: Flag = True
    leave_enabled: Flag = True
    momentum_buffer_reset: Flag = True
    mask_type: MaskType = "unstructured"

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers(cls, data: Any) -> Any:
        """AC/DC int()s its epochs and frequency at load, as written."""
        for name in ("start_epoch", "end_epoch", "update_frequency"):
            value = data.get(name) if isinstance(data, dict) else None
            if isinstance(value, str):
                try:
                    int(value)
                except ValueError:
                    raise fail(
                        "RC105",
                        f"{name} {value!r}: AC/DC int()s it at load (ValueError)",
                        name,
                    ) from None
        return data

    @model_validator(mode="after")
    def _acdc(self) -> ACDCPruningModifier:
        if self.update_frequency == 0:
            raise fail(
                "RC105",
                "update_frequency 0: AC/DC divides by it at the first step "
                "(ZeroDivisionError)",
                "update_frequency",
            )
        for name in ("start_epoch", "end_epoch", "update_frequency"):
            value = getattr(self, name)
            if value != int(value) if value == value else True:
                raise fail(
                    "RC105",
                    f"{name} {value:g}: AC/DC takes whole epochs (SparseML raises "
                    "ValueError at load)",
                    name,
                )
        return self


class RigLPruningModifier(Modifier):
    TAG = "RigLPruningModifier"
    KIND = "pruning"
    END_COMPARATOR = 0
    final_sparsity: FloatOnly
    start_epoch: Epoch
    end_epoch: Epoch
    update_frequency: Frequency
    params: Params
    num_grads: PositiveCount = 1
    leave_enabled: Flag = True
    global_sparsity: Flag = False
    momentum_buffer_reset: Flag = True
    mask_type: MaskType = "unstructured"
    sparsity_strategy: str = "erdos_renyi_kernel"
    init_update_fraction: Number = 0.3
    # passed as **kwargs to the grad sampler's loader builder: null is a TypeError
    grad_sampler_kwargs: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _rigl(self) -> RigLPruningModifier:
        if not 0.0 <= self.init_update_fraction <= 1.0:
            raise fail(
                "RC105",
                f"init_update_fraction {self.init_update_fraction:g} must be a "
                "fraction in [0, 1]: SparseML fails at the first update (RuntimeError)",
                "init_update_fraction",
            )
        if self.end_epoch != self.end_epoch:
            raise fail(
                "RC105",
                "end_epoch .nan: SparseML fails at the first update (ValueError: "
                "cannot convert float NaN to integer)",
                "end_epoch",
            )
        if self.start_epoch == self.end_epoch and self.start_epoch != -1:
            raise fail(
                "RC105",
                f"RigL starts and ends at epoch {self.start_epoch:g}: SparseML "
                "divides by end - start at its first update (ZeroDivisionError)",
                "end_epoch",
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
        if self.mask_type != "unstructured":
            raise fail(
                "RC105",
                f"{self.mask_type!r} mask_type not supported: RigL prunes unstructured "
                "only (SparseML's AssertionError at load)",
                "mask_type",
            )
        if self.params == "__ALL__":
            raise fail(
                "RC105",
                "RigL cannot prune __ALL__: it includes 1-D biases and norms, and "
                'SparseML asserts "Pruned weight must be at least 2-dimensional" at '
                "initialize",
                "params",
            )
        return self


class TopKASTPruningModifier(Modifier):
    TAG = "TopKASTPruningModifier"
    KIND = "pruning"
    END_COMPARATOR = 0
    forward_sparsity: Number
    backward_sparsity: Number
    start_epoch: Epoch
    end_epoch: Epoch
    update_frequency: Frequency
    params: NamesMatching
    global_sparsity: Flag = True
    leave_enabled: Flag = True
    mask_type: MaskType = "unstructured"
    active_weight_decay: ArithmeticValue = 0.0001

    @model_validator(mode="after")
    def _topkast(self) -> TopKASTPruningModifier:
        if self.forward_sparsity == 1.0:
            raise fail(
                "RC105",
                f"forward_sparsity {self.forward_sparsity:g} prunes every weight: "
                "SparseML divides by what is left at the first step "
                "(ZeroDivisionError)",
                "forward_sparsity",
            )
        ratio = nm_sparsity(self.mask_type)
        for name in ("forward_sparsity", "backward_sparsity"):
            value = getattr(self, name)
            if ratio is not None and value != 0 and abs(ratio - value) > 1e-2:
                raise fail(
                    "RC105",
                    f"{name} {value:g} with mask_type {self.mask_type!r}: an N:M mask "
                    f"prunes exactly {ratio:g}, and SparseML fails at the first step",
                    name,
                )
        return self


class PowerpropagationModifier(Modifier):
    TAG = "PowerpropagationModifier"
    KIND = "pruning"
    start_epoch: Epoch
    end_epoch: Epoch
    params: Names
    alpha: Number = 1.0
    strict: Flag = True


class LayerThinningModifier(Modifier):
    TAG = "LayerThinningModifier"
    KIND = "pruning"
    END_FORCED = True
    param_group_dependency_map: dict[str, list[str]]
    structure_type: str = "filter"
    start_epoch: Epoch = -1.0
    update_epochs: Any = None  # a list of epochs; falsy means none
    strict: Flag = True
    end_epoch: Ignored = Field(default=-1.0, description="Ignored: forced to -1.")

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
        if not isinstance(epochs, list) or not all(
            isinstance(e, int | float) and not isinstance(e, bool) for e in epochs
        ):
            raise fail(
                "RC104",
                f"update_epochs must be a list of epochs, got {epochs!r}",
                "update_epochs",
            )
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
