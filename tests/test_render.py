"""Site rendering (render.py): escaping, page content, files, and one real MkDocs build."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
import yaml

from rapporteur.errors import RapporteurError
from rapporteur.core.records import Agenda, AgendaItem, Turn, Turns, Word, turn_id
from rapporteur.site.build import render_site
from rapporteur.site.markup import escape_html, escape_md, link_html, safe_url
from rapporteur.site.listing import event_groups, render_event, render_home
from rapporteur.site.pages import render_session, speaker_slugs
from rapporteur.site.views import SessionView, one_line_reason
from rapporteur.core.session import AgendaEntry, Person, Session

ROOT = Path(__file__).resolve().parents[1]
EXTENSIONS = ["admonition", "attr_list", "tables", "toc"]

HOSTILE = [
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "![img](http://evil.example/x.png)",
    "<http://autolink.example>",
    "{: .attr #id onclick=alert(1) }",
    "{{ config.site_name }} {% raw %}",
    "# not a heading",
    "- not a list",
    "+ not a list",
    "1. not a list",
    "> not a quote",
    "    not code",
    "`code` *em* __strong__ ~~del~~ ==mark== ^^ins^^ $x$",
    "a | b | c",
    "<!-- comment --> &amp; &lt; &#42;",
    "back\\slash \\* \\[",
    'quotes " and \' in <a href="javascript:x">',
    "line one\nline two\n\n===",
    "!!! warning \"admonition\"",
    "Ünïcödé — ‹ok› 中文",
]


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse_html(text: str) -> _Text:
    p = _Text()
    p.feed(text)
    p.close()
    return p


def md(text: str) -> str:
    return markdown.markdown(text, extensions=EXTENSIONS)


def plain(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# ------------------------------------------------------------------ escaping


@pytest.mark.parametrize("s", HOSTILE)
def test_escape_md_renders_as_the_same_text(s):
    out = escape_md(s)
    assert "\n" not in out
    for context, wrap, tags in [
        ("paragraph", "{}", ["p"]),
        ("heading", "### {} {{ #h }}", ["h3"]),
        ("table cell", "| A |\n|---|\n| {} |", ["table", "thead", "tr", "th", "tbody", "tr", "td"]),
        ("list item", "- {}", ["ul", "li"]),
    ]:
        html = md(wrap.format(out))
        parsed = parse_html(html)
        assert [t for t, _ in parsed.tags] == tags, (context, html)
        assert plain("".join(parsed.text)).endswith(plain(s)), (context, html)
        for tag, attrs in parsed.tags:
            assert attrs == ({"id": "h"} if tag == "h3" else {}), (context, html)


def test_escape_md_heading_keeps_its_id():
    html = md(f"### {escape_md('{: #evil } title')} {{ #agenda-1 }}")
    assert parse_html(html).tags == [("h3", {"id": "agenda-1"})]


def test_escape_md_inside_raw_html():
    html = md(f'<div class="turn"><p>{escape_md(HOSTILE[0] + HOSTILE[1])}</p></div>')
    parsed = parse_html(html)
    assert [t for t, _ in parsed.tags] == ["div", "p"]
    assert "".join(parsed.text) == HOSTILE[0] + HOSTILE[1]


def test_escape_html_quotes():
    assert escape_html('a"b\'c<d>&') == "a&quot;b&#x27;c&lt;d&gt;&amp;"


def test_safe_url_only_http():
    assert safe_url("https://www.intgovforum.org/x?a=1&b=2") == "https://www.intgovforum.org/x?a=1&b=2"
    assert safe_url("http://example.org") == "http://example.org"
    for bad in ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x", "//evil.example/x", "http:///x",
                "https://a b", "ftp://x.org/f", "media.mp4", "", None, " java\nscript:x"]:
        assert safe_url(bad) is None, bad
    assert link_html("javascript:alert(1)", "<b>x</b>") == "&lt;b&gt;x&lt;/b&gt;"
    link = link_html('https://x.org/"onmouseover="alert(1)', "x")
    assert parse_html(link).tags == [("a", {"href": 'https://x.org/"onmouseover="alert(1)', "rel": "nofollow noopener"})]


def test_one_line_reason_drops_tracebacks():
    tb = 'Traceback (most recent call last):\n  File "x.py", line 1\nFetchError: HTTP 404\n'
    assert one_line_reason(tb) == "FetchError: HTTP 404"
    assert one_line_reason("first line\nsecond") == "first line"
    assert len(one_line_reason("x" * 1000)) == 300


# ------------------------------------------------------------------ fixtures


def make_turn(start: float, speaker: str, text: str, label: str = "SPEAKER_00") -> Turn:
    words, t = [], start
    for w in text.split():
        words.append(Word(start=round(t, 3), end=round(t + 0.3, 3), text=" " + w))
        t += 0.35
    return Turn(id=turn_id(start), start=start, end=words[-1].end, label=label, speaker=speaker, text=text,
                words=tuple(words))


def new_session(tmp_path: Path, sid: str, **kw) -> Session:
    return Session(id=sid, dir=tmp_path / "recordings" / sid, **kw)


@pytest.fixture
def view(tmp_path) -> SessionView:
    s = new_session(
        tmp_path, "igf2023-ws73",
        title="Interconnecting Global AI Governance Mechanisms", event="IGF 2023", date=dt.date(2023, 10, 10),
        recording="https://www.youtube.com/watch?v=x", language="en", format="Round Table - 90 Min",
        speakers=(Person(name="Bu Zhong", role="moderator", affiliation="Civil Society"),
                  Person(name="Xianhong Hu", affiliation="UNESCO"),
                  Person(name="FATIMA ROUMATE", region="African Group")),
        agenda=(AgendaEntry(title="Opening"), AgendaEntry(title="Policy question")),
        page="javascript:alert(1)",
    )
    turns = Turns(turns=(
        make_turn(2.0, "Bu Zhong", "Welcome to this workshop. We have three speakers."),
        make_turn(754.32, "Xianhong Hu", "Thank you. At UNESCO we worked on the ethics of AI.", "SPEAKER_01"),
        make_turn(800.0, "Speaker 4", "A question from the floor.", "SPEAKER_04"),
    ), speakers={}, language="en", duration=5400.0)
    agenda = Agenda(items=(
        AgendaItem(title="Opening", start=0.0),
        AgendaItem(title="Policy question", start=700.0),
        AgendaItem(title="Closing remarks", start=None),
    ))
    return SessionView(session=s, turns=turns, agenda=agenda)


# --------------------------------------------------------------- session page


def test_session_page_has_turn_ids_and_agenda_headings(view):
    page = render_session(view)
    html = md(page.split("---\n", 2)[2])
    ids = [a.get("id") for _, a in parse_html(html).tags if a.get("id")]
    assert ["t2000", "t754320", "t800000"] == [i for i in ids if re.fullmatch(r"t\d+", i)]
    assert 'href="#t754320">00:12:34</a>' in html
    # agenda items divide the transcript in time order; the untimed one is only in the agenda list
    transcript = html.split('id="transcript"')[1]
    order = [m.group(1) for m in re.finditer(r'id="(agenda-\d|t\d+)"', transcript)]
    assert order == ["agenda-1", "t2000", "agenda-2", "t754320", "t800000"]
    assert "Closing remarks" in html.split('id="transcript"')[0]
    assert "Closing remarks" not in transcript
    assert '<a href="#agenda-2">00:11:40</a> Policy question' in html


def test_session_page_metadata_roster_and_downloads(view):
    page = render_session(view)
    assert page.startswith('---\ntitle: "Interconnecting Global AI Governance Mechanisms"\nlanguage: en\n---\n')
    for text in ["**Event:** IGF 2023", "**Date:** 2023-10-10", "**Format:** Round Table - 90 Min", "**Language:** English &#40;en&#41;",
                 "**Duration:** 1 h 30 min", '<a href="igf2023-ws73.vtt">captions (WebVTT)</a>', '<a href="igf2023-ws73.json">JSON</a>']:
        assert text in page
    assert "javascript" not in page  # the unsafe session page link is left out
    assert '<a href="https://www.youtube.com/watch?v=x"' in page
    assert "| [Bu Zhong](../../speakers/bu-zhong/index.md) | moderator | Civil Society | — |" in page
    assert "| Speaker 4 | not identified |" in page


def test_page_without_recording(tmp_path):
    s = new_session(tmp_path, "igf2024-ws1", title="Waiting", event="IGF 2024", date=dt.date(2024, 12, 17),
                     agenda=(AgendaEntry(title="Opening", start=60.0),))
    page = render_session(SessionView(session=s, turns=None, agenda=None))
    assert '!!! note "Recording not yet available"' in page
    assert "## Transcript" not in page and "Downloads" not in page
    assert "- 00:01:00 Opening" in page  # listed, not linked: there is no heading to link to
    assert ("div", {"class": "admonition note"}) in parse_html(md(page.split("---\n", 2)[2])).tags


def test_page_with_error_shows_one_line(tmp_path):
    s = new_session(tmp_path, "igf2024-ws2", title="Broken", recording="https://example.org/v.mp4")
    err = "Traceback (most recent call last):\n  File \"/x.py\", line 3\nFetchError: <b>404</b> for v.mp4"
    page = render_session(SessionView(session=s, turns=None, agenda=None, error=err))
    assert '!!! failure "Processing failed"' in page
    assert "Traceback" not in page and "x.py" not in page
    assert "FetchError: &lt;b&gt;404&lt;/b&gt; for v.mp4" in page


def test_hostile_session_renders_inert(tmp_path):
    evil = '</title><script>alert(1)</script> [x](javascript:alert(2)) {: .pwn } {{ config }}'
    s = new_session(tmp_path, "evil", title=evil, event=evil, description=evil + "\n\n# " + evil, format=evil,
                     speakers=(Person(name=evil, role="speaker", affiliation=evil),), recording="javascript:alert(3)")
    turns = Turns(turns=(make_turn(1.0, evil, evil),), speakers={})
    v = SessionView(session=s, turns=turns, agenda=Agenda(items=(AgendaItem(title=evil, start=0.0),)))
    page = render_session(v)
    front, body = page.split("---\n", 2)[1:]
    title = yaml.safe_load(front)["title"]
    assert "<" not in title and ">" not in title  # Material writes meta.title unescaped into <title>
    event_pages = [page.split("---\n", 2)[2] for g in event_groups([v]) for page in render_event(g, {}).values()]
    for html in (md(body), md(render_home([v])), *(md(p) for p in event_pages)):
        parsed = parse_html(html)
        assert not [t for t, _ in parsed.tags if t in ("script", "img", "iframe")]
        assert not [a for _, a in parsed.tags if "pwn" in a.get("class", "") or a.get("onclick")]
        assert not [a for _, a in parsed.tags if (a.get("href") or "").startswith("javascript")]
        assert "alert(1)" in "".join(parsed.text)  # shown as text



def test_hostile_text_in_a_correction_is_inert_on_the_page(tmp_path):
    """A corrections.yaml entry's words (and the turn's speaker) reach the page's note and the edit control's
    data attributes as text: no element, attribute or link comes out of them."""
    import dataclasses

    from rapporteur.core.records import TurnCorrection

    evil = '"><script>alert(1)</script> [x](javascript:alert(2)) {: .pwn } {{ config }}'
    s = new_session(tmp_path, "evil", title="Corrected")
    turn = dataclasses.replace(make_turn(1.0, evil, "Words " + evil), corrections=(
        TurnCorrection(kind="replace", source="corrections.yaml turns[0]", before="heard", after=evil),
        TurnCorrection(kind="speaker", source="corrections.yaml turns[1]", before="A", after=evil)))
    page = render_session(SessionView(session=s, turns=Turns(turns=(turn,), speakers={}), agenda=None))
    parsed = parse_html(md(page.split("---\n", 2)[2]))
    assert not [t for t, _ in parsed.tags if t in ("script", "img", "iframe")]
    assert not [a for _, a in parsed.tags if "pwn" in a.get("class", "") or (a.get("href") or "").startswith("javascript")]
    turns_div = [a for t, a in parsed.tags if t == "div" and "turn" in a.get("class", "").split()]
    assert turns_div and turns_div[0].get("data-speaker") == evil  # the edit control reads it back exactly
    assert "Corrected by hand" in "".join(parsed.text) and "alert(1)" in "".join(parsed.text)

def test_duplicate_or_odd_turn_ids_stay_unique(tmp_path):
    s = new_session(tmp_path, "x", title="X")
    a = make_turn(1.0, "A", "One.")
    b = Turn(**{**a.__dict__, "id": 'bad id"><script>', "text": "Two."})
    page = render_session(SessionView(session=s, turns=Turns(turns=(a, b), speakers={}), agenda=None))
    assert 'id="t1000"' in page and 'id="t1000-2"' in page
    assert "<script>" not in page


# ------------------------------------------------------------------ home page


def test_home_lists_the_newest_sessions_and_the_events(tmp_path, view):
    older = new_session(tmp_path, "igf2022-a", title="Older", event="IGF 2022", date=dt.date(2022, 12, 1))
    newer = new_session(tmp_path, "igf2024-b", title="Newer", event="IGF 2024", date=dt.date(2024, 12, 18))
    also23 = new_session(tmp_path, "igf2023-c", title="Same event", event="IGF 2023", date=dt.date(2023, 10, 12))
    views = [SessionView(older, None, None), view, SessionView(newer, None, None), SessionView(also23, None, None)]
    home = render_home(views)
    assert re.findall(r"^## (.+)$", home, re.M) == ["Recent sessions", "Events"]
    recent, events = home.split("## Events")
    order = [recent.index(f"(sessions/{sid}/index.md)") for sid in ("igf2024-b", "igf2023-c", "igf2023-ws73", "igf2022-a")]
    assert order == sorted(order)  # newest first
    row = next(line for line in recent.splitlines() if "igf2023-ws73" in line)
    assert row.startswith("| 2023-10-10 | [Interconnecting Global AI Governance Mechanisms](sessions/igf2023-ws73/index.md)"
                          " | [IGF 2023](events/igf-2023/index.md) |")
    assert ("[Bu Zhong](speakers/bu-zhong/index.md), [Xianhong Hu](speakers/xianhong-hu/index.md), "
            "[FATIMA ROUMATE](speakers/fatima-roumate/index.md), Speaker 4 |") in row  # no page for "Speaker 4"
    assert "1 h 30 min" in row
    assert 'id="rp-search"' in home
    assert "(recording not yet available)" in home
    assert re.findall(r"^\| \[(IGF \d+)\]\(events/igf-\d+/index.md\) \| (\d+) \|", events, re.M) == [
        ("IGF 2024", "1"), ("IGF 2023", "2"), ("IGF 2022", "1")]


def test_event_page_lists_its_sessions_newest_first(tmp_path, view):
    also23 = new_session(tmp_path, "igf2023-c", title="Same event", event="IGF 2023", date=dt.date(2023, 10, 12))
    other = new_session(tmp_path, "igf2022-a", title="Older", event="IGF 2022", date=dt.date(2022, 12, 1))
    views = [view, SessionView(also23, None, None), SessionView(other, None, None)]
    groups = event_groups(views)
    assert [(g.title, g.slug) for g in groups] == [("IGF 2023", "igf-2023"), ("IGF 2022", "igf-2022")]
    pages = render_event(groups[0], speaker_slugs(views))
    assert list(pages) == ["index.md"]
    page = pages["index.md"]
    assert page.startswith('---\ntitle: "IGF 2023"\n---\n# IGF 2023\n')
    assert page.index("(../../sessions/igf2023-c/index.md)") < page.index("(../../sessions/igf2023-ws73/index.md)")
    assert "igf2022-a" not in page
    row = next(line for line in page.splitlines() if "igf2023-ws73" in line)
    assert row.startswith("| 2023-10-10 | [Interconnecting Global AI Governance Mechanisms](../../sessions/igf2023-ws73/index.md) | "
                          "[Bu Zhong](../../speakers/bu-zhong/index.md),")
    assert row.endswith("| 1 h 30 min |")


def test_nav_stays_small():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["nav"] == [{"Home": "index.md"}, {"Events": "events/index.md"}, {"Speakers": "speakers/index.md"},
                             {"Search": "search.md"}, {"About": "about.md"}]
    assert config["theme"]["font"] is False
    assert config["plugins"] == [{"search": {"enabled": False}}]  # no engine's search (Zensical's is on unless off): Pagefind


# ----------------------------------------------------------------- render_site


def test_render_site_writes_pages_and_downloads(tmp_path, view):
    docs = tmp_path / "docs"
    pending = new_session(tmp_path, "igf2024-pending", title="Pending")
    paths = render_site([view, SessionView(pending, None, None)], docs)
    folder = docs / "sessions" / "igf2023-ws73"
    assert set(paths) == {
        docs / "index.md", folder / "index.md", docs / "sessions" / "igf2024-pending" / "index.md",
        docs / "events" / "index.md", docs / "events" / "igf-2023" / "index.md", docs / "events" / "undated" / "index.md",
        *(folder / f"igf2023-ws73.{ext}" for ext in ("vtt", "srt", "txt", "json")),
        *(docs / "speakers" / slug / "index.md" for slug in ("bu-zhong", "xianhong-hu", "fatima-roumate")),
        docs / "speakers" / "index.md",
    }
    assert (folder / "igf2023-ws73.vtt").read_text(encoding="utf-8").startswith("WEBVTT")
    assert sorted(p.name for p in (docs / "sessions" / "igf2024-pending").iterdir()) == ["index.md"]


def test_unchanged_pages_keep_their_mtime(tmp_path, view):
    docs = tmp_path / "docs"
    paths = render_site([view], docs)
    old = 1_000_000_000
    for p in paths:
        os.utime(p, (old, old))
    render_site([view], docs)
    assert all(p.stat().st_mtime == old for p in paths)


def test_stale_sessions_are_removed_only_inside_sessions(tmp_path, view):
    docs = tmp_path / "docs"
    (docs / "assets").mkdir(parents=True)
    (docs / "about.md").write_text("# About\n")
    (docs / "assets" / "rapporteur.css").write_text("x")
    stale = docs / "sessions" / "deleted-session"
    stale.mkdir(parents=True)
    (stale / "index.md").write_text("# old\n")
    render_site([view], docs)
    assert not stale.exists()
    assert (docs / "about.md").exists() and (docs / "assets" / "rapporteur.css").exists()
    # a session that lost its transcript loses its downloads
    render_site([SessionView(view.session, None, None)], docs)
    assert sorted(p.name for p in (docs / "sessions" / "igf2023-ws73").iterdir()) == ["index.md"]


def test_render_site_rejects_bad_ids(tmp_path):
    s = new_session(tmp_path, "../escape", title="x")
    with pytest.raises(RapporteurError, match="invalid session ids"):
        render_site([SessionView(s, None, None)], tmp_path / "docs")


# ------------------------------------------------------------- mkdocs build


@pytest.mark.slow
def test_mkdocs_build_strict(tmp_path, view):
    site_root = tmp_path / "site-src"
    docs = site_root / "docs"
    docs.mkdir(parents=True)
    shutil.copy(ROOT / "mkdocs.yml", site_root / "mkdocs.yml")
    for name in ("about.md", "search.md"):
        shutil.copy(ROOT / "docs" / name, docs / name)
    for name in ("assets", "overrides"):
        shutil.copytree(ROOT / "docs" / name, docs / name)
    evil = "</title><script>alert(1)</script> [x](javascript:alert(2)) {: .pwn }"
    hostile = new_session(tmp_path, "evil", title=evil, event="IGF 2024", date=dt.date(2024, 1, 1),
                           speakers=(Person(name=evil),))
    pending = new_session(tmp_path, "pending", title="Pending", event="IGF 2024")
    views = [view, SessionView(hostile, Turns(turns=(make_turn(1.0, evil, evil),), speakers={}), None),
             SessionView(pending, None, None)]
    render_site(views, docs)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=site_root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    site = site_root / "site"
    page = (site / "sessions" / "igf2023-ws73" / "index.html").read_text(encoding="utf-8")
    for tid in ("t2000", "t754320", "t800000"):
        assert f'id="{tid}"' in page
    assert (site / "sessions" / "igf2023-ws73" / "igf2023-ws73.vtt").is_file()
    assert 'href="igf2023-ws73.vtt"' in page
    external = re.compile(r"<(?:link|script|img|iframe|source)\b[^>]*\b(?:href|src)=[\"']?(?:https?:)?//", re.I)
    for html_file in site.rglob("*.html"):
        text = html_file.read_text(encoding="utf-8")
        assert not external.search(text), html_file
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text
        assert "<script>alert" not in text and "</title><script" not in text, html_file
        assert 'href="javascript' not in text.lower()
    # sessions are not in the navigation: the about page does not mention them
    about = (site / "about" / "index.html").read_text(encoding="utf-8")
    assert 'href="../sessions/' not in about and "Interconnecting" not in about
    assert_anchors_found_as_mkdocs_does(sorted(docs.rglob("*.md")))


def _anchors_hook():
    import importlib.util

    spec = importlib.util.spec_from_file_location("anchors_hook", ROOT / "docs" / "overrides" / "hooks" / "anchors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_anchors_found_as_mkdocs_does(pages) -> None:
    """mkdocs.yml's hook finds a page's anchors without MkDocs' second parse of the page: the same anchors."""
    from mkdocs.structure.pages import _HTMLHandler

    hook = _anchors_hook()
    for page in pages:
        text = page if isinstance(page, str) else page.read_text(encoding="utf-8")
        parser = _HTMLHandler()
        parser.feed(text)
        parser.close()
        assert hook.present_anchor_ids(text) == parser.present_anchor_ids, page


def test_the_anchors_hook_finds_what_mkdocs_finds_in_awkward_html():
    assert_anchors_found_as_mkdocs_does([
        '<h4 id="t1" data-x="a > b" data-id="no">x</h4> <a name="n1">a</a> <span name="not-an-anchor">',
        "<!-- <p id=\"commented\"> --> <P ID=Upper>x</P> <a href='#x' id='single'>y</a> <b id=bare>z</b>",
        '<script id="s">var x = "<p id=\'in-script\'>";</script> <style>p[id="in-style"]{}</style><i id="after">',
        '<p id="&amp;amp">x</p> <p id>empty</p> <div id="a"\n  class="b">x</div> `<code id="in-code">`',
        '<p id="unclosed" <em id="b">x</em> <br id="br"/> < notatag id="x"> a <3 b <a\nname="nl">x</a>',
        '<img id="unfinished',
    ])
    assert _anchors_hook().present_anchor_ids('<h4 id="t1">x</h4>') == {"t1"}


def test_roster_says_which_names_were_automatic_how_sure_and_why(view):
    evil = "<img src=x onerror=alert(9)> [x](javascript:alert(8))"
    naming = {
        "SPEAKER_00": {"name": "Bu Zhong", "confidence": 1.0, "source": "speaker_map", "evidence": []},
        "SPEAKER_01": {"name": "Xianhong Hu", "confidence": 0.47, "source": "automatic", "evidence": [
            {"turn_id": "t754320", "start": 755.0, "text": "At UNESCO we " + evil, "rule": "speaks for their organisation",
             "weight": 1.0}]},
        "SPEAKER_04": {"name": "Speaker 4", "confidence": 0.0, "source": "unnamed", "evidence": []},
        "SPEAKER_01.1": {"name": "Oma Farabhana", "confidence": 0.78, "source": "automatic", "on_roster": False,
                         "heard_apart_from": "SPEAKER_01", "evidence": [
            {"turn_id": "t754320", "start": 760.0, "text": "My name is Oma Farabhana", "rule": "late self-introduction",
             "weight": 1.5}]},
    }
    import dataclasses

    from rapporteur.core.records import naming_entry_from_dict

    naming = {label: naming_entry_from_dict(entry) for label, entry in naming.items()}
    v = dataclasses.replace(view, turns=dataclasses.replace(view.turns, naming=naming))
    page = render_session(v)
    assert "| Speaking time | Identified |" in page
    assert "| Civil Society | — | 3 s | set in session.yaml |" in page
    assert "| 4 s | automatic, 47 % sure |" in page
    assert "| Speaker 4 | not identified | — | — | 2 s | not identified |" in page
    html = md(page.split("---\n", 2)[2])
    notes = html.split('class="rp-naming"')[1].split("</details>")[0]
    assert "<code>SPEAKER_01</code> → <strong>Xianhong Hu</strong> (automatic, 47 % sure)" in notes
    assert 'speaks for their organisation at <a href="#t754320">00:12:35</a>' in notes
    # a voice naming split off the one the diarizer heard: where it came from
    assert ("<code>SPEAKER_01.1</code> → <strong>Oma Farabhana</strong> (automatic, 78 % sure; turns the diarizer "
            "heard as <code>SPEAKER_01</code>)") in notes
    assert "recordings/igf2023-ws73/session.yaml" in notes and "speaker_map" in notes
    parsed = parse_html(notes)
    assert not [t for t, _ in parsed.tags if t == "img"] and "javascript" not in str(parsed.tags)
    assert "onerror=alert(9)" in "".join(parsed.text)
    # a session named entirely by hand has nothing to explain
    assert "rp-naming" not in render_session(view)


def test_downloads_laid_out_in_worker_processes_match_the_serial_ones(view, monkeypatch, tmp_path):
    import dataclasses

    from rapporteur.site import build as render

    views = [dataclasses.replace(view, session=dataclasses.replace(view.session, id=f"igf2023-ws{i}")) for i in range(5)]
    monkeypatch.setattr("os.cpu_count", lambda: 2)  # worker processes even on a one-core machine
    layout = render.DownloadLayout(len(views), nice=True)
    assert layout._pool is not None
    for v in views:
        (tmp_path / v.session.id).mkdir()
        layout.add(v, tmp_path / v.session.id)
    assert layout.wait() == []
    for v in views:
        expected = render.session_downloads(v)
        assert set(expected) == {f"{v.session.id}.{ext}" for ext in ("vtt", "srt", "txt", "json")}
        for name, text in expected.items():
            assert (tmp_path / v.session.id / name).read_text(encoding="utf-8") == text


def test_pages_rendered_in_worker_processes_match_the_serial_ones(view, monkeypatch):
    import dataclasses

    from rapporteur.site import build as render
    from rapporteur.site.player import choose_player

    views = [dataclasses.replace(view, session=dataclasses.replace(view.session, id=f"igf2023-ws{i}")) for i in range(3)]
    slugs = speaker_slugs(views)
    jobs = [(v, choose_player(v.session, has_local_audio=False)) for v in views]
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.setattr(render, "PARALLEL_PAGES_FROM", 2)
    pages = render._rendered_pages(jobs, slugs)
    assert list(pages) == [render_session(v, slugs=slugs, player=p) for v, p in jobs]


def test_markdown_links_cannot_form_inside_attributes_of_inline_html():
    """Python-Markdown finds links inside an inline tag's attributes; their quotes would end the attribute."""
    from rapporteur.core.records import Claim, Summary
    from rapporteur.site.summary import summary_markdown

    name = 'Ana [x](onmouseover=alert(1)//) ![i](onerror=alert(2)//)'
    turns = Turns(turns=(make_turn(1.0, name, "words"),), speakers={}, language="en", duration=2.0)
    summary = Summary(abstract=(Claim(text="said", turns=(turns.turns[0].id,)),), items=(), speakers=(), quotes=())
    for text in (summary_markdown(summary, turns), link_html("https://example.org/[x](onmouseover=alert(3)//)", "x")):
        parsed = parse_html(md('!!! abstract "S"\n\n    ' + text.strip().replace("\n", "\n    ")))
        attrs = [name for _, a in parsed.tags for name in a]
        assert not [a for a in attrs if a.startswith("on")], text
        assert [t for t, _ in parsed.tags].count("a") == 1, text
