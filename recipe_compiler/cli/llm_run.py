"""`recipe run RECIPE --model DIR -o OUT` for an llm-compressor recipe: the LLM
runner (`runner/llm/`), with llm-compressor 0.14 from the `llm` extra.

Options -> settings (`LLMRunArgs`) -> preflight (lint against the model folder,
the calibration file read; no torch) -> the folder locked and checked -> run ->
the summary. The SparseML runner's options have no meaning here and are refused
by name, as the LLM options are for a SparseML recipe."""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

import click

from .common import EXIT_PROBLEMS, EXIT_USAGE, Failure, holds_files, locked_folder

# (the option, its parameter name): the SparseML runner's, refused here
SPARSEML_ONLY = (
    ("--resume", "resume_dir"),
    ("--dense-epochs", "dense_epochs"),
    ("--batch-size", "batch_size"),
    ("--data", "data"),
    ("--static-batch", "static_batch"),
    ("--weights", "weights"),
    ("--image-size", "image_size"),
    ("--steps-per-epoch", "steps_per_epoch"),
    ("--bench", "bench_seconds"),
    ("--rescale", "rescale_to"),
    ("--var", "overrides"),
)
LLM_ONLY = (
    ("--dataset", "dataset"),
    ("--samples", "samples"),
    ("--max-seq-length", "max_seq_length"),
    ("--held-out", "held_out"),
)

INSTALL = (
    "recipe run: llm-compressor recipes run with llm-compressor 0.14, not installed "
    "here: pip install 'recipe-compiler[llm]' into an environment of its own "
    "(llm-compressor needs numpy 2, the runner extra numpy < 2)"
)


def given(ctx: click.Context, names: tuple[tuple[str, str], ...]) -> list[str]:
    """The options of `names` the user wrote on the command line."""
    from click.core import ParameterSource

    return [
        flag
        for flag, param in names
        if ctx.get_parameter_source(param) not in (ParameterSource.DEFAULT, None)
    ]


def execute_llm_run(
    ctx: click.Context, recipe: Any, out: str, overwrite: bool, options: dict
) -> int:
    from ..runner.llm.args import LLMRunArgs
    from ..runner.llm.preflight import Refused, preflight
    from .common import current_limits

    foreign = given(ctx, SPARSEML_ONLY)
    if foreign:
        raise Failure(
            f"recipe run: {', '.join(foreign)}: for SparseML recipes; {recipe.path} "
            "is llm-compressor's, run by oneshot (its options: --model DIR, "
            "--dataset, --samples, --max-seq-length, --held-out, --seed)",
            EXIT_USAGE,
        )
    if given(ctx, (("--model", "model_name"),)) == []:
        raise Failure(
            f"recipe run: {recipe.path} is llm-compressor's: give --model DIR (the "
            "Hugging Face model folder it is for) and -o OUT",
            EXIT_USAGE,
        )
    args = LLMRunArgs(
        recipe=recipe.path,
        model=options["model_name"],
        out=out,
        dataset=options["dataset"],
        samples=options["samples"],
        max_seq_length=options["max_seq_length"],
        held_out=options["held_out"],
        seed=options["seed"],
        dialect=options["dialect"],
        limits=current_limits(),
    )
    try:
        pre = preflight(recipe, args)
    except Refused as exc:
        raise Failure(
            f"recipe run: {exc}", EXIT_PROBLEMS if exc.lint else EXIT_USAGE
        ) from None
    for p in pre.problems:
        click.echo(f"recipe run: {p.described()}", err=True)
    if importlib.util.find_spec("llmcompressor") is None:
        raise Failure(INSTALL)

    with locked_folder(out):
        if not overwrite and holds_files(out):
            raise Failure(
                f"recipe run: {out} already holds files (an earlier run's report or "
                "checkpoint would be replaced): start over in it with `--overwrite`, "
                "or give a new -o DIR"
            )
        return _run(pre)


def _run(pre: Any) -> int:
    from ..runner.errors import RunError
    from ..runner.llm.calibration import DatasetError
    from ..runner.llm.report import summary
    from ..runner.llm.run import INCOMPLETE, run

    args = pre.args

    def echo(line: str) -> None:
        click.echo(line, err=True)

    try:
        doc = run(pre, echo)
    except RunError as exc:
        raise Failure(f"recipe run: {exc}", EXIT_PROBLEMS) from None
    except DatasetError as exc:  # (known once tokenized: too short for a window)
        raise Failure(f"recipe run: {exc}", EXIT_USAGE) from None
    except KeyboardInterrupt:
        raise Failure(
            f"\nrecipe run: interrupted; {args.out} holds no finished run "
            f"({args.out}/{INCOMPLETE} says so): start again with --overwrite",
            130,
        ) from None
    click.echo(summary(doc))
    sys.stdout.flush()
    return 0
