"""`recipe serve`: DeepSparse's server on a run's deploy folder (no torch)."""

from __future__ import annotations

from typing import Any

import click

from .common import EXIT_PROBLEMS, Failure


@click.command()
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False, exists=True))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port", type=click.IntRange(min=1, max=65535), default=5543, show_default=True
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="DeepSparse's num_workers: engine streams the cores are split between "
    "(default: DeepSparse's).",
)
@click.option(
    "--max-request-mb",
    type=click.FloatRange(min=0.001),
    default=64.0,
    show_default=True,
    help="Refuse request bodies larger than this (413).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=600.0,
    show_default=True,
    help="Seconds to wait for the server to be ready (it compiles the model).",
)
def serve(**options: Any) -> int:
    """Serve DIR/deploy/ (written by `recipe run`) with DeepSparse's server."""
    from ..deploy.serve import ServeSettings

    return execute(ServeSettings(**options))


def execute(settings: Any) -> int:
    from ..deploy.serve import ServeError, serve

    try:
        return serve(settings, progress=lambda line: click.echo(line, err=True))
    except ServeError as exc:
        raise Failure(f"recipe serve: {exc}", EXIT_PROBLEMS) from None
