"""The planner writes a file, so no other page may drive it (planner/guard.py):
every request needs its token, its own Host, and for a change its own Origin
and a JSON body of bounded size; and no request reads or writes any path but
the file it was opened on (and a new "save as" file beside it)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT
from tests.planner.serving import serving

BUNDLED = ROOT / "recipes" / "yolov5s-gmp.md"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("planner")
    path = folder / "r.md"
    path.write_text(BUNDLED.read_text())
    (folder / "other.yaml").write_text("other: 1\n")
    with serving(path) as s:
        s.path = path  # type: ignore[attr-defined]
        yield s


def _page_headers(server, **extra):
    return {
        "x-planner-token": server.token,
        "origin": server.origin,
        "content-type": "application/json",
        **extra,
    }


def test_with_the_token_the_page_and_its_calls_answer(server):
    status, body = server.request("GET", server.url.split(str(server.port), 1)[1])
    assert status == 200 and b'name="recipe"' in body
    status, got = server.call("/api/state", {"text": server.path.read_text()})
    assert status == 200 and got["parsed"] and got["figures"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("GET", "/api/file"), ("GET", "/static/planner.js"),
     ("POST", "/api/save"), ("POST", "/api/state")],
)  # fmt: skip
def test_without_the_token_nothing_answers(server, method, path):
    before = server.path.read_text()
    body = json.dumps({"text": "x: 1\n", "force": True}).encode()
    headers = {"origin": server.origin, "content-type": "application/json"}
    for token in (None, "wrong", server.token[:-1]):
        h = dict(headers)
        if token is not None:
            h["x-planner-token"] = token
        status, _ = server.request(method, path, body if method == "POST" else None, h)
        assert status == 403, (path, token)
    assert server.path.read_text() == before


@pytest.mark.parametrize(
    "host", ["evil.example", f"evil.example:{0}", "127.0.0.2:{port}", "[::1]:{port}"]
)
def test_a_foreign_host_header_is_refused(server, host):
    h = {"host": host.format(port=server.port), "x-planner-token": server.token}
    status, _ = server.request("GET", f"/?token={server.token}", None, h)
    assert status == 421
    status, _ = server.request("GET", "/api/file", None, h)
    assert status == 421


def test_a_change_from_another_origin_is_refused(server):
    before = server.path.read_text()
    body = json.dumps({"text": "x: 1\n", "force": True}).encode()
    for origin in ("http://evil.example", "null", f"http://localhost:{server.port}1"):
        h = _page_headers(server, origin=origin)
        assert server.request("POST", "/api/save", body, h)[0] == 403
    h = _page_headers(server)
    del h["origin"]
    assert server.request("POST", "/api/save", body, h)[0] == 403
    # a form (what another site can post without a preflight)
    h = _page_headers(server, **{"content-type": "application/x-www-form-urlencoded"})
    assert server.request("POST", "/api/save", b"text=x", h)[0] == 415
    assert server.path.read_text() == before


def _raw(server, head: str, chunks=()) -> int:
    """A request written on a socket: its head, then chunks until the planner
    answers (it refuses as soon as it knows, without reading the rest); the
    status it answered."""
    import select
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(head.encode())
        for chunk in chunks:
            if select.select([sock], [], [], 0)[0]:
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
        data = b""
        while b"\r\n" not in data:
            part = sock.recv(4096)
            if not part:
                break
            data += part
    return int(data.split(b" ", 2)[1])


def test_a_body_larger_than_a_recipe_may_be_is_refused(server):
    head = (
        f"POST /api/state HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"x-planner-token: {server.token}\r\nOrigin: {server.origin}\r\n"
        "Content-Type: application/json\r\n"
    )
    # declared: refused before a byte of it is read
    assert _raw(server, head + f"Content-Length: {7 * 1024 * 1024}\r\n\r\n") == 413
    # not declared (chunked): counted as it arrives
    mb = 1024 * 1024
    chunk = f"{mb:x}\r\n".encode() + b"a" * mb + b"\r\n"
    got = _raw(server, head + "Transfer-Encoding: chunked\r\n\r\n", [chunk] * 12)
    assert got == 413
    # a recipe of the largest size lint reads still fits
    text = "a: 1\n" * (1024 * 1024 // 5)
    status, _ = server.call("/api/state", {"text": text})
    assert status == 200


def test_no_request_reads_or_writes_another_path(server):
    folder = server.path.parent
    other = (folder / "other.yaml").read_text()
    for path in ("/static/../other.yaml", "/static/..%2Fother.yaml",
                 "/static/other.yaml", "/api/file?path=other.yaml",
                 "/other.yaml"):  # fmt: skip
        status, body = server.request("GET", path, None, _page_headers(server))
        assert b"other: 1" not in body, path
        if path.startswith("/api/file"):
            assert json.loads(body)["name"] == "r.md"  # (the one file, whatever asked)
        else:
            assert status == 404, path
    text = server.path.read_text()
    status, got = server.call(
        "/api/save", {"text": text, "base": None, "force": True, "path": "other.yaml"}
    )
    assert status == 200 and got["name"] == "r.md"
    for name in ("../escape.yaml", "/tmp/escape.yaml", "sub/x.yaml", "x.sh",
                 "other.yaml", "", ".."):  # fmt: skip
        status, got = server.call("/api/save_as", {"name": name, "text": text})
        assert status in (400, 409), (name, got)
    assert (folder / "other.yaml").read_text() == other
    assert not (folder.parent / "escape.yaml").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["other.yaml", "r.md"]
