"""Every llm-compressor error is llm-compressor's: each case of the RC7xx codes
(tests/linter/rules/cases, `dialect: llm-compressor`) is loaded by the engine
itself (`Recipe.create_instance` in .venv-llmc). A fail case of an error code is
refused there with an exception its code claims (`LLMC_FAILS`); every other case
loads; and our lint calls a case an error exactly when the engine refuses it. The
stages each code claims must be the ones its cases prove, no more, no fewer.
Cases with an LLM (`model:`, a config.json) are run by oneshot on a tiny model
of that config, which must fail exactly where lint calls an error.
"""

from __future__ import annotations

import re
from collections import defaultdict

from recipe_compiler.loader.codes import LLMC_FAILS, LOADER_CODES
from recipe_compiler.model.llm.families import table
from recipe_compiler.problems import Severity
from tests.conftest import ROOT, in_llmc, lint_text
from tests.linter.rules.test_rule_cases import cases

CASES = [c for c in cases() if c[2].get("dialect") == "llm-compressor"]
LOAD_CASES = [c for c in CASES if "model" not in c[2]]


def test_the_engine_refuses_exactly_what_lint_calls_an_error(llmc):
    assert len(LOAD_CASES) >= 24
    texts = [case.get("pass", case.get("fail")) for _, _, case in LOAD_CASES]
    verdicts = llmc([(f"case{i}.yaml", t) for i, t in enumerate(texts)])
    proven: dict[str, set[str]] = defaultdict(set)
    for (code, name, case), text, got in zip(LOAD_CASES, texts, verdicts, strict=True):
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
        if all(s.startswith("load") for s in stages):
            assert set(stages) == proven[code], code


MODEL_CASES = [c for c in CASES if "model" in c[2]]
ONESHOT = ROOT / "tests" / "llm" / "oneshot_oracle.py"


def test_what_lint_says_with_a_model_is_what_oneshot_does(llmc):
    """Cases with an LLM (`model:` a config.json): oneshot itself runs each on a
    tiny model of that config (tests/llm/oneshot_oracle.py); it fails exactly on
    the cases lint calls an error, with the exception (and the first words of its
    message) the code claims."""
    assert len(MODEL_CASES) >= 8
    families = table()["families"]
    batch = []
    for _, _, case in MODEL_CASES:
        values = {k: v for k, v in case["model"].items() if k != "model_type"}
        kind = case["model"]["model_type"]
        config = families[kind]["config"] if kind in families else f"auto:{kind}"
        text = case.get("pass", case.get("fail"))
        batch.append(
            {"config": config, "values": {**values, "pad_token_id": 0}, "recipe": text}
        )
    answers = in_llmc(ONESHOT, batch)
    proven: dict[str, set[str]] = defaultdict(set)
    for (code, name, case), run in zip(MODEL_CASES, answers, strict=True):
        text = case.get("pass", case.get("fail"))
        _, problems = lint_text(
            text, "recipe.yaml", dialect="llm-compressor", model=case["model"]
        )
        errors = [p for p in problems if p.severity == Severity.ERROR]
        assert bool(errors) == (not run["ok"]), (code, name, errors, run["error"])
        if errors:
            ours = errors[0]
            said = re.search(r'fails in oneshot with "(.*)"$', ours.message)
            assert said and run["error"].startswith(said.group(1)), (ours.message, run)
            proven[ours.code].add("oneshot: " + run["error"].split(":")[0])
    for code, stages in LLMC_FAILS.items():
        if any(s.startswith("oneshot") for s in stages):
            assert set(stages) == proven[code], code
