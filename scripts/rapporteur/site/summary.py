"""The summary's presentation: ``summary.json`` (a ``Summary`` record) as Markdown for a session page.

The layout is the ``summary.md`` template; this module picks what it shows:
only sentences whose cited turns exist, each with its citations.
"""

from __future__ import annotations

import re

from ..core.records import Claim, Summary, Turns
from ..core.text import mmss
from .markup import render

_TURN_ID = re.compile(r"^t\d+$")


def summary_markdown(summary: Summary, turns: Turns, *, page_href: str = "") -> str:
    """The summary as Markdown for the session page; links go only to turn anchors (``page_href#t123450``).

    Sentences whose cited turns are not in ``turns`` are left out.
    """
    if re.search(r"[\s\"'<>`\\]|^[a-zA-Z][a-zA-Z0-9+.-]*:|^//", page_href):
        raise ValueError(f"page_href must be a relative path, not {page_href!r}")
    by_id = {t.id: t for t in turns.turns}

    def sentence(c: Claim) -> dict | None:
        ids = [i for i in c.turns if _TURN_ID.match(i) and i in by_id]
        if not ids:
            return None
        cites = [{"id": i, "title": by_id[i].speaker or by_id[i].label, "at": mmss(by_id[i].start)} for i in ids]
        return {"text": c.text, "cites": cites}

    def cited(claims) -> list[dict]:
        return [x for x in map(sentence, claims) if x]

    abstract = cited(summary.abstract)
    items = [{"title": i.title, "when": f" ({mmss(i.start)})" if i.start is not None else "", "sentences": xs}
             for i in summary.items if (xs := cited(i.sentences))]
    points = [{"speaker": s.speaker, "affiliation": s.affiliation, "sentences": xs}
              for s in summary.speakers if (xs := cited(s.points))]
    quotes = [{"text": q.text, "speaker": q.speaker, "turn": q.turn, "at": mmss(q.start)}
              for q in summary.quotes if _TURN_ID.match(q.turn) and q.turn in by_id]
    generated = bool(abstract or items or points or quotes)
    how = "extracted from the transcript" if summary.backend == "extractive" else f"written by a language model ({summary.model})"
    text = render("summary.md", official=summary.official, generated=generated, how=how, abstract=abstract,
                  items=items, points=points, quotes=quotes, page_href=page_href).rstrip()
    return text + "\n" if text else ""
