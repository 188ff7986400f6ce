"""Bad input: a Problem or a clear error, never a traceback; bounded time and memory."""

from __future__ import annotations

import pytest

from recipe_compiler.loader import source
from recipe_compiler.loader.recipe import from_source, load
from recipe_compiler.loader.source import Limits
from tests.conftest import lint_text

GOOD = "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 10\n"


def codes(problems):
    return [p.code for p in problems]


def from_bytes(data: bytes, limits=None):
    return from_source(source.from_bytes(data, "r.yaml", "yaml", limits), None, limits)


def test_empty_file():
    assert codes(from_bytes(b"").problems) == ["RC106"]


def test_binary_and_invalid_utf8_are_unreadable():
    assert codes(from_bytes(b"\x00\x01\xff").problems) == ["RC000"]
    r = from_bytes(b"a: 1\nb: \xff\xfe\n")
    assert codes(r.problems) == ["RC000"] and r.problems[0].line == 2


def test_tabs_get_a_hint():
    _, problems = lint_text("modifiers:\n\t- !EpochRangeModifier\n")
    (p,) = problems
    assert p.code == "RC001" and "tabs" in (p.hint or "")


def test_crlf_and_bom_are_fine():
    r = from_bytes(("\ufeff" + GOOD).replace("\n", "\r\n").encode())
    assert r.ok and r.max_epochs == 10


def test_deep_nesting_is_bounded():
    text = "a: " + "[" * 500 + "]" * 500 + "\n" + GOOD
    r = from_bytes(text.encode())
    assert codes(r.problems) == ["RC008"]


def test_huge_file_is_refused_before_reading(tmp_path):
    p = tmp_path / "big.yaml"
    p.write_bytes(b"# " + b"x" * 2_000_000 + b"\n" + GOOD.encode())
    r = load(p, limits=Limits(max_bytes=1_000_000))
    assert codes(r.problems) == ["RC008"] and "over the limit" in r.problems[0].message


@pytest.mark.parametrize(
    ("scalar", "value"),
    # "1e1" is a string in YAML 1.1, but BaseScheduled float()s epochs, so it loads
    [
        ("10", 10),
        ("1e1", 10),
        ("1.0e+1", 10.0),
        ("0o12", None),
        ("012", 10),
        ("1_0", 10),
    ],
)
def test_yaml_11_scalars_as_pyyaml_reads_them(scalar, value):
    r = from_bytes(GOOD.replace("end_epoch: 10", f"end_epoch: {scalar}").encode())
    if value is None:
        assert "RC104" in codes(r.problems)
    else:
        assert r.ok and r.max_epochs == value


def test_merge_keys_and_anchors():
    text = (
        "base: &base {start_epoch: 0, end_epoch: 10}\n"
        "modifiers:\n  - !EpochRangeModifier\n    <<: *base\n    end_epoch: 12\n"
    )
    r = from_bytes(text.encode())
    assert r.ok and r.max_epochs == 12


def test_eval_is_never_python_eval():
    text = GOOD.replace(
        "end_epoch: 10", "end_epoch: eval(__import__('os').system('x'))"
    )
    r = from_bytes(text.encode())
    assert codes(r.problems) == ["RC403"]
