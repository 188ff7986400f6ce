"""The `recipe` command: a thin shell over the Python API.

Each command module (`lint`; `views`: show, plan, preview; `planner`; `edit`:
rescale, compile, variables; `author`: new, diff; `runner`: run, bench, sweep;
`deploy`: serve; `meta`: rules, rule, schema, doctor; `editor`: lsp) turns its
options into a typed
settings object and calls its `execute(settings) -> int`, which runs the API and
prints. A command returns its exit code or raises `Failure`; the group exits with
it, here and nowhere else.
Command modules are imported when their command runs, so `recipe lint` loads no
more than linting needs.

Exit codes: 0 clean, 1 problems of severity error (warnings too with --strict),
2 the command could not run (bad option, unreadable file, bad config).

May import: every stage (the top floor); nothing imports the CLI.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from . import _startup  # first: before anything imports pydantic
from .common import EXIT_USAGE, Failure

COMMANDS = {  # name -> module:function, in the order `recipe --help` lists them
    "lint": "lint:lint",
    "show": "views:show",
    "plan": "views:plan",
    "preview": "views:preview",
    "planner": "planner:planner",
    "rescale": "edit:rescale",
    "compile": "edit:compile_command",
    "migrate": "edit:migrate_command",
    "variables": "edit:variables",
    "explain": "edit:explain",
    "new": "author:new",
    "diff": "author:diff_command",
    "run": "runner:run_command",
    "bench": "runner:bench",
    "sweep": "runner:sweep",
    "serve": "deploy:serve",
    "doctor": "meta:doctor",
    "rules": "meta:rules",
    "rule": "meta:rule",
    "schema": "meta:schema",
    "lsp": "editor:lsp",
}


class _Recipe(click.Group):
    """Loads a command's module when it is asked for; exits with what it returns."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name].split(":")
        command: click.Command = getattr(
            importlib.import_module(f"{__name__}.{module}"), attr
        )
        _startup.ready()
        return command

    def invoke(self, ctx: click.Context) -> Any:
        from ..fileio import WriteError
        from ..schedule.clock import ScheduleError

        try:
            code = super().invoke(ctx)
        except WriteError as exc:  # the file system said no: not a bug of ours
            raise Failure(f"recipe {_command(ctx)}: {exc}") from None
        except ScheduleError as exc:  # a plan refused (too long, no length), as
            # `recipe plan` says it, whichever command planned
            raise Failure(f"recipe {_command(ctx)}: {exc}") from None
        except BrokenPipeError:
            raise  # `recipe lint | head`: the reader left; `run` exits quietly
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            reason = exc.strerror or str(exc)
            raise Failure(f"recipe {_command(ctx)}: {where}{reason}") from None
        global ran
        ran = _command(ctx)  # to its end: the exit code is the command's own
        if code:
            ctx.exit(code)
        return code


def _command(ctx: click.Context) -> str:
    return ctx.invoked_subcommand or (ctx.protected_args or ["?"])[0]


@click.group(cls=_Recipe, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="recipe-compiler")
def main() -> None:
    """Validate, plan and compile SparseML recipes."""


ran: str | None = None  # the command that ran to its end in this `run`


def run() -> None:
    """Console entry point: a bug of ours is one clear line, not a traceback."""
    global ran
    ran = None
    try:
        main(standalone_mode=True)
    except (KeyboardInterrupt, BrokenPipeError):
        sys.exit(130)
    except Exception as exc:  # the last line of defence
        if os.environ.get("RECIPE_DEBUG"):
            raise
        click.echo(
            f"recipe: internal error: {type(exc).__name__}: {exc} (this is a bug in "
            "recipe-compiler; rerun with RECIPE_DEBUG=1 for the traceback and report "
            "it)",
            err=True,
        )
        sys.exit(EXIT_USAGE)
