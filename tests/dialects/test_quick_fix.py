"""The editor's quick fix for a misspelled llm-compressor name: the did-you-mean
of RC705 (modifier), RC713 (field) and RC716 (scheme) written over the name, after
which the recipe has none of those problems."""

from __future__ import annotations

from recipe_compiler.lsp.analysis import Settings, analyse

TEXT = """\
quant_stage:
  quant_modifiers:
    GPTQModifer:
      scheme: W4A16
    QuantizationModifier:
      scheme:
        W8A8G: [Linear]
      ignor: [lm_head]
"""


def test_each_misspelled_name_is_fixed_where_it_is_written():
    a = analyse(TEXT, "/tmp/r.yaml", Settings())
    assert sorted(p.code for p in a.problems) == ["RC705", "RC713", "RC716"]
    fixes = a.fixes((0, len(TEXT)))
    assert [f.title for f in fixes] == [
        "Change 'GPTQModifer' to 'GPTQModifier'",
        "Change 'W8A8G' to 'W8A8'",
        "Change 'ignor' to 'ignore'",
    ]
    text = TEXT
    for fix in sorted(fixes, key=lambda f: -f.edits[0].span[0]):
        (edit,) = fix.edits
        text = text[: edit.span[0]] + edit.new_text + text[edit.span[1] :]
    assert analyse(text, "/tmp/r.yaml", Settings()).problems == ()


def test_only_where_the_range_is():
    a = analyse(TEXT, "/tmp/r.yaml", Settings())
    at = TEXT.index("ignor")
    assert [f.code for f in a.fixes((at, at))] == ["RC713"]
