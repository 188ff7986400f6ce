"""The planner's web app (Starlette): the page, its scripts, and four JSON calls
over `compute` and `store`, behind `guard`.

    GET  /                 the page (the first visit carries ?token=, which
                           becomes a same-site cookie)
    GET  /static/NAME      plotly.js and the page's script: a fixed list, never
                           a path from the request
    GET  /api/file         the file as it is on disk (text and digest)
    POST /api/state        {text, steps_per_epoch?, dialect?}: problems,
                           variables, charts
    POST /api/edit         {text, variable: {name, value}} or {text, epochs}:
                           the edited text and its state
    POST /api/save         {text, base, force?}: written, or 409 (changed on
                           disk) or 422 (lint calls something an error)
    POST /api/save_as      {name, text}: a new file beside it, which it then is

Computing is serialized (one recipe cache) and runs off the event loop; the
page sends only its latest text and drops answers to older ones.
"""

from __future__ import annotations

import dataclasses
import json
import math
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ..dialects.detect import resolve
from . import compute
from .guard import COOKIE, Guard
from .store import Conflict, Store, StoreError
from .store import digest as digest_of

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
DIALECTS = ("sparseml", "sparseml-core", "llm-compressor")


class BadRequest(ValueError):
    pass


@dataclasses.dataclass
class Planner:
    """What one planner serves: its file, its settings, its token."""

    store: Store
    settings: compute.Settings
    token: str
    cache: compute.Cache = dataclasses.field(default_factory=compute.Cache)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def state(self, text: str, spe: int | None, dialect: str | None) -> dict[str, Any]:
        with self.lock:
            return compute.state(
                text, self.settings, steps_per_epoch=spe, dialect=dialect,
                cache=self.cache,
            )  # fmt: skip

    def edit(self, text: str, body: dict[str, Any], dialect: str | None) -> str:
        """The text with the knob `body` names moved (a variable, or the
        training length), or EditError; BadRequest for a malformed knob."""
        with self.lock:
            if "variable" in body:
                var = body["variable"]
                name = var.get("name") if isinstance(var, dict) else None
                value = var.get("value") if isinstance(var, dict) else None
                if not isinstance(name, str) or not isinstance(
                    value, str | int | float
                ):
                    raise BadRequest("variable: {name, value}")
                return compute.set_variable(
                    text, self.settings, name, str(value), self.cache,
                    self._dialect(text, dialect),
                )  # fmt: skip
            if "epochs" in body:
                epochs = body["epochs"]
                if isinstance(epochs, bool) or not isinstance(epochs, int | float):
                    raise BadRequest("epochs: a number")
                which = self._dialect(text, dialect)
                return compute.set_epochs(
                    text, self.settings, float(epochs), which, self.cache
                )
            raise BadRequest("give variable or epochs")

    def _dialect(self, text: str, dialect: str | None) -> str:
        """The dialect the text is read as (the page's choice, else auto's)."""
        recipe = compute.read(text, self.settings, self.cache)
        settings = self.settings
        chosen = dialect or settings.dialect or settings.config.dialect
        return resolve(chosen, recipe.root).dialect.value


def build(planner: Planner, hosts: list[str], any_ip_port: int | None = None) -> Guard:
    """The ASGI app: the routes behind the guard (which takes `hosts` as Host
    headers, and any IP address at `any_ip_port` where that is given)."""

    async def page(request: Request) -> Response:
        text, digest = await run_in_threadpool(planner.store.read)
        html = _page(planner, text, digest)
        response = HTMLResponse(html, headers=_NO_STORE)
        if request.query_params.get("token") == planner.token:
            response.set_cookie(
                COOKIE, planner.token, httponly=True, samesite="strict", path="/"
            )
        return response

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _STATIC:
            return Response("no such file\n", 404, media_type="text/plain")
        body, kind = _STATIC[name]()
        return Response(body, media_type=kind, headers={"cache-control": "no-cache"})

    async def file(request: Request) -> Response:
        text, digest = await run_in_threadpool(planner.store.read)
        return JSONResponse({"text": text, "digest": digest, **_where(planner)})

    async def state(request: Request) -> Response:
        body = await _json(request)
        text = _text(body)
        spe, dialect = _spe(body), _dialect(body)
        out = await run_in_threadpool(planner.state, text, spe, dialect)
        return _reply(out)

    async def edit(request: Request) -> Response:
        body = await _json(request)
        text = _text(body)
        spe, dialect = _spe(body), _dialect(body)

        def run() -> dict[str, Any]:
            try:
                new = planner.edit(text, body, dialect)
            except compute.EditError as exc:
                return {"refused": str(exc), "state": planner.state(text, spe, dialect)}
            return {"text": new, "state": planner.state(new, spe, dialect)}

        return _reply(await run_in_threadpool(run))

    async def save(request: Request) -> Response:
        body = await _json(request)
        text = _text(body)
        base = body.get("base")
        if base is not None and not isinstance(base, str):
            raise BadRequest("base: the digest the page started from")
        force = body.get("force") is True
        spe, dialect = _spe(body), _dialect(body)

        def run() -> Response:
            refused = _lint_errors(planner.state(text, spe, dialect))
            if refused is not None:  # (linted as the page lints it)
                return refused
            try:
                digest = planner.store.save(text, base, force)
            except Conflict as exc:
                return _reply(
                    {"saved": False, "conflict": True, "text": exc.text,
                     "digest": digest_of(exc.text)}, 409,
                )  # fmt: skip
            except StoreError as exc:
                return _reply({"saved": False, "refused": str(exc)}, exc.status)
            return _reply({"saved": True, "digest": digest, **_where(planner)})

        return await run_in_threadpool(run)

    async def save_as(request: Request) -> Response:
        body = await _json(request)
        text, name = _text(body), body.get("name")
        if not isinstance(name, str):
            raise BadRequest("name: a file name")
        spe, dialect = _spe(body), _dialect(body)

        def run() -> Response:
            refused = _lint_errors(planner.state(text, spe, dialect))
            if refused is not None:
                return refused
            try:
                planner.store.save_as(name, text)
            except StoreError as exc:
                return _reply({"saved": False, "refused": str(exc)}, exc.status)
            planner.settings = dataclasses.replace(
                planner.settings, path=str(planner.store.path)
            )
            return _reply({"saved": True, "digest": digest_of(text), **_where(planner)})

        return await run_in_threadpool(run)

    async def favicon(request: Request) -> Response:
        return Response(status_code=204)  # (none: the browser asks all the same)

    async def bad_request(request: Request, exc: Exception) -> Response:
        return _reply({"refused": str(exc)}, 400)

    async def unreadable(request: Request, exc: Exception) -> Response:
        """The file cannot be read now (gone, too large, not UTF-8): said."""
        status = exc.status if isinstance(exc, StoreError) else 500
        why = str(exc) if isinstance(exc, StoreError) else f"cannot read it: {exc}"
        return _reply({"refused": f"{planner.store.path.name}: {why}"}, status)

    app = Starlette(
        routes=[
            Route("/", page),
            Route("/favicon.ico", favicon),
            Route("/static/{name}", static),
            Route("/api/file", file),
            Route("/api/state", state, methods=["POST"]),
            Route("/api/edit", edit, methods=["POST"]),
            Route("/api/save", save, methods=["POST"]),
            Route("/api/save_as", save_as, methods=["POST"]),
        ],
        exception_handlers={
            BadRequest: bad_request,
            StoreError: unreadable,
            OSError: unreadable,
        },
    )
    return Guard(app, planner.token, hosts, _max_body(planner), any_ip_port)


def _lint_errors(state: dict[str, Any]) -> Response | None:
    """A save refused, listing them, where lint calls something an error."""
    if not state["errors"]:
        return None
    found = [p for p in state["problems"] if p["severity"] == "error"]
    body = {"saved": False, "refused": "lint calls these errors", "problems": found}
    return _reply(body, 422)


_NO_STORE = {"cache-control": "no-store", "x-content-type-options": "nosniff"}


def _max_body(planner: Planner) -> int:
    """A recipe's text as JSON may take 6 bytes a character (\\uXXXX)."""
    return 6 * planner.settings.limits.max_bytes + 4096


def _where(planner: Planner) -> dict[str, str]:
    return {"path": str(planner.store.path), "name": planner.store.path.name}


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("a JSON object")
    return body


def _text(body: dict[str, Any]) -> str:
    text = body.get("text")
    if not isinstance(text, str):
        raise BadRequest("text: the recipe's text")
    return text


def _spe(body: dict[str, Any]) -> int | None:
    spe = body.get("steps_per_epoch")
    if spe is None:
        return None
    if isinstance(spe, bool) or not isinstance(spe, int):
        raise BadRequest("steps_per_epoch: a whole number")
    if not 1 <= spe <= compute.MAX_STEPS_PER_EPOCH:
        raise BadRequest(f"steps_per_epoch: from 1 to {compute.MAX_STEPS_PER_EPOCH:,}")
    return spe


def _dialect(body: dict[str, Any]) -> str | None:
    dialect = body.get("dialect")
    if dialect in (None, "", "auto"):
        return None
    if dialect not in DIALECTS:
        raise BadRequest("dialect: auto, " + ", ".join(DIALECTS))
    return str(dialect)


def _reply(body: dict[str, Any], status: int = 200) -> Response:
    text = json.dumps(body, separators=(",", ":"), allow_nan=False, default=_plain)
    return Response(text, status, media_type="application/json", headers=_NO_STORE)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)


def _page(planner: Planner, text: str, digest: str) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"]),
    )
    settings = planner.settings
    return env.get_template("planner.html.j2").render(
        name=planner.store.path.name,
        path=str(planner.store.path),
        text=text,
        digest=digest,
        token=planner.token,
        steps_per_epoch=settings.steps_per_epoch,
        dialect=settings.dialect or "auto",
        dialects=DIALECTS,
        model=getattr(settings.model, "name", None)
        or getattr(settings.model, "architecture", None),
    )


def _plotly() -> tuple[bytes, str]:
    path = resources.files("plotly") / "package_data" / "plotly.min.js"
    return path.read_bytes(), "text/javascript; charset=utf-8"


def _script() -> tuple[bytes, str]:
    return (TEMPLATES / "planner.js").read_bytes(), "text/javascript; charset=utf-8"


_STATIC = {"plotly.min.js": _plotly, "planner.js": _script}
