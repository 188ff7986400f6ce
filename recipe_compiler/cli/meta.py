"""`recipe rules` and `recipe schema`: what the tool knows, as docs and JSON Schema."""

from __future__ import annotations

from pathlib import Path

import click

from .common import EXIT_PROBLEMS, Failure


@click.command()
@click.option("--markdown", is_flag=True, help="Print docs/rules.md.")
def rules(markdown: bool) -> int:
    """List every problem code with its name, default severity and summary."""
    from ..lint import docs

    if markdown:
        click.echo(docs.render(), nl=False)
        return 0
    for code, name, sev, summary in docs.table():
        click.echo(f"{code}  {name:<30} {sev:<8} {summary}")
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
def schema(output: str, check: bool) -> int:
    """Write the JSON Schema of the recipe format, generated from the models."""
    from ..fileio import write_atomic
    from ..schema import render

    text = render()
    if check:
        path = Path(output)
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            raise Failure(
                f"{output} is out of date: run `recipe schema`", EXIT_PROBLEMS
            )
        return 0
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(output, text)
    click.echo(f"wrote {output}", err=True)
    return 0
