"""`recipe planner`: the recipe in a local page, edited with knobs, its schedule
redrawn live, saved back (recipe_compiler/planner).

Serves on the loopback address only unless `--host` says otherwise (then with
a warning); prints the URL with its token and opens it; Ctrl-C or SIGTERM stops
it (uvicorn's own handling: in-flight requests finish, nothing is left
running).
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
from pathlib import Path
from typing import Any

import click

from .common import (
    DEFAULT_STEPS_PER_EPOCH,
    Failure,
    current_limits,
    dialect_option,
    lint_config,
    load_model,
    model_option,
    read_limits,
    steps_option,
)


@dataclasses.dataclass(frozen=True)
class PlannerSettings:
    recipe: str
    spe: int = DEFAULT_STEPS_PER_EPOCH
    model: str | None = None
    dialect: str | None = None
    port: int = 0
    host: str = "127.0.0.1"
    open_browser: bool = True


@click.command(name="planner")
@click.argument("recipe", metavar="RECIPE")
@steps_option("Optimizer steps per epoch (a knob on the page too).")
@model_option
@dialect_option
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="The port to serve on; 0 takes a free one.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to serve on. Anything but a loopback address lets other "
    "machines reach the page (the token still guards it): only on purpose.",
)
@click.option(
    "--no-browser",
    "open_browser",
    flag_value=False,
    default=True,
    help="Print the URL without opening a browser.",
)
@read_limits
def planner(**options: Any) -> int:
    """Edit a recipe in a local page: knobs for its variables and training
    length, problems at their lines, the schedule redrawn as you type; Save
    writes the file (refused while lint finds an error)."""
    if options.get("spe") is None:
        options["spe"] = DEFAULT_STEPS_PER_EPOCH
    if options.get("dialect") == "auto":
        options["dialect"] = None
    return execute_planner(PlannerSettings(**options))


def execute_planner(settings: PlannerSettings) -> int:
    import secrets
    import socket

    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError as exc:
        raise Failure(
            f"recipe planner: its web stack is not installed ({exc.name}): "
            "pip install 'recipe-compiler[planner]'"
        ) from None
    from ..loader.source import Limits
    from ..planner import compute
    from ..planner.app import Planner, build
    from ..planner.store import Store, StoreError

    if settings.spe > compute.MAX_STEPS_PER_EPOCH:
        raise Failure(
            f"recipe planner: --steps-per-epoch {settings.spe:,}: the page plans "
            f"at most {compute.MAX_STEPS_PER_EPOCH:,} (the schedule's shape is the "
            "same at fewer; `recipe plan` takes more)"
        )
    path = Path(settings.recipe)
    if not path.is_file():
        raise Failure(f"recipe planner: no such file: {settings.recipe}")
    limits = current_limits() or Limits()
    store = Store(path, limits)
    try:
        store.read()
    except (StoreError, OSError) as exc:
        raise Failure(f"recipe planner: {settings.recipe}: {exc}") from None
    model = load_model("planner", settings.model, llm=True)
    config = lint_config("planner", None)
    target = _sweep()
    state = compute.Settings(
        path=str(path),
        steps_per_epoch=settings.spe,
        dialect=settings.dialect,
        model=model,
        target=target,
        config=config,
        limits=limits,
    )
    try:
        loopback = ipaddress.ip_address(settings.host).is_loopback
    except ValueError:
        loopback = settings.host == "localhost"
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        sock.close()
        raise Failure(
            f"recipe planner: cannot serve on {settings.host}:{settings.port} "
            f"({exc.strerror}); --port 0 takes a free port"
        ) from None
    sock.listen(64)
    port = sock.getsockname()[1]
    shown = f"[{settings.host}]" if family == socket.AF_INET6 else settings.host
    hosts = [f"{shown}:{port}"]
    if loopback:
        hosts += [f"127.0.0.1:{port}", f"localhost:{port}"]
    else:
        click.echo(
            f"recipe planner: warning: serving on {settings.host}, not loopback: "
            f"anyone who can reach it with the token can edit {path}",
            err=True,
        )
    token = secrets.token_urlsafe(24)
    wildcard = settings.host in ("0.0.0.0", "::")
    app = build(Planner(store, state, token), hosts, port if wildcard else None)
    url = f"http://{hosts[0]}/?token={token}"  # (the address it listens on)
    click.echo(f"planner: {url}")
    click.echo(f"planner: editing {path}; Ctrl-C stops it", err=True)
    if settings.open_browser:
        import webbrowser

        webbrowser.open(url)
    server = uvicorn.Server(
        uvicorn.Config(app, lifespan="off", access_log=False, log_level="warning")
    )
    with contextlib.suppress(KeyboardInterrupt):  # (uvicorn re-raises Ctrl-C
        server.run(sockets=[sock])  # once it has shut down)
    click.echo("planner: stopped", err=True)
    return 0


def _sweep() -> Any:
    """The sweep `--target-cpu auto` finds (sweep/sweep.json here or above,
    measured on this CPU), else None: the page then shows no measured speed."""
    from ..hardware.measured import TargetError, auto

    try:
        found = auto()
    except (TargetError, OSError):
        return None
    return found if found.variants else None
