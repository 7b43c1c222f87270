"""segment: the session's agenda items placed on the recording's timeline.

Times come from session.yaml (items that carry ``start``) or, failing that,
from the recording's chapters (yt-dlp ``info.json``).  Placing items that
carry no time is left to a later stage; such items are not in agenda.json.
"""

from __future__ import annotations

from typing import Any, Sequence

from .records import Agenda, AgendaItem, sec
from .session import AgendaEntry


def chapters_from_info(info: dict[str, Any] | None) -> list[AgendaItem]:
    """Agenda items from yt-dlp's ``chapters`` (``title``, ``start_time``)."""
    items: list[AgendaItem] = []
    for ch in (info or {}).get("chapters") or []:
        title = str(ch.get("title") or "").strip()
        start = ch.get("start_time")
        if title and isinstance(start, (int, float)) and start >= 0:
            items.append(AgendaItem(title=title, start=sec(start), source="chapters"))
    return sorted(items, key=lambda i: i.start or 0.0)


def place_agenda(entries: Sequence[AgendaEntry], info: dict[str, Any] | None = None) -> Agenda:
    """Timed session.yaml items win; else the recording's chapters; else nothing."""
    timed = [AgendaItem(title=e.title, start=sec(e.start), source="session") for e in entries if e.start is not None]
    if timed:
        return Agenda(items=tuple(timed))
    return Agenda(items=tuple(chapters_from_info(info)))
