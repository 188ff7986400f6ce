"""`recipe lint`: check recipes; `--fix` adds missing list markers first."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Any, Literal

import click

from ..clock import DEFAULT_STEPS_PER_EPOCH
from ..source import Limits
from .common import EXIT_USAGE, Failure, limit_options, steps_option, var_option

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
@limit_options
def lint(**options: Any) -> int:
    """Check recipes (files or folders, recursively); '-' reads standard input."""
    return execute(LintSettings(**options))


def execute(settings: LintSettings) -> int:
    from ..lint import config as lint_config
    from ..lint import exit_code, lint_paths, lint_recipe
    from ..lint.reporters import REPORTERS
    from ..recipe import OverrideError, from_source
    from ..source import from_bytes

    path = settings.config_path
    try:
        cfg = lint_config.load(Path(path) if path else lint_config.find())
    except lint_config.ConfigError as exc:
        raise Failure(f"recipe lint: {exc}") from None
    files = [p for p in settings.paths if p != "-"]
    missing = [p for p in files if not os.path.exists(p)]
    if missing:
        raise Failure(f"recipe lint: no such file or folder: {missing[0]}")
    limits, spe = settings.limits, settings.spe
    try:
        if settings.fix:
            fix(files, limits)
        problems, recipes = lint_paths(files, cfg, settings.overrides, limits, spe)
        if "-" in settings.paths:
            data = sys.stdin.buffer.read(limits.max_bytes + 1)
            src = from_bytes(data, "<stdin>", "text", limits)
            recipe = from_source(src, settings.overrides, limits)
            recipes.append(recipe)
            problems.extend(lint_recipe(recipe, cfg, spe))
    except OverrideError as exc:
        raise Failure(f"recipe lint: {exc}") from None
    problems.sort()
    click.echo(REPORTERS[settings.fmt](problems, len(recipes)), nl=False)
    return exit_code(problems, settings.strict)


def fix(files: list[str], limits: Limits) -> None:
    """Add the missing `- ` markers to every recipe in `files`, in place."""
    from ..fileio import RewriteError, rewrite
    from ..lint import discover
    from ..markers import add_markers, missing_markers
    from ..source import read

    for path in discover(files):
        src = read(path, limits)
        fixed = add_markers(src)
        if fixed is None:
            continue
        try:
            rewrite(path, src.text, fixed)
        except RewriteError as exc:
            raise Failure(f"recipe lint --fix: {exc}", EXIT_USAGE) from None
        n = len(missing_markers(src))
        click.echo(f"fixed {path}: added {n} '- ' list markers", err=True)
