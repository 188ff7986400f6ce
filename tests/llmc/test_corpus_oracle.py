"""The oracle is llm-compressor 0.14.0.1 as the corpus saw it.

Every recipe of tests/data/corpus/llmcompressor goes through `.venv-llmc`'s
`Recipe.create_instance` (tests/llmc/oracle.py), and what it makes of each must be
what the corpus's INDEX.tsv recorded: whether it loads, the modifiers in the order
oneshot applies them, the first line of the error. A test of the environment `make
test` builds: the lint tests of the llm-compressor dialect ask this same oracle.
"""

from __future__ import annotations

import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "tests" / "data" / "corpus" / "llmcompressor"


def index() -> list[dict[str, str]]:
    with open(FOLDER / "INDEX.tsv", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def test_the_oracle_reads_the_corpus_as_the_index_says(llmc):
    rows = index()
    assert len(rows) == 73
    verdicts = llmc(
        [(r["local_name"], (FOLDER / r["local_name"]).read_text()) for r in rows]
    )
    for row, got in zip(rows, verdicts, strict=True):
        name = row["local_name"]
        assert got["loads"] == (row["loads_llmc_0_14"] == "yes"), (name, got)
        if got["loads"]:
            want = row["modifiers"].split(",") if row["modifiers"] else []
            assert got["modifiers"] == want, name
            assert len(want) == int(row["n_modifiers"])
        else:
            assert got["error"] == row["error"], (name, got["error"])
