"""recipe-compiler installed beside llm-compressor 0.14 (the `llm` extra, in
.venv-llmc: numpy 2, pydantic 2.1x, transformers 5.17), where the LLM runner
will run: `recipe lint --model DIR` there says exactly what it says in the main
environment (numpy 1, pydantic 2.7, the runner), for every llm-compressor rule
case with a model, and for architectures the tables do not hold, which each
environment builds with its own transformers."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict

from tests.conftest import LLMC_PYTHON
from tests.linter.rules.test_rule_cases import cases


def _lint(python: str, folder, paths) -> list[dict]:
    done = subprocess.run(
        [python, "-m", "recipe_compiler.cli", "lint", *map(str, paths),
         "--model", str(folder), "--dialect", "llm-compressor", "--format", "json"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr[-2000:]
    return json.loads(done.stdout)


def test_lint_with_a_model_is_the_same_beside_llm_compressor(llmc, tmp_path):
    by_model: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for code, name, case in cases():
        if case.get("dialect") == "llm-compressor" and "model" in case:
            text = case.get("pass", case.get("fail"))
            by_model[json.dumps(case["model"], sort_keys=True)].append(
                (f"{code}-{name}", text)
            )
    assert len(by_model) >= 4
    compared = 0
    for n, (model, recipes) in enumerate(sorted(by_model.items())):
        folder = tmp_path / f"model{n}"
        folder.mkdir()
        (folder / "config.json").write_text(model)
        paths = []
        for name, text in recipes:
            path = folder / f"{name}.yaml"
            path.write_text(text)
            paths.append(path)
        here = _lint(sys.executable, folder, paths)
        there = _lint(str(LLMC_PYTHON), folder, paths)
        assert there == here, model
        compared += len(paths)
    assert compared >= 20
