"""Atomic writes: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import errno
import os
import tempfile
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
