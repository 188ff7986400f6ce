"""The `recipe` console script: its process's start-up and exit, around the CLI.

Here, outside `recipe_compiler.cli`, so that the collector is off before the CLI's
imports begin (cli/_startup.ready() says why and turns it back on) and so that
only the script's own process may end early; importing or running
`recipe_compiler.cli` from the library or a test changes nothing of the process.
"""

from __future__ import annotations

import gc
import os
import sys

# commands with no threads, children, temporary folders or atexit work left
# when they return: their process may end without tearing down its objects
HARD_EXIT = frozenset({"lint", "rules", "rule"})


def run() -> None:
    gc.disable()
    from . import cli
    from .cli import _startup

    _startup.UNCOLLECTED = True
    try:
        cli.run()
    except SystemExit as exc:
        if cli.ran in HARD_EXIT and isinstance(exc.code, int | None):
            _hard_exit(exc.code or 0)
        raise


def _hard_exit(code: int) -> None:
    """End without freeing every object one by one (about 15 ms of a `recipe
    lint`; mypy's hard_exit does the same): what was printed is flushed first;
    a reader that left gets click's exit code for a closed pipe, 1."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        code = code or 1
    os._exit(code)
