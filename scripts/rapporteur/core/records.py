"""Typed records exchanged between pipeline stages, and their JSON form.

Every artefact a stage writes is one of these records serialised with
``to_json``: sorted keys, seconds rounded to milliseconds, a ``schema_version``
and what produced it.  Stages build new records; they never change inputs.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

SCHEMA_VERSION = 1


def sec(value: float) -> float:
    """Round seconds to milliseconds (the resolution of every artefact)."""
    return round(float(value), 3)


@dataclass(frozen=True, kw_only=True)
class Word:
    """One recognised word; ``text`` keeps Whisper's leading space."""

    start: float
    end: float
    text: str
    probability: float = 1.0


@dataclass(frozen=True, kw_only=True)
class Segment:
    """One Whisper segment (a decoding window's sentence or clause)."""

    id: int
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0


@dataclass(frozen=True, kw_only=True)
class Transcript:
    """What ``transcribe`` produces: ``transcript.json``."""

    language: str
    language_probability: float
    duration: float
    segments: tuple[Segment, ...]
    backend: str
    model: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    inputs: str = ""
    schema_version: int = SCHEMA_VERSION

    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]


@dataclass(frozen=True, kw_only=True)
class SpeechTurn:
    """An anonymous diarization turn: who (a cluster label) spoke when."""

    start: float
    end: float
    label: str


@dataclass(frozen=True, kw_only=True)
class Diarization:
    """What ``diarize`` produces (stored as RTTM plus a small JSON sidecar)."""

    turns: tuple[SpeechTurn, ...]
    backend: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    inputs: str = ""
    schema_version: int = SCHEMA_VERSION

    @property
    def labels(self) -> list[str]:
        return sorted({t.label for t in self.turns})


@dataclass(frozen=True, kw_only=True)
class Turn:
    """A speaker turn: consecutive words of one speaker.

    ``id`` is stable and derived from the start time (``t0754.32`` style is
    avoided for CSS/URL friendliness: ``t754320`` = milliseconds).
    """

    id: str
    start: float
    end: float
    label: str
    speaker: str
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Turns:
    """What ``attribute`` produces: ``turns.json``."""

    turns: tuple[Turn, ...]
    speakers: Mapping[str, str]
    naming: Mapping[str, Any] = field(default_factory=dict)
    """Per label, how its name was decided: ``{name, confidence, source, evidence: [...]}``."""
    language: str = ""
    duration: float = 0.0
    parameters: Mapping[str, Any] = field(default_factory=dict)
    inputs: str = ""
    schema_version: int = SCHEMA_VERSION


@dataclass(frozen=True, kw_only=True)
class AgendaItem:
    title: str
    start: float | None
    source: str = "session"  # session | chapters | placed | proposed
    confidence: float | None = None
    """0–1 for placed items; None when the time was given."""
    evidence: str = ""
    """What decided a placed time (the words and turn it matched)."""


@dataclass(frozen=True, kw_only=True)
class Agenda:
    """What ``segment`` produces: ``agenda.json``."""

    items: tuple[AgendaItem, ...]
    inputs: str = ""
    schema_version: int = SCHEMA_VERSION


def mmss(seconds: float) -> str:
    """Whole seconds, rounded down, as ``mm:ss`` (``h:mm:ss`` past an hour)."""
    total = max(0, int(math.floor(seconds + 1e-9)))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def turn_id(start: float) -> str:
    """Stable, URL-safe id of a turn derived from its start time."""
    return f"t{int(round(start * 1000))}"


# ---------------------------------------------------------------- JSON form

_FLOAT_FIELDS = {"start", "end", "duration"}


def _plain(value: Any, key: str = "") -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name), f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, key) for v in value]
    if isinstance(value, float):
        return sec(value) if key in _FLOAT_FIELDS else round(value, 4)
    return value


def to_json(record: Any) -> str:
    """Serialise a record: sorted keys, rounded seconds, trailing newline."""
    return json.dumps(_plain(record), sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def _words(raw: list[dict]) -> tuple[Word, ...]:
    return tuple(Word(**w) for w in raw)


def transcript_from_dict(d: dict) -> Transcript:
    segs = tuple(
        Segment(**{**s, "words": _words(s.get("words", []))}) for s in d["segments"]
    )
    return Transcript(**{**d, "segments": segs})


def diarization_from_dict(d: dict) -> Diarization:
    return Diarization(**{**d, "turns": tuple(SpeechTurn(**t) for t in d["turns"])})


def turns_from_dict(d: dict) -> Turns:
    turns = tuple(Turn(**{**t, "words": _words(t.get("words", []))}) for t in d["turns"])
    return Turns(**{**d, "turns": turns})


def agenda_from_dict(d: dict) -> Agenda:
    return Agenda(**{**d, "items": tuple(AgendaItem(**i) for i in d["items"])})


def read_record(path: Path, parse: Callable[[dict], Any]) -> Any:
    """An artefact parsed with one of the ``*_from_dict`` loaders; None when the file is absent."""
    from ..errors import RapporteurError

    path = Path(path)
    if not path.is_file():
        return None
    try:
        return parse(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError, KeyError) as exc:
        raise RapporteurError(f"unreadable ({exc})", path=path, hint="delete it and run the pipeline again") from None
