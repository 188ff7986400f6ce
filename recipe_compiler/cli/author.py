"""`recipe new`: a recipe from a template, checked before it is written;
`recipe diff`: what differs between two recipes as SparseML runs them."""

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
    load_model,
    lr_pair,
    model_option,
    read_limits,
    steps_option,
    var_option,
)

DEFAULTS = {
    "epochs": 90.0,
    "final_sparsity": 0.8,
    "init_sparsity": 0.05,
    "lr": (0.01, 0.0001),
    "mask": "unstructured",
}


@dataclasses.dataclass(frozen=True)
class NewSettings:
    template: str
    output: str | None = None
    epochs: float = 90.0
    final_sparsity: float = 0.8
    init_sparsity: float = 0.05
    lr: tuple[float, float] | None = None
    mask: str = "unstructured"
    model: str | None = None
    format: Literal["yaml", "md"] | None = None
    spe: int | None = None
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    notes: str | None = None
    force: bool = False
    from_sweep: str | None = None
    chosen: str = ""  # what --from-sweep chose, for the card


@click.command()
@click.option(
    "-t",
    "--template",
    type=click.Choice(("gmp", "gmp-qat", "qat", "transfer")),
    help="gmp: prune then fine-tune; gmp-qat: then INT8; qat: INT8 only; "
    "transfer: keep a sparse checkpoint's zeros on new data, then INT8.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here.")
@click.option(
    "--epochs",
    type=POSITIVE,
    default=90,
    show_default=True,
    help="The dense run's length: the 90-epoch rule gives the windows.",
)
@click.option(
    "--final-sparsity",
    type=click.FloatRange(0, 1, max_open=True),
    default=0.8,
    show_default=True,
)
@click.option(
    "--init-sparsity",
    type=click.FloatRange(0, 1, max_open=True),
    default=0.05,
    show_default=True,
)
@click.option(
    "--lr",
    metavar="INIT:FINAL",
    callback=lr_pair,
    help="The dense run's LRs (default 0.01:0.0001): pruning at their midpoint, "
    "fine-tuning a cosine down to FINAL.",
)
@click.option(
    "--mask",
    type=click.Choice(("unstructured", "block4")),
    default="unstructured",
    show_default=True,
)
@model_option
@click.option(
    "--format",
    type=click.Choice(("yaml", "md")),
    help="yaml, or md (YAML front matter and a card); default from -o's suffix.",
)
@steps_option("Windows of whole steps at this many steps an epoch.", default=None)
@var_option("Set one of the template's variables (repeatable).")
@click.option(
    "--notes",
    type=click.Path(dir_okay=False, exists=True),
    help="Markdown appended to the card (measured figures, say).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing -o file.")
@click.option(
    "--from-sweep",
    type=click.Path(dir_okay=False, exists=True),
    help="Take the template, mask and final sparsity from the fastest variant of a "
    "recipe sweep's sweep.json (options given explicitly win).",
)
@click.pass_context
def new(ctx: click.Context, **options: Any) -> int:
    """Write a recipe from a template, by the 90-epoch rule."""
    if options["from_sweep"]:
        options |= from_sweep(ctx, options["from_sweep"])
    elif options["template"] is None:
        raise click.UsageError("give -t/--template, or --from-sweep sweep.json")
    return execute_new(NewSettings(**options))


def from_sweep(ctx: click.Context, path: str) -> dict[str, Any]:
    """The options a sweep's fastest variant stands for; explicit ones are kept."""
    from ..hardware.measured import TargetError, load

    try:
        target = load(path)
    except TargetError as exc:
        raise Failure(f"recipe new: --from-sweep {exc}", EXIT_USAGE) from None
    best = target.fastest
    assert best is not None  # load refuses a sweep without variants
    variant, engine, ratio = best
    where = (
        f"{variant.name} in {engine} at {ratio:.2f}x dense FP32 onnxruntime, on "
        f"{target.cpu.describe()} (recipe sweep of {target.model or 'a model'}, "
        f"{path})"
    )
    if not variant.sparsity and not variant.int8:
        raise Failure(
            f"recipe new: the fastest variant in {path} is dense FP32 ({where}): "
            "neither sparsity nor INT8 paid off there; pass -t/--template to write "
            "one anyway",
            EXIT_PROBLEMS,
        )
    template = (
        "gmp-qat"
        if variant.sparsity and variant.int8
        else ("qat" if variant.int8 else "gmp")
    )
    chosen = {
        "template": template,
        "mask": variant.mask,
        "final_sparsity": variant.sparsity or DEFAULTS["final_sparsity"],
    }
    explicit = {
        name
        for name in chosen
        if ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
    }
    click.echo(f"recipe new: the fastest variant: {where}", err=True)
    return {k: v for k, v in chosen.items() if k not in explicit} | {
        "chosen": f"Chosen by `recipe new --from-sweep`: {where}."
    }


def command_line(s: NewSettings, fmt: str) -> str:
    """The options that made it, in one order, defaults left out: the header
    records it and running it again gives the same file."""
    parts = ["recipe new", f"--template {s.template}"]
    if s.model:
        parts.append(f"--model {s.model}")
    for name in ("epochs", "final_sparsity", "init_sparsity"):
        value = getattr(s, name)
        if value != DEFAULTS[name]:
            parts.append(f"--{name.replace('_', '-')} {value:g}")
    if s.lr is not None and s.lr != DEFAULTS["lr"]:
        parts.append(f"--lr {s.lr[0]:g}:{s.lr[1]:g}")
    if s.mask != DEFAULTS["mask"]:
        parts.append(f"--mask {s.mask}")
    if s.spe:
        parts.append(f"--steps-per-epoch {s.spe}")
    parts += [f"--var {k}={v}" for k, v in sorted(s.overrides.items())]
    if s.notes:
        parts.append(f"--notes {s.notes}")
    if s.from_sweep:
        parts.append(f"--from-sweep {s.from_sweep}")
    parts.append(f"--format {fmt}")
    if s.output:
        parts.append(f"-o {s.output}")
    return " ".join(parts)


def execute_new(s: NewSettings) -> int:
    from ..edit.new import AuthoringError, Spec, render
    from ..fileio import write_atomic
    from ..linter.engine import lint_recipe
    from ..loader import source
    from ..loader.recipe import from_source
    from ..problems import errors

    fmt = s.format or (source.kind_of(s.output) if s.output else "yaml")
    if s.output and Path(s.output).exists() and not s.force:
        raise Failure(
            f"recipe new: {s.output} exists; pass --force to overwrite it", EXIT_USAGE
        )
    bad = {k: v for k, v in s.overrides.items() if not isinstance(v, int | float)}
    if bad:
        raise Failure(
            "recipe new: --var values are numbers here: "
            + ", ".join(f"{k}={v!r}" for k, v in bad.items()),
            EXIT_USAGE,
        )
    net = load_model("new", s.model)
    spec = Spec(
        template=s.template,  # type: ignore[arg-type]  # click.Choice checked it
        epochs=float(s.epochs),
        final_sparsity=s.final_sparsity,
        init_sparsity=s.init_sparsity,
        lr=s.lr or DEFAULTS["lr"],  # type: ignore[arg-type]
        mask=s.mask,
        model=s.model,
        format=fmt,
        steps_per_epoch=s.spe,
        values=tuple((k, float(v)) for k, v in s.overrides.items()),
        notes="\n\n".join(
            n
            for n in (
                s.chosen,
                Path(s.notes).read_text(encoding="utf-8") if s.notes else "",
            )
            if n
        ),
        command=command_line(s, fmt),
    )
    try:
        text = render(spec, net, s.output)
    except AuthoringError as exc:
        raise Failure(f"recipe new: {exc}", EXIT_USAGE) from None
    name = s.output or f"<new>.{fmt}"
    recipe = from_source(source.from_text(text, name, fmt))
    spe = s.spe or DEFAULT_STEPS_PER_EPOCH
    found = lint_recipe(recipe, None, spe, net).problems
    if errors(found):  # --var values can make one; the templates alone do not
        listed = "\n".join(f"  {p}" for p in errors(found))
        raise Failure(
            f"recipe new: the recipe these options make fails in SparseML:\n{listed}",
            EXIT_PROBLEMS,
        )
    for p in found:
        if p.severity == "warning":
            click.echo(f"recipe new: {p}", err=True)
    if s.output:
        write_atomic(s.output, text)
        click.echo(f"recipe new: wrote {s.output}", err=True)
    else:
        click.echo(text, nl=False)
    return 0


@dataclasses.dataclass(frozen=True)
class DiffSettings:
    a: str
    b: str
    format: Literal["text", "json"] = "text"
    spe: int = DEFAULT_STEPS_PER_EPOCH
    plan: bool = False
    dialect: str | None = None  # None: the config's, else auto


@click.command("diff")
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@click.option(
    "--format", type=click.Choice(("text", "json")), default="text", show_default=True
)
@steps_option("Compare the schedules at this many steps an epoch.")
@click.option("--plan", is_flag=True, help="Print the first step the plans differ.")
@dialect_option
@read_limits
def diff_command(**options: Any) -> int:
    """What differs between recipes A and B (exit 0: equivalent, 1: different)."""
    return execute_diff(DiffSettings(**options))


def execute_diff(s: DiffSettings) -> int:
    import json

    from ..problems import errors
    from ..views.diff import as_text, diff
    from .common import load_recipe, refuse_staged

    a = load_recipe("diff", s.a, staged=True)
    b = load_recipe("diff", s.b, staged=True)
    staged = _staged_diff(s, a, b)
    if staged is not None:
        return staged
    refuse_staged("diff", a)
    refuse_staged("diff", b)
    for name, r in ((s.a, a), (s.b, b)):
        unreadable = [p for p in errors(r.problems) if p.code in ("RC000", "RC008")]
        if unreadable or r.root is None:
            why = f"{name}: no recipe in it"
            if unreadable:
                why = unreadable[0].described()
            raise Failure(f"recipe diff: {why}")
    d = diff(a, b, s.spe)
    if s.format == "json":
        click.echo(json.dumps({"a": s.a, "b": s.b, **d.to_dict()}, indent=2))
    else:
        click.echo(as_text(d, s.a, s.b, steps=s.plan))
    return 0 if d.equivalent else EXIT_PROBLEMS


def _staged_diff(s: DiffSettings, a: Any, b: Any) -> int | None:
    """Two recipes read as llm-compressor's: their modifiers compared (exit 0
    when oneshot would do the same, 1 when not); one of them refused by the
    engine is said with its problems (exit 1). None when either is another
    dialect's."""
    import json

    from ..dialects.detect import resolve
    from ..dialects.llmcompressor.reader import read
    from ..dialects.sparsemlcore.reader import read as core_read
    from ..views.staged_diff import as_text, staged_diff
    from .common import lint_config, refuse_errors

    cfg = lint_config("diff", None)
    setting = s.dialect or cfg.dialect
    choices: list[str] = [resolve(setting, r.root).dialect.value for r in (a, b)]
    staged = ("llm-compressor", "sparseml-core")
    if setting in (None, "auto") and set(choices) == set(staged):
        # one uses what only SparseML reads: the other is SparseML's too
        choices = ["sparseml-core", "sparseml-core"]
    if choices[0] != choices[1] or choices[0] not in staged:
        if set(choices) & set(staged):
            raise Failure(
                f"recipe diff: {s.a} and {s.b} are read as {choices[0]} and "
                f"{choices[1]}: compare recipes of one engine",
                EXIT_USAGE,
            )
        return None
    dialect = choices[0]
    reader = read if dialect == "llm-compressor" else core_read
    reads = [reader(r.root) for r in (a, b)]
    for r, walked in zip((a, b), reads, strict=True):
        if walked.refused is not None:
            from dataclasses import replace

            from ..linter.engine import lint_recipe

            refuse_errors(lint_recipe(r, replace(cfg, dialect=dialect)).problems)
    if s.plan:
        raise Failure(
            f"recipe diff: --plan compares SparseML's legacy schedules; {dialect} "
            "recipes are compared by their modifiers",
            EXIT_USAGE,
        )
    d = staged_diff(reads[0], reads[1], dialect)
    if s.format == "json":
        click.echo(
            json.dumps(
                {
                    "a": s.a,
                    "b": s.b,
                    "dialect": dialect,
                    "equivalent": d.equivalent,
                    "only_a": [m.name for m in d.only_a],
                    "only_b": [m.name for m in d.only_b],
                    "changed": [
                        {"modifier": m.name, "changes": said}
                        for m, _, said in d.changed
                    ],
                    "moved": [
                        {"modifier": m.name, "from": m.stage, "to": n.stage}
                        for m, n in d.moved
                    ],
                },
                indent=2,
            )
        )
    else:
        click.echo(as_text(d, s.a, s.b, dialect))
    return 0 if d.equivalent else EXIT_PROBLEMS
