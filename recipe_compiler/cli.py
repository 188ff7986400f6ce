"""The `recipe` command: a thin shell over the Python API.

Exit codes: 0 clean, 1 problems of severity error (warnings too with --strict),
2 the command could not run (bad option, unreadable file, bad config).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from .problems import Problem  # no pydantic on this import path
from .source import Limits


def _fast_pydantic() -> None:
    """Start-up budget (lint must answer in 150 ms): the CLI needs no pydantic plugins
    and no self-check of pydantic's generated schemas. Plugin discovery imports
    importlib.metadata and scans every installed package (about 15 ms); the schema
    self-check costs about 4 ms a model. Both are switched off here, for this process
    only; the library API leaves pydantic as it is.
    """
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    os.environ.setdefault("PYDANTIC_SKIP_VALIDATING_CORE_SCHEMAS", "1")
    if os.environ["PYDANTIC_DISABLE_PLUGINS"] == "__all__" and (
        "pydantic.plugin._loader" not in sys.modules
    ):
        import types

        loader = types.ModuleType("pydantic.plugin._loader")
        loader.get_plugins = lambda: ()  # type: ignore[attr-defined]
        sys.modules["pydantic.plugin._loader"] = loader


_fast_pydantic()

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
FORMATS = ("text", "json", "github", "sarif")


def var_option(help_text: str) -> Any:
    """`--var NAME=VALUE`, repeatable: an override of a recipe variable."""
    return click.option(
        "--var", "variables", multiple=True, metavar="NAME=VALUE", help=help_text
    )


def parse_var(values: tuple[str, ...]) -> dict[str, Any]:
    """`--var k=v`: numbers become int or float, anything else stays a string."""
    out: dict[str, Any] = {}
    for item in values:
        if "=" not in item:
            raise click.BadParameter(f"{item!r}: use NAME=VALUE", param_hint="--var")
        key, _, raw = item.partition("=")
        value: Any = raw
        for cast in (int, float):
            try:
                value = cast(raw)
                break
            except ValueError:
                continue
        out[key.strip()] = value
    return out


LIMIT_HELP = {
    "max_bytes": "Largest recipe file read, in bytes.",
    "max_nodes": "Most YAML nodes, counting what aliases repeat.",
    "max_depth": "Deepest nesting of mappings and lists.",
    "max_expression_chars": "Longest eval(...) expression.",
    "max_int_bits": "Largest integer an eval(...) may compute, in bits.",
}


def limit_options(f: Any) -> Any:
    """One option per field of `Limits`: what a recipe may cost."""
    for field in reversed(dataclasses.fields(Limits)):
        f = click.option(
            "--" + field.name.replace("_", "-"),
            field.name,
            type=click.IntRange(min=1),
            default=field.default,
            show_default=True,
            help=LIMIT_HELP[field.name],
        )(f)
    return f


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="recipe-compiler")
def main() -> None:
    """Validate, plan and compile SparseML recipes."""


@main.command()
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
@click.option(
    "--steps-per-epoch",
    "spe",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Optimizer steps per epoch for the schedule rules (RC220-RC227): "
    "len(train loader) / gradient accumulation of your run.",
)
@limit_options
def lint(
    paths: tuple[str, ...],
    fmt: str,
    strict: bool,
    fix: bool,
    config_path: str | None,
    variables: tuple[str, ...],
    spe: int,
    **limit_values: int,
) -> None:
    """Check recipes (files or folders, recursively); '-' reads standard input."""
    from .lint import config as lint_config
    from .lint import exit_code, lint_paths, lint_recipe
    from .lint.reporters import REPORTERS
    from .recipe import OverrideError, from_source
    from .source import from_bytes

    limits = Limits(**limit_values)
    overrides = parse_var(variables)
    try:
        cfg = lint_config.load(Path(config_path) if config_path else lint_config.find())
    except lint_config.ConfigError as exc:
        click.echo(f"recipe lint: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    files = [p for p in paths if p != "-"]
    missing = [p for p in files if not os.path.exists(p)]
    if missing:
        click.echo(f"recipe lint: no such file or folder: {missing[0]}", err=True)
        sys.exit(EXIT_USAGE)
    try:
        if fix:
            _fix(files, limits)
        problems, recipes = lint_paths(files, cfg, overrides, limits, spe)
        if "-" in paths:
            data = sys.stdin.buffer.read(limits.max_bytes + 1)
            recipe = from_source(
                from_bytes(data, "<stdin>", "text", limits), overrides, limits
            )
            recipes.append(recipe)
            problems.extend(lint_recipe(recipe, cfg, spe))
    except OverrideError as exc:
        click.echo(f"recipe lint: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    problems.sort()
    click.echo(REPORTERS[fmt](problems, len(recipes)), nl=False)
    sys.exit(exit_code(problems, strict))


def _fix(files: list[str], limits: Limits) -> None:
    from .fileio import RewriteError, rewrite
    from .lint import discover
    from .markers import add_markers, missing_markers
    from .source import read

    for path in discover(files):
        src = read(path, limits)
        fixed = add_markers(src)
        if fixed is not None:
            n = len(missing_markers(src))
            try:
                rewrite(path, src.text, fixed)
            except RewriteError as exc:
                click.echo(f"recipe lint --fix: {exc}", err=True)
                sys.exit(EXIT_USAGE)
            click.echo(f"fixed {path}: added {n} '- ' list markers", err=True)


@main.command()
@click.argument("recipe_path", metavar="RECIPE")
@var_option("Override a recipe variable.")
def show(recipe_path: str, variables: tuple[str, ...]) -> None:
    """Print a recipe's modifiers as SparseML resolves them."""
    from .lint import lint_recipe

    recipe = _load_or_exit("show", recipe_path, parse_var(variables))
    problems = lint_recipe(recipe)
    click.echo(render_modifiers(recipe.path, recipe), nl=False)
    _exit_on_errors(problems)


def render_modifiers(name: str, recipe: Any) -> str:
    """A readable table of resolved modifiers (file order) and the training length."""
    lines = [
        f"{name}: {len(recipe.modifiers)} modifiers, max_epochs {recipe.max_epochs}"
    ]
    width = max((len(e.tag) for e in recipe.modifiers), default=8)
    for e in recipe.modifiers:
        m = e.model
        window = "invalid" if m is None else f"{_ep(m.start)} -> {_ep(m.end)}"
        fields = (
            ""
            if m is None
            else ", ".join(
                f"{k}={_val(v)}"
                for k, v in m.model_dump(exclude={"start_epoch", "end_epoch"}).items()
                if k in e.fields
            )
        )
        lines.append(
            f"  {e.index:>2}  {e.tag:<{width}}  line {e.line:<4} "
            f"epochs {window:<16} {fields}"
        )
    return "\n".join(lines) + "\n"


def _ep(x: float) -> str:
    return "-1" if x == -1 else f"{x:g}"


def _val(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list) and len(v) > 3:
        return f"[{len(v)} items]"
    return str(v)


def _no_runner(command: str, exc: ImportError) -> NoReturn:
    """The commands that need torch and sparseml name the extra that brings them."""
    click.echo(
        f"recipe {command}: the runner extra is not installed ({exc}): "
        "pip install 'recipe-compiler[runner]'",
        err=True,
    )
    sys.exit(EXIT_USAGE)


def _exit_on_errors(problems: list[Problem]) -> None:
    """Commands other than lint refuse a recipe with errors, listing them briefly."""
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        click.echo(_brief(errors), err=True)
        sys.exit(EXIT_PROBLEMS)


def _brief(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems)


@main.command()
@click.argument("recipe_path", metavar="RECIPE")
@click.option(
    "--steps-per-epoch",
    "spe",
    type=click.IntRange(min=1),
    required=True,
    help="Optimizer steps per epoch (batches / gradient accumulation).",
)
@var_option("Override a recipe variable.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("table", "json", "csv")),
    default="table",
    show_default=True,
)
@click.option("--epochs", type=float, help="Training length (default: max_epochs).")
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
def plan(
    recipe_path: str,
    spe: int,
    variables: tuple[str, ...],
    fmt: str,
    epochs: float | None,
    param_groups: int,
    grad_accum: int,
) -> None:
    """Print what SparseML will do at every optimizer step of a recipe."""
    from . import planfmt
    from .schedule import ScheduleError
    from .schedule import plan as make_plan

    recipe = _load_or_exit("plan", recipe_path, parse_var(variables))
    _exit_on_errors(recipe.problems)
    try:
        t = make_plan(
            recipe, spe, epochs=epochs, param_groups=param_groups, grad_accum=grad_accum
        )
    except ScheduleError as exc:
        click.echo(f"recipe plan: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    if fmt == "json":
        click.echo(planfmt.as_json(t), nl=False)
    elif fmt == "csv":
        click.echo(planfmt.as_csv(t), nl=False)
    else:
        click.echo(planfmt.as_table(t, recipe.path), nl=False)


def _write_output(path: str, text: str, like: str) -> None:
    """Write atomically; SparseML reads only .yaml and .md, in the input's format."""
    from .fileio import write_atomic

    suffix = Path(path).suffix.lower()
    if suffix not in (".yaml", ".md"):
        raise click.UsageError(
            f"{path}: SparseML reads only .yaml and .md recipes; name the output "
            f"{Path(path).with_suffix('.yaml').name}"
        )
    if (suffix == ".md") != (Path(like).suffix.lower() == ".md"):
        raise click.UsageError(f"{path}: the output keeps the input's format ({like})")
    write_atomic(path, text)


def _load_or_exit(command: str, recipe_path: str, overrides: dict[str, Any]) -> Any:
    from .recipe import OverrideError, load

    if not os.path.exists(recipe_path):
        click.echo(f"recipe {command}: no such file: {recipe_path}", err=True)
        sys.exit(EXIT_USAGE)
    try:
        return load(recipe_path, overrides, text=False)
    except OverrideError as exc:
        click.echo(f"recipe {command}: {exc}", err=True)
        sys.exit(EXIT_USAGE)


def _emit(
    text: str, original: str, name: str, output: str | None, in_place: bool, diff: bool
) -> None:
    import difflib

    if diff:
        click.echo(
            "".join(
                difflib.unified_diff(
                    original.splitlines(True), text.splitlines(True), name, name
                )
            ),
            nl=False,
        )
    if in_place:
        from .fileio import RewriteError, rewrite

        try:
            rewrite(name, original, text)
        except RewriteError as exc:
            raise click.UsageError(str(exc)) from None
        click.echo(f"rewrote {name}", err=True)
    elif output:
        _write_output(output, text, name)
        click.echo(f"wrote {output}", err=True)
    elif not diff:
        click.echo(text, nl=False)


def _lr_pair(value: str | None) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        a, b = (float(x) for x in value.split(":"))
    except ValueError:
        raise click.BadParameter(
            "use INIT:FINAL, e.g. 0.01:0.0001", param_hint="--lr"
        ) from None
    return a, b


@main.command()
@click.argument("recipe_path", metavar="RECIPE")
@click.option(
    "--epochs", type=float, required=True, help="Target dense training length."
)
@click.option(
    "--from-epochs",
    type=float,
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
    "--round", "round_to", type=float, help="Snap new epochs to multiples of this."
)
@click.option(
    "--steps-per-epoch",
    type=click.IntRange(min=1),
    help="Snap new epochs to the step grid instead.",
)
@click.option(
    "--lr",
    "lr",
    metavar="INIT:FINAL",
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
def rescale(
    recipe_path: str,
    epochs: float,
    from_epochs: float | None,
    update_frequency: str,
    round_to: float | None,
    steps_per_epoch: int | None,
    lr: str | None,
    output: str | None,
    in_place: bool,
    diff: bool,
    flatten: bool,
) -> None:
    """Retarget a recipe to EPOCHS dense epochs by the 90-epoch rule."""
    from . import rescale as rs

    if output and in_place:
        raise click.UsageError("use -o or --in-place, not both")
    if round_to and steps_per_epoch:
        raise click.UsageError("use --round or --steps-per-epoch, not both")
    if steps_per_epoch:
        round_to = 1.0 / steps_per_epoch
    recipe = _load_or_exit("rescale", recipe_path, {})
    _exit_on_errors(recipe.problems)
    pair = _lr_pair(lr)
    try:
        if flatten:
            base = from_epochs or rs.declared_base(recipe) or rs.RULE_BASE_EPOCHS
            text = (
                f"# rescaled from {base:g} to {epochs:g} epochs by recipe-compiler "
                f"(flattened from {recipe.path})\n"
                + rs.flatten(recipe, epochs / base, update_frequency == "scale")
            )
        else:
            text = rs.rescale(
                recipe,
                epochs,
                from_epochs=from_epochs,
                update_frequency=update_frequency,  # type: ignore[arg-type]
                round_to=round_to,
                lr=pair,
            ).text
    except rs.RescaleError as exc:
        click.echo(f"recipe rescale: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    _emit(text, recipe.source.text, recipe_path, output, in_place, diff)


@main.command(name="compile")
@click.argument("recipe_path", metavar="RECIPE")
@var_option("Override a recipe variable (written into the output).")
@click.option(
    "--flatten",
    is_flag=True,
    help="Evaluate every expression: a plain recipe of numbers.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True)
def compile_command(
    recipe_path: str, variables: tuple[str, ...], flatten: bool, output: str
) -> None:
    """Write a SparseML-ready recipe, refusing what SparseML would refuse."""
    from .compile import CompileError, compile_recipe

    overrides = parse_var(variables)
    recipe = _load_or_exit("compile", recipe_path, {})
    try:
        text = compile_recipe(recipe, overrides, flatten)
    except CompileError as exc:
        click.echo(f"recipe compile: {exc}", err=True)
        if exc.problems:
            click.echo(_brief(exc.problems), err=True)
        sys.exit(EXIT_PROBLEMS)
    if flatten and Path(output).suffix.lower() == ".md":
        raise click.UsageError(
            "a flattened recipe is plain YAML: name the output .yaml"
        )
    if flatten:
        from .fileio import write_atomic

        if Path(output).suffix.lower() != ".yaml":
            raise click.UsageError(f"{output}: name the output .yaml")
        write_atomic(output, text)
    else:
        _write_output(
            output,
            text,
            recipe_path
            if not recipe_path.lower().endswith(".yml")
            else recipe_path[:-4] + ".yaml",
        )
    click.echo(f"wrote {output}", err=True)


@main.command()
@click.argument("recipe_path", metavar="RECIPE")
def explain(recipe_path: str) -> None:
    """Print every variable and eval(...) with its value and the fields using it."""
    from .compile import explain as render

    recipe = _load_or_exit("explain", recipe_path, {})
    click.echo(render(recipe), nl=False)


@main.command()
@click.argument("recipe_paths", metavar="RECIPE...", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    required=True,
    help="The HTML file to write.",
)
@click.option(
    "--steps-per-epoch",
    "spe",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Optimizer steps per epoch.",
)
@var_option("Override a recipe variable (in every recipe that has it).")
@click.option(
    "--open", "open_browser", is_flag=True, help="Open the page when written."
)
def preview(
    recipe_paths: tuple[str, ...],
    output: str,
    spe: int,
    variables: tuple[str, ...],
    open_browser: bool,
) -> None:
    """Write one self-contained HTML page of the schedule; several recipes compare."""
    from .fileio import write_atomic
    from .lint import lint_recipe
    from .preview import Planned, render
    from .schedule import ScheduleError
    from .schedule import plan as make_plan

    overrides = parse_var(variables)
    planned = []
    for path in recipe_paths:
        recipe = _load_or_exit("preview", path, {})
        own = {
            k: v
            for k, v in overrides.items()
            if any(var.name == k for var in recipe.all_variables())
        }
        if own:
            recipe = _load_or_exit("preview", path, own)
        problems = lint_recipe(recipe, steps_per_epoch=spe)
        _exit_on_errors(recipe.problems)
        try:
            timeline = make_plan(recipe, spe)
        except ScheduleError as exc:
            click.echo(f"recipe preview: {path}: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        planned.append(Planned(recipe, timeline, problems, Path(path).name))
    write_atomic(output, render(planned))
    click.echo(f"wrote {output}", err=True)
    if open_browser:
        import webbrowser

        webbrowser.open(Path(output).resolve().as_uri())


@main.command(name="run")
@click.argument("recipe_path", metavar="RECIPE")
@click.option(
    "--model",
    "model_name",
    default="digits-cnn",
    show_default=True,
    help="digits-cnn, yolov5n/s/m/l/x on generated shapes, or pkg.module:factory.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Folder for observed.csv, checkpoints, model.onnx, report.json.",
)
@click.option(
    "--resume",
    "resume_dir",
    type=click.Path(file_okay=False, exists=True),
    help="Continue the run in this folder from its last checkpoint.",
)
@click.option(
    "--dense-epochs",
    type=click.IntRange(min=0),
    default=18,
    show_default=True,
    help="Dense training before the recipe, as real sparsification starts.",
)
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--data",
    type=click.Path(file_okay=False, exists=True),
    help="YOLO-format folder (images/{train,val}, labels/{train,val}) "
    "for the yolov5 models; default: generated shapes.",
)
@click.option(
    "--static-batch",
    type=click.IntRange(min=1),
    help="Pin the exported models' batch dimension (default: dynamic).",
)
@click.option(
    "--weights",
    type=click.Path(dir_okay=False, exists=True),
    help="A trained state dict to start from (skips dense training).",
)
@click.option(
    "--image-size",
    type=click.IntRange(min=32),
    default=64,
    show_default=True,
    help="Square input size of the YOLOv5 models (generated shapes, or --data "
    "images resized to it).",
)
@click.option(
    "--steps-per-epoch",
    type=click.IntRange(min=1),
    help="Train on the first N batches of every epoch (default: all of them).",
)
@click.option(
    "--bench",
    "bench_seconds",
    type=float,
    default=0.0,
    is_flag=False,
    flag_value=2.0,
    help="Benchmark the dense and the recipe's model in DeepSparse and onnxruntime "
    "for SECONDS an engine (2 when given alone).",
)
@click.option(
    "--rescale",
    "rescale_to",
    metavar="EPOCHS",
    type=click.FloatRange(min=0, min_open=True),
    help="Retarget the recipe to EPOCHS dense epochs by the 90-epoch rule first "
    "(as recipe rescale, snapped to the run's steps); DIR/recipe.* is what runs.",
)
@var_option(
    "Override a recipe variable (written into DIR/recipe.*, as recipe compile does)."
)
def run_command(
    recipe_path: str,
    model_name: str,
    out: str | None,
    dense_epochs: int,
    batch_size: int,
    seed: int,
    bench_seconds: float,
    resume_dir: str | None,
    image_size: int,
    weights: str | None,
    static_batch: int | None,
    data: str | None,
    steps_per_epoch: int | None,
    rescale_to: float | None,
    variables: tuple[str, ...],
) -> None:
    """Train a model under the recipe with SparseML 1.8, export ONNX, report."""
    try:
        from .runner.progress import StepBar
        from .runner.train import RunError, run
    except ImportError as exc:
        _no_runner("run", exc)
    if (out is None) == (resume_dir is None):
        raise click.UsageError("give --out DIR for a new run, or --resume DIR")
    folder = str(out or resume_dir)
    try:
        report = run(
            recipe_path,
            folder,
            model_name=model_name,
            dense_epochs=dense_epochs,
            batch_size=batch_size,
            seed=seed,
            bench_seconds=bench_seconds,
            resume=resume_dir is not None,
            image_size=image_size,
            weights=weights,
            static_batch=static_batch,
            data=data,
            steps_per_epoch=steps_per_epoch,
            rescale_to=rescale_to,
            overrides=parse_var(variables),
            progress=lambda line: click.echo(line, err=True),
            bar=StepBar(sys.stderr),
        )
    except RunError as exc:
        click.echo(f"recipe run: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    except KeyboardInterrupt:
        saved = Path(folder) / "checkpoint.pt"
        click.echo(
            f"\nrecipe run: interrupted; the last finished epoch is saved in {saved}: "
            f"resume with --resume {folder}"
            if saved.exists()
            else "\nrecipe run: interrupted before the recipe's first epoch ended; "
            "nothing was saved to resume: start the run again",
            err=True,
        )
        sys.exit(130)
    if report.onnx is None:
        return  # another rank of a torchrun: the main rank reports
    sparsity = ", ".join(f"{k} {v:.3f}" for k, v in report.sparsity.items())
    more = "".join(
        f", {name} {v['dense']:.4f} -> {v['sparse']:.4f}"
        for name, v in report.metrics.items()
    )
    click.echo(
        f"dense {report.score_name} {report.dense_score:.4f} -> {report.score:.4f}"
        f"{more} after the recipe; sparsity {sparsity}; ONNX {report.onnx} "
        f"(max |onnxruntime - torch| {report.onnx_max_abs_diff:.2g} of outputs up "
        f"to {report.onnx_output_max_abs:.3g})"
    )


@main.command()
@click.argument(
    "models", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False)
)
@click.option(
    "--engine",
    "engines",
    default="onnxruntime,deepsparse",
    show_default=True,
    help="Comma-separated engines.",
)
@click.option("--batch-size", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--scenario",
    type=click.Choice(["sync", "async"]),
    default="sync",
    show_default=True,
    help="async: two concurrent callers (DeepSparse multi-stream).",
)
@click.option(
    "--seconds", type=click.FloatRange(min=0.01), default=10.0, show_default=True
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def bench(
    models: tuple[str, ...],
    engines: str,
    batch_size: int,
    scenario: str,
    seconds: float,
    fmt: str,
) -> None:
    """Throughput and latency of ONNX MODELS in DeepSparse and onnxruntime.

    Pairs are timed in interleaved slices, so ratios within one run are fair on a
    noisy machine; `vs first` is each row over the first model's first engine.
    """
    import json

    chosen = [e.strip() for e in engines.split(",") if e.strip()]
    unknown = sorted(set(chosen) - {"deepsparse", "onnxruntime"})
    if unknown or not chosen:
        raise click.BadParameter(
            f"{', '.join(unknown) or 'none given'}: use deepsparse and/or onnxruntime",
            param_hint="--engine",
        )
    try:
        from .runner.bench import BenchError, measure, table
    except ImportError as exc:
        _no_runner("bench", exc)
    labels = [Path(m).name for m in models]
    if len(set(labels)) < len(labels):
        labels = list(models)
    try:
        rows = measure(
            dict(zip(labels, models, strict=True)),
            engines=chosen,
            batch_size=batch_size,
            seconds=seconds,
            scenario=scenario,
            progress=lambda line: click.echo(line, err=True),
        )
    except BenchError as exc:
        click.echo(f"recipe bench: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(json.dumps(rows, indent=2) if fmt == "json" else table(rows))


@main.command()
@click.option("--markdown", is_flag=True, help="Print docs/rules.md.")
def rules(markdown: bool) -> None:
    """List every problem code with its name, default severity and summary."""
    from .lint import docs

    if markdown:
        click.echo(docs.render(), nl=False)
        return
    for code, name, sev, summary in docs.table():
        click.echo(f"{code}  {name:<30} {sev:<8} {summary}")


@main.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default="schemas/recipe.schema.json",
    show_default=True,
)
@click.option("--check", is_flag=True, help="Exit 1 if the file is out of date.")
def schema(output: str, check: bool) -> None:
    """Write the JSON Schema of the recipe format, generated from the models."""
    from .fileio import write_atomic
    from .schema import render

    text = render()
    if check:
        current = (
            Path(output).read_text(encoding="utf-8") if Path(output).exists() else ""
        )
        if current != text:
            click.echo(f"{output} is out of date: run `recipe schema`", err=True)
            sys.exit(EXIT_PROBLEMS)
        return
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(output, text)
    click.echo(f"wrote {output}", err=True)


def run() -> None:
    """Console entry point: a bug of ours is one clear line, not a traceback."""
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


if __name__ == "__main__":  # pragma: no cover
    run()
