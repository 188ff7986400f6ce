"""Rule cases as data: tests/linter/rules/cases/<CODE>.yaml, a pass and a fail case each."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from recipe_compiler.linter.rules import RULES
from recipe_compiler.loader.codes import LOADER_CODES
from tests.conftest import lint_text

CASES = Path(__file__).parent / "cases"


def cases() -> list[tuple[str, str, dict]]:
    """(code, case name, case) of every case file; a file's `dialect` (the engine
    its cases are read as, default auto) is given to each of its cases."""
    out = []
    for f in sorted(CASES.glob("*.yaml")):
        data = YAML(typ="safe", pure=True).load(f.read_text())
        dialect = {"dialect": data["dialect"]} if "dialect" in data else {}
        out += [
            (data["rule"], name, {**dialect, **case})
            for name, case in data["cases"].items()
        ]
    return out


def _load():
    return [
        pytest.param(code, case, id=f"{code}::{name}") for code, name, case in cases()
    ]


@pytest.mark.parametrize(("code", "case"), _load())
def test_case(code, case):
    name = case.get("file", "recipe.yaml")
    spe = case.get("steps_per_epoch")
    if "pass" in case:
        _, problems = lint_text(
            case["pass"],
            name,
            steps_per_epoch=spe,
            model=case.get("model"),
            target=case.get("target"),
            dialect=case.get("dialect"),
        )
        assert [p for p in problems if p.code == code] == []
        assert [p for p in problems if p.severity == "error"] == [], problems
    else:
        _, problems = lint_text(
            case["fail"],
            name,
            steps_per_epoch=spe,
            model=case.get("model"),
            target=case.get("target"),
            dialect=case.get("dialect"),
        )
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


def test_rc226_counts_an_update_and_the_end_on_one_step_once():
    """GMP over 2/3 epoch with update_frequency 0.5 at 3 steps an epoch: on paper
    updates at 0, 0.5 and the end 0.667, but 0.5 and 0.667 are both step 2, where
    SparseML makes one update. Not drift (it said "2 updates instead of 3, drifting
    up to 0 steps")."""
    from recipe_compiler.linter.engine import lint_recipe
    from recipe_compiler.loader.recipe import load

    text = (
        "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 1\n"
        "  - !GMPruningModifier\n    params: __ALL_PRUNABLE__\n"
        "    init_sparsity: 0.05\n    final_sparsity: 0.8\n    start_epoch: 0\n"
        "    end_epoch: 0.6666666666666666\n    update_frequency: 0.5\n"
    )
    recipe = load(text, text=True)
    assert [p for p in lint_recipe(recipe, None, 3).problems if p.code == "RC226"] == []
    drifting = (
        text.replace("update_frequency: 0.5", "update_frequency: 0.1")
        .replace("end_epoch: 0.6666666666666666", "end_epoch: 30")
        .replace("end_epoch: 1\n", "end_epoch: 40\n")
    )
    codes = [p.code for p in lint_recipe(load(drifting, text=True), None, 100).problems]
    assert "RC226" in codes  # the rule still finds real drift


def test_the_registry_says_what_each_rule_module_says():
    """The table lets the engine skip a rule without importing it: its module,
    name and needs must be the module's own."""
    from recipe_compiler.linter.rules import TABLE

    for code, (module, name, needs) in TABLE.items():
        rule = RULES[code]
        assert rule.__name__.endswith("." + module)
        assert (rule.CODE, rule.NAME, tuple(getattr(rule, "NEEDS", ()))) == (
            code,
            name,
            needs,
        )
    found = sorted(
        p.stem.split("_")[0].upper()
        for p in (Path(RULES[next(iter(TABLE))].__file__).parent).glob("rc*.py")
    )
    assert found == sorted(TABLE)  # no rule module left out of the table
