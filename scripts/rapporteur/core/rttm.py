"""RTTM, the diarization exchange format: standard 10-field ``SPEAKER`` lines, written and read."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..errors import StageError
from .records import Diarization, SpeechTurn, sec


# ------------------------------------------------------------------ RTTM


def to_rttm(diarization: Diarization | Iterable[SpeechTurn], file_id: str) -> str:
    """Standard 10-field RTTM ``SPEAKER`` lines (spaces in names become ``_``)."""
    turns = diarization.turns if isinstance(diarization, Diarization) else diarization
    fid = "_".join(str(file_id).split()) or "recording"
    lines = []
    for t in sorted(turns, key=lambda t: (t.start, t.end, t.label)):
        label = "_".join(t.label.split())
        lines.append(f"SPEAKER {fid} 1 {t.start:.3f} {max(0.0, t.end - t.start):.3f} <NA> <NA> {label} <NA> <NA>\n")
    return "".join(lines)


def read_rttm(text: str, *, path: str | Path | None = None) -> list[SpeechTurn]:
    """The ``SPEAKER`` lines of an RTTM file as turns, sorted by start."""
    turns = []
    for n, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith((";", "#")) or fields[0] != "SPEAKER":
            continue
        try:
            if len(fields) < 8:
                raise ValueError("too few fields")
            start, dur = float(fields[3]), float(fields[4])
            if dur < 0 or start < 0:
                raise ValueError("negative time")
        except ValueError as exc:
            raise StageError(
                f"line {n}: not an RTTM SPEAKER line ({exc})",
                path=path,
                hint="expected `SPEAKER file 1 start duration <NA> <NA> name <NA> <NA>`",
            ) from None
        turns.append(SpeechTurn(start=sec(start), end=sec(start + dur), label=fields[7]))
    return sorted(turns, key=lambda t: (t.start, t.end, t.label))
