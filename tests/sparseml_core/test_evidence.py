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
        spe = case.get("steps_per_epoch")
        _, problems = lint_text(
            text, "recipe.yaml", steps_per_epoch=spe, dialect="sparseml-core"
        )
        errors = {p.code for p in problems if p.severity == Severity.ERROR}
        errors -= set(STEP_CODES)  # a step's: proven by training (below)
        assert bool(errors) == (not got["builds"]), (code, name, errors, got)
        if code in STEP_CODES:
            continue
        if "fail" in case and LOADER_CODES[code].severity is Severity.ERROR:
            assert code in errors, (code, name)
            step = f"{got['step']}: " + got["error"].split(":")[0]
            assert step in CORE_FAILS[code], (code, name, got["error"])
            proven[code].add(step)
            ours = next(p for p in problems if p.code == code)
            said = got["error"].split(" validation error")[0]  # (our count may differ)
            assert said in ours.message, (code, ours.message, got["error"])
    for code, steps in CORE_FAILS.items():
        if code not in STEP_CODES:
            assert set(steps) == proven[code], (code, proven[code])


STEP_CODES = ("RC735",)


def test_a_step_error_is_where_the_engine_raises_training(core):
    """RC735's cases trained by the engine (tests/sparseml_core/drive.py: a model
    through the stage, step by step): a fail case raises at the step lint names,
    with an exception the code claims; a pass case trains to its end."""
    import json
    import math
    import os
    import subprocess
    import sys

    from recipe_compiler.dialects.sparsemlcore.reader import read
    from recipe_compiler.dialects.sparsemlcore.schedule import crash, length
    from recipe_compiler.loader import yamltree
    from recipe_compiler.loader.source import from_text
    from tests.sparseml_core.test_schedule_oracle import DRIVE

    chosen = [(code, name, case) for code, name, case in CASES if code in STEP_CODES]
    runs = []
    for _, _, case in chosen:
        text = case.get("pass", case.get("fail"))
        walked = read(yamltree.parse(from_text(text, "r.yaml", "yaml")).root)
        spe = case.get("steps_per_epoch", 100)
        args = [m.args or {} for m in walked.stages[0].modifiers]
        runs.append(
            {
                "recipe": text,
                "steps_per_epoch": spe,
                "steps": math.ceil(length(args) * spe),
            }
        )
    done = subprocess.run(
        [sys.executable, str(DRIVE)],
        input=json.dumps(runs),
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NM_DISABLE_ANALYTICS": "1", "PYTHONWARNINGS": "ignore"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    proven: set[str] = set()
    for (_, name, case), run, got in zip(
        chosen, runs, json.loads(done.stdout), strict=True
    ):
        text = case.get("pass", case.get("fail"))
        walked = read(yamltree.parse(from_text(text, "r.yaml", "yaml")).root)
        m = walked.stages[0].modifiers[0]
        ours = crash(m.name, m.args or {}, run["steps_per_epoch"], run["steps"])
        if "pass" in case:
            assert got["error"] is None and ours is None, (name, got)
            continue
        assert ours is not None and got["error"] is not None, (name, got)
        assert got["error"] == ours.error, (name, got["error"])
        assert len(got["steps"]) == ours.step, (name, len(got["steps"]), ours.step)
        proven.add("step: " + got["error"].split(":")[0])
    assert proven == set(CORE_FAILS["RC735"])
