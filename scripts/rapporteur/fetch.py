"""fetch: a session's recording → ``media.*`` + ``info.json`` → ``audio.wav``; captions by URL → ``captions.txt``.

A URL goes through yt-dlp's Python API (progress shown, ``info.json`` kept
with its chapters, media already fetched not fetched again); a path is used
in place.  Either way ffmpeg then decodes 16 kHz mono ``audio.wav``, and a
decoded stream shorter than the container claims is an error (yt-dlp reports
success on a truncated download).  Captions given by URL are downloaded into
``captions.txt`` (their URL in ``captions.source``) so later stages read, and
fingerprint, a file.
"""

from __future__ import annotations

import re
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import FetchError
from .core import folder as files
from .core.folder import SessionFolder
from .core.fsutil import sha256_file, write_text_atomic
from .core.progress import Progress
from .core.session import Session

INFO_FILE = files.INFO.name  # kept importable; the names live in core.folder
AUDIO_FILE = files.AUDIO


@dataclass(frozen=True, kw_only=True)
class FetchOptions:
    """How recordings are downloaded."""

    format: str = "bestaudio/best"
    """yt-dlp format selector: audio is all the pipeline needs."""
    retries: int = 3
    """Retries per download (and per fragment)."""
    socket_timeout: float = 30.0
    """Seconds before a stalled connection fails."""
    quiet: bool = False
    """No progress lines."""


class _Logger:
    """yt-dlp logger: keep its chatter out of our output; remember the last error."""

    def __init__(self) -> None:
        self.last_error = ""

    def debug(self, msg: str) -> None:
        pass

    def info(self, msg: str) -> None:
        pass

    def warning(self, msg: str) -> None:
        pass

    def error(self, msg: str) -> None:
        self.last_error = msg


def read_info(session_dir: Path, *, folder: SessionFolder | None = None) -> dict[str, Any] | None:
    """info.json of a downloaded recording; None when missing or damaged (then fetched again)."""
    return (folder or SessionFolder(session_dir)).read(files.INFO)



def _clean_error(text: str) -> str:
    text = text.replace("ERROR: ", "").strip().splitlines()[0] if text.strip() else "download failed"
    return text[:200]


def download(session: Session, options: FetchOptions = FetchOptions(), *, folder: SessionFolder | None = None) -> Path:
    """Download the session's URL with yt-dlp into ``media.<ext>`` + ``info.json``."""
    from yt_dlp import YoutubeDL
    from yt_dlp.utils import DownloadError

    folder = folder or SessionFolder(session.dir, name=session.id)
    existing = folder.fetched_media(session.recording)
    if existing:
        return existing
    progress = Progress(f"{session.id}: fetch", unit="bytes", quiet=options.quiet)

    def hook(d: dict) -> None:
        if d.get("status") == "downloading":
            total = d.get("total_bytes") or d.get("total_bytes_estimate") or 0
            progress(float(d.get("downloaded_bytes") or 0), float(total))
        elif d.get("status") == "finished":
            n = float(d.get("total_bytes") or d.get("downloaded_bytes") or 0)
            progress(n, n)

    logger = _Logger()
    ydl_opts = {
        "format": options.format,
        "outtmpl": str(folder.path(files.MEDIA_STEM + ".%(ext)s")),
        "noplaylist": True,
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "progress_hooks": [hook],
        "retries": options.retries,
        "fragment_retries": options.retries,
        "socket_timeout": options.socket_timeout,
        "logger": logger,
        "overwrites": True,
        "continuedl": True,
    }
    try:
        with YoutubeDL(ydl_opts) as ydl:
            info = ydl.sanitize_info(ydl.extract_info(session.recording, download=True))
    except DownloadError as exc:
        raise FetchError(
            f"cannot fetch the recording: {_clean_error(logger.last_error or str(exc))}",
            path=session.file,
            hint="check `recording:` (URL reachable? does the page have media?)",
        ) from None
    if info.get("_type") == "playlist":
        raise FetchError("the recording URL is a playlist", path=session.file, hint="give the URL of one video")
    downloads = info.get("requested_downloads") or []
    media = Path(downloads[0]["filepath"]) if downloads and downloads[0].get("filepath") else None
    if media is None or not media.is_file():
        raise FetchError("yt-dlp reported no media file", path=session.file, hint="check `recording:` points at a video or audio")
    info["rapporteur_url"] = session.recording
    info["rapporteur_media"] = media.name
    keep = {k: v for k, v in info.items() if k not in ("formats", "thumbnails", "requested_formats", "http_headers", "automatic_captions", "subtitles")}
    folder.write(files.INFO, keep)
    return media


def media_path(session: Session, options: FetchOptions = FetchOptions(), *, folder: SessionFolder | None = None) -> Path:
    """The session's media file, downloading it when the recording is a URL."""
    if not session.recording:
        raise FetchError("no recording", path=session.file, hint="add `recording: URL or file` when it is published")
    if session.recording_is_url:
        return download(session, options, folder=folder)
    path = session.recording_path
    assert path is not None
    if not path.is_file():
        raise FetchError(f"recording file {session.recording!r} not found", path=session.file, hint="fix `recording:` or add the file")
    if not path.resolve().is_relative_to(session.dir.resolve()):
        raise FetchError(
            f"recording {session.recording!r} leads outside the session folder (a symlink?)",
            path=session.file,
            hint="put the media file itself in the session folder",
        )
    return path


def recording_digest(session: Session) -> str:
    """What identifies the recording: the URL, or the local file's sha256 (cached by size and mtime)."""
    if not session.recording:
        return ""
    if session.recording_is_url:
        return "url:" + str(session.recording)
    path = session.recording_path
    assert path is not None
    if not path.is_file():
        return "missing:" + str(session.recording)
    st = path.stat()
    key = f"{path.name} {st.st_size} {st.st_mtime_ns}"
    cache = session.dir / files.MEDIA_SHA
    try:
        cached_key, cached_hash = cache.read_text().rsplit(" ", 1)
        if cached_key == key:
            return "sha256:" + cached_hash.strip()
    except (OSError, ValueError):
        pass
    value = sha256_file(path)
    try:
        write_text_atomic(cache, f"{key} {value}")
    except OSError:
        pass
    return "sha256:" + value


def ensure_audio(session: Session, options: FetchOptions = FetchOptions(), *, folder: SessionFolder | None = None) -> Path:
    """``audio.wav`` for the session, fetched and decoded when missing or stale."""
    from .core.media import decode_to_wav  # numpy: only when audio is needed

    folder = folder or SessionFolder(session.dir, name=session.id)
    wav = folder.path(files.AUDIO)
    stamp = folder.path(files.AUDIO_SOURCE)
    ident = recording_digest(session)
    if wav.is_file() and stamp.is_file() and stamp.read_text().strip() == ident:
        return wav
    media = media_path(session, options, folder=folder)
    decoded = decode_to_wav(media, wav)
    claimed = (folder.read(files.INFO) or {}).get("duration") if session.recording_is_url else None
    if isinstance(claimed, (int, float)) and claimed - decoded > max(2.0, 0.02 * claimed):
        wav.unlink(missing_ok=True)
        raise FetchError(
            f"truncated download: {decoded:.1f} s of audio but the source says {claimed:.1f} s",
            path=media,
            hint="delete it and run again to fetch it anew",
        )
    write_text_atomic(stamp, ident + "\n")
    return wav


# ------------------------------------------------------------------ captions


def captions_is_url(source: str | None) -> bool:
    return bool(source and re.match(r"^https?://", source))


def captions_file(session: Session, *, folder: SessionFolder | None = None) -> Path | None:
    """The session's caption file on disk: the one named in session.yaml, or ``captions.txt``
    fetched from its URL (None: not fetched yet, or no captions)."""
    if not session.captions:
        return None
    if captions_is_url(session.captions):
        return (folder or SessionFolder(session.dir, name=session.id)).fetched_captions(session.captions)
    return session.dir / session.captions


def fetch_captions(session: Session, options: FetchOptions = FetchOptions(), *, folder: SessionFolder | None = None,
                   force: bool = False) -> bool:
    """Download captions given by URL into ``captions.txt`` (URL in ``captions.source``).

    Once fetched they are not fetched again unless ``force`` (``rapporteur fetch --force``):
    later stages fingerprint the file's content, so a new copy (or a hand-edited one) is read.
    Returns True when a download happened.
    """
    if not captions_is_url(session.captions):
        return False
    folder = folder or SessionFolder(session.dir, name=session.id)
    url = str(session.captions)
    if not force and folder.fetched_captions(url):
        return False
    try:
        req = urllib.request.Request(url, headers={"User-Agent": "rapporteur"})
        with urllib.request.urlopen(req, timeout=options.socket_timeout) as r:
            text = r.read().decode(r.headers.get_content_charset() or "utf-8", errors="replace")
    except (OSError, ValueError) as exc:
        raise FetchError(f"cannot fetch the captions {url} ({exc})", path=session.file,
                         hint="check `captions:` (URL reachable?), or save the file beside session.yaml and name it") from None
    folder.write_text(files.CAPTIONS, text)
    folder.write_text(files.CAPTIONS_SOURCE, url + "\n")
    return True
