"""Every command over a matrix of bad conditions: a clear refusal, never a bug.

Each cell runs the command as a user types it (click's runner, the same `main` the
console script calls) and holds it to the CLI's promise: an exit code of 1 or 2
and a message, and never an exception escaping to the last-resort handler (which
prints "recipe: internal error ... this is a bug"). The conditions: an output that
cannot be written (a parent that is a file, a missing folder), a missing input, a
staged recipe (sparseml.core / llm-compressor, which no command reads yet), a plan
too large to replay, a mistyped `--var`, an empty folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from recipe_compiler.cli import main

GOOD = """\
version: 1.1.0
final_sparsity: 0.8
modifiers:
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: 10.0
  - !GMPruningModifier
    params: __ALL_PRUNABLE__
    init_sparsity: 0.05
    final_sparsity: eval(final_sparsity)
    start_epoch: 1.0
    end_epoch: 8.0
    update_frequency: 0.5
"""
STAGED = """\
quant_stage:
  quant_modifiers:
    GPTQModifier:
      targets: ["Linear"]
      scheme: W4A16
      ignore: ["lm_head"]
"""
HUGE = GOOD.replace("end_epoch: 10.0", "end_epoch: 2000000.0").replace(
    "end_epoch: 8.0", "end_epoch: 1999990.0"
)

# command -> argv with {r} the recipe, {b} a second recipe, {o} an output file,
# {d} an output folder
COMMANDS = {
    "lint": ["lint", "{r}"],
    "lint --output-file": ["lint", "{r}", "--output-file", "{o}"],
    "show": ["show", "{r}"],
    "plan": ["plan", "{r}"],
    "preview": ["preview", "{r}", "-o", "{o}"],
    "rescale": ["rescale", "{r}", "--epochs", "30", "-o", "{o}"],
    "compile": ["compile", "{r}", "-o", "{o}"],
    "variables": ["variables", "{r}"],
    "diff": ["diff", "{r}", "{b}"],
    "new": ["new", "-t", "gmp", "-o", "{o}"],
    "schema": ["schema", "-o", "{o}"],
}
TAKES_VAR = {"lint", "show", "plan", "preview", "compile"}  # and run


def _files(tmp: Path, condition: str) -> dict[str, str]:
    good = tmp / "good.yaml"
    good.write_text(GOOD)
    paths = {"r": str(good), "b": str(good), "o": str(tmp / "out.yaml"), "d": ""}
    if condition == "parent is a file":
        (tmp / "afile").write_text("x")
        paths["o"] = str(tmp / "afile" / "out.yaml")
    elif condition == "missing folder":
        paths["o"] = str(tmp / "nowhere" / "out.yaml")
    elif condition == "missing input":
        paths["r"] = paths["b"] = str(tmp / "nope.yaml")
    elif condition == "staged recipe":
        staged = tmp / "staged.yaml"
        staged.write_text(STAGED)
        paths["r"] = paths["b"] = str(staged)
    elif condition == "plan too large":
        huge = tmp / "huge.yaml"
        huge.write_text(HUGE)
        paths["r"] = paths["b"] = str(huge)
    elif condition == "empty folder":
        (tmp / "empty").mkdir()
        paths["r"] = paths["b"] = str(tmp / "empty")
    return paths


CONDITIONS = [
    "parent is a file",
    "missing folder",
    "missing input",
    "staged recipe",
    "plan too large",
    "mistyped --var",
    "empty folder",
]


def invoke(argv: list[str]) -> tuple[int, str, BaseException | None]:
    """Exit code, output and any exception that escaped `main` (the console
    script turns that into "internal error")."""
    result = CliRunner().invoke(main, argv, catch_exceptions=True)
    escaped = result.exception
    if isinstance(escaped, SystemExit):
        escaped = None
    return result.exit_code, result.output, escaped


@pytest.mark.parametrize("condition", CONDITIONS)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_command_fails_with_an_internal_error(tmp_path, command, condition):
    paths = _files(tmp_path, condition)
    argv = [a.format(**paths) for a in COMMANDS[command]]
    if condition == "mistyped --var":
        if command.split()[0] not in TAKES_VAR:
            return  # nothing to mistype: the cell is the other conditions'
        argv += ["--var", "final_sparsty=0.9"]
    code, output, escaped = invoke(argv)
    assert escaped is None, f"{argv}: {type(escaped).__name__}: {escaped}"
    assert "internal error" not in output
    assert code in (0, 1, 2), (argv, code, output)
    name = command.split()[0]
    writes = "{o}" in COMMANDS[command]
    reads = "{r}" in COMMANDS[command]
    if condition == "missing folder" and name == "schema":
        assert code == 0  # its default output is a repository path it makes
    elif condition in ("parent is a file", "missing folder") and writes:
        assert code == 2 and f"cannot write {paths['o']}" in output, output
        assert not Path(paths["o"]).exists()
    elif condition == "missing input" and reads:
        assert code == 2 and "no such file" in output, output
    elif condition == "staged recipe" and reads:
        if name in ("lint", "show"):  # read as llm-compressor's, and said so
            report = Path(paths["o"]).read_text() if writes else output
            assert "read as llm-compressor" in report
        elif name == "diff":  # two llm-compressor recipes, compared as such
            assert code == 0 and "llm-compressor applies the same" in output
        elif name in ("plan", "preview", "rescale"):  # llm-compressor: no schedule
            assert code == 2 and "read as llm-compressor's" in output, output
            assert not Path(paths["o"]).exists()
        elif name == "compile":  # written as it is: llm-compressor finds no error
            assert code == 0 and Path(paths["o"]).read_text() == STAGED
        else:
            assert code == 2 and "is a staged recipe" in output, output
            assert not Path(paths["o"]).exists()
    elif condition == "plan too large" and name in ("plan", "preview", "diff"):
        assert code == 2 and "more than the 20,000,000" in output, output
    elif condition == "mistyped --var":
        assert code == 2, output
        assert "cannot override 'final_sparsty'" in output, output
        assert "did you mean 'final_sparsity'?" in output, output
    elif condition == "empty folder" and reads:
        assert code == 2, output
        assert ("no recipe found" if name == "lint" else "is a folder") in output


def test_the_matrix_catches_a_planted_bug(monkeypatch, tmp_path):
    """A command that raises is an escaped exception here (the console script
    would print "internal error"): the matrix above can fail."""
    from recipe_compiler.views import plan_text

    def broken(*args, **kwargs):
        raise KeyError("planted")

    monkeypatch.setattr(plan_text, "as_table", broken)
    paths = _files(tmp_path, "none")
    _, _, escaped = invoke(["plan", paths["r"]])
    assert isinstance(escaped, KeyError)


def test_the_console_script_says_internal_error_for_a_bug(monkeypatch, capsys):
    """What the user sees of an escaped exception: one line, exit 2."""
    import recipe_compiler.cli as cli

    def broken(**kwargs):
        raise KeyError("planted")

    monkeypatch.setattr(cli, "main", broken)
    with pytest.raises(SystemExit) as exit_:
        cli.run()
    assert exit_.value.code == 2
    assert "recipe: internal error: KeyError" in capsys.readouterr().err


def test_lint_fix_says_fixed_only_once_the_file_is_written(tmp_path, monkeypatch):
    """`--fix` whose write fails says why, and never that it fixed the file."""
    from recipe_compiler import fileio

    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "modifiers:\n  !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 3\n"
        "  !SetLearningRateModifier\n    start_epoch: 0\n    learning_rate: 0.1\n"
    )
    before = recipe.read_text()

    def full_disk(target, text):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fileio, "_write_atomic", full_disk)
    result = CliRunner().invoke(main, ["lint", "--fix", str(recipe)])
    assert result.exit_code == 2
    assert f"fixed {recipe}:" not in result.output
    assert "no space left on the device" in result.output
    assert recipe.read_text() == before
    monkeypatch.undo()
    result = CliRunner().invoke(main, ["lint", "--fix", str(recipe)])
    assert f"fixed {recipe}: added 2 '- ' list markers" in result.output


def test_a_folder_walk_lints_recipes_and_counts_the_yaml_it_skips(tmp_path):
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "server.yaml").write_text("endpoints:\n  - task: x\n")
    (tmp_path / "README.md").write_text("# notes\n")
    code, output, _ = invoke(["lint", str(tmp_path)])
    assert code == 0
    assert output.endswith(
        "1 recipe checked: no problems (1 YAML file without modifiers skipped)\n"
    )
    # named on the command line, a file is linted whatever it holds
    code, output, _ = invoke(["lint", str(tmp_path / "deploy" / "server.yaml")])
    assert code == 1 and "RC106" in output


def test_the_exit_code_table_names_every_command():
    from recipe_compiler.cli import COMMANDS as ALL
    from recipe_compiler.cli.reference import EXIT_CODES

    listed = [name for name, _, _ in EXIT_CODES]
    assert listed == [name for name in ALL if name != "explain"]  # explain: hidden


BROKEN = """\
num_epochs: 10
unused_lr: 0.1
modifiers:
  - !EpochRangeModifier
    start_epoch: 0
    end_epoch: eval(num_epochs)
  - !SetLearningRateModifer
    start_epoch: 1
    learning_rate: 0.1
"""


def test_an_error_hides_no_other_finding(tmp_path):
    """A misspelled tag (RC101) and an unused variable (RC402): both reported
    at once, and `--select unused-variable` finds the warning."""
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    code, output, _ = invoke(["lint", str(path)])
    assert code == 1
    assert "7:5: RC101 error" in output and "2:1: RC402 warning" in output
    code, output, _ = invoke(["lint", str(path), "--select", "unused-variable"])
    assert code == 0 and "2:1: RC402 warning" in output


def test_hover_works_on_what_loaded_while_the_document_has_an_error():
    from recipe_compiler.lsp.analysis import Settings, analyse

    a = analyse(BROKEN, "broken.yaml", Settings())
    assert not a.recipe.ok
    at = BROKEN.index("start_epoch: 0\n    end_epoch: eval") + 2
    found = a.hover(at)
    assert found is not None and "lands on **step 0**" in found.text


def test_a_closed_pipe_is_not_an_output_error(monkeypatch, tmp_path, capsys):
    """`recipe plan ... | head`: the reader left; no "cannot write" line."""
    import sys

    import recipe_compiler.cli as cli
    from recipe_compiler.views import plan_text

    def reader_gone(*args, **kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(plan_text, "as_table", reader_gone)
    paths = _files(tmp_path, "none")
    monkeypatch.setattr(sys, "argv", ["recipe", "plan", paths["r"]])
    with pytest.raises(SystemExit) as exit_:
        cli.run()
    assert exit_.value.code == 1  # click's way with EPIPE: quietly
    err = capsys.readouterr().err
    assert "Broken pipe" not in err and "cannot write" not in err
