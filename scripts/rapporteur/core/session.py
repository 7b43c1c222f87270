"""session.yaml: loading and validation into a typed ``Session`` record.

Errors name the file, the field and what to write instead; unknown fields are
warnings.  All problems of a file are reported together.
"""

from __future__ import annotations

import datetime as dt
import math
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
MODERATOR_WORDS = frozenset({"moderator", "moderation", "chair", "chairperson", "cochair", "comoderator", "host",
                             "emcee", "mc", "facilitator"})
"""A role holding one of these words leads the session ("moderator", "co-chair", "online moderator", "emcee")."""
ONLINE_WORDS = frozenset({"online", "remote", "virtual"})
"""… and with one of these it leads the online room."""
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
_LANG_RE = re.compile(r"^[a-z]{2,3}$")
_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$", re.ASCII)
_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
MAX_FILE_BYTES = 2_000_000
"""A session.yaml (or rapporteur.yaml) larger than this is refused: no real one comes near it."""
MAX_TIME = 10 * 24 * 3600.0
"""Agenda times beyond ten days are not times within a recording."""


# --------------------------------------------------------------------- YAML


class ProjectLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader without YAML 1.1's surprises.

    Dates and times stay text (the project checks them, with errors that name
    the field, instead of a traceback from the loader on ``2023-02-30``);
    ``12:34`` is the text "12:34", not the base-60 integer 754; ``yes``,
    ``no``, ``on``, ``off`` are words (a person called "No" stays "No"); only
    ``true``/``false`` are booleans; ``010`` is ten, not octal eight.  This is
    YAML 1.2's core schema, which is what a maintainer expects, narrowed so that
    every plain scalar it reads as a number or boolean is one for YAML 1.1 too
    (``1e3`` and ``09`` stay text): whatever ``yaml.safe_dump`` writes as text
    (``rapporteur new``) reads back as the same text.
    """


class _FastProjectLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """``ProjectLoader`` on libyaml's parser when PyYAML has it (~10× faster: 3,000 session.yaml per site build).

    A file it refuses is read again with ``ProjectLoader``, whose messages the project's errors quote."""


def _construct_int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    text = loader.construct_scalar(node).replace("_", "")
    try:
        return int(text, 10)
    except ValueError:  # more digits than Python converts (sys.int_info.default_max_str_digits)
        raise yaml.constructor.ConstructorError(None, None, f"the number {text[:20]}… is too long", node.start_mark) from None


for _loader in (ProjectLoader, _FastProjectLoader):
    _loader.yaml_implicit_resolvers = {}
    for _tag, _pattern, _first in (
        ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        ("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789"),
        ("tag:yaml.org,2002:float",
         r"^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
         "-+0123456789."),
        ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
        ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
    ):
        _loader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))
    _loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
    # an explicit `!!timestamp` tag stays text too: the project parses dates itself
    _loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


MAX_DEPTH = 64


def _too_deep(text: str) -> bool:
    """More than ``MAX_DEPTH`` nested flow collections (``[[[…``) or indentation levels, outside quotes (an estimate)."""
    depth, quote = 0, ""
    for ch in text:
        if quote:
            if ch == quote or ch == "\n":
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif ch in "]}":
            depth = max(0, depth - 1)
    return any(len(line) - len(line.lstrip(" -")) > 2 * MAX_DEPTH for line in text.splitlines())


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0][:120] or "invalid YAML"
    return f"malformed YAML{where}: {problem}"


def load_yaml(path: Path, *, error: type[Exception] = SessionError) -> Any:
    """Parse one YAML file the project reads (session.yaml, rapporteur.yaml) with ``ProjectLoader``.

    Every failure is one ``error`` naming the file: not UTF-8, too large,
    malformed, nested too deeply.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise error(f"{size} bytes is too large for this file (limit {MAX_FILE_BYTES})", path=path,
                        hint="keep long texts (captions, reports) in their own files")
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise error("not UTF-8 text — save the file as UTF-8", path=path) from None
    except OSError as exc:
        raise error(f"cannot read the file ({exc.strerror or exc})", path=path) from None
    return parse_yaml(text, path, error=error)


_TAGGED = re.compile(r"(?:^|[\s\[{,])!")
"""A YAML tag may start here (``!``, ``!!str``): libyaml and PyYAML's own parser read some tagged nodes differently
(a lone ``!`` is "" for one and None for the other), so such a text is read with ``ProjectLoader`` only."""


def parse_yaml(text: str, path: object, *, error: type[Exception] = SessionError) -> Any:
    """``text`` parsed with ``ProjectLoader`` (on libyaml when it has no tag: ``_FastProjectLoader``); one ``error``
    line naming ``path`` on any failure."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if _too_deep(text):  # PyYAML takes seconds to recurse into thousands of levels before it fails
        raise error(f"nested too deeply to read (more than {MAX_DEPTH} levels)", path=path,
                    hint="a session needs a few levels of lists and mappings, not hundreds")
    if not _TAGGED.search(text):
        try:
            return yaml.load(text, Loader=_FastProjectLoader)  # noqa: S506 — a SafeLoader subclass
        except (yaml.YAMLError, RecursionError, ValueError):
            pass  # refused (libyaml cannot even take a lone surrogate): read again below for ProjectLoader's message
    try:
        return yaml.load(text, Loader=ProjectLoader)  # noqa: S506 — a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise error(_yaml_problem(exc), path=path, hint="check indentation and quoting") from None
    except RecursionError:
        raise error("nested too deeply to read", path=path, hint="a session needs a few levels of lists and mappings, not hundreds") from None


def _show(value: Any, limit: int = 60) -> str:
    """``value`` for an error message: its repr, cut to ``limit`` characters (one line)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _surrogates(value: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in value)


def parse_date(value: Any) -> dt.date:
    """An ISO date (``YYYY-MM-DD``) that exists in the calendar; ``ValueError`` says what is wrong."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError("is not a date")
    text = str(value).strip()
    m = _DATE_RE.match(text)
    if not m:
        if re.match(r"^\d{4}-\d{1,2}-\d{1,2}[T ]", text, re.ASCII):
            raise ValueError("has a time: give only the day")
        raise ValueError("is not an ISO date")
    year, month, day = (int(x) for x in m.groups())
    if not 1 <= month <= 12:
        raise ValueError(f"has no month {month} (months are 01-12)")
    if year < 1900 or year > 2200:
        raise ValueError(f"has the year {year}, outside 1900-2200")
    try:
        return dt.date(year, month, day)
    except ValueError:
        import calendar

        last = calendar.monthrange(year, month)[1]
        raise ValueError(f"is not a day in the calendar ({calendar.month_name[month]} {year} has {last} days)") from None


@dataclass(frozen=True, kw_only=True)
class Person:
    name: str
    role: str = "speaker"
    """One role, or several joined by ", " (e.g. "online moderator, rapporteur")."""
    affiliation: str = ""
    stakeholder_group: str = ""
    region: str = ""
    honorific: str = ""
    """A title printed before the name on the session page ("H.E.", "Dr.", "Prof."); never part of ``name``."""

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(r.strip() for r in self.role.split(",") if r.strip())

    @property
    def moderates(self) -> str:
        """"lead" (moderator, chair, co-chair, host, emcee, facilitator …), "online" (online or remote
        moderator: relays the questions from the chat) or "" (neither)."""
        kind = ""
        for role in self.roles:
            words = set(re.findall(r"[a-z]+", role.lower().replace("-", "")))
            if words & MODERATOR_WORDS:
                if not words & ONLINE_WORDS:
                    return "lead"
                kind = "online"
        return kind


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
    time: str = ""
    """As the session page prints it, e.g. "04:30–06:00 UTC" (free text)."""
    room: str = ""
    """The room the page names, e.g. "WS 1 – Annex Hall 1"."""
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
        """The date's year; without a date, the year the event names ("IGF 2023" → 2023)."""
        if self.date:
            return self.date.year
        m = _YEAR_RE.search(self.event or "")
        return int(m.group(1)) if m else None

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
    "time",
    "room",
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
PERSON_FIELDS = {"name", "role", "affiliation", "stakeholder_group", "region", "honorific"}
AGENDA_FIELDS = {"title", "start"}


def parse_time(value: Any) -> float:
    """Parse ``"mm:ss"``, ``"hh:mm:ss"`` (fractions allowed) or seconds.

    ``ProjectLoader`` keeps an unquoted ``12:34`` as text; a loader that
    follows YAML 1.1 gives the integer 754 (base 60), the same number of
    seconds.  Any result is finite, not negative and at most ``MAX_TIME``;
    anything else raises ``ValueError``.
    """
    if isinstance(value, bool):
        raise ValueError("not a time")
    if isinstance(value, (int, float)):
        try:
            seconds = float(value)
        except OverflowError:
            raise ValueError("too large") from None
    elif isinstance(value, str):
        text = value.strip()
        m = re.fullmatch(r"(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2}(?:\.\d{1,6})?)", text, re.ASCII)
        if m:
            h, mnt, s = int(m.group(1) or 0), int(m.group(2)), float(m.group(3))
            if mnt >= 60 or s >= 60:
                raise ValueError("minutes and seconds must be below 60")
            seconds = h * 3600 + mnt * 60 + s
        elif re.fullmatch(r"\d{1,7}(?:\.\d{1,6})?", text, re.ASCII):
            seconds = float(text)
        else:
            raise ValueError("not a time")
    else:
        raise ValueError("not a time")
    if not math.isfinite(seconds):
        raise ValueError("not a finite time")
    if seconds < 0:
        raise ValueError("negative time")
    if seconds > MAX_TIME:
        raise ValueError("later than any recording")
    return seconds


def _str(data: Mapping, key: str, errors: list[str], where: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None:
        if required:
            errors.append(f"{where}{key}: missing — add `{key}: ...`")
        return ""
    if isinstance(value, (dict, list)):
        errors.append(f"{where}{key}: expected text, got a {type(value).__name__}")
        return ""
    if isinstance(value, bool):  # only `true`/`false` are booleans for ProjectLoader
        errors.append(f"{where}{key}: {value!r} is a YAML boolean — quote it if you mean the word: {key}: \"{str(value).lower()}\"")
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        errors.append(f"{where}{key}: {value!r} is not text — quote it: {key}: \"{value}\"")
        return ""
    text = str(value).strip()
    if required and not text:
        errors.append(f"{where}{key}: empty — fill it in: `{key}: ...`")
        return ""
    if _surrogates(text):
        errors.append(f"{where}{key}: contains a lone surrogate escape (\\ud800-\\udfff), which is not a character — write the character itself")
        return ""
    return text


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
        warnings.append(f"{source}: unknown field {_show(key, 40)} ignored (known: {', '.join(sorted(KNOWN_FIELDS))})")

    title = _str(data, "title", errors, "", required=True)
    event = _str(data, "event", errors, "")
    date: dt.date | None = None
    raw_date = data.get("date")
    if raw_date is not None and raw_date != "":
        try:
            date = parse_date(raw_date)
        except ValueError as exc:
            errors.append(f"date: {_show(raw_date)} {exc} — write it as YYYY-MM-DD, e.g. 2023-10-10 (or leave `date:` out when no source gives it)")

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
            warnings.append(f"{source}: unknown field speakers[{i}].{_show(key, 40)} ignored")
        name = _str(raw, "name", errors, where, required=True)
        if not name:
            continue
        if name.casefold() in seen:
            errors.append(f"speakers[{i}].name: {_show(name)} is listed twice — list each person once")
        seen.add(name.casefold())
        raw_role = raw.get("role")
        if isinstance(raw_role, list):  # `role: [online moderator, rapporteur]`
            if not all(isinstance(r, str) for r in raw_role):
                errors.append(f"speakers[{i}].role: expected a role or a list of roles, e.g. [online moderator, rapporteur]")
                raw_role = None
            else:
                raw_role = ", ".join(raw_role)
        elif raw_role is not None and not isinstance(raw_role, str):
            errors.append(f"speakers[{i}].role: expected a role such as moderator or speaker, got {_show(raw_role)}")
            raw_role = None
        elif raw_role and _surrogates(raw_role):
            errors.append(f"speakers[{i}].role: contains a lone surrogate escape — write the role as plain text")
            raw_role = None
        roles = [r.strip().lower() for r in str(raw_role or "speaker").split(",") if r.strip()] or ["speaker"]
        for r in roles:
            if r not in ROLES:
                warnings.append(f"{source}: speakers[{i}].role {_show(r)} is not one of {', '.join(ROLES)}")
        role = ", ".join(dict.fromkeys(roles))
        speakers.append(
            Person(
                name=name,
                role=role,
                affiliation=_str(raw, "affiliation", errors, where),
                stakeholder_group=_str(raw, "stakeholder_group", errors, where),
                region=_str(raw, "region", errors, where),
                honorific=_str(raw, "honorific", errors, where),
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
            warnings.append(f"{source}: unknown field agenda[{i}].{_show(key, 40)} ignored")
        atitle = _str(raw, "title", errors, f"agenda[{i}].", required=True)
        start = None
        if raw.get("start") is not None:
            try:
                start = parse_time(raw["start"])
            except ValueError as exc:
                errors.append(f"agenda[{i}].start: {_show(raw['start'])} is not a time ({exc}) — write mm:ss or hh:mm:ss, e.g. \"12:34\"")
            else:
                if start < last:
                    errors.append(f"agenda[{i}].start: {_show(raw['start'])} is earlier than the item before it — keep items in order")
                last = start
        if atitle:
            agenda.append(AgendaEntry(title=atitle, start=start))

    speaker_map: dict[str, str] = {}
    raw_map = data.get("speaker_map") or {}
    if not isinstance(raw_map, dict):
        errors.append("speaker_map: expected a mapping like `SPEAKER_00: Bu Zhong`")
        raw_map = {}
    for label, name in raw_map.items():
        if not isinstance(name, str) or not name.strip() or _surrogates(name) or _surrogates(str(label)):
            errors.append(f"speaker_map.{_show(label, 30)}: expected a person's name, e.g. `SPEAKER_00: Bu Zhong`")
            continue
        if speakers and name.strip().casefold() not in seen:
            warnings.append(f"{source}: speaker_map.{_show(label, 30)} names {_show(name)}, who is not in speakers")
        speaker_map[str(label)] = name.strip()

    captions = _str(data, "captions", errors, "") or None
    if captions and not re.match(r"^https?://", captions):
        cp = Path(captions)
        if cp.is_absolute() or ".." in cp.parts or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]+:", captions):
            errors.append("captions: must be a file inside the session folder or an http(s) URL")
    transcript_text = (_str(data, "transcript_text", errors, "") or "captions").lower()
    if transcript_text not in ("captions", "asr"):
        errors.append(f"transcript_text: {_show(transcript_text)} — write captions or asr")

    report = data.get("report") or {}
    if not isinstance(report, dict):
        errors.append("report: expected a mapping with key_takeaways: [...] and calls_to_action: [...]")
        report = {}
    for key in sorted(set(map(str, report)) - {"key_takeaways", "calls_to_action", "url"}):
        warnings.append(f"{source}: unknown field report.{_show(key, 40)} ignored")
    for key in ("key_takeaways", "calls_to_action"):
        value = report.get(key)
        if value is None:
            continue
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(x, str) and not _surrogates(x) for x in items):
            errors.append(f"report.{key}: expected a list of sentences (text), e.g. `{key}: [\"...\"]`")
    url = report.get("url")
    if url is not None and not (isinstance(url, str) and re.match(r"^https?://\S+$", url.strip())):
        errors.append("report.url: expected an http(s) address of the published report")

    texts = {key: _str(data, key, errors, "") for key in ("description", "page", "format", "duration", "time", "room")}
    if errors:
        raise SessionError("; ".join(errors), path=source, hint="fix these fields and run again")
    return Session(
        id=session_id,
        dir=Path(directory),
        title=title,
        event=event,
        date=date,
        time=texts["time"],
        room=texts["room"],
        recording=recording,
        language=language,
        speakers=tuple(speakers),
        agenda=tuple(agenda),
        speaker_map=speaker_map,
        description=texts["description"],
        page=texts["page"],
        format=texts["format"],
        duration=texts["duration"],
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
    data = load_yaml(path)
    return parse_session(data, directory, source=str(path))
