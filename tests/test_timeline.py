"""The session at a glance (site/timeline.py): lanes, bars, agenda marks and shares, written at build time."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from rapporteur.site.pages import render_session
from rapporteur.site.timeline import marks_gradient, timeline_html
from rapporteur.core.text import mmss
from rapporteur.site.views import agenda_items, session_view, turn_anchors

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "recordings" / "demo-ai-governance-roundtable"


def test_demo_timeline_has_a_lane_per_speaker_and_a_bar_per_turn():
    view = session_view(DEMO)
    html = timeline_html(view)
    lanes = re.findall(r'<div class="rp-glance-row rp-lane speaker-\d">(.*?)</span></div>', html, re.S)
    names = [re.match(r'<span class="rp-glance-name">([^<]+?) <small>', lane).group(1) for lane in lanes]
    assert names == ["Sarah Collins", "Ana Ferreira", "David Mensah", "Peter Novak"]
    hrefs = re.findall(r'<a href="#(t\d+)"', html)
    assert hrefs == sorted(hrefs, key=lambda h: names.index(next(t.speaker for t in view.turns.turns if t.id == h)))
    assert sorted(hrefs) == sorted(turn_anchors(view.turns))  # every turn once, linked to its anchor
    bars = re.findall(r'<a href="#(t\d+)" style="left: ([\d.]+)%; width: ([\d.]+)%" title="(\d\d:\d\d) ([^"]+)"></a>', html)
    assert len(bars) == len(hrefs)  # one element a turn: placed, sized and titled
    by_id = {t.id: t for t in view.turns.turns}
    duration = max(view.turns.duration, max(t.end for t in view.turns.turns))
    for tid, left, width, at, name in bars:
        turn = by_id[tid]
        assert 0 <= float(left) and 0 <= float(width) and float(left) + float(width) <= 100.001
        assert abs(float(left) - 100 * turn.start / duration) < 0.01 and at == mmss(turn.start) and name in names
    shares = [int(s) for s in re.findall(r"<small>[^<]*· (\d+) %</small>", html)]
    assert len(shares) == 4 and abs(sum(shares) - 100) <= 2
    assert re.findall(r'class="rp-glance-mark" href="#(agenda-\d)"', html) == ["agenda-1", "agenda-2", "agenda-3"]
    starts = [i.start for i in agenda_items(view)]
    lines = marks_gradient([round(100 * s / duration, 2) for s in starts])  # a line across the lanes at each item
    assert f'style="--rp-marks: {lines}"' in html and lines.count("var(--rp-line)") == 2 * len(starts)
    page = render_session(view)
    assert page.index('class="rp-glance"') < page.index("## Summary")  # above the summary
    for anchor in re.findall(r'href="#(agenda-\d)"', html):  # the marks go to the transcript's item headings
        assert f"#{anchor} data-start=" in page


def test_timeline_escapes_names_and_is_empty_without_turns():
    view = session_view(DEMO)
    hostile = '<script>alert(1)</script> "Ana" [x](javascript:alert(1))'
    turns = replace(view.turns, turns=tuple(replace(t, speaker=hostile) if t.speaker == "Ana Ferreira" else t
                                            for t in view.turns.turns))
    html = timeline_html(replace(view, turns=turns))
    assert "<script>" not in html and "&lt;script&gt;" in html and "](javascript" not in html
    assert 'aria-label="&lt;script&gt;' in html
    assert timeline_html(replace(view, turns=replace(view.turns, turns=()))) == ""
    assert timeline_html(replace(view, turns=None)) == ""


def test_speech_left_without_words_is_a_hatched_bar_in_its_voice_s_lane():
    """A voice heard but not made out still spoke: its lane shows when (a hatched bar that plays it) and its
    share of the speaking time counts it; a voice with no words at all gets a lane of its own."""
    from rapporteur.core.records import Unheard

    view = session_view(DEMO)
    peter = next(t for t in view.turns.turns if t.speaker == "Peter Novak")
    gaps = (Unheard(start=peter.end + 0.5, end=peter.end + 60.5, label=peter.label),
            Unheard(start=10.0, end=14.0, label="SPEAKER_99"))
    plain, gappy = timeline_html(view), timeline_html(replace(view, turns=replace(view.turns, unheard=gaps)))
    hatched = re.findall(r'<a href="#t=([\d.]+)" class="rp-unheard" style="[^"]+" title="(\d\d:\d\d) ([^"(]+) \(', gappy)
    assert sorted((float(t), at, name) for t, at, name in hatched) == [
        (10.0, "00:10", "Unidentified voice"), (round(peter.end + 0.5, 3), mmss(peter.end + 0.5), "Peter Novak")]
    share = lambda html, who: int(re.search(who + r' <small>[^<]*· (\d+) %', html).group(1))  # noqa: E731
    assert share(gappy, "Peter Novak") > share(plain, "Peter Novak")
    assert "rp-unheard" not in plain
