"""segment: the session's agenda items placed on the recording's timeline.

Where an item's time comes from, strongest first:

1. ``start`` in session.yaml (always wins);
2. a recording chapter (yt-dlp ``info.json``) whose title matches the item's;
3. the transcript: items about a person ("Remarks by X", "Keynote: X") at the
   hand-over to X or X's first substantial turn; topical items ("Q&A",
   "Closing", a policy question) where the item's words and typical cue
   phrases ("let's open the floor", "to conclude") are said.  All untimed
   items are placed together by a monotonic alignment (items keep their
   order) over sentence starts, so a boundary inside a merged turn is found.

Each placed item carries its evidence and a confidence.  Without any agenda,
chapters are the agenda; failing those, sections are proposed from topic
shifts in the transcript and labelled.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .core.records import Agenda, AgendaItem, Turns, sec
from .core.text import CONTENT_STOPWORDS, SENTENCE_END, SENTENCE_SPLIT, mmss, self_introduced_name
from .core.session import AgendaEntry, Person


@dataclass(frozen=True, kw_only=True)
class AgendaOptions:
    """How untimed agenda items are placed."""

    min_gap: float = 4.0  # seconds: shortest agenda item
    window: float = 45.0  # seconds of speech after a candidate start compared with an item's title
    substantial_words: int = 20  # a turn of at least this many words (or ...)
    substantial_seconds: float = 10.0  # ... this many seconds is "substantial"
    handover_seconds: float = 30.0  # a name mention counts as a hand-over when the person speaks within this
    min_confidence: float = 0.0  # items placed with less confidence are left untimed (start None)
    gap_seconds: float = 8.0  # a stretch this long without transcribed words is itself a candidate start
    propose_section_seconds: float = 240.0  # target length of proposed sections (no agenda at all)
    propose_min_seconds: float = 45.0  # shortest proposed section


SegmentOptions = AgendaOptions  # the stage's old name (segment), kept importable


@dataclass(frozen=True, kw_only=True)
class Placement:
    """An agenda item with where its time came from (richer than ``AgendaItem``)."""

    title: str
    start: float | None
    method: str  # session | chapters | speaker | topic | proposed | unplaced
    confidence: float  # 0..1 (1.0 for times given in session.yaml)
    evidence: str = ""


# ---------------------------------------------------------------- sentences


@dataclass(frozen=True, kw_only=True)
class Sentence:
    """One sentence of a turn, with the time of its first and last word."""

    index: int
    turn: int  # index into Turns.turns
    turn_id: str
    start: float
    end: float
    text: str
    speaker: str  # display name (or label)
    label: str
    first_in_turn: bool
    words: int


def sentences(turns: Turns) -> list[Sentence]:
    """The transcript's sentences, split at words ending in . ! ? (turns without words: at the text)."""
    out: list[Sentence] = []
    for ti, turn in enumerate(turns.turns):
        speaker = (turn.speaker or turns.speakers.get(turn.label, "") or turn.label).strip()
        spans: list[tuple[float, float, str, int]] = []
        if turn.words:
            cur: list = []
            for w in turn.words:
                cur.append(w)
                if SENTENCE_END.search(w.text.strip()):
                    spans.append((cur[0].start, cur[-1].end, "".join(x.text for x in cur).strip(), len(cur)))
                    cur = []
            if cur:
                spans.append((cur[0].start, cur[-1].end, "".join(x.text for x in cur).strip(), len(cur)))
        else:
            parts = [p for p in SENTENCE_SPLIT.split(turn.text.strip()) if p]
            total = sum(len(p) for p in parts) or 1
            t = turn.start
            for p in parts:
                d = (turn.end - turn.start) * len(p) / total
                spans.append((t, t + d, p, len(p.split())))
                t += d
        for k, (s, e, text, n) in enumerate(spans):
            if text:
                out.append(Sentence(index=len(out), turn=ti, turn_id=turn.id, start=s, end=e, text=text,
                                    speaker=speaker, label=turn.label, first_in_turn=k == 0, words=n))
    return out


def with_gaps(sents: Sequence[Sentence], gap: float) -> list[Sentence]:
    """Sentences plus an empty pseudo-sentence (``turn == -1``) where ``gap`` seconds pass without
    transcribed words: speech the recogniser missed may hold an agenda boundary."""
    out: list[Sentence] = []
    for k, x in enumerate(sents):
        if k and x.start - sents[k - 1].end >= gap:
            a, b = sents[k - 1].end + 0.5, x.start - 0.5
            out.append(Sentence(index=len(out), turn=-1, turn_id="", start=a, end=b, text="", speaker="(untranscribed)",
                                label="", first_in_turn=True, words=0))
        out.append(dataclasses.replace(x, index=len(out)))
    return out


# ------------------------------------------------------------------ tokens

STOPWORDS = CONTENT_STOPWORDS
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def stem(word: str) -> str:
    w = word.lower().replace("'s", "")
    if w.endswith(("onse", "onses")):  # response, responses → respond (the noun as its verb)
        return w[: w.rindex("onse")] + "ond"
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "s"):
        if len(w) - len(suffix) >= 4 and w.endswith(suffix):
            return w[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
    return w


def content_tokens(text: str) -> list[str]:
    """Lower-cased, stemmed words that are not stopwords (``Q&A`` → ``qa``)."""
    text = re.sub(r"\bq\s*&\s*a\b", "qa", text.lower())
    return [stem(t) for t in _TOKEN.findall(text) if t not in STOPWORDS and len(t) > 1]


# --------------------------------------------------------------- item kinds

_KIND_RES = {
    "opening": re.compile(r"\b(welcome|opening|open(s|ed)? the session|introduc\w*|intro)\b", re.I),
    "questions": re.compile(r"(q\s*&\s*a|\bquestions?\b|open floor|\bfloor\b|\baudience\b|interventions|\bdiscussion with\b|comments)", re.I),
    "closing": re.compile(r"\b(clos\w*|conclu\w*|wrap[- ]?up|final|summing up|summary|way forward|next steps|takeaways|farewell)\b", re.I),
}
_CUES = {
    "opening": re.compile(r"\b(welcome|good (morning|afternoon|evening)|my name is|i am \w+ \w+ and|open (this|the) session)\b", re.I),
    "questions": re.compile(
        r"\b(open(ing)? (up )?the floor|floor is (now )?open|any questions|questions? (from|in) the (room|audience|floor)|"
        r"questions? from (the )?online|online (participants?|audience)|raise (your|their) hands?|comments? from|"
        r"take (your|some|a few) questions|microphone|q and a)\b", re.I),
    "closing": re.compile(
        r"\b(to conclude|in conclusion|conclud\w+|wrap (it |things )?up|let me close|before we close|closing|"
        r"come to (an|the) end|out of time|few minutes left|last (word|sentence|round|question)|final (word|thoughts?|remarks|round)|"
        r"to sum up|to summari[sz]e|in summary|session is (now )?closed)\b", re.I),
}
_TRANSITION = re.compile(
    r"\b(let(')?s|let us)( now)? (move|turn|go|shift|come|start|begin|open|hear|take)\b|\bmov(e|ing) on\b|"
    r"\b(first|second|third|fourth|next|final|last) round\b|"
    r"\b(next|main|first|second|third|last|final) (question|topic|item|part|segment|speaker)\b|"
    r"\bturn(ing)? to\b|\bnow (i|we)('d| would) like\b|\bi would (now )?like to\b", re.I)
_HANDOVER = re.compile(
    r"\b(invite|the floor is yours|give (us )?(the floor|your)|over to you|pass (it )?(on )?to|hand over|"
    r"please|welcome|you first|let me start with you|would you like|call on|our (keynote|next) speaker)\b", re.I)
_SESSION_OPENS = re.compile(
    r"\b(welcome (you )?(all |everyone |back )?to (this|the|our|today)|good (morning|afternoon|evening),? (everyone|all|ladies|dear)|"
    r"ladies and gentlemen|(declare|call) (this|the) (session|meeting|workshop) (to order|open))\b", re.I)
"""What the chair says when the session proper begins (after the room's chatter: "Can you hear me?")."""
OPENING_REACH = 600.0
"""Seconds from the recording's start in which that sentence is looked for."""
_PERSON_TITLE = re.compile(r"\b(remarks|keynote|address|statement|presentation|speech|intervention|talk)\b", re.I)


def phrase_said(title_toks: Sequence[str], toks: Sequence[str]) -> bool:
    """Two of the title's words in a row, in its order, in the sentence ("Second round" in "Let us take a
    second round")."""
    pairs = set(zip(title_toks, title_toks[1:]))
    return any(p in pairs for p in zip(toks, toks[1:]))


def item_kind(title: str) -> str:
    for kind in ("questions", "closing", "opening"):
        if _KIND_RES[kind].search(title):
            return kind
    return "topic"


def _name_variants(name: str) -> list[str]:
    parts = [p for p in re.split(r"\s+", name.strip()) if p]
    variants = [name.strip()]
    if len(parts) >= 2:
        variants += [parts[-1], parts[0]]
    return [v for v in variants if len(v) >= 3]


def person_in_title(title: str, people: Sequence[str]) -> str | None:
    """The roster person an item's title names (full name, else surname), if any."""
    low = title.casefold()
    best: tuple[int, str] | None = None
    for name in people:
        for rank, v in enumerate(_name_variants(name)[:2]):  # full name, surname
            if re.search(rf"\b{re.escape(v.casefold())}\b", low):
                if best is None or rank < best[0]:
                    best = (rank, name)
                break
    return best[1] if best else None


def _mentions(text: str, name: str) -> bool:
    low = text.casefold()
    return any(re.search(rf"\b{re.escape(v.casefold())}\b", low) for v in _name_variants(name))


# ------------------------------------------------------------- chapters


def chapters_from_info(info: dict[str, Any] | None) -> list[AgendaItem]:
    """Agenda items from yt-dlp's ``chapters`` (``title``, ``start_time``)."""
    items: list[AgendaItem] = []
    for ch in (info or {}).get("chapters") or []:
        title = str(ch.get("title") or "").strip()
        start = ch.get("start_time")
        if title and isinstance(start, (int, float)) and start >= 0:
            items.append(AgendaItem(title=title, start=sec(start), source="chapters"))
    return sorted(items, key=lambda i: i.start or 0.0)


def _title_similarity(a: str, b: str) -> float:
    ta, tb = set(content_tokens(a)), set(content_tokens(b))
    if not ta or not tb:
        return 1.0 if a.strip().casefold() == b.strip().casefold() else 0.0
    return len(ta & tb) / min(len(ta), len(tb))  # "Q&A" matches "Questions and answers (Q&A)"


def match_chapters(entries: Sequence[AgendaEntry], chapters: Sequence[AgendaItem], threshold: float = 0.6) -> dict[int, AgendaItem]:
    """Entry index → the chapter whose title matches it best (each chapter used once, order kept)."""
    out: dict[int, AgendaItem] = {}
    ci = 0
    for ei, e in enumerate(entries):
        best, best_s = None, threshold
        for k in range(ci, len(chapters)):
            s = _title_similarity(e.title, chapters[k].title)
            if s >= best_s:
                best, best_s = k, s
        if best is not None:
            out[ei] = chapters[best]
            ci = best + 1
    return out


# ------------------------------------------------------------- placement


def _people(turns: Turns, roster: Sequence[Person]) -> list[str]:
    names = [p.name for p in roster]
    for t in turns.turns:
        n = (t.speaker or "").strip()
        if n and n not in names and not re.fullmatch(r"(speaker|spk|SPEAKER)[ _]?\d+", n, re.I):
            names.append(n)
    return names


def moderator_labels(turns: Turns, roster: Sequence[Person]) -> set[str]:
    mods = {p.name for p in roster if p.moderates}
    labels = {t.label for t in turns.turns if t.speaker in mods}
    if not labels and turns.turns:  # no names: the person with the most turns chairs
        labels = {Counter(t.label for t in turns.turns).most_common(1)[0][0]}
    return labels


@dataclass
class _Feature:
    score: float
    why: str


class _Scorer:
    """Per-candidate (sentence start) scores of one agenda item."""

    def __init__(self, turns: Turns, sents: list[Sentence], roster: Sequence[Person], options: AgendaOptions):
        self.turns, self.s, self.o = turns, sents, options
        self.toks = [content_tokens(x.text) for x in sents]
        df = Counter(t for toks in self.toks for t in set(toks))
        n = max(len(sents), 1)
        self.idf = lambda t: math.log((n + 1) / (df.get(t, 0) + 0.5))
        self.people = _people(turns, roster)
        self.mod_labels = moderator_labels(turns, roster)
        self.turn_words = [len(t.words) or len(t.text.split()) for t in turns.turns]
        # someone saying who they are: at IGF sessions, what people from the floor do first when questions open
        self.intros = [k for k, x in enumerate(sents) if x.turn >= 0 and self_introduced_name(x.text)]
        # where the session proper opens: the chair's welcome early on, else the first sentence
        early = itertools.takewhile(lambda x: x.start <= OPENING_REACH, sents)
        self.opener = next((j for j, x in enumerate(early) if _SESSION_OPENS.search(x.text)), 0)

    def substantial(self, ti: int) -> bool:
        if ti < 0:
            return False
        t = self.turns.turns[ti]
        return self.turn_words[ti] >= self.o.substantial_words or (t.end - t.start) >= self.o.substantial_seconds

    def introduced_soon(self, j: int) -> bool:
        """Another voice says who they are within ``window`` seconds after sentence ``j`` starts."""
        x = self.s[j]
        return any(k > j and self.s[k].label != x.label and self.s[k].start - x.start <= self.o.window
                   for k in self.intros)

    def window(self, j: int) -> range:
        end = j + 1
        while end < len(self.s) and self.s[end].start < self.s[j].start + self.o.window and end - j < 6:
            end += 1
        return range(j + 1, end)

    def lexical(self, title_toks: list[str], j: int) -> tuple[float, list[str]]:
        if not title_toks:
            return 0.0, []
        total = sum(self.idf(t) for t in set(title_toks))
        here = set(self.toks[j])
        ahead = {t for k in self.window(j) for t in self.toks[k]}
        behind = {t for k in range(max(0, j - 3), j) for t in self.toks[k]}
        got, matched = 0.0, []
        for t in set(title_toks):
            w = 1.0 if t in here else 0.5 if t in ahead else 0.0
            w -= 0.3 if t in behind else 0.0
            if w > 0:
                matched.append(t)
            got += w * self.idf(t)
        return max(got / total, -0.3), sorted(matched)

    def person_features(self, name: str) -> list[list[_Feature]]:
        feats: list[list[_Feature]] = [[] for _ in self.s]
        own = {t.label for t in self.turns.turns if t.speaker == name}
        for j, x in enumerate(self.s):
            if x.turn < 0:
                continue
            if x.first_in_turn and x.label in own and self.substantial(x.turn):
                feats[j].append(_Feature(1.8, f"{name}'s substantial turn starts"))
            if x.first_in_turn and self.substantial(x.turn) and not own:
                nxt = " ".join(y.text for y in self.s[j : j + 2] if y.turn == x.turn)
                if re.search(r"\b(my name is|i am|i'm)\b", nxt, re.I) and _mentions(nxt, name):
                    feats[j].append(_Feature(1.5, f"introduces themself as {name}"))
            if _mentions(x.text, name) and x.label not in own:
                # a hand-over: the named person (another voice) speaks at length soon after
                for k in range(j + 1, len(self.s)):
                    y = self.s[k]
                    if y.turn < 0:
                        continue
                    if y.start - x.end > self.o.handover_seconds:
                        break
                    if y.first_in_turn and y.label != x.label and self.substantial(y.turn):
                        if own and y.label not in own:
                            break
                        gap = max(0.0, y.start - x.start)
                        score = 2.0 * math.exp(-gap / 15.0) + (0.5 if _HANDOVER.search(x.text) else 0.0)
                        feats[j].append(_Feature(score, f"hand-over naming {name} ({x.speaker}: \u201c{_clip(x.text)}\u201d)"))
                        break
        return feats

    def item_scores(self, title: str, k: int) -> tuple[np.ndarray, list[list[_Feature]], str]:
        n = len(self.s)
        feats: list[list[_Feature]] = [[] for _ in range(n)]
        person = person_in_title(title, self.people)
        kind = item_kind(title)
        method = "speaker" if person and (_PERSON_TITLE.search(title) or len(content_tokens(title)) <= 4) else "topic"
        if person and method == "speaker":
            feats = self.person_features(person)
        title_toks = content_tokens(title)
        if person:
            drop = {stem(v.casefold()) for v in person.split()}
            title_toks = [t for t in title_toks if t not in drop]
        for j, x in enumerate(self.s):
            if x.turn < 0:
                feats[j].append(_Feature(0.4, f"{x.end - x.start + 1.0:.0f} s without transcribed words"))
                continue
            lex, matched = self.lexical(title_toks, j)
            if matched or lex < 0:
                feats[j].append(_Feature(1.5 * lex, f"title words {', '.join(matched)}" if matched else "title words said before"))
            if kind in _CUES:
                if _CUES[kind].search(x.text):
                    feats[j].append(_Feature(1.0, f"{kind} cue \u201c{_CUES[kind].search(x.text).group(0)}\u201d"))
                elif j + 1 < n and self.s[j + 1].turn == x.turn and _CUES[kind].search(self.s[j + 1].text):
                    feats[j].append(_Feature(0.6, f"{kind} cue \u201c{_CUES[kind].search(self.s[j + 1].text).group(0)}\u201d next"))
            if kind == "questions" and self.introduced_soon(j):
                # a panellist may speak of "questions from the floor" an hour into the session; when questions
                # really open, people from the floor say who they are
                feats[j].append(_Feature(0.6, "someone else introduces themself soon after"))
            if _TRANSITION.search(x.text):
                feats[j].append(_Feature(0.5, f"transition \u201c{_TRANSITION.search(x.text).group(0)}\u201d"))
            if x.first_in_turn:
                feats[j].append(_Feature(0.3, "turn start"))
            if method == "topic" and x.label in self.mod_labels:
                feats[j].append(_Feature(0.3, "moderator speaks"))
            pause = x.start - self.s[j - 1].end if j else x.start
            if pause >= 0.8:
                feats[j].append(_Feature(0.15, f"{pause:.1f} s pause"))
            if k == 0 and j == self.opener:
                feats[j].append(_Feature(2.0, "the session opens" if j else "first speech of the session"))
            if phrase_said(title_toks, self.toks[j]):
                feats[j].append(_Feature(0.8, "the title's words as said"))
        scores = np.array([sum(f.score for f in fs) for fs in feats], dtype=float)
        return scores, feats, method


def _clip(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _align(scores: list[np.ndarray], times: np.ndarray, lo: float, hi: float, min_gap: float) -> list[int] | None:
    """Monotonic alignment: one candidate per item, in order, ``min_gap`` apart, within [lo, hi)."""
    K, n = len(scores), len(times)
    ok = (times >= lo) & (times < hi)
    best = np.full((K, n), -np.inf)
    back = np.zeros((K, n), dtype=int)
    best[0] = np.where(ok, scores[0], -np.inf)
    for k in range(1, K):
        prefix = np.maximum.accumulate(best[k - 1])
        arg = np.zeros(n, dtype=int)
        cur = 0
        for i in range(n):  # running argmax of the previous row
            if best[k - 1][i] > best[k - 1][cur]:
                cur = i
            arg[i] = cur
        limit = np.searchsorted(times, times - min_gap, side="right") - 1  # last i with t_i <= t_j - gap
        prev = np.where(limit >= 0, prefix[np.clip(limit, 0, None)], -np.inf)
        best[k] = np.where(ok, scores[k] + prev, -np.inf)
        back[k] = arg[np.clip(limit, 0, None)]
    if not np.isfinite(best[-1]).any():
        return None
    path = [int(np.argmax(best[-1]))]
    for k in range(K - 1, 0, -1):
        path.append(int(back[k][path[-1]]))
    return path[::-1]


_ACK = re.compile(r"^\W*(thank|thanks|ok|okay|right|great|good|wonderful|excellent|yes|so)\b", re.I)


def _snap_to_turn_start(sents: Sequence[Sentence], j: int) -> int:
    """Back over short acknowledgements ("Thank you, John.") that open the same turn."""
    while j > 0 and sents[j - 1].turn == sents[j].turn and sents[j - 1].words <= 6 and _ACK.search(sents[j - 1].text):
        j -= 1
    return j


def _confidence(scores: np.ndarray, times: np.ndarray, j: int, lo: float, hi: float) -> float:
    """How clearly the chosen start beats the best start elsewhere (more than 15 s away) in its range."""
    mask = (times >= lo) & (times < hi) & (np.abs(times - times[j]) > 15.0)
    rival = float(scores[mask].max()) if mask.any() else 0.0
    margin = float(scores[j]) - max(rival, 0.0)
    strength = 1.0 - math.exp(-max(float(scores[j]), 0.0))
    return round(max(0.01, min(0.99, strength / (1.0 + math.exp(-2.0 * margin)))), 2)


def place_items(
    entries: Sequence[AgendaEntry],
    info: dict[str, Any] | None = None,
    turns: Turns | None = None,
    *,
    roster: Sequence[Person] = (),
    options: AgendaOptions = AgendaOptions(),
) -> list[Placement]:
    """Every agenda entry with a start time (or None), its method, evidence and confidence."""
    chapters = chapters_from_info(info)
    if not entries:
        if chapters:
            return [Placement(title=c.title, start=c.start, method="chapters", confidence=1.0,
                              evidence="recording chapter") for c in chapters]
        return propose_sections(turns, options=options, names=[p.name for p in roster]) if turns is not None else []
    matched = match_chapters(entries, chapters)
    out: list[Placement | None] = []
    for i, e in enumerate(entries):
        if e.start is not None:
            out.append(Placement(title=e.title, start=sec(e.start), method="session", confidence=1.0,
                                 evidence="start given in session.yaml"))
        elif i in matched:
            out.append(Placement(title=e.title, start=matched[i].start, method="chapters", confidence=0.9,
                                 evidence=f"recording chapter \u201c{matched[i].title}\u201d"))
        else:
            out.append(None)
    sents = with_gaps(sentences(turns), options.gap_seconds) if turns is not None else []
    if not sents:
        return [p or Placement(title=e.title, start=None, method="unplaced", confidence=0.0,
                               evidence="no transcript to place it on") for p, e in zip(out, entries)]
    scorer = _Scorer(turns, sents, roster, options)
    times = np.array([x.start for x in sents])
    # runs of untimed items between anchors
    i = 0
    while i < len(out):
        if out[i] is not None:
            i += 1
            continue
        j = i
        while j < len(out) and out[j] is None:
            j += 1
        lo = (out[i - 1].start + options.min_gap) if i > 0 and out[i - 1].start is not None else -1.0
        hi = (out[j].start - options.min_gap) if j < len(out) and out[j].start is not None else math.inf
        scored = [scorer.item_scores(entries[k].title, k) for k in range(i, j)]
        path = _align([s for s, _, _ in scored], times, lo, hi, options.min_gap)
        for k, (scores, feats, method) in zip(range(i, j), scored):
            if path is None:
                out[k] = Placement(title=entries[k].title, start=None, method="unplaced", confidence=0.0,
                                   evidence="no room between its neighbours' times")
                continue
            c = path[k - i]
            plo = times[path[k - i - 1]] + options.min_gap if k > i else lo
            phi = times[path[k - i + 1]] - options.min_gap if k + 1 < j else hi
            conf = _confidence(scores, times, c, plo, phi)
            why = [f.why for f in sorted(feats[c], key=lambda f: -f.score) if f.score > 0]
            x = sents[_snap_to_turn_start(sents, c)]
            evidence = f"{x.speaker} at {mmss(x.start)}: " + "; ".join(why or ["order only"])
            if conf < options.min_confidence:
                out[k] = Placement(title=entries[k].title, start=None, method="unplaced", confidence=conf, evidence=evidence)
            else:
                out[k] = Placement(title=entries[k].title, start=sec(x.start), method=method, confidence=conf, evidence=evidence)
        i = j
    return [p for p in out if p is not None]



# ------------------------------------------------------- proposed sections


def propose_sections(turns: Turns | None, *, options: AgendaOptions = AgendaOptions(), names: Sequence[str] = ()) -> list[Placement]:
    """Sections from topic shifts (lexical cohesion between neighbouring windows), labelled by cues or keywords."""
    sents = sentences(turns) if turns is not None else []
    if not sents:
        return []
    duration = max(sents[-1].end - sents[0].start, 1.0)
    n_sections = max(1, min(12, int(round(duration / options.propose_section_seconds))))
    bounds = [0]
    if n_sections > 1:
        toks = [content_tokens(x.text) for x in sents]
        df = Counter(t for ts in toks for t in set(ts))
        vocab = {t: i for i, t in enumerate(sorted(df))}
        idf = np.array([math.log((len(sents) + 1) / (df[t] + 0.5)) for t in sorted(df)])
        m = np.zeros((len(sents), len(vocab)))
        for i, ts in enumerate(toks):
            for t in ts:
                m[i, vocab[t]] += 1.0
        m *= idf
        w = 8  # sentences per side
        depth = np.zeros(len(sents))
        for i in range(1, len(sents)):
            a, b = m[max(0, i - w) : i].sum(0), m[i : i + w].sum(0)
            na, nb = np.linalg.norm(a), np.linalg.norm(b)
            sim = float(a @ b / (na * nb)) if na and nb else 0.0
            cue = 0.15 if (_TRANSITION.search(sents[i].text) or any(c.search(sents[i].text) for c in _CUES.values())) else 0.0
            depth[i] = (1.0 - sim) + cue + (0.05 if sents[i].first_in_turn else 0.0)
        times = np.array([x.start for x in sents])
        for i in np.argsort(-depth):
            if len(bounds) >= n_sections:
                break
            if depth[i] <= 0:
                break
            if all(abs(times[i] - times[b]) >= options.propose_min_seconds for b in bounds) and times[-1] - times[i] >= options.propose_min_seconds:
                bounds.append(int(i))
        bounds.sort()
    out = []
    for k, b in enumerate(bounds):
        end = bounds[k + 1] if k + 1 < len(bounds) else len(sents)
        part = sents[b:end]
        label = _label(part, sents, first=k == 0, last=k == len(bounds) - 1 and k > 0, names=names)
        out.append(Placement(title=label, start=sec(part[0].start), method="proposed", confidence=0.5,
                             evidence=f"topic shift at {mmss(part[0].start)} ({part[0].speaker})"))
    return out


def _label(part: Sequence[Sentence], everything: Sequence[Sentence], *, first: bool, last: bool, names: Sequence[str] = ()) -> str:
    head = " ".join(x.text for x in part[:3])
    if first and _CUES["opening"].search(head):
        return "Opening"
    if last and _CUES["closing"].search(" ".join(x.text for x in part[:4])):
        return "Closing"
    if _CUES["questions"].search(head):
        return "Questions and discussion"
    proper = Counter(stem(w.lower()) for x in everything for w in re.findall(r"(?<=[a-z,;:] )([A-Z][a-z']+)", x.text))
    proper.update(stem(w.lower()) for n in names for w in n.split())
    mine = Counter(t for x in part for t in content_tokens(x.text) if len(t) > 3 and not proper.get(t))
    allc = Counter(t for x in everything for t in content_tokens(x.text) if len(t) > 3)
    ranked = sorted(mine, key=lambda t: -(mine[t] * math.log((sum(allc.values()) + 1) / (allc[t] + 1)) + 0.01 * mine[t]))
    surface: dict[str, str] = {}
    for x in part:  # show the word as spoken, not its stem
        for raw in _TOKEN.findall(x.text.lower()):
            surface.setdefault(stem(raw), raw)
    words = [surface.get(t, t) for t in ranked[:3]]
    if not words:
        return "Discussion"
    return "Discussion: " + ", ".join(words)


# -------------------------------------------------------------- public API


def _agenda_item(p: Placement) -> AgendaItem:
    """records.AgendaItem: source session | chapters | placed | proposed; confidence None for given times."""
    fields = {f.name for f in dataclasses.fields(AgendaItem)}
    given = p.method in ("session", "chapters")
    source = p.method if given or p.method == "proposed" else "placed"
    if "confidence" in fields and "evidence" in fields:
        evidence = p.evidence if given else f"{p.method}: {p.evidence}"
        return AgendaItem(title=p.title, start=p.start, source=source, confidence=None if given else p.confidence,
                          evidence=evidence)
    if not given:
        source = f"{source} (confidence {p.confidence:.2f}): {p.method}: {p.evidence}"
    return AgendaItem(title=p.title, start=p.start, source=source)


def place_agenda(
    entries: Sequence[AgendaEntry],
    info: dict[str, Any] | None = None,
    turns: Turns | None = None,
    *,
    roster: Sequence[Person] = (),
    options: AgendaOptions = AgendaOptions(),
) -> Agenda:
    """The agenda on the timeline (see the module docstring).

    Without a transcript, items that have no time from session.yaml or a
    chapter are left out (there is nothing to place them on).
    """
    placed = place_items(entries, info, turns, roster=roster, options=options)
    if turns is None:
        placed = [p for p in placed if p.start is not None]
        if entries and not any(e.start is not None for e in entries) and not any(p.method == "chapters" for p in placed):
            placed = [Placement(title=c.title, start=c.start, method="chapters", confidence=1.0) for c in chapters_from_info(info)]
    return Agenda(items=tuple(_agenda_item(p) for p in placed))
