"""A run holds its folder: a second run into it, or a resume of it, is refused at
once, naming the folder and the holder's pid; a killed run's lock is taken over.

The holder here is this test process (`folder_lock`, as `recipe run` takes it):
flock locks belong to an open file, so a second open of the lock file, even in
this process, finds it held, and the refusals come before anything is trained.
"""

from __future__ import annotations

import os
import subprocess
import sys

from click.testing import CliRunner

from recipe_compiler.cli import main
from recipe_compiler.fileio import LOCK_NAME, Locked, folder_lock

RECIPE = """\
modifiers:
  - !EpochRangeModifier
    start_epoch: 0.0
    end_epoch: 2.0
"""


def test_a_second_run_into_a_held_folder_is_refused_at_once(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE)
    out = tmp_path / "race"
    with folder_lock(out):
        for argv in (
            ["run", str(recipe), "--model", "digits-cnn", "-o", str(out)],
            ["run", str(recipe), "--model", "digits-cnn", "--resume", str(out)],
        ):
            result = CliRunner().invoke(main, argv)
            assert result.exit_code == 2, result.output
            assert f"{out} is in use by process {os.getpid()}" in result.output
            assert "another run is writing there" in result.output
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]  # nothing written


def test_the_lock_is_held_across_processes_and_dropped_when_its_holder_dies(tmp_path):
    """A process that holds the lock and is killed leaves the file, not the lock."""
    folder = tmp_path / "run"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from recipe_compiler.fileio import folder_lock\n"
            "with folder_lock(sys.argv[1]):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(60)\n",
            str(folder),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        try:
            with folder_lock(folder):
                raise AssertionError("taken while another process held it")
        except Locked as exc:
            assert exc.pid == str(holder.pid)
    finally:
        holder.kill()
        holder.wait()
    assert (folder / LOCK_NAME).read_text().strip() == str(holder.pid)  # stale file
    with folder_lock(folder):  # taken over at once
        assert (folder / LOCK_NAME).read_text().strip() == str(os.getpid())


def test_a_refused_recipe_makes_no_run_folder(tmp_path):
    out = tmp_path / "never"
    result = CliRunner().invoke(
        main,
        ["run", str(tmp_path / "nope.yaml"), "--model", "digits-cnn", "-o", str(out)],
    )
    assert result.exit_code == 2 and "no such file" in result.output
    assert not out.exists()
