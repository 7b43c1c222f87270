"""captions: IGF's human "raw captioning" transcripts, aligned to the ASR words.

A raw caption file is plain text: ``>> NAME:`` opens a turn (sometimes only
``>>``), lines follow without timestamps, with captioning errors, and a header
before the first turn.  ``align`` lines the caption words up with the ASR words
(longest matching blocks, which survive insertions, deletions and mis-hearings
on either side; words in between are spread over the gap) and returns turns
whose boundaries and names come from the captions and whose times come from
the ASR.  Where the captions are missing, the ASR turns fill in.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Sequence

from .errors import SessionError
from .core.records import Turn, Turns, Word, sec, turn_id
from .core.session import Person
from .core.text import norm, norm_token, similarity

_TURN = re.compile(r"^\s*>>+\s*(?:([^:\n]{1,60}?)\s*:\s+|([^:\n]{1,60}?)\s*:$)?(.*)$")
_NOISE = re.compile(r"[\[(](?:applause|laughter|inaudible|music|silence|no audio|crosstalk|pause|indiscernible|audio [^\])]*)[\])]", re.I)
GENERIC = {"speaker", "male speaker", "female speaker", "voice", "unidentified speaker", "interpreter", "captioner"}
FLOOR = {"audience", "participant", "audience member", "floor", "attendee", "question", "online participant"}

@dataclass(frozen=True, kw_only=True)
class CaptionTurn:
    """One ``>>`` turn of a caption file; ``speaker`` is "" when the captioner gave no name."""

    index: int
    speaker: str
    text: str
    raw_speaker: str = ""

@dataclass(frozen=True, kw_only=True)
class CaptionOptions:
    """How captions and ASR are combined."""

    text: str = "captions"
    """Which words turns show: ``captions`` (the human text) or ``asr``."""
    min_uncaptioned: float = 4.0
    """Seconds: ASR speech this long with no caption becomes its own turn (ASR text)."""
    min_name_similarity: float = 0.75
    """0–1: how close a caption name must be to a roster name to take the roster's spelling."""
    snap: float = 1.5
    """Seconds: a turn start moves to a diarized change to the same speaker this close (0: never)."""

def _name(raw: str) -> str:
    raw = re.sub(r"\s+", " ", raw).strip(" .-")
    if raw.casefold() in GENERIC:
        return ""
    if raw.casefold() in FLOOR or any(SequenceMatcher(None, raw.casefold(), f).ratio() >= 0.85 for f in FLOOR):
        return "Participant"
    if raw.isupper() or raw.islower():
        raw = " ".join("-".join(p[:1].upper() + p[1:].lower() for p in w.split("-")) for w in raw.split())
    return raw

def parse_captions(text: str) -> list[CaptionTurn]:
    """The ``>>`` turns of a raw caption file (header lines before the first turn are dropped)."""
    turns: list[dict] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        m = _TURN.match(line)
        if m and line.lstrip().startswith(">>"):
            raw = (m.group(1) or m.group(2) or "").strip()
            body = m.group(3)
            # ">> So: the point is" is not a name; names are short and mostly capitalised words
            words = raw.split()
            looks_like_name = raw.isupper() or (1 < len(words) <= 5 and all(w[:1].isupper() for w in words if len(w) > 3))
            if raw and not looks_like_name:
                body, raw = f"{raw}: {body}", ""
            turns.append({"raw": raw, "lines": [body]})
        elif turns:
            turns[-1]["lines"].append(line)
    out = []
    for i, t in enumerate(turns):
        body = _NOISE.sub(" ", " ".join(t["lines"]))
        body = re.sub(r"\s+", " ", body).strip()
        if not body:
            continue
        out.append(CaptionTurn(index=len(out), speaker=_name(t["raw"]), text=body, raw_speaker=t["raw"]))
    return out

@dataclass
class _Tok:
    turn: int
    text: str
    norm: str
    start: float = -1.0
    end: float = -1.0
    asr: int = -1  # index of the ASR word it was aligned to (-1: none)
    exact: bool = False

@dataclass(frozen=True, kw_only=True)
class Alignment:
    """The result of ``align_words``: caption tokens with times, and what matched."""

    tokens: tuple = field(default_factory=tuple)
    asr_used: tuple[bool, ...] = ()
    coverage: float = 0.0
    """Share of caption words aligned to an identical ASR word."""
    asr_coverage: float = 0.0
    """Share of ASR words aligned to an identical caption word."""

def _fuzzy_pairs(a: Sequence[str], b: Sequence[str], min_sim: float = 0.5) -> list[tuple[int, int]]:
    """Needleman–Wunsch over two short word lists; pairs of similar words (index in a, index in b)."""
    n, m = len(a), len(b)
    gap = -0.4
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        score[i][0] = i * gap
    for j in range(1, m + 1):
        score[0][j] = j * gap
    sims: dict[tuple[int, int], float] = {}
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            sim = SequenceMatcher(None, a[i - 1], b[j - 1]).ratio()
            sims[i, j] = sim
            diag = score[i - 1][j - 1] + (sim if sim >= min_sim else -0.3)
            score[i][j] = max(diag, score[i - 1][j] + gap, score[i][j - 1] + gap)
    pairs = []
    i, j = n, m
    while i > 0 and j > 0:
        sim = sims[i, j]
        if score[i][j] == score[i - 1][j - 1] + (sim if sim >= min_sim else -0.3):
            if sim >= min_sim:
                pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif score[i][j] == score[i - 1][j] + gap:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]

def _interpolate(toks: list, a0: int, a1: int, asr: Sequence[Word], b0: int, b1: int) -> None:
    """Caption words in toks[a0:a1] still without a time: spread between their timed neighbours."""
    k = a0
    while k < a1:
        if toks[k].start >= 0:
            k += 1
            continue
        e = k
        while e < a1 and toks[e].start < 0:
            e += 1
        t0 = toks[k - 1].end if k > 0 and toks[k - 1].start >= 0 else (asr[b0 - 1].end if b0 > 0 else (asr[0].start if asr else 0.0))
        t1 = toks[e].start if e < len(toks) and toks[e].start >= 0 else (asr[b1].start if b1 < len(asr) else t0)
        t1 = max(t1, t0)
        for x in range(k, e):
            toks[x].start = toks[x].end = t0 + (t1 - t0) * (x - k + 0.5) / (e - k)
        k = e

@dataclass(frozen=True)
class _Block:
    a: int
    b: int
    size: int

def _monotone_blocks(a: Sequence[str], b: Sequence[str], chunk: int = 400) -> list[_Block]:
    """Matching runs of identical words, in order on both sides, ending with a (len(a), len(b), 0) sentinel.

    The caption side is taken in chunks, each matched against a window of the
    ASR side after the previous match, so repeated phrases far apart never
    pair up; a chunk that matches poorly is retried against all that is left.
    """
    pairs: list[tuple[int, int]] = []
    pos_b = 0
    for a0 in range(0, len(a), chunk):
        a1 = min(len(a), a0 + chunk)
        found: list[tuple[int, int]] = []
        for b1 in (min(len(b), pos_b + 3 * chunk // 2), len(b)):
            sm = SequenceMatcher(None, a[a0:a1], b[pos_b:b1], autojunk=False)
            found = [(a0 + m.a + k, pos_b + m.b + k) for m in sm.get_matching_blocks() for k in range(m.size)]
            if len(found) >= 0.3 * (a1 - a0) or b1 == len(b):
                break
        pairs.extend(found)
        if found:
            pos_b = found[-1][1] + 1
    blocks: list[_Block] = []
    for i, j in pairs:
        if blocks and blocks[-1].a + blocks[-1].size == i and blocks[-1].b + blocks[-1].size == j:
            blocks[-1] = _Block(blocks[-1].a, blocks[-1].b, blocks[-1].size + 1)
        else:
            blocks.append(_Block(i, j, 1))
    # a lone short word ("are", "the") is no anchor: it can pair across a turn and skip the words
    # around it; the gap alignment (Needleman–Wunsch) places it among its neighbours instead
    blocks = [bl for bl in blocks if bl.size > 1 or len(a[bl.a]) > 3]
    blocks.append(_Block(len(a), len(b), 0))
    return blocks

def align_words(captions: Sequence[CaptionTurn], words: Sequence[Word]) -> Alignment:
    """Time every caption word from the ASR words (exact matches, then gaps spread evenly)."""
    toks: list[_Tok] = []
    for c in captions:
        for w in c.text.split():
            n = norm_token(w)
            if n:
                toks.append(_Tok(c.index, w, n))
    asr = [w for w in words if norm_token(w.text)]
    a_norm = [norm_token(w.text) for w in asr]
    used = [False] * len(asr)
    blocks = _monotone_blocks([t.norm for t in toks], a_norm)
    for b in blocks:
        for k in range(b.size):
            t, w = toks[b.a + k], asr[b.b + k]
            t.start, t.end, t.asr, t.exact = w.start, w.end, b.b + k, True
            used[b.b + k] = True
    # gaps between matched blocks: mis-heard words pair up by spelling; the rest are spread in time
    prev_a, prev_b = 0, 0
    for b in blocks:
        ca, cb = b.a - prev_a, b.b - prev_b
        if ca > 0 and cb > 0 and ca * cb <= 250_000:
            for i, j in _fuzzy_pairs([t.norm for t in toks[prev_a : b.a]], a_norm[prev_b : b.b]):
                t, w = toks[prev_a + i], asr[prev_b + j]
                t.start, t.end, t.asr, t.exact = w.start, w.end, prev_b + j, t.norm == a_norm[prev_b + j]
                used[prev_b + j] = used[prev_b + j] or t.exact
        if ca > 0:
            _interpolate(toks, prev_a, b.a, asr, prev_b, b.b)
        prev_a, prev_b = b.a + b.size, b.b + b.size
    exact = sum(t.exact for t in toks)
    return Alignment(
        tokens=tuple(toks),
        asr_used=tuple(used),
        coverage=exact / len(toks) if toks else 0.0,
        asr_coverage=exact / len(asr) if asr else 0.0,
    )

def _roster_name(name: str, roster: Sequence[str], threshold: float) -> str:
    if not name or not roster:
        return name
    best = max(roster, key=lambda r: similarity(name, r))
    if similarity(name, best) >= threshold:
        return best
    # a caption may give only a surname or first name ("MS. HU")
    parts = [p for p in re.split(r"[\s.]+", name) if len(norm(p)) >= 2 and norm(p) not in ("mr", "ms", "mrs", "dr", "he")]
    for r in roster:
        if parts and all(any(norm(p) == norm(q) for q in r.split()) for p in parts):
            return r
    return name

def _speaker_at(named: Turns | None, start: float, end: float, *, not_: set[str] = frozenset()) -> str:
    """The speaker ``named`` gives most of [start, end] to, leaving out ``not_``."""
    if named is None:
        return ""
    overlap: dict[str, float] = {}
    for t in named.turns:
        ov = min(end, t.end) - max(start, t.start)
        if ov > 0 and t.speaker not in not_:
            overlap[t.speaker] = overlap.get(t.speaker, 0.0) + ov
    return max(overlap, key=overlap.get) if overlap else ""

def _snap(start: float, name: str, named: Turns | None, reach: float, *, not_before: float = float("-inf")) -> float:
    """Move a caption turn's start to the nearest diarized change of speaker to ``name``.

    Never back over the previous caption turn's words (``not_before``): a diarizer that
    missed a half-second "Joanna?" must not hand the moderator's word to Joanna.
    """
    if named is None or not name or reach <= 0:
        return start
    best, prev = None, None
    for t in named.turns:
        if t.speaker == name and prev != name and abs(t.start - start) <= reach and t.start >= not_before - 0.05:
            if best is None or abs(t.start - start) < abs(best - start):
                best = t.start
        prev = t.speaker
    return start if best is None else best

def _addressed(text: str, people: Sequence[Person]) -> set[str]:
    """Roster people a caption turn names without introducing themselves (so not its speaker)."""
    from .naming import SELF_BEFORE, NamingOptions, Token, matches_before, find_mentions, name_forms, norm

    toks = [Token(w, norm(w.replace("'", "")), 0.0, 0.0) for w in text.split() if norm(w)]
    forms = name_forms([p.name for p in people])
    return {m.person for m in find_mentions(toks, forms, NamingOptions()) if not matches_before(toks, m.i, SELF_BEFORE, 1)}

def _unnamed_turn_speaker(c: CaptionTurn, start: float, end: float, named: Turns | None, people: Sequence[Person]) -> str:
    """A ``>>`` turn without a name: the diarized speaker, unless the turn addresses that person
    ("Joanna?" is not said by Joanna); a hand-off nobody else could have made is the moderator's."""
    addressed = _addressed(c.text, people) if people else set()
    who = _speaker_at(named, start, end, not_=addressed)
    if who:
        return who
    mods = [p.name for p in people if p.moderates == "lead"]
    if addressed and len(mods) == 1 and mods[0] not in addressed:
        return mods[0]
    return ""

def align(
    captions: Sequence[CaptionTurn],
    words: Sequence[Word],
    *,
    roster: Sequence[Person | str] = (),
    named: Turns | None = None,
    options: CaptionOptions = CaptionOptions(),
) -> tuple[list[Turn], float]:
    """Caption turns timed from the ASR words; returns (turns, coverage).

    Names come from the captions (respelled as on the roster when close);
    a caption turn without a name takes the speaker that ``named`` (the
    diarized, named ASR turns) gives most of its time.  ASR speech with no
    captions for ``min_uncaptioned`` seconds is kept as ASR turns.
    ``coverage`` is the share of caption words matched to an identical ASR word.
    """
    if options.text not in ("captions", "asr"):
        raise ValueError("CaptionOptions.text must be 'captions' or 'asr'")
    people = [p if isinstance(p, Person) else Person(name=p) for p in roster]
    names = [p.name for p in people]
    al = align_words(captions, words)
    asr = [w for w in words if norm_token(w.text)]
    by_turn: dict[int, list[_Tok]] = {}
    for t in al.tokens:
        by_turn.setdefault(t.turn, []).append(t)
    spans: list[tuple[CaptionTurn, float, float, list[_Tok]]] = []
    for c in captions:
        toks = by_turn.get(c.index)
        if not toks:
            continue
        # the turn starts at its first word paired with an ASR word, unless many words come before it
        first = next((k for k, t in enumerate(toks) if t.asr >= 0), 0)
        start = toks[first].start if first <= 3 else toks[0].start
        end = max(t.end for t in toks)
        spans.append((c, start, end, toks))
    # ASR word → caption turn (by alignment), for the ASR text choice and for gaps
    owner = [-1] * len(asr)
    for c, _, _, toks in spans:
        for t in toks:
            if t.asr >= 0:
                owner[t.asr] = c.index
    out: list[Turn] = []
    used_ids: set[str] = set()

    def emit(start: float, end: float, speaker: str, label: str, ws: tuple[Word, ...]) -> None:
        tid = turn_id(start)
        while tid in used_ids:
            tid += "b"
        used_ids.add(tid)
        text = "".join(w.text for w in ws).strip()
        out.append(Turn(id=tid, start=sec(start), end=sec(end), label=label, speaker=speaker, text=text, words=ws))

    items: list[tuple[float, str, object]] = [(s, "caption", (c, s, e, toks)) for c, s, e, toks in spans]
    # uncaptioned stretches of ASR speech
    run: list[int] = []
    for i in range(len(asr) + 1):
        if i < len(asr) and owner[i] == -1 and not al.asr_used[i]:
            inside = any(s <= asr[i].start <= e for _, s, e, _ in spans)
            if not inside:
                run.append(i)
                continue
        if run and asr[run[-1]].end - asr[run[0]].start >= options.min_uncaptioned:
            items.append((asr[run[0]].start, "asr", list(run)))
        run = []
    items.sort(key=lambda x: x[0])
    prev_end = float("-inf")
    for _, kind, payload in items:
        if kind == "caption":
            c, s, e, toks = payload
            name = _roster_name(c.speaker, names, options.min_name_similarity) or _unnamed_turn_speaker(c, s, e, named, people)
            s = _snap(s, name, named, options.snap, not_before=prev_end)
            prev_end = max(prev_end, e)
            if options.text == "captions":
                ws = tuple(Word(start=sec(t.start), end=sec(max(t.end, t.start)), text=" " + t.text) for t in toks)
            else:
                ws = tuple(asr[i] for i in range(len(asr)) if owner[i] == c.index)
            emit(s, e, name, f"CAPTION_{c.index}", ws)
        else:
            ws = tuple(asr[i] for i in payload)
            emit(ws[0].start, ws[-1].end, _speaker_at(named, ws[0].start, ws[-1].end), "ASR", ws)
    return out, al.coverage

# ------------------------------------------------------------ session wiring

def read_captions(source: str, session_dir: Path) -> list[CaptionTurn]:
    """Parse a caption file inside the session folder; a URL is read from the copy the fetch
    stage saved (``captions.txt``, see ``fetch.fetch_captions``)."""
    if re.match(r"^https?://", source):
        from .core.folder import SessionFolder

        fetched = SessionFolder(session_dir).fetched_captions(source)
        if fetched is None:
            raise SessionError(f"the captions at {source} are not fetched yet", path=Path(session_dir) / "session.yaml",
                               hint="run `rapporteur fetch` (or `rapporteur run`) for this session")
        source = fetched.name
    path = Path(session_dir) / source
    if Path(source).is_absolute() or ".." in Path(source).parts:
        raise SessionError("captions: must be a file inside the session folder or a URL", path=Path(session_dir) / "session.yaml")
    try:
        return parse_captions(path.read_text(encoding="utf-8", errors="replace"))
    except OSError as exc:
        raise SessionError(f"cannot read the captions ({exc.strerror})", path=path) from None

def captioned_turns(
    named: Turns, words: Sequence[Word], captions: Sequence[CaptionTurn], roster: Sequence[Person | str],
    *, options: CaptionOptions = CaptionOptions(),
) -> Turns:
    """``align`` wrapped as a Turns record: speakers by label, coverage in ``parameters``."""
    turns, coverage = align(captions, words, roster=roster, named=named, options=options)
    al = align_words(captions, words)
    params = dict(named.parameters)
    params["captions"] = {
        **dataclasses.asdict(options),
        "coverage": round(coverage, 4),
        "asr_coverage": round(al.asr_coverage, 4),
        "caption_turns": len(captions),
        "uncaptioned_turns": sum(t.label == "ASR" for t in turns),
    }
    speakers: dict[str, str] = {}
    for t in turns:
        speakers.setdefault(t.label, t.speaker)
    return dataclasses.replace(named, turns=tuple(turns), speakers=speakers, parameters=params)
