"""A progress bar within each epoch: steps done, loss, LR, sparsity and time left.

Drawn in place (carriage return) only when the stream is a terminal, at most ten
times a second; in a log file or CI output it draws nothing, and the runner's
one line per epoch is the record. An epoch of a real detection run takes hours:
this is what shows it is moving.
"""

from __future__ import annotations

import shutil
import time
from typing import TextIO


class StepBar:
    def __init__(self, stream: TextIO | None, min_interval: float = 0.1):
        self.stream = stream
        self.live = stream is not None and stream.isatty()
        self.min_interval = min_interval
        self.start = self.last = 0.0
        self.drawn = False

    def begin(self) -> None:
        """A new epoch (or dense epoch) starts now."""
        self.start = time.monotonic()
        self.last = 0.0

    def update(self, label: str, done: int, total: int, **values: float) -> None:
        """After step `done` of `total`; `values` are shown as `name value`."""
        if not self.live:
            return
        now = time.monotonic()
        if done < total and now - self.last < self.min_interval:
            return
        self.last = now
        assert self.stream is not None
        self.stream.write(
            "\r" + self.line(label, done, total, now - self.start, values)
        )
        self.stream.flush()
        self.drawn = True

    def line(
        self, label: str, done: int, total: int, elapsed: float, values: dict
    ) -> str:
        width = 20
        filled = width * done // max(1, total)
        left = elapsed / done * (total - done) if done else 0.0
        shown = " ".join(f"{k} {v:.4g}" for k, v in values.items())
        text = (
            f"{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
            f"{shown} {_clock(elapsed)}<{_clock(left)}"
        )
        columns = shutil.get_terminal_size((120, 20)).columns
        return text[: columns - 1].ljust(columns - 1)

    def clear(self) -> None:
        """Wipe the bar so the epoch's summary line prints on a clean line."""
        if self.drawn and self.stream is not None:
            columns = shutil.get_terminal_size((120, 20)).columns
            self.stream.write("\r" + " " * (columns - 1) + "\r")
            self.stream.flush()
            self.drawn = False


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"
