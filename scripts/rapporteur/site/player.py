"""How a session page plays its recording: ``choose_player``, ``youtube_id``, the site's own audio, the player block.

YouTube goes through the IFrame Player API, loaded only when asked to play;
anything else is an HTML5 <audio>/<video>, with a small Opus file encoded next
to the page when the media is local (``ensure_site_audio``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from ..core.fsutil import sha256_file, write_text_atomic
from ..core.session import Session
from .language import language_code
from .markup import render, safe_url
from .views import SessionView, has_turns, local_media, session_language

SITE_AUDIO_BITRATE = "24k"
"""Opus bit rate of the audio written next to a session page (mono; ~11 MB per hour)."""

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")
AUDIO_EXTENSIONS = {".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wav", ".flac"}
VIDEO_EXTENSIONS = {".mp4", ".m4v", ".webm", ".mov", ".ogv"}


def youtube_id(url: str | None) -> str | None:
    """The video id of a YouTube watch/share/embed/live URL, else None."""
    ok = safe_url(url)
    if ok is None:
        return None
    parts = urlsplit(ok)
    host = (parts.hostname or "").lower()
    if host.startswith("www.") or host.startswith("m."):
        host = host.split(".", 1)[1]
    vid = None
    if host == "youtu.be":
        vid = parts.path.strip("/").split("/")[0]
    elif host in ("youtube.com", "youtube-nocookie.com", "music.youtube.com"):
        path = parts.path.strip("/").split("/")
        if path[0] == "watch":
            vid = (parse_qs(parts.query).get("v") or [""])[0]
        elif path[0] in ("embed", "live", "shorts", "v") and len(path) > 1:
            vid = path[1]
    return vid if vid and _YOUTUBE_ID.match(vid) else None


@dataclass(frozen=True)
class Player:
    """How a session page plays its recording: ``kind`` is youtube, audio or video; ``src`` a URL or file name."""

    kind: str
    src: str


def site_audio_name(session: Session) -> str:
    return f"{session.id}.ogg"


def choose_player(session: Session, *, has_local_audio: bool) -> Player | None:
    """YouTube embed for YouTube URLs, the site's own audio for local media, a direct media URL as is."""
    vid = youtube_id(session.recording)
    if vid:
        return Player("youtube", vid)
    if has_local_audio:
        return Player("audio", site_audio_name(session))
    url = safe_url(session.recording)
    if url:
        ext = Path(urlsplit(url).path).suffix.lower()
        if ext in AUDIO_EXTENSIONS:
            return Player("audio", url)
        if ext in VIDEO_EXTENSIONS:
            return Player("video", url)
    return None


def render_player(player: Player, view: SessionView) -> str:
    """The player block (one raw-HTML block; ignored by the search index)."""
    lang = language_code(session_language(view)) or "en"
    return render(
        "player.html",
        player=player,
        tag="video" if player.kind == "video" else "audio",
        src=player.src if safe_url(player.src) else quote(player.src),
        captions=quote(view.session.id) + ".vtt" if has_turns(view) else None,
        lang=lang,
    )


def ensure_site_audio(session: Session, folder: Path, *, bitrate: str = SITE_AUDIO_BITRATE) -> Path | None:
    """Encode the session's local media into ``folder/<id>.ogg`` (mono Opus) unless it is up to date.

    A hidden sidecar ``.<id>.ogg.source`` records the source's sha256 and the
    bit rate, so the file is only encoded again when the source changes.
    Returns the audio file, or None when the session has no local media.
    """
    from ..core.media import encode_opus

    src = local_media(session)
    if src is None:
        return None
    target = folder / site_audio_name(session)
    stamp = folder / f".{target.name}.source"
    fingerprint = f"{sha256_file(src)} {bitrate}\n"
    if target.is_file() and stamp.is_file() and stamp.read_text(encoding="utf-8") == fingerprint:
        return target
    folder.mkdir(parents=True, exist_ok=True)
    encode_opus(src, target, bitrate=bitrate)
    write_text_atomic(stamp, fingerprint)
    return target
