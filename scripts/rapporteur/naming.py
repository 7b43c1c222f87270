"""naming: give diarized speakers (``SPEAKER_00`` …) real names from what is said.

Evidence is read from the words of the turns, never from a manual mapping:

- a self-introduction ("My name is …", "I am …") names the turn's own speaker;
- a hand-off at the end of a turn ("I give the floor to …", "X, over to you",
  "… Joanna?") names the *next* speaker;
- thanks at the start of a turn ("Thank you, Ngozi", "Thank you, Madam Chair")
  name the *previous* speaker;
- naming someone else is evidence that the speaker is not that person;
- the roster's moderator is likely the speaker who opens, closes and hands over.

Names are matched against the roster with tolerance for ASR misspellings
(spelling and a coarse phonetic key, full name, first name or surname alone,
titles dropped).  Labels are then matched one-to-one to people (Hungarian
assignment on the summed evidence); a label without enough evidence stays
"Participant".  An explicit ``speaker_map`` in session.yaml always wins.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from .core.records import Turn, Turns
from .core.session import ONLINE_WORDS, Person, Session
from .core.text import (  # noqa: F401  (norm, phonetic, TITLES, self_introduced_name: re-exported)
    NAME_STOPWORDS, TITLES, ends_sentence, norm, phonetic, self_introduced_name, similarity,
)

STOPWORDS = NAME_STOPWORDS  # common words that must never be read as a name (core.text)
THANKS = ("thank", "thanks")
ADDRESS_TITLES = {"mr", "mrs", "ms", "mister", "madam", "dr", "doctor", "professor", "prof", "ambassador", "excellency", "minister"}
SPEAKING_ROLES = ("speaker", "keynote", "panelist", "panellist", "discussant", "")
SELF_CLAIM = 3.0
"""The weight of a self-introduction early in a voice's turns (``collect_votes``)."""
SELF_BEFORE = (("my", "name", "is"), ("name", "is"), ("i", "am"), ("im",), ("this", "is"), ("called",), ("am",))
HANDOFF_BEFORE = (
    ("floor", "to"), ("give", "the", "floor"), ("pass", "to"), ("over", "to"), ("turn", "to"), ("invite",),
    ("call", "on"), ("hear", "from"), ("ask",), ("question", "for"), ("question", "to"), ("next",),
    ("question", "is", "for"), ("question", "goes", "to"),
    ("speaker", "is"), ("welcome",), ("introduce",),
)
INVITE_BEFORE = (
    ("floor", "to"), ("give", "the", "floor"), ("pass", "to"), ("over", "to"), ("turn", "to"), ("invite",),
    ("call", "on"), ("hear", "from"), ("question", "for"), ("question", "to"), ("questions", "for"),
    ("question", "is", "for"), ("question", "is", "to"), ("question", "goes", "to"), ("questions", "are", "for"),
)
"""Cues that name the next speaker wherever the name stands in the turn ("I would like to invite X from Y
to share …", then a long question; "My question is for Professor X. …")."""
HANDOFF_AFTER = (
    ("over", "to", "you"), ("the", "floor", "is", "yours"), ("floor", "is", "yours"), ("please",),
    ("go", "ahead"), ("your", "turn"), ("you", "have", "the", "floor"), ("the", "floor"),
)
ROLE_WORDS = frozenset({"chair", "chairperson", "moderator"})
FIRST_PERSON = {"i", "im", "we", "our", "my", "us", "ive", "weve", "were"}


@dataclass(frozen=True, kw_only=True)
class NamingOptions:
    """How speakers are named."""

    min_similarity: float = 0.8
    """0–1: how close (spelling or sound) a word group must be to a roster name form."""
    affiliation_words: int = 30
    """Words at the start of a turn searched for the speaker's own organisation ("At UNESCO we …")."""
    min_score: float = 1.0
    """Evidence points a label needs before it takes a name (a thanks ≈ 2, a self-introduction ≈ 3)."""
    split_score: float = 3.0
    """Evidence points a second label needs to share a name already given (a diarizer split)."""
    handoff_words: int = 25
    """Words at the end of a turn searched for a hand-off to the next speaker."""
    thanks_words: int = 10
    """Words at the start of a turn searched for thanks to the previous speaker."""
    unnamed: str = "Participant"
    """Display name of a speaker nobody named ("Participant", "Participant 2" …)."""


# ------------------------------------------------------------------ roles


def moderators(people: Sequence[Person], kind: str) -> list[str]:
    """The names of the roster's people who moderate in one way (``Person.moderates``: lead or online), in roster order."""
    return [p.name for p in people if p.moderates == kind]


# ------------------------------------------------------------------ names


@dataclass(frozen=True)
class NameForm:
    person: str
    form: str  # normalised letters
    kind: str  # full | first | last


def name_forms(people: Sequence[str]) -> list[NameForm]:
    """Full name, first name and surname (with particles) of each person."""
    forms: list[NameForm] = []
    for name in people:
        tokens = [t for t in re.split(r"[\s\-]+", name) if norm(t) and norm(t) not in TITLES]
        if not tokens:
            continue
        forms.append(NameForm(name, norm(name), "full"))
        if len(tokens) > 1:
            forms.append(NameForm(name, norm(tokens[0]), "first"))
            forms.append(NameForm(name, norm(tokens[-1]), "last"))
            for i in range(1, len(tokens) - 1):  # "van der Westhuizen", "Mac Giolla"
                if tokens[i][:1].islower() or len(tokens) > 2:
                    forms.append(NameForm(name, norm("".join(tokens[i:])), "last"))
    # a first name or surname shared by two people names neither
    counts: dict[str, set[str]] = {}
    for f in forms:
        counts.setdefault(f.form, set()).add(f.person)
    return [f for f in forms if f.kind == "full" or len(counts[f.form]) == 1]


@dataclass(frozen=True)
class Token:
    raw: str
    norm: str
    start: float
    end: float


def tokens_of(turn: Turn) -> list[Token]:
    out = []
    for w in turn.words:
        n = norm(w.text.replace("'", ""))
        if n:
            out.append(Token(w.text.strip(), n, w.start, w.end))
    if not out and turn.text:  # turns without words: spread times evenly
        parts = turn.text.split()
        step = (turn.end - turn.start) / max(1, len(parts))
        for i, p in enumerate(parts):
            n = norm(p.replace("'", ""))
            if n:
                out.append(Token(p, n, turn.start + i * step, turn.start + (i + 1) * step))
    return out


@dataclass(frozen=True)
class Mention:
    person: str
    i: int  # first token
    j: int  # one past the last token
    score: float
    kind: str  # full | first | last | role


def find_mentions(tokens: Sequence[Token], forms: Sequence[NameForm], options: NamingOptions) -> list[Mention]:
    """Roster names in a token sequence, best non-overlapping matches first."""
    found: list[Mention] = []
    for i in range(len(tokens)):
        for n in (1, 2, 3, 4):
            if i + n > len(tokens):
                break
            group = tokens[i : i + n]
            if any(t.norm in STOPWORDS for t in group):
                continue
            if group[0].norm in TITLES and n > 1:
                continue
            text = "".join(t.norm for t in group)
            capital = group[0].raw[:1].isupper()
            for f in forms:
                if abs(len(text) - len(f.form)) > max(2, len(f.form) // 3):
                    continue
                if len(f.form) <= 3:  # "Hu", "Li": only exactly, and capitalised
                    s = 1.0 if (text == f.form and capital) else 0.0
                else:
                    s = similarity(text, f.form)
                need = options.min_similarity + (0.0 if capital else 0.1) - (0.05 if len(f.form) >= 7 else 0.0)
                if s >= need:
                    weight = s * (1.0 if f.kind == "full" else 0.8)
                    found.append(Mention(f.person, i, i + n, weight, f.kind))
    found.sort(key=lambda m: (-m.score, -(m.j - m.i), m.i))
    taken: set[int] = set()
    out: list[Mention] = []
    for m in found:
        if taken.isdisjoint(range(m.i, m.j)):
            out.append(m)
            taken.update(range(m.i, m.j))
    return sorted(out, key=lambda m: m.i)


_AMBASSADOR = re.compile(r"(?i)\b(mission|embassy|ambassador|permanent representative)")


def role_mentions(tokens: Sequence[Token], people: Sequence[Person]) -> list[Mention]:
    """"Chair" / "Moderator" for the roster's one lead moderator, "online moderator" for its one online
    moderator; "Ambassador" for the one diplomat."""
    out = []
    for i, t in enumerate(tokens):
        if i + 1 < len(tokens) and tokens[i + 1].raw[:1].isupper() and tokens[i + 1].norm not in STOPWORDS:
            continue  # "Ambassador Smith": the name that follows decides
        online = i > 0 and tokens[i - 1].norm in ONLINE_WORDS
        if t.norm == "ambassador":
            who = [p.name for p in people if _AMBASSADOR.search(p.affiliation or "")]
        elif t.norm in ROLE_WORDS:
            who = moderators(people, "online" if online else "lead")
        else:
            continue
        if len(who) == 1:
            out.append(Mention(who[0], i - 1 if online else i, i + 1, 0.8, "role"))
    return out


def sounds_like(name: str, people: Sequence[Person], *, spelling: float = 0.5, sound: float = 0.7) -> str:
    """The roster person whose full name a self-introduced ``name`` is a mishearing of ("" for none): spelt
    at least ``spelling`` alike and sounding at least ``sound`` alike, the closest when several are."""
    best, best_score = "", 0.0
    for p in people:
        spell = SequenceMatcher(None, norm(name), norm(p.name)).ratio()
        heard = SequenceMatcher(None, phonetic(name), phonetic(p.name)).ratio()
        if spell >= spelling and heard >= sound and spell + heard > best_score:
            best, best_score = p.name, spell + heard
    return best


def affiliation_forms(people: Sequence[Person]) -> dict[str, str]:
    """Distinctive words of each person's affiliation → person ("ministry" → the one ministry's person).

    A word counts when it is at least five letters, not a common word, and in
    exactly one person's affiliation ("Internet Society" twice names nobody).
    """
    owners: dict[str, set[str]] = {}
    for p in people:
        for word in re.split(r"[\s\-/,()&]+", p.affiliation or ""):
            n = norm(word)
            if len(n) >= 5 and n not in STOPWORDS:
                owners.setdefault(n, set()).add(p.name)
    return {w: next(iter(ps)) for w, ps in owners.items() if len(ps) == 1}


def affiliation_mentions(tokens: Sequence[Token], forms: Mapping[str, str], options: NamingOptions) -> list[Mention]:
    """Own-organisation cues early in a turn: a distinctive affiliation word near "I"/"we"/"our".

    Spelling decides, not sound ("a Nesco" is UNESCO; "publish" is not "Polish").
    """
    out: list[Mention] = []
    for i, t in enumerate(tokens[: options.affiliation_words]):
        best = max(((SequenceMatcher(None, t.norm, w).ratio(), person) for w, person in forms.items()
                    if abs(len(t.norm) - len(w)) <= 2), default=(0.0, ""))
        if best[0] < 0.85 or t.norm in STOPWORDS:
            continue
        k = _sentence_start(tokens, i)
        if any(x.norm in FIRST_PERSON for x in tokens[max(k, i - 5) : i + 4]):
            out.append(Mention(best[1], i, i + 1, best[0], "affiliation"))
    return out


# ----------------------------------------------------------------- evidence


@dataclass(frozen=True)
class Vote:
    label: str
    person: str
    weight: float
    rule: str
    turn: Turn
    at: float  # seconds: the mention's start
    snippet: str

    def record(self) -> dict[str, Any]:
        return {
            "turn_id": self.turn.id,
            "start": round(self.at, 3),
            "text": self.snippet,
            "rule": self.rule,
            "weight": round(self.weight, 2),
        }


def matches_before(tokens: Sequence[Token], i: int, patterns: Iterable[tuple[str, ...]], reach: int) -> bool:
    """A cue phrase ending within ``reach`` tokens before token ``i`` (titles skipped)."""
    k = i
    while k > 0 and tokens[k - 1].norm in TITLES:
        k -= 1
    words = [t.norm for t in tokens[max(0, k - reach - 4) : k]]
    for pat in patterns:
        n = len(pat)
        for end in range(len(words), max(len(pat) - 1, len(words) - reach) - 1, -1):
            if tuple(words[end - n : end]) == pat:
                return True
    return False


def _matches_after(tokens: Sequence[Token], j: int, patterns: Iterable[tuple[str, ...]], reach: int) -> bool:
    words = [t.norm for t in tokens[j : j + reach + 4]]
    for pat in patterns:
        n = len(pat)
        for s in range(0, min(reach, len(words) - n + 1)):
            if tuple(words[s : s + n]) == pat:
                return True
    return False


def _snippet(tokens: Sequence[Token], i: int, j: int, before: int = 6, after: int = 6) -> str:
    return " ".join(t.raw for t in tokens[max(0, i - before) : j + after])


def _sentence_start(tokens: Sequence[Token], i: int) -> int:
    k = i
    while k > 0 and not ends_sentence(tokens[k - 1].raw, closers=False):
        k -= 1
    return k


def runs_on(earlier: str, later: str) -> bool:
    """The later text continues the earlier one's sentence ("Our rapporteur, Li Wei," | "will publish …")."""
    return later.lstrip()[:1].islower() and not ends_sentence(earlier, closers=False)


def split_links(turns: Sequence[Turn], max_gap: float = 0.6) -> list[tuple[str, str, Turn]]:
    """Label changes inside a sentence: the diarizer cut one person's speech in two.

    A change counts when the earlier turn does not end a sentence, the gap is
    short and the later turn starts in lower case (strong), or when it happens
    twice between the same two labels (weaker, e.g. before a capitalised name).
    """
    strong: list[tuple[str, str, Turn]] = []
    weak: dict[tuple[str, str], list[Turn]] = {}
    for a, b in zip(turns, turns[1:]):
        if a.label == b.label or not a.text or not b.text:
            continue
        if ends_sentence(a.text, closers=False) or b.start - a.end > max_gap:
            continue
        pair = tuple(sorted((a.label, b.label)))
        if runs_on(a.text, b.text):
            strong.append((pair[0], pair[1], b))
        else:
            weak.setdefault(pair, []).append(b)
    out = list(strong)
    for (x, y), ts in weak.items():
        if len(ts) >= 2:
            out.extend((x, y, t) for t in ts)
    return out


SPLIT_SHARE = 0.4
"""Two labels are one person when at least this share of the times one follows the other, a sentence runs
across the change: one slip of the diarizer at a sentence's end must not merge two voices that take turns
for an hour."""


VOICE_SECONDS = 60.0
"""A label with at least this much speech is a voice the diarizer heard for a while; one with less joins at most one
other label (it may be fragments the diarizer cut off the onsets of several voices: on the h1 panel a label of 8 s,
"Please" of one voice and "We've" of another, once joined two voices of 293 and 85 s)."""

VOICE_LINKS = 3
"""Two labels with ``VOICE_SECONDS`` of speech each are one person only when at least this many sentences run
across their changes, whatever the share: a diarizer that cut one person in two for minutes cuts many of their
sentences.  On a 47-min panel (h1) one sentence of the chatter before the start, of two times the labels met,
joined a telephone-band panellist with a panellist at the table (263 and 287 s): SPLIT_SHARE alone counts
1 of 2 as a person."""


def label_groups(
    turns: Sequence[Turn], found: Sequence[tuple[str, str, Turn]]
) -> tuple[dict[str, str], list[tuple[str, str, Turn]]]:
    """Label → group id (labels of one person joined by '+'), and which of the split links ``found``
    (``split_links(turns)``) joined them."""
    parent: dict[str, str] = {t.label: t.label for t in turns}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    adjacent: Counter[tuple[str, str]] = Counter(
        tuple(sorted((a.label, b.label))) for a, b in zip(turns, turns[1:]) if a.label != b.label)
    per_pair = Counter(tuple(sorted((a, b))) for a, b, _ in found)
    spoken: Counter[str] = Counter()
    for t in turns:
        spoken[t.label] += t.end - t.start

    def joins(a: str, b: str) -> bool:
        n = per_pair[tuple(sorted((a, b)))]
        voices = min(spoken[a], spoken[b]) >= VOICE_SECONDS
        return n >= SPLIT_SHARE * adjacent[tuple(sorted((a, b)))] and (n >= VOICE_LINKS or not voices)

    links = [(a, b, t) for a, b, t in found if joins(a, b)]
    # a label of little speech (perhaps words at the onsets of several voices) joins the one label it shares most
    # sentences with; it never joins two voices to each other
    fragments = {lab for lab, s in spoken.items() if s < VOICE_SECONDS}
    for frag in fragments:
        partners = Counter(b if a == frag else a for a, b, _ in links if frag in (a, b))
        if partners:
            best = max(partners, key=lambda lab: (partners[lab], spoken[lab]))
            links = [x for x in links if frag not in x[:2] or best in x[:2]]
    for a, b, _ in links:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[str, list[str]] = {}
    for lab in parent:
        members.setdefault(find(lab), []).append(lab)
    group = {lab: "+".join(sorted(members[find(lab)])) for lab in parent}
    return group, links


def merge_turns(turns: Sequence[Turn], g) -> list[Turn]:
    """Consecutive turns of one group (one person) as one turn labelled by the group."""
    out: list[Turn] = []
    for t in turns:
        if out and out[-1].label == g(t.label):
            last = out[-1]
            out[-1] = dataclasses.replace(last, end=t.end, text=f"{last.text} {t.text}", words=last.words + t.words)
        else:
            out.append(dataclasses.replace(t, label=g(t.label)))
    return out


def collect_votes(
    turns: Sequence[Turn], people: Sequence[Person], options: NamingOptions, group: Mapping[str, str] | None = None
) -> list[Vote]:
    """Every piece of evidence in the turns, as group→person votes (a group is one or more labels)."""
    g = (lambda lab: group.get(lab, lab)) if group else (lambda lab: lab)
    turns = merge_turns(turns, g)
    forms = name_forms([p.name for p in people])
    orgs = affiliation_forms(people)
    votes: list[Vote] = []
    turns_seen: dict[str, int] = {}
    for k, turn in enumerate(turns):
        me = turn.label
        nth = turns_seen.get(me, 0)
        turns_seen[me] = nth + 1
        toks = tokens_of(turn)
        if not toks:
            continue
        previous: list[str] = []
        for t in reversed(turns[:k]):
            if t.label != me and t.label not in previous:
                previous.append(t.label)
        nxt = turns[k + 1] if k + 1 < len(turns) else None
        continues = nxt is not None and runs_on(turn.text, nxt.text)
        mentions = find_mentions(toks, forms, options) + role_mentions(toks, people)
        mentions.sort(key=lambda m: m.i)
        thanked = [
            m for m in mentions
            if m.i < options.thanks_words and matches_before(toks, m.i, [(w,) for w in THANKS], 4)
            and not any(ends_sentence(t.raw, closers=False) for t in toks[max(0, m.i - 4) : m.i])
        ]
        tail_from = max(0, len(toks) - options.handoff_words)
        unthanked = [x for x in mentions if x not in thanked]
        for m in mentions:
            snip = _snippet(toks, m.i, m.j)
            at = toks[m.i].start
            if m.kind != "role" and (
                matches_before(toks, m.i, SELF_BEFORE, 1)
                or (m.i <= 2 and _matches_after(toks, m.j, [("speaking",), ("here",)], 1))
            ):
                early = nth <= 1
                votes.append(Vote(me, m.person, (SELF_CLAIM if early else SELF_CLAIM / 2) * m.score,
                                  "self-introduction" if early else "late self-introduction", turn, at, snip))
                continue
            votes.append(Vote(me, m.person, -0.5 * m.score, "names someone else", turn, at, snip))
            if m in thanked:
                targets = previous[: len(thanked)]
                for target in targets:
                    votes.append(Vote(target, m.person, 2.0 * m.score / len(thanked), "thanks to the previous speaker", turn, at, snip))
                continue
            if nxt is None or continues:
                continue  # "Our rapporteur, Li Wei, | will publish …": one sentence the diarizer cut, no hand-off
            last = m is unthanked[-1]
            if m.i < tail_from:
                if last and m.kind != "role" and matches_before(toks, m.i, INVITE_BEFORE, 3):
                    votes.append(Vote(nxt.label, m.person, 1.5 * m.score, "hand-off to the next speaker", nxt, at, snip))
                continue
            last_start = _sentence_start(toks, len(toks) - 1)
            # "Rajesh, you work with engineers. Over to you.": the last two sentences
            in_last_two = last_start == 0 or _sentence_start(toks, last_start - 1) <= m.i
            reach = len(toks) - m.j if in_last_two else 3
            cue = matches_before(toks, m.i, HANDOFF_BEFORE, 3) or _matches_after(toks, m.j, HANDOFF_AFTER, reach)
            end = toks[m.j - 1].raw
            vocative = end.endswith((",", "?", ".", "!", "…")) or m.j == len(toks)
            question = end.endswith("?") and m.j >= len(toks) - 1
            titled = m.i > 0 and toks[m.i - 1].norm in ADDRESS_TITLES
            asks = toks[-1].raw.endswith("?") and (end.endswith(",") or titled)
            if (cue and vocative) or question or asks:
                w = 2.5 if last else 1.5
            elif cue:
                w = 1.5 if last else 1.0
            elif last and vocative and in_last_two:
                w = 1.2
            else:
                continue
            votes.append(Vote(nxt.label, m.person, w * m.score, "hand-off to the next speaker", nxt, at, snip))
        if nxt is not None and not any(v.turn is nxt and v.rule.startswith("hand-off") for v in votes):
            for i in range(max(0, len(toks) - 8), len(toks) - 1):
                if toks[i].norm in ADDRESS_TITLES and toks[i + 1].raw[:1].isupper() and toks[i + 1].norm not in STOPWORDS:
                    votes.append(Vote(nxt.label, "", 0.0, "addressed with a title by the previous speaker",
                                      nxt, toks[i].start, f"{toks[i].raw} {toks[i + 1].raw}"))
                    break
        # "I speak for a ministry …", "At UNESCO we …": the speaker's own organisation, once per turn
        for m in {m.person: m for m in reversed(affiliation_mentions(toks, orgs, options))}.values():
            if any(_sentence_start(toks, n.i) == _sentence_start(toks, m.i) for n in mentions):
                continue  # "… Xianhong Hu from UNESCO": the organisation of the person named
            if not any(v.turn is turn and v.person == m.person and v.rule.endswith("self-introduction") for v in votes):
                votes.append(Vote(me, m.person, 1.0 * m.score, "speaks for their organisation", turn,
                                  toks[m.i].start, _snippet(toks, m.i, m.j)))
        # a name not on the roster, from a self-introduction
        intro = self_introduced_name(turn.text)
        if intro and not any(v.rule.endswith("self-introduction") and v.turn is turn for v in votes):
            name, _ = intro
            if not any(similarity(name, p.name) >= options.min_similarity for p in people):
                early = nth <= 1
                heard = sounds_like(name, people)
                if heard:  # "My name is Clarwin Benardley" for Karim Benali-Aoun: the roster's spelling
                    votes.append(Vote(me, heard, 2.0 if early else 1.0, "self-introduction (the roster's name, misheard)",
                                      turn, turn.start, turn.text[:120]))
                else:
                    votes.append(Vote(me, name, SELF_CLAIM if early else SELF_CLAIM / 2, "self-introduction (not on the roster)", turn,
                                      turn.start, turn.text[:120]))
    votes.extend(_moderator_votes(turns, people, votes, g))
    return votes


_ONLINE_PLACE = re.compile(r"(?i)\b(chat|online|remote(?:ly)?|zoom|virtual(?:ly)?)\b")
_READS = re.compile(r"(?i)\b(questions?|comments?|asks?|asked|asking|writes|wrote|wants to know)\b")


RELAY_REACH = 5
"""Words: how close a question word and an online place stand in a sentence that relays the online room."""


def reads_online_questions(text: str) -> bool:
    """A sentence that relays the online room ("We have a question from the chat, from …", "Someone online
    asks …"), not one that asks for it ("Tomasz, do we have questions online?"), nor one that mentions both
    far apart (h1 panel, a panellist mid-answer: "… the questions from the floor, and it would have been
    nice to have another half hour, and to jump between remote participants and the room.", which gave her
    77-s turn to the online moderator's voice)."""
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if sentence.rstrip().endswith("?"):
            continue
        words = sentence.split()
        places = [i for i, w in enumerate(words) if _ONLINE_PLACE.search(w)]
        reads = [i for i, w in enumerate(words) if _READS.search(w)]
        if any(abs(i - j) <= RELAY_REACH for i in places for j in reads):
            return True
    return False


def _moderator_votes(turns: Sequence[Turn], people: Sequence[Person], votes: Sequence[Vote], g) -> list[Vote]:
    """The roster's lead moderator probably opens, closes and hands the floor to others; its online
    moderator relays the questions from the chat.  With several lead moderators (co-chairs) each cue is
    shared between them, so that other evidence decides which is which."""
    if not turns:
        return []
    out: list[Vote] = []
    leads = moderators(people, "lead")
    if leads:
        share = 1.0 / len(leads)
        first, last = turns[0], turns[-1]
        for mod in leads:
            out.append(Vote(g(first.label), mod, share, "moderator opens the session", first, first.start,
                            " ".join(first.text.split()[:12])))
            out.append(Vote(g(last.label), mod, share, "moderator closes the session", last, last.start,
                            " ".join(last.text.split()[:12])))
        givers: dict[str, list[Turn]] = {}
        index = {id(t): i for i, t in enumerate(turns)}
        for v in votes:
            if v.rule == "hand-off to the next speaker":
                idx = index.get(id(v.turn), 0)
                giver = next((t for t in reversed(turns[:idx]) if g(t.label) != v.label), None)
                if giver is not None:
                    givers.setdefault(g(giver.label), []).append(giver)
        ranked = sorted(givers.items(), key=lambda kv: -len(kv[1]))[: len(leads)]
        for who, ts in ranked:
            if len(ts) >= 2:
                for mod in leads:
                    out.append(Vote(who, mod, share, f"moderator: hands the floor over ({len(ts)} times)", ts[0],
                                    ts[0].start, ""))
    online = moderators(people, "online")
    if online:
        relays = [t for t in turns if reads_online_questions(t.text)]
        for t in relays:
            for mod in online:
                out.append(Vote(g(t.label), mod, 1.5 / len(online), "online moderator: relays a question from online",
                                t, t.start, " ".join(t.text.split()[:14])))
    return out


SELF_CLAIMS = ("self-introduction", "late self-introduction", "self-introduction (not on the roster)",
               "self-introduction (the roster's name, misheard)")
RELAY_CLAIM = "online moderator: relays a question from online"
CLAIM_WITHIN = 10.0
"""Seconds: a self-introduction this close to the start of a turn says who speaks in it."""


def heard_apart(
    turns: Sequence[Turn], votes: Sequence[Vote], people: Sequence[Person], group: Mapping[str, str],
    name_of: Mapping[str, str],
) -> dict[int, tuple[str, str, list[Vote], str | None]]:
    """Turns in which the speaker says who they are, unlike the name their voice was given: a diarizer that
    hears two voices as one (a floor speaker's "My name is Léa …" under a panellist's label; the online
    moderator's "We have a question from the chat" under a panellist's) would otherwise put them under
    one name.  Index of each such turn → (its new label, the person, the claims, the group it joins or
    None).  A claim counts when the turn itself holds less evidence for the name its voice was given (a
    floor speaker who says "My name is …" after the chair asked the online moderator for questions), the
    turns claimed are less than half of that voice's words, and (for relaying the chat) that name is no
    moderator's and the roster has one online moderator.  Claims for a name another voice was given join
    that voice; the others become a voice of their own, ``<label>.<n>``."""
    roles = {p.name: p.moderates for p in people}
    online = moderators(people, "online")
    words: Counter = Counter()
    for t in turns:
        words[group.get(t.label, t.label)] += len(t.words)
    support: Counter = Counter()
    for v in votes:
        if v.weight > 0:
            support[(id(v.turn), v.label, v.person)] += v.weight
    given = {person: gr for gr, person in name_of.items()}
    claimed: dict[tuple[str, str], list[tuple[Vote, list[int]]]] = {}
    for v in votes:
        gr, turn = v.label, v.turn
        if v.weight <= 0 or not v.person or gr != turn.label or v.person == name_of.get(gr):
            continue
        # saying who one is at the start of a turn counts as an early self-introduction, however late in the
        # voice's turns it comes (p1: a floor speaker heard as the online moderator's voice, after the chair's
        # "Tomasz, do we have questions online?")
        strength = max(v.weight, SELF_CLAIM) if v.rule in SELF_CLAIMS else v.weight
        if name_of.get(gr) and support[(id(turn), gr, name_of[gr])] >= strength:
            continue  # the turn is as much evidence for the voice's name: which is which is not known
        inside = [k for k, t in enumerate(turns) if group.get(t.label, t.label) == gr
                  and turn.start - 1e-6 <= t.start and t.end <= turn.end + 1e-6]
        if v.rule in SELF_CLAIMS:
            first = next((k for k in inside if turns[k].start <= v.at + 1e-6 <= turns[k].end + 1e-6), None)
            if first is None or v.at - turns[first].start > CLAIM_WITHIN:
                continue
            inside = [k for k in inside if k >= first]
        elif v.rule != RELAY_CLAIM or len(online) != 1 or roles.get(name_of.get(gr, ""), "") != "":
            continue
        claimed.setdefault((gr, v.person), []).append((v, inside))
    out: dict[int, tuple[str, str, list[Vote], str | None]] = {}
    count: Counter = Counter()
    for (gr, person), found in claimed.items():
        ks = sorted({k for _, inside in found for k in inside} - set(out))
        if not ks or sum(len(turns[k].words) for k in ks) >= 0.5 * words[gr]:
            continue
        joins = given.get(person)
        if joins is not None:
            label = joins.split("+")[0]
        else:
            base = gr.split("+")[0]
            count[base] += 1
            label = f"{base}.{count[base]}"
        for k in ks:
            out[k] = (label, person, [v for v, _ in found], joins)
    return out


# --------------------------------------------------------------- assignment


def _confidence(score: float, runner_up: float) -> float:
    strength = 1.0 - math.exp(-max(score, 0.0) / 2.0)
    margin = (score - max(runner_up, 0.0)) / score if score > 0 else 0.0
    return round(strength * (0.5 + 0.5 * max(0.0, min(1.0, margin))), 2)


def name_speakers(
    turns: Turns,
    session: Session,
    *,
    options: NamingOptions = NamingOptions(),
) -> tuple[Turns, dict[str, dict[str, Any]]]:
    """Name every diarization label; return new Turns and per-label naming evidence.

    The evidence maps label → ``{name, confidence, source, evidence: [{turn_id,
    start, text, rule, weight}]}``; ``source`` is ``speaker_map``, ``automatic``
    or ``unnamed``; ``same_person_as`` lists labels judged to be the same
    person cut in two by the diarizer.
    """
    order: list[str] = []
    for t in turns.turns:
        if t.label not in order:
            order.append(t.label)
    people = list(session.speakers)
    fixed = {lab: session.speaker_map[lab] for lab in order if lab in session.speaker_map}
    auto_turns = [t for t in turns.turns if t.label not in fixed]
    found = split_links(auto_turns)
    group, links = label_groups(auto_turns, found)
    # mapped labels keep their own identity; they still take part as neighbours
    g_all = {**{lab: lab for lab in fixed}, **group}
    votes = [v for v in collect_votes(turns.turns, people, options, g_all) if v.label not in fixed]
    # evidence points at the original turn holding its words (votes see merged turns)
    starts = [t.start for t in turns.turns]

    def where(v: Vote) -> dict[str, Any]:
        i = max(0, bisect.bisect_right(starts, v.at + 1e-6) - 1)
        return {**v.record(), "turn_id": turns.turns[i].id if turns.turns else v.turn.id}

    by_pair: dict[tuple[str, str], float] = {}
    for v in votes:
        if v.person:
            by_pair[(v.label, v.person)] = by_pair.get((v.label, v.person), 0.0) + v.weight
    taken = set(fixed.values())
    candidates = sorted({p for (_, p) in by_pair if p not in taken})
    groups: list[str] = []
    for lab in order:
        if lab not in fixed and group[lab] not in groups:
            groups.append(group[lab])
    scores = {gr: {p: by_pair.get((gr, p), 0.0) for p in candidates} for gr in groups}
    gname: dict[str, str] = {}
    if groups and candidates:
        from scipy.optimize import linear_sum_assignment

        m = np.full((len(groups), len(candidates) + len(groups)), options.min_score)
        for a, gr in enumerate(groups):
            for c, p in enumerate(candidates):
                m[a, c] = scores[gr][p]
        rows, cols = linear_sum_assignment(m, maximize=True)
        for a, c in zip(rows, cols):
            if c < len(candidates) and m[a, c] >= options.min_score:
                gname[groups[a]] = candidates[c]
    # a diarizer split the links did not catch: strong evidence of its own for a name already given, or
    # some evidence for the name of a group it shares a sentence with (too few such links to join them)
    near: dict[str, set[str]] = {}
    for a, b, _ in found:
        near.setdefault(group[a], set()).add(group[b])
        near.setdefault(group[b], set()).add(group[a])
    split: set[str] = set()
    for gr in groups:
        if gr in gname or not candidates:
            continue
        best = max(candidates, key=lambda p: scores[gr][p])
        negative = any(v.label == gr and v.person == best and v.weight < 0 for v in votes)
        linked = any(gname.get(other) == best for other in near.get(gr, ()))
        if scores[gr][best] >= (options.min_score if linked else options.split_score) and not negative:
            gname[gr] = best
            split.add(gr)

    # second pass: roster speakers nobody was given, for groups with weak evidence or addressed by title
    weak: dict[str, tuple[str, str]] = {}
    left = [p.name for p in people if p.role in SPEAKING_ROLES and p.name not in taken and p.name not in gname.values()]
    rest = [gr for gr in groups if gr not in gname]
    if left and rest:
        from scipy.optimize import linear_sum_assignment

        m = np.array([[scores[gr].get(p, 0.0) for p in left] for gr in rest])
        rows, cols = linear_sum_assignment(m, maximize=True)
        for a, c in zip(rows, cols):
            if m[a, c] >= options.min_score / 4:
                gname[rest[a]] = left[c]
                weak[rest[a]] = (left[c], "weak evidence; a roster speaker nobody else was given")
        left = [p for p in left if p not in gname.values()]
        for gr in [gr for gr in rest if gr not in gname]:
            called = [v for v in votes if v.label == gr and v.rule.startswith("addressed with a title")]
            if called and left:
                word = called[0].snippet.split()[-1].strip(".,;:!?")
                best = max(left, key=lambda p: similarity(word, p))
                gname[gr] = best
                weak[gr] = (best, "addressed with a title; the only roster speaker left" if len(left) == 1 else
                            "addressed with a title; the closest-sounding roster speaker left")
                left.remove(best)

    info: dict[str, dict[str, Any]] = {
        lab: {"name": name, "confidence": 1.0, "source": "speaker_map", "evidence": []} for lab, name in fixed.items()
    }
    unnamed: dict[str, str] = {}
    roster = {p.name for p in people}
    for gr in groups:
        gr_votes = [v for v in votes if v.label == gr]
        if gr in gname:
            name = gname[gr]
            others = [v for p, v in scores[gr].items() if p != name]
            rivals = [scores[o].get(name, 0.0) for o in groups if o != gr and gname.get(o) != name]
            entry = {
                "name": name,
                "confidence": _confidence(scores[gr].get(name, 0.0), max(others + rivals + [0.0])),
                "source": "automatic",
                "evidence": [where(v) for v in gr_votes if v.person == name and v.weight > 0],
                "against": [where(v) for v in gr_votes if v.person == name and v.weight < 0],
            }
            if gr in weak:
                entry["confidence"] = min(entry["confidence"], 0.3) or 0.2
                entry["evidence"] = entry["evidence"] + [where(v) for v in gr_votes if not v.person]
                entry["evidence"].append({"turn_id": "", "start": 0.0, "text": "", "rule": weak[gr][1], "weight": 0.0})
            if gr in split:
                entry["split"] = True
            if people and name not in roster:
                entry["on_roster"] = False  # a floor speaker named from their own words, spelled as heard
        else:
            base = options.unnamed if people else "Speaker"  # no roster: plain "Speaker N"
            name = base if (people and not unnamed) else f"{base} {len(unnamed) + 1}"
            unnamed[gr] = name
            entry = {
                "name": name,
                "confidence": 0.0,
                "source": "unnamed",
                "evidence": [where(v) | {"person": v.person} for v in gr_votes if v.weight > 0],
            }
        members = gr.split("+")
        for lab in members:
            e = dict(entry)
            if len(members) > 1:
                e["same_person_as"] = [x for x in members if x != lab]
                e["evidence"] = entry["evidence"] + [
                    {"turn_id": t.id, "start": t.start, "text": " ".join(t.text.split()[:10]),
                     "rule": "sentence continues across a label change (diarizer split)", "weight": 0.0}
                    for a, b, t in links if lab in (a, b)
                ][:3]
            info[lab] = e
    names = {lab: info[lab]["name"] for lab in order}
    relabel = heard_apart(turns.turns, votes, people, group, gname)
    for label, (person, claims, joins) in sorted({v[0]: v[1:] for v in relabel.values()}.items()):
        if joins is None:  # a voice of its own, split off the label its turns were heard under
            source = claims[0].turn.label.split("+")[0]
            info[label] = {"name": person, "confidence": _confidence(sum(c.weight for c in claims), 0.0),
                           "source": "automatic", "evidence": [where(c) for c in claims], "heard_apart_from": source}
            if people and person not in roster:
                info[label]["on_roster"] = False
            if label in session.speaker_map:  # the maintainer named the split-off voice: that wins
                info[label] = {"name": session.speaker_map[label], "confidence": 1.0, "source": "speaker_map",
                               "evidence": [], "heard_apart_from": source}
            names[label] = info[label]["name"]
            order.append(label)
    new_turns = tuple(
        dataclasses.replace(t, label=relabel[k][0], speaker=names[relabel[k][0]]) if k in relabel
        else dataclasses.replace(t, speaker=names.get(t.label, t.speaker))
        for k, t in enumerate(turns.turns)
    )
    params = dict(turns.parameters)
    params["naming"] = dataclasses.asdict(options)
    named = dataclasses.replace(turns, turns=new_turns, speakers=names, parameters=params)
    return named, {lab: info[lab] for lab in order}
