"""`recipe lsp`: the language server for editors (docs/editors.md)."""

from __future__ import annotations

import click

from .common import Failure


@click.command()
@click.option(
    "--stdio",
    is_flag=True,
    help="Speak LSP over standard input and output (the default and only way; "
    "accepted because editors pass it).",
)
def lsp(stdio: bool) -> int:
    """Run the recipe language server: lint diagnostics as you type (with the
    project's config: select/ignore, steps-per-epoch, model), hover on variables,
    eval(...) and epochs, go to a variable or anchor, the list-marker fix."""
    try:
        from ..lsp.server import main
    except ImportError as exc:
        raise Failure(
            f"recipe lsp: the lsp extra is not installed ({exc}): "
            "pip install 'recipe-compiler[lsp]'"
        ) from None
    main()
    return 0
