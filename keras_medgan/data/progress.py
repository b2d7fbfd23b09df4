"""A minimal progress line with an ETA for long loads (stderr, throttled)."""

from __future__ import annotations

import sys
import time


class Progress:
    """``Progress(total, "decoding")``; call ``update(done)``; ``close()`` at the end.

    Silent for short jobs (the first line appears after ``delay`` seconds), so tests and
    small sets stay quiet while a 100k-file RSNA load still says how long it will take.
    """

    def __init__(self, total: int, label: str, enabled: bool = True, delay: float = 2.0,
                 every: float = 2.0, stream=None):
        self.total, self.label, self.enabled = total, label, enabled
        self.delay, self.every = delay, every
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self.last = None
        self.shown = False

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        elapsed = now - self.start
        if elapsed < self.delay or (self.last is not None and now - self.last < self.every):
            return
        self.last = now
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / rate if rate > 0 else float("inf")
        self.stream.write(f"\r{self.label}: {done}/{self.total} ({rate:.0f}/s, ETA {_fmt(eta)})   ")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            elapsed = time.perf_counter() - self.start
            self.stream.write(f"\r{self.label}: {self.total}/{self.total} done in {_fmt(elapsed)}      \n")
            self.stream.flush()


def _fmt(seconds: float) -> str:
    if seconds == float("inf"):
        return "?"
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds}s"
