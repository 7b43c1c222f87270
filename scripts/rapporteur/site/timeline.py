"""The session at a glance: who spoke when, as SVG written at build time (``templates/timeline.html``).

``timeline_html(view)`` is the block above a session's summary: one lane per
speaker whose turns are bars — each a link to the turn's anchor, which
docs/assets/rapporteur.js plays from (without JavaScript the link still goes to
the turn), its time and speaker as its title; speech of that voice the recogniser could
not make out (``turns.json`` ``unheard``) hatched, playing from its start — the timed agenda items marked across
the lanes and numbered above them (links to the transcript's item headings), and
each speaker's share of the speaking time in words.  Bars are placed in per cent
of the session, so the lanes fill the page's width on a phone as on a desktop
(the stylesheet keeps the shortest turn 2 px wide); the names and shares are text.

A bar is one HTML element, and the items' lines across every lane one CSS gradient
(``marks_gradient``): a ninety-minute session has a hundred turns, and the site
engine parses every tag of the page (an SVG of a rectangle, title and link per
turn was a fifth of its build time).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.text import mmss
from .markup import render
from .views import SessionView, agenda_items, human_duration, speaker_name, speakers_in_order, turn_anchors, unheard_speaker

COLOURS = 8
"""Lanes get the transcript's ``speaker-N`` colour classes (pages.SPEAKER_COLOURS)."""


@dataclass(frozen=True)
class Bar:
    anchor: str
    left: float
    """Where the turn starts, in per cent of the session."""
    width: float
    """How long it lasts, in per cent of the session."""
    label: str  # "02:07 David Mensah"
    unheard: bool = False
    """Speech of that voice the recogniser could not make out (its anchor is then ``t=<seconds>``)."""


def marks_gradient(percents: list[float]) -> str:
    """A CSS gradient that draws a 1-px line (colour ``--rp-line``) at each of ``percents`` across a lane."""
    stops = ["transparent 0"]
    for p in percents:
        stops += [f"transparent {p}%", f"var(--rp-line) {p}%", f"var(--rp-line) calc({p}% + 1px)",
                  f"transparent calc({p}% + 1px)"]
    return f"linear-gradient(to right, {', '.join(stops)})"


def item_anchors(count: int) -> list[str]:
    """The transcript's agenda-item heading anchors (``agenda-1`` …), as pages.render_session writes them."""
    return [f"agenda-{i}" for i in range(1, count + 1)]


def timeline_html(view: SessionView) -> str:
    """The at-a-glance block of a session page ("" without turns)."""
    turns = view.turns.turns if view.turns is not None else ()
    if not turns:
        return ""
    duration = max(view.turns.duration, max(t.end for t in turns)) or 1.0
    scale = 100.0 / duration
    order = speakers_in_order(view)
    colour = {n: f"speaker-{k % COLOURS}" for k, n in enumerate(order)}
    bars: dict[str, list[Bar]] = {}
    talk: dict[str, float] = {}
    spans = [(turn.start, turn.end, speaker_name(turn, view.turns) or "Unknown speaker", anchor, False)
             for turn, anchor in zip(turns, turn_anchors(view.turns))]
    spans += [(u.start, u.end, unheard_speaker(u, view.turns), f"t={u.start:.3f}", True) for u in view.turns.unheard]
    for start, end, name, anchor, unheard in sorted(spans, key=lambda x: x[0]):
        left = round(min(max(0.0, start * scale), 100.0), 2)
        width = round(min(max(0.0, (end - start) * scale), 100.0 - left), 2)
        label = f"{mmss(start)} {name}" + (" (speech the recogniser could not make out)" if unheard else "")
        bars.setdefault(name, []).append(Bar(anchor=anchor, left=left, width=width, label=label, unheard=unheard))
        talk[name] = talk.get(name, 0.0) + max(0.0, end - start)
    total = sum(talk.values()) or 1.0
    lanes = [{"name": n, "colour": colour.get(n, "speaker-0"), "bars": bars[n], "time": human_duration(talk[n]),
              "share": f"{round(100 * talk[n] / total)} %", "percent": round(100 * talk[n] / total, 1)}
             for n in sorted(bars, key=lambda n: (order.index(n) if n in order else len(order), n))]
    items = agenda_items(view)
    marks = [{"n": k, "title": item.title, "anchor": anchor, "at": mmss(item.start),
              "x": round(min(max(0.0, item.start), duration) * scale, 2), "left": round(min(98.0, max(2.0, 100 * item.start / duration)), 2)}
             for k, (item, anchor) in enumerate(zip(items, item_anchors(len(items))), 1) if item.start is not None]
    return render("timeline.html", lanes=lanes, marks=marks, lines=marks_gradient([m["x"] for m in marks]),
                  length=human_duration(duration)).strip()
