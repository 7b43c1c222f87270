"""The summary's presentation: ``summary.json`` (a ``Summary`` record) as Markdown for a session page."""

from __future__ import annotations

import re

from ..core.records import Claim, Summary, Turns, mmss
from .markup import escape_html, escape_md, link_html

_TURN_ID = re.compile(r"^t\d+$")


def summary_markdown(summary: Summary, turns: Turns, *, page_href: str = "") -> str:
    """The summary as Markdown for the session page; links go only to turn anchors (``page_href#t123450``).

    Sentences whose cited turns are not in ``turns`` are left out.
    """
    if re.search(r"[\s\"'<>`\\]|^[a-zA-Z][a-zA-Z0-9+.-]*:|^//", page_href):
        raise ValueError(f"page_href must be a relative path, not {page_href!r}")
    by_id = {t.id: t for t in turns.turns}

    def link(tid: str) -> str:
        t = by_id[tid]
        return f'<a class="cite" href="{escape_html(page_href)}#{tid}" title="{escape_html(t.speaker or t.label)}">{mmss(t.start)}</a>'

    def sentence(c: Claim) -> str | None:
        ids = [i for i in c.turns if _TURN_ID.match(i) and i in by_id]
        if not ids:
            return None
        return f"{escape_md(c.text)} <sup>{' '.join(link(i) for i in ids)}</sup>"

    out: list[str] = []
    if summary.official:
        rep = summary.official
        out += ['!!! info "Official rapporteur report"', ""]
        out += ["    Written by the session's rapporteur and published with the session.", ""]
        if rep.key_takeaways:
            out += ["    **Key takeaways**", ""] + [f"    - {escape_md(x)}" for x in rep.key_takeaways] + [""]
        if rep.calls_to_action:
            out += ["    **Calls to action**", ""] + [f"    - {escape_md(x)}" for x in rep.calls_to_action] + [""]
        if rep.url:
            out += [f"    Source: {link_html(rep.url, rep.url)}", ""]
    abstract = [x for x in map(sentence, summary.abstract) if x]
    items = [(i, [x for x in map(sentence, i.sentences) if x]) for i in summary.items]
    points = [(s, [x for x in map(sentence, s.points) if x]) for s in summary.speakers]
    quotes = [q for q in summary.quotes if _TURN_ID.match(q.turn) and q.turn in by_id]
    if not (abstract or any(x for _, x in items) or any(x for _, x in points) or quotes):
        return "\n".join(out).rstrip() + "\n" if out else ""
    how = "extracted from the transcript" if summary.backend == "extractive" else f"written by a language model ({summary.model})"
    out += ['!!! abstract "Generated summary"', "",
            f"    Automatic: {escape_md(how)}. Each sentence links to the moments it rests on; "
            "check them before citing.", ""]
    if abstract:
        out += ["    " + " ".join(abstract), ""]
    if any(x for _, x in items):
        out += ["    **By agenda item**", ""]
        for item, xs in items:
            if xs:
                when = f" ({mmss(item.start)})" if item.start is not None else ""
                out += [f"    - *{escape_md(item.title)}*{when}: " + " ".join(xs)]
        out += [""]
    if any(x for _, x in points):
        out += ["    **Key points by speaker**", ""]
        for sp, xs in points:
            if xs:
                out += [f"    - **{escape_md(sp.speaker)}**" + (f" ({escape_md(sp.affiliation)})" if sp.affiliation else "")]
                out += [f"        - {x}" for x in xs]
        out += [""]
    if quotes:
        out += ["    **Key quotes**", ""]
        for q in quotes:
            when = f'<a class="cite" href="{escape_html(page_href)}#{q.turn}">{mmss(q.start)}</a>'
            out += [f"    > \u201c{escape_md(q.text)}\u201d — {escape_md(q.speaker)}, {when}", ""]
    return "\n".join(out).rstrip() + "\n"
