"""The session at a glance: who spoke when, as SVG written at build time (``templates/timeline.html``).

``timeline_html(view)`` is the block above a session's summary: one lane per
speaker whose turns are bars — each a link to the turn's anchor, which
docs/assets/rapporteur.js plays from (without JavaScript the link still goes to
the turn) — the timed agenda items marked across the lanes and numbered above
them (links to the transcript's item headings), and each speaker's share of the
speaking time in words.  The lanes are SVG with a stretched ``viewBox``, so they
fill the page's width on a phone as on a desktop; the names and shares are text.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.text import mmss
from .markup import render
from .views import SessionView, agenda_items, human_duration, speaker_name, speakers_in_order, turn_anchors

WIDTH = 1000.0
"""The lanes' viewBox width (stretched to the page's width)."""
MIN_BAR = 2.0
"""The narrowest bar, in viewBox units, so a one-word turn can still be seen and clicked."""
COLOURS = 8
"""Lanes get the transcript's ``speaker-N`` colour classes (pages.SPEAKER_COLOURS)."""


@dataclass(frozen=True)
class Bar:
    anchor: str
    x: float
    width: float
    label: str  # "02:07 David Mensah"


def item_anchors(count: int) -> list[str]:
    """The transcript's agenda-item heading anchors (``agenda-1`` …), as pages.render_session writes them."""
    return [f"agenda-{i}" for i in range(1, count + 1)]


def timeline_html(view: SessionView) -> str:
    """The at-a-glance block of a session page ("" without turns)."""
    turns = view.turns.turns if view.turns is not None else ()
    if not turns:
        return ""
    duration = max(view.turns.duration, max(t.end for t in turns)) or 1.0
    scale = WIDTH / duration
    order = speakers_in_order(view)
    colour = {n: f"speaker-{k % COLOURS}" for k, n in enumerate(order)}
    bars: dict[str, list[Bar]] = {}
    talk: dict[str, float] = {}
    for turn, anchor in zip(turns, turn_anchors(view.turns)):
        name = speaker_name(turn, view.turns) or "Unknown speaker"
        x = min(turn.start * scale, WIDTH - MIN_BAR)
        width = max(MIN_BAR, min((turn.end - turn.start) * scale, WIDTH - x))
        bars.setdefault(name, []).append(Bar(anchor=anchor, x=round(x, 1), width=round(width, 1),
                                             label=f"{mmss(turn.start)} {name}"))
        talk[name] = talk.get(name, 0.0) + max(0.0, turn.end - turn.start)
    total = sum(talk.values()) or 1.0
    lanes = [{"name": n, "colour": colour.get(n, "speaker-0"), "bars": bars[n], "time": human_duration(talk[n]),
              "share": f"{round(100 * talk[n] / total)} %", "percent": round(100 * talk[n] / total, 1)}
             for n in sorted(bars, key=lambda n: (order.index(n) if n in order else len(order), n))]
    items = agenda_items(view)
    marks = [{"n": k, "title": item.title, "anchor": anchor, "at": mmss(item.start),
              "x": round(min(item.start, duration) * scale, 1), "left": round(min(98.0, max(2.0, 100 * item.start / duration)), 2)}
             for k, (item, anchor) in enumerate(zip(items, item_anchors(len(items))), 1) if item.start is not None]
    return render("timeline.html", lanes=lanes, marks=marks, width=int(WIDTH), length=human_duration(duration)).strip()
