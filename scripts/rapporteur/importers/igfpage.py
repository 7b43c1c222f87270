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
from ..core.session import SESSION_FILE, parse_session

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
TITLES = re.compile(r"^(?:H\.?\s?E\.?|Dr\.?|Prof\.?|Professor|Mr\.?|Mrs\.?|Ms\.?|Mx\.?|Amb\.?|Ambassador|Hon\.?|Sir|Dame)\s+", re.I)
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

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "nav", "noscript", "footer"):
            self.skip += 1
        if tag == "title":
            self._in_title = True
        if tag in self.BLOCK:
            self.parts.append("\n\n" if tag.startswith("h") or tag in ("p", "ul", "ol", "table") else "\n")

    def handle_endtag(self, tag):
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


def html_to_text(page: str) -> str:
    """Visible text of an HTML page, one block per line."""
    p = _Text()
    p.feed(page)
    text = "".join(p.parts)
    lines = [re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in text.splitlines()]
    out = "\n".join(lines)
    return re.sub(r"\n{4,}", "\n\n\n", out).strip() + "\n"


def looks_like_html(text: str) -> bool:
    return bool(re.search(r"<(html|body|div|p|h1|h2|h3|ul|li)\b", text[:5000], re.I))


# ------------------------------------------------------------------- records


@dataclass
class PagePerson:
    name: str
    roles: list[str] = field(default_factory=list)  # in page order, e.g. ["speaker 1", "organiser 1"]
    affiliation: str = ""
    stakeholder_group: str = ""
    region: str = ""
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
    page: str = ""
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


def clean_name(raw: str) -> str:
    """"Xingdong FANG" → "Xingdong Fang"; titles dropped; all-lower names capitalised."""
    name = raw.replace(LOCK, " ").strip(" ,;:-–—•*·\t")
    while TITLES.match(name):
        name = TITLES.sub("", name, count=1)
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
    raw = text.strip(" \t-•*·")
    hidden = LOCK in raw
    raw = raw.replace(LOCK, ", " if re.search(LOCK + r"\s*\S", raw) else "")
    # "Name – Affiliation (Stakeholder, Region)" / "Name (Affiliation)"
    paren = re.match(r"^(.*?)\s*\(([^()]*(?:\([^()]*\))?[^()]*)\)\s*$", raw)
    extra: list[str] = []
    if paren and not re.search(r"\((WEOG|GRULAC)\)\s*$", raw):
        raw, inner = paren.group(1), paren.group(2)
        extra = [x.strip() for x in inner.split(",") if x.strip()]
    parts = [x.strip() for x in re.split(r",|\s[-–—|]\s", raw) if x.strip()]
    parts += extra
    if not parts:
        return None, ""
    name = clean_name(parts[0])
    if _match(name, STAKEHOLDER_GROUPS) or _match(name, REGIONS):
        return None, f"no name in {text.strip()!r} (only a stakeholder group or region)"
    if not re.search(r"[A-Za-z\u00C0-\u024F\u0400-\u04FF\u4e00-\u9fff]", name) or len(name.split()) > 6:
        return None, f"could not read a name in {text.strip()!r}"
    p = PagePerson(name=name, hidden=hidden)
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
    if re.match(r"^(hybrid format|description|expected outcomes|policy question)", key):
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


def parse_page(text: str) -> IgfPage:
    """Everything an IGF page says about a session (see ``IgfPage``)."""
    page = IgfPage()
    if looks_like_html(text):
        m = re.search(r"<title>(.*?)</title>", text, re.I | re.S)
        text = html_to_text(text)
        if m and not text.strip():
            text = html.unescape(m.group(1))
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").split("\n")]
    # blocks: (first line index, lines, blank lines before)
    i, n = 0, len(lines)
    while i < n and not lines[i].strip():
        i += 1
    if i < n:
        head = lines[i].strip()
        m = _EVENT.match(head)
        if m:
            page.event = re.sub(r"\s+", " ", m.group(1).upper()).replace("IGF", "IGF ").replace("  ", " ").strip()
            page.code = re.sub(r"\s+", " ", (m.group(2) or "")).strip()
            page.title = m.group(3).strip()
        else:
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
    for raw in lines[i:]:
        line = raw.strip()
        if not line:
            blanks += 1
            continue
        gap, blanks = blanks, 0
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
            page.date = date.group(1)
            if re.match(r"^(?:session )?date\s*:", line, re.I):
                continue
        pieces = [re.match(r"^([A-Za-z -]+?)\s*:\s*(.+)$", x.strip()) for x in line.split(";")]
        if pieces[0] and all(x and _heading(x.group(1)) and _heading(x.group(1)) != "speaker" for x in pieces):
            for x in pieces:
                r = _heading(x.group(1))
                for entry in re.split(r"\band\b(?=\s+[A-Z])", x.group(2)):
                    if not entry.strip():
                        continue
                    p, problem = parse_person(entry)
                    if p:
                        _add(page, p, r)
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
        if role is not None and _person_like(line):
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
        if not seen_people and not section and role is None:
            page.themes.append(re.sub(r"^(?:sub)?theme\s*:\s*", "", line, flags=re.I))
            continue
        if role is not None and not section:
            page.problems.append(f"under the {role} heading, could not read {line[:80]!r}")
            continue
        key = section or "description?"
        blocks = prose.setdefault(key, [])
        if not blocks or gap >= 2:
            blocks.append([])
        blocks[-1].append(line)
    _fill_slots(page, unlabelled, anchors)
    _prose(page, prose)
    _check(page)
    return page


def _add(page: IgfPage, p: PagePerson, role: str) -> None:
    existing = page.person(p.name)
    if not existing.roles and existing is page.people[-1]:
        existing.hidden = p.hidden
    existing.roles.append(role)
    for f in ("affiliation", "stakeholder_group", "region"):
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


def _prose(page: IgfPage, prose: dict[str, list[list[str]]]) -> None:
    qs: list[str] = []
    for block in prose.get("policy question(s)", []) + prose.get("policy questions", []) + prose.get("policy question", []):
        for line in block:
            line = re.sub(r"^(?:[A-Za-z]|\d+)[.)]\s+", "", line).strip()
            if line:
                qs.append(line)
    # a question block followed (after a gap) by other prose: keep the lines that are questions
    if qs and any(q.endswith("?") for q in qs):
        extra = [q for q in qs if not q.endswith("?")]
        qs = [q for q in qs if q.endswith("?")]
        if extra:
            prose.setdefault("description?", []).insert(0, extra)
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
        page.problems.append("no title found — add `title:`")
    if not page.event:
        page.problems.append("no event (e.g. IGF 2023) in the page heading — add `event:`")
    if not page.date:
        page.problems.append("no date on the page — add `date: YYYY-MM-DD`")
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
    for name in ("event", "date", "page", "format", "duration", "description"):  # the ones the page gave
        if getattr(page, name):
            d[name] = getattr(page, name)
    order = {r: i for i, r in enumerate(ROLE_PRIORITY)}
    people = sorted(page.people, key=lambda p: order.get(p.role, 9))
    d["speakers"] = []
    for p in people:
        e: dict[str, Any] = {"name": p.name, "role": p.role}
        for f in ("affiliation", "stakeholder_group", "region"):
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
    parse_session(yaml.safe_load(text), folder, source=str(path))  # raises with every problem
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, text)
    return path
