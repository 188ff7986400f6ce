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
