"""session.yaml: loading and validation into a typed ``Session`` record.

Errors name the file, the field and what to write instead; unknown fields are
warnings.  All problems of a file are reported together.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from ..errors import SessionError

SESSION_FILE = "session.yaml"
ROLES = (
    "moderator",
    "online moderator",
    "rapporteur",
    "speaker",
    "organiser",
    "keynote",
    "chair",
    "participant",
)
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
_LANG_RE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True, kw_only=True)
class Person:
    name: str
    role: str = "speaker"
    """One role, or several joined by ", " (e.g. "online moderator, rapporteur")."""
    affiliation: str = ""
    stakeholder_group: str = ""
    region: str = ""

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(r.strip() for r in self.role.split(",") if r.strip())


@dataclass(frozen=True, kw_only=True)
class AgendaEntry:
    title: str
    start: float | None = None


@dataclass(frozen=True, kw_only=True)
class Session:
    """A session as its maintainer described it."""

    id: str
    dir: Path
    title: str
    event: str = ""
    date: dt.date | None = None
    recording: str | None = None
    language: str | None = None
    speakers: tuple[Person, ...] = ()
    agenda: tuple[AgendaEntry, ...] = ()
    speaker_map: Mapping[str, str] = field(default_factory=dict)
    description: str = ""
    page: str = ""
    format: str = ""
    duration: str = ""
    captions: str | None = None
    """Official caption text (IGF "raw captioning"): a file in this folder or a URL."""
    transcript_text: str = "captions"
    """Which text the site shows when captions exist: captions (human) | asr."""
    report: Mapping[str, Any] = field(default_factory=dict)
    """The official rapporteur report: ``{key_takeaways: [...], calls_to_action: [...], url: ...}``."""
    warnings: tuple[str, ...] = ()

    @property
    def file(self) -> Path:
        return self.dir / SESSION_FILE

    @property
    def year(self) -> int | None:
        return self.date.year if self.date else None

    @property
    def recording_is_url(self) -> bool:
        return bool(self.recording) and bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", self.recording or ""))

    @property
    def recording_path(self) -> Path | None:
        """The local media file, when ``recording`` is a path."""
        if not self.recording or self.recording_is_url:
            return None
        return self.dir / self.recording

    def roster_names(self) -> list[str]:
        return [p.name for p in self.speakers]


KNOWN_FIELDS = {
    "title",
    "event",
    "date",
    "recording",
    "language",
    "speakers",
    "agenda",
    "speaker_map",
    "description",
    "page",
    "format",
    "duration",
    "captions",
    "transcript_text",
    "report",
}
PERSON_FIELDS = {"name", "role", "affiliation", "stakeholder_group", "region"}
AGENDA_FIELDS = {"title", "start"}


def parse_time(value: Any) -> float:
    """Parse ``"mm:ss"``, ``"hh:mm:ss"`` (fractions allowed) or seconds.

    YAML 1.1 already turns an unquoted ``12:34`` into the integer 754
    (base 60), which is the same number of seconds.
    """
    if isinstance(value, bool):
        raise ValueError("not a time")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("negative time")
        return float(value)
    text = str(value).strip()
    m = re.fullmatch(r"(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)", text)
    if m:
        h, mnt, s = int(m.group(1) or 0), int(m.group(2)), float(m.group(3))
        if mnt >= 60 or s >= 60:
            raise ValueError("minutes and seconds must be below 60")
        return h * 3600 + mnt * 60 + s
    m = re.fullmatch(r"\d+(?:\.\d+)?", text)
    if m:
        return float(text)
    raise ValueError("not a time")


def _str(data: Mapping, key: str, errors: list[str], where: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None:
        if required:
            errors.append(f"{where}{key}: missing — add `{key}: ...`")
        return ""
    if isinstance(value, (dict, list)):
        errors.append(f"{where}{key}: expected text, got a {type(value).__name__}")
        return ""
    return str(value).strip()


def parse_session(data: Any, directory: Path, *, source: str = SESSION_FILE) -> Session:
    """Validate the parsed YAML of one session; raise one SessionError listing every problem."""
    errors: list[str] = []
    warnings: list[str] = []
    if not isinstance(data, dict):
        raise SessionError(
            "expected a mapping of fields (title:, date:, speakers: ...) at the top level",
            path=source,
        )
    session_id = Path(directory).name or Path(directory).resolve().name  # "." is the folder it names
    if not _ID_RE.match(session_id):
        errors.append(
            f"folder name {session_id!r} is not a valid session id — use lower-case letters, digits, '.', '_' or '-'"
        )
    for key in sorted(set(map(str, data)) - KNOWN_FIELDS):
        warnings.append(f"{source}: unknown field {key!r} ignored (known: {', '.join(sorted(KNOWN_FIELDS))})")

    title = _str(data, "title", errors, "", required=True)
    event = _str(data, "event", errors, "")
    date: dt.date | None = None
    raw_date = data.get("date")
    if isinstance(raw_date, dt.datetime):
        date = raw_date.date()
    elif isinstance(raw_date, dt.date):
        date = raw_date
    elif raw_date is not None:
        try:
            date = dt.date.fromisoformat(str(raw_date).strip())
        except ValueError:
            errors.append(f"date: {raw_date!r} is not an ISO date — write it as YYYY-MM-DD, e.g. 2023-10-10")

    recording = _str(data, "recording", errors, "") or None
    if recording:
        scheme = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", recording)
        if scheme and scheme.group(1).lower() not in ("http", "https") and len(scheme.group(1)) > 1:
            errors.append(f"recording: only http(s) URLs or a file path are accepted, not {scheme.group(1)}:")
        elif not scheme:
            p = Path(recording)
            if p.is_absolute() or ".." in p.parts:
                errors.append("recording: a local file must be a path inside the session folder (no '..', not absolute)")

    language = _str(data, "language", errors, "") or None
    if language:
        language = language.lower()
        if not _LANG_RE.match(language):
            errors.append(f"language: {language!r} is not a language code — write e.g. en, fr, es, zh")

    speakers: list[Person] = []
    raw_speakers = data.get("speakers") or []
    if not isinstance(raw_speakers, list):
        errors.append("speakers: expected a list of `- name: ...` entries")
        raw_speakers = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_speakers, 1):
        where = f"speakers[{i}]."
        if isinstance(raw, str):
            raw = {"name": raw}
        if not isinstance(raw, dict):
            errors.append(f"speakers[{i}]: expected `- name: ...` with optional role, affiliation")
            continue
        for key in sorted(set(map(str, raw)) - PERSON_FIELDS):
            warnings.append(f"{source}: unknown field speakers[{i}].{key} ignored")
        name = _str(raw, "name", errors, where, required=True)
        if not name:
            continue
        if name.casefold() in seen:
            errors.append(f"speakers[{i}].name: {name!r} is listed twice — list each person once")
        seen.add(name.casefold())
        raw_role = raw.get("role")
        if isinstance(raw_role, list):  # `role: [online moderator, rapporteur]`
            raw_role = ", ".join(str(r) for r in raw_role)
        roles = [r.strip().lower() for r in str(raw_role or "speaker").split(",") if r.strip()] or ["speaker"]
        for r in roles:
            if r not in ROLES:
                warnings.append(f"{source}: speakers[{i}].role {r!r} is not one of {', '.join(ROLES)}")
        role = ", ".join(dict.fromkeys(roles))
        speakers.append(
            Person(
                name=name,
                role=role,
                affiliation=_str(raw, "affiliation", errors, where),
                stakeholder_group=_str(raw, "stakeholder_group", errors, where),
                region=_str(raw, "region", errors, where),
            )
        )

    agenda: list[AgendaEntry] = []
    raw_agenda = data.get("agenda") or []
    if not isinstance(raw_agenda, list):
        errors.append("agenda: expected a list of `- title: ...` entries")
        raw_agenda = []
    last = -1.0
    for i, raw in enumerate(raw_agenda, 1):
        if isinstance(raw, str):
            raw = {"title": raw}
        if not isinstance(raw, dict):
            errors.append(f"agenda[{i}]: expected `- title: ...` with an optional `start: mm:ss`")
            continue
        for key in sorted(set(map(str, raw)) - AGENDA_FIELDS):
            warnings.append(f"{source}: unknown field agenda[{i}].{key} ignored")
        atitle = _str(raw, "title", errors, f"agenda[{i}].", required=True)
        start = None
        if raw.get("start") is not None:
            try:
                start = parse_time(raw["start"])
            except ValueError:
                errors.append(f"agenda[{i}].start: {raw['start']!r} is not a time — write mm:ss or hh:mm:ss")
            else:
                if start < last:
                    errors.append(f"agenda[{i}].start: {raw['start']!r} is earlier than the item before it — keep items in order")
                last = start
        if atitle:
            agenda.append(AgendaEntry(title=atitle, start=start))

    speaker_map: dict[str, str] = {}
    raw_map = data.get("speaker_map") or {}
    if not isinstance(raw_map, dict):
        errors.append("speaker_map: expected a mapping like `SPEAKER_00: Bu Zhong`")
        raw_map = {}
    for label, name in raw_map.items():
        if not isinstance(name, str) or not name.strip():
            errors.append(f"speaker_map.{label}: expected a person's name")
            continue
        if speakers and name.strip().casefold() not in seen:
            warnings.append(f"{source}: speaker_map.{label} names {name!r}, who is not in speakers")
        speaker_map[str(label)] = name.strip()

    captions = _str(data, "captions", errors, "") or None
    if captions and not re.match(r"^https?://", captions):
        cp = Path(captions)
        if cp.is_absolute() or ".." in cp.parts or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]+:", captions):
            errors.append("captions: must be a file inside the session folder or an http(s) URL")
    transcript_text = (_str(data, "transcript_text", errors, "") or "captions").lower()
    if transcript_text not in ("captions", "asr"):
        errors.append(f"transcript_text: {transcript_text!r} — write captions or asr")

    report = data.get("report") or {}
    if not isinstance(report, dict):
        errors.append("report: expected a mapping with key_takeaways: [...] and calls_to_action: [...]")
        report = {}
    for key in sorted(set(map(str, report)) - {"key_takeaways", "calls_to_action", "url"}):
        warnings.append(f"{source}: unknown field report.{key} ignored")
    for key in ("key_takeaways", "calls_to_action"):
        if report.get(key) is not None and not isinstance(report[key], (list, str)):
            errors.append(f"report.{key}: expected a list of sentences")

    if errors:
        raise SessionError("; ".join(errors), path=source, hint="fix these fields and run again")
    return Session(
        id=session_id,
        dir=Path(directory),
        title=title,
        event=event,
        date=date,
        recording=recording,
        language=language,
        speakers=tuple(speakers),
        agenda=tuple(agenda),
        speaker_map=speaker_map,
        description=_str(data, "description", errors, ""),
        page=_str(data, "page", errors, ""),
        format=_str(data, "format", errors, ""),
        duration=_str(data, "duration", errors, ""),
        captions=captions,
        transcript_text=transcript_text,
        report=report,
        warnings=tuple(warnings),
    )


def load_session(directory: Path) -> Session:
    """Read and validate ``directory/session.yaml``."""
    directory = Path(directory)
    path = directory / SESSION_FILE
    if not path.is_file():
        raise SessionError(f"no {SESSION_FILE} in this folder — create one (see README: Adding a session)", path=directory)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise SessionError("not UTF-8 text — save the file as UTF-8", path=path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise SessionError(f"malformed YAML{where}: {problem}", path=path, hint="check indentation and quoting") from None
    return parse_session(data, directory, source=str(path))
