"""Generated staged recipes for SparseML 1.8's sparseml.core: every shape its
walk decides on (stages that are or are not mappings, `stages:`, misspelled stage
keys, top-level and list groups, stage keys of every kind, keys that are not
strings, entries that are not mappings, unknown and misspelled modifiers), args
and `eval(...)` of every outcome (values, other args, math, undefined names,
parentheses, division by zero), and fields valid and mutated (missing required
ones, wrong types, unknown fields, the factory's own keywords, start/end that
are not numbers, scheme aliases). Shared by tests/sparseml_core/ and
benchmarks/differential_core.py."""

from __future__ import annotations

import random

import yaml

NAMES = [
    "ConstantPruningModifier",
    "MagnitudePruningModifier",
    "SparseGPTModifier",
    "WandaPruningModifier",
    "GPTQModifier",
    "QuantizationModifier",
    "SmoothQuantModifier",
    "LogarithmicEqualizationModifier",
    "LegacyQuantizationModifier",
    "OutputDistillationModifier",
    "Modifier",
]
ODD_NAMES = [
    "SparseGPTModifer",
    "ConstantPruningModifierPyTorch",
    "group",
    7,
    "vLLMQuantizationModifier",
]
GROUPS = {
    "g_0": {"targets": ["Linear"], "weights": {"num_bits": 4, "symmetric": True}},
}
VALID: dict[str, dict] = {
    "ConstantPruningModifier": {"targets": ["re:.*weight"], "start": 0, "end": 2},
    "MagnitudePruningModifier": {
        "targets": "__ALL_PRUNABLE__",
        "init_sparsity": 0.05,
        "final_sparsity": 0.8,
        "start": 0,
        "end": 3,
        "update": 1,
    },
    "SparseGPTModifier": {
        "sparsity": 0.5,
        "block_size": 128,
        "targets": ["re:model.layers.\\d+$"],
    },
    "WandaPruningModifier": {"sparsity": 0.5, "mask_structure": "2:4"},
    "GPTQModifier": {"block_size": 128, "dampening_frac": 0.01, "scheme": "W4A16"},
    "QuantizationModifier": {"config_groups": GROUPS, "ignore": ["lm_head"]},
    "SmoothQuantModifier": {
        "smoothing_strength": 0.8,
        "mappings": [[["re:.*q_proj"], "re:.*input_layernorm"]],
    },
    "LogarithmicEqualizationModifier": {"mappings": [[["re:.*q_proj"], "re:.*norm"]]},
    "LegacyQuantizationModifier": {
        "ignore": ["LlamaRotaryEmbedding"],
        "scheme_overrides": {},
    },
    "OutputDistillationModifier": {
        "targets": ["re:model.layers.\\d+$"],
        "comparison": "square_head",
    },
    "Modifier": {"start": -1},
}
W4G = {"num_bits": 4, "strategy": "group", "group_size": 128}
CONFIG_GROUPS = [
    GROUPS,
    {"group_0": {"targets": ["Linear"], "weights": W4G}},
    {
        "g": {
            "targets": ["Linear"],
            "weights": {"num_bits": 8, "type": "float", "strategy": "channel"},
            "input_activations": {"num_bits": 8, "dynamic": True, "strategy": "token"},
        }
    },
    {"g": {"targets": ["Linear"], "weights": {"num_bits": 4, "strategy": "group"}}},
    {"g": {"targets": ["Linear"], "weights": {"group_size": 0}}},
    {"g": {"targets": ["Linear"], "weights": {"group_size": -1}}},
    {"g": {"targets": ["Linear"], "weights": {"group_size": "x", "strategy": "group"}}},
    {"g": {"targets": ["Linear"], "weights": {"type": "fp", "num_bits": "four"}}},
    {"g": {"weights": W4G}},
    {"g": {"targets": "Linear", "weights": W4G}},
    {"g": {"targets": ["Linear"], "weights": 4}},
    {"g": {"targets": ["Linear"], "weights": {"strategy": "GROUP", "group_size": 64}}},
    {"g": None},
    {"g": [1]},
    "W4A16",
]
FIELD_VALUES = [
    1,
    2.5,
    "3",
    "abc",
    True,
    None,
    [1],
    ["a"],
    {"a": 1},
    -1,
    0.5,
    64.0,
    "eval(s)",
    "eval(s * 2)",
    "eval(nope)",
]
FIELDS = {
    "ConstantPruningModifier": ["targets", "start", "end", "update"],
    "MagnitudePruningModifier": [
        "init_sparsity",
        "final_sparsity",
        "leave_enabled",
        "mask_structure",
        "targets",
    ],
    "SparseGPTModifier": [
        "sparsity",
        "block_size",
        "owl_m",
        "dampening_frac",
        "sequential_update",
        "mask_structure",
    ],
    "WandaPruningModifier": ["sparsity", "owl_lmbda", "targets"],
    "GPTQModifier": [
        "block_size",
        "dampening_frac",
        "ignore",
        "scheme",
        "quantize",
        "targets",
    ],
    "QuantizationModifier": [
        "ignore",
        "num_calibration_steps",
        "config_groups",
        "config_groups",
    ],
    "SmoothQuantModifier": ["smoothing_strength", "mappings", "ignore"],
    "LogarithmicEqualizationModifier": ["smoothing_strength", "num_calibration_steps"],
    "LegacyQuantizationModifier": [
        "scheme",
        "ignore",
        "strict",
        "freeze_bn_stats_epoch",
    ],
    "OutputDistillationModifier": ["targets", "orig_scale", "transforms", "comparison"],
    "Modifier": ["start", "end", "update", "index"],
}
REQUIRED = {
    "ConstantPruningModifier": ["targets"],
    "MagnitudePruningModifier": ["targets", "init_sparsity", "final_sparsity"],
    "QuantizationModifier": ["config_groups"],
    "SmoothQuantModifier": ["mappings"],
    "LogarithmicEqualizationModifier": ["mappings"],
    "OutputDistillationModifier": ["targets"],
}
ARGS = [
    1,
    2.5,
    "eval(2 * 3)",
    "eval(s + 1)",
    "eval(math.pi)",
    "eval(nope)",
    "eval(max(1, 2))",
    "eval(1 / 0)",
    "text",
    "eval(1",
    [1, 2],
    {"k": "eval(x)"},
    True,
    "eval(s > 1)",
    "pre_eval(s)_post",
]


def _value(rng: random.Random, field: str) -> object:
    if field == "config_groups" and rng.random() < 0.85:
        return rng.choice(CONFIG_GROUPS)
    return rng.choice(FIELD_VALUES)


def _body(rng: random.Random, name: object) -> object:
    if rng.random() < 0.08:
        return rng.choice([None, {}, [], "x", 5])
    base = (
        dict(VALID.get(name, {"start": -1})) if isinstance(name, str) else {"start": -1}
    )
    r = rng.random()
    if r < 0.3 and isinstance(name, str) and name in FIELDS:
        for _ in range(rng.randint(1, 2)):
            field = rng.choice(FIELDS[name])
            base[field] = _value(rng, field)
    elif r < 0.4 and name in REQUIRED:
        base.pop(rng.choice(REQUIRED[name]), None)
        base.setdefault("start", -1)
    elif r < 0.48:
        base[
            rng.choice(
                ["percdamp", "tragets", "initialized_", "_epsilon", "group", "index"]
            )
        ] = rng.choice([0.1, True, "x"])
    elif r < 0.52:
        base["framework"] = "pytorch"
    elif r < 0.6:
        base[rng.choice(["start", "end"])] = rng.choice(
            ["abc", [1], "eval(s)", "1.5", True, None, "eval(s / 4)", {"a": 1}]
        )
    elif r < 0.64 and name == "LegacyQuantizationModifier":
        base["scheme"] = rng.choice(
            ["default", "deepsparse", "nope", "tensorrt", "W8A8"]
        )
    return base


def _group(rng: random.Random) -> object:
    if rng.random() < 0.06:
        return rng.choice([[{"ConstantPruningModifier": {"targets": "x"}}], None, "x"])
    names = [
        rng.choice(ODD_NAMES) if rng.random() < 0.1 else rng.choice(NAMES)
        for _ in range(rng.randint(1, 3))
    ]
    return {name: _body(rng, name) for name in names}


def _stage(rng: random.Random) -> object:
    if rng.random() < 0.05:
        return rng.choice([None, [], "oneshot", 3])
    out: dict = {}
    for _ in range(rng.randint(1, 3)):
        k = rng.random()
        if k < 0.7:
            out[f"{rng.choice(['pruning', 'quant', 'obcq', ''])}_modifiers"] = _group(
                rng
            )
        elif k < 0.78:
            out["run_type"] = rng.choice(
                ["oneshot", "train", "ONESHOT", "eval(rt)", None]
            )
        elif k < 0.82:
            out[rng.choice(["enabled", "exclude_default"])] = rng.choice(
                [False, True, "maybe", 1, "no"]
            )
        elif k < 0.86:
            out["args"] = rng.choice([{"a": 1}, None])
        elif k < 0.92:
            out[rng.choice(["quant_modifier", "run_typ", "notes"])] = _group(rng)
        elif k < 0.95:
            out[rng.choice([3, None])] = {"x": 1}
        else:
            out["modifiers"] = rng.choice(
                [{"ConstantPruningModifier": {"targets": "x"}}, None]
            )
    return out


def clean(rng: random.Random) -> dict:
    """A recipe whose structure loads: args, 1-3 stages of valid modifiers, each
    body valid or with one field mutated (what the fields' types decide)."""
    out: dict = {"s": rng.choice([2, 0.5, "eval(3 - 1)", 1])}
    for i in range(rng.randint(1, 3)):
        group = {}
        for name in rng.sample(NAMES, rng.randint(1, 3)):
            body = dict(VALID[name])
            if rng.random() < 0.6 and name in FIELDS:
                field = rng.choice(FIELDS[name])
                body[field] = _value(rng, field)
            group[name] = body
        stage: dict = {f"{rng.choice(['obcq', 'quant', 'pruning'])}_modifiers": group}
        if rng.random() < 0.3:
            stage["run_type"] = rng.choice(["oneshot", "train"])
        out[f"{rng.choice(['oneshot', 'train', 'test'])}{i}_stage"] = stage
    return out


def recipe(rng: random.Random) -> object:
    if rng.random() < 0.4:
        return clean(rng)
    if rng.random() < 0.02:
        return rng.choice([None, [1, 2], "text", "modifiers here", 5])
    out: dict = {}
    if rng.random() < 0.5:
        out["s"] = rng.choice([2, 0.5, "eval(3 - 1)", "eval(t)", -1])
        if rng.random() < 0.4:
            out["t"] = rng.choice([1, "eval(s)", "abc"])
    for _ in range(rng.randint(1, 3)):
        k = rng.random()
        if k < 0.62:
            out[
                f"{rng.choice(['test', 'oneshot', 'train', 'x_stage_y', ''])}_stage"
            ] = _stage(rng)
        elif k < 0.7:
            out[rng.choice(["a", "version", "metadata", "math"])] = rng.choice(ARGS)
        elif k < 0.77:
            out["stages"] = rng.choice([{"s1": _stage(rng)}, [1], {}, {"s2": 5}])
        elif k < 0.82:
            out[rng.choice(["test_stag", "quant-stage", "stage"])] = _stage(rng)
        elif k < 0.87:
            out[rng.choice(["quant_modifiers", "modifiers"])] = _group(rng)
        elif k < 0.9:
            out[rng.choice([1, True])] = "x"
        else:
            out["second_stage"] = _stage(rng)
    return out


def text(obj: object) -> str:
    return "" if obj is None else yaml.safe_dump(obj, sort_keys=False)


def recipes(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [text(recipe(rng)) for _ in range(n)]
