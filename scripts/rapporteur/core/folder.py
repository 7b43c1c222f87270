"""SessionFolder: the files of one session folder, by name, read and written one way.

Every artefact name lives here, and every artefact is read through
``SessionFolder.read`` and written through ``SessionFolder.write`` (atomic,
sorted keys, through ``records.to_json``).  One policy for a damaged artefact
(unparseable JSON, wrong shape) or one of an older ``schema_version``: it is
treated as missing — so the stage that makes it rebuilds it — and said so in
one line, ``"<session>: turns.json is damaged (…) — rebuilt"``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from . import records
from .fsutil import digest, write_text_atomic


@dataclass(frozen=True)
class Artefact:
    """A JSON file a stage writes: its name and how its parsed JSON becomes a record."""

    name: str
    parse: Callable[[Any], Any]
    versioned: bool = True
    """A record with ``schema_version`` (written with ``records.to_json``); False: plain JSON (info.json)."""


def _info(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


TRANSCRIPT = Artefact("transcript.json", records.transcript_from_dict)
DIARIZATION = Artefact("diarization.json", records.diarization_from_dict)
TURNS = Artefact("turns.json", records.turns_from_dict)
AGENDA = Artefact("agenda.json", records.agenda_from_dict)
SUMMARY = Artefact("summary.json", records.summary_from_dict)
INFO = Artefact("info.json", _info, versioned=False)
"""yt-dlp's metadata of a downloaded recording (chapters, duration) plus ``rapporteur_url``/``rapporteur_media``."""

# plain files
RTTM = "diarization.rttm"
AUDIO = "audio.wav"
AUDIO_SOURCE = ".audio.source"
"""What ``audio.wav`` was decoded from (the recording's digest)."""
MEDIA_SHA = ".media.sha256"
"""The local recording's sha256, cached by size and mtime."""
MEDIA_STEM = "media"
"""A downloaded recording is ``media.<ext>``."""
CAPTIONS = "captions.txt"
"""Captions fetched from a URL (session.yaml ``captions: https://…``)."""
CAPTIONS_SOURCE = "captions.source"
"""The URL ``captions.txt`` was fetched from."""
ERROR = ".error"
LOCK = ".lock"
CHECKPOINT = ".checkpoint-transcript.json"
SESSION = "session.yaml"

ARTEFACTS = (TRANSCRIPT, DIARIZATION, TURNS, AGENDA, SUMMARY, INFO)


class SessionFolder:
    """One session folder's files.

    ``on_damaged(name, reason)`` is told (once per file) when an artefact is damaged
    or of an old schema; the pipeline turns it into its one line.
    """

    def __init__(self, path: Path, *, name: str | None = None,
                 on_damaged: Callable[[str, str], None] | None = None) -> None:
        self.dir = Path(path)
        self.name = name or self.dir.name
        self.on_damaged = on_damaged
        self.damaged: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"SessionFolder({str(self.dir)!r})"

    def path(self, file: Artefact | str) -> Path:
        return self.dir / (file.name if isinstance(file, Artefact) else file)

    def exists(self, file: Artefact | str) -> bool:
        return self.path(file).is_file()

    # ------------------------------------------------------------ records
    def read(self, artefact: Artefact) -> Any | None:
        """The artefact's record; None when it is missing, damaged or of an old schema."""
        path = self.path(artefact)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            return self._damaged(artefact, getattr(exc, "strerror", None) or str(exc))
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            return self._damaged(artefact, f"not JSON: {exc}")
        if artefact.versioned:
            version = data.get("schema_version") if isinstance(data, dict) else None
            if version != records.SCHEMA_VERSION:
                return self._damaged(artefact, f"schema_version {version!r}, this rapporteur writes {records.SCHEMA_VERSION}")
        try:
            return records.check_types(artefact.parse(data))
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            return self._damaged(artefact, f"{type(exc).__name__}: {exc}")

    def _damaged(self, artefact: Artefact, reason: str) -> None:
        if artefact.name not in self.damaged:
            self.damaged[artefact.name] = reason
            if self.on_damaged:
                self.on_damaged(artefact.name, reason)
        return None

    def require(self, artefact: Artefact, *, hint: str = "run the stage that makes it (rapporteur run)") -> Any:
        """The artefact's record, or a StageError naming the file and why it cannot be used."""
        from ..errors import StageError

        record = self.read(artefact)
        if record is None:
            why = self.damaged.get(artefact.name)
            raise StageError(f"{artefact.name} is {'damaged (' + why + ')' if why else 'missing'}",
                             path=self.path(artefact), hint=hint)
        return record

    def write(self, artefact: Artefact, record: Any) -> bool:
        """Write atomically (sorted keys); False when the file already held exactly this."""
        if artefact.versioned:
            text = records.to_json(record)
        else:
            text = json.dumps(record, sort_keys=True, indent=1, ensure_ascii=False, default=str) + "\n"
        self.damaged.pop(artefact.name, None)
        return write_text_atomic(self.path(artefact), text)

    def write_text(self, name: str, text: str) -> bool:
        return write_text_atomic(self.path(name), text)

    def digest(self, file: Artefact | str) -> str:
        """A fingerprint of the file's bytes ("missing" when it cannot be read)."""
        try:
            return digest(self.path(file).read_bytes())
        except OSError:
            return "missing"

    def read_json(self, name: str) -> Any | None:
        """A private JSON file (a checkpoint): None when missing or unreadable."""
        try:
            return json.loads(self.path(name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    # ------------------------------------------------------------ fetched files
    def fetched_media(self, url: str | None) -> Path | None:
        """The media file already downloaded from ``url`` (as info.json records), if any."""
        info = self.read(INFO)
        if not info or not url or info.get("rapporteur_url") != url:
            return None
        name = info.get("rapporteur_media")
        path = self.dir / name if isinstance(name, str) and name else None
        if path and path.is_file() and path.stat().st_size > 0:
            return path
        return None

    def fetched_captions(self, url: str) -> Path | None:
        """``captions.txt`` when it was fetched from ``url``."""
        try:
            source = self.path(CAPTIONS_SOURCE).read_text(encoding="utf-8").strip()
        except OSError:
            return None
        return self.path(CAPTIONS) if source == url and self.exists(CAPTIONS) else None

    # ------------------------------------------------------------ errors
    def error(self) -> str | None:
        """Why the last run failed (``.error``), or None."""
        try:
            return self.path(ERROR).read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def record_error(self, exc: Exception) -> None:
        """Leave the reason in ``.error`` for the site and for make's summary (best effort)."""
        if self.dir.is_dir():
            try:
                write_text_atomic(self.path(ERROR), str(exc) + "\n")
            except OSError:
                pass

    def clear_error(self) -> None:
        self.path(ERROR).unlink(missing_ok=True)
