"""What a new user hits first (issue 13): commands that write a recipe write nothing
lint calls an error (`compile` and `rescale` judge their result by the lint the user
runs: config, schedule rules at the given or default steps per epoch), and every
command that reads a recipe reports its loader errors. `lint --fix` edits the
user's own file: it fixes what it can and the lint reports the rest (issue 34)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from recipe_compiler.cli import main
from recipe_compiler.linter.engine import lint_recipe
from recipe_compiler.loader.recipe import load
from recipe_compiler.problems import errors

HEAD = """\
modifiers:
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: 10.0
"""
# a schedule error (RC205: ZeroDivisionError at the first pruning step)
EMPTY_WINDOW = (
    HEAD
    + """\
  - !GMPruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 2.0
    end_epoch: 2.0
    update_frequency: 0.5
"""
)
# a value SparseML reads once the modifier acts (a deferred error)
BAD_TEMPERATURE = (
    HEAD
    + """\
  - !DistillationModifier
    start_epoch: 0.0
    end_epoch: 5.0
    temperature: hot
"""
)
# fields at the tag's column, as pasting from a web page leaves them
FLUSH = """\
version: 1.1.0

modifiers:
    !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: 10.0

    !GlobalMagnitudePruningModifier
  # a comment left of the fields does not decide where they are
    init_sparsity: 0.05
    final_sparsity: 0.8
    start_epoch: 0.0
    end_epoch: 5.0
    update_frequency: 0.5
    params:
    - re:.*weight
    # kept with its modifier
    leave_enabled: true
"""


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def _run(*args, stdin=None):
        r = CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)
        return r.exit_code, r.stdout, r.stderr

    return _run


@pytest.mark.parametrize(
    "text", [EMPTY_WINDOW, BAD_TEMPERATURE], ids=["RC205", "deferred"]
)
@pytest.mark.parametrize(
    "command",
    [
        ["compile", "r.yaml", "-o", "out.yaml"],
        ["compile", "r.yaml", "--flatten", "-o", "out.yaml"],
        ["rescale", "r.yaml", "--epochs", "30", "-o", "out.yaml"],
    ],
    ids=["compile", "compile-flat", "rescale"],
)
def test_writes_nothing_lint_calls_an_error(run, tmp_path, text, command):
    (tmp_path / "r.yaml").write_text(text)
    code, _, err = run(*command)
    assert code == 1
    assert "nothing written" in err
    assert "r.yaml:" in err and " error " in err
    assert not (tmp_path / "out.yaml").exists()


def test_a_config_that_disables_the_rule_lets_it_be_written(run, tmp_path):
    """The same lint the user runs: their config counts."""
    (tmp_path / "r.yaml").write_text(EMPTY_WINDOW)
    (tmp_path / ".recipelint.yaml").write_text("rules:\n  RC205: disable\n")
    code, _, err = run("compile", "r.yaml", "-o", "out.yaml")
    assert code == 0, err
    assert (tmp_path / "out.yaml").read_text() == EMPTY_WINDOW


def test_steps_per_epoch_decides_a_deferred_error(run, tmp_path):
    """Distillation reads its temperature only strictly inside its window: half
    an epoch has steps inside at the default steps per epoch, none at 1."""
    text = BAD_TEMPERATURE.replace("end_epoch: 5.0", "end_epoch: 0.5")
    (tmp_path / "r.yaml").write_text(text)
    assert errors(lint_recipe(load(tmp_path / "r.yaml")).problems)
    assert not errors(
        lint_recipe(load(tmp_path / "r.yaml"), steps_per_epoch=1).problems
    )
    code, _, err = run("compile", "r.yaml", "-o", "a.yaml")
    assert code == 1 and "--steps-per-epoch 100" in err
    assert not (tmp_path / "a.yaml").exists()
    assert run("compile", "r.yaml", "--steps-per-epoch", "1", "-o", "b.yaml")[0] == 0
    assert (tmp_path / "b.yaml").read_text() == text


def test_fix_indents_fields_at_the_tag_column(run, tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(FLUSH)
    code, _, err = run("lint", "--fix", "r.yaml")
    assert code == 0, err
    fixed = path.read_text()
    assert (
        "    - !GlobalMagnitudePruningModifier\n"
        "    # a comment left of the fields does not decide where they are\n"
        "      init_sparsity: 0.05\n"
    ) in fixed
    assert "      # kept with its modifier\n      leave_enabled: true\n" in fixed
    recipe = load(path)
    assert recipe.ok and [e.tag for e in recipe.modifiers] == [
        "EpochRangeModifier",
        "GlobalMagnitudePruningModifier",
    ]
    assert recipe.modifiers[1].model.leave_enabled is True


def test_fix_writes_the_markers_and_reports_what_it_cannot_fix(run, tmp_path):
    """As ruff: the markers are fixed; the error they revealed is the recipe's own,
    reported by the lint that follows (exit 1), not a reason to fix nothing."""
    path = tmp_path / "r.yaml"
    broken = FLUSH.replace("end_epoch: 5.0", "end_epoch: 0.0")  # RC205 once it loads
    path.write_text(broken)
    code, out, err = run("lint", "--fix", "r.yaml")
    assert code == 1
    assert "fixed r.yaml: added 2 '- ' list markers" in err
    assert "RC205" in out and "RC002" not in out
    assert "    - !GlobalMagnitudePruningModifier\n" in path.read_text()
    assert run("lint", "--fix", "r.yaml")[0] == 1  # nothing left to fix
    assert "fixed" not in run("lint", "--fix", "r.yaml")[2]


def test_fix_that_would_not_parse_writes_nothing_and_says_why(run, tmp_path):
    path = tmp_path / "r.yaml"
    broken = FLUSH.replace("end_epoch: 10.0", "end_epoch: [10.0")
    path.write_text(broken)
    code, _, err = run("lint", "--fix", "r.yaml")
    assert code == 1
    assert (
        "not fixed r.yaml: with the '- ' markers added it would still not parse" in err
    )
    assert "RC001" in err
    assert path.read_text() == broken


def test_fix_fixes_every_file_it_can_write(run, tmp_path):
    """A file that cannot be rewritten (here a link out of the working tree) does
    not stop the others: they are fixed, it is said in one line, exit 2."""
    outside = tmp_path.parent / f"{tmp_path.name}-outside.yaml"
    outside.write_text(FLUSH)
    (tmp_path / "a.yaml").write_text(FLUSH)
    (tmp_path / "b.yaml").symlink_to(outside)
    (tmp_path / "c.yaml").write_text(FLUSH)
    code, _, err = run("lint", "--fix", "a.yaml", "b.yaml", "c.yaml")
    assert code == 2
    assert err.count("recipe lint --fix: b.yaml is a symbolic link") == 1
    assert "fixed a.yaml" in err and "fixed c.yaml" in err
    assert "- !EpochRangeModifier" in (tmp_path / "c.yaml").read_text()
    assert outside.read_text() == FLUSH


def test_fix_on_stdin_prints_the_fixed_text(run):
    code, out, err = run("lint", "--fix", "-", stdin=FLUSH)
    assert code == 0, err
    assert out.startswith("version: 1.1.0\n") and "    - !EpochRangeModifier\n" in out
    assert "no problems" in err


def test_fixed_flush_recipe_loads_in_sparseml(sparseml, run, tmp_path):
    from recipe_compiler.loader.list_markers import add_markers
    from recipe_compiler.loader.source import from_text

    fixed = add_markers(from_text(FLUSH, "r.yaml", "yaml"))
    assert fixed is not None
    manager = sparseml.from_yaml(fixed)
    assert sorted(type(m).__name__ for m in manager.modifiers) == [
        "EpochRangeModifier",
        "GlobalMagnitudePruningModifier",
    ]


@pytest.mark.parametrize("command", ["variables", "explain"])
def test_variables_reports_loader_errors_and_exits_1(run, tmp_path, command):
    """Issue 13, 4: undefined eval names gave a report of nonsense and exit 0."""
    (tmp_path / "r.yaml").write_text(
        "num_epochs: 10\n" + HEAD.replace("end_epoch: 10.0", "end_epoch: eval(nope)")
    )
    code, out, err = run(command, "r.yaml")
    assert code == 1
    assert out == ""
    assert "r.yaml:5:" in err and "RC401" in err


def test_run_refuses_a_folder_holding_an_earlier_run(run, tmp_path):
    """Issue 13, 3: before anything runs (the refusal needs no runner)."""
    (tmp_path / "r.yaml").write_text(HEAD)
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "report.json").write_text("{}")
    code, _, err = run("run", "r.yaml", "-o", "old")
    assert code == 2
    assert "--resume old" in err and "--overwrite" in err
    assert (tmp_path / "old" / "report.json").read_text() == "{}"


def test_schema_check_says_missing_for_a_missing_file(run):
    """Issue 13, 10: it said "out of date" for a file that is not there."""
    code, _, err = run("schema", "--check", "-o", "none.json")
    assert code == 1
    assert "none.json is missing: run `recipe schema -o none.json`" in err


def test_plan_defaults_steps_per_epoch_like_lint(run, tmp_path):
    """Issue 13, 10: plan required --steps-per-epoch where lint and preview
    default it."""
    from recipe_compiler.schedule.clock import DEFAULT_STEPS_PER_EPOCH

    (tmp_path / "r.yaml").write_text(HEAD)
    code, out, err = run("plan", "r.yaml", "--format", "json")
    assert code == 0, err
    import json

    plan = json.loads(out)
    assert plan["steps_per_epoch"] == DEFAULT_STEPS_PER_EPOCH
    assert plan["total_steps"] == 10 * DEFAULT_STEPS_PER_EPOCH


def _hints(text: str, code: str) -> list[str | None]:
    from recipe_compiler.loader.recipe import load as load_text

    return [p.hint for p in load_text(text).problems if p.code == code]


def test_rc201_hints_name_the_field_and_what_runs():
    """Issue 13, 7: the observer epoch got end_epoch's hint, and a GMP window's
    "at least" led straight into RC205."""
    qat = HEAD + (
        "  - !QuantizationModifier\n    start_epoch: 5.0\n"
        "    disable_quantization_observer_epoch: 2.0\n"
    )
    (hint,) = _hints(qat, "RC201")
    assert hint is not None and hint.startswith("make disable_quantization_observer")
    gmp = EMPTY_WINDOW.replace("end_epoch: 2.0", "end_epoch: 1.0")
    (hint,) = _hints(gmp, "RC201")
    assert hint is not None and "greater than start_epoch (2)" in hint
