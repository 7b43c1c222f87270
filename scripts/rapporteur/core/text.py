"""Text helpers shared by the stages and the site: clocks, sentence ends, names, stopwords.

A leaf module (standard library only), so every layer may use it.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from difflib import SequenceMatcher

# ------------------------------------------------------------------ clocks


def mmss(seconds: float) -> str:
    """Whole seconds, rounded down, as ``mm:ss`` (``h:mm:ss`` past an hour)."""
    total = max(0, int(math.floor(seconds + 1e-9)))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def fmt_clock(seconds: float) -> str:
    """``h:mm:ss`` (or ``m:ss`` under an hour), for progress lines."""
    seconds = max(0, int(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def format_hms(seconds: float) -> str:
    """``hh:mm:ss`` (seconds floored), for transcripts and exports."""
    s = max(0, int(math.floor(seconds + 1e-6)))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


# ------------------------------------------------------------------ sentence ends

SENTENCE_MARKS = (".", "?", "!", "…", "。", "？", "！")
"""What ends a sentence, Latin and CJK (full-width) punctuation."""
CLAUSE_MARKS = (",", ";", ":", "—", "–", "、", "，", "；", "：")
"""What ends a clause: a weaker place to cut a line."""
CLOSERS = ("\"", "'", "”", "’", "»", ")", "]")
"""Closing quotes and brackets that may follow a sentence end ("… said." / "(yes.)")."""

_MARKS = re.escape("".join(SENTENCE_MARKS))
_CLOSE = re.escape("".join(CLOSERS))
SENTENCE_END = re.compile(rf"[{_MARKS}][{_CLOSE}]*$")
"""A word that ends a sentence, closing quotes and brackets allowed after the mark."""
CLAUSE_END = re.compile(rf"[{re.escape(''.join(CLAUSE_MARKS))}][{_CLOSE}]*$")
ABBREVIATIONS = ("mr", "mrs", "ms", "mx", "dr", "prof")
"""Titles written with a full stop before a name ("Thank you, Ms. Huerta."): their stop ends no sentence."""
_ABBREVIATED = "".join(rf"(?<!\b(?i:{a})\.)" for a in ABBREVIATIONS)
SENTENCE_SPLIT = re.compile(rf"(?<=[{_MARKS}]){_ABBREVIATED}\s+")
"""Where running text splits into sentences (not after "Ms.", "Dr." …)."""


def ends_sentence(word: str, *, closers: bool = True) -> bool:
    """Whether ``word`` (surrounding spaces ignored) ends a sentence; a title's abbreviation ("Ms.", "Dr.")
    does not (measured on a 46-min panel: "Thank you very much, Ms. Huerta." had stopped being thanks).

    ``closers=False``: the mark must be the very last character (``said."`` does not end
    one), as speaker attribution and naming have always read it.
    """
    word = word.strip()
    if word.endswith(".") and word[:-1].lower().lstrip("(\"'“") in ABBREVIATIONS:
        return False
    return bool(SENTENCE_END.search(word)) if closers else word.endswith(SENTENCE_MARKS)


# ------------------------------------------------------------------ names


def ascii_fold(text: str) -> str:
    """Lower case with accents dropped ("Tomás Ibáñez" → "tomas ibanez")."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def norm(text: str) -> str:
    """Lower-case ASCII letters only ("Tomás Ibáñez" → "tomasibanez"): how names are compared."""
    return re.sub(r"[^a-z]", "", ascii_fold(text))


def norm_token(text: str) -> str:
    """Lower-case ASCII letters and digits only ("2030," → "2030"): how words are aligned."""
    return re.sub(r"[^a-z0-9]", "", ascii_fold(text))


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


@functools.lru_cache(maxsize=65536)
def similarity(a: str, b: str) -> float:
    """0–1 closeness of two names by spelling and by sound (the better of the two)."""
    na, nb = norm(a), norm(b)
    if not na or not nb:
        return 0.0
    if na == nb:
        return 1.0
    spell = SequenceMatcher(None, na, nb).ratio()
    pa, pb = phonetic(a), phonetic(b)
    if len(pa) < 3 or len(pb) < 3 or spell < 0.4:
        return spell
    sound = SequenceMatcher(None, pa, pb).ratio()
    if spell < 0.6 and (sound < 0.85 or min(len(pa), len(pb)) < 4):
        sound = 0.0  # spelt far apart ("Voycheek" for "Wójcik"): only a close sound counts
    return max(spell, sound * 0.95)


# ------------------------------------------------------------------ stopwords
# Two lists on purpose: naming must never read a common word of a meeting as a name
# ("floor", "chair", "question"); agenda placement drops function words before comparing
# an item's title with what is said.

NAME_STOPWORDS = frozenset(
    """a an and are as at be but by can do for from go had has have he her here him his how i if in is it
    its me my no not now of on one or our out please say she so that the their them then there they this
    to too two up us was we well what when where who why will with yes you your thank thanks very much
    good morning afternoon evening hello welcome all everyone everybody floor over let hear next first
    last chair also just like back sure okay ok right time today question name mind""".split()
)
"""Common words that must never be read as a name, however close they sound."""

CONTENT_STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just let lets
    me more most my myself no nor not now of off on once only or other our ours ourselves out over own
    same she should so some such than that the their theirs them themselves then there these they this
    those through to too under until up very was we were what when where which while who whom why will
    with would you your yours yourself yourselves us yes okay ok well really thank thanks please""".split()
)
"""Function words left out when comparing what is said with titles and summaries."""


# ------------------------------------------------------------------ self-introductions

TITLES = {  # words before a name that are not the name
    "dr", "doctor", "ms", "mrs", "mr", "mister", "miss", "madam", "madame", "professor", "prof",
    "ambassador", "excellency", "he", "minister", "sir", "dame", "honourable", "honorable", "hon",
    "senator", "commissioner", "director", "president", "secretary", "general", "colleague", "dear",
    "friend", "mx",
}

_SELF_NAME = re.compile(
    r"\b(?i:my name is|my name's|i am|i'm|this is)\s+((?:[A-Z][\w'’\-]+)(?:\s+(?:[A-Z][\w'’\-]+|van|von|de|da|del|der|al|bin|el|mac|mc)){0,3})"
)


def self_introduced_name(text: str) -> tuple[str, int] | None:
    """The name someone gives for themselves in "My name is Kwame Boateng, …", with its character offset."""
    for m in _SELF_NAME.finditer(text):
        words = [w for w in m.group(1).split() if norm(w) not in NAME_STOPWORDS or w[:1].isupper()]
        words = [w.strip(".,;:!?") for w in words]
        words = [w for w in words if norm(w) and norm(w) not in NAME_STOPWORDS and norm(w) not in TITLES]
        if words and (len(words) >= 2 or "name" in m.group(0).lower()):
            return " ".join(words), m.start(1)
    return None
