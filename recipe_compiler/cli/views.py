"""`recipe show`, `recipe plan`, `recipe preview`: what a recipe will do, as a
table of modifiers, every optimizer step, or one HTML page."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Literal

import click

from ..schedule.clock import DEFAULT_STEPS_PER_EPOCH
from .common import (
    EXIT_PROBLEMS,
    EXIT_USAGE,
    POSITIVE,
    Failure,
    dialect_option,
    image_size_option,
    lint_config,
    load_model,
    load_recipe,
    model_option,
    read_limits,
    refuse_errors,
    refuse_staged,
    steps_option,
    var_option,
)


@dataclasses.dataclass(frozen=True)
class ShowSettings:
    recipe: str
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    model: str | None = None
    image_size: int | None = None
    fmt: Literal["text", "json"] = "text"
    dialect: str | None = None  # None: the config's, else auto


@click.command()
@click.argument("recipe", metavar="RECIPE")
@var_option("Override a recipe variable.")
@model_option
@image_size_option(
    "With --model yolov5*: the input size the MACs are counted at (default 64)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="json: the per-layer plan of --model (docs/show.md).",
)
@dialect_option
@read_limits
def show(**options: Any) -> int:
    """Print a recipe's modifiers as SparseML resolves them; with --model, what it
    leaves of every layer and of the multiply-accumulates."""
    return execute_show(ShowSettings(**options))


def execute_show(settings: ShowSettings) -> int:
    import json

    from ..linter.engine import lint_recipe
    from ..model.layerplan import PlanError, as_text, layer_plan
    from ..views.show_text import modifiers_table

    if settings.fmt == "json" and settings.model is None:
        raise click.UsageError(
            "--format json is the per-layer (or, for an LLM, per-module) plan: "
            "give --model"
        )
    if settings.image_size is not None and settings.model is None:
        raise click.UsageError("--image-size needs --model")
    net = load_model("show", settings.model, llm=True)
    recipe = load_recipe("show", settings.recipe, settings.overrides, staged=True)
    if recipe.root is None:  # unreadable, or over a limit: nothing to show
        refuse_errors(recipe.problems)
    if _show_staged(settings, recipe, net):
        return 0
    if not hasattr(net, "params") and net is not None:  # an LLM, for a legacy recipe
        raise Failure(
            f"recipe show: {settings.model} is an LLM (a Hugging Face folder); "
            f"{recipe.path} is a legacy SparseML recipe, read with a built-in model, "
            "an ONNX file or a factory",
            EXIT_USAGE,
        )
    refuse_staged("show", recipe)
    problems = lint_recipe(recipe, network=net).problems
    if settings.fmt == "text":
        click.echo(modifiers_table(recipe), nl=False)
    if net is not None and recipe.ok:
        try:
            layers = layer_plan(recipe, net, settings.image_size)
        except PlanError as exc:
            raise Failure(f"recipe show: {exc}", EXIT_USAGE) from None
        if settings.fmt == "json":
            click.echo(json.dumps(layers.to_dict(), indent=1))
        else:
            click.echo("\n" + as_text(layers), nl=False)
    refuse_errors(problems)
    return 0


def _show_staged(settings: ShowSettings, recipe: Any, net: Any) -> bool:
    """A recipe read as llm-compressor's: its stages and modifiers in oneshot's
    order (with an LLM as --model, what each module gets), then its problems
    (exit 1 on an error, as for any recipe); False when the recipe is another
    dialect's."""
    from dataclasses import replace

    from ..dialects.detect import resolve
    from ..dialects.llmcompressor.reader import read
    from ..dialects.sparsemlcore.reader import read as core_read
    from ..linter.engine import lint_recipe
    from ..views.staged_text import core_table, llmc_table

    cfg = lint_config("show", None)
    choice = resolve(settings.dialect or cfg.dialect, recipe.root)
    if choice.dialect not in ("llm-compressor", "sparseml-core"):
        return False
    llm = choice.dialect == "llm-compressor" and settings.model is not None
    if (settings.model is not None and not llm) or (
        settings.overrides and choice.dialect == "llm-compressor"
    ):
        given = "--model" if settings.model is not None else "--var"
        raise Failure(
            f"recipe show: {recipe.path} is read as {choice.dialect}'s, "
            + (
                "which has no variables and whose "
                if choice.dialect == "llm-compressor"
                else "whose "
            )
            + f"models are LLMs: {given} is not read for it yet",
            EXIT_USAGE,
        )
    if llm and not hasattr(net, "architecture"):
        raise Failure(
            f"recipe show: {recipe.path} is read as llm-compressor's: --model "
            f"{settings.model} is no LLM; give a Hugging Face model folder (or its "
            "config.json)",
            EXIT_USAGE,
        )
    linted = lint_recipe(recipe, replace(cfg, dialect=choice.dialect), network=net)
    problems = linted.problems
    if llm:
        _show_llm(settings, recipe, net, problems)
    elif choice.dialect == "llm-compressor":
        click.echo(llmc_table(recipe.path, choice.why, read(recipe.root)), nl=False)
    else:
        click.echo(
            core_table(
                recipe.path,
                choice.why,
                core_read(recipe.root, settings.overrides),
            ),
            nl=False,
        )
    refuse_errors(problems)
    return True


def _show_llm(settings: ShowSettings, recipe: Any, llm: Any, problems: list) -> None:
    """What each Linear/Embedding module of the LLM gets; refused (the errors
    listed) where the recipe does not load."""
    import json

    from ..dialects.llmcompressor.reader import read
    from ..views.llm_modules import modules_table

    walked = read(recipe.root)
    if walked.refused is not None:
        refuse_errors(problems)
    doc = _llm_modules("show", walked, llm)
    if settings.fmt == "json":
        click.echo(json.dumps(doc, indent=1))
        return
    click.echo(modules_table(doc), nl=False)
    said = [p for p in problems if p.severity != "error"]
    if said:
        click.echo("\nwith this model:")
        for p in said:
            click.echo(f"  {p.line}:{p.column}: {p.code} {p.severity} {p.message}")


def _llm_modules(command: str, walked: Any, llm: Any) -> dict[str, Any]:
    """`recipe show --format json`'s document: what each module gets from the
    recipe's quantizing and pruning modifiers; a Failure where that is not
    computed here (a pattern not run)."""
    from ..dialects.llmcompressor.applied import NotPredicted, applied, sparsified
    from ..model.llm.match import Unsafe
    from ..views.llm_modules import modules_json

    try:
        given = applied(walked.modifiers, llm)
        pruned = sparsified(walked.modifiers, llm)
    except (NotPredicted, Unsafe) as exc:
        raise Failure(
            f"recipe {command}: what oneshot does is not computed here: {exc}"
        ) from None
    return modules_json(llm, given, llm.dtype, pruned)


def _plan_staged(settings: PlanSettings, recipe: Any) -> bool:
    """A recipe read as sparseml.core's: its stages replayed as its session runs
    them (refused, as any plan is, when lint finds an error); llm-compressor's
    applies its modifiers once, in the order `recipe show` lists. False for a
    legacy recipe."""
    import json
    from dataclasses import replace

    from ..dialects.detect import resolve
    from ..dialects.sparsemlcore.reader import read as core_read
    from ..dialects.sparsemlcore.schedule import TooLong
    from ..linter.engine import lint_recipe
    from ..views.staged_plan import as_table, plan_rows

    cfg = lint_config("plan", None)
    choice = resolve(settings.dialect or cfg.dialect, recipe.root)
    if choice.dialect == "sparseml":
        return False
    if choice.dialect == "llm-compressor":
        raise Failure(
            f"recipe plan: {recipe.path} is read as llm-compressor's: oneshot applies "
            "its modifiers once, in the order `recipe show` lists; it has no "
            "training schedule to plan",
            EXIT_USAGE,
        )
    if settings.model is not None:
        raise Failure(
            f"recipe plan: {recipe.path} is read as sparseml-core's, whose models are "
            "LLMs: --model is not read for it yet",
            EXIT_USAGE,
        )
    refuse_errors(lint_recipe(recipe, replace(cfg, dialect=choice.dialect)).problems)
    walked = core_read(recipe.root, settings.overrides)
    try:
        rows = plan_rows(walked, settings.spe, settings.epochs)
    except TooLong as exc:
        raise Failure(
            f"recipe plan: {recipe.path}: a train stage of {exc}; plan it at fewer "
            "--steps-per-epoch or a smaller --epochs",
            EXIT_USAGE,
        ) from None
    if settings.fmt == "json":
        click.echo(json.dumps({"dialect": "sparseml-core", "events": rows}, indent=1))
    elif settings.fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["event"])
        writer.writeheader()
        writer.writerows(rows)
        click.echo(buf.getvalue(), nl=False)
    else:
        click.echo(as_table(recipe.path, choice.why, rows, settings.spe), nl=False)
    return True


def _preview_staged(settings: Any) -> int | None:
    """One recipe read as sparseml.core's: its train stages charted as its
    session runs them, the page written with its problems; the exit code (1 on
    an error, as for any recipe). llm-compressor's has no schedule, said. None
    for a legacy recipe."""
    from dataclasses import replace

    from ..dialects.detect import resolve
    from ..dialects.sparsemlcore.reader import read as core_read
    from ..dialects.sparsemlcore.schedule import TooLong
    from ..linter.engine import lint_recipe
    from ..views.staged_preview import render

    path = settings.recipes[0]
    recipe = load_recipe("preview", path, staged=True)
    cfg = lint_config("preview", None)
    choice = resolve(settings.dialect or cfg.dialect, recipe.root)
    if choice.dialect == "sparseml":
        return None
    if choice.dialect == "llm-compressor":
        if settings.model is None:
            raise Failure(
                f"recipe preview: {path} is read as llm-compressor's: oneshot "
                "applies its modifiers once (`recipe show` lists them); it has no "
                "schedule to chart. With --model DIR (a Hugging Face folder), the "
                "page shows what it does to each layer",
                EXIT_USAGE,
            )
        return _preview_llm(settings, recipe, cfg, choice)
    if settings.model is not None:
        raise Failure(
            f"recipe preview: {path} is read as sparseml-core's, whose models are "
            "LLMs: --model is not read for it yet",
            EXIT_USAGE,
        )
    problems = lint_recipe(
        recipe, replace(cfg, dialect=choice.dialect), settings.spe
    ).problems
    walked = core_read(recipe.root, settings.overrides)
    try:
        page = render(
            path, recipe.source.text, walked, settings.spe, problems, choice.why
        )
    except TooLong as exc:
        raise Failure(
            f"recipe preview: {path}: a train stage of {exc}; chart it at fewer "
            "--steps-per-epoch",
            EXIT_USAGE,
        ) from None
    return _write_page(settings.output, page, problems)


def _write_page(output: str, page: str, problems: list[Any]) -> int:
    """A staged recipe's page written (atomically) even where lint finds an
    error, the errors then listed and exit 1, as lint's."""
    from ..fileio import write_atomic
    from ..problems import errors

    write_atomic(output, page)
    click.echo(f"wrote {output}", err=True)
    found = errors(problems)
    if found:
        click.echo("\n".join(str(p) for p in found), err=True)
        return EXIT_PROBLEMS
    return 0


def _preview_llm(settings: Any, recipe: Any, cfg: Any, choice: Any) -> int:
    """An llm-compressor recipe on an LLM: the heat maps of what each module of
    each decoder layer gets; exit 1 where lint finds an error."""
    from dataclasses import replace

    from ..dialects.llmcompressor.reader import read
    from ..linter.engine import lint_recipe
    from ..views.llm_preview import render

    llm = load_model("preview", settings.model, llm=True)
    if not hasattr(llm, "architecture"):
        raise Failure(
            f"recipe preview: {recipe.path} is read as llm-compressor's: --model "
            f"{settings.model} is no LLM; give a Hugging Face model folder",
            EXIT_USAGE,
        )
    problems = lint_recipe(
        recipe, replace(cfg, dialect="llm-compressor"), network=llm
    ).problems
    walked = read(recipe.root)
    if walked.refused is not None:
        refuse_errors(problems)
    doc = _llm_modules("preview", walked, llm)
    page = render(recipe.path, recipe.source.text, doc, problems, choice.why)
    return _write_page(settings.output, page, problems)


PlanFormat = Literal["table", "json", "csv"]


@dataclasses.dataclass(frozen=True)
class PlanSettings:
    recipe: str
    spe: int
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    fmt: PlanFormat = "table"
    epochs: float | None = None
    param_groups: int = 1
    grad_accum: int = 1
    model: str | None = None
    dialect: str | None = None  # None: the config's, else auto


@click.command()
@click.argument("recipe", metavar="RECIPE")
@steps_option(
    "Optimizer steps per epoch (batches / gradient accumulation), as lint and "
    "preview take it."
)
@var_option("Override a recipe variable.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("table", "json", "csv")),
    default="table",
    show_default=True,
)
@click.option("--epochs", type=POSITIVE, help="Training length (default: max_epochs).")
@click.option(
    "--param-groups", type=click.IntRange(min=1), default=1, show_default=True
)
@click.option(
    "--grad-accum",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Batches per optimizer step.",
)
@model_option
@dialect_option
@read_limits
def plan(**options: Any) -> int:
    """Print what SparseML will do at every optimizer step of a recipe."""
    return execute_plan(PlanSettings(**options))


def execute_plan(settings: PlanSettings) -> int:
    from ..linter.engine import lint_recipe, model_problems, problems_at
    from ..problems import errors
    from ..schedule.clock import NoTrainingLength
    from ..schedule.timeline import ScheduleError
    from ..schedule.timeline import plan as make_plan
    from ..views import plan_text

    net = load_model("plan", settings.model)
    recipe = load_recipe("plan", settings.recipe, settings.overrides, staged=True)
    if _plan_staged(settings, recipe):
        return 0
    refuse_staged("plan", recipe)
    refuse_errors(problems_at(recipe, settings.spe))
    if net is not None:  # SparseML fails at initialize: nothing is trained
        refuse_errors(model_problems(recipe, net))
    try:
        t = make_plan(
            recipe,
            settings.spe,
            epochs=settings.epochs,
            param_groups=settings.param_groups,
            grad_accum=settings.grad_accum,
        )
    except NoTrainingLength as exc:
        msg = f"recipe plan: {exc}; give one with --epochs"
        raise Failure(msg, EXIT_USAGE) from None
    except ScheduleError as exc:
        more = " (a smaller --epochs)" if settings.epochs is not None else ""
        raise Failure(f"recipe plan: {exc}{more}", EXIT_USAGE) from None
    formats = {
        "json": plan_text.as_json,
        "csv": plan_text.as_csv,
        "table": lambda t: plan_text.as_table(t, recipe.path),
    }
    click.echo(formats[settings.fmt](t), nl=False)
    # what SparseML crashes on while training (RC205, RC220): planned up to the
    # crash, and an error all the same, as lint and preview say
    crashes = errors(lint_recipe(recipe, steps_per_epoch=settings.spe).problems)
    if crashes:
        click.echo("\n".join(str(p) for p in crashes), err=True)
        return EXIT_PROBLEMS
    return 0


@dataclasses.dataclass(frozen=True)
class PreviewSettings:
    recipes: tuple[str, ...]
    output: str
    spe: int = DEFAULT_STEPS_PER_EPOCH
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    open_browser: bool = False
    model: str | None = None
    dialect: str | None = None  # None: the config's, else auto


@click.command()
@click.argument("recipes", metavar="RECIPE...", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    required=True,
    help="The HTML file to write.",
)
@steps_option("Optimizer steps per epoch.")
@var_option("Override a recipe variable (in every recipe that has it).")
@click.option(
    "--open", "open_browser", is_flag=True, help="Open the page when written."
)
@model_option
@dialect_option
@read_limits
def preview(**options: Any) -> int:
    """Write one self-contained HTML page of the schedule; several recipes compare."""
    return execute_preview(PreviewSettings(**options))


def execute_preview(settings: PreviewSettings) -> int:
    """The page is written even for recipes with errors (it exists to show problems
    next to the schedule): planned from the modifiers that loaded, or only the
    problems where nothing can be planned; the exit code is then 1, as lint's."""
    from ..edit.set_vars import applicable
    from ..fileio import write_atomic
    from ..loader.overrides import no_such_variable
    from ..model.llm.folder import is_llm_spec
    from ..problems import errors
    from ..views.preview import planned_of, render

    llm = settings.model is not None and is_llm_spec(settings.model)
    net = None if llm else load_model("preview", settings.model)
    staged = _preview_staged(settings) if len(settings.recipes) == 1 else None
    if staged is not None:
        return staged
    if llm:  # (a legacy recipe, or several: refused, saying what reads an LLM)
        load_model("preview", settings.model)
    loaded = [load_recipe("preview", path) for path in settings.recipes]
    names = {var.name for recipe in loaded for var in recipe.all_variables()}
    for name in settings.overrides:  # each --var names a variable of some recipe
        if name not in names:
            what = "the recipe" if len(loaded) == 1 else "none of the recipes"
            raise Failure(f"recipe preview: {no_such_variable(name, names, what)}")
    planned = []
    for path, recipe in zip(settings.recipes, loaded, strict=True):
        own = applicable(recipe, settings.overrides)
        if own:
            recipe = load_recipe("preview", path, own)
        item = planned_of(recipe, settings.spe, net, Path(path).name)
        if item.timeline is None and not errors(item.problems):
            raise Failure(f"recipe preview: {path}: {item.note}", EXIT_USAGE)
        planned.append(item)
    write_atomic(settings.output, render(planned))
    click.echo(f"wrote {settings.output}", err=True)
    found = [p for item in planned for p in errors(item.problems)]
    if found:
        click.echo("\n".join(str(p) for p in found), err=True)
        click.echo(
            f"recipe preview: {len(found)} error(s) shown in the page: SparseML "
            "would refuse or crash on "
            + ("these recipes" if len(planned) > 1 else "this recipe"),
            err=True,
        )
    if settings.open_browser:
        import webbrowser

        webbrowser.open(Path(settings.output).resolve().as_uri())
    return EXIT_PROBLEMS if found else 0
