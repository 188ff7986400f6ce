"""`recipe lint`: check recipes; `--fix` adds missing list markers first."""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import Any, Literal

import click

from ..clock import DEFAULT_STEPS_PER_EPOCH
from ..source import Limits
from .common import (
    EXIT_USAGE,
    Failure,
    limit_options,
    lint_config,
    lint_errors,
    load_model,
    model_option,
    steps_option,
    var_option,
    zoo_stub,
)

Format = Literal["text", "json", "github", "sarif"]
FORMATS: tuple[Format, ...] = ("text", "json", "github", "sarif")


@dataclasses.dataclass(frozen=True)
class LintSettings:
    paths: tuple[str, ...]  # files, folders; "-" is standard input
    fmt: Format = "text"
    strict: bool = False
    fix: bool = False
    config_path: str | None = None
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    spe: int = DEFAULT_STEPS_PER_EPOCH
    limits: Limits = dataclasses.field(default_factory=Limits)
    model: str | None = None


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@click.option(
    "--fix",
    is_flag=True,
    help="Add missing '- ' list markers in place (atomic), then lint.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Config file (default: .recipelint.yaml here or above).",
)
@var_option("Override a recipe variable, as SparseML's recipe_variables.")
@steps_option(
    "Optimizer steps per epoch for the schedule rules (RC220-RC227): "
    "len(train loader) / gradient accumulation of your run."
)
@model_option
@limit_options
def lint(**options: Any) -> int:
    """Check recipes (files or folders, recursively); '-' reads standard input."""
    return execute(LintSettings(**options))


def execute(settings: LintSettings) -> int:
    from ..lint import exit_code, lint_counted, lint_paths_counted
    from ..lint.reporters import REPORTERS, suppressed_note
    from ..recipe import OverrideError, from_source
    from ..source import from_bytes, from_text

    cfg = lint_config("lint", settings.config_path)
    net = load_model("lint", settings.model)
    for p in settings.paths:
        zoo_stub("lint", p)
    files = [p for p in settings.paths if p != "-"]
    missing = [p for p in files if not os.path.exists(p)]
    if missing:
        raise Failure(f"recipe lint: no such file or folder: {missing[0]}")
    limits, spe = settings.limits, settings.spe
    try:
        if settings.fix:
            fix(files, limits, cfg, spe, settings.overrides)
        problems, recipes, hidden = lint_paths_counted(
            files, cfg, settings.overrides, limits, spe, net
        )
        if "-" in settings.paths:
            data = sys.stdin.buffer.read(limits.max_bytes + 1)
            src = from_bytes(data, "<stdin>", "text", limits)
            if settings.fix:  # as ruff: the fixed text to stdout, the report to stderr
                fixed = _fixed(src, cfg, spe, settings.overrides)
                text = src.text if fixed is None else fixed
                click.echo(text, nl=False)
                src = from_text(text, "<stdin>", "text")
            recipe = from_source(src, settings.overrides, limits)
            recipes.append(recipe)
            linted = lint_counted(recipe, cfg, spe, net)
            problems.extend(linted.problems)
            hidden.extend(linted.suppressed)
    except OverrideError as exc:
        raise Failure(f"recipe lint: {exc}") from None
    problems.sort()
    to_stderr = settings.fix and "-" in settings.paths
    report = REPORTERS[settings.fmt](problems, len(recipes))
    if settings.fmt == "text" and hidden:
        report = report.rstrip("\n") + f" {suppressed_note(hidden)}\n"
    click.echo(report, nl=False, err=to_stderr)
    return exit_code(problems, settings.strict)


def fix(
    files: list[str], limits: Limits, cfg: Any, spe: int, overrides: dict[str, Any]
) -> None:
    """Add the missing `- ` markers to every recipe in `files`, in place; a file
    whose fixed text lint would still call an error is left as it is."""
    from ..fileio import RewriteError, rewrite
    from ..lint import discover
    from ..source import read

    for path in discover(files, cfg):
        src = read(path, limits)
        fixed = _fixed(src, cfg, spe, overrides)
        if fixed is None:
            continue
        try:
            rewrite(path, src.text, fixed)
        except RewriteError as exc:
            raise Failure(f"recipe lint --fix: {exc}", EXIT_USAGE) from None


def _fixed(src: Any, cfg: Any, spe: int, overrides: dict[str, Any]) -> str | None:
    """The text with the markers added, or None (nothing to add, or the result
    would have errors: said on stderr, with which)."""
    from ..lint import lint_recipe
    from ..markers import add_markers, missing_markers
    from ..problems import errors
    from ..recipe import from_source
    from ..source import from_text

    fixed = add_markers(src)
    if fixed is None:
        return None
    left = errors(
        lint_recipe(
            from_source(from_text(fixed, src.path, src.kind), overrides), cfg, spe
        )
    )
    if left:
        click.echo(
            f"not fixed {src.path}: with the '- ' markers added it would still have "
            + lint_errors(left, spe, indent="  ")
            + "\n  (lines of the fixed text)",
            err=True,
        )
        return None
    n = len(missing_markers(src))
    click.echo(f"fixed {src.path}: added {n} '- ' list markers", err=True)
    return fixed
