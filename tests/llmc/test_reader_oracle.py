"""The reader's walk is llm-compressor's, on generated recipe structures.

Recipes of every shape the walk decides on (stages that are or are not mappings,
misspelled and `stages:` keys, flat groups, list groups, `run_type`, keys that are
not strings, bodies that are not mappings, the factory's own keywords, unknown and
abstract modifiers, AWQ with and without a quantizing modifier after it, `args` of
every type), fields a modifier does not define and required ones missing (SparseML's
`percdamp`, `sequential_update`; SparseGPT without `sparsity`), no value of a wrong
type (the fields' own validation is not the walk's): the
engine and `reader.read` must agree on whether it loads, the modifiers in order
and the recipe's stage, or on the first error word for word. The counts of each
outcome are checked so that no branch goes untested.
"""

from __future__ import annotations

import collections
import random

import yaml

from recipe_compiler.dialects.field_types import checked
from recipe_compiler.dialects.llmcompressor.reader import read
from recipe_compiler.dialects.llmcompressor.registry import registry
from recipe_compiler.loader import yamltree
from recipe_compiler.loader.source import from_text

NAMES = [
    "QuantizationModifier",
    "GPTQModifier",
    "SmoothQuantModifier",
    "AWQModifier",
    "SpinQuantModifier",
    "QuIPModifier",
    "LogarithmicEqualizationModifier",
    "SparseGPTModifier",
    "WandaPruningModifier",
    "Modifier",
    "GPTQModifer",
    7,
]
BODIES = [
    {},
    {},
    {},
    {},
    {"sparsity": 0.5},
    {"percdamp": 0.01},
    {"sequential_update": True, "percdamp": 0.1},
    None,
    [],
    "x",
    {"group": "g"},
    {"allow_registered": True},
    {1: 2},
]


VALUES = [1, 2.5, "3", "abc", True, None, [1], ["a"], {"a": 1}, "auto", -1, 0.5]
TYPED = NAMES[:9]
SPARSITY = {
    "sparsity_profile": ["owl", "OWL", "outlier", 1, None],
    "owl_m": [5, None, "x"],
    "owl_lmbda": [0.08, None],
    "mask_structure": ["2:4", "0:0", "2-4", "2:4:8", " 2:4", "a:b", 24],
    "sequential_update": [False, True, "x"],
}


SCHEMES = [
    "W8A8",
    "w4a16",
    "fp8_dynamic",
    "W4A16G",
    "int4",
    {"W4A16": ["Linear"]},
    {"w8a8": "Linear", "W4A17": ["Linear"]},
]


# compressed-tensors' QuantizationArgs fields, with values each validator takes
# or refuses (case, strings for numbers, removed orderings, block strings)
ARGS = {
    "num_bits": [4, 8, 16, "8", "four", 2.5, True],
    "type": ["int", "float", "INT", "Float", "fp", 1],
    "symmetric": [True, False, "maybe", "yes"],
    "group_size": [None, 128, 32, -1, 0, -2, "128", [1], 64.0],
    "strategy": [
        "tensor",
        "channel",
        "group",
        "block",
        "token",
        "TOKEN",
        "tensor_group",
        "attn_head",
        "groups",
        3,
    ],
    "block_structure": [[128, 128], "128x128", "8x", [1, 2, 3], [0, 4], None],
    "dynamic": [True, False, "local", "LOCAL", "sometimes"],
    "actorder": [None, "weight", "static", "group", "Weight", True, False],
    "observer": ["minmax", "mse", None, 4],
    "observer_kwargs": [{}, {"a": 1}, "x"],
    "num_bit": [4],
}
SCHEME_FIELDS = [
    "targets",
    "weights",
    "input_activations",
    "output_activations",
    "format",
]


def _args(rng: random.Random) -> object:
    if rng.random() < 0.04:
        return rng.choice(["W4A16", 8, [1]])
    keys = rng.sample(list(ARGS), rng.randint(1, 4))
    if rng.random() < 0.5:  # a plausible base, mutated
        base = rng.choice(
            [
                {"num_bits": 4, "strategy": "group", "group_size": 128},
                {"num_bits": 8, "strategy": "channel"},
                {"num_bits": 8, "strategy": "token", "dynamic": True},
                {"num_bits": 8, "type": "float", "strategy": "tensor"},
            ]
        )
        keys = keys[:1]
    else:
        base = {}
    return {**base, **{k: rng.choice(ARGS[k]) for k in keys}}


def _scheme_group(rng: random.Random) -> object:
    if rng.random() < 0.04:
        return rng.choice([None, "W8A8", [1]])
    out: dict = {}
    for field in SCHEME_FIELDS:
        if field == "targets":
            if rng.random() < 0.9:
                out["targets"] = rng.choice([["Linear"], "Linear", ["re:.*proj"], [1]])
        elif field == "format":
            if rng.random() < 0.1:
                out["format"] = rng.choice(["pack-quantized", "mixed-precision", "x"])
        elif rng.random() < (0.8 if field == "weights" else 0.3):
            out[field] = _args(rng)
    if rng.random() < 0.05:
        out["weight"] = {}
    return out


def _quantizing(rng: random.Random, name: str) -> dict:
    """A quantizing modifier's schemes, targets and observers, valid and not."""
    out: dict = {}
    k = rng.random()
    if k < 0.6:
        groups = {f"group_{i}": _scheme_group(rng) for i in range(rng.randint(1, 2))}
        out["config_groups"] = groups if rng.random() > 0.03 else [groups]
    elif k < 0.8:
        out["scheme"] = rng.choice(SCHEMES[:3])
    if rng.random() < 0.2:
        out["kv_cache_scheme"] = _args(rng)
    if rng.random() < 0.15:
        out["scheme"] = rng.choice(SCHEMES[:3])
    if rng.random() < 0.15:
        out["targets"] = rng.choice(["Linear", ["Linear"], 5, [1, "x"]])
    if rng.random() < 0.15:
        out["observer"] = rng.choice(
            [{"weights": "mse"}, {"weight": "mse"}, {"input": 1}, "mse", None]
        )
    if rng.random() < 0.1:
        out["weight_observer"] = "mse"
    if name == "GPTQModifier" and rng.random() < 0.3:
        out["actorder"] = rng.choice(["weight", "static", None])
    return out


def _typed(rng: random.Random, name: str) -> dict:
    """Values of every kind in fields whose types the reader checks; scheme names
    (presets in any case, and not) where the modifier quantizes; quantization
    schemes written out (config_groups, kv_cache_scheme), observers, targets."""
    if name in ("QuantizationModifier", "GPTQModifier") and rng.random() < 0.5:
        return _quantizing(rng, name)
    if name in ("SparseGPTModifier", "WandaPruningModifier") and rng.random() < 0.6:
        keys = rng.sample(list(SPARSITY), rng.randint(1, 3))
        if rng.random() < 0.2:
            keys = ["sparsity_profile", "owl_m", "owl_lmbda"]
        body = {k: rng.choice(SPARSITY[k]) for k in keys}
        return {"sparsity": 0.5, **body} if rng.random() < 0.9 else body
    fields = checked(("llm-compressor", name), registry().modifiers[name].fields)
    out = {}
    if fields:
        out = {rng.choice(fields): rng.choice(VALUES) for _ in range(rng.randint(1, 2))}
    if name in ("QuantizationModifier", "GPTQModifier") and rng.random() < 0.5:
        out["scheme"] = rng.choice(SCHEMES)
    return out


def _body(rng: random.Random, name: object) -> object:
    if rng.random() < 0.25:
        return rng.choice(BODIES)
    if isinstance(name, str) and name in TYPED and rng.random() < 0.5:
        return _typed(rng, name)
    if name in ("SparseGPTModifier", "WandaPruningModifier") and rng.random() < 0.7:
        return {"sparsity": 0.5}
    return {}


def _group(rng: random.Random) -> object:
    kind = rng.random()
    if kind < 0.08:
        return [{rng.choice(NAMES[:3]): {}}]  # a list group
    names = [
        rng.choice(NAMES) if rng.random() < 0.3 else rng.choice(NAMES[:9])
        for _ in range(rng.randint(1, 3))
    ]
    return {name: _body(rng, name) for name in names}


def _stage(rng: random.Random) -> object:
    kind = rng.random()
    if kind < 0.06:
        return rng.choice([None, [], "oneshot"])
    out: dict = {}
    for _ in range(rng.randint(1, 3)):
        k = rng.random()
        if k < 0.7:
            out[f"{rng.choice(['quant', 'smooth', 'a'])}_modifiers"] = _group(rng)
        elif k < 0.8:
            out["run_type"] = "oneshot"
        elif k < 0.9:
            out["quant_modifier"] = _group(rng)
        elif k < 0.95:
            out[3] = _group(rng)
        else:
            out["b_modifiers"] = None
    return out


def recipe(rng: random.Random) -> object:
    if rng.random() < 0.03:
        return rng.choice([None, [1, 2], "text"])
    out: dict = {}
    for _ in range(rng.randint(1, 3)):
        k = rng.random()
        if k < 0.65:
            out[f"{rng.choice(['quant', 'sparsity', 'x_stage_y'])}_stage"] = _stage(rng)
        elif k < 0.72:
            out["args"] = rng.choice([{"a": 1}, None, 5, [1]])
        elif k < 0.8:
            out[rng.choice(["stages", "quant_stag", "version"])] = {"s": _stage(rng)}
        elif k < 0.9:
            out["quant_modifiers"] = _group(rng)
        elif k < 0.95:
            out[1] = "x"
        else:
            out["second_stage"] = _stage(rng)
    return out


def _text(obj: object) -> str:
    return "" if obj is None else yaml.safe_dump(obj, sort_keys=False)


def test_the_walk_is_the_engines(llmc):
    rng = random.Random(35)
    texts = [_text(recipe(rng)) for _ in range(600)]
    verdicts = llmc([(f"r{i}.yaml", t) for i, t in enumerate(texts)])
    outcomes: collections.Counter[str] = collections.Counter()
    for text, got in zip(texts, verdicts, strict=True):
        ours = read(yamltree.parse(from_text(text, "r.yaml", "yaml")).root)
        refused = ours.refused
        assert got["loads"] == (refused is None), (text, got, refused)
        if got["loads"]:
            assert got["modifiers"] == [m.name for m in ours.modifiers], text
            assert got["stage"] == ours.stage, text
            outcomes["loads" if got["modifiers"] else "loads empty"] += 1
        else:
            assert got["error"] == refused.error, (text, got["error"])
            # each kind the engine's error counts (a ValidationError counts all)
            outcomes.update({f.kind for f in ours.findings if f.error})
    print(dict(outcomes))
    for kind in (
        "loads",
        "loads empty",
        "not-a-mapping",
        "key-not-a-string",
        "field-not-a-string",
        "body-not-a-mapping",
        "factory-keyword",
        "unknown-modifier",
        "abstract-modifier",
        "args-not-a-mapping",
        "awq-alone",
        "unknown-field",
        "missing-field",
        "wrong-type",
        "unknown-scheme",
        "invalid-scheme",
        "refused-value",
    ):
        assert outcomes[kind] >= 3, (kind, dict(outcomes))
