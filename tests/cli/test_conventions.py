"""Habits of ruff and pre-commit users: what `recipe` does where they expect it."""

from __future__ import annotations

import json

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
E2 = (
    "bad.yaml:7:26: RC501 error !GMPruningModifier params entry 'features.9.weight' "
    'matches no parameter of digits-cnn; SparseML fails at initialize with "All '
    "supplied parameter names or regex patterns not found.No match for "
    'features.9.weight"\n'
    "    hint: features is a Sequential here, with 0, 1, 2, 3, 4, 5, 6: the name was "
    "written for another model or version; nearest: features.4.weight, "
    "features.3.weight, features.1.weight\n"
)
W = (
    "bad.yaml:1:1: RC402 warning the variable 'unused' is not used by any eval(...)\n"
    "    hint: remove it, or use it: eval(unused)\n"
)
ALL = "1 recipe checked: 2 errors, 1 warning\n"
HIDDEN = " suppressed by config, --select/--ignore or # recipe: disable=: "
ONLY_W = W + f"1 recipe checked: 1 warning (2{HIDDEN}RC501 x2)\n"


def test_select_by_prefix_code_and_name(lint):
    assert lint("bad.yaml", "--model", "digits-cnn", "--select", "RC5") == (
        1,
        E1 + E2 + f"1 recipe checked: 2 errors (1{HIDDEN}RC402 x1)\n",
        "",
    )
    by_name = lint("bad.yaml", "--model", "digits-cnn", "--select", "unused-variable")
    assert by_name == (0, ONLY_W, "")
    both = lint("bad.yaml", "--model", "digits-cnn", "--select", "RC402,RC501")
    assert both == (1, W + E1 + E2 + ALL, "")


def test_extend_select_adds_to_a_config_select(lint, tmp_path):
    (tmp_path / ".recipelint.yaml").write_text("select: [RC4]\n")
    assert lint("bad.yaml", "--model", "digits-cnn") == (0, ONLY_W, "")
    got = lint("bad.yaml", "--model", "digits-cnn", "--extend-select", "RC501")
    assert got == (1, W + E1 + E2 + ALL, "")


def test_ignore_wins_over_select(lint):
    got = lint(
        "bad.yaml", "--model", "digits-cnn", "--select", "ALL", "--ignore", "RC5"
    )
    assert got == (0, ONLY_W, "")


def test_a_selector_that_selects_nothing_is_exit_2(lint):
    assert lint("bad.yaml", "--select", "RC9") == (
        2,
        "",
        "recipe lint: the command line: 'RC9' selects no code (a code like RC501, a "
        "prefix like RC5, a rule name like params-not-found, or ALL)\n",
    )


def test_statistics_count_per_code(lint):
    assert lint("bad.yaml", "--model", "digits-cnn", "--statistics") == (
        1,
        "2\tRC501\terror\tparams-not-found\n1\tRC402\twarning\tunused-variable\n",
        "",
    )


def test_quiet_prints_the_problems_and_nothing_else(lint, tmp_path):
    (tmp_path / "ok.yaml").write_text(
        "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: 2\n"
    )
    assert lint("ok.yaml", "-q") == (0, "", "")
    assert lint("bad.yaml", "--quiet", "--select", "RC402") == (0, W, "")


def test_exit_zero_and_output_file(lint, tmp_path):
    assert lint("bad.yaml", "--model", "digits-cnn", "--exit-zero") == (
        0,
        W + E1 + E2 + ALL,
        "",
    )
    got = lint("bad.yaml", "--model", "digits-cnn", "--output-file", "report.txt")
    assert got == (1, "", "")
    assert (tmp_path / "report.txt").read_text() == W + E1 + E2 + ALL


def test_stdin_filename_names_and_types_standard_input(lint):
    card = "---\n" + BAD.replace("features.0,", "features.0.weight,") + "---\n# card\n"
    assert lint("-", "--stdin-filename", "recipe.md", stdin=card) == (
        0,
        "1 recipe checked: no problems\n",
        "",
    )
    assert lint("-", "--stdin-filename", "recipe.yml", stdin=BAD) == (
        1,
        "recipe.yml:1:1: RC007 error SparseML refuses the extension '.yml': it reads "
        "only '.md' and '.yaml' recipes\n"
        "    hint: rename it to recipe.yaml\n"
        "1 recipe checked: 1 error\n",
        "",
    )


def test_format_auto_is_github_under_github_actions(lint):
    got = lint("bad.yaml", "--select", "RC402", env={"GITHUB_ACTIONS": "true"})
    assert got == (
        0,
        "::warning file=bad.yaml,line=1,col=1,title=RC402::the variable 'unused' is "
        "not used by any eval(...) (hint: remove it, or use it: eval(unused))\n",
        "",
    )
    plain = W + "1 recipe checked: 1 warning\n"
    assert lint("bad.yaml", "--select", "RC402") == (0, plain, "")


def test_color_always_never_and_no_color(lint):
    plain = W + "1 recipe checked: 1 warning\n"
    assert lint("bad.yaml", "--select", "RC402", "--color", "always") == (
        0,
        "\x1b[1mbad.yaml:1:1:\x1b[0m \x1b[33m\x1b[1mRC402 warning\x1b[0m the variable "
        "'unused' is not used by any eval(...)\n"
        "\x1b[2m    hint: remove it, or use it: eval(unused)\x1b[0m\n"
        "1 recipe checked: 1 warning\n",
        "",
    )
    no_color = {"NO_COLOR": "1"}
    assert lint("bad.yaml", "--select", "RC402", "--color", "auto", env=no_color) == (
        0,
        plain,
        "",
    )
    assert lint("bad.yaml", "--select", "RC402", "--color", "never") == (0, plain, "")


def test_disable_next_line_and_disable_file(lint, tmp_path):
    nxt = UNUSED.replace(
        "    params:", "    # recipe: disable-next-line=RC501\n    params:"
    )
    (tmp_path / "bad.yaml").write_text(nxt)
    assert lint("bad.yaml", "--model", "digits-cnn") == (0, ONLY_W, "")
    whole = "# recipe: disable-file=params-not-found,RC402\n" + UNUSED
    (tmp_path / "bad.yaml").write_text(whole)
    assert lint("bad.yaml", "--model", "digits-cnn") == (
        0,
        f"1 recipe checked: no problems (3{HIDDEN}RC402 x1, RC501 x2)\n",
        "",
    )


def test_config_in_pyproject_with_extends_and_per_file_ignores(lint, tmp_path):
    (tmp_path / "base.yaml").write_text("ignore: [RC402]\n")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.recipe-lint]\nextends = "base.yaml"\n'
        '[tool.recipe-lint.per-file-ignores]\n"old/*" = ["RC5"]\n'
    )
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "bad.yaml").write_text(UNUSED)
    # the base config's ignore (RC402) and the per-file ignore of old/ (RC5)
    assert lint("bad.yaml", "old/bad.yaml", "--model", "digits-cnn") == (
        1,
        E1 + E2 + f"2 recipes checked: 2 errors (4{HIDDEN}RC402 x2, RC501 x2)\n",
        "",
    )
    (tmp_path / ".recipelint.yaml").write_text("rules: {}\n")  # in one folder, wins
    assert lint("bad.yaml", "--model", "digits-cnn") == (1, W + E1 + E2 + ALL, "")


def test_recipe_rule_prints_one_rule(tmp_path):
    r = CliRunner().invoke(main, ["rule", "params-not-found"])
    assert r.exit_code == 0
    assert r.stdout.startswith(
        "# RC501 params-not-found (error)\n\nA pruning `params` entry that names no "
        "parameter of the model (`--model`).\n\nSparseML 1.8 fails at: initialize: "
        "RuntimeError, initialize: re.error\n"
    )
    assert r.stdout.rstrip().endswith(
        "Passes: `params: [features.0.weight]` on digits-cnn.\n\n"
        "Fails: `params: [features.0]` on digits-cnn."
    )
    for spelled in ("rc501", "Rc501", "PARAMS-NOT-FOUND"):  # as ruff takes e501
        same = CliRunner().invoke(main, ["rule", spelled])
        assert same.exit_code == 0 and same.stdout == r.stdout, spelled
    r = CliRunner().invoke(main, ["rule", "RC999"])
    assert r.exit_code == 2 and r.stderr == (
        "recipe rule: no such code or rule name: 'RC999' (`recipe rules` lists them)\n"
    )
    j = CliRunner().invoke(main, ["rules", "--format", "json"])
    assert j.exit_code == 0 and '"code": "RC501"' in j.stdout
    staged = CliRunner().invoke(main, ["rule", "unknown-staged-modifier"])
    assert "\n\nllm-compressor 0.14 fails at: load: ValueError\n" in staged.stdout
    one = json.loads(
        CliRunner().invoke(main, ["rule", "RC705", "--format", "json"]).stdout
    )
    assert one["engine"] == "llm-compressor" and one["sparseml"] == []
    assert one["engine_fails"] == [{"stage": "load", "exception": "ValueError"}]
    core = CliRunner().invoke(main, ["rule", "core-unknown-modifier"])
    assert (
        "\n\nSparseML 1.8's sparseml.core fails at: build: ValueError\n" in core.stdout
    )
    one = json.loads(
        CliRunner().invoke(main, ["rule", "RC730", "--format", "json"]).stdout
    )
    assert one["engine"] == "sparseml.core" and one["sparseml"] == []


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


BYTES = (
    f"{RECIPE}:1:1: RC008 error file is 1,104 bytes, over the limit of 100: "
    "recipe-compiler does not read it\n"
    "    hint: raise the limit with --max-bytes if this recipe is really that big\n"
)
NODES = (
    f"{RECIPE}:6:1: RC008 error more than 5 YAML nodes, counting each alias as a copy "
    "of what it names: recipe-compiler reads no further\n"
    "    hint: simplify the recipe or raise the limit (--max-nodes)\n"
)
DEPTH = (
    f"{RECIPE}:7:3: RC008 error nesting deeper than 1 level: recipe-compiler reads "
    "no further\n"
    "    hint: simplify the recipe or raise the limit (--max-depth)\n"
)


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["show", RECIPE, "--max-bytes", "100"], 1, BYTES),
        (["plan", RECIPE, "--max-nodes", "5"], 1, NODES),
        (["variables", RECIPE, "--max-depth", "1"], 1, DEPTH),
        (["diff", RECIPE, RECIPE, "--max-bytes", "100"], 2, "recipe diff: " + BYTES),
        (
            ["rescale", RECIPE, "--epochs", "300", "--max-nodes", "5"],
            1,
            "recipe rescale: nothing written: the recipe has 1 error by `recipe lint "
            "--steps-per-epoch 100`:\n" + NODES,
        ),
        (["lint", RECIPE, "--max-nodes", "5"], 1, "1 recipe checked: 1 error\n"),
    ],
)
def test_a_limit_holds_and_its_hint_names_the_flag(args, code, said):
    """Each command stops at its limit with the hint that names its own flag, and
    shows nothing of what it did not read."""
    r = CliRunner().invoke(main, args)
    assert r.exit_code == code
    if args[0] == "lint":
        assert r.stdout == NODES + said
    else:
        assert (r.stdout, r.stderr) == ("", said)


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


def test_the_config_gives_the_model_and_steps_per_epoch(lint, tmp_path):
    """What `recipe lint` and `recipe lsp` check with when no flag says."""
    (tmp_path / ".recipelint.yaml").write_text(
        "model: digits-cnn\nsteps-per-epoch: 7\n"
    )
    assert lint("bad.yaml") == (1, W + E1 + E2 + ALL, "")
    flag = lint("bad.yaml", "--model", "yolov5n")[1]  # the flag wins
    assert flag.count("matches no parameter of yolov5n") == 2
    (tmp_path / ".recipelint.yaml").write_text("model: missing.onnx\n")
    assert lint("bad.yaml") == (
        2,
        "",
        f"recipe lint: {tmp_path / '.recipelint.yaml'}: model "
        f"{tmp_path / 'missing.onnx'}: no such file\n",
    )
    (tmp_path / ".recipelint.yaml").write_text("steps-per-epoch: 0\n")
    assert lint("bad.yaml") == (
        2,
        "",
        f"recipe lint: {tmp_path / '.recipelint.yaml'}: 'steps-per-epoch' must be a "
        "whole number of at least 1 (len(train loader) / gradient accumulation)\n",
    )


def test_the_readme_config_is_a_config(tmp_path):
    from recipe_compiler.linter import config

    text = (ROOT / "README.md").read_text().split("## Configuration", 1)[1]
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / ".recipelint.yaml").write_text(block)
    cfg = config.load(tmp_path / ".recipelint.yaml")
    assert (cfg.steps_per_epoch, cfg.model) == (1849, "yolov5s")
    assert cfg.disabled == {"RC402"} and cfg.exclude == ("recipes/guide/*",)
