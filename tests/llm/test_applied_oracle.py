"""The modules `recipe show RECIPE --model DIR --format json` says each modifier
quantizes (dialects/llmcompressor/applied.py, over the tables' module tree of
DIR's config.json) are the ones
llm-compressor 0.14's oneshot gives a scheme, with the same weight bits,
strategy and group size and input activation bits: tiny models built from
configs run oneshot in .venv-llmc (tests/llm/oneshot_oracle.py) on presets with
and without `ignore` (and a typo in it), anchored and unanchored `re:` targets,
class targets, config groups whose targets overlap, a scheme mapping, two
modifiers, and group sizes that do and do not fit the columns."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from recipe_compiler.cli import main
from tests.conftest import ROOT, in_llmc

ORACLE = ROOT / "tests" / "llm" / "oneshot_oracle.py"


def llama(hidden: int) -> dict:
    return {
        "hidden_size": hidden,
        "intermediate_size": 2 * hidden,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "vocab_size": 128,
        "pad_token_id": 0,
    }


QWEN3 = {**llama(64), "head_dim": 32}
MIXTRAL = {**llama(64), "num_local_experts": 3, "num_experts_per_tok": 2}
QWEN2_MOE = {**llama(64), "num_experts": 3, "num_experts_per_tok": 2,
             "moe_intermediate_size": 32, "shared_expert_intermediate_size": 96}  # fmt: skip
PHI3 = llama(96)


def stage(*bodies: str) -> str:
    return "quant_stage:\n  quant_modifiers:\n" + "".join(bodies)


W8A8 = "    QuantizationModifier:\n      scheme: W8A8\n"
CASES = [
    ("llama", "LlamaConfig", llama(64), stage(W8A8 + "      ignore: [lm_head]\n")),
    ("llama", "LlamaConfig", llama(64), stage(W8A8 + "      ignore: [lm_heads]\n")),
    (
        "llama",
        "LlamaConfig",
        llama(64),
        stage(W8A8 + "      targets: ['re:mlp.gate_proj$']\n"),
    ),
    (
        "llama",
        "LlamaConfig",
        llama(64),
        stage(W8A8 + "      targets: ['re:.*mlp.gate_proj$']\n"),
    ),
    (
        "llama",
        "LlamaConfig",
        llama(64),
        stage(W8A8 + "      targets: [LlamaMLP, Embedding]\n"),
    ),
    (
        "llama",
        "LlamaConfig",
        llama(64),
        stage(
            "    QuantizationModifier:\n      scheme: W8A16\n      targets: [Linear, Embedding]\n      ignore: ['re:.*layers.1.*']\n"
        ),
    ),
    (
        "llama",
        "LlamaConfig",
        llama(64),
        stage("    GPTQModifier:\n      scheme: W4A16\n      ignore: [lm_head]\n"),
    ),
    (
        "llama",
        "LlamaConfig",
        llama(128),
        stage("    GPTQModifier:\n      scheme: W4A16\n      ignore: [lm_head]\n"),
    ),
    (
        "qwen3",
        "Qwen3Config",
        QWEN3,
        stage(
            "    QuantizationModifier:\n      ignore: [lm_head]\n      config_groups:\n"
            "        attention:\n          targets: ['re:.*self_attn.*']\n"
            "          weights: {num_bits: 8, strategy: channel}\n"
            "        rest:\n          targets: [Linear, model.layers.0.self_attn.q_proj]\n"
            "          weights: {num_bits: 4, group_size: 32}\n"
        ),
    ),
    (
        "llama",
        "LlamaConfig",
        llama(64),
        "s_stage:\n  s_modifiers:\n    SparseGPTModifier:\n      sparsity: 0.5\n",
    ),
    (
        "llama",
        "LlamaConfig",
        llama(64),
        "s_stage:\n  s_modifiers:\n    SparseGPTModifier:\n      sparsity: 0.5\n      ignore: [lm_head, 're:.*mlp.*']\n",
    ),
    (
        "llama",
        "LlamaConfig",
        llama(64),
        "s_stage:\n  s_modifiers:\n    SparseGPTModifier:\n      sparsity: 0.5\n      ignore: ['re:.*lm_head']\n",
    ),
    (
        "llama",
        "LlamaConfig",
        llama(64),
        "s_stage:\n  s_modifiers:\n    WandaPruningModifier:\n      sparsity: [0.5, 0.25]\n"
        "      mask_structure: '0:0'\n      targets: ['re:.*layers.\\d+.self_attn$']\n",
    ),
    ("mixtral", "MixtralConfig", MIXTRAL, stage(W8A8 + "      ignore: [lm_head]\n")),
    (
        "qwen2_moe",
        "Qwen2MoeConfig",
        QWEN2_MOE,
        stage(W8A8 + "      ignore: [lm_head, 're:.*experts.1.*']\n"),
    ),
    (
        "phi3",
        "Phi3Config",
        PHI3,
        stage(
            "    QuantizationModifier:\n      scheme: {W4A16: ['re:.*mlp.*'], FP8_DYNAMIC: ['re:.*qkv_proj$']}\n",
            "    QuantizationModifier:\n      scheme: W8A8\n      targets: ['re:.*down_proj$', 're:.*o_proj$']\n",
        ),
    ),
]


@pytest.fixture(scope="module")
def oneshot_results(llmc):
    answers = in_llmc(
        ORACLE, [{"config": c, "values": v, "recipe": r} for _, c, v, r in CASES]
    )
    return answers


def show_json(tmp_path, model_type: str, values: dict, recipe: str) -> list[dict]:
    """`recipe show RECIPE --model DIR --format json`'s modules (DIR holding the
    config.json alone)."""
    (tmp_path / "config.json").write_text(
        json.dumps({"model_type": model_type, **values})
    )
    (tmp_path / "r.yaml").write_text(recipe)
    argv = ["show", str(tmp_path / "r.yaml"), "--model", str(tmp_path)]
    result = CliRunner().invoke(main, [*argv, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)["modules"]


def pruned(tmp_path, model_type: str, values: dict, recipe: str) -> dict:
    """What `recipe show --format json` says each module is pruned to."""
    modules = show_json(tmp_path, model_type, values, recipe)
    return {m["name"]: m["sparsity"] for m in modules if m["sparsity"]}


def predicted(tmp_path, model_type: str, values: dict, recipe: str) -> dict:
    """What `recipe show --format json` says each module gets."""
    modules = show_json(tmp_path, model_type, values, recipe)
    return {
        m["name"]: {
            "weights": _args(m, "weight_bits", "strategy", "group_size"),
            "input_activations": _args(
                m, "input_bits", "input_strategy", "input_group_size"
            ),
        }
        for m in modules
        if m["scheme"] is not None
    }


def _args(module: dict, bits: str, strategy: str, group: str):
    if module[bits] is None:
        return None
    return {
        "num_bits": module[bits],
        "strategy": module[strategy],
        "group_size": module[group],
    }


@pytest.mark.parametrize("at", range(len(CASES)))
def test_each_module_gets_the_scheme_oneshot_gives_it(oneshot_results, at, tmp_path):
    model_type, _, values, recipe = CASES[at]
    theirs = oneshot_results[at]["schemes"]
    assert predicted(tmp_path, model_type, values, recipe) == theirs, recipe


SPARSE = [
    i for i, case in enumerate(CASES) if "Pruning" in case[3] or "SparseGPT" in case[3]
]


@pytest.mark.parametrize("at", SPARSE)
def test_each_module_is_pruned_as_oneshot_prunes_it(oneshot_results, at, tmp_path):
    """The fraction of zeros oneshot leaves in each Linear weight is the sparsity
    `recipe show` says (SparseGPT and Wanda reach it exactly per row)."""
    model_type, _, values, recipe = CASES[at]
    assert pruned(tmp_path, model_type, values, recipe) == oneshot_results[at]["zeros"]


def test_the_cases_cover_what_they_say(oneshot_results):
    counts = [len(r["schemes"]) for r in oneshot_results]
    assert counts[0] == 14 and counts[1] == 15  # the ignore typo quantizes lm_head
    assert counts[2] == 0 and counts[3] == 2  # re: is anchored at the start
    crashed = [r["ok"] for r in oneshot_results[6:8]]
    assert crashed == [False, True]  # W4A16's group of 128 on 64 columns
    # SparseGPT prunes lm_head too, and `ignore: [lm_head]` does not keep it out
    first, ignored = SPARSE[:2]
    assert "lm_head" in oneshot_results[first]["zeros"]
    assert "lm_head" in oneshot_results[ignored]["zeros"]
    assert "lm_head" not in oneshot_results[SPARSE[2]]["zeros"]  # `re:.*lm_head` does
