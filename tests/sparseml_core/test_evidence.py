"""Every sparseml.core error is SparseML 1.8's: each case of the RC72x/RC73x codes
(tests/linter/rules/cases, `dialect: sparseml-core`) goes through the engine
itself (load, then what a session does before training). A fail case of an error
code is refused there with an exception its code claims (`CORE_FAILS`), at that
step; every other case builds; and our lint calls a case an error exactly when
the engine refuses it. The steps each code claims are the ones its cases prove,
no more, no fewer.
"""

from __future__ import annotations

from collections import defaultdict

from recipe_compiler.loader.codes import CORE_FAILS, LOADER_CODES
from recipe_compiler.problems import Severity
from tests.conftest import lint_text
from tests.linter.rules.test_rule_cases import cases

CASES = [c for c in cases() if c[2].get("dialect") == "sparseml-core"]


def test_the_engine_refuses_exactly_what_lint_calls_an_error(core):
    assert len(CASES) >= 40
    texts = [case.get("pass", case.get("fail")) for _, _, case in CASES]
    verdicts = core([(f"case{i}.yaml", t) for i, t in enumerate(texts)])
    proven: dict[str, set[str]] = defaultdict(set)
    for (code, name, case), text, got in zip(CASES, texts, verdicts, strict=True):
        _, problems = lint_text(text, "recipe.yaml", dialect="sparseml-core")
        errors = {p.code for p in problems if p.severity == Severity.ERROR}
        assert bool(errors) == (not got["builds"]), (code, name, errors, got)
        if "fail" in case and LOADER_CODES[code].severity is Severity.ERROR:
            assert code in errors, (code, name)
            step = f"{got['step']}: " + got["error"].split(":")[0]
            assert step in CORE_FAILS[code], (code, name, got["error"])
            proven[code].add(step)
            ours = next(p for p in problems if p.code == code)
            said = got["error"].split(" validation error")[0]  # (our count may differ)
            assert said in ours.message, (code, ours.message, got["error"])
    for code, steps in CORE_FAILS.items():
        assert set(steps) == proven[code], (code, proven[code])
