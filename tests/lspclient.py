"""A small LSP client over stdio for the tests: one process, JSON-RPC framed by
Content-Length, a reader thread, and answers to the requests a server sends."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any


class Client:
    """Drives a language server as an editor would. `settings` answers the
    server's `workspace/configuration` requests (by section)."""

    def __init__(
        self,
        cmd: list[str],
        cwd: str | Path | None = None,
        settings: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.settings = settings or {}
        self.next_id = 0
        self.replies: dict[int, queue.Queue[dict[str, Any]]] = {}
        self.notes: queue.Queue[dict[str, Any]] = queue.Queue()
        self.log: list[dict[str, Any]] = []  # every notification, kept
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.stderr: list[bytes] = []
        threading.Thread(target=self._drain, daemon=True).start()

    # -- the wire ------------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        with self.lock:
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.proc.stdin.flush()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self.notes.put({"method": "$eof"})
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            assert length is not None
            message = json.loads(out.read(length))
            if "id" in message and "method" in message:
                self._answer(message)
            elif "id" in message:
                self.replies.setdefault(message["id"], queue.Queue()).put(message)
            else:
                self.log.append(message)
                self.notes.put(message)

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def _answer(self, request: dict[str, Any]) -> None:
        """What an editor answers: the settings asked for, and nothing else."""
        result: Any = None
        if request["method"] == "workspace/configuration":
            result = [
                self.settings.get(item.get("section", ""), None)
                for item in request["params"]["items"]
            ]
        self._send({"id": request["id"], "result": result})

    # -- requests and notifications -------------------------------------------------

    def request(self, method: str, params: Any, timeout: float = 30) -> Any:
        with self.lock:
            self.next_id += 1
            rid = self.next_id
        box = self.replies.setdefault(rid, queue.Queue())
        self._send({"id": rid, "method": method, "params": params})
        reply = box.get(timeout=timeout)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result")

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def wait_for(
        self,
        method: str,
        where: Callable[[dict[str, Any]], bool] = lambda p: True,
        timeout: float = 30,
    ) -> dict[str, Any]:
        """The params of the next notification `method` that `where` accepts;
        the others on the way are dropped."""
        import time

        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {method} in {timeout} s")
            note = self.notes.get(timeout=left)
            if note.get("method") == "$eof":
                err = b"".join(self.stderr).decode(errors="replace")
                raise EOFError(f"the server exited: {err[-2000:]}")
            if note.get("method") == method and where(note.get("params", {})):
                return note["params"]

    # -- the editor's steps ---------------------------------------------------------

    def initialize(self, root: Path, options: Any = None) -> Any:
        result = self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": root.as_uri(),
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                "initializationOptions": options,
                "capabilities": {
                    "workspace": {"configuration": True},
                    "textDocument": {
                        "publishDiagnostics": {"relatedInformation": True},
                        "hover": {"contentFormat": ["markdown", "plaintext"]},
                        "completion": {"completionItem": {"snippetSupport": False}},
                        "synchronization": {"didSave": True},
                    },
                },
            },
        )
        self.notify("initialized", {})
        sync = (result or {}).get("capabilities", {}).get("textDocumentSync", 2)
        self.sync = sync.get("change", 2) if isinstance(sync, dict) else sync
        return result

    def open(self, uri: str, text: str, language: str = "yaml", version: int = 1):
        self.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": language,
                    "version": version,
                    "text": text,
                }
            },
        )

    def change(self, uri: str, text: str, version: int) -> None:
        self.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"text": text}],
            },
        )

    def edit(self, uri: str, old: str, new: str, version: int) -> None:
        """`new` as an editor sends it: the whole text if the server asked for
        full sync, else the one range of `old` that changed (positions in UTF-16
        code units)."""
        if getattr(self, "sync", 2) == 1:
            self.change(uri, new, version)
            return
        from recipe_compiler.loader.reparse import common_prefix, common_suffix

        start = common_prefix(old, new)
        tail = common_suffix(old, new, min(len(old), len(new)) - start)
        end_old, end_new = len(old) - tail, len(new) - tail

        def position(offset: int) -> dict[str, int]:
            line = old.count("\n", 0, offset)
            column = old[old.rfind("\n", 0, offset) + 1 : offset]
            units = len(column.encode("utf-16-le")) // 2
            return {"line": line, "character": units}

        self.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [
                    {
                        "range": {"start": position(start), "end": position(end_old)},
                        "text": new[start:end_new],
                    }
                ],
            },
        )

    def diagnostics(self, uri: str, version: int | None = None, timeout: float = 30):
        """The next diagnostics published for `uri` (at `version` when the server
        says which)."""

        def mine(p: dict[str, Any]) -> bool:
            if p.get("uri") != uri:
                return False
            return version is None or p.get("version") in (None, version)

        return self.wait_for("textDocument/publishDiagnostics", mine, timeout)[
            "diagnostics"
        ]

    def complaints(self) -> list[dict[str, Any]]:
        """What the server showed or logged as an error or warning: pygls reports
        an exception in a handler so."""
        return [
            n
            for n in self.log
            if n.get("method") in ("window/showMessage", "window/logMessage")
            and n.get("params", {}).get("type") in (1, 2)
        ]

    def close(self) -> int:
        try:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            return self.proc.wait(timeout=10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
