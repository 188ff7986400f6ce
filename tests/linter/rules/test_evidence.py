"""Every error is SparseML's: each case runs through SparseML 1.8 itself.

A case's `sparseml` says where SparseML fails on it (`load: TypeError`,
`step 12: ZeroDivisionError`), and nothing means it runs to its last epoch. The
verdict comes from tests/sml_verdict.py (load, initialize on a model with the
recipe's parameter names, then real training steps), and our lint at the same steps
per epoch must call the recipe an error exactly when SparseML fails. The stages an
error code claims (`recipe rules --format json`, docs/rules.md) must be the ones
its cases prove, no more and no fewer.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from recipe_compiler.linter.config import all_codes, sparseml_fails
from recipe_compiler.problems import Severity
from tests.conftest import lint_text
from tests.linter.rules.test_rule_cases import cases
from tests.sml_verdict import STEPS_PER_EPOCH, verdict, verdict_of_file

pytestmark = pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnraisableExceptionWarning"
)
# the cases of what SparseML's legacy loader reads (the staged dialects' are
# their oracles': tests/llmc/test_evidence.py, tests/sparseml_core/test_evidence.py)
CASES = [
    c for c in cases() if c[2].get("dialect") not in ("llm-compressor", "sparseml-core")
]
RUN = [c for c in CASES if c[2].get("sparseml") != "limit"]
ERRORS = {c for c, (_, sev, _) in all_codes().items() if sev is Severity.ERROR}


def _text(case: dict) -> str:
    return case["pass"] if "pass" in case else case["fail"]


def _spe(case: dict) -> int:
    return case.get("steps_per_epoch", STEPS_PER_EPOCH)


@pytest.mark.parametrize(
    ("code", "name", "case"), RUN, ids=[f"{c}::{n}" for c, n, _ in RUN]
)
def test_sparseml_fails_exactly_where_the_case_says(sparseml, code, name, case):
    file = case.get("file", "recipe.yaml")
    model = case.get("model")
    got = verdict(_text(case), file, _spe(case), model=model)
    assert not got.cut
    assert str(got) == case.get("sparseml", ""), got.message
    _, problems = lint_text(
        _text(case),
        file,
        steps_per_epoch=_spe(case),
        model=model,
        dialect=case.get("dialect"),
    )
    errors = {p.code for p in problems if p.severity == "error"}
    assert bool(errors) == (not got.ran), (errors, got.message)
    if "fail" in case and code in ERRORS:
        assert code in errors
        stage = re.sub(r"^step \d+", "step", str(got))
        assert stage in sparseml_fails(code), (code, stage)


def test_every_error_claims_exactly_what_its_cases_prove():
    proven: dict[str, set[str]] = defaultdict(set)
    for code, _, case in CASES:
        if "fail" in case and code in ERRORS:
            proven[code].add(re.sub(r"^step \d+", "step", case["sparseml"]))
    proven["RC000"] = set(UNREADABLE.values())
    for code in sorted(ERRORS):
        assert set(sparseml_fails(code)) == proven[code], code
    for code in set(all_codes()) - ERRORS:
        assert sparseml_fails(code) == (), code


def test_limits_are_recipe_compilers_own(sparseml):
    """RC008 is the one error that is not a verdict on the recipe; its cases do
    not run through SparseML (10**10**10 would not finish)."""
    limited = [(c, case) for c, _, case in CASES if case.get("sparseml") == "limit"]
    assert {c for c, _ in limited} == {"RC008"}
    for _, case in limited:
        _, problems = lint_text(_text(case))
        (limit,) = [p for p in problems if p.code == "RC008"]
        assert "recipe-compiler" in limit.message and "limit" in (limit.hint or "")


UNREADABLE = {
    "missing.yaml": "load: FileNotFoundError",
    "folder.yaml": "load: IsADirectoryError",
    "latin1.yaml": "load: UnicodeDecodeError",
    "nul.yaml": "load: ReaderError",
}


@pytest.mark.parametrize(("name", "stage"), UNREADABLE.items())
def test_unreadable_files_fail_at_load(sparseml, tmp_path, name, stage):
    from recipe_compiler.loader.recipe import load

    good = "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 2\n"
    path = tmp_path / name
    if name == "folder.yaml":
        path.mkdir()
    elif name == "latin1.yaml":
        path.write_bytes(b"# caf\xe9\n" + good.encode())
    elif name == "nul.yaml":
        path.write_bytes(b"# \x00\n" + good.encode())
    assert str(verdict_of_file(path)) == stage
    assert [p.code for p in load(path).problems] == ["RC000"]
