"""`recipe rules` and `recipe schema`: what the tool knows, as docs and JSON Schema."""

from __future__ import annotations

from pathlib import Path

import click

from .common import EXIT_PROBLEMS, Failure


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="json: each code with the engine that fails on it and where; markdown: "
    "docs/rules.md.",
)
@click.option("--markdown", is_flag=True, hidden=True, help="= --format markdown")
def rules(fmt: str, markdown: bool) -> int:
    """List every problem code with its name, default severity, summary and, for an
    error, the SparseML stage that fails (load, initialize or step)."""
    import json

    from ..linter import docs

    if markdown or fmt == "markdown":
        click.echo(docs.render(), nl=False)
        return 0
    if fmt == "json":
        click.echo(json.dumps(docs.catalogue(), indent=2))
        return 0
    for row in docs.catalogue():
        fails = ", ".join(
            f"{f['stage']}: {f['exception']}" if f["exception"] else str(f["stage"])
            for f in row["sparseml"]  # type: ignore[attr-defined]
        )
        line = f"{row['code']}  {row['name']:<30} {row['severity']:<8} {row['summary']}"
        click.echo(line + (f"  [{fails}]" if fails else ""))
    return 0


@click.command("rule")
@click.argument("code", metavar="CODE")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
def rule(code: str, fmt: str) -> int:
    """One rule's documentation, SparseML stage and examples (as `ruff rule`)."""
    import json

    from ..linter import docs

    found = docs.one(code)
    if found is None:
        raise Failure(
            f"recipe rule: no such code or rule name: {code!r} (`recipe rules` "
            "lists them)"
        )
    if fmt == "json":
        click.echo(json.dumps(found, indent=2))
        return 0
    lines = [
        f"# {found['code']} {found['name']} ({found['severity']})",
        "",
        str(found["summary"]),
    ]
    fails = found["engine_fails"]
    if fails:
        stages = ", ".join(
            f"{f['stage']}: {f['exception']}" if f["exception"] else str(f["stage"])
            for f in fails  # type: ignore[attr-defined]
        )
        engine = {
            "sparseml": "SparseML 1.8",
            "sparseml.core": "SparseML 1.8's sparseml.core",
        }.get(str(found["engine"]), "llm-compressor 0.14")
        lines += ["", f"{engine} fails at: {stages}"]
    if found["doc"]:
        lines += ["", str(found["doc"])]
    for key, label in (("passes", "Passes"), ("fails", "Fails")):
        if found[key]:
            lines += ["", f"{label}: {found[key]}"]
    click.echo("\n".join(lines))
    return 0


@click.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default="schemas/recipe.schema.json",
    show_default=True,
)
@click.option("--check", is_flag=True, help="Exit 1 if the file is out of date.")
@click.option(
    "--custom-tags",
    is_flag=True,
    help="Print the YAML language server's yaml.customTags (every modifier tag) "
    "as JSON instead.",
)
def schema(output: str, check: bool, custom_tags: bool) -> int:
    """Write the JSON Schema of the recipe format, generated from the models."""
    from ..dialects.schema import render
    from ..fileio import WriteError, why_not_written, write_atomic
    from ..modifiers.schema import custom_tags as tags

    if custom_tags:
        import json

        click.echo(json.dumps(tags(), indent=2))
        return 0
    text = render()
    if check:
        path = Path(output)
        written = "" if output == "schemas/recipe.schema.json" else f" -o {output}"
        if not path.is_file():
            raise Failure(
                f"{output} is missing: run `recipe schema{written}`", EXIT_PROBLEMS
            )
        if path.read_text(encoding="utf-8") != text:
            raise Failure(
                f"{output} is out of date: run `recipe schema{written}`", EXIT_PROBLEMS
            )
        return 0
    try:  # its default output is a repository path: made if missing
        Path(output).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(output, why_not_written(exc, Path(output))) from None
    write_atomic(output, text)
    click.echo(f"wrote {output}", err=True)
    return 0


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: the keys of docs/doctor.md.",
)
@click.option(
    "--no-engine",
    is_flag=True,
    help="Do not ask DeepSparse to detect the CPU (it takes seconds).",
)
def doctor(fmt: str, no_engine: bool) -> int:
    """The environment a recipe will run in: Python and the runner's packages, the
    CPU and the ISA features DeepSparse's speed turns on, what DeepSparse 1.8 says
    about INT8 and sparsity on it, analytics, and the runner's compat fixes."""
    import json

    from .. import doctor as module

    doc = module.report(engine=not no_engine)
    click.echo(json.dumps(doc, indent=2) if fmt == "json" else module.text(doc))
    return 0
