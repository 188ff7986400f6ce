"""`recipe rescale`, `recipe compile`, `recipe variables`: recipes written anew,
and where their values come from."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import click

from ..schedule.clock import DEFAULT_STEPS_PER_EPOCH
from .common import (
    EXIT_PROBLEMS,
    EXIT_USAGE,
    POSITIVE,
    Failure,
    config_option,
    dialect_option,
    lint_config,
    lint_errors,
    load_recipe,
    lr_pair,
    read_limits,
    refuse_errors,
    refuse_lint_errors,
    refuse_staged,
    steps_option,
    var_option,
)


@dataclasses.dataclass(frozen=True)
class RescaleSettings:
    recipe: str
    epochs: float
    from_epochs: float | None = None
    update_frequency: Literal["keep", "scale"] = "keep"
    round_to: float | None = None  # snap new epochs to multiples of this
    spe: int | None = None  # or to this step grid
    lr: tuple[float, float] | None = None
    output: str | None = None
    in_place: bool = False
    diff: bool = False
    flatten: bool = False
    config_path: str | None = None
    dialect: str | None = None  # None: the config's, else auto


@click.command()
@click.argument("recipe", metavar="RECIPE")
@click.option(
    "--epochs", type=POSITIVE, required=True, help="Target dense training length."
)
@click.option(
    "--from-epochs",
    type=POSITIVE,
    help="Base length (default: __metadata__.base_epochs, the last rescale "
    "header, else 90).",
)
@click.option(
    "--update-frequency",
    type=click.Choice(("keep", "scale")),
    default="keep",
    show_default=True,
    help="keep: masks update as often per epoch as before.",
)
@click.option(
    "--round", "round_to", type=POSITIVE, help="Snap new epochs to multiples of this."
)
@steps_option(
    "Snap new epochs to this step grid instead; lint judges the result at it "
    f"(default {DEFAULT_STEPS_PER_EPOCH}).",
    default=None,
)
@click.option(
    "--lr",
    metavar="INIT:FINAL",
    callback=lr_pair,
    help="Dense run's LRs: pruning at their midpoint, fine-tuning down to FINAL.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here.")
@click.option("--in-place", is_flag=True, help="Rewrite RECIPE (atomically).")
@click.option("--diff", is_flag=True, help="Print a unified diff.")
@click.option(
    "--flatten",
    is_flag=True,
    help="Write a plain recipe with every value a number (comments lost).",
)
@config_option
@dialect_option
@read_limits
def rescale(**options: Any) -> int:
    """Retarget a recipe to EPOCHS dense epochs by the 90-epoch rule."""
    settings = RescaleSettings(**options)
    if settings.output and settings.in_place:
        raise click.UsageError("use -o or --in-place, not both")
    if settings.round_to and settings.spe:
        raise click.UsageError("use --round or --steps-per-epoch, not both")
    return execute_rescale(settings)


def execute_rescale(settings: RescaleSettings) -> int:
    from ..edit.flatten import flattened
    from ..edit.rescale import RescaleError, length_notes, rescale
    from ..loader import source
    from ..loader.recipe import from_source
    from ..loader.source import recipe_suffix

    recipe = load_recipe("rescale", settings.recipe, staged=True)
    spe = settings.spe or DEFAULT_STEPS_PER_EPOCH
    cfg = lint_config("rescale", settings.config_path)
    if _rescale_staged(settings, recipe, cfg):
        return 0
    refuse_lint_errors("rescale", recipe, spe, cfg)
    round_to = 1.0 / settings.spe if settings.spe else settings.round_to
    notes: list[str] = []
    try:
        if settings.flatten:
            text = flattened(
                recipe,
                settings.epochs,
                from_epochs=settings.from_epochs,
                scale_frequency=settings.update_frequency == "scale",
            )
        else:
            result = rescale(
                recipe,
                settings.epochs,
                from_epochs=settings.from_epochs,
                update_frequency=settings.update_frequency,
                round_to=round_to,
                lr=settings.lr,
            )
            text = result.text
            notes = [f"set {note}" for note in result.notes]
    except RescaleError as exc:
        advice = {
            "finer": ": use a finer --round (or more --steps-per-epoch)",
            "variable": "; put the number in a variable, or use --flatten",
            "flatten": ": use --flatten",
        }.get(exc.fix or "", "")
        raise Failure(f"recipe rescale: {exc}{advice}", EXIT_PROBLEMS) from None
    suffix = ".yaml" if settings.flatten else recipe_suffix(settings.recipe)
    kind: source.Kind = "yaml" if settings.flatten else recipe.source.kind
    written = from_source(source.from_text(text, "<rescaled>", kind))
    refuse_lint_errors("rescale", written, spe, cfg, "the rescaled recipe")
    deliver(text, recipe.source.text, settings, suffix)
    for note in notes + length_notes(written):
        click.echo(f"recipe rescale: {note}", err=True)
    return 0


def _rescale_staged(settings: RescaleSettings, recipe: Any, cfg: Any) -> bool:
    """A sparseml.core recipe: its train stages' epochs scaled, written when lint
    finds no error before and after; llm-compressor's is refused (oneshot has no
    schedule); False for a legacy recipe."""
    from dataclasses import replace

    from ..dialects.detect import resolve
    from ..edit.rescale import RescaleError
    from ..edit.rescale_core import rescale_core
    from ..loader.source import recipe_suffix

    choice = resolve(settings.dialect or cfg.dialect, recipe.root)
    if choice.dialect == "sparseml":
        refuse_staged("rescale", recipe)  # (a staged form auto did not take)
        return False
    if choice.dialect == "llm-compressor":
        raise Failure(
            f"recipe rescale: {recipe.path} is read as llm-compressor's "
            f"({choice.why}): oneshot applies each modifier once, there are no "
            "epochs to rescale (--dialect sparseml-core if it is SparseML 1.8's)",
            EXIT_USAGE,
        )
    refused = {
        "--flatten": settings.flatten,
        "--lr": settings.lr is not None,
        "--update-frequency scale": settings.update_frequency == "scale",
    }
    used = [flag for flag, on in refused.items() if on]
    if used:
        raise Failure(
            f"recipe rescale: {recipe.path} is sparseml.core's: {used[0]} is for "
            "legacy recipes (sparseml.core's modifiers set no learning rate or "
            "update frequency, and its args stay args)",
            EXIT_USAGE,
        )
    spe = settings.spe or DEFAULT_STEPS_PER_EPOCH
    cfg = replace(cfg, dialect="sparseml-core")
    refuse_lint_errors("rescale", recipe, spe, cfg)
    round_to = 1.0 / settings.spe if settings.spe else settings.round_to
    try:
        result = rescale_core(
            recipe, settings.epochs, from_epochs=settings.from_epochs, round_to=round_to
        )
    except RescaleError as exc:
        advice = (
            "; put the number in an arg of its own" if exc.fix == "variable" else ""
        )
        raise Failure(f"recipe rescale: {exc}{advice}", EXIT_PROBLEMS) from None
    written = recipe.edited(result.text)
    refuse_lint_errors("rescale", written, spe, cfg, "the rescaled recipe")
    deliver(result.text, recipe.source.text, settings, recipe_suffix(settings.recipe))
    for note in result.notes:
        click.echo(f"recipe rescale: set {note}", err=True)
    return True


def deliver(text: str, original: str, settings: RescaleSettings, suffix: str) -> None:
    """The new text as asked: a diff, the file rewritten, a new file, or stdout."""
    import difflib

    from ..fileio import RewriteError, rewrite

    name = settings.recipe
    if settings.diff:
        lines = difflib.unified_diff(
            original.splitlines(True), text.splitlines(True), name, name
        )
        click.echo("".join(lines), nl=False)
    if settings.in_place:
        try:
            rewrite(name, original, text)
        except RewriteError as exc:
            raise click.UsageError(str(exc)) from None
        click.echo(f"rewrote {name}", err=True)
    elif settings.output:
        write_recipe(settings.output, text, suffix)
    elif not settings.diff:
        click.echo(text, nl=False)


def write_recipe(path: str, text: str, suffix: str) -> None:
    """Write atomically what SparseML can read, in the format it was made in."""
    from ..fileio import write_atomic
    from ..loader.source import check_recipe_output

    try:
        check_recipe_output(path, suffix)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    write_atomic(path, text)
    click.echo(f"wrote {path}", err=True)


@dataclasses.dataclass(frozen=True)
class CompileSettings:
    recipe: str
    output: str
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    flatten: bool = False
    spe: int = DEFAULT_STEPS_PER_EPOCH
    config_path: str | None = None
    dialect: str | None = None  # None: the config's, else auto


@click.command(name="compile")
@click.argument("recipe", metavar="RECIPE")
@var_option("Override a recipe variable (written into the output).")
@click.option(
    "--flatten",
    is_flag=True,
    help="Evaluate every expression: a plain recipe of numbers.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
@steps_option(
    "Optimizer steps per epoch at which lint judges the output (schedule rules)."
)
@config_option
@dialect_option
@read_limits
def compile_command(**options: Any) -> int:
    """Write a SparseML-ready recipe, refusing what SparseML would refuse."""
    return execute_compile(CompileSettings(**options))


def execute_compile(settings: CompileSettings) -> int:
    from ..edit.compile import CompileError, compile_recipe
    from ..loader.source import recipe_suffix

    recipe = load_recipe("compile", settings.recipe, staged=True)
    if _compile_staged(settings, recipe):
        return 0
    if settings.overrides:  # a --var that names nothing: as every command says it
        load_recipe("compile", settings.recipe, settings.overrides)
    try:
        text = compile_recipe(
            recipe,
            settings.overrides,
            settings.flatten,
            steps_per_epoch=settings.spe,
            config=lint_config("compile", settings.config_path),
        )
    except CompileError as exc:
        why = str(exc)
        if exc.problems:
            why += ": " + lint_errors(exc.problems, settings.spe)
        msg = f"recipe compile: nothing written: {why}"
        raise Failure(msg, EXIT_PROBLEMS) from None
    suffix = ".yaml" if settings.flatten else recipe_suffix(settings.recipe)
    write_recipe(settings.output, text, suffix)
    return 0


def _compile_staged(settings: CompileSettings, recipe: Any) -> bool:
    """A staged recipe: its args set as `--var` says (sparseml.core's top-level
    args; llm-compressor has none) and written when its engine's reading, as
    `recipe lint` has it, finds no error; False for a legacy recipe."""
    from dataclasses import replace

    from ..dialects.detect import resolve
    from ..edit.set_vars import write
    from ..linter.engine import lint_recipe
    from ..loader.overrides import OverrideError
    from ..loader.source import recipe_suffix
    from ..problems import errors

    cfg = lint_config("compile", settings.config_path)
    choice = resolve(settings.dialect or cfg.dialect, recipe.root)
    if choice.dialect == "sparseml":
        refuse_staged("compile", recipe)  # (a staged form auto did not take)
        return False
    name = f"{choice.dialect}'s"
    if settings.flatten:
        raise Failure(
            f"recipe compile: {recipe.path} is read as {name}: --flatten writes "
            "SparseML's legacy recipes (the staged engines evaluate their own)",
            EXIT_USAGE,
        )
    if settings.overrides and choice.dialect == "llm-compressor":
        raise Failure(
            f"recipe compile: {recipe.path} is read as llm-compressor's, which has no "
            "variables (it evaluates nothing): write the value into the recipe",
            EXIT_USAGE,
        )
    text = recipe.source.text
    if settings.overrides:
        try:
            text = write(recipe, settings.overrides)
        except OverrideError as exc:
            raise Failure(f"recipe compile: {exc}") from None
    edited = recipe.edited(text)
    found = errors(lint_recipe(edited, replace(cfg, dialect=choice.dialect)).problems)
    if found:
        raise Failure(
            "recipe compile: nothing written: the recipe has errors as "
            f"{choice.dialect} reads it: "
            + "; ".join(p.described() for p in found[:3]),
            EXIT_PROBLEMS,
        )
    write_recipe(settings.output, text, recipe_suffix(settings.recipe))
    return True


@click.command(name="variables")
@click.argument("recipe", metavar="RECIPE")
@read_limits
def variables(recipe: str) -> int:
    """Print every variable and eval(...) with its value and the fields using it."""
    return execute_variables("variables", recipe)


@click.command(name="explain", hidden=True)
@click.argument("recipe", metavar="RECIPE")
@read_limits
def explain(recipe: str) -> int:
    """The old name of `recipe variables`."""
    return execute_variables("explain", recipe)


def execute_variables(command: str, recipe: str) -> int:
    from ..views.show_text import variables_report

    loaded = load_recipe(command, recipe)
    refuse_errors(loaded.problems)  # what it would report of a broken recipe misleads
    click.echo(variables_report(loaded), nl=False)
    return 0


@dataclasses.dataclass(frozen=True)
class MigrateSettings:
    recipe: str
    output: str | None = None
    diff: bool = False
    dialect: str | None = None  # None: the config's, else auto
    drop: tuple[str, ...] = ()


@click.command(name="migrate")
@click.argument("recipe", metavar="RECIPE")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here.")
@click.option("--diff", is_flag=True, help="Print a unified diff.")
@click.option(
    "--drop",
    multiple=True,
    metavar="MODIFIER",
    help="Leave out this modifier, which llm-compressor 0.14 does not have "
    "(OutputDistillationModifier), instead of refusing. Repeatable.",
)
@dialect_option
@read_limits
def migrate_command(**options: Any) -> int:
    """Rewrite a SparseML staged recipe (or an older llm-compressor one) for
    llm-compressor 0.14, listing every change."""
    settings = MigrateSettings(**options)
    if not settings.output and not settings.diff:
        raise click.UsageError("give -o OUT, --diff, or both")
    return execute_migrate(settings)


def execute_migrate(settings: MigrateSettings) -> int:
    import difflib
    from dataclasses import replace

    from ..dialects.detect import resolve
    from ..edit.migrate import MigrateError, migrate
    from ..linter.engine import lint_recipe
    from ..loader.source import recipe_suffix
    from ..problems import errors

    recipe = load_recipe("migrate", settings.recipe, staged=True)
    cfg = lint_config("migrate", None)
    choice = resolve(settings.dialect or cfg.dialect, recipe.root)
    dialect = choice.dialect.value
    if dialect == "llm-compressor" and not (settings.dialect or cfg.dialect):
        from ..dialects.llmcompressor.reader import read as llmc_read
        from ..dialects.sparsemlcore.reader import read as core_read

        if (
            llmc_read(recipe.root).refused is not None
            and core_read(recipe.root).refused is None
        ):
            dialect = "sparseml-core"  # (not llm-compressor 0.14's: SparseML's)
        # (refused by both: an older llm-compressor recipe, to be migrated)
    if choice.dialect == "sparseml":
        raise Failure(
            f"recipe migrate: {recipe.path} is a legacy SparseML recipe (!Tags): "
            "migrate reads staged recipes (sparseml.core's, older llm-compressor's)",
            EXIT_USAGE,
        )
    try:
        result = migrate(recipe, dialect, frozenset(settings.drop))
    except MigrateError as exc:
        also = (
            " (an older llm-compressor recipe: --dialect llm-compressor)"
            if "SparseML 1.8 refuses" in str(exc) and not settings.dialect
            else ""
        )
        raise Failure(
            f"recipe migrate: {recipe.path}: {exc}{also}", EXIT_PROBLEMS
        ) from None
    written = recipe.edited(result.text)
    found = errors(
        lint_recipe(written, replace(cfg, dialect="llm-compressor")).problems
    )
    if found:
        raise Failure(
            "recipe migrate: nothing written: llm-compressor 0.14 would refuse the "
            "result: " + "; ".join(p.described() for p in found[:3]),
            EXIT_PROBLEMS,
        )
    if settings.diff:
        lines = difflib.unified_diff(
            recipe.source.text.splitlines(True),
            result.text.splitlines(True),
            settings.recipe,
            settings.output or settings.recipe,
        )
        click.echo("".join(lines), nl=False)
    if settings.output:
        write_recipe(settings.output, result.text, recipe_suffix(settings.recipe))
    for change in result.changes:
        click.echo(f"recipe migrate: {change}", err=True)
    return 0
