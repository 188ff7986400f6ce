"""`recipe migrate` turns every staged recipe of the sparseml-core corpus that
SparseML 1.8 builds into one llm-compressor 0.14 loads (`Recipe.create_instance`
in .venv-llmc) with the same modifiers (SparseML's LegacyQuantizationModifier as
a QuantizationModifier); the one it refuses says why (OutputDistillationModifier:
llm-compressor has none, it does not train) and, with `--drop` naming it, loads
with the rest. A migrated recipe runs oneshot on a tiny Llama."""

from __future__ import annotations

import csv

from click.testing import CliRunner

from recipe_compiler.cli import main
from tests.conftest import ROOT, in_llmc

CORPUS = ROOT / "tests" / "data" / "corpus" / "sparseml-core"
ONESHOT = ROOT / "tests" / "llm" / "oneshot_oracle.py"
REFUSED = {"test_trainer_recipe.yaml": "OutputDistillationModifier"}


def built() -> list[tuple[str, list[str]]]:
    """(file, the modifiers SparseML built, by llm-compressor's names)."""
    with (CORPUS / "INDEX.tsv").open() as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    out = []
    for row in rows:
        if row["builds_modifiers"] != "yes" or not row["modifiers"]:
            continue
        names = [m.removesuffix("PyTorch") for m in row["modifiers"].split(",")]
        names = [
            "QuantizationModifier" if n == "LegacyQuantizationModifier" else n
            for n in names
        ]
        out.append((row["local_name"], names))
    return out


def test_every_recipe_sparseml_builds_loads_in_llm_compressor(llmc, tmp_path):
    cases, expected = [], []
    for name, names in built():
        out = tmp_path / name
        r = CliRunner().invoke(main, ["migrate", str(CORPUS / name), "-o", str(out)])
        if name in REFUSED:
            lacks = REFUSED[name]
            assert r.exit_code == 1 and f"has no {lacks}" in r.stderr, r.stderr
            assert not out.exists()
            argv = ["migrate", str(CORPUS / name), "-o", str(out), "--drop", lacks]
            r = CliRunner().invoke(main, argv)
            names = [n for n in names if n != lacks]
        assert r.exit_code == 0, (name, r.stderr)
        cases.append((name, out.read_text()))
        expected.append(names)
    assert len(cases) == len(built()) >= 17  # every one SparseML builds
    for (name, _), names, got in zip(cases, expected, llmc(cases), strict=True):
        assert got["loads"], (name, got["error"])
        assert got["modifiers"] == names, name


def test_a_migrated_recipe_runs_oneshot(llmc, tmp_path):
    source = CORPUS / "tests__sparseml__transformers__obcq__recipes__quant.yaml"
    out = tmp_path / "quant.yaml"
    r = CliRunner().invoke(main, ["migrate", str(source), "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    values = {"hidden_size": 128, "intermediate_size": 256, "num_hidden_layers": 2,
              "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 128,
              "pad_token_id": 0}  # fmt: skip
    case = {"config": "LlamaConfig", "values": values, "recipe": out.read_text()}
    answers = in_llmc(ONESHOT, [case])
    (run,) = answers
    assert run["ok"], run["error"]
    assert (
        len(run["schemes"]) == 15
    )  # every Linear, lm_head too: group_0 targets Linear


LLMC_CORPUS = ROOT / "tests" / "data" / "corpus" / "llmcompressor"
LACKS = {"src__llmcompressor__entrypoints__README.md__pystr1__a577b2b6.yaml":
         "OutputDistillationModifier"}  # fmt: skip


def _modifiers(text: str) -> list[str]:
    """The modifier names of a staged recipe, in order; an older AWQModifier
    that quantized (scheme or config_groups) is followed by the
    QuantizationModifier its quantization moves to."""
    from ruamel.yaml import YAML

    out = []
    for key, stage in YAML(typ="safe", pure=True).load(text).items():
        if not key.endswith("_stage"):
            continue
        for gkey, group in stage.items():
            if not gkey.endswith("_modifiers"):
                continue
            for name, body in group.items():
                out.append(name)
                quantizes = isinstance(body, dict) and (
                    body.get("scheme") or body.get("config_groups")
                )
                if name == "AWQModifier" and quantizes:
                    out.append("QuantizationModifier")
    return out


def test_older_llm_compressor_recipes_migrate_to_ones_it_loads(llmc, tmp_path):
    """Every recipe of the llm-compressor corpus that 0.14 refuses (written for
    0.1 to 0.11: AWQ that quantized, `actorder: group`, fields since removed, a
    scheme written as one scheme's parts) migrates to one 0.14 loads, with its
    modifiers (the distillation one with `--drop`, refused without)."""
    with (LLMC_CORPUS / "INDEX.tsv").open() as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    refused = [r["local_name"] for r in rows if r["loads_llmc_0_14"] == "no"]
    assert len(refused) >= 25
    cases, expected = [], []
    for name in refused:
        out = tmp_path / name
        argv = ["migrate", str(LLMC_CORPUS / name), "-o", str(out)]
        r = CliRunner().invoke(main, argv)
        names = _modifiers((LLMC_CORPUS / name).read_text())
        if name in LACKS:
            assert r.exit_code == 1 and f"has no {LACKS[name]}" in r.stderr
            r = CliRunner().invoke(main, [*argv, "--drop", LACKS[name]])
            names = [n for n in names if n != LACKS[name]]
        assert r.exit_code == 0, (name, r.stderr)
        cases.append((name, out.read_text()))
        expected.append(names)
    for (name, _), names, got in zip(cases, expected, llmc(cases), strict=True):
        assert got["loads"], (name, got["error"])
        assert got["modifiers"] == names, name
