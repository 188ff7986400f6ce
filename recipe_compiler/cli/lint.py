"""`recipe lint`: check recipes; `--fix` adds missing list markers first."""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import Any, Literal

import click

from ..loader.source import Limits
from ..schedule.clock import DEFAULT_STEPS_PER_EPOCH
from .common import (
    EXIT_USAGE,
    Failure,
    dialect_option,
    limit_options,
    lint_config,
    lint_errors,
    load_model,
    model_option,
    steps_option,
    var_option,
    zoo_stub,
)

Format = Literal["auto", "text", "json", "github", "sarif"]
FORMATS: tuple[Format, ...] = ("auto", "text", "json", "github", "sarif")
Color = Literal["auto", "always", "never"]


def _codes(ctx: Any, param: Any, value: tuple[str, ...]) -> tuple[str, ...] | None:
    """`--select RC2,RC501 --select params-not-found`: one tuple of selectors;
    None where the option was not given (so the config's select stands)."""
    out = tuple(c.strip() for v in value for c in v.split(",") if c.strip())
    return out if value else None


@dataclasses.dataclass(frozen=True)
class LintSettings:
    paths: tuple[str, ...]  # files, folders; "-" is standard input
    fmt: Format = "auto"
    strict: bool = False
    fix: bool = False
    config_path: str | None = None
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    spe: int | None = None  # None: the config's steps-per-epoch, else the default
    limits: Limits = dataclasses.field(default_factory=Limits)
    model: str | None = None
    target_cpu: str | None = None  # "auto" or a sweep.json
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    output_file: str | None = None
    statistics: bool = False
    quiet: bool = False
    exit_zero: bool = False
    stdin_filename: str | None = None
    color: Color = "auto"
    jobs: int | None = None  # None: the cores
    dialect: str | None = None  # None: the config's, else auto


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="auto: github under GitHub Actions (GITHUB_ACTIONS=true), text otherwise.",
)
@click.option(
    "--select",
    multiple=True,
    callback=_codes,
    metavar="CODES",
    help="Report only these: codes, prefixes (RC2) or rule names, comma-separated "
    "(replaces the config's select).",
)
@click.option(
    "--extend-select",
    multiple=True,
    callback=_codes,
    metavar="CODES",
    help="Report these too.",
)
@click.option(
    "--ignore", multiple=True, callback=_codes, metavar="CODES", help="Never these."
)
@click.option(
    "--output-file",
    type=click.Path(dir_okay=False),
    help="Write the report to this file (atomically) instead of standard output.",
)
@click.option("--statistics", is_flag=True, help="Count problems per code instead.")
@click.option("-q", "--quiet", is_flag=True, help="Print problems, no summary line.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even with errors.")
@click.option(
    "--stdin-filename",
    metavar="NAME",
    help="The name '-' is linted as (its suffix decides .md or .yaml, as a file's).",
)
@click.option(
    "--color",
    type=click.Choice(("auto", "always", "never")),
    default="auto",
    show_default=True,
    help="auto: on a terminal, unless NO_COLOR is set.",
)
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@click.option(
    "--fix",
    is_flag=True,
    help="Add missing '- ' list markers in place (atomic) where the result parses, "
    "then lint (what it cannot fix is reported).",
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
    "len(train loader) / gradient accumulation of your run. Default: the config's "
    f"steps-per-epoch, else {DEFAULT_STEPS_PER_EPOCH}.",
    default=None,
)
@model_option
@click.option(
    "--target-cpu",
    metavar="auto|FILE",
    help="Say what the recipe's sparsity and precision bought on a CPU (RC601): "
    "FILE is a recipe sweep's sweep.json; auto, the sweep in sweep/ here or above "
    "measured on this CPU.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    help="Processes for a folder of many recipes (default: the cores; 1: one "
    "process). The output is the same either way.",
)
@dialect_option
@limit_options
def lint(**options: Any) -> int:
    """Check recipes (files or folders, recursively); '-' reads standard input."""
    return execute(LintSettings(**options))


def execute(settings: LintSettings) -> int:
    from ..linter.config import ConfigError
    from ..linter.engine import exit_code, jobs_default, lint_paths, lint_sources
    from ..linter.reporters import REPORTERS, skipped_note, suppressed_note
    from ..loader.recipe import OverrideError

    cfg = lint_config("lint", settings.config_path)
    try:
        cfg = cfg.with_selection(
            settings.select, settings.extend_select or (), settings.ignore or ()
        )
    except ConfigError as exc:
        raise Failure(f"recipe lint: {exc}", EXIT_USAGE) from None
    if settings.dialect is not None:
        cfg = dataclasses.replace(
            cfg, dialect=None if settings.dialect == "auto" else settings.dialect
        )
    if settings.model is not None:
        net = load_model("lint", settings.model, llm=True)
    else:
        net = load_model("lint", cfg.model, config=cfg.path, llm=True)
    target = None
    if settings.target_cpu is not None:
        from ..hardware.measured import TargetError, from_option

        try:
            target = from_option(settings.target_cpu)
        except TargetError as exc:
            raise Failure(f"recipe lint: --target-cpu {exc}", EXIT_USAGE) from None
    for p in settings.paths:
        zoo_stub("lint", p)
    files = [p for p in settings.paths if p != "-"]
    missing = [p for p in files if not os.path.exists(p)]
    if missing:
        raise Failure(f"recipe lint: no such file or folder: {missing[0]}")
    limits = settings.limits
    spe = settings.spe or cfg.steps_per_epoch or DEFAULT_STEPS_PER_EPOCH
    try:
        unwritten = (
            fix(files, limits, cfg, spe, settings.overrides) if settings.fix else 0
        )
        jobs = settings.jobs or jobs_default()
        linted = lint_paths(
            files, cfg, settings.overrides, limits, spe, net, target, jobs=jobs
        )
        if "-" in settings.paths:
            stdin = _stdin_source(settings, cfg, spe)
            linted += lint_sources(
                [stdin], cfg, settings.overrides, limits, spe, net, target
            )
    except OverrideError as exc:
        raise Failure(f"recipe lint: {exc}") from None
    if linted.linted == 0 and files and "-" not in settings.paths:
        where = ", ".join(files)
        raise Failure(
            f"recipe lint: no recipe found in {where} (a folder walk takes .yaml "
            "and .yml files that mention modifiers and .md files whose front "
            "matter does)"
        )
    problems, hidden = linted.problems, linted.suppressed
    to_stderr = settings.fix and "-" in settings.paths
    fmt = settings.fmt
    if fmt == "auto":
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    if settings.statistics:
        report = statistics(problems)
    else:
        report = REPORTERS[fmt](problems, linted.linted)
        if fmt == "text":
            if settings.quiet:  # as ruff -q: the problems, nothing else
                report = "".join(
                    line + "\n" for line in report.split("\n")[:-2] if line
                )
            else:
                if hidden:
                    report = report.rstrip("\n") + f" {suppressed_note(hidden)}\n"
                if linted.skipped:
                    note = skipped_note(linted.skipped)
                    report = report.rstrip("\n") + f" {note}\n"
                if linted.read_as:  # which engine's reading, and why, above the sum
                    *body, summary = report.rstrip("\n").split("\n")
                    said = [f"{p}: read as {d}: {why}" for p, d, why in linted.read_as]
                    report = "\n".join([*body, *said, summary]) + "\n"
    if settings.output_file:
        from ..fileio import write_atomic

        write_atomic(settings.output_file, report)
    else:
        colored = fmt == "text" and _use_color(settings.color, to_stderr)
        click.echo(
            paint(report) if colored else report,
            nl=False,
            err=to_stderr,
            color=colored,
        )
    if unwritten:
        return EXIT_USAGE
    return 0 if settings.exit_zero else exit_code(problems, settings.strict)


def _stdin_source(settings: LintSettings, cfg: Any, spe: int) -> Any:
    """`-`: stdin as a Source named by --stdin-filename; with --fix, the fixed text
    goes to stdout (as ruff's) and is what is linted."""
    from ..loader.source import check_extension, from_bytes, from_text

    data = sys.stdin.buffer.read(settings.limits.max_bytes + 1)
    name = settings.stdin_filename or "<stdin>"
    src = from_bytes(data, name, _kind(settings.stdin_filename), settings.limits)
    if settings.stdin_filename and not src.unreadable:
        check_extension(src)
    if settings.fix:
        fixed = _fixed(src, cfg, spe, settings.overrides)
        text = src.text if fixed is None else fixed
        click.echo(text, nl=False)
        if fixed is not None:
            _said_fixed(src)
        src = from_text(text, "<stdin>", "text")
    return src


def _kind(name: str | None) -> Any:
    from ..loader.source import kind_of

    return "text" if name is None else kind_of(name)


def _use_color(choice: str, to_stderr: bool) -> bool:
    """--color: always, never, or (auto) on a terminal unless NO_COLOR is set
    (no-color.org)."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    stream = sys.stderr if to_stderr else sys.stdout
    return stream.isatty()


SEVERITY_COLORS = {"error": "red", "warning": "yellow", "info": "cyan"}


def paint(report: str) -> str:
    """The text report with ANSI colour: the position bold, the code and its
    severity in red, yellow or cyan, hints dim."""
    import re

    def line(text: str) -> str:
        m = re.match(r"^(\S+:\d+:\d+:) (RC\d{3}) (error|warning|info) (.*)$", text)
        if m:
            where, code, sev, rest = m.groups()
            color = SEVERITY_COLORS[sev]
            return (
                click.style(where, bold=True)
                + " "
                + click.style(f"{code} {sev}", fg=color, bold=True)
                + f" {rest}"
            )
        if text.startswith("    hint: "):
            return click.style(text, dim=True)
        return text

    return "\n".join(line(x) for x in report.split("\n"))


def statistics(problems: list[Any]) -> str:
    """`--statistics`, as ruff's: a count per code, most first, with the rule's
    name and severity."""
    from ..linter.config import all_codes

    counts: dict[str, int] = {}
    for p in problems:
        counts[p.code] = counts.get(p.code, 0) + 1
    names = all_codes()
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    width = max((len(str(n)) for n in counts.values()), default=1)
    return "".join(
        f"{n:>{width}}\t{code}\t{names[code][1].value}\t{names[code][0]}\n"
        if code in names
        else f"{n:>{width}}\t{code}\n"
        for code, n in rows
    )


def fix(
    files: list[str], limits: Limits, cfg: Any, spe: int, overrides: dict[str, Any]
) -> int:
    """Add the missing `- ` markers to every recipe in `files`, in place, and return
    how many fixed files could not be written (each said on stderr; the others are
    still fixed, as ruff fixes what it can).

    A fix is written when it did its job: the fixed text parses, every modifier a
    list item. What it cannot fix (an unknown tag, a schedule error the markers
    revealed) is left for the lint that follows to report; a fix whose result would
    not parse is not written, and says why."""
    from ..fileio import RewriteError, WriteError, rewrite
    from ..linter.discovery import discover
    from ..loader.source import read

    unwritten = 0
    for path in discover(files, cfg):
        src = read(path, limits)
        fixed = _fixed(src, cfg, spe, overrides)
        if fixed is None:
            continue
        try:
            rewrite(path, src.text, fixed)
        except (RewriteError, WriteError) as exc:
            click.echo(f"recipe lint --fix: {exc}", err=True)
            unwritten += 1
            continue
        _said_fixed(src)
    return unwritten


def _fixed(src: Any, cfg: Any, spe: int, overrides: dict[str, Any]) -> str | None:
    """The text with the markers added, or None (nothing to add, or the result
    would not parse: said on stderr, with why)."""
    from ..linter.engine import lint_recipe
    from ..loader.list_markers import add_markers, unparsed
    from ..loader.recipe import from_source
    from ..loader.source import from_text

    fixed = add_markers(src)
    if fixed is None:
        return None
    left = unparsed(
        lint_recipe(
            from_source(from_text(fixed, src.path, src.kind), overrides), cfg, spe
        ).problems
    )
    if left:
        click.echo(
            f"not fixed {src.path}: with the '- ' markers added it would still not "
            "parse: "
            + lint_errors(left, spe, indent="  ")
            + "\n  (lines of the fixed text)",
            err=True,
        )
        return None
    return fixed


def _said_fixed(src: Any) -> None:
    """Said once the fixed text is written (a failed write says that instead)."""
    from ..loader.list_markers import missing_markers

    n = len(missing_markers(src))
    click.echo(f"fixed {src.path}: added {n} '- ' list markers", err=True)
