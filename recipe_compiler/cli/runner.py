"""`recipe run`, `recipe bench` and `recipe sweep`: the runner extra (torch, sparseml,
deepsparse)."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import click

from ..runner.llm.args import DEFAULT_HELD_OUT, DEFAULT_MAX_SEQ_LENGTH, DEFAULT_SAMPLES
from .common import (
    EXIT_PROBLEMS,
    EXIT_USAGE,
    NON_NEGATIVE,
    POSITIVE,
    Failure,
    Number,
    ZooAwarePath,
    batch_size_option,
    current_limits,
    dialect_option,
    holds_files,
    image_size_option,
    load_recipe,
    locked_folder,
    no_runner,
    read_limits,
    runner_model_option,
    var_option,
    zoo_stub,
)

if TYPE_CHECKING:
    from ..runner.args import RunArgs


@click.command(name="run")
@click.argument("recipe", metavar="RECIPE")
@runner_model_option(
    "digits-cnn, yolov5n/s/m/l/x on generated shapes, or pkg.module:factory; "
    "for an llm-compressor recipe, a Hugging Face model folder with its weights.",
    dest="model_name",
    default="digits-cnn",
)
@click.option(
    "-o",
    "--output",
    "--out",
    "out",
    type=click.Path(file_okay=False),
    help="Folder for observed.csv, checkpoints, model.onnx, report.json; for an "
    "llm-compressor recipe, model/ (the compressed checkpoint) and report.json.",
)
@click.option(
    "--resume",
    "resume_dir",
    type=click.Path(file_okay=False, exists=True),
    help="Continue the run in this folder from its last checkpoint.",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Reuse an -o DIR that holds an earlier run (its files are replaced).",
)
@click.option(
    "--dense-epochs",
    type=click.IntRange(min=0),
    default=18,
    show_default=True,
    help="Dense training before the recipe, as real sparsification starts.",
)
@batch_size_option(32)
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
    type=ZooAwarePath(dir_okay=False, exists=True),
    help="A trained state dict to start from (skips dense training).",
)
@image_size_option(
    "Square input size of the YOLOv5 models (generated shapes, or --data "
    "images resized to it).",
    default=64,
)
@click.option(
    "--steps-per-epoch",
    type=click.IntRange(min=1),
    help="Train on the first N batches of every epoch (default: all of them).",
)
@click.option(
    "--bench",
    "bench_seconds",
    type=NON_NEGATIVE,
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
    type=POSITIVE,
    help="Retarget the recipe to EPOCHS dense epochs by the 90-epoch rule first "
    "(as recipe rescale, snapped to the run's steps); DIR/recipe.* is what runs.",
)
@var_option(
    "Override a recipe variable (written into DIR/recipe.*, as recipe compile does)."
)
@dialect_option
@click.option(
    "--dataset",
    type=click.Path(dir_okay=False),
    help="llm-compressor recipes: calibration text, a .txt file (cut into "
    '--max-seq-length windows) or .jsonl (a "text" a line); default: a seeded '
    "generated set of random token ids.",
)
@click.option(
    "--samples",
    type=click.IntRange(min=1),
    default=DEFAULT_SAMPLES,
    show_default=True,
    help="llm-compressor recipes: calibration sequences.",
)
@click.option(
    "--max-seq-length",
    type=click.IntRange(min=1),
    help=f"llm-compressor recipes: tokens a sequence, at most [default: "
    f"{DEFAULT_MAX_SEQ_LENGTH}, or the model's max_position_embeddings if less].",
)
@click.option(
    "--held-out",
    type=click.IntRange(min=1),
    default=DEFAULT_HELD_OUT,
    show_default=True,
    help="llm-compressor recipes: sequences kept out of calibration, on which "
    "the compressed model is compared with the dense one.",
)
@read_limits
def run_command(
    out: str | None, resume_dir: str | None, overwrite: bool, **options: Any
) -> int:
    """Train a model under the recipe with SparseML 1.8, export ONNX, report; or,
    for an llm-compressor recipe and --model DIR (a Hugging Face model folder),
    apply it with llm-compressor 0.14's oneshot and report what it did."""
    if (out is None) == (resume_dir is None):
        raise click.UsageError("give -o DIR for a new run, or --resume DIR")
    if _llm_recipe(options):
        from .llm_run import execute_llm_run

        return execute_llm_run(
            click.get_current_context(),
            options.pop("_recipe"),
            str(out),  # (with --resume instead, refused by name there)
            overwrite,
            options,
        )
    _sparseml_only(options)
    from ..runner.args import RunArgs

    folder = str(out or resume_dir)
    args = RunArgs(
        out=folder, resume=bool(resume_dir), limits=current_limits(), **options
    )
    _read_first(args)  # a recipe refused makes no folder
    if not _main_process():  # the main rank holds the folder for every rank
        return execute_run(args)
    if resume_dir and not os.path.isdir(resume_dir):
        raise Failure(f"recipe run: --resume {resume_dir}: no such folder")
    with locked_folder(folder):  # checked and written under one lock: two runs
        # into one folder cannot both pass the check
        if out and not overwrite and holds_files(out):
            raise Failure(
                f"recipe run: {out} already holds files (an earlier run's "
                f"report, recipe or checkpoint would be replaced): continue "
                f"that run with `--resume {out}`, start over in it with "
                "`--overwrite`, or give a new -o DIR"
            )
        return execute_run(args)


def _llm_recipe(options: dict[str, Any]) -> bool:
    """Whether the run is the LLM runner's (the recipe, read, kept in
    options["_recipe"]): a recipe that reads as llm-compressor's, or any recipe
    given with a Hugging Face model folder (a recipe that does not read is then
    refused with lint's errors, not as a model SparseML's runner lacks)."""
    from ..dialects.detect import resolve
    from ..model.llm.folder import is_llm_spec

    path = options["recipe"]
    if not os.path.isfile(path) or str(path).startswith("zoo:"):
        return False
    recipe = load_recipe("run", path, None, current_limits(), staged=True)
    model = options["model_name"]
    if (
        not (os.path.isdir(model) and is_llm_spec(model))
        and resolve(options["dialect"], recipe.root).dialect != "llm-compressor"
    ):
        return False
    options["_recipe"] = recipe
    return True


def _sparseml_only(options: dict[str, Any]) -> None:
    """A SparseML recipe: the LLM runner's options are refused by name."""
    from .llm_run import LLM_ONLY, given

    named = given(click.get_current_context(), LLM_ONLY)
    if named:
        raise Failure(
            f"recipe run: {', '.join(named)}: for llm-compressor recipes (run by "
            f"oneshot on --model DIR); {options['recipe']} is a SparseML recipe",
            EXIT_USAGE,
        )
    for key in ("dataset", "samples", "max_seq_length", "held_out", "dialect"):
        options.pop(key)


def _main_process() -> bool:
    """Under torchrun every rank runs this command; rank 0 makes the folder, so
    the others find it made (as YOLOv5, only the main process checks)."""
    return os.environ.get("RANK", "0") == "0"


def _read_first(args: RunArgs) -> None:
    """The recipe file, its format and `--var`, read as every command reads them,
    before anything is imported, made or trained (a resume reads its own copy)."""
    zoo_stub("run", args.recipe)
    zoo_stub("run", args.model_name, "pass a built-in model or a factory")
    if not args.resume:
        load_recipe("run", args.recipe, args.overrides, args.limits)


def execute_run(args: RunArgs) -> int:
    """Train as `args` says; the recipe was read first (`_read_first`)."""
    try:
        from ..runner.checkpoint import interrupted
        from ..runner.progress import StepBar
        from ..runner.train import RunError, run
    except ImportError as exc:
        raise no_runner("run", exc) from None
    try:
        report = run(
            args,
            progress=lambda line: click.echo(line, err=True),
            bar=StepBar(sys.stderr),
        )
    except RunError as exc:
        raise Failure(f"recipe run: {exc}", EXIT_PROBLEMS) from None
    except KeyboardInterrupt:
        raise Failure(f"\nrecipe run: {interrupted(args.out)}", 130) from None
    if report.onnx is not None:  # else another rank of a torchrun: the main reports
        click.echo(report.summary())
    return 0


Scenario = Literal["sync", "async"]


@dataclasses.dataclass(frozen=True)
class BenchSettings:
    models: tuple[str, ...]
    engines: tuple[str, ...] = ("onnxruntime", "deepsparse")
    batch_size: int = 1
    scenario: Scenario = "sync"
    seconds: float = 10.0
    fmt: Literal["text", "json"] = "text"


def _engines(ctx: Any, param: Any, value: str) -> tuple[str, ...]:
    chosen = tuple(e.strip() for e in value.split(",") if e.strip())
    unknown = sorted(set(chosen) - {"deepsparse", "onnxruntime"})
    if unknown or not chosen:
        raise click.BadParameter(
            f"{', '.join(unknown) or 'none given'}: use deepsparse and/or onnxruntime",
            param_hint="--engine",
        )
    return chosen


# `recipe bench` and `recipe sweep` time in the same engines
engine_option = click.option(
    "--engine",
    "engines",
    default="onnxruntime,deepsparse",
    show_default=True,
    callback=_engines,
    help="Comma-separated engines.",
)


@click.command()
@click.argument(
    "models", nargs=-1, required=True, type=ZooAwarePath(exists=True, dir_okay=False)
)
@engine_option
@batch_size_option(1)
@click.option(
    "--scenario",
    type=click.Choice(["sync", "async"]),
    default="sync",
    show_default=True,
    help="async: two concurrent callers (DeepSparse multi-stream).",
)
@click.option("--seconds", type=Number(0.01), default=10.0, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def bench(**options: Any) -> int:
    """Throughput and latency of ONNX MODELS in DeepSparse and onnxruntime.

    Pairs are timed in interleaved slices, so ratios within one run are fair on a
    noisy machine; `vs first` is each row over the first model's first engine.
    """
    return execute_bench(BenchSettings(**options))


def execute_bench(settings: BenchSettings) -> int:
    try:
        from ..runner.bench import BenchError, measure, table
    except ImportError as exc:
        raise no_runner("bench", exc) from None
    labels = [Path(m).name for m in settings.models]
    if len(set(labels)) < len(labels):
        labels = list(settings.models)
    try:
        rows = measure(
            dict(zip(labels, settings.models, strict=True)),
            engines=list(settings.engines),
            batch_size=settings.batch_size,
            seconds=settings.seconds,
            scenario=settings.scenario,
            progress=lambda line: click.echo(line, err=True),
        )
    except BenchError as exc:
        raise Failure(f"recipe bench: {exc}", EXIT_USAGE) from None
    click.echo(json.dumps(rows, indent=2) if settings.fmt == "json" else table(rows))
    return 0


@dataclasses.dataclass(frozen=True)
class SweepSettings:
    model: str
    out: str
    image_size: int = 640
    batch_size: int = 1
    seconds: float = 10.0
    weights: str | None = None
    calibration_batches: int = 4
    engines: tuple[str, ...] = ("onnxruntime", "deepsparse")
    fmt: Literal["text", "json"] = "text"


@click.command()
@runner_model_option(
    "digits-cnn, yolov5n/s/m/l/x, pkg.module:factory, or FILE.onnx (its FP32 variants)."
)
@image_size_option("Square input size of the YOLOv5 models.", default=640)
@batch_size_option(1)
@click.option(
    "--seconds",
    type=Number(0.01),
    default=10.0,
    show_default=True,
    help="Timing per model and engine, interleaved.",
)
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(file_okay=False),
    default="sweep",
    show_default=True,
    help="Folder for the variants, sweep.json and sweep.html.",
)
@click.option(
    "--overwrite", is_flag=True, help="Reuse an -o DIR that holds an earlier sweep."
)
@click.option(
    "--weights",
    type=click.Path(dir_okay=False, exists=True),
    help="A state dict to start from (default: random weights; speed turns on "
    "where the zeros are and the precision, not on the values).",
)
@click.option(
    "--calibration-batches",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Batches QAT's observers see before the INT8 export.",
)
@engine_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def sweep(overwrite: bool, **options: Any) -> int:
    """Which sparsity and precision pay off on this CPU, measured before training.

    Builds the model's variants in one shot with SparseML (dense FP32 and INT8;
    80/90/95% unstructured FP32; 80% unstructured + INT8; 90/95% block-4 + INT8),
    exports them as `recipe run` does, times them all interleaved in onnxruntime
    and DeepSparse, and names the fastest against dense FP32 in onnxruntime.
    """
    out = options["out"]
    if not overwrite and Path(out, "sweep.json").exists():
        raise Failure(
            f"recipe sweep: {out} holds an earlier sweep: give a new -o DIR or "
            "--overwrite"
        )
    model = options["model"]
    if model.endswith(".onnx") and not Path(model).is_file():
        raise Failure(f"recipe sweep: --model {model}: no such file", EXIT_USAGE)
    return execute_sweep(SweepSettings(**options))


def execute_sweep(settings: SweepSettings) -> int:
    zoo_stub("sweep", settings.model, "pass a built-in model, a factory or a file")
    try:
        from ..runner.bench import BenchError
        from ..runner.errors import RunError
        from ..runner.sweep import sweep as run_sweep
        from ..runner.sweep import text_table
    except ImportError as exc:
        raise no_runner("sweep", exc) from None
    progress = lambda line: click.echo(line, err=True)  # noqa: E731
    if not settings.weights and not settings.model.endswith(".onnx"):
        progress(
            "weights: random (speed turns on where the zeros are and the precision, "
            "not on the values)"
        )
    try:
        result = run_sweep(
            settings.model,
            settings.out,
            image_size=settings.image_size,
            batch_size=settings.batch_size,
            seconds=settings.seconds,
            weights=settings.weights,
            calibration_batches=settings.calibration_batches,
            engines=settings.engines,
            progress=progress,
        )
    except (RunError, BenchError) as exc:
        raise Failure(f"recipe sweep: {exc}", EXIT_USAGE) from None
    except KeyboardInterrupt:
        raise Failure("\nrecipe sweep: interrupted", 130) from None
    if settings.fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
        return 0
    cpu = result.cpu
    click.echo(f"{cpu['model']}, {cpu['cores']} cores, {cpu['isa']}")
    click.echo(text_table(result))
    out = Path(settings.out)
    click.echo(f"wrote {out / 'sweep.json'} and {out / 'sweep.html'}")
    click.echo(result.fastest_line())
    return 0
