"""The one file a planner was opened on: the only path it reads or writes, and
the "save as" target the user typed (a new file beside it, which it then is).

A save is atomic (`write_atomic`) and never silent over a change made on disk
behind the page: the page says which version of the file it started from (its
digest), and a file that no longer has that digest is a conflict, settled by
the user (reload, or overwrite on purpose).
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from pathlib import Path

from ..fileio import write_atomic
from ..loader.source import Limits, check_recipe_output


class StoreError(ValueError):
    """A save that is refused; `status` is the HTTP status that says so."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class Conflict(StoreError):
    """The file changed on disk since the page read or saved it."""

    def __init__(self, text: str) -> None:
        super().__init__("the file changed on disk since it was opened or saved", 409)
        self.text = text


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclasses.dataclass
class Store:
    path: Path
    limits: Limits = dataclasses.field(default_factory=Limits)
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def read(self) -> tuple[str, str]:
        """The file's text and digest (bounded as lint bounds a recipe)."""
        with self.path.open("rb") as f:
            data = f.read(self.limits.max_bytes + 1)
        if len(data) > self.limits.max_bytes:
            raise StoreError(
                f"{self.path} is larger than {self.limits.max_bytes:,} bytes", 413
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise StoreError(f"{self.path} is not UTF-8 text", 422) from None
        return text, digest(text)

    def save(self, text: str, base: str | None, force: bool = False) -> str:
        """Write `text` if the file still is the version `base` names (or
        `force`); its new digest. A Conflict carries the text on disk."""
        with self._lock:
            try:
                on_disk, now = self.read()
            except FileNotFoundError:
                on_disk, now = "", None
            if not force and now is not None and now != base:
                raise Conflict(on_disk)
            write_atomic(str(self.path), text)
            return digest(text)

    def save_as(self, name: str, text: str) -> Path:
        """`text` written to a new file `name` beside this one, which this store
        then is: a plain file name (no folder), in this file's format (a
        recipe card stays `.md`), and no file there yet (never an overwrite
        through "save as")."""
        if not name or Path(name).name != name or name in (".", ".."):
            raise StoreError("save as: give a file name, without a folder")
        try:  # (SparseML's suffixes, and the text's own format: .md stays .md)
            check_recipe_output(name, self.path.suffix.lower())
        except ValueError as exc:
            raise StoreError(f"save as: {exc}") from None
        target = self.path.parent / name
        with self._lock:
            if target.exists():
                raise StoreError(f"save as: {name} exists; give a new name", 409)
            write_atomic(str(target), text)
            self.path = target
        return target
