"""Two model checks whose warnings rest on what oneshot leaves behind, held to
oneshot itself in .venv-llmc (tests/llm/oneshot_oracle.py):

- RC758: GPTQModifier's activation ordering is saved in the checkpoint's
  quantization_config for channel, tensor and block weights too; lint warns
  exactly where the saved config carries an `actorder` on weights that are not
  grouped (the form vLLM builds with compressed-tensors before 0.17.1 refuse).
- RC759: the modules compressed-tensors gives a kv_cache_scheme are the ones
  `cached_attention` names, for every family of the tables and for
  architectures built by transformers (GPT-2's and GPT-NeoX's fused attention
  get none), and lint warns exactly where there are none.
"""

from __future__ import annotations

import json
import random

import pytest

from recipe_compiler.dialects.llmcompressor.with_model import cached_attention
from recipe_compiler.model.llm.families import table
from recipe_compiler.model.llm.folder import load_llm
from tests.conftest import ROOT, in_llmc, lint_text
from tests.llm.test_families import configs

ORACLE = ROOT / "tests" / "llm" / "oneshot_oracle.py"
LLAMA = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "vocab_size": 128,
    "pad_token_id": 0,
}
WIDE = {**LLAMA, "hidden_size": 128, "intermediate_size": 256}


def gptq(scheme: str, extra: str = "") -> str:
    return (
        "quant_stage:\n  quant_modifiers:\n    GPTQModifier:\n"
        f"      scheme: {scheme}\n      ignore: [lm_head]\n{extra}"
    )


ACTORDER = [
    (LLAMA, gptq("W8A8")),
    (LLAMA, gptq("W8A8", "      actorder: null\n")),
    (LLAMA, gptq("FP8", "      actorder: weight\n")),
    (LLAMA, gptq("FP8_DYNAMIC", "      actorder: null\n")),
    (WIDE, gptq("W4A16")),
    (WIDE, gptq("W4A16", "      actorder: null\n")),
    (
        LLAMA,
        "quant_stage:\n  quant_modifiers:\n    GPTQModifier:\n      ignore: [lm_head]\n"
        "      config_groups:\n        g:\n          targets: [Linear]\n"
        "          weights: {num_bits: 4, strategy: channel, actorder: weight}\n",
    ),
]


def test_lint_warns_where_the_saved_config_orders_ungrouped_weights(llmc):
    runs = in_llmc(
        ORACLE,
        [
            {"config": "LlamaConfig", "values": v, "recipe": r, "save": True}
            for v, r in ACTORDER
        ],
    )
    said = []
    for (values, recipe), run in zip(ACTORDER, runs, strict=True):
        assert run["ok"], (recipe, run["error"])
        saved = run["saved"]["config_groups"]
        ungrouped = [
            g["weights"]
            for g in saved.values()
            if g["weights"]["strategy"] not in ("group", "tensor_group")
            and g["weights"]["actorder"] is not None
        ]
        _, problems = lint_text(
            recipe, dialect="llm-compressor", model={"model_type": "llama", **values}
        )
        warned = any(p.code == "RC758" for p in problems)
        assert warned == bool(ungrouped), (recipe, saved)
        said.append(warned)
    assert said.count(True) >= 3 and said.count(False) >= 3


KV = (
    "quant_stage:\n  quant_modifiers:\n    QuantizationModifier:\n"
    "      ignore: ['re:.*']\n      kv_cache_scheme: {num_bits: 8, type: float, "
    "strategy: tensor, dynamic: false, symmetric: true}\n"
)
# architectures the tables do not hold: transformers builds them (on the meta
# device for lint, with random weights for oneshot)
OTHERS = [
    ("gpt2", {"n_embd": 32, "n_layer": 2, "n_head": 4, "vocab_size": 64}),
    ("gpt_neox", {"hidden_size": 32, "num_hidden_layers": 2,
                  "num_attention_heads": 4, "intermediate_size": 64,
                  "vocab_size": 64}),
    ("opt", {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
             "ffn_dim": 64, "vocab_size": 64, "word_embed_proj_dim": 32}),
]  # fmt: skip


def _models() -> list[tuple[str, str, dict]]:
    rng = random.Random(7)
    out = []
    for kind, family in sorted(table()["families"].items()):
        values = configs(rng, family)[0]
        if {"num_local_experts", "num_experts"} & set(family["defaults"]):
            values["num_experts_per_tok"] = 2  # (of at least 2 experts)
        out.append((kind, family["config"], values))
    out += [(kind, f"auto:{kind}", values) for kind, values in OTHERS]
    return out


MODELS = _models()


@pytest.fixture(scope="module")
def kv_runs(llmc):
    return in_llmc(
        ORACLE,
        [{"config": c, "values": v, "recipe": KV} for _, c, v in MODELS],
    )


@pytest.mark.parametrize("at", range(len(MODELS)), ids=[m[0] for m in MODELS])
def test_the_kv_cache_goes_where_compressed_tensors_puts_it(kv_runs, at, tmp_path):
    kind, _, values = MODELS[at]
    run = kv_runs[at]
    (tmp_path / "config.json").write_text(json.dumps({"model_type": kind, **values}))
    llm = load_llm(str(tmp_path))
    ours = {m.name for m in cached_attention(llm)}
    if run["ok"]:
        assert ours == set(run["schemes"]), kind
    else:  # (it failed hooking the first: the ones before it got the scheme)
        assert set(run["schemes"]) and set(run["schemes"]) <= ours, kind
    _, problems = lint_text(
        KV, dialect="llm-compressor", model={"model_type": kind, **values}
    )
    codes = {p.code for p in problems}
    assert ("RC759" in codes) == (not ours), kind
    # (OPT's config gives no num_key_value_heads: oneshot fails hooking the cache)
    assert ("RC761" in codes) == (not run["ok"]), (kind, run["error"])


def test_fused_attention_gets_no_kv_cache_scheme(kv_runs):
    """GPT-2's and GPT-NeoX's fused attention: the warning's own case, where
    oneshot runs and gives no module the kv-cache scheme."""
    pairs = zip(MODELS, kv_runs, strict=True)
    bare = {kind for (kind, _, _), run in pairs if not run["schemes"]}
    assert {"gpt2", "gpt_neox"} <= bare
    assert "llama" not in bare
