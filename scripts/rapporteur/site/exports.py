"""Caption and transcript exports: one small writer class per format.

Like ``whisper/utils.py``: each writer has an ``extension`` and
``write(turns, file, *, session=None)``, so it is testable with ``io.StringIO``.
VTT and SRT share ``caption_cues``, which cuts speaker turns into cues that
follow caption conventions (≤ 7 s, ≤ 2 lines of ≤ 42 characters, one speaker
per cue, breaks at sentence or clause ends where possible).
"""

from __future__ import annotations

from pathlib import Path

import dataclasses
import datetime as dt
import functools
import html
import io
import math
import re
from dataclasses import dataclass
from typing import ClassVar, Iterable, NamedTuple, Sequence, TextIO

import srt

from ..errors import RapporteurError
from ..core.records import SpeechTurn, Turn, Turns, to_json
from ..core.session import Session, load_session
from ..core.text import CLAUSE_END, SENTENCE_END
from .markup import format_hms
from .views import load_view, speaker_name, turn_text

DOWNLOADS = (
    ("vtt", "captions (WebVTT)"),
    ("srt", "subtitles (SRT)"),
    ("txt", "text"),
    ("json", "JSON"),
)
"""The formats a session page offers for download, with their link labels."""

_SPACE = re.compile(r"\s+")

PAUSE = 1.0
"""Seconds of silence between two words that always end a cue."""
_SHORT_PAUSE = 0.25
"""Seconds: a gap this long is a better place to cut than none."""


# ----------------------------------------------------------------- cue model


@dataclass(frozen=True, kw_only=True)
class CaptionOptions:
    """How turns are cut into caption cues."""

    max_seconds: float = 7.0
    """Seconds a cue stays on screen at most."""
    max_chars: int = 42
    """Characters per line at most."""
    max_lines: int = 2
    """Lines per cue at most."""
    min_seconds: float = 1.0
    """Seconds a short cue is extended to, when the next cue leaves room."""


@dataclass(frozen=True, kw_only=True)
class Cue:
    """One caption: a few lines of one speaker's words."""

    start: float
    end: float
    speaker: str
    lines: tuple[str, ...]
    turn_id: str = ""

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class _Tok(NamedTuple):  # a tuple: made ~14,000 times per ninety-minute session and format
    start: float
    end: float
    text: str  # normalised; a leading " " means "separated from the previous token"
    stop: int = 0  # what the token ends: SENTENCE (a sentence), CLAUSE (a clause), 0 (neither); see _stop


SENTENCE, CLAUSE = 3, 2
"""``_Tok.stop``: a sentence end is the best place to end a cue or a line, a clause end the next best."""


@functools.lru_cache(maxsize=1 << 16)
def _stop(text: str) -> int:
    """What a word ends (``SENTENCE``, ``CLAUSE`` or 0), read once per word (cached: words repeat)."""
    return SENTENCE if SENTENCE_END.search(text) else CLAUSE if CLAUSE_END.search(text) else 0


_INNER_SPACE = re.compile(r"\s")


def _tokens(turn: Turn, max_chars: int) -> list[_Tok]:
    """The turn's words as tokens; words longer than a line are cut into pieces."""
    if turn.words:
        words = turn.words
        # words whose leading spaces were stripped: each separated from the one before
        spaced = any(w.text[:1].isspace() for w in words[1:]) or " " not in turn.text.strip()
        raw: Iterable[tuple[float, float, str]] = ((w.start, w.end, w.text) for w in words) if spaced else \
            ((w.start, w.end, " " + w.text) for w in words)
    else:  # no word timings: spread the text over the turn by length
        parts = turn_text(turn).split(" ")
        total = sum(len(p) + 1 for p in parts) or 1
        span, t0, spread = max(turn.end - turn.start, 0.0), turn.start, []
        for p in parts:
            t1 = t0 + span * (len(p) + 1) / total
            spread.append((t0, t1, " " + p))
            t0 = t1
        raw = spread
    toks: list[_Tok] = []
    append = toks.append
    for start, end, text in raw:
        lead = " " if text[:1].isspace() else ""
        word = text.strip()
        if _INNER_SPACE.search(word):  # rare: spaces within a word's text
            word = " ".join(word.split())
        if not word:
            continue
        if end < start:
            end = start
        if len(word) <= max_chars:  # nearly every word: one token
            append(_Tok(start, end, lead + word, _stop(word)))
            continue
        pieces = [word[i : i + max_chars] for i in range(0, len(word), max_chars)]
        step = (end - start) / len(pieces)
        for k, piece in enumerate(pieces):
            append(_Tok(start + k * step, start + (k + 1) * step, (lead if k == 0 else "") + piece, _stop(piece)))
    return toks


_LAST_TOKENS: list[tuple[Turns, int, list[list[_Tok]]]] = []


def _turn_tokens(turns: Turns, max_chars: int) -> list[list[_Tok]]:
    """Each turn's tokens (``_tokens``); the last session's kept, since its VTT and SRT are made one after the other."""
    for kept, chars, toks in _LAST_TOKENS:
        if kept is turns and chars == max_chars:
            return toks
    toks = [_tokens(turn, max_chars) for turn in turns.turns]
    _LAST_TOKENS[:] = [(turns, max_chars, toks)]
    return toks


def _width(toks: Sequence[_Tok]) -> int:
    return sum(len(t.text) for t in toks) - (1 if toks and toks[0].text[:1] == " " else 0)


def _line(toks: Sequence[_Tok]) -> str:
    return "".join(t.text for t in toks).strip()


def _greedy(toks: Sequence[_Tok], max_chars: int) -> tuple[int, int]:
    """(lines, width of the last line) of ``toks`` set greedily: each token on the line if it fits there."""
    lines = width = 0
    for t in toks:
        n = len(t.text)
        if width and width + n <= max_chars:
            width += n
        else:
            lines, width = lines + 1, len(t.text.lstrip())
    return lines, width


def _break_bonus(tok: _Tok, max_chars: int) -> float:
    if tok.stop == SENTENCE:
        return (0.35 * max_chars) ** 2
    if tok.stop == CLAUSE:
        return (0.25 * max_chars) ** 2
    return 0.0


def _layout(toks: Sequence[_Tok], max_chars: int, max_lines: int, *, glue: int = 1) -> list[str] | None:
    """Balanced lines (preferring clause ends), or None when the tokens do not fit.

    The first line holds at least ``glue`` tokens when it can (a ``Name:``
    prefix is not left alone on its line).
    """
    n, k = len(toks), _greedy(toks, max_chars)[0]
    if k > max_lines:
        return None
    if k <= 1:
        return [_line(toks)]
    pre = [0]
    for t in toks:
        pre.append(pre[-1] + len(t.text))
    lead = [1 if t.text[:1] == " " else 0 for t in toks]
    target = (pre[n] - lead[0]) / k
    bonus = [_break_bonus(t, max_chars) for t in toks]
    if k == 2:  # the common case, directly: the best single cut
        cost, cut = min(
            (
                ((pre[i] - lead[0] - target) ** 2 + (pre[n] - pre[i] - lead[i] - target) ** 2 - bonus[i - 1], i)
                for i in range(max(1, glue), n)
                if pre[i] - lead[0] <= max_chars and pre[n] - pre[i] - lead[i] <= max_chars
            ),
            default=(math.inf, 0),
        )
        if cost == math.inf:
            return _layout(toks, max_chars, max_lines) if glue > 1 else None
        return [_line(toks[:cut]), _line(toks[cut:])]
    # best[j][i]: (cost, cut positions) of the first i tokens set in j lines
    inf = (math.inf, ())
    best = [[inf] * (n + 1) for _ in range(k + 1)]
    best[0][0] = (0.0, ())
    for j in range(1, k + 1):
        for i in range(1, n + 1):
            for h in range(j - 1, i):
                if j == 2 and h < glue:
                    continue
                prev = best[j - 1][h]
                if prev[0] == math.inf:
                    continue
                width = pre[i] - pre[h] - lead[h]
                if width > max_chars:
                    continue
                cost = prev[0] + (width - target) ** 2
                if i < n:
                    cost -= bonus[i - 1]
                if cost < best[j][i][0]:
                    best[j][i] = (cost, prev[1] + (i,))
    if best[k][n][0] == math.inf:  # the glue cannot be kept
        return _layout(toks, max_chars, max_lines) if glue > 1 else None
    cuts = (0,) + best[k][n][1]
    return [_line(toks[a:b]) for a, b in zip(cuts, cuts[1:])]


def _prefix_token(name: str, max_chars: int) -> _Tok:
    room = max(1, max_chars // 2 - 1)
    if len(name) > room:
        name = name[: room - 1].rstrip() + "…"
    return _Tok(0.0, 0.0, name + ":", _stop(name + ":"))


class _TurnCutter:
    """Cuts one turn's tokens into cues."""

    def __init__(self, speaker: str, turn_id: str, prefix: _Tok | None, o: CaptionOptions) -> None:
        self.speaker, self.turn_id, self.prefix, self.o = speaker, turn_id, prefix, o
        self.cues: list[Cue] = []
        self._glue = 2 if prefix is not None else 1

    def _with_prefix(self, toks: Sequence[_Tok]) -> list[_Tok]:
        if self.prefix is None:
            return list(toks)
        first = toks[0]._replace(text=" " + toks[0].text.lstrip())
        return [self.prefix, first, *toks[1:]]

    def _fullness(self, width: int, seconds: float) -> float:
        """How full a cue of ``width`` characters (its prefix too) and ``seconds`` is: 1 at a limit."""
        return max(width / (self.o.max_chars * self.o.max_lines), seconds / self.o.max_seconds)

    def _fill(self, toks: Sequence[_Tok]) -> float:
        return self._fullness(_width(self._with_prefix(toks)), toks[-1].end - toks[0].start)

    def _cut(self, toks: Sequence[_Tok]) -> int:
        """Where to end the cue that ``toks`` overflowed: a sentence, clause or pause end if it leaves a full enough cue."""
        best, best_rank = len(toks), 0
        start = toks[0].start
        width = _width(self._with_prefix(toks[:1]))  # of the cue's first k tokens (with the prefix), k = 1, 2, …
        for k in range(1, len(toks)):
            tok = toks[k - 1]
            if k > 1:
                width += len(tok.text)
            if tok.stop == SENTENCE:
                rank, need = 3, 0.2
            elif tok.stop == CLAUSE:
                rank, need = 2, 0.5
            elif toks[k].start - tok.end >= _SHORT_PAUSE:
                rank, need = 1, 0.6
            else:
                continue
            if rank >= best_rank and self._fullness(width, tok.end - start) >= need:  # _fill(toks[:k])
                best, best_rank = k, rank
        return best

    def _emit(self, toks: Sequence[_Tok]) -> None:
        if not toks:
            return
        start = toks[0].start
        end = min(max(toks[-1].end, start + 0.001), start + self.o.max_seconds)
        laid = self._with_prefix(toks)
        lines = _layout(laid, self.o.max_chars, self.o.max_lines, glue=self._glue)
        if lines is None:  # only when a prefix and a word cannot share max_lines lines
            lines = [_line(laid[:1]), _line(laid[1:])]
        self.cues.append(Cue(start=start, end=end, speaker=self.speaker, lines=tuple(lines), turn_id=self.turn_id))

    def run(self, toks: Sequence[_Tok]) -> list[Cue]:
        """Fill cues token by token; the greedy line count of the open cue is kept as it grows."""
        max_chars, max_lines, max_seconds = self.o.max_chars, self.o.max_lines, self.o.max_seconds
        cur: list[_Tok] = []
        lines = width = 0  # the open cue set greedily (see _greedy)
        i = 0
        while i < len(toks):
            tok = toks[i]
            if cur and tok.start - cur[-1].end >= PAUSE:
                self._emit(cur)
                cur = []
            if not cur:
                cur = [tok]
                lines, width = _greedy(self._with_prefix(cur), max_chars)
                i += 1
            else:
                n = len(tok.text)
                grown = (lines, width + n) if width and width + n <= max_chars else (lines + 1, len(tok.text.lstrip()))
                if not (tok.end - cur[0].start <= max_seconds and grown[0] <= max_lines):  # does not fit
                    k = self._cut(cur)
                    self._emit(cur[:k])
                    cur = cur[k:]
                    lines, width = _greedy(self._with_prefix(cur), max_chars) if cur else (0, 0)
                    continue
                cur.append(tok)
                lines, width = grown
                i += 1
            if tok.stop == SENTENCE and self._fill(cur) >= 0.5:
                self._emit(cur)
                cur = []
        self._emit(cur)
        return self.cues


def caption_cues(
    turns: Turns,
    *,
    max_seconds: float = 7.0,
    max_chars: int = 42,
    max_lines: int = 2,
    min_seconds: float = 1.0,
    speaker_prefix: bool = False,
) -> list[Cue]:
    """Cut speaker turns into caption cues, ordered by start time.

    Cues never span two turns (so never two speakers), last at most
    ``max_seconds`` and hold at most ``max_lines`` lines of ``max_chars``.
    With ``speaker_prefix`` the first line starts with ``Name:`` (SRT has
    no voice tags), and the layout makes room for it.
    """
    o = CaptionOptions(max_seconds=max_seconds, max_chars=max_chars, max_lines=max_lines, min_seconds=min_seconds)
    cues: list[Cue] = []
    for turn, toks in zip(turns.turns, _turn_tokens(turns, max_chars)):
        name = speaker_name(turn, turns)
        prefix = _prefix_token(name, max_chars) if speaker_prefix and name else None
        cues.extend(_TurnCutter(name, turn.id, prefix, o).run(toks))
    cues.sort(key=lambda c: (c.start, c.end))
    # give very short cues time to be read, without running into the next one
    out: list[Cue] = []
    for i, c in enumerate(cues):
        nxt = cues[i + 1].start if i + 1 < len(cues) else math.inf
        want = min(c.start + min_seconds, nxt, c.start + max_seconds)
        out.append(dataclasses.replace(c, end=want) if want > c.end else c)
    return out


# ------------------------------------------------------------------- writers


class Writer:
    """One output format: ``write`` a ``Turns`` record to a text file."""

    extension: ClassVar[str] = ""

    def write(self, turns: Turns, file: TextIO, *, session: Session | None = None) -> None:
        raise NotImplementedError

    def to_string(self, turns: Turns, *, session: Session | None = None) -> str:
        buf = io.StringIO()
        self.write(turns, buf, session=session)
        return buf.getvalue()


def _vtt_time(seconds: float) -> str:
    ms = max(0, int(round(seconds * 1000)))
    return f"{ms // 3_600_000:02d}:{ms % 3_600_000 // 60_000:02d}:{ms % 60_000 // 1000:02d}.{ms % 1000:03d}"


def escape_vtt(text: str) -> str:
    """Cue text or a voice annotation with ``&``, ``<``, ``>`` as character references."""
    return html.escape(_SPACE.sub(" ", text), quote=False)


def _one_line(text: str) -> str:
    return _SPACE.sub(" ", text).replace("-->", "->").strip()


@dataclass(frozen=True)
class VttWriter(Writer):
    """WebVTT with ``<v Speaker Name>`` voice tags (written here: what every cue holds is escaped, and a
    ninety-minute session's 1,500 cues need no parser's read-back; the tests read it with webvtt-py)."""

    options: CaptionOptions = CaptionOptions()
    extension: ClassVar[str] = "vtt"

    def write(self, turns: Turns, file: TextIO, *, session: Session | None = None) -> None:
        o = self.options
        out = ["WEBVTT"]
        if session is not None:
            about = " · ".join(x for x in (session.event, session.date.isoformat() if session.date else "") if x)
            # a NOTE may not contain "-->"; escaped like cue text, it cannot, and shows no markup
            out += ["", "NOTE " + escape_vtt(_one_line(f"{session.title} ({about})" if about else session.title))]
        for cue in caption_cues(
            turns, max_seconds=o.max_seconds, max_chars=o.max_chars, max_lines=o.max_lines, min_seconds=o.min_seconds
        ):
            # cue lines: escaped (no "-->", no markup), each a word or more (no blank line ends the cue early)
            lines = [escape_vtt(line) for line in cue.lines]
            if cue.speaker:
                lines[0] = f"<v {escape_vtt(cue.speaker)}>{lines[0]}"
            out += ["", f"{_vtt_time(cue.start)} --> {_vtt_time(cue.end)}", *lines]
        out.append("")
        file.write("\n".join(out))


@dataclass(frozen=True)
class SrtWriter(Writer):
    """SubRip; the speaker's name starts each cue (``Name: ...``)."""

    options: CaptionOptions = CaptionOptions()
    extension: ClassVar[str] = "srt"

    def write(self, turns: Turns, file: TextIO, *, session: Session | None = None) -> None:
        o = self.options
        cues = caption_cues(
            turns,
            max_seconds=o.max_seconds,
            max_chars=o.max_chars,
            max_lines=o.max_lines,
            min_seconds=o.min_seconds,
            speaker_prefix=True,
        )
        subs = [
            srt.Subtitle(
                index=i,
                start=dt.timedelta(seconds=round(c.start, 3)),
                end=dt.timedelta(seconds=round(c.end, 3)),
                content="\n".join(line.replace("-->", "->") for line in c.lines),
            )
            for i, c in enumerate(cues, 1)
        ]
        file.write(srt.compose(subs, reindex=False))


class TxtWriter(Writer):
    """A readable transcript: one ``[hh:mm:ss] Name: text`` paragraph per turn."""

    extension: ClassVar[str] = "txt"

    def write(self, turns: Turns, file: TextIO, *, session: Session | None = None) -> None:
        if session is not None:
            file.write(_one_line(session.title) + "\n")
            about = " · ".join(x for x in (session.event, session.date.isoformat() if session.date else "") if x)
            if about:
                file.write(_one_line(about) + "\n")
            file.write("\n")
        for turn in turns.turns:
            name = speaker_name(turn, turns)
            head = f"[{format_hms(turn.start)}] {name}: " if name else f"[{format_hms(turn.start)}] "
            file.write(head + turn_text(turn) + "\n\n")


class JsonWriter(Writer):
    """The turns record itself (``records.to_json``)."""

    extension: ClassVar[str] = "json"

    def write(self, turns: Turns, file: TextIO, *, session: Session | None = None) -> None:
        file.write(to_json(turns))


class RttmWriter(Writer):
    """Speaker turns as RTTM; the file id is the session id, names use ``_`` for spaces."""

    extension: ClassVar[str] = "rttm"

    def write(self, turns: Turns, file: TextIO, *, session: Session | None = None) -> None:
        from ..core.rttm import to_rttm

        named = [SpeechTurn(start=t.start, end=t.end, label=speaker_name(t, turns) or "unknown") for t in turns.turns]
        file.write(to_rttm(named, session.id if session is not None else "session"))


WRITERS: dict[str, type[Writer]] = {
    "vtt": VttWriter,
    "srt": SrtWriter,
    "txt": TxtWriter,
    "json": JsonWriter,
    "rttm": RttmWriter,
}


def get_writer(fmt: str) -> Writer:
    """The writer of one format (``vtt``, ``srt``, ``txt``, ``json``, ``rttm``)."""
    try:
        return WRITERS[fmt.lower().lstrip(".")]()
    except KeyError:
        raise RapporteurError(
            f"unknown export format {fmt!r}", hint=f"use one of {', '.join(WRITERS)}"
        ) from None


def export_session(session_dir: Path, fmt: str) -> str:
    """A session's ``turns.json`` in one export format, as text."""
    session = load_session(Path(session_dir))
    turns = load_view(session).turns
    if turns is None:
        raise RapporteurError(
            "no turns.json yet", path=session.dir, hint=f"run `rapporteur run {session.dir}` first"
        )
    return get_writer(fmt).to_string(turns, session=session)
