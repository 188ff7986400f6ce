"""`recipe planner` itself, started as a user starts it (`--no-browser --port 0`)
in a child process, and plain HTTP requests to it (http.client: every header,
Host included, as the test writes it)."""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclasses.dataclass
class Server:
    url: str  # what it printed: http://127.0.0.1:PORT/?token=...
    port: int
    token: str
    proc: subprocess.Popen[str]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        body: bytes | Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def call(self, path: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """A POST as the page makes it: token header, own Origin, JSON."""
        status, body = self.request(
            "POST",
            path,
            json.dumps(payload).encode(),
            {
                "x-planner-token": self.token,
                "origin": self.origin,
                "content-type": "application/json",
            },
        )
        return status, json.loads(body)


@contextlib.contextmanager
def serving(path: Path, *args: str) -> Iterator[Server]:
    env = {**os.environ, "NM_DISABLE_ANALYTICS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "recipe_compiler.cli", "planner", str(path),
         "--no-browser", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line.startswith("planner: http://"):
            proc.kill()
            raise AssertionError(f"no URL: {line!r} {proc.communicate()[1]}")
        url = line.split(" ", 1)[1].strip()
        parts = urlparse(url)
        token = parse_qs(parts.query)["token"][0]
        yield Server(url, int(parts.port or 0), token, proc)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
