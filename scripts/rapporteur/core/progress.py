"""Progress of long stages: a live line on a terminal, plain lines in logs."""

from __future__ import annotations

import sys
import time
from typing import Callable, TextIO

from .text import fmt_clock

ProgressFn = Callable[[float, float], None]


class Progress:
    """Callable ``(done, total)`` in audio seconds, printing to stderr.

    On a terminal one line is rewritten; otherwise (CI logs, pipes) a line is
    printed every ``step`` fraction of the work so logs stay short.
    """

    def __init__(
        self, label: str, *, stream: TextIO | None = None, step: float = 0.1, quiet: bool = False, unit: str = "audio"
    ) -> None:
        self.label = label
        self.unit = unit
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.step = step
        self.quiet = quiet
        self._next = 0.0
        self._t0 = time.monotonic()
        self._last_draw = 0.0

    def __call__(self, done: float, total: float) -> None:
        if self.quiet or total <= 0:
            return
        frac = min(1.0, max(0.0, done / total))
        elapsed = time.monotonic() - self._t0
        speed = done / elapsed if elapsed > 0 else 0.0
        if self.unit == "bytes":
            text = f"{self.label}: {done / 1e6:.1f} / {total / 1e6:.1f} MB ({frac:4.0%}, {speed / 1e6:.1f} MB/s)"
        else:
            text = f"{self.label}: {fmt_clock(done)} / {fmt_clock(total)} of audio ({frac:4.0%}, {speed:.1f}× real time)"
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw > 0.2 or frac >= 1.0:
                self.stream.write("\r" + text + ("\n" if frac >= 1.0 else ""))
                self.stream.flush()
                self._last_draw = now
        elif frac >= self._next or frac >= 1.0:
            self.stream.write(text + "\n")
            self.stream.flush()
            self._next = frac + self.step
            if frac >= 1.0:
                self._next = 2.0


def null_progress(done: float, total: float) -> None:
    """Progress sink that reports nothing."""
