"""docs/cli.md, the command-line reference, generated from the click commands.

    python -m recipe_compiler.cli.reference    # rewrites docs/cli.md

A test fails when the file is stale, as for docs/rules.md and the schema.
"""

from __future__ import annotations

from pathlib import Path

import click

WIDTH = 88
OUT = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def render() -> str:
    from . import COMMANDS, main

    helps = ["-h", "--help"]  # the group's context_settings, which a command inherits
    group = click.Context(
        main, info_name="recipe", terminal_width=WIDTH, help_option_names=helps
    )
    out = [
        "# Command-line reference",
        "",
        "Generated from the commands by `python -m recipe_compiler.cli.reference`; a "
        "test fails when it is stale. Exit codes: 0 clean, 1 problems of severity "
        "error (warnings too with `--strict`), 2 the command could not run.",
        "",
    ]
    for name in COMMANDS:
        command = main.get_command(group, name)
        assert command is not None
        ctx = click.Context(
            command,
            info_name=name,
            parent=group,
            terminal_width=WIDTH,
            max_content_width=WIDTH,
            help_option_names=helps,
        )
        out += [f"## recipe {name}", "", "```text", command.get_help(ctx), "```", ""]
    return "\n".join(out)


def main() -> None:
    from ..fileio import write_atomic

    write_atomic(OUT, render())


if __name__ == "__main__":
    main()
