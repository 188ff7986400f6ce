"""docs/cli.md, the command-line reference, generated from the click commands.

    python -m recipe_compiler.cli.reference    # rewrites docs/cli.md

A test fails when the file is stale, as for docs/rules.md and the schema.
"""

from __future__ import annotations

from pathlib import Path

import click

WIDTH = 88
OUT = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


# command, exit 0, exit 1 (2 and 130 mean the same for every command)
EXIT_CODES = [
    (
        "lint",
        "no errors (warnings allowed)",
        "problems of severity error; warnings too with `--strict`",
    ),
    ("show", "printed", "the recipe has errors, listed"),
    (
        "plan",
        "printed",
        "the recipe has errors SparseML refuses, listed; or it "
        "crashes while training (planned up to the crash)",
    ),
    (
        "preview",
        "page written",
        "page written, showing errors SparseML would refuse or crash on",
    ),
    ("planner", "served until stopped (Ctrl-C, SIGTERM)", "—"),
    ("rescale", "written or printed", "nothing written: the result has errors"),
    ("compile", "written", "nothing written: the recipe has errors"),
    (
        "migrate",
        "written or printed, each change listed",
        "nothing written: the recipe cannot be migrated, or llm-compressor would "
        "refuse the result",
    ),
    ("variables", "printed", "the recipe has errors, listed"),
    ("new", "written", "nothing written: the recipe would have errors"),
    ("diff", "equivalent", "different"),
    (
        "run",
        "trained, exported, reported",
        "refused before training (the recipe "
        "has errors at the run's steps per epoch) or training failed",
    ),
    ("bench", "measured", "—"),
    ("sweep", "measured", "—"),
    ("serve", "served until stopped", "the folder cannot be served"),
    ("doctor", "printed", "—"),
    ("rules", "printed", "—"),
    ("rule", "printed", "—"),
    (
        "schema",
        "written (or up to date with `--check`)",
        "`--check`: missing or out of date",
    ),
    ("lsp", "stopped", "—"),
]


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
        "test fails when it is stale.",
        "",
        "## Exit codes",
        "",
        "Every command: 2 when it could not run, with one line saying why (a bad "
        "option, no such file, a folder where a file is needed, a staged "
        "sparseml.core or llm-compressor recipe, a `--var` that names no variable, "
        "a plan too large, an output that cannot be written); 130 when "
        "interrupted. Never a traceback: an error of ours says `internal error` "
        "and exits 2.",
        "",
        "| command | 0 | 1 |",
        "| --- | --- | --- |",
        *(f"| `{name}` | {ok} | {one} |" for name, ok, one in EXIT_CODES),
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
