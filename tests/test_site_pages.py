"""Player, transcript markup, speaker pages, site audio, search data and the Range server (no browser)."""

from __future__ import annotations

import datetime as dt
import os
import threading
import urllib.error
import urllib.request
import wave
from pathlib import Path

import numpy as np
import pytest

from rapporteur.core.records import Agenda, AgendaItem, Turns
from rapporteur.site.build import render_site
from rapporteur.site.pages import is_named, render_session, speaker_slugs
from rapporteur.site.player import choose_player, youtube_id
from rapporteur.site.views import SessionView
from rapporteur.core.session import Person
from test_render import HOSTILE, make_turn, md, new_session, parse_html


def two_sessions(tmp_path):
    a = new_session(tmp_path, "igf2023-a", title="First", event="IGF 2023", date=dt.date(2023, 10, 9),
                    recording="https://youtu.be/dQw4w9WgXcQ",
                    speakers=(Person(name="Ana Ferreira", role="moderator", affiliation="Digital Rights Network"),
                              Person(name="Participant")))
    b = new_session(tmp_path, "igf2024-b", title="Second", event="IGF 2024", date=dt.date(2024, 12, 17),
                    recording="https://example.org/media/talk.mp4",
                    speakers=(Person(name="ana ferreira", role="speaker"), Person(name="Peter Novak")))
    ta = Turns(turns=(make_turn(1.0, "Ana Ferreira", "Welcome everyone."),
                      make_turn(10.0, "Speaker 2", "A question from the floor.", "SPEAKER_02"),
                      make_turn(20.0, "Participant", "Another question.", "SPEAKER_03")), speakers={})
    tb = Turns(turns=(make_turn(5.0, "Peter Novak", "Shared principles are a start."),
                      make_turn(754.32, "ana ferreira", "Principles alone do not protect anyone.", "SPEAKER_01")),
               speakers={})
    return (SessionView(a, ta, Agenda(items=(AgendaItem(title="Opening", start=0.0),))),
            SessionView(b, tb, None))


def test_youtube_ids():
    vid = "dQw4w9WgXcQ"
    for url in [f"https://www.youtube.com/watch?v={vid}&t=10", f"https://youtu.be/{vid}", f"https://m.youtube.com/watch?v={vid}",
                f"https://www.youtube.com/live/{vid}?si=x", f"https://www.youtube-nocookie.com/embed/{vid}"]:
        assert youtube_id(url) == vid, url
    for url in ["https://example.org/watch?v=" + vid, "javascript:alert(1)", "https://www.youtube.com/watch?v=<script>",
                "https://www.youtube.com/@channel", None]:
        assert youtube_id(url) is None, url


def test_unnamed_speakers_get_no_page():
    for name in ["Speaker 1", "SPEAKER_00", "speaker_3", "Participant", "Unknown speaker", "Audience member", "", "Guest 2"]:
        assert not is_named(name), name
    for name in ["Ana Ferreira", "Speaker Pelosi", "Bu Zhong", "中文 名字"]:
        assert is_named(name), name


def test_turn_heading_is_a_sub_result_with_time_and_speaker(tmp_path):
    a, b = two_sessions(tmp_path)
    html = md(render_session(b, slugs=speaker_slugs([a, b])).split("---\n", 2)[2])
    parsed = parse_html(html)
    heads = [attrs for tag, attrs in parsed.tags if tag == "h4"]
    assert [h["id"] for h in heads] == ["t5000", "t754320"]
    assert heads[1]["data-start"] == "754.320" and heads[1]["class"] == "turn-head"
    assert '<a class="turn-time" href="#t754320">00:12:34</a> <a class="turn-speaker" href="../../speakers/ana-ferreira/">ana ferreira</a>' in html
    assert "turn-copy" not in html and "turn-edit" not in html  # made by rapporteur.js (test_browser.py clicks them)
    # the player: a direct .mp4 URL plays in <video> with the captions attached
    assert ("video", {"controls": None, "preload": "metadata", "src": "https://example.org/media/talk.mp4"}) in parsed.tags
    assert ("track", {"kind": "captions", "src": "igf2024-b.vtt", "srclang": "en", "label": "Captions", "default": None}) in parsed.tags
    # search filters: speaker, event, year (hidden, not indexed as text)
    filters = [(a.get("data-pagefind-filter"), t) for t, a in parsed.tags if a.get("data-pagefind-filter")]
    assert [f for f, _ in filters] == ["speaker", "speaker", "event", "year"]
    assert "IGF 2024" in html and 'data-pagefind-sort="date">2024-12-17<' in html


def test_speech_left_without_words_is_shown_where_it_was_said_and_plays(tmp_path):
    """A remote speaker the recogniser could not make out: the transcript says so between the turns around it,
    under the voice heard there, with a link that plays it; search does not land on it."""
    import dataclasses

    from rapporteur.core.records import Unheard

    a, b = two_sessions(tmp_path)
    turns = dataclasses.replace(b.turns, speakers={"SPEAKER_01": "ana ferreira", "SPEAKER_07": "Peter Novak"},
                                unheard=(Unheard(start=300.0, end=321.4, label="SPEAKER_07"),
                                         Unheard(start=900.0, end=904.0, label="SPEAKER_09")))
    html = md(render_session(dataclasses.replace(b, turns=turns)).split("---\n", 2)[2])
    gap = html.index("21 s of speech the recogniser could not make out")
    assert html.index('id="t5000"') < gap < html.index('id="t754320"')  # where it was said
    assert '<a class="turn-time" href="#t=300.000">00:05:00</a> <span class="turn-speaker">Peter Novak</span>' in html
    assert html.index("4 s of speech") > html.index('id="t754320"')  # after the last turn; a voice with no words
    assert "Unidentified voice</span> · 4 s" in html
    parsed = parse_html(html)
    assert [a["data-pagefind-ignore"] for t, a in parsed.tags if "turn--unheard" in a.get("class", "")] == ["all", "all"]
    assert [h["id"] for t, h in parsed.tags if t == "h4"] == ["t5000", "t754320"]  # no heading: not a turn


def test_youtube_player_loads_nothing_until_asked(tmp_path):
    a, _ = two_sessions(tmp_path)
    assert choose_player(a.session, has_local_audio=True).kind == "youtube"  # the video wins over local audio
    html = md(render_session(a).split("---\n", 2)[2])
    tags = parse_html(html).tags
    assert ("div", {"class": "rp-player rp-player--youtube", "id": "rp-player", "data-kind": "youtube",
                    "data-youtube-id": "dQw4w9WgXcQ", "data-pagefind-ignore": "index"}) in tags
    assert not [t for t, _ in tags if t in ("iframe", "script", "img")]


def test_hostile_names_stay_inert_in_headings_and_filters(tmp_path):
    evil = " ".join(HOSTILE[:6])
    s = new_session(tmp_path, "evil", title="x", event=evil, date=dt.date(2024, 1, 1), speakers=(Person(name=evil),))
    v = SessionView(s, Turns(turns=(make_turn(1.0, evil, evil),), speakers={}), None)
    html = md(render_session(v).split("---\n", 2)[2])
    parsed = parse_html(html)
    assert not [t for t, _ in parsed.tags if t in ("script", "img", "iframe")]
    assert not [a for _, a in parsed.tags if (a.get("href") or "").startswith("javascript") or a.get("onclick")]
    assert "<script>alert(1)</script>" in "".join(parsed.text)


def test_speaker_pages_across_sessions(tmp_path):
    a, b = two_sessions(tmp_path)
    docs = tmp_path / "docs"
    render_site([a, b], docs, site_audio=False)
    speakers = docs / "speakers"
    assert sorted(p.name for p in speakers.iterdir()) == ["ana-ferreira", "index.md", "peter-novak"]
    page = (speakers / "ana-ferreira" / "index.md").read_text(encoding="utf-8")
    assert page.startswith('---\ntitle: "Ana Ferreira"\n---\n\n# Ana Ferreira\n')
    assert "- **Affiliation:** Digital Rights Network" in page
    assert page.index("Second") < page.index("First")  # newest first
    assert "| 2023-10-09 | [First](../../sessions/igf2023-a/index.md) | IGF 2023 | moderator |" in page
    assert '<a class="turn-time" href="../../sessions/igf2024-b/#t754320">00:12:34</a> Principles alone' in page
    index = (speakers / "index.md").read_text(encoding="utf-8")
    assert "| [Ana Ferreira](ana-ferreira/index.md) | Digital Rights Network | 2 |" in index
    # a person who is no longer in any session loses their page
    render_site([a], docs, site_audio=False)
    assert sorted(p.name for p in speakers.iterdir()) == ["ana-ferreira", "index.md"]


def test_summary_hook(tmp_path):
    a, _ = two_sessions(tmp_path)
    assert "## Summary" not in render_session(a)
    from rapporteur.core.records import Agenda, to_json
    from rapporteur.summarize import SummarizeOptions, summarize

    a.session.dir.mkdir(parents=True)
    # (nine words of transcript: a budget above the usual half, so that there is a summary to show)
    summary = summarize(a.turns, Agenda(items=()), a.session, options=SummarizeOptions(embedder="tfidf", short_share=5.0))
    (a.session.dir / "summary.json").write_text(to_json(summary), encoding="utf-8")
    page = render_session(a)
    assert "## Summary" in page and "#t" in page.split("## Summary", 1)[1].split("## Speakers", 1)[0]
    assert page.index("## Summary") < page.index("## Speakers")
    (a.session.dir / "summary.json").write_text("{damaged", encoding="utf-8")
    assert "## Summary" not in render_session(a)  # a damaged summary is left out, the page still renders


def _tone(path: Path, seconds: float = 1.0, freq: float = 440.0) -> None:
    t = np.arange(int(16000 * seconds)) / 16000
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes((0.3 * np.sin(2 * np.pi * freq * t) * 32767).astype("<i2").tobytes())


def test_site_audio_is_encoded_once_per_source(tmp_path):
    s = new_session(tmp_path, "local", title="Local", recording="talk.wav")
    s.dir.mkdir(parents=True)
    _tone(s.dir / "talk.wav")
    view = SessionView(s, Turns(turns=(make_turn(0.1, "Ana Ferreira", "Hello."),), speakers={}), None)
    docs = tmp_path / "docs"
    render_site([view], docs)
    audio = docs / "sessions" / "local" / "local.ogg"
    assert audio.read_bytes()[:4] == b"OggS"
    page = (docs / "sessions" / "local" / "index.md").read_text(encoding="utf-8")
    assert '<audio controls preload="metadata" src="local.ogg"><track kind="captions" src="local.vtt"' in page
    os.utime(audio, (1_000_000_000, 1_000_000_000))
    render_site([view], docs)
    assert audio.stat().st_mtime == 1_000_000_000  # unchanged source: not encoded again
    _tone(s.dir / "talk.wav", freq=660.0)
    render_site([view], docs)
    assert audio.stat().st_mtime != 1_000_000_000


@pytest.fixture
def range_server(tmp_path):
    from rapporteur.site.serve import make_server

    (tmp_path / "a.bin").write_bytes(bytes(range(256)) * 4)
    server = make_server(tmp_path, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/a.bin"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("header, status, content_range, body", [
    ("bytes=0-9", 206, "bytes 0-9/1024", bytes(range(10))),
    ("bytes=1000-", 206, "bytes 1000-1023/1024", bytes(range(232, 256))),
    ("bytes=-4", 206, "bytes 1020-1023/1024", bytes(range(252, 256))),
    ("bytes=1020-5000", 206, "bytes 1020-1023/1024", bytes(range(252, 256))),
    (None, 200, None, bytes(range(256)) * 4),
])
def test_range_server(range_server, header, status, content_range, body):
    req = urllib.request.Request(range_server, headers={"Range": header} if header else {})
    with urllib.request.urlopen(req) as resp:
        assert resp.status == status
        assert resp.headers.get("Content-Range") == content_range
        assert resp.headers["Accept-Ranges"] == "bytes"
        assert resp.read() == body


def test_range_server_unsatisfiable(range_server):
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(urllib.request.Request(range_server, headers={"Range": "bytes=2000-"}))
    assert err.value.code == 416 and err.value.headers["Content-Range"] == "bytes */1024"


def test_downloads_are_laid_out_again_only_when_their_inputs_change(tmp_path, monkeypatch):
    import shutil

    import rapporteur.site.build as render
    from conftest import ROOT
    from rapporteur.site.views import session_view

    demo = tmp_path / "recordings" / "demo"
    shutil.copytree(ROOT / "recordings" / "demo-ai-governance-roundtable", demo,
                    ignore=shutil.ignore_patterns("audio.wav", "media.*", ".*"))
    docs = tmp_path / "docs"
    render.render_site([session_view(demo)], docs, site_audio=False)
    vtt = docs / "sessions" / "demo" / "demo.vtt"
    first = vtt.read_text(encoding="utf-8")
    calls = []
    real = render.session_downloads
    monkeypatch.setattr(render, "session_downloads", lambda v: calls.append(v) or real(v))
    render.render_site([session_view(demo)], docs, site_audio=False)
    assert calls == [] and vtt.read_text(encoding="utf-8") == first  # unchanged: reused
    (demo / "session.yaml").write_text((demo / "session.yaml").read_text().replace("title: Making", "title: Now making"))
    render.render_site([session_view(demo)], docs, site_audio=False)
    assert len(calls) == 1 and "Now making" in vtt.read_text(encoding="utf-8")


def test_downloads_left_to_the_build_are_marked_kept_and_then_published(tmp_path):
    """`make` renders with the changed sessions' downloads left to the build (PENDING): the page is written, the
    downloads wait; the build lays them out and puts them into site/ beside the page; a session gone unreadable
    in between is one warning line, and its mark stays for the next build."""
    import shutil

    import rapporteur.site.build as render
    from conftest import ROOT
    from rapporteur.site.views import session_view

    demo = tmp_path / "recordings" / "demo"
    shutil.copytree(ROOT / "recordings" / "demo-ai-governance-roundtable", demo,
                    ignore=shutil.ignore_patterns("audio.wav", "media.*", ".*"))
    docs = tmp_path / "docs"
    render.render_site([session_view(demo)], docs, site_audio=False, downloads_at_build=True)
    folder = docs / "sessions" / "demo"
    assert (folder / "index.md").is_file() and not (folder / "demo.vtt").exists()
    assert render.pending_downloads(docs) == [(str(demo.resolve()), folder)]
    with render.DownloadLayout(1, nice=True) as layout:
        for source, where in render.pending_downloads(docs):
            layout.add(source, where)
        assert layout.wait() == []
    assert render.pending_downloads(docs) == [] and (folder / "demo.vtt").is_file()
    assert (folder / render.DOWNLOADS_STAMP).read_text() == render.downloads_key(session_view(demo))
    site = tmp_path / "site"
    assert render.publish_downloads(docs, site) == 4
    assert (site / "sessions" / "demo" / "demo.srt").read_bytes() == (folder / "demo.srt").read_bytes()
    assert render.publish_downloads(docs, site) == 0  # already there
    # rendered again with nothing changed: nothing left to the build
    render.render_site([session_view(demo)], docs, site_audio=False, downloads_at_build=True)
    assert render.pending_downloads(docs) == []
    # changed, then unreadable before the build: the old downloads stay, with the mark and a one-line problem
    (demo / "session.yaml").write_text((demo / "session.yaml").read_text().replace("title: Making", "title: Now making"))
    render.render_site([session_view(demo)], docs, site_audio=False, downloads_at_build=True)
    assert render.pending_downloads(docs) and (folder / "demo.vtt").is_file()
    (demo / "session.yaml").unlink()
    problem = render.lay_out_downloads(str(demo), str(folder))
    assert problem.startswith("demo: downloads not laid out:") and "\n" not in problem
    assert render.pending_downloads(docs)
