"""`recipe planner` as a process: SIGTERM stops it as Ctrl-C does, leaving
nothing running and the port closed; another address than loopback is served
only with a warning; a missing file or a taken port is exit 2, one line."""

from __future__ import annotations

import http.client
import signal
import socket
import subprocess
import sys

from tests.conftest import ROOT
from tests.planner.serving import serving

BUNDLED = ROOT / "recipes" / "yolov5s-gmp.md"


def test_sigterm_stops_it_and_closes_the_port(tmp_path):
    path = tmp_path / "r.md"
    path.write_text(BUNDLED.read_text())
    with serving(path) as server:
        status, _ = server.call("/api/state", {"text": path.read_text()})
        assert status == 200
        server.proc.send_signal(signal.SIGTERM)
        code = server.proc.wait(20)
        assert code in (0, -signal.SIGTERM)  # (uvicorn re-raises it once shut down)
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
        except OSError:
            pass
        else:
            raise AssertionError("the port still answers")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recipe_compiler.cli", "planner", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_missing_file_or_a_taken_port_is_exit_2(tmp_path):
    done = _run(str(tmp_path / "nope.yaml"), "--no-browser")
    assert done.returncode == 2 and "no such file" in done.stderr
    assert "Traceback" not in done.stderr
    path = tmp_path / "r.md"
    path.write_text(BUNDLED.read_text())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _run(str(path), "--no-browser", "--port", str(port))
    assert done.returncode == 2 and "--port 0 takes a free port" in done.stderr
    assert "Traceback" not in done.stderr


def test_another_host_than_loopback_is_said(tmp_path):
    path = tmp_path / "r.md"
    path.write_text(BUNDLED.read_text())
    proc = subprocess.Popen(
        [sys.executable, "-m", "recipe_compiler.cli", "planner", str(path),
         "--no-browser", "--port", "0", "--host", "0.0.0.0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stderr.readline().startswith(
            "recipe planner: warning: serving on 0.0.0.0, not loopback"
        )
        url = proc.stdout.readline().split(" ", 1)[1].strip()
        assert url.startswith("http://0.0.0.0:")
        port = int(url.split(":")[2].split("/")[0])
        token = url.split("token=")[1]
        # any IP address at its port (another machine's way in), never a name
        for head, status in (
            (f"10.1.2.3:{port}", 200),
            (f"[::1]:{port}", 200),
            (f"127.0.0.1:{port + 1}", 421),
            (f"evil.example:{port}", 421),
        ):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request(
                "GET", "/api/file", headers={"host": head, "x-planner-token": token}
            )
            assert conn.getresponse().status == status, head
            conn.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(20)


def test_too_many_steps_per_epoch_is_said_and_the_url_is_where_it_listens(tmp_path):
    path = tmp_path / "r.md"
    path.write_text(BUNDLED.read_text())
    done = _run(str(path), "--no-browser", "--steps-per-epoch", "200000")
    assert done.returncode == 2 and "at most 100,000" in done.stderr
    with serving(path, "--host", "127.0.0.2") as server:
        assert server.url.startswith("http://127.0.0.2:")
