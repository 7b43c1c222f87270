"""The archive's listing pages: the home page, one page per event and year, the events index and the speaker index.

Each page's size is bounded whatever the archive's size: the home page shows
the ``RECENT`` newest sessions and one line per event and year; an event page
lists that event's sessions (``EVENT_PAGE_SESSIONS`` a page); the speaker
index lists everyone on one page up to ``SPEAKER_LETTERS_FROM`` people, then
one page per initial letter.  Functions return ``{path under docs/: Markdown}``
or one Markdown string; build.py writes them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Sequence

from .markup import render
from .pages import (SPEAKERS_DIR, Appearance, front_matter, latest_field, name_initial, person_key, session_href,
                    session_sort_key, slugify, speaker_href, speaker_slugs, unique_slug)
from .views import SessionView, duration, speakers_in_order

EVENTS_DIR = "events"
RECENT = 20
"""Sessions shown on the home page (the newest)."""
EVENT_PAGE_SESSIONS = 400
"""Sessions listed on one event page; a larger event continues on numbered pages (events/<slug>/2/)."""
SPEAKER_LETTERS_FROM = 300
"""From this many people on, the speaker index is one page per initial letter (speakers/letter-a/ …)."""
MAX_NAMES = 6
"""Speakers named in a session's row; the rest are counted."""


@dataclass(frozen=True)
class EventGroup:
    """The sessions of one event and year, newest first, and the folder of its page under docs/events/."""

    title: str
    slug: str
    views: tuple[SessionView, ...]

    @property
    def dates(self) -> str:
        days = sorted(v.session.date for v in self.views if v.session.date)
        if not days:
            return ""
        first, last = days[0].isoformat(), days[-1].isoformat()
        return first if first == last else f"{first} – {last}"


def group_title(event: str, year: int | None) -> str:
    """How sessions are grouped: "IGF 2023"; an event without its year in the name gets it added; else the year."""
    if event and (year is None or str(year) in event):
        return event
    if event:
        return f"{event} ({year})"
    return str(year) if year else "Undated"


def event_groups(views: Sequence[SessionView]) -> list[EventGroup]:
    """Sessions grouped by event and year, the group with the newest session first, each with a unique slug."""
    by_group: dict[tuple[str, int | None], list[SessionView]] = defaultdict(list)
    for v in views:
        by_group[(v.session.event, v.session.year)].append(v)
    ordered = sorted(by_group.items(), key=lambda kv: (max(session_sort_key(v) for v in kv[1]), group_title(*kv[0])),
                     reverse=True)
    used: set[str] = {"index"}
    groups = []
    for (event, year), members in ordered:
        title = group_title(event, year)
        groups.append(EventGroup(title=title, slug=unique_slug(slugify(title), used), views=tuple(sorted(members, key=session_sort_key, reverse=True))))
    return groups


def _row(v: SessionView, slugs: dict[str, str], prefix: str, event_href: str = "") -> dict:
    """One session's row; ``prefix`` leads from the page's folder to docs/."""
    names = speakers_in_order(v)
    return {
        "date": v.session.date.isoformat() if v.session.date else "—",
        "title": v.session.title,
        "href": prefix + session_href(v.session.id),
        "status": v.status.lower(),
        "names": [{"name": x, "href": speaker_href(x, slugs, prefix)} for x in names[:MAX_NAMES]],
        "more": len(names) - MAX_NAMES,
        "duration": duration(v),
        "event": "",
        "event_href": event_href,
    }


def _group_rows(groups: Sequence[EventGroup]) -> list[dict]:
    return [{"title": g.title, "slug": g.slug, "count": len(g.views), "dates": g.dates} for g in groups]


def render_home(views: Sequence[SessionView], *, slugs: dict[str, str] | None = None,
                groups: Sequence[EventGroup] | None = None, recent: int = RECENT) -> str:
    """The home page: a search box, the ``recent`` newest sessions, and every event and year with its count."""
    slugs = speaker_slugs(views) if slugs is None else slugs
    groups = event_groups(views) if groups is None else groups
    event_of = {v.session.id: g for g in groups for v in g.views}
    newest = sorted(views, key=session_sort_key, reverse=True)[:recent]
    rows = []
    for v in newest:
        g = event_of[v.session.id]
        rows.append({**_row(v, slugs, "", f"{EVENTS_DIR}/{g.slug}/index.md"), "event": g.title})
    return render("home.md", count=len(views), recent=rows, groups=_group_rows(groups)).rstrip() + "\n"


def render_event(group: EventGroup, slugs: dict[str, str], *, per_page: int = EVENT_PAGE_SESSIONS) -> dict[str, str]:
    """An event's pages, ``{path under docs/events/<slug>/: Markdown}``: index.md, then 2/index.md … for a long event."""
    chunks = [group.views[i:i + per_page] for i in range(0, len(group.views), per_page)] or [()]
    paths = ["index.md"] + [f"{k}/index.md" for k in range(2, len(chunks) + 1)]
    out = {}
    for k, (chunk, path) in enumerate(zip(chunks, paths), 1):
        here = "../" if k > 1 else ""  # from events/<slug>/<k>/ back to events/<slug>/
        prefix = "../../" + here
        pages = [{"number": j, "current": j == k, "href": here + p} for j, p in enumerate(paths, 1)]
        body = render("event.md", title=group.title, count=len(group.views), dates=group.dates, up="../" + here,
                      pages=pages, rows=[_row(v, slugs, prefix) for v in chunk])
        title = group.title if k == 1 else f"{group.title} (page {k})"
        out[path] = "\n".join(front_matter(title)) + body.rstrip() + "\n"
    return out


def render_events_index(groups: Sequence[EventGroup]) -> str:
    """docs/events/index.md: one line per event and year."""
    return "\n".join(front_matter("Events")) + render("events_index.md", groups=_group_rows(groups)).rstrip() + "\n"


Entry = tuple[str, str, Sequence[Appearance]]
"""(display name, slug, appearances) of one person."""


def _person_rows(entries: Sequence[Entry], prefix: str) -> list[dict]:
    return [{"name": name, "href": f"{prefix}{slug}/index.md", "affiliation": latest_field(apps, "affiliation"),
             "count": len(apps)}
            for name, slug, apps in sorted(entries, key=lambda e: (person_key(e[0]), e[1]))]


def render_speaker_index(entries: Sequence[Entry], *, split_from: int | None = None) -> dict[str, str]:
    """The speaker index, ``{path under docs/speakers/: Markdown}``.

    Below ``split_from`` (default ``SPEAKER_LETTERS_FROM``) people: index.md lists everyone.  From it on: index.md
    links one page per initial letter (``letter-a/index.md`` …), each listing
    that letter's people."""
    def page(title: str, **kw) -> str:
        return "\n".join(front_matter(title)) + render("speaker_index.md", title=title, total=len(entries), **kw).rstrip() + "\n"

    if len(entries) < (SPEAKER_LETTERS_FROM if split_from is None else split_from):
        return {"index.md": page("Speakers", people=_person_rows(entries, ""), letters=[], up="")}
    by_letter: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        by_letter[name_initial(e[0])].append(e)
    order = sorted(by_letter, key=lambda x: (x == "other", x))
    label = {x: "Other" if x == "other" else x.upper() for x in order}

    def letters(current: str, prefix: str) -> list[dict]:
        return [{"label": label[x], "href": f"{prefix}letter-{x}/index.md", "count": len(by_letter[x]),
                 "current": x == current} for x in order]

    out = {"index.md": page("Speakers", people=[], letters=letters("", ""), up="")}
    for x in order:
        out[f"letter-{x}/index.md"] = page(f"Speakers: {label[x]}", people=_person_rows(by_letter[x], "../"),
                                           letters=letters(x, "../"), up="../")
    return out


__all__ = ["EVENTS_DIR", "EventGroup", "event_groups", "group_title", "render_event",
           "render_events_index", "render_home", "render_speaker_index"]
