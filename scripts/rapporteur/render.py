"""render: the archive's Markdown for MkDocs (home page, one page per session, downloads).

Pure functions return Markdown strings; ``render_site`` writes them with
``write_text_atomic`` so unchanged pages keep their mtime.  Every text that
comes from session.yaml or a transcript goes through ``escape_md`` (or
``escape_html`` inside attributes); links are only ever http(s).
The navigation stays small (Home, About): sessions are linked from the home
page, so each page's size does not grow with the number of sessions.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence
from urllib.parse import quote, urlsplit

from .errors import RapporteurError
from .export import format_hms, get_writer, speaker_name, turn_text
from .fsutil import write_text_atomic
from .records import Agenda, AgendaItem, Turn, Turns, agenda_from_dict, turn_id, turns_from_dict
from .session import Session

DOWNLOADS = (
    ("vtt", "captions (WebVTT)"),
    ("srt", "subtitles (SRT)"),
    ("txt", "text"),
    ("json", "JSON"),
)
SESSIONS_DIR = "sessions"
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


# ------------------------------------------------------------------ escaping

# characters with a meaning in Python-Markdown or its common extensions
# (emphasis, code, links, attr_list, tables, tilde/caret/mark, math, Jinja-like braces)
_MD_CHARS = "\\`*_{}[]()|~^=$"
_MD_TABLE = {ord(c): f"&#{ord(c)};" for c in _MD_CHARS}
_ORDERED = re.compile(r"^(\d+)\.")


def escape_html(text: str) -> str:
    """Text for HTML element content or a quoted attribute value."""
    return html.escape(str(text), quote=True)


def escape_md(text: str) -> str:
    """One line of inert text for Markdown (and HTML): no markup, link, attribute list or template.

    Whitespace (newlines included) collapses to single spaces; HTML
    characters become entities and Markdown punctuation numeric character
    references, which render as the same characters.
    """
    text = html.escape(_SPACE.sub(" ", str(text)).strip(), quote=True).translate(_MD_TABLE)
    # "# x", "- x", "+ x", "1. x" would start a heading or a list ("1) x" is already inert)
    if text[:1] in ("#", "-", "+"):
        text = f"&#{ord(text[0])};" + text[1:]
    return _ORDERED.sub(r"\1&#46;", text)


def escape_md_block(text: str) -> str:
    """Paragraphs (split at blank lines), each escaped with ``escape_md``."""
    paras = [escape_md(p) for p in re.split(r"\n\s*\n", str(text))]
    return "\n\n".join(p for p in paras if p)


def safe_url(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) URL, else None."""
    if not url:
        return None
    url = str(url).strip()
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def link_html(url: str | None, text: str) -> str:
    """An ``<a>`` to an http(s) URL, or the escaped text alone."""
    ok = safe_url(url)
    if ok is None:
        return escape_md(text)
    return f'<a href="{escape_html(ok)}" rel="nofollow noopener">{escape_md(text)}</a>'


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


# ---------------------------------------------------------------- session page


def render_turn(turn: Turn, turns: Turns, anchor: str, speaker_class: str) -> str:
    """One turn as an HTML block: a linked timestamp, the speaker, the text."""
    name = speaker_name(turn, turns) or "Unknown speaker"
    paras = "".join(f"<p>{escape_md(p)}</p>" for p in _paragraphs(turn_text(turn)))
    return (
        f'<div class="turn {speaker_class}" id="{escape_html(anchor)}">\n'
        f'<p class="turn-head"><a class="turn-time" href="#{escape_html(anchor)}">{format_hms(turn.start)}</a> '
        f'<span class="turn-speaker">{escape_md(name)}</span></p>\n'
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


def _roster(view: SessionView) -> list[str]:
    talk: Counter[str] = Counter()
    if view.turns is not None:
        for t in view.turns.turns:
            talk[speaker_name(t, view.turns)] += max(t.end - t.start, 0.0)
    people = [
        (p.name, p.role, p.affiliation, p.stakeholder_group, p.region) for p in view.session.speakers
    ]
    roster = {p[0] for p in people}
    people += [(n, "not identified", "", "", "") for n in _speakers_in_order(view) if n not in roster]
    if not people:
        return []
    header = ["Name", "Role", "Affiliation", "Stakeholder group", "Region"]
    keep = [0] + [i for i in range(1, 5) if any(p[i] for p in people)]
    cols = [header[i] for i in keep] + (["Speaking time"] if talk else [])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for p in people:
        cells = [escape_md(p[i]) or "—" for i in keep]
        if talk:
            cells.append(human_duration(talk[p[0]]) if talk.get(p[0]) else "—")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def render_session(view: SessionView) -> str:
    """The Markdown of one session page."""
    s = view.session
    # Material writes page.meta.title into <title> and the header without escaping, and would
    # unescape a title taken from the heading (striptags): give it the HTML-escaped title.
    title = escape_html(_SPACE.sub(" ", s.title).strip())
    out = ["---", f"title: {json.dumps(title)}", "---", ""]  # a JSON string is a YAML string
    out += [f"# {escape_md(s.title)}", ""]
    if s.description:
        out += [escape_md_block(s.description), ""]
    out += _metadata(view) + [""]
    has_turns = view.turns is not None and bool(view.turns.turns)
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

    roster = _roster(view)
    if roster:
        out += ["## Speakers", "", *roster, ""]

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
        used: set[str] = set()
        for turn in view.turns.turns:
            # an item's heading goes before the turn in whose first half it starts (a moderator's
            # "let us move to..." turn begins just before the item's rounded start time)
            while timed and (timed[0].start or 0.0) <= turn.start + max(0.0, turn.end - turn.start) / 2 + 1e-6:
                out += [_agenda_heading(timed.pop(0), anchors), ""]
            name = speaker_name(turn, view.turns)
            out += [render_turn(turn, view.turns, _turn_anchor(turn, used), colour.get(name, "speaker-0")), ""]
        for item in timed:  # items after the last turn keep their heading (and the agenda link works)
            out += [_agenda_heading(item, anchors), ""]
    return "\n".join(out).rstrip() + "\n"


def _agenda_heading(item: AgendaItem, anchors: dict[int, str]) -> str:
    return f"### {escape_md(item.title)} {{ #{anchors[id(item)]} }}"


def session_downloads(view: SessionView) -> dict[str, str]:
    """File name → content of the session's downloads (none without turns)."""
    if view.turns is None or not view.turns.turns:
        return {}
    return {
        f"{view.session.id}.{ext}": get_writer(ext).to_string(view.turns, session=view.session)
        for ext, _ in DOWNLOADS
    }


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


def render_home(views: Sequence[SessionView], *, max_names: int = 6) -> str:
    """The home page: every session, newest first, grouped by event and year."""
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
    ]
    if not views:
        out += ["No sessions yet: add one under `recordings/` and build the site.", ""]
    for (event, year), members in ordered:
        out += [f"## {escape_md(_group_title(event, year))}", ""]
        out += ["| Date | Session | Speakers | Duration |", "|---|---|---|---|"]
        for v in sorted(members, key=_sort_key, reverse=True):
            names = _speakers_in_order(v)
            shown = ", ".join(escape_md(x) for x in names[:max_names])
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

    def read(name: str, parse):
        path = session.dir / name
        if not path.is_file():
            return None
        try:
            return parse(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError, KeyError) as exc:
            raise RapporteurError(f"unreadable ({exc})", path=path, hint="delete it and run the pipeline again") from None

    return SessionView(session=session, turns=read("turns.json", turns_from_dict), agenda=read("agenda.json", agenda_from_dict), error=error)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def render_site(views: list[SessionView], docs_dir: Path) -> list[Path]:
    """Write the home page, session pages and downloads under ``docs_dir``.

    Returns every generated path (written or already up to date).  Folders in
    ``docs_dir/sessions/`` that belong to no session, and stray files inside a
    session's folder, are removed; nothing outside ``docs_dir/sessions/`` is.
    """
    docs_dir = Path(docs_dir)
    ids = [v.session.id for v in views]
    bad = [i for i in ids if not _SESSION_ID.match(i)]
    if bad:
        raise RapporteurError(f"invalid session ids {bad!r}", hint="session folders use lower-case letters, digits, '.', '_' or '-'")
    dupes = sorted(i for i, c in Counter(ids).items() if c > 1)
    if dupes:
        raise RapporteurError(f"session ids used twice: {', '.join(dupes)}")

    written: list[Path] = []
    home = docs_dir / "index.md"
    write_text_atomic(home, render_home(views))
    written.append(home)

    root = docs_dir / SESSIONS_DIR
    for v in views:
        folder = root / v.session.id
        files = {"index.md": render_session(v), **session_downloads(v)}
        if folder.is_symlink() or folder.is_file():
            folder.unlink()
        for name, text in files.items():
            write_text_atomic(folder / name, text)
            written.append(folder / name)
        for stray in folder.iterdir():
            if stray.name not in files:
                _remove(stray)

    if root.is_dir():
        keep = set(ids)
        for child in root.iterdir():
            if child.name not in keep:
                _remove(child)
    return written

