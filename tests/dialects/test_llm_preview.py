"""`recipe preview RECIPE --model DIR` of an llm-compressor recipe: a page of heat
maps over decoder layers x module kinds, the weight bits each module gets and
the sparsity it is pruned to (the cells are `recipe show --format json`'s rows),
with the recipe's problems; written even where lint finds an error (exit 1)."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from recipe_compiler.cli import main

CONFIG = {"model_type": "llama", "intermediate_size": 256, "num_hidden_layers": 3,
          "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 128}  # fmt: skip
RECIPE = (
    "quant_stage:\n  quant_modifiers:\n    GPTQModifier:\n      scheme: W4A16\n"
    "      ignore: [lm_head, 're:.*layers.2.mlp.*']\n"
    "sparsity_stage:\n  sparsity_modifiers:\n    SparseGPTModifier:\n"
    "      sparsity: 0.5\n      targets: ['re:.*self_attn$']\n"
)


def preview(tmp_path, hidden: int):
    (tmp_path / "m").mkdir(exist_ok=True)
    (tmp_path / "m" / "config.json").write_text(
        json.dumps({**CONFIG, "hidden_size": hidden})
    )
    (tmp_path / "r.yaml").write_text(RECIPE)
    out = tmp_path / "p.html"
    argv = [
        "preview",
        str(tmp_path / "r.yaml"),
        "--model",
        str(tmp_path / "m"),
        "-o",
        str(out),
    ]
    r = CliRunner().invoke(main, argv)
    return r.exit_code, r.stderr, out.read_text() if out.exists() else ""


def test_the_page_maps_each_layer_s_modules(tmp_path):
    code, err, page = preview(tmp_path, 128)
    assert code == 0, err
    assert page.count('"type":"heatmap"') == 2
    assert "weight bits" in page and "sparsity" in page
    bits = re.search(r'"y":\[([^\]]*)\],"z":(\[\[.*?\]\])', page)
    kinds = json.loads("[" + bits.group(1) + "]")
    z = json.loads(bits.group(2))
    row = dict(zip(kinds, z, strict=True))
    assert row["self_attn.q_proj"] == [4, 4, 4]
    assert row["mlp.up_proj"] == [4, 4, 16]  # layer 2's MLP ignored
    assert "pruned to 0.5 by SparseGPTModifier" in page


def test_a_page_is_written_where_lint_finds_an_error(tmp_path):
    code, err, page = preview(tmp_path, 64)  # W4A16's group of 128 on 64 columns
    assert code == 1 and "RC752" in err
    assert "RC752" in page and '"type":"heatmap"' in page
