"""Saving from the planner (planner/store.py over HTTP): the file is written
atomically with the text, refused while lint calls something an error, never
over a change made on disk behind the page (409, with the text on disk), and
"save as" writes a new file beside it, which the planner then edits."""

from __future__ import annotations

import json

from tests.conftest import ROOT
from tests.planner.serving import serving

BUNDLED = ROOT / "recipes" / "yolov5s-gmp.md"


def test_save_refuses_errors_and_changes_behind_it_and_save_as_moves_on(tmp_path):
    path = tmp_path / "r.md"
    text = BUNDLED.read_text()
    path.write_text(text)
    with serving(path) as server:
        status, _ = server.call("/api/state", {"text": text})
        assert status == 200
        _, file = server.request(
            "GET", "/api/file", None, {"x-planner-token": server.token}
        )
        base = json.loads(file)["digest"]
        edited = text.replace("final_sparsity: 0.8", "final_sparsity: 0.7")
        status, got = server.call("/api/save", {"text": edited, "base": base})
        assert status == 200 and path.read_text() == edited
        base = got["digest"]
        broken = edited.replace("final_sparsity: 0.7", "final_sparsity: 1.7")
        status, got = server.call("/api/save", {"text": broken, "base": base})
        assert status == 422 and got["problems"][0]["code"] == "RC301"
        assert path.read_text() == edited
        behind = edited + "\n"
        path.write_text(behind)
        again = edited.replace("final_sparsity: 0.7", "final_sparsity: 0.6")
        status, got = server.call("/api/save", {"text": again, "base": base})
        assert status == 409 and got["text"] == behind and path.read_text() == behind
        status, got = server.call(
            "/api/save", {"text": again, "base": base, "force": True}
        )
        assert status == 200 and path.read_text() == again
        status, got = server.call("/api/save_as", {"name": "r-300.md", "text": edited})
        assert status == 200 and got["name"] == "r-300.md"
        assert (tmp_path / "r-300.md").read_text() == edited
        status, got = server.call("/api/save", {"text": text, "base": got["digest"]})
        assert status == 200 and got["name"] == "r-300.md"
        assert (tmp_path / "r-300.md").read_text() == text
        assert path.read_text() == again  # (the first file, as last saved)
        status, got = server.call("/api/save_as", {"name": "r-300.md", "text": text})
        assert status == 409  # (save as never overwrites)


def test_a_file_gone_from_disk_is_said_not_a_traceback(tmp_path):
    path = tmp_path / "r.md"
    path.write_text(BUNDLED.read_text())
    with serving(path) as server:
        path.unlink()
        status, body = server.request(
            "GET", "/api/file", None, {"x-planner-token": server.token}
        )
        assert status == 500 and b"r.md: cannot read it" in body
        status, body = server.request(
            "GET", "/", None, {"x-planner-token": server.token}
        )
        assert status == 500 and b"Traceback" not in body
        # (and Save writes it back)
        status, got = server.call("/api/save", {"text": BUNDLED.read_text()})
        assert status == 200 and got["saved"]
        assert path.read_text() == BUNDLED.read_text()


def test_save_as_keeps_the_format(tmp_path):
    path = tmp_path / "r.md"
    path.write_text(BUNDLED.read_text())
    with serving(path) as server:
        status, got = server.call(
            "/api/save_as", {"name": "y.yaml", "text": path.read_text()}
        )
        assert status == 400 and "name it y.md" in got["refused"]
        assert not (tmp_path / "y.yaml").exists()
