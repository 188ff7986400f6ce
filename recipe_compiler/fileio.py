"""Atomic writes (a temporary file in the same folder, then a rename), why a
write failed in words, and the lock a run holds on its folder."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path


class WriteError(Exception):
    """An output that cannot be written: which, and why in words (the command
    says it in one line and exits 2; nothing half-written is left)."""

    def __init__(self, path: str | os.PathLike[str], reason: str):
        super().__init__(f"cannot write {path}: {reason}")
        self.path, self.reason = Path(path), reason


def why_not_written(exc: OSError, target: Path) -> str:
    """What an OSError on writing `target` means, with what to do."""
    code = exc.errno
    if code == errno.ENOENT and not target.parent.exists():
        return f"the folder {target.parent} does not exist; create it first"
    if code == errno.ENOTDIR or (code == errno.EEXIST and not target.parent.is_dir()):
        blocker = next((p for p in target.parents if p.is_file()), target.parent)
        return f"{blocker} is a file, not a folder"
    if code == errno.EISDIR:
        return "it is a folder; name a file"
    if code == errno.EROFS:
        return "the file system is read-only; write elsewhere"
    if code in (errno.EACCES, errno.EPERM):
        return f"permission denied in {target.parent}"
    if code in (errno.ENOSPC, errno.EDQUOT):
        return "no space left on the device; free some and run again"
    return f"{target.parent} refused a new file ({exc.strerror or exc})"


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Replace `path` with `text` so that readers see the old or the new file,
    whole. Raises WriteError (the original file untouched) when it cannot."""
    target = Path(path)
    try:
        _write_atomic(target, text)
    except OSError as exc:
        raise WriteError(target, why_not_written(exc, target)) from None


def _write_atomic(target: Path, text: str) -> None:
    if target.exists():
        mode = target.stat().st_mode & 0o7777
    else:  # what open() would give a new file: 0o666 less the umask
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    import tempfile  # here: its import (shutil, random, bz2, lzma) is 3 ms of
    # every `recipe lint`'s start, which writes only with --fix

    fd, tmp = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class RewriteError(ValueError):
    """An in-place rewrite that would be unsafe; the file is left untouched."""


def rewrite(path: str | os.PathLike[str], original: str, text: str) -> Path:
    """Rewrite a file the user asked to change in place, atomically.

    Refuses a symbolic link that leads out of the working tree (the link is kept and
    its target, inside the tree, is replaced), and a file whose content is no longer
    `original` (changed since it was read). Returns the path written.
    """
    link = Path(path)
    target = link.resolve()
    if link.is_symlink():
        tree = Path.cwd().resolve()
        if tree not in target.parents:
            raise RewriteError(
                f"{link} is a symbolic link to {target}, outside {tree}: write the "
                "result with -o instead"
            )
    try:
        current = target.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RewriteError(f"{link}: cannot read it again: {exc}") from None
    if current.lstrip("\ufeff") != original:
        raise RewriteError(
            f"{link} changed since it was read; nothing written, run again"
        )
    if current.startswith("\ufeff") and not text.startswith("\ufeff"):
        text = "\ufeff" + text  # keep the byte-order mark the file had
    write_atomic(target, text)
    return target


class Locked(Exception):
    """A folder another live process holds (`folder_lock`)."""

    def __init__(self, folder: Path, pid: str):
        holder = f"process {pid}" if pid else "another process"
        super().__init__(f"{folder} is in use by {holder}, which holds its lock")
        self.folder, self.pid = folder, pid


LOCK_NAME = ".recipe.lock"


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold an exclusive OS lock on `folder` (made if missing) while the block
    runs: a second process asking for it gets Locked at once, naming the holder's
    pid. The kernel drops the lock when its process ends, however it ends, so the
    file a killed run leaves behind is taken over, never waited on."""
    import fcntl

    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise WriteError(
            path / LOCK_NAME, why_not_written(exc, path / LOCK_NAME)
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Locked(
                path, os.pread(fd, 32, 0).decode(errors="replace").strip()
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing drops the lock
