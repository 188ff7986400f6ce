"""docs/tutorial.md cannot rot: every `$` command in its console blocks runs, in
order, in a copy of recipes/, and prints what the page shows."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import LLMC_PYTHON, ROOT

TUTORIAL = ROOT / "docs" / "tutorial.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def steps(text: str) -> list[tuple[str, list[str], int]]:
    """(command, the lines shown after it, the exit code shown or 0)."""
    out: list[tuple[str, list[str], int]] = []
    for block in BLOCK.findall(text):
        for line in block.splitlines():
            if line.startswith("$ "):
                out.append((line[2:], [], 0))
            elif m := re.fullmatch(r"\[exit (\d+)\]", line):
                command, shown, _ = out[-1]
                out[-1] = (command, shown, int(m.group(1)))
            else:
                out[-1][1].append(line)
    return out


def matches(shown: list[str], printed: list[str]) -> bool:
    """`shown` in `printed`, in order: `...` alone skips lines, a line ending in
    ` ...` (or `: ...`) matches any line it begins; without a skip, consecutive."""

    def fits(want: str, got: str) -> bool:
        return (
            got.startswith(want[:-3].rstrip()) if want.endswith("...") else got == want
        )

    def walk(i: int, j: int, free: bool) -> bool:
        if i == len(shown):
            return free or j == len(printed)
        if shown[i] == "...":
            return walk(i + 1, j, True)
        for k in range(j, len(printed) if free else min(j + 1, len(printed))):
            if fits(shown[i], printed[k]) and walk(i + 1, k + 1, False):
                return True
        return False

    return walk(0, 0, False)


def test_the_matcher_can_fail():
    assert matches(["a", "...", "c ..."], ["a", "b", "c d"])
    assert not matches(["a", "c"], ["a", "b", "c"])
    assert not matches(["a ..."], ["b a"])
    assert not matches(["a"], ["a", "extra"])


def test_every_command_of_the_tutorial_prints_what_it_shows(sparseml, llmc, tmp_path):
    shutil.copytree(ROOT / "recipes", tmp_path / "recipes")
    corpus = "tests/data/corpus/sparseml-core"  # (the LLM section migrates one)
    shutil.copytree(ROOT / corpus, tmp_path / corpus)
    (tmp_path / ".venv-llmc").symlink_to(LLMC_PYTHON.parent.parent)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "NM_DISABLE_ANALYTICS": "1",
        "NO_COLOR": "1",
    }
    env.pop("GITHUB_ACTIONS", None)
    found = steps(TUTORIAL.read_text())
    assert len(found) >= 14
    for command, shown, code in found:
        r = subprocess.run(
            ["bash", "-c", command + " 2>&1"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        printed = r.stdout.rstrip("\n").split("\n") if r.stdout.strip() else []
        assert r.returncode == code, (command, r.stdout)
        assert matches(shown, printed), (command, shown, printed)
