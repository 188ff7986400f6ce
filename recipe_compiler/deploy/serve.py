"""`recipe serve DIR`: DeepSparse's server on a run's deploy folder.

The server runs in a child process (`bounded_server`: DeepSparse's own server,
with a bound on request size) started in `DIR/deploy/`, in its own session so a
terminal's Ctrl-C reaches only us; we wait until its endpoint's `ready` route
answers, say where it listens, pass its log lines on, and stop it (SIGINT, then
SIGKILL after a grace period) when we are interrupted or terminated: no process is
left behind. Imports no torch and no deepsparse: the child does.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

# what DeepSparse's server imports, by module -> the package pip installs
NEEDS = {
    "deepsparse": "deepsparse",
    "fastapi": "fastapi",
    "uvicorn": "uvicorn",
    "multipart": "python-multipart",
    "PIL": "pillow",
}


class ServeError(RuntimeError):
    """The server cannot start; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class ServeSettings:
    folder: str  # a run folder (with deploy/) or a deploy folder
    host: str = "127.0.0.1"
    port: int = 5543
    workers: int | None = None
    max_request_mb: float = 64.0
    timeout: float = 600.0  # seconds to wait for `ready` (compiling a model)


@dataclasses.dataclass(frozen=True)
class Endpoint:
    folder: Path  # the deploy folder
    name: str  # the endpoint's name in server.yaml

    def url(self, host: str, port: int, route: str = "") -> str:
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/v2/models/{self.name}{route}"


def missing() -> list[str]:
    """The packages DeepSparse's server needs that are not installed."""
    return [pip for mod, pip in NEEDS.items() if importlib.util.find_spec(mod) is None]


def endpoint(folder: str) -> Endpoint:
    """The deploy folder of `folder` (a run folder or the deploy folder itself)
    and the one endpoint its server.yaml names."""
    import yaml

    base = Path(folder)
    for candidate in (base / "deploy", base):
        config = candidate / "server.yaml"
        if config.is_file():
            break
    else:
        raise ServeError(
            f"{folder}: no deploy/server.yaml; `recipe run` writes DIR/deploy/ for "
            "yolov5* and digits-cnn models"
        )
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        names = [e["name"] for e in data["endpoints"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise ServeError(f"{config}: not a DeepSparse server config ({exc})") from None
    if len(names) != 1:
        raise ServeError(f"{config}: {len(names)} endpoints; `recipe serve` takes one")
    return Endpoint(candidate, str(names[0]))


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


class _Log:
    """The child's output: kept (the last lines, for an error) until it is ready,
    then passed on to `echo` line by line."""

    def __init__(self, stream: IO[str], echo: Callable[[str], None]):
        self.lines: collections.deque[str] = collections.deque(maxlen=200)
        self.live = False
        self.echo = echo
        self.thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self.thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            line = line.rstrip("\n")
            self.lines.append(line)
            if self.live:
                self.echo(line)

    def reason(self) -> str:
        """The line that says why the child stopped, or its last one."""
        for line in reversed(self.lines):
            if "Error" in line or "error" in line:
                return line.strip()
        return self.lines[-1].strip() if self.lines else "no output"


@dataclasses.dataclass
class Running:
    process: subprocess.Popen[str]
    endpoint: Endpoint
    host: str
    port: int
    log: _Log

    def url(self, route: str = "") -> str:
        return self.endpoint.url(self.host, self.port, route)

    def stop(self, grace: float = 10.0) -> int:
        """SIGINT (uvicorn's graceful shutdown), SIGKILL to the whole session
        after `grace` seconds; the child's exit code."""
        p = self.process
        if p.poll() is None:
            with _quiet_lookup():
                os.killpg(p.pid, signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(grace)
        with _quiet_lookup():  # anything the child left in its session
            os.killpg(p.pid, signal.SIGKILL)
        code = p.wait()
        self.log.thread.join(2)
        return code


class _quiet_lookup:
    """A process group already gone is what we wanted."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        return kind is not None and issubclass(kind, ProcessLookupError)


def start(
    settings: ServeSettings,
    progress: Callable[[str], None] = print,
    echo: Callable[[str], None] | None = None,
) -> Running:
    """Start the server and return once `ready` answers; ServeError if it cannot."""
    need = missing()
    if need:
        raise ServeError(
            f"DeepSparse's server needs {', '.join(need)}: "
            "pip install 'recipe-compiler[runner]'"
        )
    ep = endpoint(settings.folder)
    if not _port_free(settings.host, settings.port):
        raise ServeError(
            f"port {settings.port} on {settings.host} is in use: give another "
            "with --port"
        )
    env = {**os.environ, "NM_DISABLE_ANALYTICS": "1", "PYTHONUNBUFFERED": "1"}
    command = [
        sys.executable,
        "-m",
        "recipe_compiler.deploy.bounded_server",
        "server.yaml",
        "--host",
        settings.host,
        "--port",
        str(settings.port),
        "--max-request-bytes",
        str(int(settings.max_request_mb * (1 << 20))),
    ]
    if settings.workers is not None:
        command += ["--workers", str(settings.workers)]
    process = subprocess.Popen(
        command,
        cwd=ep.folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # Ctrl-C in a terminal reaches us, and we stop it
    )
    assert process.stdout is not None
    running = Running(
        process,
        ep,
        settings.host,
        settings.port,
        _Log(process.stdout, echo or (lambda line: print(line, file=sys.stderr))),
    )
    progress(f"starting DeepSparse's server on {ep.folder / 'model.onnx'}")
    try:
        _wait_ready(running, settings.timeout, progress)
    except BaseException:
        running.stop()
        raise
    running.log.live = True
    return running


def _wait_ready(
    running: Running, timeout: float, progress: Callable[[str], None]
) -> None:
    """Poll `ready` until it answers 200, the child exits, or `timeout`."""
    started = time.monotonic()
    said = 0
    probe = (
        running.url("/ready").replace("[::]", "[::1]").replace("0.0.0.0", "127.0.0.1")
    )
    while True:
        code = running.process.poll()
        if code is not None:
            running.log.thread.join(2)
            raise ServeError(
                f"DeepSparse's server stopped (exit {code}) before it was ready: "
                f"{running.log.reason()}"
            )
        try:
            with urllib.request.urlopen(probe, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        waited = time.monotonic() - started
        if waited > timeout:
            raise ServeError(
                f"DeepSparse's server was not ready after {timeout:g} s; give more "
                "time with --timeout"
            )
        if waited >= said + 15:
            said = int(waited)
            progress(f"still starting ({said} s: DeepSparse compiles the model)")
        time.sleep(0.2)


def serve(settings: ServeSettings, progress: Callable[[str], None] = print) -> int:
    """Start, say where, block until the server stops or we are interrupted (Ctrl-C,
    SIGTERM), then stop it; 0 when stopped by us, else the server's exit code."""
    # SIGINT too: a shell starts background jobs with it ignored, which would leave
    # Ctrl-C (or `kill -INT`) without a way to stop the server
    previous = {
        s: signal.signal(s, _interrupt) for s in (signal.SIGTERM, signal.SIGINT)
    }
    running = None
    try:
        running = start(settings, progress)
        progress(f"ready: {running.url('/ready')}")
        upload = running.url("/infer/from_files")
        progress(f"POST image files (form field `request`) to {upload}")
        progress("Ctrl-C stops the server")
        code = running.process.wait()
        running.log.thread.join(2)
        progress(f"DeepSparse's server stopped (exit {code}): {running.log.reason()}")
        return code or 1
    except KeyboardInterrupt:
        if running is not None:
            running.stop()
            progress("stopped")
        return 0
    finally:
        if running is not None and running.process.poll() is None:
            running.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
