"""Agenda placement against a synthetic session's ground truth: ``python -m rapporteur.eval.agenda SESSION_DIR…``."""

from __future__ import annotations

from typing import Any, Sequence

from ..agenda import AgendaEntry, Placement, place_items
from ..core.text import mmss


def start_errors(placed: Sequence[Placement], truth: dict[str, float | None]) -> list[tuple[str, float, float | None, float]]:
    """(title, true start, placed start, absolute error) for items with a true start; an unplaced item
    counts as wrong by the whole distance to the recording's start (its true start)."""
    out = []
    for p in placed:
        t = truth.get(p.title)
        if t is not None:
            out.append((p.title, t, p.start, abs((p.start if p.start is not None else 0.0) - t)))
    return out


def evaluate_placement(session_dir: Any) -> str:
    """Place a synthetic session's agenda from its titles only and compare with ``reference.json``."""
    from pathlib import Path

    from ..core import folder as files
    from ..core.folder import SessionFolder
    from ..core.session import load_session
    from .synth import load_reference

    d = Path(session_dir)
    session = load_session(d)
    turns = SessionFolder(d).require(files.TURNS)
    truth = {a.title: a.start for a in load_reference(d / "reference.json").agenda}
    placed = place_items([AgendaEntry(title=e.title) for e in session.agenda], None, turns, roster=session.speakers)
    rows = start_errors(placed, truth)
    lines = [f"{d.name}: mean absolute start error {sum(r[3] for r in rows) / max(len(rows), 1):.2f} s over {len(rows)} items"]
    for (title, t, s, err), p in zip(rows, placed):
        lines.append(f"  {mmss(t)} true, {mmss(s) if s is not None else '--:--'} placed, error {err:5.2f} s, "
                     f"confidence {p.confidence:.2f} [{p.method}] {title}")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m rapporteur.eval.agenda SESSION_DIR... (synthetic sessions with reference.json)
    import sys

    for arg in sys.argv[1:]:
        print(evaluate_placement(arg))
