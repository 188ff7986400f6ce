"""The module tree of an LLM: what compressed-tensors matches targets against
(each module's full name and the class names of its MRO) and what a scheme is
applied to (Linear and Embedding weights, their shapes)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class LLMModule:
    name: str  # as in named_modules(): "" for the model itself
    mro: tuple[str, ...]  # its class and every torch Module base, nearest first
    params: tuple[tuple[str, tuple[int, ...]], ...] = ()  # its own, with shapes

    @property
    def type(self) -> str:
        return self.mro[0]

    @property
    def weight(self) -> tuple[int, ...] | None:
        return dict(self.params).get("weight")

    @property
    def in_features(self) -> int | None:
        """A Linear's input columns (its weight is out x in)."""
        w = self.weight
        return w[1] if "Linear" in self.mro and w is not None and len(w) == 2 else None

    @property
    def out_features(self) -> int | None:
        w = self.weight
        return w[0] if "Linear" in self.mro and w is not None and len(w) == 2 else None


@dataclasses.dataclass(frozen=True)
class LLM:
    """A causal LM's modules in `named_modules()` order."""

    path: str  # the folder (or config.json) it was read from
    model_type: str
    architecture: str  # the class transformers builds (LlamaForCausalLM, ...)
    modules: tuple[LLMModule, ...]
    tied: bool  # lm_head shares the input embedding's weight
    source: str  # "tables" (transformers x.y) or "transformers x.y" (built)
    checked: str | None = None  # what the safetensors headers confirmed
    dtype: str = "float32"  # the checkpoint's (config.json's dtype or torch_dtype)
    # the config answers num_key_value_heads (every family of the tables does);
    # compressed-tensors reads it to quantize the kv cache
    kv_heads: bool = True

    def named(self) -> dict[str, LLMModule]:
        return {m.name: m for m in self.modules}

    @property
    def weights(self) -> int:
        """Parameters in all, a tied weight once."""
        total = sum(_size(s) for m in self.modules for _, s in m.params)
        if self.tied:
            head = self.named().get("lm_head")
            total -= _size(head.weight) if head is not None and head.weight else 0
        return total


def _size(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def dtype_of(config: object) -> str:
    """config.json's `dtype` (transformers 5) or `torch_dtype`, else float32
    (what transformers loads without one)."""
    get = config.get if isinstance(config, dict) else lambda k: getattr(config, k, None)
    for key in ("dtype", "torch_dtype"):
        value = get(key)
        if value is not None:
            return str(value).removeprefix("torch.")
    return "float32"
