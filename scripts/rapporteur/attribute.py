"""attribute: transcript words + diarization turns → named speaker ``Turns``.

Speakers are assigned per *word*, not per Whisper segment, so a change of
speaker inside a segment is honoured (segment-level assignment measured 54 %
speaker-attributed WER against 32 % per word on real conversation).
"""

from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, replace
from typing import Mapping, Sequence

from .core.records import Diarization, SpeechTurn, Transcript, Turn, Turns, Unheard, Word, sec, turn_id
from .core.text import ends_sentence

UNKNOWN = "SPEAKER_UNKNOWN"


@dataclass(frozen=True, kw_only=True)
class AttributeOptions:
    """How words are given to speakers."""

    max_gap: float = 1.0
    """Seconds: a word outside every diarization turn goes to the nearest turn within this distance."""
    min_run: float = 0.35
    """Seconds: a run of words shorter than this between two runs of one other speaker is given to that speaker."""
    snap_words: int = 2
    """Move a speaker change by up to this many words to the nearest sentence end."""


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def label_words(words: Sequence[Word], turns: Sequence[SpeechTurn], options: AttributeOptions) -> list[str]:
    """The diarization label of each word (max overlap, else nearest turn)."""
    ordered = sorted(turns, key=lambda t: (t.start, t.end))
    starts = [t.start for t in ordered]
    labels: list[str] = []
    for w in words:
        lo = max(0, bisect.bisect_right(starts, w.end) - 64)
        hi = bisect.bisect_right(starts, w.end + options.max_gap)
        best, best_ov, best_dist = None, 0.0, float("inf")
        for t in ordered[lo:hi]:
            ov = _overlap(w.start, w.end, t.start, t.end)
            if ov > best_ov:
                best, best_ov = t.label, ov
            elif best_ov == 0.0:
                dist = max(t.start - w.end, w.start - t.end, 0.0)
                if dist < best_dist and dist <= options.max_gap:
                    best, best_dist = t.label, dist
        if best is None:
            best = labels[-1] if labels else UNKNOWN
        labels.append(best)
    # words before the first labelled one take the first real label
    first = next((lab for lab in labels if lab != UNKNOWN), None)
    return [first if (lab == UNKNOWN and first) else lab for lab in labels]


def _runs(labels: Sequence[str]) -> list[tuple[int, int, str]]:
    runs: list[tuple[int, int, str]] = []
    for i, lab in enumerate(labels):
        if runs and runs[-1][2] == lab:
            runs[-1] = (runs[-1][0], i + 1, lab)
        else:
            runs.append((i, i + 1, lab))
    return runs


def smooth_labels(words: Sequence[Word], labels: Sequence[str], options: AttributeOptions) -> list[str]:
    """Absorb flickers and move speaker changes to nearby sentence ends."""
    out = list(labels)
    # 1. a very short run sandwiched between runs of one other speaker is jitter
    runs = _runs(out)
    for k in range(1, len(runs) - 1):
        s, e, lab = runs[k]
        if runs[k - 1][2] == runs[k + 1][2] != lab and words[e - 1].end - words[s].start < options.min_run:
            for i in range(s, e):
                out[i] = runs[k - 1][2]
    # 2. snap each change of speaker to the closest sentence end within a few words
    runs = _runs(out)
    for k in range(1, len(runs)):
        ps, pe, plab = runs[k - 1]
        cs, ce, clab = runs[k]
        boundary = cs
        if ends_sentence(words[boundary - 1].text, closers=False):
            continue
        best = None
        for shift in sorted(range(-options.snap_words, options.snap_words + 1), key=abs):
            j = boundary + shift
            if j <= ps or j >= ce or shift == 0:
                continue
            if ends_sentence(words[j - 1].text, closers=False):
                best = j
                break
        if best is None:
            continue
        lo, hi = sorted((boundary, best))
        for i in range(lo, hi):
            out[i] = plab if best > boundary else clab
        runs[k] = (best, ce, clab)
        runs[k - 1] = (ps, best, plab)
    return out


def speaker_names(labels_in_order: Sequence[str], speaker_map: Mapping[str, str]) -> dict[str, str]:
    """Label → display name: the session's explicit mapping, else "Speaker N"."""
    names: dict[str, str] = {}
    n = 0
    for lab in labels_in_order:
        if lab in names:
            continue
        if lab in speaker_map:
            names[lab] = speaker_map[lab]
        else:
            n += 1
            names[lab] = f"Speaker {n}"
    return names


def _join(words: Sequence[Word]) -> str:
    return "".join(w.text for w in words).strip()


def attribute(
    transcript: Transcript,
    diarization: Diarization,
    *,
    speaker_map: Mapping[str, str] | None = None,
    options: AttributeOptions = AttributeOptions(),
) -> Turns:
    """Assign every word to a speaker and merge consecutive words into turns."""
    words = [w for w in transcript.words() if w.text.strip()]
    labels = label_words(words, diarization.turns, options) if diarization.turns else ["SPEAKER_00"] * len(words)
    labels = smooth_labels(words, labels, options) if words else []
    unheard = unheard_voices(transcript.unheard, diarization, options)
    runs = _split_runs(_runs(labels), _breaks(words, labels, unheard))
    names = speaker_names([lab for _, _, lab in runs], speaker_map or {})
    turns: list[Turn] = []
    used: set[str] = set()
    for s, e, lab in runs:
        chunk = tuple(words[s:e])
        tid = turn_id(chunk[0].start)
        while tid in used:
            tid += "b"
        used.add(tid)
        turns.append(
            Turn(
                id=tid,
                start=sec(chunk[0].start),
                end=sec(chunk[-1].end),
                label=lab,
                speaker=names[lab],
                text=_join(chunk),
                words=chunk,
            )
        )
    return Turns(
        turns=tuple(turns),
        speakers=names,
        language=transcript.language,
        duration=transcript.duration,
        parameters=asdict(options),
        unheard=unheard,
    )


def _breaks(words: Sequence[Word], labels: Sequence[str], unheard: Sequence[Unheard]) -> set[int]:
    """Indices of the words before which a turn ends because another voice spoke, unheard, between them: the
    moderator's "Over to you." and "Thank you." around a remote speaker Whisper could not make out are two turns."""
    starts = [w.start for w in words]
    out: set[int] = set()
    for u in unheard:
        k = bisect.bisect_left(starts, u.start)
        if 0 < k < len(words) and labels[k - 1] == labels[k] != u.label:
            out.add(k)
    return out


def _split_runs(runs: list[tuple[int, int, str]], breaks: set[int]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for s, e, lab in runs:
        cuts = [s, *sorted(k for k in breaks if s < k < e), e]
        out += [(a, b, lab) for a, b in zip(cuts, cuts[1:])]
    return out


def unheard_voices(unheard: Sequence[Unheard], diarization: Diarization, options: AttributeOptions) -> tuple[Unheard, ...]:
    """The speech left without words, each stretch with the diarization label heard there (as a word would be)."""
    spans = [Word(start=u.start, end=u.end, text="") for u in unheard]
    labels = label_words(spans, diarization.turns, options) if diarization.turns else ["SPEAKER_00"] * len(spans)
    return tuple(replace(u, label=label) for u, label in zip(unheard, labels))
