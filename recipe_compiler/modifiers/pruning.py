"""Pruning modifiers other than GMP (sparseml/pytorch/sparsification/pruning/)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from .base import (
    ArithmeticValue,
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
    Params,
    PositiveCount,
    PositiveNumber,
    RangeCount,
    UsedNumber,
    _describe,
    _number,
    _positive_count,
    _positive_number,
    _used_number,
    fail,
)
from .gradual import (
    Gradual,
    MaskType,
    check_mask_dimensions,
    check_nm_ratio,
)
from .masks import Targets, check_targets, explicit_count


def _keyword_arguments(v: Any) -> Any:
    """A mapping SparseML passes as `**kwargs` when it initializes: a key that
    is not a string is a TypeError ("keywords must be strings")."""
    if isinstance(v, dict):
        bad = [k for k in v if not isinstance(k, str)]
        if bad:
            raise fail(
                "RC012",
                f"the key {bad[0]!r} is read as {type(bad[0]).__name__}, not as a "
                "name; SparseML passes the mapping as keyword arguments and raises "
                "TypeError at initialize",
            )
    return v


KeywordArguments = Annotated[dict[str, Any], BeforeValidator(_keyword_arguments)]


def _devices(v: Any) -> Any:
    """MFAC's computation devices: None is SparseML's default; anything else is
    iterated for device names when it scores (which names work is the machine's:
    `cpu` alone, or `cuda:N`)."""
    empty = isinstance(v, list | str | dict) and not v  # iterated: no device
    if (
        v is None
        or empty
        or (isinstance(v, list) and all(isinstance(x, str) for x in v))
    ):
        return v
    raise fail(
        "RC104",
        f"available_devices must be a list of device names, got {_describe(v)}; "
        "SparseML fails at the first pruning step",
        on_start=True,
    )


Devices = Annotated[Any, BeforeValidator(_devices)]


def _no_rounds(info: ValidationInfo) -> bool:
    """OBS with num_recomputations below 1 never collects gradients nor builds a
    Fisher block: num_grads and fisher_block_size are never read."""
    rounds = info.data.get("num_recomputations", 1)
    return isinstance(rounds, int) and rounds < 1


def _obs_num_grads(v: Any, info: ValidationInfo) -> Any:
    return v if _no_rounds(info) else _positive_number(v)


def _obs_block(v: Any, info: ValidationInfo) -> Any:
    return v if _no_rounds(info) else _positive_count(v)


def _power_alpha(v: Any, info: ValidationInfo) -> Any:
    """Powerpropagation raises the weights of its params to alpha: with params []
    there are none, and alpha is never used."""
    return v if info.data.get("params", None) == [] else _used_number(v)


ObsNumGrads = Annotated[Any, BeforeValidator(_obs_num_grads)]
ObsBlock = Annotated[Any, BeforeValidator(_obs_block)]
PowerAlpha = Annotated[Any, BeforeValidator(_power_alpha)]


def _per_parameter(m: Modifier, field: str) -> None:
    """MFAC's and OBS's init_sparsity, read per pruned parameter when it is a
    sequence: it fails at the first pruning step when the count differs from the
    params', when there are none, or, pruning globally, when the values differ."""
    value = getattr(m, field)
    if not isinstance(value, list | dict):
        return
    values = list(value)
    if getattr(m, "global_sparsity", False) and len(set(values)) > 1:
        raise fail(
            "RC105",
            f"{field} {values}: global pruning needs one sparsity for all "
            "parameters; SparseML fails at the first pruning step",
            field,
            on_start=True,
        )
    n = explicit_count(m)
    if not values or (n is not None and len(values) != n):
        # more values than params are indexed past the params' end
        raised = "IndexError" if n is not None and len(values) > n else "ValueError"
        raise fail(
            "RC105",
            f"{field} has {len(values)} values for "
            + (f"{n} params" if n is not None else "the params")
            + "; SparseML needs one per parameter and fails at the first pruning "
            f"step ({raised})",
            field,
            on_start=True,
        )


class MFACPruningModifier(Gradual):
    """Not a GMPruningModifier in SparseML: its sparsities are not type- or
    range-checked, and its end must be at or after its start (-1 is not special)."""

    TAG = "MFACPruningModifier"
    END_COMPARATOR = 0
    init_sparsity: LooseNumber
    final_sparsity: FloatOrMapping
    global_sparsity: Flag = False
    # `is True`: buffering live gradients; anything else uses the grad sampler
    use_gradient_buffering: Any = None
    num_grads: PositiveCount | dict[float, int] = 64
    damp: UsedNumber = 1e-5
    grads_device: Any = "cpu"  # stored, never read in SparseML 1.8
    fisher_block_size: PositiveCount = 2000
    num_pages: Any = 1  # read only with gradient buffering on several devices
    available_devices: Devices = None
    grad_sampler_kwargs: Any = None  # read by the integration's grad sampler

    @model_validator(mode="after")
    def _mfac(self) -> MFACPruningModifier:
        _per_parameter(self, "init_sparsity")
        if isinstance(self.init_sparsity, int | float) and self.init_sparsity == 1:
            raise fail(
                "RC105",
                f"init_sparsity {self.init_sparsity:g} prunes every weight: SparseML "
                "fails at the first pruning step (RuntimeError)",
                "init_sparsity",
                on_start=True,
            )
        if self.damp == 0:
            raise fail(
                "RC105",
                "damp 0: SparseML divides by it at the first pruning step "
                "(ZeroDivisionError)",
                "damp",
                on_start=True,
            )
        if isinstance(self.num_grads, dict) and 0.0 not in self.num_grads:
            raise fail(
                "RC105",
                f"num_grads {self.num_grads}: SparseML looks up the number of "
                "gradients for each sparsity from a threshold of 0.0, which is "
                "missing, and fails at the first pruning step (ValueError)",
                "num_grads",
                on_start=True,
            )
        if self.fisher_block_size < 1:
            raise fail(
                "RC105",
                f"fisher_block_size must be at least 1, got {self.fisher_block_size}: "
                "SparseML fails at the first pruning step (RuntimeError)",
                "fisher_block_size",
                on_start=True,
            )
        return self


class OBSPruningModifier(Gradual):
    """Like MFAC, a BaseGradualPruningModifier without GMP's value checks."""

    TAG = "OBSPruningModifier"
    END_COMPARATOR = 0
    init_sparsity: LooseNumber
    final_sparsity: FloatOrMapping
    global_sparsity: Flag = True
    # `range(1, num_recomputations + 1)` rounds of gradients: with none (below 1)
    # OBS never collects any, and num_grads is never read
    num_recomputations: RangeCount = 1
    num_grads: ObsNumGrads = 1024
    # `_validate`: "to support 'damp: 1e-7' in the recipe", a string is float()ed
    damp: LRValue = 1e-7
    fisher_block_size: ObsBlock = 1
    grad_sampler_kwargs: Any = None  # read by the integration's grad sampler

    @model_validator(mode="after")
    def _obs(self) -> OBSPruningModifier:
        if self.mask_type not in ("unstructured", "block4"):
            raise fail(
                "RC105",
                f"{self.mask_type!r} mask_type not supported by OBS: unstructured or "
                "block4 (SparseML raises ValueError at load)",
                "mask_type",
            )
        block = self.fisher_block_size
        if self.mask_type == "block4" and not isinstance(block, int | float):
            raise fail(
                "RC104",
                f"fisher_block_size must be a number, got {_describe(block)}; "
                "SparseML checks it is divisible by 4 for block4 at load (TypeError)",
                "fisher_block_size",
            )
        if self.mask_type == "block4" and block % 4:
            raise fail(
                "RC105",
                f"fisher_block_size {self.fisher_block_size} with block4 pruning: "
                "SparseML needs it divisible by 4 and raises ValueError at load",
                "fisher_block_size",
            )
        _per_parameter(self, "init_sparsity")
        if self.damp == 0:
            raise fail(
                "RC105",
                "damp 0: SparseML divides by it at the first pruning step "
                "(ZeroDivisionError)",
                "damp",
                on_start=True,
            )
        return self


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
    compression_sparsity: Targets
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
        # what SparseML checks at load first: a modifier that never starts still
        # fails on it (validate._unless_idle), the step failures after
        for name in ("start_epoch", "end_epoch", "update_frequency"):
            value = getattr(self, name)
            if value != int(value) if value == value else True:
                raise fail(
                    "RC105",
                    f"{name} {value:g}: AC/DC takes whole epochs (SparseML raises "
                    "ValueError at load)",
                    name,
                )
        check_mask_dimensions(self.mask_type, self.params)
        check_targets(self, "compression_sparsity")
        check_nm_ratio(
            self.mask_type,
            "compression_sparsity",
            self.compression_sparsity,
            "at the first compressed phase (ValueError)",
        )
        if self.update_frequency == 0:
            raise fail(
                "RC105",
                "update_frequency 0: AC/DC divides by it at the first step "
                "(ZeroDivisionError)",
                "update_frequency",
                on_start=True,
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
    num_grads: PositiveNumber = 1
    leave_enabled: Flag = True
    global_sparsity: Flag = False
    momentum_buffer_reset: Flag = True
    mask_type: MaskType = "unstructured"
    sparsity_strategy: str = "erdos_renyi_kernel"
    init_update_fraction: UsedNumber = 0.3
    # passed as **kwargs to the grad sampler's loader builder: null is a TypeError
    grad_sampler_kwargs: KeywordArguments = Field(default_factory=dict)

    @model_validator(mode="after")
    def _rigl(self) -> RigLPruningModifier:
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
        # the first update keeps the top s + (1 - s) * init_update_fraction of
        # each parameter's weights (s: its share of final_sparsity), which torch's
        # kthvalue needs in [0, 1]. Above 1 that fails for every s; below 0 for
        # s = final_sparsity (`uniform`; and erdos_renyi gives some layer less).
        # Otherwise, below 0 only on layers erdos_renyi makes denser: the model's.
        u = self.init_update_fraction
        s = min(max(self.final_sparsity, 0.0), 1.0)  # each layer's is clipped
        if not 0.0 <= s + (1 - s) * u <= 1.0:
            raise fail(
                "RC105",
                f"init_update_fraction {u:g}: the first update keeps a fraction "
                f"s + (1 - s) * init_update_fraction of each layer's weights, "
                f"{s + (1 - s) * u:g} at final_sparsity {s:g}, outside [0, 1]; "
                "SparseML fails at the first update (RuntimeError)",
                "init_update_fraction",
                on_start=True,
            )
        if self.end_epoch != self.end_epoch:
            raise fail(
                "RC105",
                "end_epoch .nan: SparseML fails at the first update (ValueError: "
                "cannot convert float NaN to integer)",
                "end_epoch",
                on_start=True,
            )
        if self.start_epoch == self.end_epoch and self.start_epoch != -1:
            raise fail(
                "RC105",
                f"RigL starts and ends at epoch {self.start_epoch:g}: SparseML "
                "divides by end - start at its first update (ZeroDivisionError)",
                "end_epoch",
                on_start=True,
            )
        return self


def _forward_sparsity(v: Any) -> float | int:
    """TopKAST's weight decay divides by `1 - forward_sparsity` in every
    optimizer_pre_step, from the first training step, started or not."""
    try:
        return _number(v)
    except PydanticCustomError as exc:
        raise fail(
            "RC104",
            f"{exc.message()}; SparseML computes 1 / (1 - forward_sparsity) at "
            "every training step, from the first, even before the modifier starts, "
            "and fails (TypeError)",
        ) from None


ForwardSparsity = Annotated[float, BeforeValidator(_forward_sparsity)]


class TopKASTPruningModifier(Modifier):
    TAG = "TopKASTPruningModifier"
    KIND = "pruning"
    END_COMPARATOR = 0
    forward_sparsity: ForwardSparsity
    backward_sparsity: Targets
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
        check_mask_dimensions(self.mask_type, self.params)
        check_targets(self, "backward_sparsity")
        if self.forward_sparsity == 1.0:
            raise fail(
                "RC105",
                f"forward_sparsity {self.forward_sparsity:g} prunes every weight: "
                "SparseML divides by what is left at every training step, from the "
                "first, even before the modifier starts (ZeroDivisionError)",
                "forward_sparsity",
            )
        for name in ("forward_sparsity", "backward_sparsity"):
            check_nm_ratio(
                self.mask_type, name, getattr(self, name), "at the first step"
            )
        return self


class PowerpropagationModifier(Modifier):
    TAG = "PowerpropagationModifier"
    KIND = "pruning"
    start_epoch: Epoch
    end_epoch: Epoch
    params: Names
    alpha: PowerAlpha = 1.0
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
