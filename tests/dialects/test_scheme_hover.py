"""Hover on a scheme name in the editor: what the preset quantizes (bits, type,
strategy, group size), from compressed-tensors' presets in the registry, for a
name in any case, as llm-compressor matches it."""

from __future__ import annotations

from recipe_compiler.lsp.analysis import Settings, analyse

TEXT = """\
quant_stage:
  quant_modifiers:
    GPTQModifier:
      scheme: w4a16
      ignore: [lm_head]
    QuantizationModifier:
      scheme:
        FP8_DYNAMIC: [re:.*mlp.*]
        W4A16G: [Linear]
"""


def hover(at: str, nth: int = 0):
    a = analyse(TEXT, "/tmp/r.yaml", Settings())
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(at, start + 1)
    return a.hover(start + 1)


def test_a_preset_shows_what_it_quantizes():
    h = hover("w4a16")
    assert h is not None and h.text.startswith("**W4A16**: a preset scheme")
    assert "| weights | 4 | int | group | 128 | yes | no |" in h.text


def test_a_mapping_key_and_activations():
    h = hover("FP8_DYNAMIC")
    assert h is not None
    assert "| weights | 8 | float | channel |" in h.text
    assert "| input activations | 8 | float | token |  | yes | yes |" in h.text


def test_no_hover_on_what_is_no_preset():
    assert hover("W4A16G") is None
    assert hover("lm_head") is None
