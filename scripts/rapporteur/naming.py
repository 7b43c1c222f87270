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

import dataclasses
import math
import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from .records import Turn, Turns
from .session import Person, Session

MODERATOR_ROLES = ("moderator", "chair")
TITLES = {
    "dr", "doctor", "ms", "mrs", "mr", "mister", "miss", "madam", "madame", "professor", "prof",
    "ambassador", "excellency", "he", "minister", "sir", "dame", "honourable", "honorable", "hon",
    "senator", "commissioner", "director", "president", "secretary", "general", "colleague", "dear",
    "friend", "mx",
}
# common words that must never be read as a name, however close they sound
STOPWORDS = set(
    """a an and are as at be but by can do for from go had has have he her here him his how i if in is it
    its me my no not now of on one or our out please say she so that the their them then there they this
    to too two up us was we well what when where who why will with yes you your thank thanks very much
    good morning afternoon evening hello welcome all everyone everybody floor over let hear next first
    last chair also just like back sure okay ok right time today question""".split()
)
THANKS = ("thank", "thanks")
SELF_BEFORE = (("my", "name", "is"), ("name", "is"), ("i", "am"), ("im",), ("this", "is"), ("called",), ("am",))
HANDOFF_BEFORE = (
    ("floor", "to"), ("give", "the", "floor"), ("pass", "to"), ("over", "to"), ("turn", "to"), ("invite",),
    ("call", "on"), ("hear", "from"), ("ask",), ("question", "for"), ("question", "to"), ("next",),
    ("speaker", "is"), ("welcome",), ("introduce",),
)
HANDOFF_AFTER = (
    ("over", "to", "you"), ("the", "floor", "is", "yours"), ("floor", "is", "yours"), ("please",),
    ("go", "ahead"), ("your", "turn"), ("you", "have", "the", "floor"), ("the", "floor"),
)
ROLE_WORDS = {"chair": MODERATOR_ROLES, "chairperson": MODERATOR_ROLES, "moderator": MODERATOR_ROLES}


@dataclass(frozen=True, kw_only=True)
class NamingOptions:
    """How speakers are named."""

    min_similarity: float = 0.8
    """0–1: how close (spelling or sound) a word group must be to a roster name form."""
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


# ------------------------------------------------------------------ names


def norm(text: str) -> str:
    """Lower-case ASCII letters only ("Tomás Ibáñez" → "tomasibanez")."""
    text = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^a-z]", "", text.encode("ascii", "ignore").decode().lower())


_PHONETIC = (
    ("sch", "s"), ("tsch", "c"), ("zh", "j"), ("dzh", "j"), ("dj", "j"), ("ph", "f"), ("th", "t"),
    ("ck", "k"), ("gh", "g"), ("kh", "k"), ("sh", "s"), ("ch", "c"), ("cz", "c"), ("sz", "s"),
    ("q", "c"), ("x", "s"), ("z", "s"), ("w", "v"), ("y", "i"), ("k", "c"), ("j", "g"), ("dh", "d"),
)


def phonetic(text: str) -> str:
    """A coarse sound key: similar consonants merged, vowel runs reduced to one 'a'."""
    s = norm(text)
    for a, b in _PHONETIC:
        s = s.replace(a, b)
    s = re.sub(r"(?<=.)h", "", s)
    s = re.sub(r"[aeiou]+", "a", s)
    return re.sub(r"(.)\1+", r"\1", s)


def similarity(a: str, b: str) -> float:
    """0–1 closeness of two names by spelling and by sound (the better of the two)."""
    na, nb = norm(a), norm(b)
    if not na or not nb:
        return 0.0
    if na == nb:
        return 1.0
    spell = SequenceMatcher(None, na, nb).ratio()
    pa, pb = phonetic(a), phonetic(b)
    sound = SequenceMatcher(None, pa, pb).ratio() if len(pa) >= 3 and len(pb) >= 3 else 0.0
    return max(spell, sound * 0.95)


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
            if n == 1 and group[0].norm in STOPWORDS:
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
                need = options.min_similarity + (0.0 if capital else 0.1)
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


def role_mentions(tokens: Sequence[Token], people: Sequence[Person]) -> list[Mention]:
    """"Chair" / "Moderator" as a way of addressing the roster's moderator."""
    out = []
    for i, t in enumerate(tokens):
        roles = ROLE_WORDS.get(t.norm)
        if not roles:
            continue
        who = [p.name for p in people if p.role in roles]
        if len(who) == 1:
            out.append(Mention(who[0], i, i + 1, 0.8, "role"))
    return out


_SELF_NAME = re.compile(
    r"\b(?:my name is|my name's|i am|i'm|this is)\s+((?:[A-Z][\w'’\-]+)(?:\s+(?:[A-Z][\w'’\-]+|van|von|de|da|del|der|al|bin|el|mac|mc)){0,3})"
)


def self_introduced_name(text: str) -> tuple[str, int] | None:
    """A name given in "My name is Kwame Boateng, …" (not on the roster); with its character offset."""
    for m in _SELF_NAME.finditer(text):
        words = [w for w in m.group(1).split() if norm(w) not in STOPWORDS or w[:1].isupper()]
        words = [w.strip(".,;:!?") for w in words]
        words = [w for w in words if norm(w) and norm(w) not in STOPWORDS and norm(w) not in TITLES]
        if words and (len(words) >= 2 or "name" in m.group(0).lower()):
            return " ".join(words), m.start(1)
    return None


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


def _matches_before(tokens: Sequence[Token], i: int, patterns: Iterable[tuple[str, ...]], reach: int) -> bool:
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
    while k > 0 and not tokens[k - 1].raw.endswith((".", "?", "!")):
        k -= 1
    return k


def collect_votes(turns: Sequence[Turn], people: Sequence[Person], extra_names: Sequence[str], options: NamingOptions) -> list[Vote]:
    """Every piece of evidence in the turns, as label→person votes."""
    forms = name_forms([p.name for p in people] + list(extra_names))
    votes: list[Vote] = []
    for k, turn in enumerate(turns):
        toks = tokens_of(turn)
        if not toks:
            continue
        label = turn.label
        prev_label = next((t.label for t in reversed(turns[:k]) if t.label != label), None)
        nxt = next((t for t in turns[k + 1 :] if t.label != label), None)
        mentions = find_mentions(toks, forms, options) + role_mentions(toks, people)
        mentions.sort(key=lambda m: m.i)
        thanked = [m for m in mentions if m.i < options.thanks_words and _matches_before(toks, m.i, [(w,) for w in THANKS], 4)]
        tail_from = max(0, len(toks) - options.handoff_words)
        for m in mentions:
            snip = _snippet(toks, m.i, m.j)
            at = toks[m.i].start
            if _matches_before(toks, m.i, SELF_BEFORE, 1) or (
                m.i <= 2 and _matches_after(toks, m.j, [("speaking",), ("here",)], 1)
            ):
                votes.append(Vote(label, m.person, 3.0 * m.score, "self-introduction", turn, at, snip))
                continue
            votes.append(Vote(label, m.person, -1.0 * m.score, "names someone else", turn, at, snip))
            if m in thanked:
                if prev_label is not None:
                    votes.append(Vote(prev_label, m.person, 2.0 * m.score / len(thanked), "thanks to the previous speaker", turn, at, snip))
                continue
            if nxt is None or m.i < tail_from:
                continue
            last = m is [x for x in mentions if x not in thanked][-1]
            cue = _matches_before(toks, m.i, HANDOFF_BEFORE, 3) or _matches_after(toks, m.j, HANDOFF_AFTER, 3)
            question = toks[m.j - 1].raw.endswith("?") and m.j >= len(toks) - 1
            in_last_sentence = _sentence_start(toks, len(toks) - 1) <= m.i or m.j >= len(toks) - 2
            if cue or question:
                w = 2.5 if last else 1.5
            elif last and in_last_sentence:
                w = 1.2
            else:
                continue
            votes.append(Vote(nxt.label, m.person, w * m.score, "hand-off to the next speaker", nxt, at, snip))
        # a name not on the roster, from a self-introduction
        intro = self_introduced_name(turn.text)
        if intro and not any(v.rule == "self-introduction" and v.turn is turn for v in votes):
            name, _ = intro
            if not any(similarity(name, p.name) >= options.min_similarity for p in people):
                votes.append(Vote(label, name, 3.0, "self-introduction (not on the roster)", turn, turn.start, turn.text[:120]))
    votes.extend(_moderator_votes(turns, people, votes))
    return votes


def _moderator_votes(turns: Sequence[Turn], people: Sequence[Person], votes: Sequence[Vote]) -> list[Vote]:
    """The roster's moderator probably opens, closes and hands the floor to others."""
    mods = [p.name for p in people if p.role in MODERATOR_ROLES]
    if len(mods) != 1 or not turns:
        return []
    mod = mods[0]
    out: list[Vote] = []
    first, last = turns[0], turns[-1]
    out.append(Vote(first.label, mod, 1.0, "moderator opens the session", first, first.start, first.text[:80]))
    out.append(Vote(last.label, mod, 1.0, "moderator closes the session", last, last.start, last.text[:80]))
    handoffs: dict[str, int] = {}
    for v in votes:
        if v.rule == "hand-off to the next speaker":
            # the speaker of the turn before the one voted for made the hand-off
            idx = next((i for i, t in enumerate(turns) if t is v.turn), None)
            if idx:
                giver = next((t.label for t in reversed(turns[:idx]) if t.label != v.label), None)
                if giver:
                    handoffs[giver] = handoffs.get(giver, 0) + 1
    if handoffs:
        giver, n = max(handoffs.items(), key=lambda kv: kv[1])
        if n >= 2:
            t = next(t for t in turns if t.label == giver)
            out.append(Vote(giver, mod, 1.0, f"moderator hands the floor over ({n} hand-offs)", t, t.start, ""))
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
    or ``unnamed``.
    """
    order: list[str] = []
    for t in turns.turns:
        if t.label not in order:
            order.append(t.label)
    people = list(session.speakers)
    fixed = {lab: session.speaker_map[lab] for lab in order if lab in session.speaker_map}
    votes = collect_votes(turns.turns, people, [], options)

    by_pair: dict[tuple[str, str], float] = {}
    for v in votes:
        by_pair[(v.label, v.person)] = by_pair.get((v.label, v.person), 0.0) + v.weight
    taken = set(fixed.values())
    candidates = sorted({p for (_, p) in by_pair if p not in taken})
    auto = [lab for lab in order if lab not in fixed]
    names: dict[str, str] = dict(fixed)
    info: dict[str, dict[str, Any]] = {
        lab: {"name": name, "confidence": 1.0, "source": "speaker_map", "evidence": []} for lab, name in fixed.items()
    }
    scores = {lab: {p: by_pair.get((lab, p), 0.0) for p in candidates} for lab in auto}
    if auto and candidates:
        from scipy.optimize import linear_sum_assignment

        m = np.full((len(auto), len(candidates) + len(auto)), options.min_score)
        for a, lab in enumerate(auto):
            for c, p in enumerate(candidates):
                m[a, c] = scores[lab][p]
        rows, cols = linear_sum_assignment(m, maximize=True)
        for a, c in zip(rows, cols):
            if c < len(candidates) and m[a, c] >= options.min_score:
                names[auto[a]] = candidates[c]
    # a diarizer split: a second label with strong evidence of its own for a name already given
    for lab in auto:
        if lab in names or not candidates:
            continue
        best = max(candidates, key=lambda p: scores[lab][p])
        negative = any(v.label == lab and v.person == best and v.weight < 0 for v in votes)
        if scores[lab][best] >= options.split_score and not negative:
            names[lab] = best
            info[lab] = {"split": True}
    n_unnamed = 0
    for lab in auto:
        lab_votes = [v for v in votes if v.label == lab]
        if lab in names:
            name = names[lab]
            others = [s for p, s in scores[lab].items() if p != name]
            rivals = [scores[o].get(name, 0.0) for o in auto if o != lab and names.get(o) != name]
            runner = max(others + rivals + [0.0])
            info[lab] = {
                "name": name,
                "confidence": _confidence(scores[lab][name], runner),
                "source": "automatic",
                **({"split": True} if info.get(lab, {}).get("split") else {}),
                "evidence": [v.record() for v in lab_votes if v.person == name],
            }
        else:
            n_unnamed += 1
            name = options.unnamed if n_unnamed == 1 else f"{options.unnamed} {n_unnamed}"
            names[lab] = name
            info[lab] = {
                "name": name,
                "confidence": 0.0,
                "source": "unnamed",
                "evidence": [v.record() | {"person": v.person} for v in lab_votes if v.weight > 0],
            }
    new_turns = tuple(dataclasses.replace(t, speaker=names.get(t.label, t.speaker)) for t in turns.turns)
    params = dict(turns.parameters)
    params["naming"] = dataclasses.asdict(options)
    named = dataclasses.replace(turns, turns=new_turns, speakers={lab: names[lab] for lab in order}, parameters=params)
    return named, info


def describe(info: Mapping[str, Mapping[str, Any]]) -> str:
    """One line per label: who, how sure, and the strongest evidence."""
    lines = []
    for lab, d in info.items():
        ev = sorted(d.get("evidence", []), key=lambda e: -e["weight"])[:2]
        why = "; ".join(f"{e['rule']} @{e['start']:.1f}s: “{e['text']}”" for e in ev)
        lines.append(f"{lab} → {d['name']} ({d['source']}, {d['confidence']:.2f}){': ' + why if why else ''}")
    return "\n".join(lines)
