"""What every request to the planner must carry before the app sees it: the
planner can write a file, so the page of any other site the user has open must
not be able to drive it.

- the `Host` header is the address it serves (a DNS-rebinding page reaches a
  loopback port under its own name, and is refused: 421); served on every
  interface (`--host 0.0.0.0`, on purpose), any IP address at its port, never
  a name (a rebinding page's Host is always a name);
- the token the planner printed, in the query (the first visit), a same-site
  cookie set then, or the `X-Planner-Token` header the page sends (else 403);
- a request that changes anything (not GET or HEAD) comes from the page's own
  origin (`Origin` equal to it, else 403) with a JSON body (else 415), which no
  cross-site form can send without a preflight the planner never answers;
- a body is at most the size of the largest recipe lint reads, plus room for
  its JSON (else 413), counted as it arrives.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "planner_token"
HEADER = b"x-planner-token"
SAFE = ("GET", "HEAD")


class Guard:
    def __init__(
        self,
        app: App,
        token: str,
        hosts: Iterable[str],
        max_body: int,
        any_ip_port: int | None = None,
    ):
        self.app = app
        self.token = token
        self.hosts = {h.lower() for h in hosts}
        self.max_body = max_body
        self.any_ip_port = any_ip_port  # (a wildcard bind: any IP at this port)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope["headers"]}
        host = headers.get(b"host", b"").decode("latin-1").lower()
        if host not in self.hosts and not self._ip_at_port(host):
            await _refuse(send, 421, "this planner answers only at its own address")
            return
        if not self._has_token(scope, headers):
            await _refuse(send, 403, "no planner token: open the URL it printed")
            return
        if scope["method"] not in SAFE:
            origin = headers.get(b"origin", b"").decode("latin-1").lower()
            if origin != f"http://{host}":
                await _refuse(send, 403, "a change must come from the planner's page")
                return
            kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            if kind != b"application/json":
                await _refuse(send, 415, "the planner takes JSON")
                return
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await _refuse(send, 400, "a bad Content-Length")
                return
            if size > self.max_body:
                await _refuse(send, 413, "larger than a recipe may be")
                return
        body = b""
        more = scope["method"] not in SAFE
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.max_body:
                await _refuse(send, 413, "larger than a recipe may be")
                return
            more = message.get("more_body", False)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _ip_at_port(self, host: str) -> bool:
        if self.any_ip_port is None:
            return False
        name, _, port = host.rpartition(":")
        try:
            ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            return False
        return port == str(self.any_ip_port)

    def _has_token(self, scope: Scope, headers: dict[bytes, bytes]) -> bool:
        given: list[str] = []
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given += query.get("token", [])
        if HEADER in headers:
            given.append(headers[HEADER].decode("latin-1"))
        if b"cookie" in headers:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(headers[b"cookie"].decode("latin-1"))
            except Exception:  # (a malformed cookie header: no token in it)
                jar = SimpleCookie()
            if COOKIE in jar:
                given.append(jar[COOKIE].value)
        expected = self.token.encode()
        return any(hmac.compare_digest(g.encode(), expected) for g in given)


async def _refuse(send: Send, status: int, why: str) -> None:
    body = (why + "\n").encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
