"""Every llm-compressor error is llm-compressor's: each case of the RC7xx codes
(tests/linter/rules/cases, `dialect: llm-compressor`) is loaded by the engine
itself (`Recipe.create_instance` in .venv-llmc). A fail case of an error code is
refused there with an exception its code claims (`LLMC_FAILS`); every other case
loads; and our lint calls a case an error exactly when the engine refuses it. The
stages each code claims must be the ones its cases prove, no more, no fewer.
"""

from __future__ import annotations

from collections import defaultdict

from recipe_compiler.loader.codes import LLMC_FAILS, LOADER_CODES
from recipe_compiler.problems import Severity
from tests.conftest import lint_text
from tests.linter.rules.test_rule_cases import cases

CASES = [c for c in cases() if c[2].get("dialect") == "llm-compressor"]


def test_the_engine_refuses_exactly_what_lint_calls_an_error(llmc):
    assert len(CASES) >= 24
    texts = [case.get("pass", case.get("fail")) for _, _, case in CASES]
    verdicts = llmc([(f"case{i}.yaml", t) for i, t in enumerate(texts)])
    proven: dict[str, set[str]] = defaultdict(set)
    for (code, name, case), text, got in zip(CASES, texts, verdicts, strict=True):
        _, problems = lint_text(text, "recipe.yaml", dialect="llm-compressor")
        errors = {p.code for p in problems if p.severity == Severity.ERROR}
        assert bool(errors) == (not got["loads"]), (code, name, errors, got)
        error_code = LOADER_CODES[code].severity is Severity.ERROR
        if "fail" in case and error_code:
            assert code in errors, (code, name)
            stage = "load: " + got["error"].split(":")[0]
            assert stage in LLMC_FAILS[code], (code, name, got["error"])
            proven[code].add(stage)
            ours = next(p for p in problems if p.code == code)
            assert got["error"] in ours.message, (code, ours.message)
    for code, stages in LLMC_FAILS.items():
        assert set(stages) == proven[code], code
