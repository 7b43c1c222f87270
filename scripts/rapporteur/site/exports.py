"""Caption and transcript exports: one small writer class per format.

Like ``whisper/utils.py``: each writer has an ``extension`` and
``write(turns, file, *, session=None)``, so it is testable with ``io.StringIO``.
VTT and SRT share ``caption_cues``, which cuts speaker turns into cues that
follow caption conventions (≤ 7 s, ≤ 2 lines of ≤ 42 characters, one speaker
per cue, breaks at sentence or clause ends where possible).
"""

from __future__ import annotations

from pathlib import Path

import datetime as dt
import functools
import html
import io
import math
import operator
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import accumulate, count
from typing import ClassVar, NamedTuple, Sequence, TextIO

import srt

from ..errors import RapporteurError
from ..core.records import SpeechTurn, Turn, Turns, Unheard, to_json
from ..core.session import Session, load_session
from ..core.text import CLAUSE_END, SENTENCE_END
from .markup import format_hms
from .views import load_view, not_made_out, speaker_name, turn_text, unheard_speaker, with_unheard

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


SENTENCE, CLAUSE = 3, 2
"""What a token ends (see ``_stop``): a sentence end is the best place to end a cue or a line, a clause end the next best."""


@functools.lru_cache(maxsize=1 << 16)
def _stop(text: str) -> int:
    """What a word ends (``SENTENCE``, ``CLAUSE`` or 0), read once per word (cached: words repeat)."""
    return SENTENCE if SENTENCE_END.search(text) else CLAUSE if CLAUSE_END.search(text) else 0


_INNER_SPACE = re.compile(r"\s")


@functools.lru_cache(maxsize=1 << 16)
def _word(text: str) -> tuple[str, int, int, int] | None:
    """A word's token text, the length of the word in it, its leading space (1 or 0) and what it ends.

    The token text is the word stripped, its inner spaces made single, after one
    " " when the word's text starts with a space; None for a word of spaces only.
    Cached, like ``_stop``: nearly every word of a session is one seen before.
    """
    lead = 1 if text[:1].isspace() else 0
    word = text.strip()
    if _INNER_SPACE.search(word):  # rare: spaces within a word's text
        word = " ".join(word.split())
    if not word:
        return None
    return (" " + word if lead else word), len(word), lead, _stop(word)


class _Tokens(NamedTuple):
    """A turn's tokens, as parallel sequences: the cutter's loops read them by index, not by attribute.

    A token's text is a word (or a piece of one), after one " " when it is
    separated from the token before; so its text less that space is its width
    when it starts a line. Nothing else in a token's text is white space but
    single spaces inside a word: caption lines hold no white space but spaces.
    """

    starts: Sequence[float]
    ends: Sequence[float]
    stops: Sequence[int]  # what each token ends: SENTENCE, CLAUSE or 0
    leads: Sequence[int]  # 1 when the token's text starts with " "
    lens: Sequence[int]  # characters of each token's text, its leading " " too
    cum: Sequence[int]  # cum[i]: characters of the first i tokens' texts together
    text: str  # the tokens' texts joined: token i is text[cum[i]:cum[i + 1]], so a line is one slice
    marks: Sequence[int]  # the tokens a cue may end after (_cut): a sentence or clause end, or a pause after


_NO_TOKENS = _Tokens((), (), (), (), (), (0,), "", ())

_WORD_FIELDS = operator.attrgetter("start", "end", "text")


def _word_times(turn: Turn) -> tuple[Sequence[float], Sequence[float], Sequence[str]]:
    """The starts, ends and texts of the turn's words; without word timings, its text spread over it by length.

    A word that ends before it starts ends at its start.
    """
    if turn.words:
        starts, ends, texts = zip(*map(_WORD_FIELDS, turn.words))
        # words whose leading spaces were stripped: each separated from the one before
        if not (any(t[:1].isspace() for t in texts[1:]) or " " not in turn.text.strip()):
            texts = tuple(" " + t for t in texts)
        return starts, list(map(max, ends, starts)), texts
    parts = turn_text(turn).split()
    total = sum(map(len, parts)) + len(parts)  # each word and a space
    span = max(turn.end - turn.start, 0.0)
    bounds = list(accumulate([span * (len(p) + 1) / total for p in parts], initial=turn.start))
    return bounds[:-1], bounds[1:], [" " + p for p in parts]


def _tokens(turn: Turn, max_chars: int) -> _Tokens:
    """The turn's words as tokens; words longer than a line are cut into pieces."""
    starts, ends, texts = _word_times(turn)
    words = list(map(_word, texts))
    if words and None not in words:
        texts, sizes, leads, stops = zip(*words)
        if max(sizes) <= max_chars:  # nearly every turn: a token a word, at the word's times
            return _columns(starts, ends, texts, stops, leads)
    # some word is of spaces only or longer than a line: word by word
    toks: list[tuple[float, float, str, int, int]] = []  # (start, end, text, stop, lead)
    for start, end, word in zip(starts, ends, words):
        if word is None:
            continue
        text, size, lead, stop = word
        if size <= max_chars:
            toks.append((start, end, text, stop, lead))
        else:
            toks += _pieces(start, end, text[lead:], lead, max_chars)
    if not toks:
        return _NO_TOKENS
    starts, ends, texts, stops, leads = zip(*toks)
    return _columns(starts, ends, texts, stops, leads)


def _pieces(start: float, end: float, word: str, lead: int, max_chars: int) -> list[tuple[float, float, str, int, int]]:
    """A word longer than a line, in pieces of ``max_chars`` over its time; the first keeps its leading space."""
    pieces = [word[i : i + max_chars] for i in range(0, len(word), max_chars)]
    step = (end - start) / len(pieces)
    out = []
    for k, piece in enumerate(pieces):
        # a piece may start with an inner space of the word: its lead is read from its text, like every token's
        text = (" " if lead and k == 0 else "") + piece
        out.append((start + k * step, start + (k + 1) * step, text, _stop(piece), 1 if text[:1] == " " else 0))
    return out


def _columns(starts: Sequence[float], ends: Sequence[float], texts: Sequence[str], stops: Sequence[int],
             leads: Sequence[int]) -> _Tokens:
    """The tokens of these columns, with what the cutter reads of them besides: their widths and cue ends."""
    lens = list(map(len, texts))
    # the tokens a cue may end after: a sentence or clause end, or a pause before the next token
    marks = [j for j, stop, start, end in zip(count(), stops, starts[1:], ends) if stop or start - end >= _SHORT_PAUSE]
    return _Tokens(starts, ends, stops, leads, lens, list(accumulate(lens, initial=0)), "".join(texts), marks)


_LAST_TOKENS: list[tuple[Turns, int, list[_Tokens]]] = []


def _turn_tokens(turns: Turns, max_chars: int) -> list[_Tokens]:
    """Each turn's tokens (``_tokens``); the last session's kept, since its VTT and SRT are made one after the other."""
    for kept, chars, toks in _LAST_TOKENS:
        if kept is turns and chars == max_chars:
            return toks
    toks = [_tokens(turn, max_chars) for turn in turns.turns]
    _LAST_TOKENS[:] = [(turns, max_chars, toks)]
    return toks


def _balanced(lens: Sequence[int], leads: Sequence[int], bonus: Sequence[float], k: int, max_chars: int,
              glue: int) -> tuple[int, ...] | None:
    """Where to cut tokens of these widths into ``k`` balanced lines (three or more), or None when they do not fit.

    ``bonus[i]`` rewards a cut after token ``i`` (a clause end); the first line
    holds at least ``glue`` tokens when it can.
    """
    n = len(lens)
    pre = [0, *accumulate(lens)]
    target = (pre[n] - leads[0]) / k
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
                width = pre[i] - pre[h] - leads[h]
                if width > max_chars:
                    continue
                cost = prev[0] + (width - target) ** 2
                if i < n:
                    cost -= bonus[i - 1]
                if cost < best[j][i][0]:
                    best[j][i] = (cost, prev[1] + (i,))
    if best[k][n][0] == math.inf:  # the glue cannot be kept
        return _balanced(lens, leads, bonus, k, max_chars, 1) if glue > 1 else None
    return (0,) + best[k][n][1]


def _prefix(name: str, max_chars: int) -> str:
    """The ``Name:`` that starts a speaker's cues in SRT, shortened to half a line."""
    room = max(1, max_chars // 2 - 1)
    if len(name) > room:
        name = name[: room - 1].rstrip() + "…"
    return name + ":"


_NEED = (0.0, 0.6, 0.5, 0.2)
"""How full a cue must be to end at a pause (1), a clause end (``CLAUSE``) or a sentence end (``SENTENCE``)."""

INAUDIBLE = "[inaudible]"
"""A caption cue's text over speech the recogniser could not make out (``Turns.unheard``), as captioners write it."""

_Row = tuple[float, float, str, tuple[str, ...], str]
"""A cue as the writers read it: (start, end, speaker, lines, turn id); a ``Cue`` only for ``caption_cues``."""


class _TurnCutter:
    """Cuts one turn's tokens into cues.

    A cue is a run ``[a, b)`` of the turn's tokens, laid out after the
    speaker's prefix (SRT's ``Name:``) when there is one: the prefix, then the
    first token with one space before it, then the others. Its lines are cut
    before tokens ``c``; the first line may hold the prefix alone (``c == a``).
    Widths come from the tokens' running character counts (``_Tokens.cum``)
    and lines are slices of the turn's text: no token list is built per cue.
    """

    def __init__(self, toks: _Tokens, speaker: str, turn_id: str, prefix: str, o: CaptionOptions) -> None:
        self.t, self.speaker, self.turn_id, self.prefix, self.o = toks, speaker, turn_id, prefix, o
        self.rows: list[_Row] = []
        self._text, self._cum, self._leads = toks.text, toks.cum, toks.leads  # read for every cue
        self._glue = 2 if prefix else 1
        self._cap = o.max_chars * o.max_lines
        self._bonus = (0.0, 0.0, (0.25 * o.max_chars) ** 2, (0.35 * o.max_chars) ** 2)  # by what a token ends
        # a cue's width is self._pw + its tokens' characters less the first one's leading space
        self._pw = len(prefix) - (prefix[:1] == " ") + 1 if prefix else 0
        self._alone = len(prefix.lstrip())  # the prefix's width on a line of its own
        # greedy_lines[j]: the open cue's line count set greedily (see _greedy), through token j
        self._greedy_lines = [0] * len(toks.starts)

    def _fullness(self, width: int, seconds: float) -> float:
        """How full a cue of ``width`` characters (its prefix too) and ``seconds`` is: 1 at a limit."""
        return max(width / self._cap, seconds / self.o.max_seconds)

    def _open(self, a: int) -> tuple[int, int]:
        """(lines, width of the last line) of a cue of token ``a`` alone, set greedily: after the prefix if it fits."""
        width = self.t.lens[a] - self.t.leads[a]
        if not self.prefix:
            return 1, width
        alone = self._alone
        if alone and alone + 1 + width <= self.o.max_chars:
            return 1, alone + 1 + width
        return 2, width

    def _greedy(self, a: int, b: int) -> tuple[int, int]:
        """(lines, width of the last line) of the cue ``[a, b)`` set greedily: each token on the line if it fits there."""
        lens, leads, gl, max_chars = self.t.lens, self.t.leads, self._greedy_lines, self.o.max_chars
        lines, width = self._open(a)
        gl[a] = lines
        for j in range(a + 1, b):
            n = lens[j]
            if width and width + n <= max_chars:
                width += n
            else:
                lines, width = lines + 1, n - leads[j]
            gl[j] = lines
        return lines, width

    def _cut(self, a: int, b: int) -> int:
        """Where to end the cue that ``[a, b)`` overflowed: a sentence, clause or pause end if it leaves a full enough cue."""
        t = self.t
        cum, ends, stops, marks = t.cum, t.ends, t.stops, t.marks
        start, base = t.starts[a], self._pw - t.leads[a] - t.cum[a]
        best, best_rank = b, 0
        for j in marks[bisect_left(marks, a) : bisect_left(marks, b - 1)]:  # ends a cue [a, j + 1) can have
            rank = stops[j] or 1  # SENTENCE, CLAUSE, or a pause
            if rank >= best_rank and self._fullness(base + cum[j + 1], ends[j] - start) >= _NEED[rank]:
                best, best_rank = j + 1, rank
        return best

    def _head(self, a: int, c: int) -> str:
        """The first line of the cue starting at token ``a``, cut before token ``c``: the prefix and tokens ``[a, c)``."""
        if not self.prefix:
            return self._text[self._cum[a] : self._cum[c]].strip()
        if c == a:
            return self.prefix.strip()
        return (self.prefix + " " + self._text[self._cum[a] + self._leads[a] : self._cum[c]]).strip()

    def _lines_cut(self, a: int, cuts: Sequence[int], b: int) -> tuple[str, ...]:
        """The lines of the cue ``[a, b)`` cut before each token of ``cuts``."""
        text, cum = self._text, self._cum
        ends = [*cuts[1:], b]
        return (self._head(a, cuts[0]), *(text[cum[c] : cum[e]].strip() for c, e in zip(cuts, ends)))

    def _two(self, a: int, b: int, glue: int) -> int:
        """The best cut of the cue ``[a, b)`` into two lines (the token after it); -1 when none fits.

        A cut's cost is how far each line is from half the width, squared, less a
        bonus for a clause end before it; the earliest of equal cuts is taken, and
        the first line takes ``glue`` tokens at least (the prefix counts as one).
        Half a width of whole characters is a whole or half number, so are the
        distances to it, and their squares are exact: ``d * d`` is ``d ** 2``.
        """
        cum, leads, stops, bonus, max_chars = self._cum, self._leads, self.t.stops, self._bonus, self.o.max_chars
        base = self._pw - leads[a] - cum[a]  # the first line's width, cut before token c > a, is base + cum[c]
        end = cum[b]
        half = (base + end) / 2
        best, best_cost = -1, math.inf
        # from the last cut whose first line fits, back while the second (end - cum[c] - leads[c]) may fit
        c = bisect_right(cum, max_chars - base, a + 1, b) - 1
        while c > a and cum[c] >= end - max_chars - 1:
            second = end - cum[c] - leads[c]
            if second <= max_chars:
                d1, d2 = base + cum[c] - half, second - half
                cost = d1 * d1 + d2 * d2 - bonus[stops[c - 1]]
                if cost <= best_cost:
                    best, best_cost = c, cost
            c -= 1
        if glue == 1 and self.prefix:  # the prefix alone on the first line
            first, second = len(self.prefix) - (self.prefix[:1] == " "), end - cum[a] - leads[a]
            if first <= max_chars and second <= max_chars:
                d1, d2 = first - half, second - half
                if d1 * d1 + d2 * d2 - bonus[_stop(self.prefix)] <= best_cost:
                    best = a
        if best < 0 and glue > 1:
            return self._two(a, b, 1)
        return best

    def _layout(self, a: int, b: int) -> tuple[str, ...] | None:
        """Balanced lines of the cue ``[a, b)`` (preferring clause ends), or None when it does not fit.

        The first line holds the prefix and a word when it can (a ``Name:``
        prefix is not left alone on its line).
        """
        k = self._greedy_lines[b - 1]
        if k > self.o.max_lines:
            return None
        if k <= 1:
            return (self._head(a, b),)
        if k == 2:  # the common case, directly: the best single cut
            c = self._two(a, b, self._glue)
            return (self._head(a, c), self._text[self._cum[c] : self._cum[b]].strip()) if c >= 0 else None
        # three lines or more: the tokens as laid out, the prefix first, to _balanced
        t = self.t
        lens, leads, stops = list(t.lens[a:b]), list(t.leads[a:b]), list(t.stops[a:b])
        off = 0
        if self.prefix:
            lens[0:1] = len(self.prefix), 1 + lens[0] - leads[0]
            leads[0:1] = 1 if self.prefix[:1] == " " else 0, 1
            stops.insert(0, _stop(self.prefix))
            off = 1
        cuts = _balanced(lens, leads, [self._bonus[s] for s in stops], k, self.o.max_chars, self._glue)
        return None if cuts is None else self._lines_cut(a, [a + c - off for c in cuts[1:-1]], b)

    def _emit(self, a: int, b: int) -> None:
        start = self.t.starts[a]
        end = min(max(self.t.ends[b - 1], start + 0.001), start + self.o.max_seconds)
        lines = self._layout(a, b)
        if lines is None:  # only when a prefix and a word cannot share max_lines lines
            lines = self._lines_cut(a, [a if self.prefix else a + 1], b)
        self.rows.append((start, end, self.speaker, lines, self.turn_id))

    def run(self) -> list[_Row]:
        """Fill cues token by token; the greedy line count of the open cue ``[a, i)`` is kept as it grows."""
        t = self.t
        starts, cum, leads, gl = t.starts, t.cum, t.leads, self._greedy_lines
        max_chars, max_lines, max_seconds = self.o.max_chars, self.o.max_lines, self.o.max_seconds
        a = 0
        lines = width = 0  # the open cue set greedily (see _greedy)
        cue_start = prev_end = 0.0
        base = 0  # the open cue [a, b) is base + cum[b] characters wide (see _two)
        for i, start, end, n, lead, stop in zip(count(), starts, t.ends, t.lens, t.leads, t.stops):
            if a < i and start - prev_end >= PAUSE:
                self._emit(a, i)
                a = i
            while a < i:  # the open cue takes the token if it fits there, else a cue is cut from it
                if width and width + n <= max_chars:
                    grown, grown_width = lines, width + n
                else:
                    grown, grown_width = lines + 1, n - lead
                if end - cue_start <= max_seconds and grown <= max_lines:
                    lines, width = grown, grown_width
                    break
                k = self._cut(a, i)
                self._emit(a, k)
                a = k
                if a < i:
                    lines, width = self._greedy(a, i)
                    cue_start, base = starts[a], self._pw - leads[a] - cum[a]
            if a == i:  # the token opens a cue
                lines, width = self._open(i)
                cue_start, base = start, self._pw - lead - cum[i]
            gl[i] = lines
            prev_end = end
            if stop == SENTENCE and self._fullness(base + cum[i + 1], end - cue_start) >= 0.5:
                self._emit(a, i + 1)
                a = i + 1
        if a < len(starts):
            self._emit(a, len(starts))
        return self.rows


def _cue_rows(turns: Turns, o: CaptionOptions, speaker_prefix: bool) -> list[_Row]:
    """``caption_cues`` as rows, for the writers: (start, end, speaker, lines, turn id)."""
    rows: list[_Row] = []
    for turn, toks in zip(turns.turns, _turn_tokens(turns, o.max_chars)):
        name = speaker_name(turn, turns)
        prefix = _prefix(name, o.max_chars) if speaker_prefix and name else ""
        rows += _TurnCutter(toks, name, turn.id, prefix, o).run()
    for gap in turns.unheard:  # speech left without words: the captioner's "[inaudible]", under the voice heard
        name = unheard_speaker(gap, turns)
        line = f"{_prefix(name, o.max_chars)} {INAUDIBLE}" if speaker_prefix else INAUDIBLE
        n = max(1, math.ceil((gap.end - gap.start) / o.max_seconds - 1e-9))
        step = (gap.end - gap.start) / n
        rows += [(gap.start + k * step, gap.start + (k + 1) * step, name, (line,), "") for k in range(n)]
    rows.sort(key=operator.itemgetter(0, 1))
    # give very short cues time to be read, without running into the next one
    out: list[_Row] = []
    append, last = out.append, len(rows) - 1
    min_seconds, max_seconds = o.min_seconds, o.max_seconds
    for i, row in enumerate(rows):
        start = row[0]
        nxt = rows[i + 1][0] if i < last else math.inf
        want = min(start + min_seconds, nxt, start + max_seconds)
        append((start, want, *row[2:]) if want > row[1] else row)
    return out


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

    Speech left without words (``Turns.unheard``) is an ``INAUDIBLE`` cue under the voice heard there.
    Cues never span two turns (so never two speakers), last at most
    ``max_seconds`` and hold at most ``max_lines`` lines of ``max_chars``.
    With ``speaker_prefix`` the first line starts with ``Name:`` (SRT has
    no voice tags), and the layout makes room for it.
    """
    o = CaptionOptions(max_seconds=max_seconds, max_chars=max_chars, max_lines=max_lines, min_seconds=min_seconds)
    return [
        Cue(start=start, end=end, speaker=speaker, lines=lines, turn_id=turn_id)
        for start, end, speaker, lines, turn_id in _cue_rows(turns, o, speaker_prefix)
    ]


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


@functools.lru_cache(maxsize=1 << 15)
def _clock(seconds: int) -> str:
    """``HH:MM:SS`` of whole seconds, the hours unbounded (cached: a session's 3,000 cue times fall in few seconds)."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _vtt_time(seconds: float) -> str:
    ms = max(0, int(round(seconds * 1000)))
    return f"{_clock(ms // 1000)}.{ms % 1000:03d}"


def _srt_time(seconds: float) -> str:
    """What ``srt`` writes for ``timedelta(seconds=round(seconds, 3))``, without the timedelta.

    Below 10¹¹ ms, ``seconds * 1000`` is off by far less than a ten-thousandth
    of a millisecond: unless it lies that near a half, it rounds to the whole
    milliseconds of ``round(seconds, 3)``, which the timedelta holds exactly.
    They are split with floor division, as the timedelta's days and seconds
    are (-0.5 s is "-1:59:59,500"). Near a half, beyond, or for what is not a
    number: the timedelta itself.
    """
    ms1000 = seconds * 1000
    if -1e11 < ms1000 < 1e11:
        ms = round(ms1000)
        if abs(ms1000 - ms) < 0.4999:
            return f"{_clock(ms // 1000)},{ms % 1000:03d}"
    return srt.timedelta_to_srt_timestamp(dt.timedelta(seconds=round(seconds, 3)))


def escape_vtt(text: str) -> str:
    """Cue text or a voice annotation with ``&``, ``<``, ``>`` as character references."""
    return html.escape(_SPACE.sub(" ", text), quote=False)


def _escape_lines(lines: Sequence[str]) -> str:
    """A cue's lines, each ``escape_vtt``-ed, joined by newlines.

    Cue lines hold no white space but spaces (see ``_Tokens``), which
    ``_SPACE`` keeps as they are unless two meet (around a piece of a cut
    word): without two, one ``html.escape`` of the joined lines does.
    """
    text = "\n".join(lines)
    if "  " in text:
        return "\n".join(escape_vtt(line) for line in lines)
    return html.escape(text, quote=False)


def _one_line(text: str) -> str:
    return _SPACE.sub(" ", text).replace("-->", "->").strip()


@dataclass(frozen=True)
class VttWriter(Writer):
    """WebVTT with ``<v Speaker Name>`` voice tags (written here: what every cue holds is escaped, and a
    ninety-minute session's 1,500 cues need no parser's read-back; the tests read it with webvtt-py)."""

    options: CaptionOptions = CaptionOptions()
    extension: ClassVar[str] = "vtt"

    def write(self, turns: Turns, file: TextIO, *, session: Session | None = None) -> None:
        out = ["WEBVTT"]
        if session is not None:
            about = " · ".join(x for x in (session.event, session.date.isoformat() if session.date else "") if x)
            # a NOTE may not contain "-->"; escaped like cue text, it cannot, and shows no markup
            out.append("\n\nNOTE " + escape_vtt(_one_line(f"{session.title} ({about})" if about else session.title)))
        voices: dict[str, str] = {}  # speaker → its escaped voice tag: one a turn, the same for each of its cues
        for start, end, speaker, lines, _ in _cue_rows(turns, self.options, speaker_prefix=False):
            voice = voices.get(speaker)
            if voice is None:
                voice = voices[speaker] = f"<v {escape_vtt(speaker)}>" if speaker else ""
            # cue lines: escaped (no "-->", no markup), each a word or more (no blank line ends the cue early)
            out.append(f"\n\n{_vtt_time(start)} --> {_vtt_time(end)}\n{voice}{_escape_lines(lines)}")
        out.append("\n")
        file.write("".join(out))


@dataclass(frozen=True)
class SrtWriter(Writer):
    """SubRip; the speaker's name starts each cue (``Name: ...``)."""

    options: CaptionOptions = CaptionOptions()
    extension: ClassVar[str] = "srt"

    def write(self, turns: Turns, file: TextIO, *, session: Session | None = None) -> None:
        # what srt.compose(subtitles, reindex=False) writes, without a Subtitle and two timedeltas a cue
        out = []
        for i, (start, end, _, lines, _) in enumerate(_cue_rows(turns, self.options, speaker_prefix=True), 1):
            content = srt.make_legal_content("\n".join(lines).replace("-->", "->"))  # as Subtitle.to_srt does
            out.append(f"{i}\n{_srt_time(start)} --> {_srt_time(end)}\n{content}\n\n")
        file.write("".join(out))


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
        for turn in with_unheard(turns):
            if isinstance(turn, Unheard):  # speech left without words: [hh:mm:ss] Name: [21 s of speech …]
                file.write(f"[{format_hms(turn.start)}] {unheard_speaker(turn, turns)}: [{not_made_out(turn)}]\n\n")
                continue
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
        named += [SpeechTurn(start=u.start, end=u.end, label=unheard_speaker(u, turns)) for u in turns.unheard]
        named.sort(key=lambda t: (t.start, t.end))  # speech left without words was still spoken, by that voice
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
