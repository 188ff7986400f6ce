"""`--dialect auto` on the three corpora: SparseML's legacy recipes stay legacy,
llm-compressor's are read as llm-compressor's, SparseML's staged ones as
llm-compressor's unless they use eval(...) or a modifier only SparseML has (then
as sparseml.core's)."""

from __future__ import annotations

from pathlib import Path

from recipe_compiler.dialects.detect import Dialect, detect
from recipe_compiler.loader.recipe import load

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"


def _choices(folder: str) -> dict[str, Dialect]:
    return {
        p.name: detect(load(p).root).dialect
        for p in sorted((CORPUS / folder).iterdir())
        if p.name not in ("INDEX.tsv", "README.md")
    }


def test_legacy_recipes_are_read_as_legacy():
    got = _choices("sparseml")
    assert len(got) == 73 and set(got.values()) == {Dialect.SPARSEML}


def test_llm_compressor_recipes_are_read_as_llm_compressor():
    got = _choices("llmcompressor")
    assert len(got) == 73 and set(got.values()) == {Dialect.LLM_COMPRESSOR}


def test_sparseml_staged_recipes_with_eval_are_sparseml_core():
    """(The test configs that embed a recipe as a string are no recipe: legacy's
    reader says it holds no modifiers.)"""
    import csv

    with open(CORPUS / "sparseml-core" / "INDEX.tsv", newline="") as f:
        embedded = {
            r["local_name"]
            for r in csv.DictReader(f, delimiter="\t")
            if r["embedded_key"]
        }
    assert embedded
    got = _choices("sparseml-core")
    for name in embedded:
        assert got.pop(name) is Dialect.SPARSEML
    only_sparseml = ("eval(", "LegacyQuantizationModifier")
    theirs = {
        p.name
        for p in (CORPUS / "sparseml-core").iterdir()
        if any(word in p.read_text() for word in only_sparseml)
    }
    assert theirs and len(theirs) < len(got)  # the corpus has both kinds
    for name, dialect in got.items():
        want = Dialect.SPARSEML_CORE if name in theirs else Dialect.LLM_COMPRESSOR
        assert dialect is want, name


def test_why_names_the_line():
    from recipe_compiler.loader.recipe import from_source
    from recipe_compiler.loader.source import from_text

    def why(text):
        return detect(from_source(from_text(text, "r.yaml", "yaml")).root)

    assert why("modifiers:\n  - !EpochRangeModifier\n    end_epoch: 1\n").why == (
        "it writes modifiers as !Tags (line 2)"
    )
    staged = why("a_stage:\n  b_modifiers:\n    GPTQModifier:\n      start: eval(s)\n")
    assert staged.dialect is Dialect.SPARSEML_CORE and "(line 4)" in staged.why
    assert why("x: 1\n").dialect is Dialect.SPARSEML
    legacy = why("q_stage:\n  q_modifiers:\n    LegacyQuantizationModifier: {}\n")
    assert legacy.dialect is Dialect.SPARSEML_CORE and "(line 3)" in legacy.why


def test_only_modifiers_llm_compressor_never_had_mark_a_sparseml_recipe():
    """The names sparseml.core has and llm-compressor 0.14 lacks, less those
    llm-compressor's own recipes once used (LLMC_DROPPED, held to its corpus)."""
    from recipe_compiler.dialects.detect import LLMC_DROPPED
    from recipe_compiler.dialects.llmcompressor.registry import registry as llmc
    from recipe_compiler.dialects.sparsemlcore.registry import registry as core

    only = set(core().modifiers) - set(llmc().modifiers)
    texts = " ".join(
        p.read_text()
        for p in (CORPUS / "llmcompressor").iterdir()
        if p.suffix != ".tsv"
    )
    used = {name for name in only if name in texts}
    assert used == set(LLMC_DROPPED) and only - used
