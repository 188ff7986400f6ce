"""Habits of ruff and pre-commit users: what `recipe` does where they expect it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from recipe_compiler.cli import main
from tests.conftest import ROOT

STUB = "zoo:cv/detection/yolov5-s/pytorch/ultralytics/coco/pruned-aggressive_96"
RECIPE = str(ROOT / "recipes" / "digits-gmp.yaml")
SAYS = (
    "is a SparseZoo stub: SparseZoo is end-of-life and recipe-compiler works "
    "offline; download the file and "
)


@pytest.mark.parametrize(
    ("args", "instead"),
    [
        (["lint", STUB], "pass its path"),
        (["show", STUB], "pass its path"),
        (["plan", STUB], "pass its path"),
        (["preview", STUB, "-o", "p.html"], "pass its path"),
        (["rescale", STUB, "--epochs", "300"], "pass its path"),
        (["compile", STUB, "-o", "x.yaml"], "pass its path"),
        (["variables", STUB], "pass its path"),
        (["diff", STUB, RECIPE], "pass its path"),
        (["run", STUB, "--model", "digits-cnn", "-o", "out"], "pass its path"),
        (["bench", STUB], "pass its path"),
        (["lint", RECIPE, "--model", STUB], "pass the ONNX file's path"),
        (["show", RECIPE, "--model", STUB], "pass the ONNX file's path"),
        (["new", "-t", "gmp", "--model", STUB], "pass the ONNX file's path"),
        (["run", RECIPE, "--model", STUB, "-o", "out"], "pass a built-in model"),
    ],
)
def test_a_sparsezoo_stub_is_one_line_and_exit_2(tmp_path, monkeypatch, args, instead):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2, r.output
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.output
    stub = next(a for a in args if a.startswith("zoo:"))
    assert r.stderr.startswith(f"recipe {args[0]}: {stub} {SAYS}{instead}")
    assert "no such file" not in r.stderr
    assert not list(tmp_path.iterdir())  # nothing written


def test_the_api_reads_a_stub_as_unreadable_saying_why():
    import recipe_compiler as rc

    (p,) = rc.load(STUB).problems
    assert (p.code, p.line) == ("RC000", 1)
    assert (
        "SparseZoo stub" in p.message
        and p.hint == "download the recipe and pass its path"
    )


# -- recipe lint's options, as ruff's --------------------------------------------

BAD = """\
modifiers:
  - !EpochRangeModifier
    start_epoch: 0
    end_epoch: 4
  - !GMPruningModifier
    params: [features.0, features.9.weight]
    init_sparsity: 0.05
    final_sparsity: 0.5
    start_epoch: 0
    end_epoch: 3
    update_frequency: 1
"""
UNUSED = "unused: 3\n" + BAD


@pytest.fixture
def lint(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    (tmp_path / "bad.yaml").write_text(UNUSED)

    def run(*args, stdin=None, env=None):
        r = CliRunner().invoke(main, ["lint", *args], input=stdin, env=env)
        return r.exit_code, r.stdout, r.stderr

    return run


E1 = (
    "bad.yaml:7:14: RC501 error !GMPruningModifier params entry 'features.0' matches "
    'no parameter of digits-cnn; SparseML fails at initialize with "All supplied '
    'parameter names or regex patterns not found.No match for features.0"\n'
    "    hint: 'features.0' is a module (Conv2d): name its parameter, "
    "features.0.weight\n"
)
E2_START = (
    "bad.yaml:7:26: RC501 error !GMPruningModifier params entry 'features.9.weight'"
)
W = "bad.yaml:1:1: RC402 warning"


def test_select_by_prefix_code_and_name(lint):
    code, out, _ = lint("bad.yaml", "--model", "digits-cnn", "--select", "RC5")
    assert code == 1 and out.startswith(E1) and E2_START in out and W not in out
    assert out.endswith(
        "1 recipe checked: 2 errors (1 suppressed by config, --select/--ignore or "
        "# recipe: disable=: RC402 x1)\n"
    )
    by_name = lint("bad.yaml", "--model", "digits-cnn", "--select", "unused-variable")
    assert by_name[0] == 0 and by_name[1].startswith(W)
    both = lint("bad.yaml", "--model", "digits-cnn", "--select", "RC402,RC501")
    assert both[1].count("\n    hint:") == 3


def test_extend_select_adds_to_a_config_select(lint, tmp_path):
    (tmp_path / ".recipelint.yaml").write_text("select: [RC4]\n")
    code, out, _ = lint("bad.yaml", "--model", "digits-cnn")
    assert code == 0 and out.startswith(W)
    code, out, _ = lint("bad.yaml", "--model", "digits-cnn", "--extend-select", "RC501")
    assert code == 1 and out.startswith(W) and E2_START in out


def test_ignore_wins_over_select(lint):
    code, out, _ = lint("bad.yaml", "--model", "digits-cnn", "--ignore", "RC5")
    assert code == 0 and out.startswith(W) and "RC501" not in out.split("(")[0]


def test_a_selector_that_selects_nothing_is_exit_2(lint):
    code, out, err = lint("bad.yaml", "--select", "RC9")
    assert (code, out) == (2, "")
    assert err == (
        "recipe lint: the command line: 'RC9' selects no code (a code like RC501, a "
        "prefix like RC5, a rule name like params-not-found, or ALL)\n"
    )


def test_statistics_count_per_code(lint):
    code, out, _ = lint("bad.yaml", "--model", "digits-cnn", "--statistics")
    assert code == 1
    assert (
        out == "2\tRC501\terror\tparams-not-found\n1\tRC402\twarning\tunused-variable\n"
    )


def test_quiet_prints_the_problems_and_nothing_else(lint, tmp_path):
    (tmp_path / "ok.yaml").write_text(
        "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 2\n"
    )
    assert lint("ok.yaml", "-q") == (0, "", "")
    code, out, _ = lint("bad.yaml", "--quiet", "--select", "RC402")
    assert code == 0 and out.startswith(W) and "checked" not in out


def test_exit_zero_and_output_file(lint, tmp_path):
    code, out, _ = lint("bad.yaml", "--model", "digits-cnn", "--exit-zero")
    assert code == 0 and E1 in out
    code, out, _ = lint(
        "bad.yaml", "--model", "digits-cnn", "--output-file", "report.txt"
    )
    assert (code, out) == (1, "")
    written = (tmp_path / "report.txt").read_text()
    assert written.startswith(W) and E1 in written
    assert written.endswith("1 recipe checked: 2 errors, 1 warning\n")


def test_stdin_filename_names_and_types_standard_input(lint):
    card = "---\n" + BAD.replace("features.0,", "features.0.weight,") + "---\n# card\n"
    code, out, _ = lint("-", "--stdin-filename", "recipe.md", stdin=card)
    assert code == 0 and out == "1 recipe checked: no problems\n"
    code, out, _ = lint("-", "--stdin-filename", "recipe.yml", stdin=BAD)
    assert code == 1 and out.startswith("recipe.yml:1:1: RC007 error")
    assert "hint: rename it to recipe.yaml" in out


def test_format_auto_is_github_under_github_actions(lint):
    code, out, _ = lint("bad.yaml", "--select", "RC402", env={"GITHUB_ACTIONS": "true"})
    assert code == 0 and out.startswith(
        "::warning file=bad.yaml,line=1,col=1,title=RC402::"
    )
    assert lint("bad.yaml", "--select", "RC402")[1].startswith(W)


def test_color_always_never_and_no_color(lint):
    _, out, _ = lint("bad.yaml", "--select", "RC402", "--color", "always")
    assert out.startswith(
        "\x1b[1mbad.yaml:1:1:\x1b[0m \x1b[33m\x1b[1mRC402 warning\x1b[0m"
    )
    _, out, _ = lint(
        "bad.yaml", "--select", "RC402", "--color", "auto", env={"NO_COLOR": "1"}
    )
    assert "\x1b[" not in out
    _, out, _ = lint("bad.yaml", "--select", "RC402", "--color", "never")
    assert "\x1b[" not in out and out.startswith(W)


def test_disable_next_line_and_disable_file(lint, tmp_path):
    nxt = UNUSED.replace(
        "    params:", "    # recipe: disable-next-line=RC501\n    params:"
    )
    (tmp_path / "n.yaml").write_text(nxt)
    code, out, _ = lint("n.yaml", "--model", "digits-cnn")
    assert code == 0 and "RC501 x2" in out
    whole = "# recipe: disable-file=params-not-found,RC402\n" + UNUSED
    (tmp_path / "f.yaml").write_text(whole)
    code, out, _ = lint("f.yaml", "--model", "digits-cnn")
    assert code == 0 and out.startswith("1 recipe checked: no problems (3 suppressed")


def test_config_in_pyproject_with_extends_and_per_file_ignores(lint, tmp_path):
    (tmp_path / "base.yaml").write_text("ignore: [RC402]\n")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.recipe-lint]\nextends = "base.yaml"\n'
        '[tool.recipe-lint.per-file-ignores]\n"old/*" = ["RC5"]\n'
    )
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "bad.yaml").write_text(UNUSED)
    code, out, _ = lint("bad.yaml", "old/bad.yaml", "--model", "digits-cnn")
    assert code == 1
    assert "RC402" not in out.split("(")[0]  # the base config's ignore
    assert E1 in out and "old/bad.yaml:" not in out.split("(")[0]  # per-file
    (tmp_path / ".recipelint.yaml").write_text("rules: {}\n")  # in one folder, wins
    code, out, _ = lint("bad.yaml", "--model", "digits-cnn")
    assert W in out


def test_recipe_rule_prints_one_rule(tmp_path):
    r = CliRunner().invoke(main, ["rule", "params-not-found"])
    assert r.exit_code == 0
    assert r.stdout.startswith(
        "# RC501 params-not-found (error)\n\nA pruning `params` entry that names no "
        "parameter of the model (`--model`).\n\nSparseML 1.8 fails at: initialize: "
        "RuntimeError, initialize: error\n"
    )
    assert r.stdout.rstrip().endswith(
        "Passes: `params: [features.0.weight]` on digits-cnn.\n\n"
        "Fails: `params: [features.0]` on digits-cnn."
    )
    r = CliRunner().invoke(main, ["rule", "RC999"])
    assert r.exit_code == 2 and r.stderr == (
        "recipe rule: no such code or rule name: 'RC999' (`recipe rules` lists them)\n"
    )
    j = CliRunner().invoke(main, ["rules", "--format", "json"])
    assert j.exit_code == 0 and '"code": "RC501"' in j.stdout


READERS = ["lint", "show", "plan", "preview", "rescale", "compile", "variables"]
READERS += ["explain", "diff", "run"]


@pytest.mark.parametrize("command", READERS)
def test_every_command_that_reads_a_recipe_has_the_limits(command):
    """The hints that name --max-bytes / --max-nodes / --max-depth (RC008) name
    flags the command printing them has."""
    r = CliRunner().invoke(main, [command, "--help"])
    assert r.exit_code == 0
    for flag in ("--max-bytes", "--max-nodes", "--max-depth"):
        assert flag in r.stdout, (command, flag)


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["show", RECIPE, "--max-bytes", "100"], "--max-bytes"),
        (["plan", RECIPE, "--max-nodes", "5"], "--max-nodes"),
        (["variables", RECIPE, "--max-depth", "1"], "--max-depth"),
        (["diff", RECIPE, RECIPE, "--max-bytes", "100"], "--max-bytes"),
        (["rescale", RECIPE, "--epochs", "300", "--max-nodes", "5"], "--max-nodes"),
    ],
)
def test_a_limit_holds_and_its_hint_names_the_flag(args, flag):
    r = CliRunner().invoke(main, args)
    assert r.exit_code in (1, 2) and "RC008 error" in r.output, r.output
    assert "modifiers, max_epochs" not in r.output  # nothing shown of it
    limit = args[args.index(flag) : args.index(flag) + 2]
    hint = CliRunner().invoke(main, ["lint", RECIPE, *limit]).output
    assert "raise the limit" in hint and flag in hint, hint


def test_the_cli_reference_is_up_to_date():
    """docs/cli.md is generated from the commands; regenerate it with
    `python -m recipe_compiler.cli.reference`."""
    from recipe_compiler.cli import reference

    assert (ROOT / "docs" / "cli.md").read_text() == reference.render()


def test_run_rescale_refusal_names_flags_run_has(sparseml, tmp_path, monkeypatch):
    """`recipe run --rescale` used to suggest `--round`, a flag of `recipe rescale`."""
    monkeypatch.chdir(tmp_path)
    assert (
        CliRunner().invoke(main, ["new", "-t", "gmp-qat", "-o", "my.md"]).exit_code == 0
    )
    r = CliRunner().invoke(
        main,
        [
            "run",
            "my.md",
            "--model",
            "yolov5n",
            "--steps-per-epoch",
            "2",
            "--rescale",
            "3",
            "-o",
            "out",
        ],
    )
    assert r.exit_code == 1 and "cannot rescale to 3 epochs" in r.stderr
    assert "--round" not in r.stderr and "--flatten" not in r.stderr
    assert "more steps an epoch than 2, or a longer rescale" in r.stderr
