"""Accuracy metrics: word error rate and diarization error rate.

Pure functions on plain inputs, used by the tests and ``make bench``.

WER text normalisation (``normalize_text``), applied to both sides:

1. Unicode NFKC; curly quotes and apostrophes become straight ones; lowercase.
2. Numbers are kept as written: digits are not spelt out, so "20" and
   "twenty" differ.  Thousands separators between digits are dropped
   ("1,000" -> "1000"); a decimal point between digits is kept ("3.5").
3. Punctuation is removed: every character that is not a letter, a digit, or
   an apostrophe inside a word becomes a space ("well-known" -> "well known",
   "don't" stays "don't", "'quoted'" -> "quoted").
4. Whitespace is collapsed; words are what remains, split on spaces.

DER follows NIST md-eval: frames of 10 ms; a collar of ``collar`` seconds on
each side of every reference boundary is not scored; hypothesis labels are
mapped one-to-one onto reference labels to maximise the matched time
(Hungarian algorithm); overlapping reference speech counts once per speaker.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np

from ..core.records import SpeechTurn

# ------------------------------------------------------------------- WER

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"'})
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_DECIMAL = re.compile(r"(?<=\d)\.(?=\d)")
_DECIMAL_MARK = "\u2024"  # a placeholder that is not punctuation-stripped below
_NOT_WORD = re.compile(r"[^\w'\u2024]+|_+")
_LOOSE_APOSTROPHE = re.compile(r"(?<!\w)'+|'+(?!\w)")


def normalize_text(text: str) -> list[str]:
    """The words of ``text`` after the normalisation in the module docstring."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    text = _THOUSANDS.sub("", text)
    text = _DECIMAL.sub(_DECIMAL_MARK, text)
    text = _NOT_WORD.sub(" ", text)
    text = _LOOSE_APOSTROPHE.sub(" ", text)
    return text.replace(_DECIMAL_MARK, ".").split()


@dataclass(frozen=True, kw_only=True)
class WERResult:
    """Word-level edit counts after normalisation."""

    substitutions: int
    deletions: int
    insertions: int
    reference_words: int
    hypothesis_words: int

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def rate(self) -> float:
        """(S + D + I) / N; for an empty reference 0.0 if nothing was inserted, else 1.0."""
        if self.reference_words == 0:
            return 0.0 if self.insertions == 0 else 1.0
        return self.errors / self.reference_words


def word_edits(reference: Sequence[str], hypothesis: Sequence[str]) -> tuple[int, int, int]:
    """(substitutions, deletions, insertions) of a minimum-edit alignment.

    Among alignments with the fewest edits, the one with the most substitutions
    is taken (so "a b" -> "x" counts 1 substitution + 1 deletion).  The Levenshtein table
    is computed a row at a time with numpy, so 10 000-word transcripts take
    about a second; only counts are kept, no alignment table.

    Trick: a cell holds ``E * BIG - S`` (E edits of which S substitutions).
    Insertions and deletions add BIG, substitutions BIG - 1, matches 0, so the
    minimum cell value is the fewest edits with the most substitutions.
    """
    n, m = len(reference), len(hypothesis)
    if n == 0 or m == 0:
        return 0, n, m
    vocab: dict[str, int] = {}
    ref = np.array([vocab.setdefault(w, len(vocab)) for w in reference], dtype=np.int64)
    hyp = np.array([vocab.setdefault(w, len(vocab)) for w in hypothesis], dtype=np.int64)
    big = np.int64(max(n, m) + 1)
    steps = np.arange(m + 1, dtype=np.int64) * big  # cost of j insertions
    row = steps.copy()
    for i in range(n):
        sub = np.where(hyp == ref[i], 0, big - 1)
        diag_or_up = np.empty(m + 1, dtype=np.int64)
        diag_or_up[0] = row[0] + big
        np.minimum(row[1:] + big, row[:-1] + sub, out=diag_or_up[1:])
        # horizontal moves (insertions): row[j] = min_k<=j diag_or_up[k] + (j-k)*big
        row = np.minimum.accumulate(diag_or_up - steps) + steps
    value = int(row[m])
    edits = -(-value // int(big))
    subs = edits * int(big) - value
    rest = edits - subs  # deletions + insertions; deletions - insertions = n - m
    deletions = (rest + n - m) // 2
    insertions = rest - deletions
    return subs, deletions, insertions


# Standard English normalisation, as ASR benchmarks apply it (after Whisper's
# EnglishTextNormalizer): contractions expanded, number words as digits,
# British spellings as American.  Applied to both sides; opt-in via ``english=True``.
_CONTRACTIONS = {
    "i'm": "i am", "you're": "you are", "we're": "we are", "they're": "they are", "he's": "he is",
    "she's": "she is", "it's": "it is", "that's": "that is", "there's": "there is", "here's": "here is",
    "what's": "what is", "who's": "who is", "let's": "let us", "i've": "i have", "you've": "you have",
    "we've": "we have", "they've": "they have", "i'll": "i will", "you'll": "you will", "we'll": "we will",
    "they'll": "they will", "it'll": "it will", "i'd": "i would", "you'd": "you would", "we'd": "we would",
    "they'd": "they would", "can't": "can not", "cannot": "can not", "won't": "will not", "shan't": "shall not",
    "ain't": "is not", "gonna": "going to", "wanna": "want to",
}
_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if w != "_"}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
_SPELLING = {
    "kilometres": "kilometers", "kilometre": "kilometer", "metres": "meters", "metre": "meter",
    "centre": "center", "centres": "centers", "fibre": "fiber", "fibres": "fibers", "licence": "license",
    "licences": "licenses", "programme": "program", "programmes": "programs", "defence": "defense",
    "offence": "offense", "travelling": "traveling", "travelled": "traveled", "labelled": "labeled",
    "modelling": "modeling", "judgement": "judgment", "catalogue": "catalog", "dialogue": "dialog",
    "analyse": "analyze", "analysed": "analyzed", "behaviour": "behavior", "colour": "color", "favour": "favor",
    "honour": "honor", "labour": "labor", "neighbour": "neighbor", "neighbours": "neighbors", "harbour": "harbor",
    "rumour": "rumor", "endeavour": "endeavor", "grey": "gray", "cheque": "check", "tyre": "tire",
}
_ISE = re.compile(r"(?<=[a-z]{3})is(e|es|ed|ing|ation|ations)$")


def _spell(word: str) -> str:
    word = _SPELLING.get(word, word)
    return _ISE.sub(r"iz\1", word)


def _numbers(words: list[str]) -> list[str]:
    """Runs of number words as digits: "twenty five" → "25", "one hundred and five" → "105"."""
    out: list[str] = []
    i = 0
    while i < len(words):
        if words[i] not in _UNITS and words[i] not in _TENS:
            out.append(words[i])
            i += 1
            continue
        total, current, j = 0, 0, i
        while j < len(words):
            w = words[j]
            if w in _UNITS:
                current += _UNITS[w]
            elif w in _TENS:
                current += _TENS[w]
            elif w in _SCALES and j > i:
                scale = _SCALES[w]
                if scale == 100:
                    current *= 100
                else:
                    total += current * scale
                    current = 0
            elif w == "and" and j + 1 < len(words) and (words[j + 1] in _UNITS or words[j + 1] in _TENS) and j > i:
                pass
            else:
                break
            j += 1
        out.append(str(total + current))
        i = j
    return out


def normalize_english(text: str) -> list[str]:
    """``normalize_text`` plus contractions, number words and spelling (see above)."""
    words: list[str] = []
    for w in normalize_text(text):
        words.extend(_CONTRACTIONS.get(w, w).split())
    words = [w[:-3] + " not" if w.endswith("n't") else w for w in words]
    words = " ".join(words).split()
    return [_spell(w) for w in _numbers(words)]


def wer(reference: str, hypothesis: str, *, english: bool = False) -> WERResult:
    """Word error rate of ``hypothesis`` against ``reference``.

    Text is normalised with ``normalize_text`` (``english=False``: numbers and
    spellings as written) or ``normalize_english`` (the usual ASR-benchmark
    normalisation for English).
    """
    norm = normalize_english if english else normalize_text
    ref, hyp = norm(reference), norm(hypothesis)
    s, d, i = word_edits(ref, hyp)
    return WERResult(substitutions=s, deletions=d, insertions=i, reference_words=len(ref), hypothesis_words=len(hyp))


# ------------------------------------------------------------------- DER

FRAME = 0.01  # seconds


@dataclass(frozen=True, kw_only=True)
class DERResult:
    """Diarization error components in seconds (scored time only)."""

    missed: float
    false_alarm: float
    confusion: float
    total: float  # scored reference speech, counted once per speaker
    mapping: Mapping[str, str] = field(default_factory=dict)  # hypothesis label -> reference label
    reference_speakers: int = 0
    hypothesis_speakers: int = 0

    @property
    def rate(self) -> float:
        """(missed + false alarm + confusion) / total; with no scored reference
        speech, 0.0 if the hypothesis is silent too, else 1.0."""
        errors = self.missed + self.false_alarm + self.confusion
        if self.total <= 0:
            return 0.0 if errors == 0 else 1.0
        return errors / self.total


def _frame(t: float) -> int:
    return int(round(t / FRAME))


def _activity(turns: Iterable[SpeechTurn], labels: list[str], n_frames: int) -> np.ndarray:
    index = {label: k for k, label in enumerate(labels)}
    act = np.zeros((len(labels), n_frames), dtype=bool)
    for t in turns:
        act[index[t.label], max(0, _frame(t.start)) : max(0, _frame(t.end))] = True
    return act


def der(
    reference: Sequence[SpeechTurn],
    hypothesis: Sequence[SpeechTurn],
    *,
    collar: float = 0.25,
    skip_overlap: bool = False,
) -> DERResult:
    """Diarization error rate of ``hypothesis`` against ``reference``.

    ``collar`` seconds either side of every reference turn's start and end are
    not scored (md-eval's ``-c``); ``skip_overlap`` leaves out time where two
    or more reference speakers talk at once.
    """
    from scipy.optimize import linear_sum_assignment

    ref_labels = sorted({t.label for t in reference})
    hyp_labels = sorted({t.label for t in hypothesis})
    end = max([t.end for t in (*reference, *hypothesis)], default=0.0)
    n = _frame(end) + _frame(collar) + 1
    ref = _activity(reference, ref_labels, n)
    hyp = _activity(hypothesis, hyp_labels, n)

    scored = np.ones(n, dtype=bool)
    if collar > 0:
        c = collar / FRAME
        for t in reference:
            for b in (t.start / FRAME, t.end / FRAME):
                scored[max(0, int(round(b - c))) : max(0, int(round(b + c)))] = False
    n_ref = ref.sum(axis=0)
    if skip_overlap:
        scored &= n_ref < 2
    ref, hyp, n_ref = ref[:, scored], hyp[:, scored], n_ref[scored]
    n_hyp = hyp.sum(axis=0)

    mapping: dict[str, str] = {}
    correct = np.zeros(ref.shape[1], dtype=np.int64)
    if ref_labels and hyp_labels:
        overlap = ref.astype(np.int32) @ hyp.T.astype(np.int32)  # frames both speak
        rows, cols = linear_sum_assignment(overlap, maximize=True)
        for r, h in zip(rows, cols):
            if overlap[r, h] > 0:
                mapping[hyp_labels[h]] = ref_labels[r]
                correct += ref[r] & hyp[h]

    missed = np.maximum(n_ref - n_hyp, 0).sum()
    false_alarm = np.maximum(n_hyp - n_ref, 0).sum()
    confusion = (np.minimum(n_ref, n_hyp) - correct).sum()
    return DERResult(
        missed=round(float(missed) * FRAME, 3),
        false_alarm=round(float(false_alarm) * FRAME, 3),
        confusion=round(float(confusion) * FRAME, 3),
        total=round(float(n_ref.sum()) * FRAME, 3),
        mapping=mapping,
        reference_speakers=len(ref_labels),
        hypothesis_speakers=len(hyp_labels),
    )
