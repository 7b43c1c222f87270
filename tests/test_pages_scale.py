"""Listing pages at archive scale (listing.py): the home page, event pages, the speaker index and speaker
pages stay bounded in size however many sessions the archive holds (IGF: ~300 a year since 2006).

Views are made in memory (a roster, a few turns each, no words): rendering only, no MkDocs.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

import markdown
import pytest

from rapporteur.core.records import Turn, Turns
from rapporteur.core.session import Person, Session
from rapporteur.site import listing
from rapporteur.site.build import render_site
from rapporteur.site.listing import event_groups, render_event, render_events_index, render_home, render_speaker_index
from rapporteur.site.pages import SAID_SESSIONS, SPEAKER_PAGE_SESSIONS, display_names, speaker_appearances, speaker_pages, speaker_slugs
from rapporteur.site.views import SessionView

MB = 1_000_000
CHROME = 64_000
"""Material's page around the content (header, navigation, scripts): 17 kB measured on the about page; with room."""
EXTENSIONS = ["admonition", "attr_list", "tables", "toc"]
LINK = re.compile(r"\]\(([^)\s]+)\)")
WORDS = ("governance internet access rights policy data privacy security multistakeholder cooperation "
         "development digital inclusion infrastructure standards").split()


def archive(n: int, *, years: int = 19, people: int = 600, chair: bool = True, tmp: Path = Path("/nonexistent")) -> list[SessionView]:
    """``n`` sessions over ``years`` IGF years (2006 on), rosters of 6 drawn from ``people``, 12 turns each;
    with ``chair``, one person (the "chair") is on every roster and speaks in every session."""
    rng = random.Random(n * 31 + years)
    pool = [f"{first} {last}" for first in ("Ana", "Bu", "Carlos", "Daniela", "Elif", "Fatima", "Grace", "Hiro", "Ines",
                                             "Jana", "Kofi", "Lina", "Mateo", "Nadia", "Omar", "Priya", "Rosa", "Sami",
                                             "Tanja", "Umar", "Vera", "Wei", "Yusuf", "Zara")
            for last in ("Abadi", "Brown", "Chen", "Dubois", "Eze", "Garcia", "Haddad", "Ivanova", "Jensen", "Kim",
                         "Lopez", "Mensah", "Nakamura", "Okafor", "Petrov", "Quispe", "Rossi", "Singh", "Tanaka",
                         "Usman", "Varga", "Wang", "Xu", "Yilmaz", "Zhou")][:people]
    views = []
    for i in range(n):
        year = 2006 + i % years
        date = dt.date(year, 11, 1) + dt.timedelta(days=i % 28)
        roster = rng.sample(pool, 6) + (["Chair Person"] if chair else [])
        session = Session(id=f"igf{year}-ws{i:04d}", dir=tmp / f"s{i}", title=f"Workshop {i}: " + " ".join(rng.choices(WORDS, k=6)),
                          event=f"IGF {year}", date=date, speakers=tuple(Person(name=p, role="speaker", affiliation="Institute of " + p.split()[1]) for p in roster))
        turns = []
        for k in range(12):
            text = " ".join(rng.choices(WORDS, k=rng.randint(30, 90))) + "."
            start = k * 420.0 + 1
            turns.append(Turn(id=f"t{int(start * 1000)}", start=start, end=start + 400, label=f"SPEAKER_{k % 7:02d}",
                              speaker=roster[k % len(roster)], text=text))
        views.append(SessionView(session, Turns(turns=tuple(turns), speakers={}, language="en", duration=5400.0), None))
    return views


def listing_pages(views: list[SessionView]) -> dict[str, str]:
    """Every page of the archive except the session pages (whose size does not depend on the archive's), by path under docs/."""
    slugs = speaker_slugs(views)
    groups = event_groups(views)
    pages = {"index.md": render_home(views, slugs=slugs, groups=groups), "events/index.md": render_events_index(groups)}
    for g in groups:
        pages.update({f"events/{g.slug}/{p}": t for p, t in render_event(g, slugs).items()})
    people = speaker_appearances(views, slugs)
    names = {slugs[key]: name for key, name in display_names(views).items()}
    for slug, apps in people.items():
        pages.update({f"speakers/{slug}/{p}": t for p, t in speaker_pages(names[slug], apps).items()})
    entries = [(names[slug], slug, apps) for slug, apps in people.items()]
    pages.update({f"speakers/{p}": t for p, t in render_speaker_index(entries).items()})
    return pages


def links(page: str, path: str) -> set[str]:
    """The docs/-relative targets of a page's Markdown links (anchors dropped)."""
    base = Path(path).parent
    out = set()
    for target in LINK.findall(page):
        target = target.split("#")[0]
        if target and "://" not in target:
            parts: list[str] = []
            for part in (base / target).parts:
                if part == "..":
                    parts.pop()
                elif part != ".":
                    parts.append(part)
            out.add("/".join(parts))
    return out


@pytest.fixture(scope="module")
def big() -> tuple[list[SessionView], dict[str, str]]:
    views = archive(3000)
    return views, listing_pages(views)


def test_home_does_not_grow_with_the_sessions():
    small, large = render_home(archive(100, chair=False)), render_home(archive(1000, chair=False))
    assert len(large.encode()) - len(small.encode()) < 1_000  # longer numbers and titles, nothing more
    assert len(large.encode()) < 20_000
    assert len(re.findall(r"\(sessions/", large)) == listing.RECENT
    # one more line per event and year, and only that
    fewer, more = render_home(archive(400, years=10, chair=False)), render_home(archive(400, years=20, chair=False))
    assert len(more.splitlines()) - len(fewer.splitlines()) == 10
    assert len(more.encode()) - len(fewer.encode()) < 10 * 120


def test_every_session_is_on_exactly_one_event_page_linked_from_home(big):
    views, pages = big
    event_pages = {p: t for p, t in pages.items() if p.startswith("events/") and p != "events/index.md"}
    linked = [target for p, t in event_pages.items() for target in links(t, p) if target.startswith("sessions/")]
    assert sorted(linked) == sorted(f"sessions/{v.session.id}/index.md" for v in views)  # each once
    firsts = {p for p in event_pages if p.count("/") == 2}
    assert len(firsts) == 19
    assert firsts <= links(pages["index.md"], "index.md")
    assert firsts <= links(pages["events/index.md"], "events/index.md")


def test_every_link_of_a_listing_page_is_a_page(big):
    views, pages = big
    sessions = {f"sessions/{v.session.id}/index.md" for v in views}
    for path, text in pages.items():
        for target in links(text, path):
            assert target in pages or target in sessions or target == "about.md", (path, target)


def test_no_page_over_a_megabyte_at_3000_sessions(big):
    views, pages = big
    assert all(len(t.encode()) < MB for t in pages.values())
    largest = sorted(pages, key=lambda p: len(pages[p]), reverse=True)[:3]
    for path in largest + ["index.md", "speakers/index.md"]:
        html = markdown.markdown(pages[path].split("---\n", 2)[-1], extensions=EXTENSIONS)
        assert len(html.encode()) + CHROME < MB, (path, len(html))
    assert len(pages["index.md"].encode()) < 20_000


def test_speaker_index_splits_by_letter_when_large(big):
    views, pages = big
    index = pages["speakers/index.md"]
    letters = {p for p in pages if re.fullmatch(r"speakers/letter-[a-z]+/index.md", p)}
    assert letters and letters <= links(index, "speakers/index.md")
    people = {p for p in pages if re.fullmatch(r"speakers/[^/]+/index.md", p) and p not in letters}
    linked = [t for p in letters for t in links(pages[p], p) if t not in letters and t != "speakers/index.md"]
    assert sorted(linked) == sorted(people)  # every person on exactly one letter page
    # a small archive keeps one page listing everyone
    small = listing_pages(archive(20, people=60))
    assert [p for p in small if p.startswith("speakers/") and "letter-" in p] == []
    assert small["speakers/index.md"].count("](") == sum(1 for p in small if re.fullmatch(r"speakers/[^/]+/index.md", p))


def test_a_speaker_in_every_session_quotes_only_the_newest_and_lists_the_rest_on_numbered_pages(big):
    views, pages = big
    chair = pages["speakers/chair-person/index.md"]
    assert chair.count("\n### ") == SAID_SESSIONS
    assert "Turns from 2980 earlier sessions" in chair
    own = sorted(p for p in pages if p.startswith("speakers/chair-person/"))
    assert len(own) == -(-3000 // SPEAKER_PAGE_SESSIONS)
    assert {p for p in own if p != "speakers/chair-person/index.md"} <= links(chair, "speakers/chair-person/index.md")
    linked = [t for p in own for t in links(pages[p], p) if t.startswith("sessions/")]
    assert sorted(linked) == sorted(f"sessions/{v.session.id}/index.md" for v in views)  # each session once


def test_stale_event_pages_are_pruned(tmp_path):
    docs = tmp_path / "docs"
    old = archive(4, years=2, tmp=tmp_path)  # IGF 2006, IGF 2007
    render_site(old, docs, site_audio=False)
    assert sorted(p.name for p in (docs / "events").iterdir()) == ["igf-2006", "igf-2007", "index.md"]
    (docs / "events" / "igf-2006" / "stray.md").write_text("x")
    (docs / "events" / "old-event").mkdir()
    (docs / "events" / "old-event" / "index.md").write_text("# old\n")
    render_site([v for v in old if v.session.event == "IGF 2007"], docs, site_audio=False)
    assert sorted(p.name for p in (docs / "events").iterdir()) == ["igf-2007", "index.md"]
    assert (docs / "events" / "igf-2007" / "index.md").is_file()


def test_long_events_continue_on_numbered_pages(tmp_path):
    views = archive(25, years=1, chair=False)
    group = event_groups(views)[0]
    pages = render_event(group, speaker_slugs(views), per_page=10)
    assert list(pages) == ["index.md", "2/index.md", "3/index.md"]
    assert "[2](2/index.md)" in pages["index.md"] and "[1](../index.md)" in pages["3/index.md"]
    linked = [t for p, text in pages.items() for t in links(text, f"events/{group.slug}/{p}") if t.startswith("sessions/")]
    assert sorted(linked) == sorted(f"sessions/{v.session.id}/index.md" for v in views)


def test_stale_letter_pages_are_pruned(tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    views = archive(6, people=60, chair=False, tmp=tmp_path)
    monkeypatch.setattr(listing, "SPEAKER_LETTERS_FROM", 5)
    render_site(views, docs, site_audio=False)
    assert any(p.name.startswith("letter-") for p in (docs / "speakers").iterdir())
    monkeypatch.setattr(listing, "SPEAKER_LETTERS_FROM", 300)
    render_site(views, docs, site_audio=False)
    assert not any(p.name.startswith("letter-") for p in (docs / "speakers").iterdir())


def test_stale_numbered_speaker_pages_are_pruned(tmp_path, monkeypatch):
    from rapporteur.site import pages

    docs = tmp_path / "docs"
    views = archive(6, people=60, tmp=tmp_path)
    monkeypatch.setattr(pages, "SPEAKER_PAGE_SESSIONS", 2)
    render_site(views, docs, site_audio=False)
    chair = docs / "speakers" / "chair-person"
    assert sorted(p.name for p in chair.iterdir()) == ["2", "3", "index.md"]
    monkeypatch.setattr(pages, "SPEAKER_PAGE_SESSIONS", 250)
    render_site(views, docs, site_audio=False)
    assert sorted(p.name for p in chair.iterdir()) == ["index.md"]
