"""Typed records exchanged between pipeline stages, and their JSON form.

Every artefact a stage writes is one of these records serialised with
``to_json``: sorted keys, seconds rounded to milliseconds, a ``schema_version``
and what produced it.  Stages build new records; they never change inputs.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import functools
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence


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
class Unheard:
    """A stretch of detected speech that still has no words after it was decoded again: speech the recogniser
    could not make out (a remote speaker on a poor line, speech under the room's noise).  ``label``: the voice
    the diarizer heard there (``turns.json``); "" in ``transcript.json``."""

    start: float
    end: float
    label: str = ""


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
    prompt: str = ""
    """The text that primed the decoder (title, roster names, description); "" when none."""
    unheard: tuple[Unheard, ...] = ()
    """Speech of ``parameters['fill_gaps']`` s or more left without words (none looked for when that is 0)."""
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
    corrections: tuple[TurnCorrection, ...] | None = None
    """Human corrections applied to this turn (corrections.yaml, glossary.yaml); absent when none."""



@dataclass(frozen=True, kw_only=True)
class Evidence:
    """One piece of naming evidence: a rule that fired on words of a turn."""

    turn_id: str
    start: float
    text: str
    rule: str
    weight: float
    person: str | None = None
    """Only for an unnamed voice: whom the evidence pointed at."""


@dataclass(frozen=True, kw_only=True)
class NamingEntry:
    """How one diarization label got its name (``turns.json`` ``naming``)."""

    name: str
    confidence: float
    source: str
    """speaker_map | automatic | unnamed"""
    evidence: tuple[Evidence, ...] = ()
    against: tuple[Evidence, ...] | None = None
    """Evidence that the voice is *not* that person (automatic names only)."""
    split: bool | None = None
    """True: a second label given a name already taken (a diarizer split the links did not catch)."""
    same_person_as: tuple[str, ...] | None = None
    """Other labels judged to be the same person."""
    on_roster: bool | None = None
    """False: a name that is not on the session's roster, from the speaker's own self-introduction (spelled as heard)."""
    heard_apart_from: str | None = None
    """The label whose voice this one was heard as: turns in which the speaker says who they are (a
    self-introduction; relaying the online questions as the online moderator) given their own label."""


@dataclass(frozen=True, kw_only=True)
class Turns:
    """What ``attribute`` produces: ``turns.json``."""

    turns: tuple[Turn, ...]
    speakers: Mapping[str, str]
    naming: Mapping[str, NamingEntry] = field(default_factory=dict)
    """Per label, how its name was decided."""
    language: str = ""
    duration: float = 0.0
    parameters: Mapping[str, Any] = field(default_factory=dict)
    unheard: tuple[Unheard, ...] = ()
    """The transcript's speech left without words, each with the voice heard there."""
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

@dataclass(frozen=True, kw_only=True)
class Claim:
    """One published sentence and the turns whose words support it."""

    text: str
    turns: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ItemSummary:
    title: str
    start: float | None
    end: float | None
    sentences: tuple[Claim, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SpeakerPoints:
    speaker: str
    role: str = ""
    affiliation: str = ""
    points: tuple[Claim, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Quote:
    """Verbatim words of one speaker, from one turn, starting at ``start`` seconds."""

    text: str
    speaker: str
    turn: str
    start: float


@dataclass(frozen=True, kw_only=True)
class OfficialReport:
    """The session's official rapporteur report (session.yaml ``report:``)."""

    key_takeaways: tuple[str, ...] = ()
    calls_to_action: tuple[str, ...] = ()
    url: str = ""


@dataclass(frozen=True, kw_only=True)
class Summary:
    """What ``summarize`` produces: ``summary.json``."""

    abstract: tuple[Claim, ...]
    items: tuple[ItemSummary, ...]
    speakers: tuple[SpeakerPoints, ...]
    quotes: tuple[Quote, ...]
    official: OfficialReport | None = None
    backend: str = "extractive"
    model: str = ""
    dropped: int = 0  # sentences the backend proposed that failed the support check
    parameters: Mapping[str, Any] = field(default_factory=dict)
    inputs: str = ""
    schema_version: int = SCHEMA_VERSION


def _claims(raw: Sequence[Mapping[str, Any]]) -> tuple[Claim, ...]:
    return tuple(Claim(text=c["text"], turns=tuple(c["turns"])) for c in raw)


def summary_from_dict(d: Mapping[str, Any]) -> Summary:
    """Load the parsed JSON of ``summary.json``."""
    off = d.get("official")
    return Summary(
        **{
            **d,
            "abstract": _claims(d.get("abstract", [])),
            "items": tuple(ItemSummary(**{**i, "sentences": _claims(i.get("sentences", []))}) for i in d.get("items", [])),
            "speakers": tuple(SpeakerPoints(**{**s, "points": _claims(s.get("points", []))}) for s in d.get("speakers", [])),
            "quotes": tuple(Quote(**q) for q in d.get("quotes", [])),
            "official": OfficialReport(
                key_takeaways=tuple(off.get("key_takeaways", ())),
                calls_to_action=tuple(off.get("calls_to_action", ())),
                url=off.get("url", ""),
            ) if off else None,
        }
    )


def turn_id(start: float) -> str:
    """Stable, URL-safe id of a turn derived from its start time."""
    return f"t{int(round(start * 1000))}"


# ---------------------------------------------------------------- JSON form

_FLOAT_FIELDS = {"start", "end", "duration"}


def _plain(value: Any, key: str = "") -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        omit = type(value) in _OMIT_NONE  # optional fields absent rather than null
        return {f.name: _plain(getattr(value, f.name), f.name) for f in dataclasses.fields(value)
                if not (omit and getattr(value, f.name) is None)
                and not (f.name in _OMIT_EMPTY and not getattr(value, f.name))}
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
    return Transcript(**{**d, "segments": segs, "unheard": _unheard(d.get("unheard", ()))})


def _unheard(raw: Any) -> tuple[Unheard, ...]:
    return tuple(Unheard(**u) if isinstance(u, Mapping) else u for u in raw or ())


def diarization_from_dict(d: dict) -> Diarization:
    return Diarization(**{**d, "turns": tuple(SpeechTurn(**t) for t in d["turns"])})


def turns_from_dict(d: dict) -> Turns:
    turns = tuple(Turn(**{**t, "words": _words(t.get("words", [])), **_turn_corrections(t)}) for t in d["turns"])
    naming = {str(k): naming_entry_from_dict(v) for k, v in (d.get("naming") or {}).items()}
    return Turns(**{**d, "turns": turns, "naming": naming, "unheard": _unheard(d.get("unheard", ()))})


def _evidence(raw: Any) -> tuple[Evidence, ...]:
    return tuple(Evidence(**e) for e in raw or ())


def naming_entry_from_dict(d: Mapping[str, Any]) -> NamingEntry:
    return NamingEntry(**{
        **d,
        "evidence": _evidence(d.get("evidence")),
        "against": _evidence(d["against"]) if d.get("against") is not None else None,
        "same_person_as": tuple(d["same_person_as"]) if d.get("same_person_as") is not None else None,
    })


def agenda_from_dict(d: dict) -> Agenda:
    return Agenda(**{**d, "items": tuple(AgendaItem(**i) for i in d["items"])})


_OMIT_NONE = {Evidence, NamingEntry}
_OMIT_EMPTY = {"unheard"}
"""Fields left out when empty, so that the files written before they existed read and write back byte for byte."""


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


_SCALAR_TYPES = {float: (float, int), int: (int,), str: (str,), bool: (bool,)}
"""The value types each scalar annotation accepts (JSON writes 2.0 as 2)."""

Problem = tuple[str, Any, Any]
"""What does not fit: the field's path (".segments[0].start"), its annotation and the value found."""
Check = Callable[[Any], "Problem | None"]


@functools.cache
def _checker(tp: Any) -> Check:
    """A check for values of annotation ``tp``, built once per annotation (records are read in bulk).

    Paths are put together only on the way back from a failure, so a fitting record costs
    one type test per field.
    """
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return lambda value: None
    if origin in (typing.Union, types.UnionType):
        alternatives = [_checker(a) for a in args if a is not type(None)]
        if len(alternatives) == 1 and len(args) == 2:  # X | None: a value that is not None is checked as X
            return lambda value: None if value is None else alternatives[0](value)
        optional = type(None) in args
        return lambda value: (None if (optional and value is None) or any(c(value) is None for c in alternatives)
                              else ("", tp, value))
    if tp is type(None):
        return lambda value: None if value is None else ("", tp, value)
    if tp in (float, int, str, bool):
        allowed = _SCALAR_TYPES[tp]
        return lambda value: None if type(value) in allowed else ("", tp, value)
    if origin is tuple:
        each = _checker(args[0]) if len(args) == 2 and args[1] is Ellipsis else None
        fixed = [_checker(a) for a in args] if each is None else []

        flat = getattr(each, "flat", None)

        def check_tuple(value: Any) -> Problem | None:
            if not isinstance(value, tuple) or (each is None and len(value) != len(fixed)):
                return ("", tp, value)
            if flat and all(type(v) is flat[0] for v in value) and all(
                    {type(getattr(v, name)) for v in value} <= allowed for name, allowed in flat[1]):
                return None  # a tuple of words: one pass per field
            for i, v in enumerate(value):
                problem = (each or fixed[i])(v)
                if problem:
                    return (f"[{i}]" + problem[0], *problem[1:])
            return None
        return check_tuple
    if origin in (collections.abc.Mapping, dict) or tp in (Mapping, dict):
        key_check, value_check = (_checker(a) for a in (args or (Any, Any)))

        def check_mapping(value: Any) -> Problem | None:
            if not isinstance(value, Mapping):
                return ("", tp, value)
            for k, v in value.items():
                problem = key_check(k) or value_check(v)
                if problem:
                    return (f"[{k!r}]" + problem[0], *problem[1:])
            return None
        return check_mapping
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        fields = [(f.name, _checker(hints[f.name])) for f in dataclasses.fields(tp)]
        scalars = [(f.name, _SCALAR_TYPES.get(hints[f.name]))
                   for f in dataclasses.fields(tp)]
        if all(allowed for _, allowed in scalars):  # Word, Claim …: the bulk of every artefact, tested inline
            def check_flat(value: Any) -> Problem | None:
                if type(value) is tp and all(type(getattr(value, n)) in allowed for n, allowed in scalars):
                    return None
                return check_record(value)
            check_flat.flat = (tp, [(n, set(allowed)) for n, allowed in scalars])  # type: ignore[attr-defined]
        else:
            check_flat = None

        def check_record(value: Any) -> Problem | None:
            if not isinstance(value, tp):
                return ("", tp, value)
            for name, check in fields:
                problem = check(getattr(value, name))
                if problem:
                    return (f".{name}" + problem[0], *problem[1:])
            return None
        return check_flat or check_record
    return lambda value: None  # a kind of annotation records do not use: not checked


def check_types(record: Any) -> Any:
    """``record`` itself when every field holds what its annotation says; TypeError naming the first that does not.

    The loaders build records from JSON with ``**`` and keep whatever the file holds;
    this is what stops ``"start": "soon"`` from reaching a stage as a string.
    """
    problem = _checker(type(record))(record)
    if problem:
        where, tp, value = problem
        shown = type(value).__name__ if isinstance(value, (Mapping, list, tuple)) else repr(value)[:40]
        raise TypeError(f"{where.lstrip('.') or 'the record'} should be {_type_name(tp)}, not {shown}")
    return record


def read_record(path: Path, parse: Callable[[dict], Any]) -> Any:
    """An artefact parsed with one of the ``*_from_dict`` loaders; None when the file is absent."""
    from ..errors import RapporteurError

    path = Path(path)
    if not path.is_file():
        return None
    try:
        return check_types(parse(json.loads(path.read_text(encoding="utf-8"))))
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise RapporteurError(f"unreadable ({exc})", path=path, hint="delete it and run the pipeline again") from None


# ---------------------------------------------------------------- human corrections


@dataclass(frozen=True, kw_only=True)
class TurnCorrection:
    """One human correction applied to a turn (``turns.json`` ``turns[i].corrections``).

    ``kind`` and what ``before``/``after`` hold:
    glossary, replace: the words as heard → the words as written;
    speaker: the old speaker → the new one;
    split: the id of the turn that was cut → the id of the turn that starts at the words (on both halves);
    merge: the id of the turn that was joined to this one → this turn's id.
    """

    kind: str
    source: str
    """Where the correction lives: ``corrections.yaml turns[3]`` or ``glossary.yaml "I GF"``."""
    before: str
    after: str


def _turn_corrections(t: Mapping[str, Any]) -> dict[str, Any]:
    raw = t.get("corrections")
    return {"corrections": tuple(TurnCorrection(**c) for c in raw)} if raw is not None else {}


_OMIT_NONE.add(Turn)  # a turn without corrections is written exactly as before they existed
