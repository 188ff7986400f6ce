"""Recipes are untrusted input; files are precious. Tests that try to break both."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recipe_compiler.loader.recipe import load
from recipe_compiler.loader.source import Limits
from tests.conftest import ROOT, lint_text

ATTACKS = [
    "__import__('os').system('touch {sentinel}')",
    "open('{sentinel}', 'w')",
    "exec(\"open('{sentinel}','w')\")",
    "eval(\"open('{sentinel}','w')\")",
    "(lambda: open('{sentinel}', 'w'))()",
    "[open('{sentinel}', 'w') for _ in (1,)][0]",
    "().__class__.__base__.__subclasses__()",
    "n.__class__",
    "globals()",
    'f\'{{open("{sentinel}", "w")}}\'',
    "(s := open('{sentinel}', 'w'))",
    "breakpoint()",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_nothing_runs(tmp_path, attack):
    sentinel = tmp_path / "pwned"
    expr = attack.format(sentinel=sentinel)
    text = (
        f"n: 2\nmodifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n"
        f"    end_epoch: |-\n      eval({expr})\n"
    )
    _, problems = lint_text(text)
    assert [p.code for p in problems if p.severity == "error"] in (["RC403"], ["RC401"])
    assert not sentinel.exists()


def test_names_that_shadow_builtins_are_variables():
    text = (
        "abs: 3\nint: 4\nmodifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n"
        "    end_epoch: eval(abs + int + abs(-1 + 0))\n"
    )
    recipe, _ = lint_text(text)
    assert recipe.max_epochs == 8  # as SparseML: names are variables, calls functions


def test_expression_limits_are_options():
    text = "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n    end_epoch: eval(2 ** 20)\n"
    assert load(text, text=True).ok
    recipe = load(text, limits=Limits(max_int_bits=10), text=True)
    assert [p.code for p in recipe.problems] == ["RC008"]  # a limit, not a verdict


def test_a_100_mb_file_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:
        f.truncate(100 * 1024 * 1024)  # sparse: costs no disk
    recipe = load(big)  # refused on its size, before a byte is read
    assert [p.code for p in recipe.problems] == ["RC008"]
    assert "over the limit" in recipe.problems[0].message


WRITER = """
import os, sys, time
from recipe_compiler import fileio
real_fsync = os.fsync
def slow_fsync(fd):
    print("writing", flush=True)
    time.sleep(60)
os.fsync = slow_fsync
fileio.write_atomic(sys.argv[1], "NEW CONTENT\\n" * 200000)
"""


def test_killed_mid_write_leaves_the_original_intact(tmp_path):
    target = tmp_path / "recipe.md"
    original = (ROOT / "recipes" / "yolov5s-gmp.md").read_text()
    target.write_text(original)
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, cwd=ROOT
    )
    assert proc.stdout is not None and proc.stdout.readline() == b"writing\n"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert target.read_text() == original
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "recipe.md"]
    assert all(n.startswith(".recipe.md.") and n.endswith(".tmp") for n in leftovers)


@settings(max_examples=300, deadline=None)
@given(
    spe=st.integers(1, 5000),
    total=st.integers(1, 10**6),
    x=st.one_of(
        st.floats(-10, 1e4, allow_nan=False),
        st.sampled_from([math.inf, -math.inf, math.nan, 0.0]),
        st.integers(0, 5000).map(float),
    ),
    lo=st.integers(0, 10**6),
    on_step=st.booleans(),
)
def test_first_step_at_or_after_matches_a_binary_search(spe, total, x, lo, on_step):
    """The walk from ceil(x * spe) finds what a binary search over SparseML's
    float epochs finds, on and off the step grid."""
    from recipe_compiler.schedule.clock import Clock, step_epoch

    clock = Clock(spe, total)
    if on_step and math.isfinite(x):
        x = step_epoch(abs(int(x * spe)) % (total + 2), spe)  # exactly a step's epoch

    def bisect(x, lo):
        hi = total
        while lo < hi:
            mid = (lo + hi) // 2
            if clock.epoch(mid) >= x:
                hi = mid
            else:
                lo = mid + 1
        return lo if lo < total else None

    assert clock.first_at_or_after(x, lo) == (None if x != x else bisect(x, lo))


def test_a_schedule_too_long_to_replay_is_refused_not_hung(tmp_path):
    """10^11 pruning updates: lint says RC008 (not a hang), plan and preview too."""
    from click.testing import CliRunner

    from recipe_compiler.cli import main

    path = tmp_path / "long.yaml"
    path.write_text(
        "modifiers:\n  - !EpochRangeModifier\n    start_epoch: 0\n"
        "    end_epoch: 1000000000.0\n  - !GMPruningModifier\n"
        "    params: __ALL_PRUNABLE__\n    init_sparsity: 0.05\n"
        "    final_sparsity: 0.8\n    start_epoch: 0\n    end_epoch: 999999999.0\n"
        "    update_frequency: 0.01\n"
    )
    for args in (
        ["lint", str(path)],
        ["plan", str(path)],
        ["preview", str(path), "-o", str(tmp_path / "p.html")],
    ):
        r = CliRunner().invoke(main, args, catch_exceptions=False)
        text = r.stdout + r.stderr
        assert r.exit_code == 1, (args, text)
        assert "RC008" in text and "more than the 10,000,000" in text, text
        assert "11:23" in text  # at update_frequency
    r = CliRunner().invoke(main, ["plan", str(path), "--epochs", "1e9"])
    assert r.exit_code == 1 and "RC008" in r.stderr
