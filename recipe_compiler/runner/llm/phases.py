"""The run's phases, each announced, timed and its peak memory sampled.

Peak memory is the process's resident set, sampled every 20 ms by a thread
(`/proc/self/statm`; where there is none, the process's peak so far): what a
phase needs of the machine, the figure that decides whether a model fits."""

from __future__ import annotations

import contextlib
import os
import resource
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss() -> int:
    """Resident bytes now (the peak so far where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


class Phases:
    def __init__(self, names: list[str], echo: Callable[[str], None]):
        self.names = names
        self.echo = echo
        self.rows: list[dict[str, Any]] = []
        self.current: str | None = None
        self._peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self._peak = max(self._peak, rss())

    @contextlib.contextmanager
    def phase(self, name: str, says: str = "") -> Iterator[None]:
        number = self.names.index(name) + 1
        self.echo(
            f"recipe run: [{number}/{len(self.names)}] {name}"
            + (f": {says}" if says else "")
        )
        self.current = name
        self._peak = rss()
        start = time.perf_counter()
        yield
        self._peak = max(self._peak, rss())
        self.rows.append(
            {
                "phase": name,
                "seconds": round(time.perf_counter() - start, 3),
                "peak_rss_bytes": self._peak,
            }
        )
        self.current = None

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
