"""Write `families.json`: the module tree of each decoder family transformers
builds, as templates over the model's config, so that `recipe lint --model DIR`
knows an LLM without torch or transformers.

Run with the Python of `.venv-llmc` (transformers of llm-compressor 0.14's time;
nothing of recipe-compiler is imported here):

    .venv-llmc/bin/python recipe_compiler/model/llm/generate.py

For each family, the causal-LM class is built on the meta device (no weights)
from several configs whose sizes differ (prime-ish, so that no two config values
coincide); each module's name (a decoder layer's index becomes `{i}`), class and
the class names of its MRO (what compressed-tensors matches a target against),
and each parameter's shape, every dimension as an expression over the config
(`hidden_size`, `num_key_value_heads*head_dim`, ...) found by search and held to
every sample. A family whose layers differ from each other, or a dimension no
expression explains, is refused here, never guessed. tests/llm/test_families.py
builds more configs in that environment and compares the whole tree.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "families.json"

# the config values each sample sets
_KEYS = (
    "hidden_size",
    "num_attention_heads",
    "num_key_value_heads",
    "intermediate_size",
    "vocab_size",
    "num_hidden_layers",
)
SAMPLES = [
    dict(zip(_KEYS, (48, 4, 2, 80, 97, 2), strict=True)),
    dict(zip(_KEYS, (120, 10, 5, 136, 131, 3), strict=True)),
    dict(zip(_KEYS, (168, 6, 6, 200, 157, 2), strict=True)),
]  # fmt: skip
HEAD_DIMS = [None, 20, None]  # (a family that takes head_dim: one sample sets it)
FAMILIES = {
    "llama": "LlamaConfig",
    "mistral": "MistralConfig",
    "qwen2": "Qwen2Config",
    "qwen3": "Qwen3Config",
    "gemma": "GemmaConfig",
    "gemma2": "Gemma2Config",
    "gemma3_text": "Gemma3TextConfig",
    "phi3": "Phi3Config",
}
# mixture-of-experts families: built on the CPU (tiny) and linearized as oneshot
# does (`llmcompressor.modeling.moe.linearize.linearize_moe`: each expert's
# fused weights become Linear modules), so the tree is the one oneshot quantizes
MOE = {
    "mixtral": "MixtralConfig",
    "qwen3_moe": "Qwen3MoeConfig",
    "qwen2_moe": "Qwen2MoeConfig",
}
MOE_SAMPLES = [  # (experts, moe_intermediate_size, shared_expert_intermediate_size)
    (3, 40, 88),
    (5, 56, 104),
    (4, 72, 120),
]
DIMENSIONS = (
    "hidden_size",
    "intermediate_size",
    "vocab_size",
    "num_attention_heads",
    "num_key_value_heads",
    "head_dim",
    "num_local_experts",
    "num_experts",
    "moe_intermediate_size",
    "shared_expert_intermediate_size",
)
NUMBERED = re.compile(r"^(?P<prefix>.+?)\.(?P<i>\d+)(?P<rest>(\..*)?)$")
LAYER = re.compile(r"^(?P<prefix>.*\.layers)\.(?P<i>\d+)(?P<rest>(\..*)?)$")


def _env(config: Any) -> dict[str, int]:
    """The config values a dimension may be made of (head_dim as the models
    take it: the config's, else hidden_size // num_attention_heads)."""
    env = {k: getattr(config, k, None) for k in DIMENSIONS}
    if env["head_dim"] is None:
        env["head_dim"] = config.hidden_size // config.num_attention_heads
    return {k: v for k, v in env.items() if isinstance(v, int)}


def _candidates(names: list[str]) -> list[str]:
    """Expressions, simplest first: a, 2*a, a*b, (a+2*b)*c; then 1."""
    out = list(names) + [f"2*{a}" for a in names]
    out += [f"{a}*{b}" for a, b in itertools.combinations_with_replacement(names, 2)]
    out += [f"({a}+2*{b})*{c}" for a, b, c in itertools.product(names, repeat=3)]
    return [*out, "1"]  # (a router's single output)


def _value(expr: str, env: dict[str, int]) -> int | None:
    """An expression of `_candidates` over env, computed without eval."""
    m = re.fullmatch(r"\((\w+)\+2\*(\w+)\)\*(\w+)", expr)
    if m:
        a, b, c = (env.get(g) for g in m.groups())
        return None if None in (a, b, c) else (a + 2 * b) * c  # type: ignore[operator]
    total = 1
    for part in expr.split("*"):
        if part.isdigit():
            total *= int(part)
        elif part in env:
            total *= env[part]
        else:
            return None
    return total


def _mro(module: Any) -> list[str]:
    import torch

    return [c.__name__ for c in type(module).__mro__ if issubclass(c, torch.nn.Module)]


def _tree(config: Any, moe: bool = False) -> list[dict[str, Any]]:
    import torch
    from transformers import AutoModelForCausalLM

    if moe:  # (linearizing copies weights: a meta model has none to copy)
        from llmcompressor.modeling.moe.linearize import linearize_moe

        model = AutoModelForCausalLM.from_config(config)
        linearize_moe(model)
    else:
        with torch.device("meta"):
            model = AutoModelForCausalLM.from_config(config)
    out = []
    for name, module in model.named_modules():
        params = {p: list(t.shape) for p, t in module.named_parameters(recurse=False)}
        out.append({"name": name, "mro": _mro(module), "params": params})
    tied = model.get_output_embeddings() is not None and (
        model.get_output_embeddings().weight is model.get_input_embeddings().weight
    )
    return [{"class": type(model).__name__, "tied": tied}, *out]


def _template(tree: list[dict[str, Any]]) -> tuple[list[Any], dict[str, Any]]:
    """The tree with layer 0 standing for every layer (each layer checked equal
    to it): a list of entries, `{"layers": prefix, "modules": [...]}` once."""
    entries: list[Any] = []
    layers: dict[int, list[dict[str, Any]]] = {}
    prefix = None
    for row in tree[1:]:
        m = LAYER.match(row["name"])
        if m is None:
            entries.append(row)
            continue
        prefix = m.group("prefix")
        i = int(m.group("i"))
        if i not in layers:
            layers[i] = []
            if i == 0:
                entries.append({"layers": prefix, "modules": layers[0]})
        layers[i].append({**row, "name": m.group("rest").lstrip(".")})
    for i, rows in layers.items():
        if rows != layers[0]:
            raise SystemExit(f"layer {i} differs from layer 0: not templated")
    if 0 in layers:
        layers[0][:] = _numbered(layers[0])
    return entries, tree[0]


def _numbered(rows: list[dict[str, Any]]) -> list[Any]:
    """A layer's rows with a numbered block inside it (`mlp.experts.0.up_proj`,
    `mlp.experts.1.up_proj`, ...) as one entry: `{"repeat": "mlp.experts",
    "count": n, "modules": [...]}`, each index checked equal to index 0."""
    out: list[Any] = []
    blocks: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for row in rows:
        m = NUMBERED.match(row["name"])
        if m is None:
            out.append(row)
            continue
        prefix, i = m.group("prefix"), int(m.group("i"))
        if prefix not in blocks:
            blocks[prefix] = {}
            out.append({"repeat": prefix, "count": 0, "modules": []})
        blocks[prefix].setdefault(i, []).append(
            {**row, "name": m.group("rest").lstrip(".")}
        )
    for entry in out:
        if isinstance(entry, dict) and "repeat" in entry:
            found = blocks[entry["repeat"]]
            if sorted(found) != list(range(len(found))):
                raise SystemExit(f"{entry['repeat']}: indices {sorted(found)}")
            if any(rows != found[0] for rows in found.values()):
                raise SystemExit(f"{entry['repeat']}: its entries differ")
            entry["count"], entry["modules"] = len(found), found[0]
    return out


def _dims(samples: list[tuple[list[Any], dict[str, int]]]) -> list[Any]:
    """The first sample's entries with every parameter dimension an expression
    that gives each sample's dimension."""
    names = sorted({k for _, env in samples for k in env})
    candidates = _candidates(names)

    def solve(values: list[int], where: str) -> str:
        for expr in candidates:
            if all(
                _value(expr, env) == v
                for (_, env), v in zip(samples, values, strict=True)
            ):
                return expr
        raise SystemExit(f"{where}: no expression gives {values}")

    def rows(per_sample: list[list[Any]], where: str) -> list[Any]:
        out: list[Any] = []
        for at, group in enumerate(zip(*per_sample, strict=True)):
            first = group[0]
            if "repeat" in first:
                if any(g.get("repeat") != first["repeat"] for g in group):
                    raise SystemExit(f"{where}: entry {at} differs between samples")
                count = solve([g["count"] for g in group], where + first["repeat"])
                inner = rows(
                    [g["modules"] for g in group], where + first["repeat"] + ".{e}."
                )
                out.append(
                    {"repeat": first["repeat"], "count": count, "modules": inner}
                )
                continue
            if any(
                r["name"] != first["name"] or r["mro"] != first["mro"] for r in group
            ):
                raise SystemExit(f"{where}: entry {at} differs between samples")
            params = {}
            for p in first["params"]:
                dims = zip(*(r["params"][p] for r in group), strict=True)
                params[p] = [
                    solve(list(d), f"{where}{first['name']}.{p}") for d in dims
                ]
            out.append([first["name"], first["mro"], params])
        return out

    entries = [s[0] for s in samples]
    out: list[Any] = []
    for group in zip(*entries, strict=True):
        if "layers" in group[0]:
            layer_rows = rows([g["modules"] for g in group], "layers.{i}.")
            out.append({"layers": group[0]["layers"], "modules": layer_rows})
        else:
            out.extend(rows([[g] for g in group], ""))
    return out


def family(model_type: str, config_class: str) -> dict[str, Any]:
    import transformers

    cls = getattr(transformers, config_class)
    moe = model_type in MOE
    samples = []
    classes = set()
    for k, (values, head_dim) in enumerate(zip(SAMPLES, HEAD_DIMS, strict=True)):
        extra = {"head_dim": head_dim} if head_dim and _takes_head_dim(cls) else {}
        if moe:
            experts, moe_size, shared = MOE_SAMPLES[k]
            given = {"num_local_experts": experts, "num_experts": experts,
                     "moe_intermediate_size": moe_size,
                     "shared_expert_intermediate_size": shared}  # fmt: skip
            extra |= {key: v for key, v in given.items() if _takes(cls, key)}
        config = cls(**values, **extra, tie_word_embeddings=False, pad_token_id=0)
        tree = _tree(config, moe)
        classes.add(tree[0]["class"])
        entries, _ = _template(tree)
        samples.append((entries, _env(config)))
    if len(classes) != 1:
        raise SystemExit(f"{model_type}: classes {classes}")
    return {
        "model_type": model_type,
        "config": config_class,
        "class": classes.pop(),
        "modules": _dims(samples),
        "defaults": _defaults(cls),
    }


def _defaults(cls: Any) -> dict[str, Any]:
    """What the config class makes of a config.json that leaves a value out:
    its defaults, whether a missing `num_key_value_heads` becomes
    `num_attention_heads` and a missing `head_dim` hidden_size //
    num_attention_heads (checked with an odd head count)."""
    default = cls(pad_token_id=0)
    out: dict[str, Any] = {k: getattr(default, k, None) for k in DIMENSIONS}
    out = {k: v for k, v in out.items() if v is not None or k in DIMENSIONS[:6]}
    out["tie_word_embeddings"] = bool(default.tie_word_embeddings)
    odd = cls(num_attention_heads=7, hidden_size=7 * 8, pad_token_id=0)
    out["kv_heads_from_heads"] = getattr(odd, "num_key_value_heads", None) == 7
    out["head_dim_from_hidden"] = getattr(odd, "head_dim", 8) == 8
    return out


def _takes_head_dim(cls: Any) -> bool:
    return _takes(cls, "head_dim")


def _takes(cls: Any, key: str) -> bool:
    import inspect

    return key in inspect.signature(cls.__init__).parameters


def families() -> dict[str, Any]:
    answer, sys.stdout = sys.stdout, sys.stderr
    try:
        import transformers

        out = {t: family(t, c) for t, c in (FAMILIES | MOE).items()}
    finally:
        sys.stdout = answer
    return {"transformers": transformers.__version__, "families": out}


def text() -> str:
    return json.dumps(families(), indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    if "--print" in sys.argv:
        sys.stdout.write(text())
    else:
        OUT.write_text(text())
        print(f"wrote {OUT}", file=sys.stderr)
