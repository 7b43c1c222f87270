"""What a page shows of a session, read from core records: ``SessionView`` and the facts pages derive from it.

A view is one session with its ``turns.json``, ``agenda.json`` and the reason
processing failed (``.error``), if it did.  Everything here reads records; no
function writes a file or builds markup.

The two names this module takes from outside ``core`` (``ERROR_FILE`` of the
pipeline, ``fetched_media`` of fetch) are each imported once, in
``session_view`` and ``local_media``: they move to ``core``'s SessionFolder.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..core.records import (Agenda, AgendaItem, NamingEntry, Summary, Turn, Turns, agenda_from_dict, read_record,
                            summary_from_dict, turn_id, turns_from_dict)
from ..core.session import Session, load_session
from ..errors import RapporteurError

SUMMARY_FILE = "summary.json"
"""A session folder's summary (written by the summarize stage), shown under "Summary"."""

_SPACE = re.compile(r"\s+")
_SAFE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class SessionView:
    """What the site shows of one session; ``error`` is a one-line reason processing failed."""

    session: Session
    turns: Turns | None
    agenda: Agenda | None
    error: str | None = None

    @property
    def status(self) -> str:
        """Why there is no transcript (empty when there is one)."""
        if self.turns is not None and self.turns.turns:
            return ""
        if self.error:
            return "Processing failed"
        if self.session.recording is None:
            return "Recording not yet available"
        return "Transcript not yet available"


# ------------------------------------------------------------------- reading


def load_view(session: Session, *, error: str | None = None) -> SessionView:
    """A session with its ``turns.json`` and ``agenda.json`` when they exist."""
    return SessionView(
        session=session,
        turns=read_record(session.dir / "turns.json", turns_from_dict),
        agenda=read_record(session.dir / "agenda.json", agenda_from_dict),
        error=error,
    )


def session_view(session_dir: Path) -> SessionView:
    """Everything the site shows about one session (raises on a bad session.yaml)."""
    from ..pipeline import ERROR_FILE

    session = load_session(session_dir)
    error = None
    err_file = session_dir / ERROR_FILE
    if err_file.is_file():
        error = err_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()[0][:300]
    try:
        return load_view(session, error=error)
    except RapporteurError as exc:
        return SessionView(session=session, turns=None, agenda=None, error=str(exc))


def load_summary(view: SessionView) -> Summary | None:
    """The session's ``summary.json``, or None (none yet, no turns to cite, or damaged: the pipeline rebuilds it)."""
    path = view.session.dir / SUMMARY_FILE
    if not path.is_file() or view.turns is None:
        return None
    try:
        return summary_from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def local_media(session: Session) -> Path | None:
    """The session's media on disk: the recording file, else what fetch downloaded, else audio.wav."""
    path = session.recording_path
    if path is not None and path.is_file():
        return path
    if session.recording_is_url:
        from ..fetch import fetched_media

        fetched = fetched_media(session)
        if fetched is not None:
            return fetched
    wav = session.dir / "audio.wav"
    return wav if wav.is_file() and session.recording else None


# ------------------------------------------------------------ derived facts


def one_line_reason(error: str, limit: int = 300) -> str:
    """A failure reason on one line, without a traceback."""
    lines = [ln.strip() for ln in str(error).splitlines() if ln.strip()]
    if not lines:
        return "unknown error"
    if lines[0].startswith("Traceback"):
        line = lines[-1]
    else:
        line = lines[0]
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def speaker_name(turn: Turn, turns: Turns | None = None) -> str:
    """The display name of a turn's speaker (name, else mapped label, else label)."""
    name = turn.speaker or (turns.speakers.get(turn.label, "") if turns else "") or turn.label
    return _SPACE.sub(" ", name).strip()


def turn_text(turn: Turn) -> str:
    """A turn's text on one line (its words joined when ``text`` is empty)."""
    text = turn.text or "".join(w.text for w in turn.words)
    return _SPACE.sub(" ", text).strip()


def has_turns(view: SessionView) -> bool:
    return view.turns is not None and bool(view.turns.turns)


def human_duration(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    h, m = divmod((s + 30) // 60, 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


def duration(view: SessionView) -> str:
    """How long the session is, as shown: from the transcript, else session.yaml's ``duration``."""
    if view.turns is not None and view.turns.duration > 0:
        return human_duration(view.turns.duration)
    if view.turns is not None and view.turns.turns:
        return human_duration(max(t.end for t in view.turns.turns))
    return view.session.duration


def agenda_items(view: SessionView) -> list[AgendaItem]:
    """The placed agenda (``agenda.json``), else session.yaml's agenda."""
    if view.agenda is not None and view.agenda.items:
        return list(view.agenda.items)
    return [AgendaItem(title=e.title, start=e.start) for e in view.session.agenda]


def _turn_anchor(turn: Turn, used: set[str]) -> str:
    base = turn.id if _SAFE_ID.match(turn.id or "") else turn_id(turn.start)
    anchor, n = base, 2
    while anchor in used:
        anchor, n = f"{base}-{n}", n + 1
    used.add(anchor)
    return anchor


def turn_anchors(turns: Turns) -> list[str]:
    """Each turn's anchor on its session page, in order (unique within the page)."""
    used: set[str] = set()
    return [_turn_anchor(t, used) for t in turns.turns]


def speakers_in_order(view: SessionView) -> list[str]:
    """The roster's names, then every other speaker of the transcript, in order of first turn."""
    names = list(view.session.roster_names())
    if view.turns is not None:
        for t in view.turns.turns:
            name = speaker_name(t, view.turns)
            if name and name not in names:
                names.append(name)
    return names


def talk_time(view: SessionView) -> Counter[str]:
    """Display name → seconds spoken."""
    talk: Counter[str] = Counter()
    if view.turns is not None:
        for t in view.turns.turns:
            talk[speaker_name(t, view.turns)] += max(t.end - t.start, 0.0)
    return talk


def naming_by_name(view: SessionView) -> dict[str, NamingEntry]:
    """Display name → how it was found (``turns.json`` naming: source, confidence, evidence).

    A name given to several voice labels (a speaker the diarizer split) keeps its best entry.
    """
    out: dict[str, NamingEntry] = {}
    naming = view.turns.naming if view.turns is not None else {}
    for entry in naming.values():
        name = _SPACE.sub(" ", entry.name).strip()
        old = out.get(name)
        if old is None or entry.confidence > old.confidence:
            out[name] = entry
    return out
