"""The `recipe` script's process (recipe_compiler/_console.py): the collector off
while importing and back on for the command, and an early exit that loses no
output and keeps the exit code."""

from __future__ import annotations

import os
import subprocess
import sys

from click.testing import CliRunner

from recipe_compiler.cli import main
from tests.conftest import CORPUS, ROOT

SCRIPT = "import sys; sys.argv[0] = 'recipe'; from recipe_compiler._console import run; run()"
ENV = {**os.environ, "NM_DISABLE_ANALYTICS": "1"}


def script(*argv: str, code: str = SCRIPT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=ENV,
        check=False,
    )


def test_the_early_exit_prints_everything_a_long_lint_says(monkeypatch):
    """The corpus's JSON report (tens of kilobytes, exit 1) and a clean lint
    (exit 0): the script's bytes and exit codes are the CLI's in-process ones
    (both in the checkout, whose config both read)."""
    monkeypatch.chdir(ROOT)
    for argv in (
        ["lint", str(CORPUS / "sparseml"), "--format", "json", "-j", "1"],
        ["lint", str(ROOT / "recipes")],
        ["rules", "--format", "json"],
    ):
        done = script(*argv)
        inproc = CliRunner().invoke(main, argv)
        assert (done.returncode, done.stdout) == (inproc.exit_code, inproc.stdout)
        assert len(done.stdout) > 1000 or "no problems" in done.stdout
        assert "Traceback" not in done.stderr


def test_the_collector_is_back_on_when_the_command_runs():
    """Off while importing, on (what the imports made frozen) once the command's
    module is loaded; a library import leaves the process's collector alone."""
    probe = (
        "import gc, sys; sys.argv[0] = 'recipe'\n"
        "import recipe_compiler.linter.engine as engine\n"
        "assert gc.isenabled()  # the library: as it was\n"
        "real = engine.lint_paths\n"
        "def seen(*a, **k):\n"
        "    print('collector', gc.isenabled(), gc.get_freeze_count() > 1000)\n"
        "    return real(*a, **k)\n"
        "engine.lint_paths = seen\n"
        "import importlib; console = importlib.import_module('recipe_compiler._console')\n"
        "console.run()\n"
    )
    done = script("lint", "recipes", code=probe)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "collector True True"


def test_a_command_that_is_not_listed_ends_as_python_does():
    """`recipe plan` is not in HARD_EXIT: its atexit work still runs."""
    probe = (
        "import atexit, sys; sys.argv[0] = 'recipe'\n"
        "atexit.register(lambda: print('atexit ran'))\n" + SCRIPT.split("; ", 1)[1]
    )
    ran = script("plan", "recipes/digits-gmp.yaml", code=probe)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.rstrip().endswith("atexit ran")
    linted = script("lint", "recipes/digits-gmp.yaml", code=probe)
    assert linted.returncode == 0 and "atexit ran" not in linted.stdout
