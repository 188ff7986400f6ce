"""`recipe migrate`: a SparseML 1.8 staged recipe rewritten for llm-compressor
0.14 (edit/migrate.py): args and eval(...) written as numbers, fields renamed,
moved out or dropped with the reason, LegacyQuantizationModifier as
config_groups, every change listed with its line; what cannot be migrated is
refused with the reason and nothing is written. (That each migrated corpus
recipe loads in llm-compressor itself: tests/llmc/test_migrate_oracle.py.)"""

from __future__ import annotations

from click.testing import CliRunner

from recipe_compiler.cli import main
from recipe_compiler.dialects.llmcompressor.registry import registry as llmc
from recipe_compiler.dialects.sparsemlcore.registry import registry as core
from recipe_compiler.edit.migrate import RENAMED, TO_ONESHOT, WHY_DROPPED

CORE = """\
# sparsity, then a fine-tune
s: 0.25  # half the sparsity
sparsity_stage:
  run_type: oneshot
  obcq_modifiers:
    SparseGPTModifier:
      sparsity: eval(s * 2)
      block_size: 128
      percdamp: 0.01
      sequential_update: false
      targets: ['re:model.layers.\\\\d+$']
finetuning_stage:
  run_type: train
  pruning_modifiers:
    ConstantPruningModifier:
      targets: __ALL__
      start: 0
"""


def migrate(tmp_path, text, *args):
    src = tmp_path / "r.yaml"
    src.write_text(text)
    out = tmp_path / "out.yaml"
    r = CliRunner().invoke(main, ["migrate", str(src), "-o", str(out), *args])
    assert src.read_text() == text
    return r.exit_code, r.stderr, out


def test_a_sparseml_core_recipe_becomes_llm_compressor_s(tmp_path):
    code, err, out = migrate(tmp_path, CORE)
    assert code == 0, err
    assert out.read_text() == (
        "# sparsity, then a fine-tune\n"
        "sparsity_stage:\n  obcq_modifiers:\n    SparseGPTModifier:\n"
        "      sparsity: 0.5\n      block_size: 128\n      dampening_frac: 0.01\n"
        "finetuning_stage:\n  pruning_modifiers:\n    ConstantPruningModifier:\n"
        "      targets: __ALL__\n      start: 0\n"
    )
    said = err.splitlines()
    assert any("recipe migrate: line 2: arg 's' removed" in x for x in said)
    assert any(
        "line 7: SparseGPTModifier sparsity: eval(s * 2) -> 0.5" in x for x in said
    )
    assert any(
        "line 9: SparseGPTModifier percdamp -> dampening_frac" in x for x in said
    )
    assert any(
        "line 11: SparseGPTModifier targets removed" in x and "sequential_targets" in x
        for x in said
    )
    assert any("line 12: stage 'finetuning_stage' ran as train" in x for x in said)


def test_a_legacy_quantization_modifier_becomes_config_groups(tmp_path):
    text = (
        "quant_stage:\n  quant_modifiers:\n    LegacyQuantizationModifier:\n"
        "      ignore: [lm_head]\n      scheme_overrides:\n        Embedding:\n"
        "          input_activations: null\n          weights: {num_bits: 8, symmetric: false}\n"
        "      freeze_bn_stats_epoch: 1\n"
    )
    code, err, out = migrate(tmp_path, text, "--dialect", "sparseml-core")
    assert code == 0, err
    from ruamel.yaml import YAML

    got = YAML(typ="safe", pure=True).load(out.read_text())
    body = got["quant_stage"]["quant_modifiers"]["QuantizationModifier"]
    assert body["ignore"] == ["lm_head"]
    assert body["config_groups"]["group_0"] == {
        "targets": ["Linear"],
        "weights": {"num_bits": 8, "symmetric": True, "strategy": "tensor"},
        "input_activations": {"num_bits": 8, "symmetric": False, "strategy": "tensor"},
    }
    assert body["config_groups"]["group_1"] == {
        "targets": ["Embedding"],
        "weights": {"num_bits": 8, "symmetric": False, "strategy": "tensor"},
    }
    assert "freeze_bn_stats_epoch removed" in err


def test_what_cannot_be_migrated_is_refused_and_nothing_written(tmp_path):
    text = CORE.replace("ConstantPruningModifier:", "OutputDistillationModifier:")
    code, err, out = migrate(tmp_path, text)
    assert code == 1 and not out.exists()
    assert "llm-compressor 0.14 has no OutputDistillationModifier" in err
    code, err, out = migrate(tmp_path, CORE.replace("eval(s * 2)", "eval(t * 2)"))
    assert code == 1 and not out.exists() and "SparseML 1.8 refuses it" in err


def test_the_rules_hold_to_both_engines_models():
    """Each rename and move names a field SparseML 1.8 has and llm-compressor 0.14
    does not, and the new name one llm-compressor has; each dropped-field reason
    is for a field llm-compressor does not define."""
    for (name, old), new in RENAMED.items():
        names = [name] if name != "*" else ["SparseGPTModifier", "GPTQModifier"]
        for n in names:
            assert (
                new in llmc().modifiers[n].fields
                and old not in llmc().modifiers[n].fields
            )
    for name, field in TO_ONESHOT:
        assert field in core().modifiers[name].fields
    for field in WHY_DROPPED:
        assert all(
            field not in m.fields for m in llmc().modifiers.values() if m.quantizes
        )


def test_an_llm_compressor_recipe_keeps_its_targets(tmp_path):
    """`targets` moves out only where SparseML gave it its meaning (layers to
    compress in turn); an older llm-compressor recipe's are what to quantize."""
    text = (
        "quant_stage:\n  quant_modifiers:\n    GPTQModifier:\n      scheme: W4A16\n"
        "      targets: ['re:.*mlp.*']\n      percdamp: 0.01\n"
    )
    code, err, out = migrate(tmp_path, text, "--dialect", "llm-compressor")
    assert code == 0, err
    assert out.read_text() == text.replace("percdamp", "dampening_frac")


DISTILLED = """\
train_stage:
  pruning_modifiers:
    ConstantPruningModifier:
      targets: [
        "re:.*q_proj",
        "re:.*k_proj"
      ]
      start: 0
  distillation_modifiers:
    OutputDistillationModifier:
      targets: __ALL__
      comparison: square_head
      start: 0
"""


def test_a_modifier_llm_compressor_lacks_is_dropped_only_when_named(tmp_path):
    code, err, out = migrate(tmp_path, DISTILLED)
    assert code == 1 and not out.exists()
    assert "--drop OutputDistillationModifier" in err
    code, err, out = migrate(
        tmp_path, DISTILLED, "--drop", "OutputDistillationModifier"
    )
    assert code == 0, err
    text = out.read_text()
    assert "Distillation" not in text and "distillation_modifiers" not in text
    assert "line 10: OutputDistillationModifier dropped (--drop)" in err
    assert "line 9: 'distillation_modifiers' removed" in err
    # the flow list written over three lines comes back as a block list, at the
    # text's own indentation, not rewrapped
    assert '      targets:\n      - "re:.*q_proj"\n      - "re:.*k_proj"\n' in text


def test_the_text_keeps_its_own_indentation(tmp_path):
    four = (
        "quant_stage:\n    quant_modifiers:\n        GPTQModifier:\n"
        "            percdamp: 0.01\n            ignore:\n                - lm_head\n"
        "            scheme: W8A8\n"
    )
    code, err, out = migrate(tmp_path, four)
    assert code == 0, err
    # (and SparseML's GPTQ took the columns in order: `actorder: null` says so)
    assert out.read_text() == four.replace("percdamp", "dampening_frac") + (
        "            actorder: null\n"
    )


OLD_AWQ = """\
quant_stage:
  quant_modifiers:
    AWQModifier:
      ignore: [lm_head]  # keep the head dense
      scheme: W4A16_ASYM
      targets: [Linear]
      duo_scaling: true
"""


def test_an_older_awq_s_quantization_moves_to_a_modifier_after_it(tmp_path):
    # (read as an older llm-compressor recipe without --dialect: SparseML has no
    # AWQModifier and llm-compressor 0.14 refuses this one)
    code, err, out = migrate(tmp_path, OLD_AWQ)
    assert code == 0, err
    assert out.read_text() == (
        "quant_stage:\n  quant_modifiers:\n    AWQModifier:\n      duo_scaling: true\n"
        "    QuantizationModifier:\n"
        "      ignore: [lm_head]  # keep the head dense\n"
        "      scheme: W4A16_ASYM\n      targets: [Linear]\n"
    )
    assert "line 3: AWQModifier ignore, scheme, targets moved to a Quantization" in err
    out.unlink()
    taken = OLD_AWQ + "    QuantizationModifier:\n      scheme: FP8\n"
    code, err, out = migrate(tmp_path, taken)
    assert code == 1 and not out.exists() and "merge its scheme" in err
    # an AWQ that named targets but had no scheme of its own quantized nothing
    bare = OLD_AWQ.replace("      scheme: W4A16_ASYM\n", "") + (
        "    GPTQModifier:\n      scheme: W8A8\n"
    )
    code, err, out = migrate(tmp_path, bare)
    assert code == 0, err
    assert "QuantizationModifier" not in out.read_text()
    assert "AWQModifier targets removed" in err


def test_removed_activation_orderings_become_weight_ordering(tmp_path):
    text = (
        "quant_stage:\n  quant_modifiers:\n    GPTQModifier:\n      actorder: true\n"
        "      config_groups:\n        group_0:\n          targets: [Linear]\n"
        "          weights: {num_bits: 4, strategy: group, group_size: 128, "
        "actorder: group}\n"
        "    QuantizationModifier:\n      config_groups:\n        g:\n"
        "          targets: [Linear]\n"
        "          weights: {num_bits: 8, strategy: channel, actorder: false}\n"
    )
    code, err, out = migrate(tmp_path, text, "--dialect", "llm-compressor")
    assert code == 0, err
    got = out.read_text()
    assert "      actorder: weight\n" in got
    assert "group_size: 128, actorder: weight}" in got
    assert "strategy: channel, actorder: null}" in got
    assert "line 4: GPTQModifier actorder: True -> weight" in err


def test_a_scheme_written_as_its_parts_becomes_a_config_group(tmp_path):
    text = (
        "quant_stage:\n  quant_modifiers:\n    QuantizationModifier:\n"
        "      targets: ['re:.*proj$']\n      ignore: [lm_head]\n      scheme:\n"
        "        weights: {num_bits: 8, strategy: channel}\n"
    )
    code, err, out = migrate(tmp_path, text)
    assert code == 0, err
    assert out.read_text() == (
        "quant_stage:\n  quant_modifiers:\n    QuantizationModifier:\n"
        "      ignore: [lm_head]\n      config_groups:\n        group_0:\n"
        "          targets: ['re:.*proj$']\n"
        "          weights: {num_bits: 8, strategy: channel}\n"
    )
    assert "line 6: QuantizationModifier scheme: its weights -> config_groups" in err
