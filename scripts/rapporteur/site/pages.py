"""The archive's pages as Markdown for MkDocs: a session page and speaker pages (listing.py: home, events, speaker index).

Rendering only: each function takes ``SessionView``s (views.py) and returns a
Markdown string; build.py writes them.  The HTML inside the Markdown (turns,
player, naming notes, search data) comes from the Jinja2 templates in
``templates/`` (autoescape on; ``md`` is ``escape_md``).  The navigation stays
small (Home, Events, Speakers, Search, About): sessions are linked from their
event's page (listing.py), so no page's size grows with the number of sessions.

A session's transcript is one block per turn whose ``<h4 id="t754320"
data-start="754.32">`` heading is what docs/assets/rapporteur.js seeks to and
what Pagefind shows as a sub-result.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Mapping, Sequence
from urllib.parse import quote, urlsplit

from markupsafe import Markup

from ..core.records import NamingEntry, Turn, TurnCorrection, Unheard
from ..core.session import Person
from ..core.text import SENTENCE_SPLIT
from .exports import DOWNLOADS
from .language import language_code, language_label
from .markup import escape_html, escape_md, escape_md_block, format_hms, link_html, render, safe_url
from .player import Player, choose_player, render_player
from .summary import summary_markdown
from .timeline import timeline_html
from .views import (SessionView, agenda_items, duration, session_language, has_turns, human_duration, load_summary, naming_by_name,
                    not_made_out, one_line_reason, speaker_name, speakers_in_order, talk_time, turn_anchors, turn_text,
                    unheard_speaker, with_unheard)

SESSIONS_DIR = "sessions"
SPEAKERS_DIR = "speakers"
KEY_TURNS = 8
"""Turns of a speaker listed per session on the speaker's page (the longest ones, in time order)."""
SAID_SESSIONS = 20
"""Sessions whose key turns a speaker's page quotes (the newest ones): the page stays bounded for a person in hundreds of sessions."""
SPEAKER_PAGE_SESSIONS = 250
"""Sessions listed on a speaker's page; a person in more continues on numbered pages (speakers/<slug>/2/)."""
EXCERPT_WORDS = 40
PARAGRAPH_WORDS = 120
"""A long turn is split into paragraphs of about this many words, at sentence ends."""
SPEAKER_COLOURS = 8
"""Turns get a ``speaker-N`` class, N < this, for the stylesheet's colours."""

_SPACE = re.compile(r"\s+")


def front_matter(title: str, *, language: str = "") -> list[str]:
    # Material writes page.meta.title into <title> and the header without escaping, and would
    # unescape a title taken from the heading (striptags): give it the HTML-escaped title.
    # `language:` (a checked code) marks the page's content for Pagefind's per-language index (site/language.py)
    lang = [f"language: {language}"] if language else []
    return ["---", f"title: {json.dumps(escape_html(_SPACE.sub(' ', title).strip()))}", *lang, "---", ""]  # a JSON string is a YAML string


def _paragraphs(text: str, size: int = PARAGRAPH_WORDS) -> list[str]:
    paras: list[str] = []
    cur: list[str] = []
    count = 0
    for sentence in SENTENCE_SPLIT.split(text):
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


def person_key(name: str) -> str:
    return _SPACE.sub(" ", name).strip().casefold()


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-")
    if not slug:  # a name without Latin letters: a short stable digest
        import hashlib

        slug = "p-" + hashlib.sha256(person_key(name).encode("utf-8")).hexdigest()[:10]
    return slug


def display_names(views: Sequence[SessionView]) -> dict[str, str]:
    """Casefolded name → how to write it: the most used spelling, mixed case ("Ana Ferreira") first."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for v in views:
        for name in speakers_in_order(v):
            if is_named(name):
                seen[person_key(name)][_SPACE.sub(" ", name).strip()] += 1
    return {
        key: max(spellings.items(), key=lambda kv: (not kv[0].islower() and not kv[0].isupper(), kv[1], kv[0]))[0]
        for key, spellings in seen.items()
    }


def speaker_slugs(views: Sequence[SessionView]) -> dict[str, str]:
    """Casefolded name → speaker page slug, for every named person on a roster or in a transcript."""
    names = display_names(views)
    used: set[str] = {"index", *LETTER_SLUGS}
    return {key: unique_slug(slugify(names[key]), used) for key in sorted(names)}


def unique_slug(base: str, used: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3`` … : the first not in ``used``, which it is added to."""
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    used.add(slug)
    return slug


LETTER_SLUGS = tuple(f"letter-{c}" for c in "abcdefghijklmnopqrstuvwxyz") + ("letter-other",)
"""Folders of the speaker index's per-letter pages (``name_initial``): no person's slug takes them."""


def name_initial(name: str) -> str:
    """The speaker index letter a name is filed under: "a" … "z", or "other" (a name without a Latin first letter)."""
    first = unicodedata.normalize("NFKD", name.strip()[:1]).encode("ascii", "ignore").decode("ascii").lower()
    return first if first and "a" <= first <= "z" else "other"


def speaker_href(name: str, slugs: dict[str, str], prefix: str) -> str | None:
    slug = slugs.get(person_key(name)) if is_named(name) else None
    return f"{prefix}{SPEAKERS_DIR}/{slug}/" if slug else None


# ---------------------------------------------------------------- session page


def _metadata(view: SessionView) -> list[str]:
    s = view.session
    rows = [
        ("Event", escape_md(s.event)),
        ("Date", s.date.isoformat() if s.date else ("not known" if s.event else "")),
        ("Time", escape_md(s.time)),
        ("Room", escape_md(s.room)),
        ("Format", escape_md(s.format)),
        ("Language", escape_md(language_label(session_language(view)))),
        ("Duration", escape_md(duration(view))),
    ]
    if safe_url(s.recording):
        rows.append(("Recording", link_html(s.recording, urlsplit(s.recording).netloc)))
    if safe_url(s.page):
        rows.append(("Session page", link_html(s.page, urlsplit(s.page).netloc)))
    return [f"- **{k}:** {v}" for k, v in rows if v]


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


def _evidence(entry: NamingEntry, anchors: Mapping[str, str], limit: int = 3) -> list[dict]:
    return [
        {"rule": e.rule, "anchor": anchors.get(e.turn_id or ""), "start": e.start, "text": e.text.strip()[:140]}
        for e in entry.evidence[:limit]
        if e.rule
    ]


def naming_notes(view: SessionView, anchors: Mapping[str, str]) -> str:
    """A folded list: each voice's name, how sure, the words that decided it, and how to correct it ("" when every name was set by hand)."""
    entries = view.turns.naming if view.turns is not None else {}
    if all(e.source == "speaker_map" for e in entries.values()):
        return ""  # every name set by hand: nothing to explain
    rows = [
        {
            "label": label,
            "name": entry.name or label,
            "how": how_identified(entry),
            "evidence": _evidence(entry, anchors) if entry.source != "speaker_map" else [],
            "apart": entry.heard_apart_from or "",
        }
        for label, entry in entries.items()
    ]
    return render("naming_notes.html", rows=rows, session_id=view.session.id)


def _roster(view: SessionView, slugs: dict[str, str] | None = None, prefix: str = "../../") -> list[str]:
    talk = talk_time(view)
    people = [
        (p.name, p.role, p.affiliation, p.stakeholder_group, p.region) for p in view.session.speakers
    ]
    roster = {p[0] for p in people}
    people += [(n, "not identified", "", "", "") for n in speakers_in_order(view) if n not in roster]
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
        href = speaker_href(p[0], slugs or {}, prefix)
        if href:
            cells[0] = f"[{cells[0]}]({href}index.md)"
        if talk:
            cells.append(human_duration(talk[p[0]]) if talk.get(p[0]) else "—")
        if show_ident:
            cells.append(ident[p[0]] or "—")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _search_data(view: SessionView) -> str:
    """Hidden Pagefind filters, sort key and metadata of a session page."""
    s = view.session
    date = s.date.isoformat() if s.date else ""
    return render(
        "search_data.html",
        speakers=[n for n in speakers_in_order(view) if is_named(n)],
        event=s.event,
        year=s.year,
        context=" · ".join(x for x in (s.event, date) if x),
        date=date,
    )


def _correction_note(c: TurnCorrection) -> str:
    """One human correction as the page shows it (what changed, from what, where it lives)."""
    if c.kind in ("replace", "glossary"):
        return f"\u201c{c.before}\u201d \u2192 \u201c{c.after}\u201d ({c.source})"
    if c.kind == "speaker":
        return f"speaker {c.before} \u2192 {c.after} ({c.source})"
    if c.kind == "split":
        return f"a new turn starts here ({c.source})"
    return f"joined with the turn before ({c.source})"


def _transcript(view: SessionView, anchors_of_turns: Sequence[str], items, item_anchors, slugs) -> str:
    """The "Transcript" section's blocks: turns, with each timed agenda item's heading where it starts."""
    assert view.turns is not None
    blocks: list[dict] = []

    def heading(item) -> dict:
        return {"kind": "item", "title": item.title, "anchor": item_anchors[id(item)], "start": item.start}

    timed = sorted((i for i in items if i.start is not None), key=lambda i: i.start or 0.0)
    colour = {n: f"speaker-{k % SPEAKER_COLOURS}" for k, n in enumerate(speakers_in_order(view))}

    def unheard_block(u) -> dict:
        name = unheard_speaker(u, view.turns)
        return {"kind": "unheard", "start": u.start, "text": not_made_out(u), "name": name,
                "colour": colour.get(name, "speaker-0")}

    anchors = iter(anchors_of_turns)
    for turn in with_unheard(view.turns):
        # an item's heading goes before the turn in whose first half it starts (a moderator's
        # "let us move to..." turn begins just before the item's rounded start time), before speech left
        # without words when it starts before it
        if isinstance(turn, Unheard):
            while timed and (timed[0].start or 0.0) <= turn.start:
                blocks.append(heading(timed.pop(0)))
            blocks.append(unheard_block(turn))
            continue
        while timed and (timed[0].start or 0.0) <= turn.start + max(0.0, turn.end - turn.start) / 2 + 1e-6:
            blocks.append(heading(timed.pop(0)))
        anchor = next(anchors)
        name = speaker_name(turn, view.turns)
        blocks.append({
            "kind": "turn",
            "anchor": anchor,
            "start": turn.start,
            "end": turn.end,
            "name": name or "Unknown speaker",
            "href": speaker_href(name, slugs, "../../"),
            "colour": colour.get(name, "speaker-0"),
            "paras": _paragraphs(turn_text(turn)),
            # the edit control's entry (docs/assets/rapporteur.js): the words to correct and who spoke
            "phrase": " ".join(turn.text.split()[:6]),
            "speaker": turn.speaker,
            "corrected": [_correction_note(c) for c in turn.corrections or ()],
        })
    blocks += [heading(item) for item in timed]  # items after the last turn keep their heading (and the agenda link works)
    return render("transcript.md", blocks=blocks).rstrip()


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
    out = front_matter(s.title, language=language_code(session_language(view)))
    out += [f"# {escape_md(s.title)}", ""]
    if s.description:
        out += [escape_md_block(s.description), ""]
    out += _metadata(view) + [""]
    turns_shown = has_turns(view)
    if player is not None:
        out += [render_player(player, view), ""]
    if turns_shown:
        out += [render("downloads.html", downloads=[{"href": f"{quote(s.id)}.{ext}", "label": label}
                                                    for ext, label in DOWNLOADS]), ""]
    else:
        kind = "failure" if view.error else "note"
        out += [f'!!! {kind} "{view.status}"', ""]
        body = (
            f"The recording could not be processed: {escape_md(one_line_reason(view.error))}"
            if view.error
            else "This page will show the transcript once the recording has been processed."
        )
        out += [f"    {body}", ""]

    glance = timeline_html(view) if turns_shown else ""
    if glance:
        out += [glance, ""]  # above the summary: who spoke when
    summary = load_summary(view)
    text = summary_markdown(summary, view.turns).strip() if summary is not None and view.turns is not None else ""
    if text:
        out += [render("summary_section.md", summary=Markup(text)), ""]  # summary.md's output: escaped there

    anchors_of_turns = turn_anchors(view.turns) if turns_shown and view.turns is not None else []
    roster = _roster(view, slugs)
    if roster:
        out += ["## Speakers", "", *roster, ""]
        if anchors_of_turns and view.turns is not None:
            by_id: dict[str, str] = {}
            for anchor, t in zip(anchors_of_turns, view.turns.turns):
                by_id.setdefault(t.id, anchor)
            notes = naming_notes(view, by_id)
            if notes:
                out += [notes, ""]

    items = agenda_items(view)
    item_anchors = {id(item): f"agenda-{i}" for i, item in enumerate(items, 1)}
    if items:
        out += ["## Agenda", ""]
        for item in items:
            if item.start is not None and turns_shown:
                out.append(f"- [{format_hms(item.start)}](#{item_anchors[id(item)]}) {escape_md(item.title)}")
            elif item.start is not None:
                out.append(f"- {format_hms(item.start)} {escape_md(item.title)}")
            else:
                out.append(f"- {escape_md(item.title)}")
        out.append("")

    if turns_shown:
        out += ["## Transcript", ""]
        transcript = _transcript(view, anchors_of_turns, items, item_anchors, slugs)
        if transcript:
            out += [transcript, ""]
    out += [_search_data(view), ""]
    return "\n".join(out).rstrip() + "\n"


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
        people = {person_key(p.name): p for p in v.session.speakers}
        by_person: dict[str, list[tuple[str, Turn]]] = defaultdict(list)
        if v.turns is not None:
            for anchor, t in zip(turn_anchors(v.turns), v.turns.turns):
                by_person[person_key(speaker_name(t, v.turns))].append((anchor, t))
        for name in speakers_in_order(v):
            key = person_key(name)
            slug = slugs.get(key)
            if slug is None or not is_named(name):
                continue
            turns = tuple(by_person.get(key, ()))
            found[slug].append(
                Appearance(view=v, person=people.get(key), turns=turns, talk=sum(max(t.end - t.start, 0.0) for _, t in turns))
            )
    for apps in found.values():
        apps.sort(key=lambda a: session_sort_key(a.view), reverse=True)
    return found


def _excerpt(text: str, words: int = EXCERPT_WORDS) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def latest_field(apps: Sequence[Appearance], field: str) -> str:
    """A roster field's newest non-empty value (appearances are newest first)."""
    return next((getattr(a.person, field) for a in apps if a.person is not None and getattr(a.person, field)), "")


def _what_they_said(spoken: Sequence[Appearance]) -> str:
    sessions = []
    for a in spoken[:SAID_SESSIONS]:
        s = a.view.session
        key = sorted(a.turns, key=lambda at: at[1].end - at[1].start, reverse=True)[:KEY_TURNS]
        sessions.append({
            "title": s.title,
            "date": s.date.isoformat() if s.date else "",
            "base": f"../../{SESSIONS_DIR}/{quote(s.id)}/",
            "turns": [{"anchor": anchor, "start": t.start, "excerpt": _excerpt(turn_text(t))}
                      for anchor, t in sorted(key, key=lambda at: at[1].start)],
            "more": len(a.turns) - len(key),
        })
    return render("speaker_turns.md", sessions=sessions, earlier=len(spoken) - len(sessions))


def _sessions_table(apps: Sequence[Appearance], prefix: str) -> list[str]:
    out = ["| Date | Session | Event | Role | Speaking time |", "|---|---|---|---|---|"]
    for a in apps:
        s = a.view.session
        link = f"[{escape_md(s.title)}]({prefix}{session_href(s.id)})"
        role = escape_md(a.person.role) if a.person else "—"
        date = s.date.isoformat() if s.date else "—"
        out.append(f"| {date} | {link} | {escape_md(s.event) or '—'} | {role} | {human_duration(a.talk) if a.turns else '—'} |")
    return out + [""]


def _page_links(count: int, current: int, here: str) -> list[str]:
    """"Pages: 1 · 2 · 3" of a list split over index.md, 2/index.md …; ``here`` leads back to the first page's folder."""
    if count < 2:
        return []
    parts = [f"**{k}**" if k == current else f"[{k}]({here}{'index.md' if k == 1 else f'{k}/index.md'})"
             for k in range(1, count + 1)]
    return ["**Pages:** " + " · ".join(parts), ""]


def speaker_pages(name: str, apps: Sequence[Appearance], *, per_page: int | None = None) -> dict[str, str]:
    """A person's pages, ``{path under speakers/<slug>/: Markdown}``: index.md (roster data, their newest
    ``SPEAKER_PAGE_SESSIONS`` sessions, their longest turns linking to the moment), then 2/index.md … listing older sessions."""
    per_page = per_page or SPEAKER_PAGE_SESSIONS
    chunks = [apps[i:i + per_page] for i in range(0, len(apps), per_page)] or [apps]
    out = front_matter(name) + [f"# {escape_md(name)}", ""]
    rows = [("Affiliation", latest_field(apps, "affiliation")), ("Stakeholder group", latest_field(apps, "stakeholder_group")),
            ("Region", latest_field(apps, "region"))]
    out += [f"- **{k}:** {escape_md(v)}" for k, v in rows if v]
    total = sum(a.talk for a in apps)
    spoke = sum(1 for a in apps if a.turns)
    out += [f"- **Sessions:** {len(apps)}" + (f" (spoke in {spoke}, {human_duration(total)} in all)" if spoke else ""), ""]
    out += ["## Sessions", "", *_page_links(len(chunks), 1, ""), *_sessions_table(chunks[0], "../../")]
    spoken = [a for a in apps if a.turns]
    if spoken:
        out += ["## What they said", "", _what_they_said(spoken), ""]
    events = sorted({a.view.session.event for a in apps if a.view.session.event})
    out += [render("speaker_search_data.html", name=name, events=events), ""]
    pages = {"index.md": "\n".join(out).rstrip() + "\n"}
    for k, chunk in enumerate(chunks[1:], 2):
        more = front_matter(f"{name} (page {k})") + [f"# {escape_md(name)}", "", f"[{escape_md(name)}](../index.md): sessions, page {k}.", "",
                                                      *_page_links(len(chunks), k, "../"), *_sessions_table(chunk, "../../../")]
        pages[f"{k}/index.md"] = "\n".join(more).rstrip() + "\n"
    return pages


def render_speaker(name: str, apps: Sequence[Appearance]) -> str:
    """A person's (first) page: see ``speaker_pages``."""
    return speaker_pages(name, apps)["index.md"]


# ------------------------------------------------------------------ home page


def session_sort_key(view: SessionView) -> tuple:
    d = view.session.date
    return (d.toordinal() if d else 0, view.session.title.casefold())
