"""A config's YAML read with PyYAML as ruamel.yaml's safe loader reads it
(linter/config_yaml.py): equal data, or both refuse, on generated documents."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from recipe_compiler.linter import config_yaml

# what YAML 1.1 and 1.2, PyYAML and ruamel type differently, and config values
TRICKY = [
    *[
        "0",
        "012",
        "09",
        "0o17",
        "0o8",
        "0x1F",
        "0x_1f",
        "0b101",
        "0b",
        "1_000",
        "_1",
        "_",
        "+12",
        "-0",
        "-012",
        "+0x1f",
    ],
    *[
        "1e3",
        "1E3",
        "1.5",
        ".5",
        "0.",
        "1.e5",
        "1e+5",
        "+.5e-3",
        ".5e3",
        "-.inf",
        ".Inf",
        ".NaN",
        ".nan",
        "+.nan",
        "1_0.5",
    ],
    *[
        "true",
        "True",
        "TRUE",
        "tRue",
        "false",
        "off",
        "Off",
        "on",
        "yes",
        "no",
        "y",
        "n",
        "Y",
        "N",
        "~",
        "null",
        "Null",
        "NULL",
    ],
    *[
        "2001-12-14",
        "2001-1-4",
        "20011214",
        "1:30",
        "1:30.5",
        "-1:30",
        "190:20:30",
        "=",
        "<<",
        "<<x",
    ],
    *[
        "RC207",
        "RC402",
        "pruning-update-frequency",
        "disable",
        "enable",
        "error",
        "warning",
    ],
    *[
        "recipes/*.yaml",
        "**/guide/*",
        "digits-cnn",
        "yolov5s",
        "llm-compressor",
        "auto",
        "100",
    ],
]
PLAIN = st.one_of(
    st.sampled_from(TRICKY),
    st.from_regex(r"[-+]?[0-9_.eEoxbINFAn]{1,7}", fullmatch=True),
    st.from_regex(r"[a-z][a-z0-9_./*-]{0,8}", fullmatch=True),
)
SCALAR = st.one_of(
    PLAIN,
    PLAIN.map(lambda s: f'"{s}"'),
    PLAIN.map(lambda s: f"'{s}'"),
    st.sampled_from(["", "2001-12-14 21:59:43.10 -5", "2001-12-14t21:59:43.10-05:00"]),
)
KEY = st.sampled_from(["exclude", "select", "rules", "steps-per-epoch", "RC207", "a"])


def _block(value, indent: int) -> str:
    pad = " " * indent
    if isinstance(value, dict):
        return "".join(
            f"\n{pad}{k}:"
            + (_block(v, indent + 2) if isinstance(v, dict | list) else f" {v}")
            for k, v in value.items()
        )
    if isinstance(value, list):
        return "".join(f"\n{pad}- {v}" for v in value)
    return f" {value}"


VALUE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(SCALAR, max_size=4),
        st.lists(SCALAR, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.dictionaries(KEY, inner, max_size=3),
    ),
    max_leaves=8,
)
DOCUMENT = st.dictionaries(KEY, VALUE, min_size=1, max_size=4).map(
    lambda d: _block(d, 0).lstrip("\n") + "\n"
)


def _ruamel(text: str):
    return YAML(typ="safe", pure=True).load(text)


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _verdict(load, text):
    try:
        return "ok", load(text)
    except Exception as exc:  # either loader's refusal, whatever its class
        return "refused", type(exc).__name__


@settings(max_examples=1500, deadline=None)
@given(DOCUMENT)
def test_pyyaml_reads_a_config_as_ruamel_does(text):
    theirs = _verdict(_ruamel, text)
    ours = _verdict(config_yaml.load, text)
    assert ours[0] == theirs[0], (text, ours, theirs)
    if ours[0] == "ok":
        assert _same(ours[1], theirs[1]), (text, ours[1], theirs[1])


@pytest.mark.parametrize("token", TRICKY)
def test_each_tricky_scalar_alone(token):
    text = f"a: {token}\nb: [{token}]\n"
    theirs, ours = _verdict(_ruamel, text), _verdict(config_yaml.load, text)
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "ok":
        assert _same(ours[1], theirs[1]), (ours[1], theirs[1])


def test_a_yaml_directive_is_read_by_ruamel_at_its_version():
    text = "%YAML 1.1\n---\na: off\nb: 012\n"
    assert config_yaml.load(text) == _ruamel(text) == {"a": False, "b": 10}
