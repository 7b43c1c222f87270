"""igfpage: an IGF session page (saved text, HTML or URL) → a session.yaml.

IGF pages list organisers ("Organizer 1: Name, Affiliation"), speakers
("Speaker 1: Name, Stakeholder group, Region"), role headings (Onsite
Moderator, Online Moderator, Rapporteur) with people below them, the format
("Round Table - 90 Min"), policy questions and a description.  Layouts vary:
numbered lists or headings with names below, inline ``Role: Name``, 🔒 markers
where a field is private, and headings lost when a page is saved as text.
``parse_igf_page`` reads what it can and lists what it could not.

    rapporteur new PAGE.txt|PAGE.html|URL [--id igf2023-ws73]
"""

from __future__ import annotations

import html
import re
import unicodedata
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

from ..errors import FetchError, SessionError
from ..core.fsutil import write_text_atomic
from ..core.session import SESSION_FILE, parse_date, parse_session, parse_yaml

STAKEHOLDER_GROUPS = (
    "Civil Society",
    "Government",
    "Private Sector",
    "Technical Community",
    "Intergovernmental Organization",
    "Intergovernmental Organisation",
)
REGIONS = (
    "African Group",
    "Asia-Pacific Group",
    "Eastern European Group",
    "Latin American and Caribbean Group (GRULAC)",
    "Latin American and Caribbean Group",
    "Western European and Others Group (WEOG)",
    "Western European and Others Group",
    "Intergovernmental Organization",
)
# the usual order of the role headings on an IGF page; used when headings were lost
ROLE_SLOTS = ("moderator", "online moderator", "rapporteur")
ROLE_HEADINGS = {
    "onsite moderator": "moderator",
    "on-site moderator": "moderator",
    "in-person moderator": "moderator",
    "moderator": "moderator",
    "moderators": "moderator",
    "moderator and organizer": "moderator",
    "moderator and organiser": "moderator",
    "chair": "moderator",
    "online moderator": "online moderator",
    "online moderators": "online moderator",
    "remote moderator": "online moderator",
    "rapporteur": "rapporteur",
    "rapporteurs": "rapporteur",
    "speakers": "speaker",
    "speaker": "speaker",
    "panelists": "speaker",
    "panellists": "speaker",
    "key participants": "speaker",
    "organizers": "organiser",
    "organisers": "organiser",
    "organizer": "organiser",
    "organiser": "organiser",
}
ROLE_PRIORITY = ("moderator", "online moderator", "rapporteur", "speaker", "organiser")
SECTION_HEADINGS = (
    "policy question(s)", "policy questions", "policy question", "expected outcomes", "description",
    "session description", "hybrid format", "format", "duration", "duration (minutes)", "sdgs", "targets",
    "what will participants gain from attending this session?", "theme", "subtheme", "connection with previous messages",
)
TITLES = re.compile(
    r"^(H\.\s?E\.?|HE|Dr\.?|Prof\.?|Professor|Mr\.?|Mrs\.?|Ms\.?|Mx\.?|Amb\.?|Ambassador|Hon\.?|Sir|Dame|Eng\.?)\s+(?=\S)"
)
_EMAIL = re.compile(r"\[\s*email\s*protected\s*\]|[\w.+-]+@[\w-]+\.[\w.-]+", re.I)
_MONTHS = {m: i for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"), 1)}
_DAY = r"(?:[A-Za-z]+day,?\s*)?(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+),?\s+(\d{4})\s*\((\d{1,2}:\d{2})\s*UTC\)"
_DATE_LINE = re.compile(rf"^{_DAY}\s*[-–—]\s*{_DAY}$")
_SKIP_LINES = re.compile(r"^(?:check-in and access this session from the igf schedule\.?|session|about this session|time|room)$", re.I)
_SLUG = re.compile(
    r"igf-(\d{4})-(?:(ws|of|open-forum|day-0-event|town-hall|lightning-talk|launch-award-event|networking-session|dc|nri|main-session)-(\d+)-?)?(.*)$"
)
_SLUG_KINDS = {"ws": "WS", "of": "OF", "open-forum": "Open Forum", "day-0-event": "Day 0 Event", "town-hall": "Town Hall",
               "lightning-talk": "Lightning Talk", "launch-award-event": "Launch / Award Event",
               "networking-session": "Networking Session", "dc": "DC", "nri": "NRI", "main-session": "Main Session"}
_ORGANISATION = re.compile(
    r"\b(?:Coalition|Forum|Network|Initiative|Ministry|Association|Union|Foundation|Commission|Council|Institute|University|Secretariat)\b")
_QUESTION_START = re.compile(r"^(?:how|what|why|which|who|whom|whose|where|when|can|could|should|shall|will|would|is|are|do|does|to what)\b", re.I)
LOCK = "🔒"
_FORMAT = re.compile(r"^(?:format\s*:?\s*)?([A-Z][A-Za-z &/'-]+?)\s*[-–—]\s*(\d{2,3})\s*(?:min|mins|minutes)\b\.?$", re.I)
_EVENT = re.compile(
    r"^(IGF\s*\d{4})\s+((?:WS|OF|DC|NRI|LT|TH|NS|MS|Open Forum|Town Hall|Lightning Talk|Launch(?:\s*/\s*Award Event)?|"
    r"Networking Session|Main Session|Day 0 Event|Dynamic Coalition|Workshop)\s*#?\s*\d+[A-Za-z]?)?\s*[-–—:]?\s*(.*)$",
    re.I,
)
_NUMBERED = re.compile(r"^(organi[sz]er|speaker|moderator|online moderator|onsite moderator|rapporteur)\s*(\d+)\s*:\s*(.*)$", re.I)


# ------------------------------------------------------------------ HTML → text


class _Text(HTMLParser):
    BLOCK = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section",
             "article", "header", "footer", "br", "dt", "dd", "title", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.title = ""
        self._in_title = False
        self.links: list[tuple[str, str]] = []  # (href, link text)
        self._href: str | None = None
        self._link_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "nav", "noscript", "footer"):
            self.skip += 1
        if tag == "a" and not self.skip:
            self._href = dict(attrs).get("href") or ""
            self._link_text = []
        if tag == "title":
            self._in_title = True
        if tag in self.BLOCK:
            self.parts.append("\n\n" if tag.startswith("h") or tag in ("p", "ul", "ol", "table") else "\n")

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href.strip(), " ".join("".join(self._link_text).split())))
            self._href = None
        if tag in ("script", "style", "nav", "noscript", "footer") and self.skip:
            self.skip -= 1
        if tag == "title":
            self._in_title = False
        if tag in self.BLOCK:
            self.parts.append("\n\n" if tag.startswith("h") or tag in ("p", "ul", "ol", "table") else "\n")

    def handle_data(self, data):
        if self._in_title:
            self.title += data
            return
        if not self.skip:
            self.parts.append(data)
            if self._href is not None:
                self._link_text.append(data)


def _parse_html(page: str) -> _Text:
    p = _Text()
    try:
        p.feed(page)
        p.close()
    except (AssertionError, ValueError):  # html.parser on malformed markup: keep what was read
        pass
    return p


def html_to_text(page: str) -> str:
    """Visible text of an HTML page, one block per line."""
    p = _parse_html(page)
    text = "".join(p.parts)
    lines = [re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in text.splitlines()]
    out = "\n".join(lines)
    return re.sub(r"\n{4,}", "\n\n\n", out).strip() + "\n"


def looks_like_html(text: str) -> bool:
    return bool(re.search(r"<(html|body|div|p|h1|h2|h3|ul|li)\b", text[:5000], re.I))


def media_links(links: list[tuple[str, str]]) -> tuple[str, str]:
    """(recording, captions) from a page's links: the first YouTube video, the first transcript."""
    recording = captions = ""
    for href, label in links:
        if not re.match(r"^https?://\S+$", href):
            continue
        host = re.sub(r"^https?://(?:www\.|m\.)?", "", href).split("/")[0].lower()
        if not recording and (host in ("youtube.com", "youtu.be") and re.search(r"(?:watch\?v=|youtu\.be/|/live/|/embed/)[\w-]{6,}", href)):
            recording = href
        elif not captions and re.search(r"transcript", label + " " + href, re.I):
            captions = href
    return recording, captions


# ------------------------------------------------------------------- records


@dataclass
class PagePerson:
    name: str
    roles: list[str] = field(default_factory=list)  # in page order, e.g. ["speaker 1", "organiser 1"]
    affiliation: str = ""
    stakeholder_group: str = ""
    region: str = ""
    honorific: str = ""  # "H.E.", "Dr.", "Prof." as printed before the name
    hidden: bool = False  # a 🔒 marker hid part of the entry

    @property
    def role(self) -> str:
        kinds = [r.rstrip(" 0123456789") for r in self.roles]
        return next((r for r in ROLE_PRIORITY if r in kinds), "speaker")


@dataclass
class IgfPage:
    title: str = ""
    event: str = ""
    code: str = ""
    themes: list[str] = field(default_factory=list)
    people: list[PagePerson] = field(default_factory=list)
    format: str = ""
    duration: str = ""
    questions: list[str] = field(default_factory=list)
    description: str = ""
    date: str = ""
    time: str = ""
    room: str = ""
    page: str = ""
    recording: str = ""
    captions: str = ""
    organisations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def person(self, name: str) -> PagePerson:
        key = _key(name)
        for p in self.people:
            if _key(p.name) == key:
                return p
        p = PagePerson(name=name)
        self.people.append(p)
        return p


def _key(name: str) -> str:
    n = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    return re.sub(r"[^a-z]", "", n)


def split_honorific(raw: str) -> tuple[str, str]:
    """"H.E. Dr. Grace MUTHONI" → ("H.E. Dr.", "Grace MUTHONI"): titles kept apart from the name."""
    name = raw.replace(LOCK, " ").strip(" ,;:-–—•*·✓\t")
    titles = []
    while True:
        m = TITLES.match(name)
        if not m:
            break
        titles.append(m.group(1).replace("H. E", "H.E").replace(" ", ""))
        name = name[m.end():]
    return " ".join(titles), name


def clean_name(raw: str) -> str:
    """"Xingdong FANG" → "Xingdong Fang"; titles dropped (see ``split_honorific``); all-lower names capitalised."""
    name = split_honorific(raw)[1]
    words = name.split()
    all_lower = name == name.lower()
    fixed = []
    for w in words:
        if (w.isupper() and len(w) > 1) or all_lower:
            w = "-".join(part[:1].upper() + part[1:].lower() for part in w.split("-"))
        fixed.append(w)
    return " ".join(fixed)


def _match(value: str, options: tuple[str, ...]) -> str:
    v = value.strip().casefold()
    for o in options:
        if v == o.casefold():
            return o
    for o in options:  # "WEOG", "GRULAC", "Asia Pacific"
        if re.sub(r"[^a-z]", "", v) and (re.sub(r"[^a-z]", "", v) in re.sub(r"[^a-z]", "", o.casefold())) and len(v) >= 4:
            return o
    return ""


def parse_person(text: str) -> tuple[PagePerson | None, str]:
    """One person entry in any of the usual shapes; returns (person, problem)."""
    raw = _EMAIL.sub("", text).strip(" \t-•*·✓")
    raw = re.sub(r"\s+,", ",", re.sub(r"(?:,\s*)+,", ",", raw)).strip(" ,")
    hidden = LOCK in raw
    raw = raw.replace(LOCK, ", " if re.search(LOCK + r"\s*\S", raw) else "")
    # "Name – Affiliation (Stakeholder, Region)" / "Name (Affiliation)"
    paren = re.match(r"^(.*?)\s*\(([^()]*(?:\([^()]*\))?[^()]*)\)\s*$", raw)
    extra: list[str] = []
    if paren and not re.search(r"\((WEOG|GRULAC)\)\s*$", raw):
        inner_parts = [x.strip() for x in paren.group(2).split(",") if x.strip()]
        if any(_match(x, STAKEHOLDER_GROUPS) or _match(x, REGIONS) for x in inner_parts) or "," not in paren.group(1):
            raw, extra = paren.group(1), inner_parts  # "Name (Affiliation)" / "… (Civil Society, African Group)"
    parts = [x.strip() for x in re.split(r",|\s[-–—|]\s", raw) if x.strip()]
    parts += extra
    if not parts:
        return None, ""
    honorific = split_honorific(parts[0])[0]
    name = clean_name(parts[0])
    if _match(name, STAKEHOLDER_GROUPS) or _match(name, REGIONS):
        return None, f"no name in {text.strip()!r} (only a stakeholder group or region)"
    if not re.search(r"[A-Za-z\u00C0-\u024F\u0400-\u04FF\u4e00-\u9fff]", name) or len(name.split()) > 6:
        return None, f"could not read a name in {text.strip()!r}"
    if name.casefold() in ("tbd", "tbc", "t.b.c.", "t.b.d.", "to be confirmed", "to be announced"):
        return None, f"{name!r} is a placeholder, not a person"
    p = PagePerson(name=name, hidden=hidden, honorific=honorific)
    rest: list[str] = []
    for x in parts[1:]:
        if not p.stakeholder_group and _match(x, STAKEHOLDER_GROUPS):
            p.stakeholder_group = _match(x, STAKEHOLDER_GROUPS)
            if p.stakeholder_group == "Intergovernmental Organisation":
                p.stakeholder_group = "Intergovernmental Organization"
        elif not p.region and _match(x, REGIONS):
            p.region = _match(x, REGIONS)
        else:
            rest.append(x)
    p.affiliation = ", ".join(rest)
    return p, ""


# -------------------------------------------------------------------- parsing


def _heading(line: str) -> str | None:
    """The role a heading line announces ("Online Moderator" → "online moderator"), else None."""
    key = line.strip().rstrip(":").strip().casefold()
    return ROLE_HEADINGS.get(key)


def _is_section(line: str) -> str | None:
    key = line.strip().rstrip(":").strip().casefold()
    for h in SECTION_HEADINGS:
        if key == h or (h.endswith("?") and key.startswith(h[:-1])):
            return h
    if re.match(r"^(hybrid format|description|expected outcomes|policy question|relevance to |connection with previous)", key):
        return key.split(":")[0]
    return None


def _person_like(line: str) -> bool:
    """A line that reads like "Name, Stakeholder group, Region" or a bare short name."""
    s = line.strip()
    if not s or s.endswith((".", "?")) and len(s) > 60 or len(s) > 200:
        return False
    if any(g.casefold() in s.casefold() for g in STAKEHOLDER_GROUPS + REGIONS):
        return True
    words = s.replace(LOCK, "").split()
    return 1 < len(words) <= 5 and all(w[:1].isupper() or w.lower() in ("van", "der", "de", "da", "bin", "al") for w in words)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """The page's text without control characters, lone surrogates and byte-order marks, with every
    kind of line break as "\\n" (YAML ends a comment at U+2028 and NEL: a theme must not escape its comment)."""
    text = re.sub(r"\r\n?|[\x85\u2028\u2029]", "\n", text)
    return _CONTROL.sub("", text)


def parse_page(text: str) -> IgfPage:
    """Everything an IGF page says about a session (see ``IgfPage``)."""
    page = IgfPage()
    text = clean_text(text)
    if looks_like_html(text):
        m = re.search(r"<title>(.*?)</title>", text, re.I | re.S)
        parsed = _parse_html(text)
        page.recording, page.captions = media_links(parsed.links)
        text = html_to_text(text)
        if m and not text.strip():
            text = html.unescape(m.group(1))
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    i, n = 0, len(lines)
    head = ""
    tab_label = False
    while i < n:
        line = lines[i].strip()
        sm = re.match(r"^(?:source|url|page)\s*:\s*(https?://\S+)$", line, re.I)
        if sm:  # a saved text that records where it came from
            page.page = sm.group(1)
        elif line and not _SKIP_LINES.match(line):
            break
        elif line.casefold() == "session":
            tab_label = True  # the page's tab label: the heading that came before it was lost
        i += 1
    if i < n and tab_label:
        head = lines[i].strip()
        if _ORGANISATION.search(head) and _title_like(head) and len(head) < 100:
            page.organisations.append(head)  # "Session" / "Youth Coalition on Internet Governance": the DC
            i += 1
    elif i < n:
        head = lines[i].strip()
        m = _EVENT.match(head)
        if m:
            page.event = re.sub(r"\s+", " ", m.group(1).upper()).replace("IGF", "IGF ").replace("  ", " ").strip()
            page.code = re.sub(r"\s+", " ", (m.group(2) or "")).strip()
            page.title = m.group(3).strip()
            i += 1
            if not page.title:  # "IGF 2021 WS #193" / "Balancing supply and demand ..." on the next line
                j = i
                while j < n and not lines[j].strip():
                    j += 1
                nxt = lines[j].strip() if j < n else ""
                if nxt and _title_like(nxt):
                    page.title, i = nxt, j + 1
        elif _title_like(head) and not re.match(r"^(?:organi[sz]er|speaker)s?\b", head, re.I):
            page.title = head
            i += 1
    section = ""  # current prose section
    role: str | None = None  # current role heading
    blanks = 0
    unlabelled: list[tuple[int, PagePerson]] = []  # persons after the speaker list with no heading
    anchors: list[tuple[int, str]] = []  # (position, role) of role headings seen
    position = 0
    prose: dict[str, list[list[str]]] = {}
    seen_people = False
    under = 0  # people read under the current role heading
    after_date = False  # the line after the date line names the room
    label = ""  # a "Time" / "Room" label line just read
    about = False  # the line after "About this Session"
    prev_theme = False
    for raw in lines[i:]:
        line = raw.strip()
        if not line:
            blanks += 1
            continue
        gap, blanks = blanks, 0
        was_theme, prev_theme = prev_theme, False
        if re.fullmatch(r"(?:time|room|date)", line, re.I):
            label, after_date = line.lower(), False
            continue
        if re.fullmatch(r"about this session", line, re.I):
            about = True
            continue
        was_about, about = about, False
        if was_about:
            section, role = "description", None
            prose.setdefault("description", [])
            if not page.title and _title_like(line) and len(line) < 160 and not line.endswith("."):
                page.title = line  # main sessions: the heading is lost, the name follows "About this Session"
                continue
        dl = _DATE_LINE.match(line)
        if dl:
            _set_date(page, dl)
            after_date, label = True, ""
            continue
        if (after_date or label == "room") and not page.room and _room_like(line):
            page.room = line
            after_date, label = False, ""
            continue
        after_date, label = False, ""
        m = _NUMBERED.match(line)
        if m:
            kind = m.group(1).lower().replace("organizer", "organiser").replace("onsite ", "")
            rest = m.group(3).strip()
            if not rest:
                role, section = ROLE_HEADINGS.get(kind, kind), ""
                continue
            p, problem = parse_person(rest)
            if problem:
                page.problems.append(f"{kind} {m.group(2) or ''}: {problem}".replace("  ", " "))
                continue
            tag = f"{ROLE_HEADINGS.get(kind, kind)} {m.group(2) or ''}".strip()
            _add(page, p, tag)
            if ROLE_HEADINGS.get(kind, kind) in ROLE_SLOTS:
                anchors.append((position, ROLE_HEADINGS.get(kind, kind)))
            position += 1
            seen_people, role, section = True, None, ""
            continue
        h = _heading(line)
        if h:
            role, section, under = h, "", 0
            if h in ROLE_SLOTS:
                anchors.append((position, h))
            continue
        fm = _FORMAT.match(line)
        if fm:
            page.format = f"{fm.group(1).strip()} - {fm.group(2)} Min"
            page.duration = f"{fm.group(2)} minutes"
            role, section = None, ""
            continue
        dm = re.match(r"^duration(?: \(minutes\))?\s*:?\s*(\d{2,3})\s*(?:min(?:utes)?)?$", line, re.I)
        if dm:
            page.duration = f"{dm.group(1)} minutes"
            continue
        fm2 = re.match(r"^format\s*:\s*(.+)$", line, re.I)
        if fm2:
            page.format = fm2.group(1).strip()
            continue
        date = re.search(r"\b(20\d\d-\d\d-\d\d)\b", line)
        if date and not page.date and len(line) < 80:
            try:
                page.date = parse_date(date.group(1)).isoformat()
            except ValueError as exc:
                page.problems.append(f"the page's date {date.group(1)} {exc} — add `date: YYYY-MM-DD` from the IGF schedule")
            if re.match(r"^(?:session )?date\s*:", line, re.I):
                continue
        tbd = re.match(r"^(speakers?|moderators?|rapporteurs?)\s*:\s*(?:tbd|tbc|t\.b\.[cd]\.|to be (?:confirmed|announced))\.?$", line, re.I)
        if tbd:
            page.problems.append(f"{tbd.group(1).lower()}: to be confirmed on the page — add them when known")
            continue
        pieces = [re.match(r"^([A-Za-z -]+?)\s*:\s*(.+)$", x.strip()) for x in line.split(";")]
        if pieces[0] and all(x and _heading(x.group(1)) and _heading(x.group(1)) != "speaker" for x in pieces):
            for x in pieces:
                r = _heading(x.group(1))
                value = x.group(2)
                marked = re.search(r"\((?:main|sub)\)", value, re.I)
                value = re.sub(r"\s*\((?:main|sub)\)", "", value, flags=re.I)  # "Yoichi Iida (main), Yuka Nishimura (sub)"
                plural = bool(marked) or x.group(1).strip().lower().endswith("s")
                splitter = r"\band\b(?=\s+[A-Z])|,\s*(?=[A-Z])" if plural else r"\band\b(?=\s+[A-Z])"
                also = "organiser" if re.search(r"organi[sz]er", x.group(1), re.I) else None
                for entry in re.split(splitter, value):
                    if not entry.strip():
                        continue
                    p, problem = parse_person(entry)
                    if p:
                        _add(page, p, r)
                        if also:
                            _add(page, p, also)
                        if r in ROLE_SLOTS:
                            anchors.append((position, r))
                        position += 1
                    elif problem:
                        page.problems.append(f"{r}: {problem}")
            role = None
            continue
        s = _is_section(line)
        if s:
            section, role = s, None
            rest = line.split(":", 1)[1].strip() if ":" in line and not line.endswith(":") else ""
            if rest and s != "hybrid format":
                prose.setdefault(section, []).append([rest])
            elif s.startswith("what will participants gain"):
                prose.setdefault(section, []).append([])
            elif s == "hybrid format":
                prose.setdefault(section, []).append([rest])
            else:
                prose.setdefault(section, [])
            continue
        if role is not None and (_person_like(line) or _named_entry(line)):
            p, problem = parse_person(line)
            if p and role in ROLE_SLOTS and under and gap >= 2:
                # a second block under a one-person heading: its own heading was lost
                unlabelled.append((position, p))
                role = None
                position += 1
                continue
            if p:
                _add(page, p, role)
                under += 1
                position += 1
                continue
            page.problems.append(f"{role}: {problem}")
            continue
        if role is None and not section and seen_people and _person_like(line):
            p, problem = parse_person(line)
            if p:
                unlabelled.append((position, p))
                position += 1
                continue
        if not section and role is None and TITLES.match(line) and "," in line and len(line) < 300:
            p, problem = parse_person(line)  # "Mr Vinton G. Cerf, Vice President ..., Google": a speaker
            if p:
                _add(page, p, "speaker")
                seen_people = True
                position += 1
                continue
        co = re.match(r"^in collaboration with\s+(.+)$", line, re.I)
        if co and not section and role is None:
            if was_theme and page.themes:
                page.organisations.append(page.themes.pop())
            page.organisations.append(co.group(1).strip())
            continue
        if not seen_people and not section and role is None and _named_entry(line):
            p, problem = parse_person(line)  # "Sahaj Vaudya, ZEN, Private Sector" before any heading: an organiser
            if p:
                if page.themes and was_theme:  # the organisation named on the line before
                    page.organisations.append(page.themes.pop())
                _add(page, p, "organiser")
                position += 1
                continue
        if not seen_people and not section and role is None and len(line) <= 100 and not line.endswith((".", ":", ";")) \
                and not _ENUM.match(line):
            page.themes.append(re.sub(r"^(?:sub)?theme\s*:\s*", "", line, flags=re.I))
            prev_theme = True
            continue
        if role is not None and not section:
            page.problems.append(f"under the {role} heading, could not read {line[:80]!r}")
            continue
        key = section or "description?"
        blocks = prose.setdefault(key, [])
        if not blocks or gap >= 2:
            blocks.append([])
        blocks[-1].append(line)
    _from_address(page)
    _fill_slots(page, unlabelled, anchors)
    _prose(page, prose)
    _check(page)
    return page


def _title_like(line: str) -> bool:
    """A line that can be a session's title: not a date, a role heading, a section label or a person entry."""
    s = line.strip()
    if not s or len(s) > 250 or _DATE_LINE.match(s) or _SKIP_LINES.match(s):
        return False
    if _heading(s) or _is_section(s) or _NUMBERED.match(s) or _FORMAT.match(s):
        return False
    if re.match(r"^(?:organi[sz]er|speaker|moderator|rapporteur|format|duration|policy question)", s, re.I):
        return False
    if "," in s and any(g.casefold() in s.casefold() for g in STAKEHOLDER_GROUPS + REGIONS):
        return False
    return True


def _named_entry(line: str) -> bool:
    """"Name Surname, something, ..." — a person entry: a short capitalised name before the first comma."""
    s = _EMAIL.sub("", line).strip()
    if "," not in s or len(s) > 300 or s.endswith((".", "?", ":")):
        return False
    first = s.split(",", 1)[0].replace(LOCK, "").strip()
    first = split_honorific(first)[1]
    words = first.split()
    if not 2 <= len(words) <= 5:
        return False
    small = ("van", "der", "de", "da", "dos", "del", "bin", "al", "el", "la", "le", "von")
    return all(w[:1].isupper() or w.lower() in small for w in words) and not any(ch.isdigit() for ch in first)


def _room_like(line: str) -> bool:
    s = line.strip()
    return 0 < len(s) <= 60 and not s.endswith((".", "?", ":")) and not _heading(s) and not _is_section(s) \
        and not _NUMBERED.match(s) and not _FORMAT.match(s) and "," not in s


def _set_date(page: IgfPage, m: re.Match) -> None:
    """Date and UTC times from "Tuesday, 10th October, 2023 (04:30 UTC) - Tuesday, 10th October, 2023 (06:00 UTC)".

    The date is the day the session starts, in UTC, as the page prints it (a session at
    23:45 UTC is filed on that day even though it is the next morning where it was held).
    """
    import datetime as dt

    def when(day: str, month: str, year: str, hm: str) -> dt.datetime | None:
        mo = _MONTHS.get(month.casefold())
        try:
            h, mi = (int(x) for x in hm.split(":"))
            return dt.datetime(int(year), mo, int(day), h, mi) if mo else None
        except ValueError:
            return None

    start, end = when(*m.group(1, 2, 3, 4)), when(*m.group(5, 6, 7, 8))
    if start is None:
        page.problems.append(f"the date line {m.group(0)[:80]!r} names no real day — add `date: YYYY-MM-DD`")
        return
    if page.date:
        return
    page.date = start.date().isoformat()
    page.time = f"{m.group(4)}–{m.group(8)} UTC"
    if end is None:
        return
    minutes = (end - start).total_seconds() / 60
    if end.date() != start.date() and 0 < minutes <= 6 * 60:
        page.time += " (ends the next day)"
    elif minutes <= 0 or minutes > 6 * 60:
        page.problems.append(
            f"the page's times run from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC ({minutes / 60:.1f} h), "
            f"which no session lasts: kept {page.time} on {page.date} — check the IGF schedule")


def _from_address(page: IgfPage) -> None:
    """Event and session code from the page's address when its heading was lost."""
    if not page.page:
        return
    slug = page.page.rstrip("/").rsplit("/", 1)[-1].lower()
    m = _SLUG.search(slug)
    if not m:
        return
    if not page.event:
        page.event = f"IGF {m.group(1)}"
    if not page.code and m.group(2) and m.group(3):
        kind = _SLUG_KINDS[m.group(2)]
        page.code = f"{kind} #{m.group(3)}"
    if not page.title and m.group(4):
        words = re.sub(r"-0$", "", m.group(4)).replace("-", " ").strip()
        if words:
            page.title = words[:1].upper() + words[1:]
            page.problems.append(
                f"the page text has no heading: the title {page.title!r} is read from the page's address "
                "— copy the exact title from the session page into `title:`")


def _add(page: IgfPage, p: PagePerson, role: str) -> None:
    existing = page.person(p.name)
    if not existing.roles and existing is page.people[-1]:
        existing.hidden = p.hidden
    existing.roles.append(role)
    for f in ("affiliation", "stakeholder_group", "region", "honorific"):
        if not getattr(existing, f) and getattr(p, f):
            setattr(existing, f, getattr(p, f))
    existing.hidden = existing.hidden or p.hidden


def _fill_slots(page: IgfPage, unlabelled: list[tuple[int, PagePerson]], anchors: list[tuple[int, str]]) -> None:
    """People below lost headings take the missing roles in the usual order of IGF pages."""
    if not unlabelled:
        return
    present = {r for _, r in anchors}
    missing = [r for r in ROLE_SLOTS if r not in present]
    # a person before an anchor takes the missing slots that come before that anchor's slot
    for pos, p in unlabelled:
        before = [r for apos, r in anchors if apos > pos]
        limit = ROLE_SLOTS.index(before[0]) if before else len(ROLE_SLOTS)
        after_anchor = [r for apos, r in anchors if apos <= pos]
        floor = ROLE_SLOTS.index(after_anchor[-1]) if after_anchor else -1
        choices = [r for r in missing if floor < ROLE_SLOTS.index(r) < limit]
        if not choices:
            page.problems.append(f"{p.name!r} is listed without a role heading and no role is left to give — check the page")
            continue
        r = choices[0]
        missing.remove(r)
        _add(page, p, r)
        page.notes.append(f"{p.name} is listed without a heading; taken as {r} from the usual order of IGF pages")
        page.problems.append(f"role heading missing in the page text: {p.name!r} taken as {r} (usual IGF order) — check")


_ENUM = re.compile(r"^(?:[A-Ha-h]|\d{1,2})[.)](?:\s+|(?=[A-Z]))")


def split_questions(line: str) -> list[tuple[str, bool]]:
    """The policy questions on one line of a page, each with whether it was enumerated.

    Forms: "1. …" / "A. …" / "C.What …" (numbered or lettered, kept whole even with
    several sentences); several "•" bullets or " - " items on one line; "A. …? B. …?"
    on one line; titled items ("Barriers to access: What …? How …? Leveraging …: How …?")
    split at each title; a plain paragraph of questions split after each "?".
    """
    line = line.strip()
    pieces: list[tuple[str, bool]] = []
    bullets = [b.strip() for b in re.split(r"(?:^|\s)•\s*", line) if b.strip()]
    if len(bullets) > 1 or line.startswith("•"):
        return [(b, True) for b in bullets]
    if line.startswith(("- ", "– ", "* ")):
        return [(b.strip(), True) for b in re.split(r"(?:^|\s)[-–*]\s+", line) if b.strip()]
    dashed = [b.strip() for b in re.split(r"(?<=[?.])\s+[-–]\s+(?=[A-Z])", line) if b.strip()]
    if len(dashed) > 1:
        return [(b, True) for b in dashed]
    enum = _ENUM.match(line)
    if enum:
        for item in re.split(r"(?<=[?.])\s+(?=(?:[A-H]|\d{1,2})[.)]\s*[A-Z])", line):
            pieces.append((_ENUM.sub("", item, count=1).strip(), True))
        return pieces
    if re.match(r"^[A-Z][^?:]{3,100}:\s", line):  # titled items, possibly several in one paragraph
        return [(b.strip(), "?" in b) for b in re.split(r"(?<=\?)\s+(?=[A-Z][^?:]{3,100}:\s)", line) if b.strip()]
    return [(b.strip(), False) for b in re.split(r"(?<=\?)\s+(?=[A-Z])", line) if b.strip()]


def _prose(page: IgfPage, prose: dict[str, list[list[str]]]) -> None:
    qs: list[str] = []
    blocks = prose.get("policy question(s)", []) + prose.get("policy questions", []) + prose.get("policy question", [])
    rest: list[list[str]] = []
    for b, block in enumerate(blocks):  # questions until the first line that is other prose
        for k, line in enumerate(block):
            items = split_questions(line)
            if all(enumerated or q.endswith("?") or _QUESTION_START.match(q) for q, enumerated in items):
                qs += [q for q, _ in items if q]
            else:
                rest = [block[k:]] + blocks[b + 1:]
                break
        if rest:
            break
    for r in reversed(rest):
        prose.setdefault("description?", []).insert(0, r)
    if not page.format and prose.get("format"):
        first = next((b[0] for b in prose["format"] if b), "")
        if first and len(first) <= 60 and ":" not in first and not first.endswith("."):
            page.format = first  # "Format" / "Roundtable" / "Duration (minutes): 90"
    page.questions = qs
    for key in ("description", "session description"):
        if prose.get(key):
            page.description = " ".join(" ".join(b) for b in prose[key] if b)
            return
    # a page saved as text loses the "Description" heading: the loose prose block that is
    # not the answer to "What will participants gain" is the description
    loose = [b for b in prose.get("description?", []) if b]
    gain = prose.get("what will participants gain from attending this session?", [])
    candidates = [b for b in loose if not b[0].lower().startswith("what will participants gain")]
    if not candidates and len(gain) > 1:
        candidates = gain[1:]
    if candidates:
        page.description = " ".join(max(candidates, key=lambda b: sum(map(len, b))))


def _check(page: IgfPage) -> None:
    if not page.title:
        page.problems.append("the page text has no heading, so no title — replace `title: Untitled session` with the session's name from the IGF site")
    if not page.event:
        page.problems.append("no event (e.g. IGF 2023) in the page heading — add `event:`")
    if not page.date:
        page.problems.append("no date on the page — the IGF schedule of that year gives the day: add `date: YYYY-MM-DD` from it")
    if not any(p.role == "moderator" for p in page.people):
        page.problems.append("no moderator found")
    if not page.format:
        page.problems.append("no format and duration line (e.g. 'Round Table - 90 Min') found")
    if not page.questions:
        page.problems.append("no policy questions found — the agenda is empty")
    for p in page.people:
        if p.hidden and not p.affiliation:
            page.problems.append(f"{p.name}: affiliation hidden on the page (🔒)")


def _role_names(p: PagePerson) -> list[str]:
    return [r.replace("moderator", "onsite moderator") if r.startswith("moderator") else r for r in p.roles]


def session_dict(page: IgfPage) -> dict[str, Any]:
    """The session.yaml fields (only fields session.yaml knows)."""
    d: dict[str, Any] = {"title": page.title or "Untitled session"}
    for name in ("event", "date", "time", "room", "page", "recording", "captions", "format", "duration", "description"):
        if getattr(page, name):
            d[name] = getattr(page, name)
    order = {r: i for i, r in enumerate(ROLE_PRIORITY)}
    people = sorted(page.people, key=lambda p: order.get(p.role, 9))
    d["speakers"] = []
    for p in people:
        e: dict[str, Any] = {"name": p.name, "role": p.role}
        for f in ("honorific", "affiliation", "stakeholder_group", "region"):
            if getattr(p, f):
                e[f] = getattr(p, f)
        d["speakers"].append(e)
    d["agenda"] = [{"title": q} for q in page.questions]
    return d


def parse_igf_page(text_or_html: str) -> tuple[dict[str, Any], list[str]]:
    """An IGF session page → (session.yaml fields, what could not be parsed or had to be guessed)."""
    page = parse_page(text_or_html)
    return session_dict(page), list(page.problems)


# ------------------------------------------------------------------ the file


def session_yaml_text(page: IgfPage, source: str) -> str:
    """session.yaml with comments for what the schema has no field for (themes, extra roles)."""
    d = session_dict(page)
    head = [f"# Imported from an IGF session page: {source}"]
    if page.code:
        head.append(f"# Session code: {page.code}")
    for t in page.themes:
        head.append(f"# Theme: {t}")
    for o in page.organisations:
        head.append(f"# Organiser (organisation): {o}")
    for p in page.problems:
        head.append(f"# TODO: {p}")
    speakers = d.pop("speakers")
    agenda = d.pop("agenda")
    body = yaml.safe_dump(d, sort_keys=False, allow_unicode=True, width=100)
    out = ["\n".join(head), body.rstrip(), "speakers:"]
    by_name = {p.name: p for p in page.people}
    for e in speakers:
        p = by_name[e["name"]]
        out.append(f"  # on the page as: {', '.join(_role_names(p))}")
        item = yaml.safe_dump([e], sort_keys=False, allow_unicode=True, width=100)
        out.append("\n".join("  " + ln for ln in item.rstrip().splitlines()))
    out.append("agenda:" + ("" if agenda else " []"))
    if agenda:
        out.append("  # the page's policy questions")
        item = yaml.safe_dump(agenda, sort_keys=False, allow_unicode=True, width=100)
        out.append("\n".join("  " + ln for ln in item.rstrip().splitlines()))
    if not page.recording:
        out.append("# recording: add the video's URL or a file in this folder")
    return "\n".join(out) + "\n"


def session_id_for(page: IgfPage) -> str:
    """"IGF 2023" + "WS #73" → "igf2023-ws73"; else a slug of the title."""
    parts = [re.sub(r"[^a-z0-9]", "", page.event.lower())] if page.event else []
    if page.code:
        parts.append(re.sub(r"[^a-z0-9]", "", page.code.lower().replace("open forum", "of").replace("day 0 event", "day0")))
    if len(parts) < 2:
        slug = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", page.title).encode("ascii", "ignore").decode().lower())
        parts.append(slug.strip("-")[:60] or "session")
    return "-".join(p for p in parts if p)


def read_source(source: str) -> str:
    """The page's text: a local file, or a URL (needs the internet)."""
    if re.match(r"^https?://", source):
        try:
            req = urllib.request.Request(source, headers={"User-Agent": "rapporteur"})
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.read().decode(r.headers.get_content_charset() or "utf-8", errors="replace")
        except OSError as exc:
            raise FetchError(f"cannot download the session page ({exc})", path=source,
                             hint="save the page as a file and pass its path") from None
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SessionError(f"cannot read the session page ({exc.strerror})", path=path) from None


def new_session(source: str, recordings: Path, session_id: str | None = None) -> Path:
    """Create ``recordings/<id>/session.yaml`` from an IGF page; return its path.

    Refuses to overwrite an existing session.yaml.  The file is validated
    before it is written.
    """
    page = parse_page(read_source(source))
    if re.match(r"^https?://", source):
        page.page = source
    sid = session_id or session_id_for(page)
    folder = Path(recordings) / sid
    path = folder / SESSION_FILE
    if path.exists():
        raise SessionError("already exists — edit it, or remove it to import the page again", path=path)
    text = session_yaml_text(page, source)
    parse_session(parse_yaml(text, path), folder, source=str(path))  # as `rapporteur validate` reads it; raises with every problem
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, text)
    return path
