"""Progress of long stages: a tqdm bar on a terminal, plain lines in logs (CI, pipes)."""

from __future__ import annotations

import sys
import time
from typing import Callable, TextIO

from .text import fmt_clock

ProgressFn = Callable[[float, float], None]


class Progress:
    """Callable ``(done, total)`` in audio seconds (or bytes), printing to stderr.

    On a terminal a tqdm bar is redrawn in place; otherwise (CI logs, pipes) a
    plain line is printed every ``step`` fraction of the work so logs stay short.
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
        self._bar = None

    def __call__(self, done: float, total: float) -> None:
        if self.quiet or total <= 0:
            return
        frac = min(1.0, max(0.0, done / total))
        if self.tty:
            self._draw(min(done, total), total, frac)
            return
        elapsed = time.monotonic() - self._t0
        speed = done / elapsed if elapsed > 0 else 0.0
        if self.unit == "bytes":
            text = f"{self.label}: {done / 1e6:.1f} / {total / 1e6:.1f} MB ({frac:4.0%}, {speed / 1e6:.1f} MB/s)"
        else:
            text = f"{self.label}: {fmt_clock(done)} / {fmt_clock(total)} of audio ({frac:4.0%}, {speed:.1f}× real time)"
        if frac >= self._next or frac >= 1.0:
            self.stream.write(text + "\n")
            self.stream.flush()
            self._next = frac + self.step
            if frac >= 1.0:
                self._next = 2.0

    def _draw(self, done: float, total: float, frac: float) -> None:
        from tqdm import tqdm

        if self._bar is None:
            if frac >= 1.0 and self._next > 1.0:  # finished and closed already
                return
            audio = self.unit != "bytes"
            self._bar = tqdm(
                total=total, desc=self.label, file=self.stream, leave=True, dynamic_ncols=True, mininterval=0.2,
                unit="B" if not audio else " s audio", unit_scale=not audio, unit_divisor=1000,
                bar_format=("{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s of audio [{elapsed}<{remaining}]"
                            if audio else None),
            )
        bar = self._bar
        if total != bar.total:
            bar.total = total
        bar.update(done - bar.n)
        if frac >= 1.0:
            bar.close()
            self._bar = None
            self._next = 2.0

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def null_progress(done: float, total: float) -> None:
    """Progress sink that reports nothing."""
