"""What the command modules share: exit codes, the one failure type, option types
and the few steps every command that reads a recipe takes."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import click

from ..loader.source import Limits
from ..problems import Problem, errors
from ..schedule.clock import DEFAULT_STEPS_PER_EPOCH

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
F = TypeVar("F", bound=Callable[..., Any])


ZOO = "zoo:"


def zoo_stub(command: str, value: str | None, instead: str = "pass its path") -> None:
    """SparseZoo stubs (`zoo:cv/detection/...`), which the guide uses for recipes
    and models, answered in one line: SparseZoo is end-of-life and this tool
    works offline, so the user downloads the file and passes its path."""
    if value is not None and str(value).startswith(ZOO):
        raise Failure(
            f"recipe {command}: {value} is a SparseZoo stub: SparseZoo is end-of-life "
            f"and recipe-compiler works offline; download the file and {instead}"
        )


class ZooAwarePath(click.Path):
    """click.Path that answers a `zoo:` stub before it looks for a file."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        command = ctx.info_name if ctx is not None else "recipe"
        zoo_stub(str(command), value if isinstance(value, str) else None)
        return super().convert(value, param, ctx)


class Failure(click.ClickException):
    """The command cannot go on: `message` goes to stderr as is, then exit `code`."""

    def __init__(self, message: str, code: int = EXIT_USAGE):
        super().__init__(message)
        self.exit_code = code  # type: ignore[misc]  # click's is a class default

    def show(self, file: Any = None) -> None:
        click.echo(self.message, err=True)


def parse_var(values: Iterable[str]) -> dict[str, Any]:
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


def var_option(help_text: str) -> Callable[[F], F]:
    """`--var NAME=VALUE`, repeatable: an override of a recipe variable, parsed."""
    return click.option(
        "--var",
        "overrides",
        multiple=True,
        metavar="NAME=VALUE",
        help=help_text,
        callback=lambda ctx, param, value: parse_var(value),
    )


def steps_option(help_text: str, **kw: Any) -> Callable[[F], F]:
    """`--steps-per-epoch N`: optimizer steps per epoch (SparseML's clock)."""
    kw.setdefault("default", DEFAULT_STEPS_PER_EPOCH)
    kw.setdefault("show_default", kw["default"] is not None)
    return click.option(
        "--steps-per-epoch", "spe", type=click.IntRange(min=1), help=help_text, **kw
    )


def image_size_option(help_text: str, default: int | None = None) -> Callable[[F], F]:
    """`--image-size N`: the square input of the YOLOv5 models (32 or more); each
    command has its own default (the tables' 64 for MAC counts, 64 for a quick
    run on generated shapes, 640 for a sweep's real speed)."""
    return click.option(
        "--image-size",
        type=click.IntRange(min=32),
        default=default,
        show_default=default is not None,
        help=help_text,
    )


def batch_size_option(default: int, help_text: str | None = None) -> Callable[[F], F]:
    """`--batch-size N` (1 or more)."""
    return click.option(
        "--batch-size",
        type=click.IntRange(min=1),
        default=default,
        show_default=True,
        help=help_text,
    )


def runner_model_option(
    help_text: str, dest: str = "model", default: str | None = None
) -> Callable[[F], F]:
    """`--model M` of the runner's commands: a model to build (a built-in name or
    `pkg.module:factory`), required unless it has a default. (`model_option` is
    lint's: a network to check names against.)"""
    return click.option(
        "--model",
        dest,
        default=default,
        required=default is None,
        show_default=default is not None,
        help=help_text,
    )


LIMIT_HELP = {
    "max_bytes": "Largest recipe file read, in bytes.",
    "max_nodes": "Most YAML nodes, counting what aliases repeat.",
    "max_depth": "Deepest nesting of mappings and lists.",
    "max_expression_chars": "Longest eval(...) expression.",
    "max_int_bits": "Largest integer an eval(...) may compute, in bits.",
}


def _limit_flags(f: F, **kw: Any) -> F:
    """One option per field of `Limits` (what a recipe may cost)."""
    for field in reversed(dataclasses.fields(Limits)):
        f = click.option(
            "--" + field.name.replace("_", "-"),
            field.name,
            type=click.IntRange(min=1),
            default=field.default,
            show_default=True,
            help=LIMIT_HELP[field.name],
            **kw,
        )(f)
    return f


def limit_options(f: F) -> F:
    """The limits, gathered into one `limits` argument (`recipe lint`)."""
    names = [field.name for field in dataclasses.fields(Limits)]
    f = _limit_flags(f)

    @functools.wraps(f)
    def wrapped(*args: Any, **kw: Any) -> Any:
        kw["limits"] = Limits(**{n: kw.pop(n) for n in names})
        return f(*args, **kw)

    return wrapped  # type: ignore[return-value]


def read_limits(f: F) -> F:
    """The limits on a command that reads recipes through `load_recipe` (kept in
    the click context): the same bounds as `recipe lint`'s, so what a recipe may
    cost (and the hints that name these flags) hold in every command."""

    def keep(ctx: click.Context, param: click.Parameter, value: int) -> int:
        ctx.meta.setdefault("limits", {})[param.name] = value
        return value

    return _limit_flags(f, expose_value=False, callback=keep)


def current_limits() -> Limits | None:
    """The limits `read_limits` gathered for the running command, if any."""
    ctx = click.get_current_context(silent=True)
    given = ctx.meta.get("limits") if ctx is not None else None
    return Limits(**given) if given else None


class Number(click.ParamType):
    """A finite float in a range: click's FloatRange lets nan and inf through."""

    name = "number"

    def __init__(self, low: float = -math.inf, open_low: bool = False) -> None:
        self.low, self.open_low = low, open_low

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        try:
            x = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(x):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if x < self.low or (self.open_low and x == self.low):
            what = "greater than" if self.open_low else "at least"
            self.fail(f"{value!r} must be {what} {self.low:g}", param, ctx)
        return x


POSITIVE = Number(0.0, open_low=True)
NON_NEGATIVE = Number(0.0)


def lr_pair(ctx: Any, param: Any, value: str | None) -> tuple[float, float] | None:
    """`--lr INIT:FINAL`, the dense run's learning rates: SparseML takes an LR in
    (0, 1] to start from and a final one in [0, 1]."""
    if value is None:
        return None
    try:
        a, b = (float(x) for x in value.split(":"))
    except ValueError:
        raise click.BadParameter(
            "use INIT:FINAL, e.g. 0.01:0.0001", param_hint="--lr"
        ) from None
    if not (0 < a <= 1 and 0 <= b <= 1):
        raise click.BadParameter(
            f"{value}: INIT must be in (0, 1] and FINAL in [0, 1], as SparseML "
            "takes learning rates",
            param_hint="--lr",
        )
    return a, b


def load_recipe(
    command: str,
    path: str,
    overrides: dict[str, Any] | None = None,
    limits: Limits | None = None,
    staged: bool = False,
) -> Any:
    """The recipe at `path`, or a Failure naming the command (exit 2); a staged
    recipe too when the command reads them (`staged`)."""
    from ..loader.recipe import OverrideError, load

    zoo_stub(command, path)
    if not os.path.exists(path):
        raise Failure(f"recipe {command}: no such file: {path}")
    if os.path.isdir(path):
        raise Failure(f"recipe {command}: {path} is a folder; name a recipe file")
    try:
        recipe = load(path, overrides or {}, limits or current_limits(), text=False)
    except OverrideError as exc:
        raise Failure(f"recipe {command}: {exc}") from None
    if not staged:
        refuse_staged(command, recipe)
    return recipe


def refuse_staged(command: str, recipe: Any) -> None:
    """A staged recipe (sparseml.core, llm-compressor) is named and refused (exit
    2): no command plans, writes or runs it as the empty recipe SparseML's legacy
    loader makes of it."""
    from ..loader.staged import staged_form

    form = staged_form(recipe.root)
    if form is not None:
        raise Failure(
            f"recipe {command}: {recipe.path} is {form.describe()}. Run it with "
            "the engine it is written for: sparseml.core's oneshot or train, or, "
            "read as llm-compressor's, `recipe run RECIPE --model DIR` (`recipe "
            "migrate` writes one from a sparseml.core recipe)"
        )


def refuse_errors(problems: Iterable[Problem]) -> None:
    """Commands other than lint refuse a recipe with errors, listing them briefly."""
    found = errors(problems)
    if found:
        raise Failure("\n".join(p.described() for p in found), EXIT_PROBLEMS)


def lint_config(command: str, path: str | None = None) -> Any:
    """The lint config `recipe lint` would use here: `path`, else the nearest
    .recipelint.yaml; a broken one is a Failure (exit 2)."""
    from pathlib import Path

    from ..linter import config

    try:
        return config.load(Path(path) if path else config.find())
    except config.ConfigError as exc:
        raise Failure(f"recipe {command}: {exc}") from None


def config_option(f: F) -> F:
    """`--config FILE`: the lint config, as `recipe lint` takes it."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        help="Lint config (default: .recipelint.yaml here or above).",
    )(f)


def refuse_lint_errors(
    command: str, recipe: Any, spe: int, cfg: Any, what: str = "the recipe"
) -> None:
    """A recipe `recipe lint` calls an error (with this config, schedule rules at
    `spe` steps per epoch) is neither read on nor written: a Failure listing them."""
    from ..linter.engine import lint_recipe

    found = errors(lint_recipe(recipe, cfg, spe).problems)
    if found:
        raise Failure(
            f"recipe {command}: nothing written: {what} has " + lint_errors(found, spe),
            EXIT_PROBLEMS,
        )


def lint_errors(found: list[Any], spe: int, indent: str = "") -> str:
    """`2 errors by `recipe lint --steps-per-epoch 100``, then one per line: what
    every command that refuses to write says, so the user can rerun that lint."""
    listed = "".join("\n" + p.described(indent) for p in found)
    return (
        f"{len(found)} error{'s' * (len(found) != 1)} by `recipe lint "
        f"--steps-per-epoch {spe}`:{listed}"
    )


def dialect_option(f: F) -> F:
    """`--dialect`: the engine the recipe is for (docs/dialects.md)."""
    return click.option(
        "--dialect",
        type=click.Choice(["auto", "sparseml", "sparseml-core", "llm-compressor"]),
        help="The engine the recipes are written for. auto (the default, or the "
        "config's dialect): SparseML's legacy loader for !Tags or a modifiers list; "
        "a staged recipe as llm-compressor's unless it uses eval(...) (SparseML "
        "1.8's sparseml.core).",
    )(f)


def model_option(f: F) -> F:
    """`--model M`: resolve the recipe's names against this network."""
    return click.option(
        "--model",
        metavar="MODEL",
        help="Check names against this model: a built-in one (digits-cnn, "
        "yolov5n|s|m|l|x, as recipe run builds them), an ONNX file (read with onnx) "
        "or pkg.module:factory (the runner's factory protocol; needs the runner "
        "extra); for llm-compressor recipes (lint, show), a Hugging Face model "
        "folder or its config.json (no weights needed).",
    )(f)


def load_model(
    command: str, spec: str | None, config: str | None = None, llm: bool = False
) -> Any:
    """The network `--model` (or the `model` of the config at `config`) names, or
    a Failure (exit 2) saying what to pass; a Hugging Face model folder (an LLM)
    where the command reads one (`llm`)."""
    if spec is None:
        return None
    from ..model.llm.folder import LLMError, is_llm_spec, load_llm

    if is_llm_spec(spec):
        if not llm:
            raise Failure(
                f"recipe {command}: --model {spec} is a Hugging Face model folder: "
                "`recipe lint`, `show` and `preview` read one, for llm-compressor "
                "recipes",
                EXIT_USAGE,
            )
        try:
            return load_llm(spec)
        except LLMError as exc:
            raise Failure(f"recipe {command}: {exc}", EXIT_USAGE) from None
    zoo_stub(command, spec, "pass the ONNX file's path, or a built-in model or factory")
    from ..model.network import NetworkError, named_by
    from ..model.sources import load_network

    try:
        return load_network(spec)
    except NetworkError as exc:
        raise Failure(
            f"recipe {command}: {named_by(exc, config)}", EXIT_USAGE
        ) from None


def no_runner(command: str, exc: ImportError) -> Failure:
    """The commands that need torch and sparseml name the extra that brings them."""
    return Failure(
        f"recipe {command}: the runner extra is not installed ({exc}): "
        "pip install 'recipe-compiler[runner]'"
    )


def holds_files(folder: str) -> bool:
    """Whether a run folder holds anything but its lock."""
    from ..fileio import LOCK_NAME

    return os.path.isdir(folder) and any(
        entry.name != LOCK_NAME for entry in os.scandir(folder)
    )


@contextlib.contextmanager
def locked_folder(folder: str) -> Iterator[None]:
    """`folder` held by this run (made if missing), or a Failure naming the
    process that holds it."""
    from ..fileio import Locked, folder_lock

    try:
        with folder_lock(folder):
            yield
    except Locked as exc:
        raise Failure(
            f"recipe run: {exc}: another run is writing there; wait for it to "
            "finish, or give another -o DIR"
        ) from None
