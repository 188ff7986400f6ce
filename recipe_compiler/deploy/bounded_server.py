"""DeepSparse's server as `recipe serve` starts it: with a bound on request size.

`python -m recipe_compiler.deploy.bounded_server server.yaml --host H --port P
[--workers N] [--max-request-bytes B]`, in the deploy folder. This is DeepSparse's
`DeepsparseServer` (its routes, pipelines, engine and uvicorn), built from the
same `server.yaml` `deepsparse.server --config_file` reads, plus two things that
server lacks: a body larger than the bound is refused with 413 before it is read
(by Content-Length, or while it streams in), and a JSON body that does not parse
is a 400 rather than a 500.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

# Starlette's types are `Any` here: this module runs only where the server is
# installed, and is never imported by the rest of recipe_compiler.
Scope = dict[str, Any]


class _TooLarge(BaseException):
    """Raised from `receive` past the bound. A BaseException: FastAPI turns any
    Exception met while parsing a body into a 400, which would hide the 413."""


class BodyLimit:
    """ASGI middleware: 413 for a request body over `max_bytes`."""

    def __init__(self, app: Any, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def bounded() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        async def watched(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, bounded, watched)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Any) -> None:
        body = json.dumps(
            {
                "detail": f"the request is larger than the {_size(self.max_bytes)} "
                "this server takes (recipe serve --max-request-mb)"
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def server(config_path: str, workers: int | None, max_bytes: int) -> Any:
    """DeepSparse's server for `config_path`, bounded."""
    import yaml
    from deepsparse.server.config import ServerConfig
    from deepsparse.server.deepsparse_server import DeepsparseServer
    from fastapi.responses import JSONResponse

    async def not_json(request: Any, exc: Exception) -> Any:
        return JSONResponse(
            {"detail": f"the body is not JSON ({exc})"}, status_code=400
        )

    class Bounded(DeepsparseServer):
        def _base_routes(self) -> Any:
            app = super()._base_routes()
            app.add_middleware(BodyLimit, max_bytes=max_bytes)
            app.add_exception_handler(json.JSONDecodeError, not_json)
            return app

    with open(config_path, encoding="utf-8") as f:
        config = ServerConfig(**yaml.safe_load(f))
    if workers is not None:
        config.num_workers = workers
    return Bounded(config)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m recipe_compiler.deploy.bounded_server"
    )
    parser.add_argument("config")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5543)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--max-request-bytes", type=int, default=64 << 20)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    server(args.config, args.workers, args.max_request_bytes).start_server(
        args.host, args.port, args.log_level
    )


def _size(n: int) -> str:
    """A byte count as people read it: 32 MiB, 512 KiB, 100 bytes."""
    for unit, shift in (("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):g} {unit}"
    return f"{n} bytes"


if __name__ == "__main__":
    main()
