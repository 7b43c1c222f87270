"""Accuracy of a processed session against its ground truth (synthetic sessions).

Reads ``reference.json`` (``rapporteur.eval.synth``) next to the pipeline's
artefacts and reports WER, DER (collar), the speaker count, and the share of
words attributed to the right person — by name when turns carry roster names,
else through DER's optimal label mapping.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from ..core import folder as files
from ..core.folder import SessionFolder
from ..errors import RapporteurError
from .metrics import der, normalize_text, wer
from ..core.records import Diarization, SpeechTurn, Transcript, Turns
from .synth import ReferenceTurn, SynthReference, load_reference


@dataclass(frozen=True, kw_only=True)
class Evaluation:
    session: str
    wer: float
    """Strict: numbers and spellings as written."""
    wer_english: float
    """With the usual English normalisation (contractions, number words, spellings)."""
    reference_words: int
    der: float | None
    missed: float | None
    false_alarm: float | None
    confusion: float | None
    reference_speakers: int
    hypothesis_speakers: int | None
    words_correctly_attributed: float | None
    named: bool

    def text(self) -> str:
        lines = [
            f"{self.session}: WER {self.wer_english:.1%} (English-normalised; strict {self.wer:.1%}) "
            f"over {self.reference_words} reference words"
        ]
        if self.der is not None:
            lines.append(
                f"  DER {self.der:.1%} (missed {self.missed:.1f} s, false alarm {self.false_alarm:.1f} s, "
                f"confusion {self.confusion:.1f} s); speakers {self.hypothesis_speakers} found / {self.reference_speakers} true"
            )
        if self.words_correctly_attributed is not None:
            how = "by name" if self.named else "by label mapping"
            lines.append(f"  words attributed to the right speaker ({how}): {self.words_correctly_attributed:.1%}")
        return "\n".join(lines)


def reference_turns(ref: SynthReference) -> list[SpeechTurn]:
    return [SpeechTurn(start=t.start, end=t.end, label=t.speaker) for t in ref.turns]


class SpeakerAt:
    """The reference speaker at a moment.  Reference turns may nest (a back-channel "yes" inside an
    intervention): a moment inside several turns belongs to the longest of them, unless the word
    said there is one of a shorter turn's words (then the shortest such); a moment between turns
    belongs to the nearest one."""

    def __init__(self, turns: Sequence[ReferenceTurn]) -> None:
        self.turns = sorted(turns, key=lambda x: x.start)
        self.starts = [x.start for x in self.turns]
        self.words = [set(normalize_text(x.text)) for x in self.turns]
        self.longest = max((x.end - x.start for x in self.turns), default=0.0)

    def __call__(self, t: float, word: str = "") -> str:
        if not self.turns:
            return ""
        i = bisect.bisect_right(self.starts, t) - 1
        inside = []
        for j in range(i, -1, -1):  # back to the earliest turn that can still reach t
            if self.starts[j] < t - self.longest:
                break
            if self.turns[j].end >= t:
                inside.append(j)
        if inside:
            said = set(normalize_text(word))
            length = lambda j: self.turns[j].end - self.turns[j].start  # noqa: E731
            short = [j for j in inside if said & self.words[j]]
            return self.turns[min(short, key=length) if short else max(inside, key=length)].speaker
        near = [self.turns[k] for k in (i, i + 1) if 0 <= k < len(self.turns)]
        return min(near, key=lambda x: min(abs(t - x.start), abs(t - x.end))).speaker


def attribution_accuracy(ref: SynthReference, turns: Turns, label_map: dict[str, str] | None) -> tuple[float, bool]:
    """Share of words whose turn's speaker is the reference speaker at the word's midpoint."""
    speaker_at = SpeakerAt(ref.turns)
    roster = {t.speaker for t in ref.turns}
    named = any(t.speaker in roster for t in turns.turns)
    total = good = 0
    for turn in turns.turns:
        who = turn.speaker if named else (label_map or {}).get(turn.label, "")
        for w in turn.words:
            total += 1
            good += who == speaker_at((w.start + w.end) / 2, w.text)
    return (good / total if total else 0.0), named


def evaluate(
    session: str,
    ref: SynthReference,
    transcript: Transcript,
    diarization: Diarization | None = None,
    turns: Turns | None = None,
    *,
    collar: float = 0.25,
) -> Evaluation:
    ref_text, hyp_text = " ".join(t.text for t in ref.turns), " ".join(x.text for x in transcript.words())
    w = wer(ref_text, hyp_text)
    d = der(reference_turns(ref), list(diarization.turns), collar=collar) if diarization else None
    acc, named = (None, False)
    if turns is not None:
        acc, named = attribution_accuracy(ref, turns, dict(d.mapping) if d else None)
    return Evaluation(
        session=session,
        wer=w.rate,
        wer_english=wer(ref_text, hyp_text, english=True).rate,
        reference_words=w.reference_words,
        der=d.rate if d else None,
        missed=d.missed if d else None,
        false_alarm=d.false_alarm if d else None,
        confusion=d.confusion if d else None,
        reference_speakers=len(ref.speakers),
        hypothesis_speakers=d.hypothesis_speakers if d else None,
        words_correctly_attributed=acc,
        named=named,
    )


def evaluate_session(session_dir: Path, *, collar: float = 0.25, as_json: bool = False) -> str:
    session_dir = Path(session_dir)
    ref_path = session_dir / "reference.json"
    if not ref_path.is_file():
        raise RapporteurError("no reference.json (ground truth) in this session", path=session_dir,
                              hint="evaluate works on synthetic sessions made by rapporteur.eval.synth")
    folder = SessionFolder(session_dir)
    transcript = folder.read(files.TRANSCRIPT)
    if transcript is None:
        why = folder.damaged.get(files.TRANSCRIPT.name)
        raise RapporteurError(f"transcript.json is damaged ({why})" if why else "no transcript.json yet", path=session_dir,
                              hint=f"run `rapporteur run {session_dir}` first")
    result = evaluate(
        session_dir.name,
        load_reference(ref_path),
        transcript,
        folder.read(files.DIARIZATION),  # missing or damaged: evaluated without it
        folder.read(files.TURNS),
        collar=collar,
    )
    return json.dumps(asdict(result), indent=1, sort_keys=True) if as_json else result.text()
