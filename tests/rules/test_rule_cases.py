"""Rule cases as data: tests/rules/cases/<CODE>.yaml, a pass and a fail case each."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from recipe_compiler.codes import LOADER_CODES
from recipe_compiler.lint.rules import RULES
from tests.conftest import lint_text

CASES = Path(__file__).parent / "cases"


def _load():
    out = []
    for f in sorted(CASES.glob("*.yaml")):
        data = YAML(typ="safe", pure=True).load(f.read_text())
        for name, case in data["cases"].items():
            out.append(pytest.param(data["rule"], case, id=f"{data['rule']}::{name}"))
    return out


@pytest.mark.parametrize(("code", "case"), _load())
def test_case(code, case):
    name = case.get("file", "recipe.yaml")
    if "pass" in case:
        _, problems = lint_text(case["pass"], name)
        assert [p for p in problems if p.code == code] == []
        assert [p for p in problems if p.severity == "error"] == [], problems
    else:
        _, problems = lint_text(case["fail"], name)
        got = [[p.line, p.column] for p in problems if p.code == code]
        assert got == case["problems"], problems


def test_every_code_has_a_pass_and_a_fail_case():
    have: dict[str, set[str]] = {}
    for f in CASES.glob("*.yaml"):
        data = YAML(typ="safe", pure=True).load(f.read_text())
        kinds = {("pass" if "pass" in c else "fail") for c in data["cases"].values()}
        have[data["rule"]] = kinds
    for code in [*RULES, *(c for c in LOADER_CODES if c not in ("RC000",))]:
        assert have.get(code) == {"pass", "fail"}, (
            f"{code} needs a pass and a fail case"
        )


def test_codes_and_names_are_unique():
    names = [m.NAME for m in RULES.values()] + [c.name for c in LOADER_CODES.values()]
    assert len(names) == len(set(names))
    assert not set(RULES) & set(LOADER_CODES)
