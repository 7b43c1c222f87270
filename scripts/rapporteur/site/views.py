"""What a page shows of a session, read from core records: ``SessionView`` and the facts pages derive from it.

A view is one session with its ``turns.json``, ``agenda.json`` and the reason
processing failed (``.error``), if it did.  Everything here reads records; no
function writes a file or builds markup.

Artefacts are read through ``core``'s SessionFolder, with its one policy: a damaged
or old-schema artefact is treated as missing (the pipeline rebuilds it), and the page
says why in one line.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..core.folder import AGENDA, AUDIO, SUMMARY, TURNS, SessionFolder
from ..core.records import Agenda, AgendaItem, NamingEntry, Summary, Turn, Turns, Unheard, turn_id
from ..core.session import Session, load_session

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
    """A session with its ``turns.json`` and ``agenda.json`` when they exist and are sound."""
    folder = SessionFolder(session.dir, name=session.id)
    turns, agenda = folder.read(TURNS), folder.read(AGENDA)
    if error is None and folder.damaged:
        name, why = next(iter(folder.damaged.items()))
        error = f"{name} is damaged ({why}) — run make to rebuild it"
    return SessionView(session=session, turns=turns, agenda=agenda, error=error)


def session_view(session_dir: Path) -> SessionView:
    """Everything the site shows about one session (raises on a bad session.yaml)."""
    session = load_session(session_dir)
    error = SessionFolder(session_dir).error()
    return load_view(session, error=error.splitlines()[0][:300] if error else None)


def load_summary(view: SessionView) -> Summary | None:
    """The session's ``summary.json``, or None (none yet, no turns to cite, or damaged: the pipeline rebuilds it)."""
    if view.turns is None:
        return None
    return SessionFolder(view.session.dir, name=view.session.id).read(SUMMARY)


def local_media(session: Session) -> Path | None:
    """The session's media on disk: the recording file, else what fetch downloaded, else audio.wav."""
    path = session.recording_path
    if path is not None and path.is_file():
        return path
    folder = SessionFolder(session.dir, name=session.id)
    if session.recording_is_url:
        fetched = folder.fetched_media(session.recording)
        if fetched is not None:
            return fetched
    wav = folder.path(AUDIO)
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


def unheard_speaker(gap: Unheard, turns: Turns) -> str:
    """The name of the voice heard in speech left without words (a voice with no words anywhere has none)."""
    return _SPACE.sub(" ", turns.speakers.get(gap.label, "")).strip() or "Unidentified voice"


def not_made_out(gap: Unheard) -> str:
    """What a transcript says in place of speech left without words."""
    return f"{round(gap.end - gap.start)} s of speech the recogniser could not make out"


def with_unheard(turns: Turns) -> list[Turn | Unheard]:
    """The turns, with the speech left without words where it was said: each stretch before the first turn that
    starts after it, those after the last turn at the end."""
    gaps = sorted(turns.unheard, key=lambda u: u.start)
    out: list[Turn | Unheard] = []
    k = 0
    for turn in turns.turns:
        while k < len(gaps) and gaps[k].start < turn.start:
            out.append(gaps[k])
            k += 1
        out.append(turn)
    return out + gaps[k:]


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


def session_language(view: SessionView) -> str:
    """The session's language: session.yaml's, else the one Whisper detected; "" when neither is known."""
    return view.session.language or (view.turns.language if view.turns else "")


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
