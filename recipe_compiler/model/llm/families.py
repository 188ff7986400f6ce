"""An LLM's module tree from the tables shipped for the common decoder families
(`families.json`: written by `generate.py` from transformers' own models; a test
builds other configs with transformers and compares every module), without
torch or transformers. A config value that config.json leaves out takes what
the family's config class would make of it (its default, or the value it is
derived from)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .tree import LLM, LLMModule, dtype_of

TABLE = Path(__file__).resolve().parent / "families.json"
MAX_LAYERS = 4096  # more decoder layers than any model has: refused, as a bound
_EXPERTS = (
    "num_local_experts",
    "num_experts",
    "moe_intermediate_size",
    "shared_expert_intermediate_size",
)
MAX_EXPERTS = 4096


class FamilyError(ValueError):
    """The config cannot be expanded by the tables; the message says why."""


@functools.cache
def table() -> Mapping[str, Any]:
    return json.loads(TABLE.read_text(encoding="utf-8"))


def known(model_type: str) -> bool:
    return model_type in table()["families"]


def _int(config: Mapping[str, Any], key: str, default: Any) -> int:
    value = config.get(key, default)
    if value is None:
        value = default
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise FamilyError(f"config.json {key} is {value!r}, not a positive integer")
    return value


def dimensions(family: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, int]:
    """The config values the tree is made of, as the config class resolves them."""
    defaults = family["defaults"]
    env: dict[str, int] = {}
    for key in (
        "hidden_size",
        "intermediate_size",
        "vocab_size",
        "num_attention_heads",
    ):
        env[key] = _int(config, key, defaults[key])
    kv = defaults["num_key_value_heads"]
    if defaults["kv_heads_from_heads"]:
        kv = env["num_attention_heads"]
    env["num_key_value_heads"] = _int(config, "num_key_value_heads", kv)
    head = defaults["head_dim"]
    if defaults["head_dim_from_hidden"] or head is None:
        head = env["hidden_size"] // env["num_attention_heads"]
    env["head_dim"] = _int(config, "head_dim", head)
    for key in _EXPERTS:  # (mixture-of-experts families only)
        if key in defaults:
            env[key] = _int(config, key, defaults[key])
    # transformers' configs alias the expert count (`attribute_map`): the one
    # config.json gives is both
    given = [k for k in ("num_local_experts", "num_experts") if k in config]
    if given:
        count = _int(config, given[0], None)
        for key in ("num_local_experts", "num_experts"):
            if key in defaults:
                env[key] = count
    return env


def _dim(expr: str, env: Mapping[str, int]) -> int:
    """An expression of the table (`a`, `2*a`, `a*b`, `(a+2*b)*c`, `1`) over env."""
    m = re.fullmatch(r"\((\w+)\+2\*(\w+)\)\*(\w+)", expr)
    if m:
        a, b, c = (env[g] for g in m.groups())
        return (a + 2 * b) * c
    total = 1
    for part in expr.split("*"):
        total *= int(part) if part.isdigit() else env[part]
    return total


def build(path: str, config: Mapping[str, Any]) -> LLM:
    """The tree of the family config.json names (`model_type`)."""
    model_type = config.get("model_type")
    family = table()["families"].get(model_type)
    if family is None:
        raise FamilyError(f"no table for model_type {model_type!r}")
    env = dimensions(family, config)
    layers = _int(config, "num_hidden_layers", 1)
    if layers > MAX_LAYERS:
        raise FamilyError(f"num_hidden_layers {layers} is more than {MAX_LAYERS}")
    modules: list[LLMModule] = []

    def add(name: str, mro: list[str], params: Mapping[str, list[str]]) -> None:
        shapes = tuple((p, tuple(_dim(d, env) for d in s)) for p, s in params.items())
        modules.append(LLMModule(name, tuple(mro), shapes))

    def rows(prefix: str, entries: list[Any]) -> None:
        """A layer's rows, a numbered block (experts) repeated as the config says."""
        for entry in entries:
            if isinstance(entry, dict):
                count = _dim(entry["count"], env)
                if count > MAX_EXPERTS:
                    raise FamilyError(f"{count} experts, more than {MAX_EXPERTS}")
                for e in range(count):
                    rows(f"{prefix}.{entry['repeat']}.{e}", entry["modules"])
                continue
            rest, mro, params = entry
            add(prefix + (f".{rest}" if rest else ""), mro, params)

    for entry in family["modules"]:
        if isinstance(entry, dict):
            for i in range(layers):
                rows(f"{entry['layers']}.{i}", entry["modules"])
        else:
            add(*entry)
    tied = config.get("tie_word_embeddings", family["defaults"]["tie_word_embeddings"])
    return LLM(
        path,
        str(model_type),
        family["class"],
        tuple(modules),
        bool(tied),
        f"tables (transformers {table()['transformers']})",
        dtype=dtype_of(config),
    )
