"""The `recipe` command: exit codes and exact output of every format."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from recipe_compiler.cli import main
from tests.conftest import ROOT

BAD = """\
modifiers:
  - !EpochRangeModifier
    start_epoch: 0
    end_epoch: 10
  - !SetLearningRateModifer
    learning_rate: 0.1
"""
WARN = """\
unused: 3
modifiers:
  - !EpochRangeModifier
    start_epoch: 0
    end_epoch: 10
"""


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def _run(*args, files=None, stdin=None):
        for name, text in (files or {}).items():
            (tmp_path / name).write_text(text)
        result = CliRunner().invoke(
            main, list(args), input=stdin, catch_exceptions=False
        )
        return result.exit_code, result.stdout, result.stderr

    return _run


def test_text(run):
    code, out, _ = run("lint", "bad.yaml", files={"bad.yaml": BAD})
    assert code == 1
    assert out == (
        "bad.yaml:5:5: RC101 error !SetLearningRateModifer is not a SparseML 1.8 "
        'modifier; SparseML fails with "could not determine a constructor for the '
        "tag '!pytorch.SetLearningRateModifer'\"\n"
        "    hint: did you mean !SetLearningRateModifier?\n"
        "1 recipe checked: 1 error\n"
    )


def test_json_has_exactly_the_contract_keys(run):
    code, out, _ = run(
        "lint",
        "--format",
        "json",
        "bad.yaml",
        "w.yaml",
        files={"bad.yaml": BAD, "w.yaml": WARN},
    )
    assert code == 1
    data = json.loads(out)
    assert [list(d) for d in data] == [
        ["path", "line", "column", "code", "severity", "message", "hint"]
    ] * 2
    assert [
        (d["path"], d["line"], d["column"], d["code"], d["severity"]) for d in data
    ] == [
        ("bad.yaml", 5, 5, "RC101", "error"),
        ("w.yaml", 1, 1, "RC402", "warning"),
    ]


def test_github(run):
    code, out, _ = run("lint", "--format", "github", "w.yaml", files={"w.yaml": WARN})
    assert code == 0
    assert out == (
        "::warning file=w.yaml,line=1,col=1,title=RC402::the variable 'unused' is not "
        "used by any eval(...) (hint: remove it, or use it: eval(unused))\n"
    )


def test_sarif(run):
    code, out, _ = run("lint", "--format", "sarif", "bad.yaml", files={"bad.yaml": BAD})
    assert code == 1
    doc = json.loads(out)
    assert doc["version"] == "2.1.0"
    run0 = doc["runs"][0]
    assert [r["id"] for r in run0["tool"]["driver"]["rules"]] == ["RC101"]
    (res,) = run0["results"]
    assert res["ruleId"] == "RC101" and res["level"] == "error"
    region = res["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 5, "startColumn": 5}


def test_warnings_pass_unless_strict(run):
    assert run("lint", "w.yaml", files={"w.yaml": WARN})[0] == 0
    assert run("lint", "--strict", "w.yaml", files={"w.yaml": WARN})[0] == 1


def test_clean_recipe(run):
    cfg = str(ROOT / ".recipelint.yaml")  # it excludes recipes/guide/
    code, out, _ = run("lint", str(ROOT / "recipes"), "--config", cfg)
    from recipe_compiler.linter import config
    from recipe_compiler.linter.discovery import discover

    n = len(list(discover([ROOT / "recipes"], config.load(ROOT / ".recipelint.yaml"))))
    assert (code, out) == (0, f"{n} recipes checked: no problems\n")


def test_usage_errors_exit_2(run):
    code, _, err = run("lint", "nope.yaml")
    assert code == 2 and "no such file" in err
    code, _, err = run("lint", "--var", "nope=1", "w.yaml", files={"w.yaml": WARN})
    assert code == 2 and "cannot override 'nope'" in err
    assert run("lint", "--format", "xml", "w.yaml", files={"w.yaml": WARN})[0] == 2


def test_unreadable_input_exits_2(run, tmp_path):
    (tmp_path / "bin.yaml").write_bytes(b"\x00\x01\x02binary")
    code, out, _ = run("lint", "bin.yaml")
    assert code == 2
    assert out.startswith("bin.yaml:1:1: RC000 error binary data")


def test_stdin(run):
    code, out, _ = run("lint", "-", stdin=BAD)
    assert code == 1 and out.startswith("<stdin>:5:5: RC101")


def test_config_disables_and_changes_severity(run):
    files = {"w.yaml": WARN, ".recipelint.yaml": "rules:\n  unused-variable: error\n"}
    assert run("lint", "w.yaml", files=files)[0] == 1
    files[".recipelint.yaml"] = "rules:\n  RC402: disable\n"
    assert run("lint", "w.yaml", files=files)[1] == (
        "1 recipe checked: no problems "
        "(1 suppressed by config, --select/--ignore or # recipe: disable=: RC402 x1)\n"
    )
    files[".recipelint.yaml"] = "rules:\n  RC999: disable\n"
    code, _, err = run("lint", "w.yaml", files=files)
    assert code == 2 and 'no such rule: "RC999"' in err


def test_inline_disable(run):
    text = WARN.replace("unused: 3", "unused: 3  # recipe: disable=RC402")
    assert run("lint", "w.yaml", files={"w.yaml": text})[1] == (
        "1 recipe checked: no problems "
        "(1 suppressed by config, --select/--ignore or # recipe: disable=: RC402 x1)\n"
    )


def test_fix_adds_markers_atomically(run, tmp_path):
    guide = (ROOT / "recipes" / "guide" / "yolov5s-gmp-as-published.md").read_text()
    (tmp_path / "g.md").write_text(guide)
    (tmp_path / "g.md").chmod(0o640)
    code, _, err = run("lint", "--fix", "g.md")
    assert code == 0 and "added 4 '- ' list markers" in err
    assert (tmp_path / "g.md").stat().st_mode & 0o777 == 0o640
    assert [f.name for f in tmp_path.iterdir()] == ["g.md"]
    assert run("lint", "g.md")[0] == 0


def test_lint_does_not_touch_files_without_fix(run, tmp_path):
    guide = (ROOT / "recipes" / "guide" / "yolov5s-gmp-as-published.md").read_text()
    (tmp_path / "g.md").write_text(guide)
    assert run("lint", "g.md")[0] == 1
    assert (tmp_path / "g.md").read_text() == guide


def test_show_prints_resolved_modifiers(run):
    code, out, _ = run(
        "show", str(ROOT / "recipes" / "yolov5s-gmp.md"), "--var", "final_sparsity=0.75"
    )
    assert code == 0
    assert "4 modifiers, max_epochs 50" in out
    assert "final_sparsity=0.75" in out


def test_schema_is_up_to_date(run):
    code, _, err = run(
        "schema", "--check", "-o", str(ROOT / "schemas" / "recipe.schema.json")
    )
    assert code == 0, err


def test_rules_doc_is_up_to_date(run):
    code, out, _ = run("rules", "--markdown")
    assert code == 0
    assert out == (ROOT / "docs" / "rules.md").read_text()


def test_each_command_is_a_settings_object_and_an_execute(capsys, tmp_path):
    """The click layer only fills settings; execute runs the API and prints."""
    from recipe_compiler.cli.edit import CompileSettings, execute_compile
    from recipe_compiler.cli.lint import LintSettings, execute

    (tmp_path / "w.yaml").write_text(WARN)
    assert execute(LintSettings((str(tmp_path / "w.yaml"),), fmt="json")) == 0
    assert json.loads(capsys.readouterr().out)[0]["code"] == "RC402"
    assert execute(LintSettings((str(tmp_path / "w.yaml"),), strict=True)) == 1
    out = tmp_path / "c.yaml"
    settings = CompileSettings(str(tmp_path / "w.yaml"), str(out), {"unused": 4})
    assert execute_compile(settings) == 0
    assert out.read_text() == WARN.replace("unused: 3", "unused: 4")


def test_variables_command_and_its_old_name(run):
    recipe = str(ROOT / "recipes" / "yolov5s-gmp.md")
    code, out, _ = run("variables", recipe)
    assert code == 0 and "variables:" in out and "used by:" in out
    assert run("explain", recipe)[1] == out


def test_outputs_keep_the_format_sparseml_reads(run):
    recipe = str(ROOT / "recipes" / "yolov5s-gmp.md")
    code, _, err = run("compile", recipe, "-o", "out.yaml")
    assert code == 2 and "name it out.md" in err
    code, _, err = run("compile", recipe, "--flatten", "-o", "out.md")
    assert code == 2 and "plain YAML" in err and "name it out.yaml" in err
    code, _, err = run("rescale", recipe, "--epochs", "60", "--flatten", "-o", "f.md")
    assert code == 2 and "name it f.yaml" in err
    assert run("rescale", recipe, "--epochs", "60", "--flatten", "-o", "f.yaml")[0] == 0
    code, _, err = run("rescale", recipe, "--epochs", "60", "-o", "r.txt")
    assert code == 2 and "SparseML reads only .yaml and .md" in err


B = str(ROOT / "recipes" / "yolov5s-gmp.md")


@pytest.mark.parametrize(
    "args, option",
    [
        (["rescale", B, "--epochs", "-5"], "--epochs"),
        (["rescale", B, "--epochs", "0"], "--epochs"),
        (["rescale", B, "--epochs", "nan"], "--epochs"),
        (["rescale", B, "--epochs", "inf"], "--epochs"),
        (["rescale", B, "--epochs", "300", "--from-epochs", "0"], "--from-epochs"),
        (["rescale", B, "--epochs", "300", "--round", "0"], "--round"),
        (["rescale", B, "--epochs", "300", "--round", "-1"], "--round"),
        (["rescale", B, "--epochs", "300", "--lr", "0:0.1"], "--lr"),
        (["rescale", B, "--epochs", "300", "--lr", "0.1:-1"], "--lr"),
        (["rescale", B, "--epochs", "300", "--steps-per-epoch", "0"], "--steps-per"),
        (["plan", B, "--epochs", "-1"], "--epochs"),
        (["plan", B, "--epochs", "nan"], "--epochs"),
        (["plan", B, "--epochs", "1e12"], "--epochs"),
        (["plan", B, "--steps-per-epoch", "0"], "--steps-per-epoch"),
        (["lint", B, "--steps-per-epoch", "-1"], "--steps-per-epoch"),
        (["preview", B, "-o", "x.html", "--steps-per-epoch", "0"], "--steps-per"),
        (["compile", B, "-o", "x.md", "--steps-per-epoch", "0"], "--steps-per"),
        (["bench", B, "--seconds", "nan"], "--seconds"),
        (["run", B, "--rescale", "-3", "-o", "r"], "--rescale"),
        (["run", B, "--rescale", "inf", "-o", "r"], "--rescale"),
    ],
)
def test_options_out_of_range_exit_2_naming_the_option(
    args, option, monkeypatch, tmp_path
):
    """Every command refuses a value out of range the same way: exit 2, the option
    named, no internal error (nan, inf, 0 and negatives went through before)."""
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2, (args, r.output)
    assert option in r.stderr and "internal error" not in r.stderr, r.stderr


def test_config_exclude_skips_files_in_folders_but_not_named_ones(run, tmp_path):
    """As ruff's `exclude`: left out where a folder is walked, linted where named."""
    bad = "modifiers:\n  - !GMPruningModifier\n    final_sparsity: 2\n"
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "bad.yaml").write_text(bad)
    (tmp_path / "ok.yaml").write_text(
        "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 2\n"
    )
    (tmp_path / ".recipelint.yaml").write_text("exclude:\n  - old/*\n")
    assert run("lint", ".")[:2] == (0, "1 recipe checked: no problems\n")
    code, out, _ = run("lint", "old/bad.yaml")
    assert code == 1 and "old/bad.yaml:3:" in out
    (tmp_path / ".recipelint.yaml").write_text("exclude: old\n")
    code, _, err = run("lint", ".")
    assert code == 2 and "'exclude' must be a list of glob patterns" in err
