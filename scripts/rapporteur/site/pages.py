"""render: the archive's Markdown for MkDocs (home page, one page per session, downloads).

Pure functions return Markdown strings; ``render_site`` writes them with
``write_text_atomic`` so unchanged pages keep their mtime.  Every text that
comes from session.yaml or a transcript goes through ``escape_md`` (or
``escape_html`` inside attributes); links are only ever http(s).
The navigation stays small (Home, Speakers, Search, About): sessions are
linked from the home page, so each page's size does not grow with the number
of sessions.

A session page carries a player (YouTube through the IFrame Player API, loaded
only when asked to play; else an HTML5 <audio>/<video>, with a small Opus file
encoded next to the page when the media is local), and its transcript is one
block per turn whose ``<h4 id="t754320" data-start="754.32">`` heading is what
docs/assets/rapporteur.js seeks to and what Pagefind shows as a sub-result.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence
from urllib.parse import parse_qs, quote, urlsplit

from ..errors import RapporteurError
from .exports import format_hms, get_writer, speaker_name, turn_text
from ..core.fsutil import digest, sha256_file, write_text_atomic
from ..core.records import (Agenda, AgendaItem, NamingEntry, Turn, Turns, agenda_from_dict, read_record, summary_from_dict,
                            turn_id, turns_from_dict)
from ..core.session import Person, Session

DOWNLOADS = (
    ("vtt", "captions (WebVTT)"),
    ("srt", "subtitles (SRT)"),
    ("txt", "text"),
    ("json", "JSON"),
)
SESSIONS_DIR = "sessions"
SPEAKERS_DIR = "speakers"
SITE_AUDIO_BITRATE = "24k"
"""Opus bit rate of the audio written next to a session page (mono; ~11 MB per hour)."""
SUMMARY_FILE = "summary.json"
"""A session folder's summary (written by the summarize stage), shown under "Summary"."""
KEY_TURNS = 8
"""Turns of a speaker listed per session on the speaker's page (the longest ones, in time order)."""
EXCERPT_WORDS = 40
PARAGRAPH_WORDS = 120
"""A long turn is split into paragraphs of about this many words, at sentence ends."""
SPEAKER_COLOURS = 8
"""Turns get a ``speaker-N`` class, N < this, for the stylesheet's colours."""

_SPACE = re.compile(r"\s+")
_SAFE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_SESSION_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…。！？])\s+")


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


from .markup import _SPACE, escape_html, escape_md, escape_md_block, filter_text, link_html, safe_url  # noqa: F401 (re-exported)


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


# ------------------------------------------------------------------- helpers


def human_duration(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    h, m = divmod((s + 30) // 60, 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


def _duration(view: SessionView) -> str:
    if view.turns is not None and view.turns.duration > 0:
        return human_duration(view.turns.duration)
    if view.turns is not None and view.turns.turns:
        return human_duration(max(t.end for t in view.turns.turns))
    return view.session.duration


def _agenda_items(view: SessionView) -> list[AgendaItem]:
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


def _speakers_in_order(view: SessionView) -> list[str]:
    names = list(view.session.roster_names())
    if view.turns is not None:
        for t in view.turns.turns:
            name = speaker_name(t, view.turns)
            if name and name not in names:
                names.append(name)
    return names


def _paragraphs(text: str, size: int = PARAGRAPH_WORDS) -> list[str]:
    paras: list[str] = []
    cur: list[str] = []
    count = 0
    for sentence in _SENTENCE_SPLIT.split(text):
        cur.append(sentence)
        count += len(sentence.split())
        if count >= size:
            paras.append(" ".join(cur))
            cur, count = [], 0
    if cur:
        paras.append(" ".join(cur))
    return [p for p in paras if p]


def session_href(session_id: str) -> str:
    """The home page's link to a session page."""
    return f"{SESSIONS_DIR}/{quote(session_id)}/index.md"


# -------------------------------------------------------------------- speakers

_GENERIC_SPEAKER = re.compile(
    r"^(?:speaker|participant|unknown|unknown speaker|unidentified speaker|spk|audience|audience member|guest"
    r"|voice|person)(?:[\s_#-]*\d+)?$",
    re.I,
)


def is_named(name: str) -> bool:
    """False for placeholders a diarizer or a maintainer gives unknown voices ("Speaker 1", "SPEAKER_00", "Participant")."""
    name = _SPACE.sub(" ", name or "").strip()
    return bool(name) and not _GENERIC_SPEAKER.match(name)


def _person_key(name: str) -> str:
    return _SPACE.sub(" ", name).strip().casefold()


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-")
    if not slug:  # a name without Latin letters: a short stable digest
        import hashlib

        slug = "p-" + hashlib.sha256(_person_key(name).encode("utf-8")).hexdigest()[:10]
    return slug


def display_names(views: Sequence[SessionView]) -> dict[str, str]:
    """Casefolded name → how to write it: the most used spelling, mixed case ("Ana Ferreira") first."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for v in views:
        for name in _speakers_in_order(v):
            if is_named(name):
                seen[_person_key(name)][_SPACE.sub(" ", name).strip()] += 1
    return {
        key: max(spellings.items(), key=lambda kv: (not kv[0].islower() and not kv[0].isupper(), kv[1], kv[0]))[0]
        for key, spellings in seen.items()
    }


def speaker_slugs(views: Sequence[SessionView]) -> dict[str, str]:
    """Casefolded name → speaker page slug, for every named person on a roster or in a transcript."""
    names = display_names(views)
    slugs: dict[str, str] = {}
    used: set[str] = {"index"}
    for key in sorted(names):
        base = _slug(names[key])
        slug, n = base, 2
        while slug in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug)
        slugs[key] = slug
    return slugs


def _speaker_href(name: str, slugs: dict[str, str], prefix: str) -> str | None:
    slug = slugs.get(_person_key(name)) if is_named(name) else None
    return f"{prefix}{SPEAKERS_DIR}/{slug}/" if slug else None


# ---------------------------------------------------------------------- player

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
    lang = escape_html(view.session.language or (view.turns.language if view.turns else "") or "en")
    has_turns = view.turns is not None and bool(view.turns.turns)
    track = (
        f'<track kind="captions" src="{escape_html(quote(view.session.id))}.vtt" srclang="{lang}" label="Captions" default>'
        if has_turns
        else ""
    )
    if player.kind == "youtube":
        vid = escape_html(player.src)
        inner = (
            '<button type="button" class="rp-yt-start" aria-label="Play the recording (loads the YouTube player)">'
            '<span aria-hidden="true">▶</span> <span class="rp-yt-label">Play the recording</span> '
            "<small>(loads the YouTube player)</small></button>"
        )
        return f'<div class="rp-player rp-player--youtube" id="rp-player" data-kind="youtube" data-youtube-id="{vid}" data-pagefind-ignore="index">{inner}</div>'
    src = player.src if safe_url(player.src) else quote(player.src)
    tag = "video" if player.kind == "video" else "audio"
    return (
        f'<div class="rp-player rp-player--{tag}" id="rp-player" data-kind="{tag}" data-pagefind-ignore="index">'
        f'<{tag} controls preload="metadata" src="{escape_html(src)}">{track}</{tag}>'
        f'<p class="rp-now" aria-live="off"></p></div>'
    )


# ---------------------------------------------------------------- session page

def render_turn(
    turn: Turn, turns: Turns, anchor: str, speaker_class: str, speaker_href: str | None = None
) -> str:
    """One turn as an HTML block: a heading (timestamp link, speaker, copy-link button), then the text.

    The heading carries the id and ``data-start``: the player seeks to it and
    Pagefind makes it a sub-result of its own.
    """
    name = speaker_name(turn, turns) or "Unknown speaker"
    paras = "".join(f"<p>{escape_md(p)}</p>" for p in _paragraphs(turn_text(turn)))
    a = escape_html(anchor)
    who = (
        f'<a class="turn-speaker" href="{escape_html(speaker_href)}">{escape_md(name)}</a>'
        if speaker_href
        else f'<span class="turn-speaker">{escape_md(name)}</span>'
    )
    return (
        f'<div class="turn {speaker_class}">\n'
        f'<h4 class="turn-head" id="{a}" data-start="{turn.start:.3f}" data-end="{turn.end:.3f}">'
        f'<a class="turn-time" href="#{a}">{format_hms(turn.start)}</a> {who} '
        f'<button type="button" class="turn-copy" data-anchor="{a}" title="Copy link to this moment" '
        f'aria-label="Copy link to this moment ({format_hms(turn.start)})"></button></h4>\n'
        f"{paras}\n"
        f"</div>"
    )


def _metadata(view: SessionView) -> list[str]:
    s = view.session
    rows = [
        ("Event", escape_md(s.event)),
        ("Date", s.date.isoformat() if s.date else ""),
        ("Format", escape_md(s.format)),
        ("Language", escape_md(s.language or (view.turns.language if view.turns else ""))),
        ("Duration", escape_md(_duration(view))),
    ]
    if safe_url(s.recording):
        rows.append(("Recording", link_html(s.recording, urlsplit(s.recording).netloc)))
    if safe_url(s.page):
        rows.append(("Session page", link_html(s.page, urlsplit(s.page).netloc)))
    return [f"- **{k}:** {v}" for k, v in rows if v]


def _talk_time(view: SessionView) -> Counter[str]:
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


def _percent(value: float) -> str:
    return f"{round(value * 100)} %"


def how_identified(entry: NamingEntry | None, *, captions: bool = False) -> str:
    """One short phrase for the roster's "Identified" column."""
    if entry is None:
        return "official captions" if captions else ""
    if entry.source == "speaker_map":
        return "set in session.yaml"
    if entry.source == "automatic":
        return f"automatic, {_percent(entry.confidence)} sure"
    return "not identified"


def _evidence_html(entry: NamingEntry, anchors: Mapping[str, str], limit: int = 3) -> str:
    parts = []
    for e in entry.evidence[:limit]:
        if not e.rule:
            continue
        rule = escape_md(e.rule)
        anchor = anchors.get(e.turn_id or "")
        when = f' at <a href="#{escape_html(anchor)}">{format_hms(e.start)}</a>' if anchor else ""
        text = e.text.strip()
        quote_ = f" “{escape_md(text[:140])}”" if text else ""
        parts.append(f"{rule}{when}{quote_}")
    return "; ".join(parts)


def naming_notes(view: SessionView, anchors: Mapping[str, str]) -> list[str]:
    """A folded list: each voice's name, how sure, the words that decided it, and how to correct it."""
    entries = view.turns.naming if view.turns is not None else {}
    if all(e.source == "speaker_map" for e in entries.values()):
        return []  # every name set by hand: nothing to explain
    rows = []
    for label, entry in entries.items():
        name = escape_md(entry.name or label)
        why = _evidence_html(entry, anchors) if entry.source != "speaker_map" else ""
        how = how_identified(entry) + (f"): {why}" if why else ")")
        rows.append(f"<li><code>{escape_html(label)}</code> → <strong>{name}</strong> ({how}</li>")
    folder = f"recordings/{escape_html(view.session.id)}/session.yaml"
    return [
        '<details class="rp-naming" data-pagefind-ignore="all">',
        "<summary>How the speakers were identified</summary>",
        "<p>Names marked automatic were found in what was said: self-introductions, hand-offs, thanks and "
        f"the moderator's role. To correct one, map its voice label in <code>{folder}</code>, e.g. "
        "<code>speaker_map: {SPEAKER_01: Full Name}</code>, and rebuild with <code>make</code>.</p>",
        "<ul>",
        *rows,
        "</ul>",
        "</details>",
    ]


def _roster(view: SessionView, slugs: dict[str, str] | None = None, prefix: str = "../../") -> list[str]:
    talk = _talk_time(view)
    people = [
        (p.name, p.role, p.affiliation, p.stakeholder_group, p.region) for p in view.session.speakers
    ]
    roster = {p[0] for p in people}
    people += [(n, "not identified", "", "", "") for n in _speakers_in_order(view) if n not in roster]
    if not people:
        return []
    header = ["Name", "Role", "Affiliation", "Stakeholder group", "Region"]
    keep = [0] + [i for i in range(1, 5) if any(p[i] for p in people)]
    found = naming_by_name(view)
    captions = bool(view.turns is not None and "captions" in view.turns.parameters)
    ident = {p[0]: how_identified(found.get(p[0]), captions=captions) if talk.get(p[0]) else "" for p in people}
    show_ident = any(ident.values())
    cols = [header[i] for i in keep] + (["Speaking time"] if talk else []) + (["Identified"] if show_ident else [])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for p in people:
        cells = [escape_md(p[i]) or "—" for i in keep]
        href = _speaker_href(p[0], slugs or {}, prefix)
        if href:
            cells[0] = f"[{cells[0]}]({href}index.md)"
        if talk:
            cells.append(human_duration(talk[p[0]]) if talk.get(p[0]) else "—")
        if show_ident:
            cells.append(ident[p[0]] or "—")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def summary_markdown(view: SessionView) -> str | None:
    """The "Summary" section's Markdown from ``summary.json``, or None (every sentence links to its turns)."""
    from .summary import summary_markdown as markdown

    path = view.session.dir / SUMMARY_FILE
    if not path.is_file() or view.turns is None:
        return None
    try:
        summary = summary_from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError):
        return None  # a damaged summary is left out; the pipeline rebuilds it
    return markdown(summary, view.turns).strip() or None


def _search_filters(view: SessionView) -> str:
    """Hidden Pagefind filters, sort key and metadata of a session page."""
    s = view.session
    parts = []
    speakers = [n for n in _speakers_in_order(view) if is_named(n)]
    for name in speakers:
        parts.append(f'<span data-pagefind-filter="speaker">{filter_text(name)}</span>')
    if s.event:
        parts.append(f'<span data-pagefind-filter="event">{filter_text(s.event)}</span>')
    if s.year:
        parts.append(f'<span data-pagefind-filter="year">{s.year}</span>')
    context = " · ".join(x for x in (s.event, s.date.isoformat() if s.date else "") if x)
    if context:
        parts.append(f'<span data-pagefind-meta="context">{escape_md(context)}</span>')
    if s.date:
        parts.append(f'<span data-pagefind-sort="date">{s.date.isoformat()}</span>')
    return '<div class="rp-search-data" hidden data-pagefind-ignore="index">' + "".join(parts) + "</div>"


def render_session(
    view: SessionView, *, slugs: dict[str, str] | None = None, player: Player | None = None
) -> str:
    """The Markdown of one session page.

    ``slugs`` (from ``speaker_slugs``) links names to speaker pages; ``player``
    defaults to ``choose_player`` without local audio.
    """
    s = view.session
    slugs = speaker_slugs([view]) if slugs is None else slugs
    if player is None:
        player = choose_player(s, has_local_audio=False)
    # Material writes page.meta.title into <title> and the header without escaping, and would
    # unescape a title taken from the heading (striptags): give it the HTML-escaped title.
    title = escape_html(_SPACE.sub(" ", s.title).strip())
    out = ["---", f"title: {json.dumps(title)}", "---", ""]  # a JSON string is a YAML string
    out += [f"# {escape_md(s.title)}", ""]
    if s.description:
        out += [escape_md_block(s.description), ""]
    out += _metadata(view) + [""]
    has_turns = view.turns is not None and bool(view.turns.turns)
    if player is not None:
        out += [render_player(player, view), ""]
    if has_turns:
        links = " · ".join(f"[{label}]({quote(s.id)}.{ext})" for ext, label in DOWNLOADS)
        out += [f"**Downloads:** {links}", ""]
    else:
        kind = "failure" if view.error else "note"
        out += [f'!!! {kind} "{view.status}"', ""]
        body = (
            f"The recording could not be processed: {escape_md(one_line_reason(view.error))}"
            if view.error
            else "This page will show the transcript once the recording has been processed."
        )
        out += [f"    {body}", ""]

    summary = summary_markdown(view)
    if summary:
        # the summary repeats the transcript's words: search lands on the turns themselves
        out += ['<div class="rp-summary" data-pagefind-ignore="all" markdown>', "", "## Summary", "", summary, "", "</div>", ""]

    anchors_of_turns = turn_anchors(view.turns) if has_turns and view.turns is not None else []
    roster = _roster(view, slugs)
    if roster:
        out += ["## Speakers", "", *roster, ""]
        if anchors_of_turns and view.turns is not None:
            by_id: dict[str, str] = {}
            for anchor, t in zip(anchors_of_turns, view.turns.turns):
                by_id.setdefault(t.id, anchor)
            notes = naming_notes(view, by_id)
            if notes:
                out += [*notes, ""]

    items = _agenda_items(view)
    anchors = {id(item): f"agenda-{i}" for i, item in enumerate(items, 1)}
    if items:
        out += ["## Agenda", ""]
        for item in items:
            if item.start is not None and has_turns:
                out.append(f"- [{format_hms(item.start)}](#{anchors[id(item)]}) {escape_md(item.title)}")
            elif item.start is not None:
                out.append(f"- {format_hms(item.start)} {escape_md(item.title)}")
            else:
                out.append(f"- {escape_md(item.title)}")
        out.append("")

    if has_turns:
        assert view.turns is not None
        out += ["## Transcript", ""]
        timed = sorted((i for i in items if i.start is not None), key=lambda i: i.start or 0.0)
        names = _speakers_in_order(view)
        colour = {n: f"speaker-{k % SPEAKER_COLOURS}" for k, n in enumerate(names)}
        for turn, anchor in zip(view.turns.turns, anchors_of_turns):
            # an item's heading goes before the turn in whose first half it starts (a moderator's
            # "let us move to..." turn begins just before the item's rounded start time)
            while timed and (timed[0].start or 0.0) <= turn.start + max(0.0, turn.end - turn.start) / 2 + 1e-6:
                out += [_agenda_heading(timed.pop(0), anchors), ""]
            name = speaker_name(turn, view.turns)
            href = _speaker_href(name, slugs, "../../")
            out += [render_turn(turn, view.turns, anchor, colour.get(name, "speaker-0"), href), ""]
        for item in timed:  # items after the last turn keep their heading (and the agenda link works)
            out += [_agenda_heading(item, anchors), ""]
    out += [_search_filters(view), ""]
    return "\n".join(out).rstrip() + "\n"


def _agenda_heading(item: AgendaItem, anchors: dict[int, str]) -> str:
    start = f' data-start="{item.start:.3f}"' if item.start is not None else ""
    return f"### {escape_md(item.title)} {{ #{anchors[id(item)]}{start} }}"


DOWNLOADS_STAMP = ".downloads.key"
"""Fingerprint of what a session's downloads were made from (their caption layout is the slow part)."""


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def downloads_key(view: SessionView) -> str | None:
    """A fingerprint of the downloads' inputs: turns.json, session.yaml and the export code.

    None when the turns did not come from the session's turns.json (nothing to compare)."""
    from . import exports as export

    turns_file = view.session.dir / "turns.json"
    try:
        parts = [turns_file.read_bytes(), view.session.file.read_bytes(), Path(export.__file__).read_bytes()]
    except OSError:
        return None
    return digest(*parts)


def session_downloads(view: SessionView) -> dict[str, str]:
    """File name → content of the session's downloads (none without turns)."""
    if view.turns is None or not view.turns.turns:
        return {}
    return {
        f"{view.session.id}.{ext}": get_writer(ext).to_string(view.turns, session=view.session)
        for ext, _ in DOWNLOADS
    }


def _download_names(view: SessionView) -> list[str]:
    return [f"{view.session.id}.{ext}" for ext, _ in DOWNLOADS] if view.turns is not None and view.turns.turns else []


def _downloads_fresh(view: SessionView, folder: Path, key: str | None) -> bool:
    """The downloads in ``folder`` were made from the same inputs (see ``downloads_key``)."""
    names = _download_names(view)
    return bool(key and names and _read_text(folder / DOWNLOADS_STAMP) == key
                and all((folder / n).is_file() for n in names))


PARALLEL_DOWNLOADS_FROM = 4
"""Lay out the downloads of this many sessions or more in worker processes (one per core):
caption layout is most of a cold build (300 ninety-minute sessions: ~0.3 s each)."""


def downloads_in_parallel(views: Sequence[SessionView]) -> dict[str, dict[str, str]]:
    """Session id → its downloads (``session_downloads``), over the cores when there are many."""
    import os

    workers = min(os.cpu_count() or 1, len(views))
    if workers < 2 or len(views) < PARALLEL_DOWNLOADS_FROM:
        return {v.session.id: session_downloads(v) for v in views}
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = pool.map(session_downloads, views, chunksize=max(1, len(views) // (workers * 8)))
        return {v.session.id: files for v, files in zip(views, results)}


# ---------------------------------------------------------------- speaker pages


@dataclass(frozen=True)
class Appearance:
    """One person in one session: their roster entry (if any) and their turns."""

    view: SessionView
    person: Person | None
    turns: tuple[tuple[str, Turn], ...]  # (anchor, turn)
    talk: float


def speaker_appearances(views: Sequence[SessionView], slugs: dict[str, str]) -> dict[str, list[Appearance]]:
    """Slug → the sessions a named person is on the roster of or spoke in."""
    found: dict[str, list[Appearance]] = defaultdict(list)
    for v in views:
        people = {_person_key(p.name): p for p in v.session.speakers}
        by_person: dict[str, list[tuple[str, Turn]]] = defaultdict(list)
        if v.turns is not None:
            for anchor, t in zip(turn_anchors(v.turns), v.turns.turns):
                by_person[_person_key(speaker_name(t, v.turns))].append((anchor, t))
        for name in _speakers_in_order(v):
            key = _person_key(name)
            slug = slugs.get(key)
            if slug is None or not is_named(name):
                continue
            turns = tuple(by_person.get(key, ()))
            found[slug].append(
                Appearance(view=v, person=people.get(key), turns=turns, talk=sum(max(t.end - t.start, 0.0) for _, t in turns))
            )
    for apps in found.values():
        apps.sort(key=lambda a: _sort_key(a.view), reverse=True)
    return found


def _excerpt(text: str, words: int = EXCERPT_WORDS) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def _latest(apps: Sequence[Appearance], field: str) -> str:
    """A roster field's newest non-empty value (appearances are newest first)."""
    return next((getattr(a.person, field) for a in apps if a.person is not None and getattr(a.person, field)), "")


def render_speaker(name: str, apps: Sequence[Appearance]) -> str:
    """A person's page: roster data, sessions, and their longest turns linking to the moment."""
    title = escape_html(_SPACE.sub(" ", name).strip())
    out = ["---", f"title: {json.dumps(title)}", "---", "", f"# {escape_md(name)}", ""]
    rows = [("Affiliation", _latest(apps, "affiliation")), ("Stakeholder group", _latest(apps, "stakeholder_group")),
            ("Region", _latest(apps, "region"))]
    out += [f"- **{k}:** {escape_md(v)}" for k, v in rows if v]
    total = sum(a.talk for a in apps)
    spoke = sum(1 for a in apps if a.turns)
    out += [f"- **Sessions:** {len(apps)}" + (f" (spoke in {spoke}, {human_duration(total)} in all)" if spoke else ""), ""]
    out += ["## Sessions", "", "| Date | Session | Event | Role | Speaking time |", "|---|---|---|---|---|"]
    for a in apps:
        s = a.view.session
        link = f"[{escape_md(s.title)}](../../{session_href(s.id)})"
        role = escape_md(a.person.role) if a.person else "—"
        date = s.date.isoformat() if s.date else "—"
        out.append(f"| {date} | {link} | {escape_md(s.event) or '—'} | {role} | {human_duration(a.talk) if a.turns else '—'} |")
    out.append("")
    spoken = [a for a in apps if a.turns]
    if spoken:
        out += ["## What they said", ""]
        out += ['<div class="rp-speaker-turns" data-pagefind-ignore="index" markdown="1">', ""]
        for a in spoken:
            s = a.view.session
            base = f"../../{SESSIONS_DIR}/{quote(s.id)}/"
            date = f" ({s.date.isoformat()})" if s.date else ""
            out += [f"### {escape_md(s.title)}{date}", ""]
            key = sorted(a.turns, key=lambda at: at[1].end - at[1].start, reverse=True)[:KEY_TURNS]
            for anchor, t in sorted(key, key=lambda at: at[1].start):
                out.append(
                    f'- <a class="turn-time" href="{base}#{escape_html(anchor)}">{format_hms(t.start)}</a> '
                    f"{escape_md(_excerpt(turn_text(t)))}"
                )
            more = len(a.turns) - len(key)
            if more > 0:
                out.append(f"- … and {more} more turn{'s' if more != 1 else ''} in [the transcript]({base}index.md#transcript)")
            out.append("")
        out += ["</div>", ""]
    filt = "".join(f'<span data-pagefind-filter="event">{filter_text(e)}</span>' for e in sorted({a.view.session.event for a in apps if a.view.session.event}))
    out += [f'<div hidden data-pagefind-ignore="index"><span data-pagefind-filter="speaker">{filter_text(name)}</span>{filt}</div>', ""]
    return "\n".join(out).rstrip() + "\n"


def render_speaker_index(entries: Sequence[tuple[str, str, Sequence[Appearance]]]) -> str:
    """Every named person, alphabetically: name, affiliation, number of sessions."""
    out = ["---", 'title: "Speakers"', "---", "", "# Speakers", ""]
    if not entries:
        return "\n".join(out + ["No named speakers yet.", ""])
    out += [f"{len(entries)} people spoke in or were listed for the archive's sessions.", ""]
    out += ["| Name | Affiliation | Sessions |", "|---|---|---|"]
    for name, slug, apps in sorted(entries, key=lambda e: _person_key(e[0])):
        aff = escape_md(_latest(apps, "affiliation")) or "—"
        out.append(f"| [{escape_md(name)}]({slug}/index.md) | {aff} | {len(apps)} |")
    return "\n".join(out).rstrip() + "\n"


# ------------------------------------------------------------------ home page


def _sort_key(view: SessionView) -> tuple:
    d = view.session.date
    return (d.toordinal() if d else 0, view.session.title.casefold())


def _group_title(event: str, year: int | None) -> str:
    if event and (year is None or str(year) in event):
        return event
    if event:
        return f"{event} ({year})"
    return str(year) if year else "Undated"


def render_home(views: Sequence[SessionView], *, max_names: int = 6, slugs: dict[str, str] | None = None) -> str:
    """The home page: a search box, then every session, newest first, grouped by event and year."""
    slugs = speaker_slugs(views) if slugs is None else slugs
    groups: dict[tuple[str, int | None], list[SessionView]] = defaultdict(list)
    for v in views:
        groups[(v.session.event, v.session.year)].append(v)
    ordered = sorted(groups.items(), key=lambda kv: max(_sort_key(v) for v in kv[1]), reverse=True)
    n = len(views)
    out = [
        "# rapporteur archive",
        "",
        f"Transcripts of {n} recorded session{'s' if n != 1 else ''}: who said what, when, "
        "under which agenda item. See [About](about.md) for how they are made.",
        "",
        '<div class="rp-search" id="rp-search" data-pagefind-ignore="index"><noscript>Search needs JavaScript.</noscript></div>',
        "",
    ]
    if not views:
        out += ["No sessions yet: add one under `recordings/` and build the site.", ""]
    for (event, year), members in ordered:
        out += [f"## {escape_md(_group_title(event, year))}", ""]
        out += ["| Date | Session | Speakers | Duration |", "|---|---|---|---|"]
        for v in sorted(members, key=_sort_key, reverse=True):
            names = _speakers_in_order(v)
            shown = ", ".join(
                f"[{escape_md(x)}]({href}index.md)" if (href := _speaker_href(x, slugs, "")) else escape_md(x)
                for x in names[:max_names]
            )
            if len(names) > max_names:
                shown += f" and {len(names) - max_names} more"
            title = f"[{escape_md(v.session.title)}]({session_href(v.session.id)})"
            if v.status:
                title += f" <small>({escape_md(v.status.lower())})</small>"
            date = v.session.date.isoformat() if v.session.date else "—"
            out.append(f"| {date} | {title} | {shown or '—'} | {escape_md(_duration(v)) or '—'} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# ------------------------------------------------------------------ file I/O


def load_view(session: Session, *, error: str | None = None) -> SessionView:
    """A session with its ``turns.json`` and ``agenda.json`` when they exist."""
    return SessionView(
        session=session,
        turns=read_record(session.dir / "turns.json", turns_from_dict),
        agenda=read_record(session.dir / "agenda.json", agenda_from_dict),
        error=error,
    )


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def ensure_site_audio(session: Session, folder: Path, *, bitrate: str = SITE_AUDIO_BITRATE) -> Path | None:
    """Encode the session's local media into ``folder/<id>.ogg`` (mono Opus) unless it is up to date.

    A hidden sidecar ``.<id>.ogg.source`` records the source's sha256 and the
    bit rate, so the file is only encoded again when the source changes.
    Returns the audio file, or None when the session has no local media.
    """
    from ..media import encode_opus

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


def render_site(views: list[SessionView], docs_dir: Path, *, site_audio: bool = True) -> list[Path]:
    """Write the home page, session pages, downloads and speaker pages under ``docs_dir``.

    Returns every generated path (written or already up to date).  Folders in
    ``docs_dir/sessions/`` and ``docs_dir/speakers/`` that belong to no session
    or person, and stray files inside them, are removed; nothing else is.
    With ``site_audio``, sessions with local media get ``<id>.ogg`` next to
    their page (see ``ensure_site_audio``).
    """
    docs_dir = Path(docs_dir)
    ids = [v.session.id for v in views]
    bad = [i for i in ids if not _SESSION_ID.match(i)]
    if bad:
        raise RapporteurError(f"invalid session ids {bad!r}", hint="session folders use lower-case letters, digits, '.', '_' or '-'")
    dupes = sorted(i for i, c in Counter(ids).items() if c > 1)
    if dupes:
        raise RapporteurError(f"session ids used twice: {', '.join(dupes)}")

    slugs = speaker_slugs(views)
    written: list[Path] = []
    home = docs_dir / "index.md"
    write_text_atomic(home, render_home(views, slugs=slugs))
    written.append(home)

    root = docs_dir / SESSIONS_DIR
    keys = {v.session.id: downloads_key(v) for v in views}
    fresh = {v.session.id for v in views if _downloads_fresh(v, root / v.session.id, keys[v.session.id])}
    laid_out = downloads_in_parallel([v for v in views if v.session.id not in fresh])
    for v in views:
        folder = root / v.session.id
        if folder.is_symlink() or folder.is_file():
            folder.unlink()
        keep: set[str] = set()
        audio = ensure_site_audio(v.session, folder) if site_audio else None
        if audio is not None:
            keep |= {audio.name, f".{audio.name}.source"}
            written.append(audio)
        player = choose_player(v.session, has_local_audio=audio is not None)
        files = {"index.md": render_session(v, slugs=slugs, player=player)}
        key = keys[v.session.id]
        names = _download_names(v)
        if v.session.id in fresh:
            keep |= set(names) | {DOWNLOADS_STAMP}  # unchanged since the last build: not laid out again
            written += [folder / n for n in names]
        else:
            files.update(laid_out[v.session.id])
            if key and names:
                files[DOWNLOADS_STAMP] = key
        for name, text in files.items():
            write_text_atomic(folder / name, text)
            written.append(folder / name)
        keep |= set(files)
        for stray in folder.iterdir():
            if stray.name not in keep:
                _remove(stray)
    _prune(root, set(ids))

    people = speaker_appearances(views, slugs)
    names = {slugs[key]: name for key, name in display_names(views).items()}
    sroot = docs_dir / SPEAKERS_DIR
    entries = []
    for slug, apps in sorted(people.items()):
        page = sroot / slug / "index.md"
        write_text_atomic(page, render_speaker(names[slug], apps))
        written.append(page)
        entries.append((names[slug], slug, apps))
        for stray in page.parent.iterdir():
            if stray.name != "index.md":
                _remove(stray)
    index = sroot / "index.md"
    write_text_atomic(index, render_speaker_index(entries))
    written.append(index)
    _prune(sroot, set(people) | {"index.md"})
    return written


def _prune(root: Path, keep: set[str]) -> None:
    if root.is_dir():
        for child in root.iterdir():
            if child.name not in keep:
                _remove(child)
