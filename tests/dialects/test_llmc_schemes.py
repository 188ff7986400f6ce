"""What `dialects/llmcompressor/schemes.py` checks is what it emulates: every
validator the registry names for the quantizing modifiers and compressed-tensors'
QuantizationScheme and QuantizationArgs (generated from the engine; agreement
with the engine itself: tests/llmc/test_reader_oracle.py and the RC717 cases in
tests/llmc/test_evidence.py). A validator it does not know turns the checks off
rather than judging with rules the engine no longer has."""

from __future__ import annotations

import dataclasses

import pytest

from recipe_compiler.dialects.llmcompressor import registry as registry_module
from recipe_compiler.dialects.llmcompressor import schemes

BAD = {
    "config_groups": {"g": {"targets": ["Linear"], "weights": {"strategy": "group"}}}
}


@pytest.mark.parametrize("name", ["QuantizationModifier", "GPTQModifier"])
def test_every_validator_of_the_engine_is_emulated(name):
    cls = registry_module.registry().modifiers[name]
    assert schemes.emulates(cls.validator_names)
    assert [e.path for e in schemes.check(name, BAD).errors] == [
        ("config_groups", "g", "weights")
    ]


def test_a_validator_not_emulated_leaves_the_schemes_unchecked(monkeypatch):
    real = registry_module.registry()
    models = dict(real.models)
    models["QuantizationArgs"] = {
        **models["QuantizationArgs"],
        "validator_names": [*models["QuantizationArgs"]["validator_names"], "new"],
    }
    monkeypatch.setattr(
        schemes, "registry", lambda: dataclasses.replace(real, models=models)
    )
    assert schemes.check("QuantizationModifier", BAD).errors == ()
    assert schemes.resolved("QuantizationModifier", {"scheme": "W8A8", **BAD}) is None
