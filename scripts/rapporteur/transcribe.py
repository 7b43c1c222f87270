"""transcribe: audio → ``Transcript`` (segments, words with timings, language).

Backends share one small interface, ``Backend.transcribe(audio, options,
prompt, progress) -> Transcript``:

* ``faster-whisper`` (default): CTranslate2, int8 on CPU, Silero VAD so that
  silence and music produce no invented text.
* ``openai-whisper``: the reference implementation (optional extra
  ``rapporteur[openai-whisper]``); loads a model name or a local checkpoint.
"""

from __future__ import annotations

import bisect
import os
import re
import time
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, replace
from typing import Any, Callable, Collection, Protocol, Sequence

import numpy as np

from .errors import ModelError, StageError
from .core.media import SAMPLE_RATE
from .core.progress import ProgressFn, null_progress
from .core.records import Segment, Transcript, Unheard, Word, sec

BACKENDS = ("faster-whisper", "openai-whisper")


@dataclass(frozen=True, kw_only=True)
class TranscribeOptions:
    """How to transcribe.  Loaded from rapporteur.yaml ``transcribe:``."""

    backend: str = "faster-whisper"
    """faster-whisper | openai-whisper"""
    model: str = "base"
    """Model name (base and tiny.en work offline; others download) or a model folder/checkpoint path."""
    device: str = "cpu"
    """cpu | cuda | auto"""
    compute_type: str = "int8"
    """CTranslate2 compute type: int8 (fastest on CPU), int8_float16, float16, float32."""
    threads: int = 0
    """CPU threads; 0 = all cores."""
    language: str | None = None
    """ISO code; None = detect (session.yaml `language:` overrides)."""
    beam_size: int = 5
    """Beam width; 1 = greedy (faster, slightly less accurate)."""
    temperature_fallback: bool = True
    """Re-decode a window at higher temperatures when it looks like a hallucination loop."""
    vad_filter: bool = True
    """Skip non-speech with Silero VAD (prevents invented text on silence/music)."""
    use_prompt: bool = True
    """Prime the decoder with the session title and roster names (helps proper nouns)."""
    condition_on_previous_text: bool = True
    """Feed each window the previous window's text (measured: WER 15.6 % → 12.7 % on synthetic speech)."""
    chunk_minutes: float = 20.0
    """Decode long recordings in chunks of about this many minutes, cut in silence (bounds memory); 0 = whole."""
    batch_size: int = 8
    """faster-whisper: decode the recording in windows cut at VAD silences (up to 30 s, as WhisperX does),
    each on its own with the prompt, this many at once (BatchedInferencePipeline); 1 = one 30-s window
    after another, each conditioned on the last.  Measured on 15 min of an IGF-size panel (p1, from
    minute 12.8, with ``fill_gaps``): WER 12.0 % against 14.5 % one after another (13.1 % plain
    faster-whisper), roster-name words heard 16 of 22 against 2, in 0.57× the time.  Conditioned on
    its previous text, Whisper fell into "Thank you very much." loops over long stretches of speech."""
    no_speech_threshold: float = 0.6
    """Drop a segment whose no-speech probability is above this while its mean log-probability is below -1."""
    fill_gaps: float = 2.0
    """Seconds: every stretch of detected speech (Silero VAD) at least this long that got no words — skipped,
    or under a segment that looks hallucinated (``segment_anomaly``) — is decoded again on its own, without
    the previous window's text and with the prompt (with ``batch_size`` > 1: several stretches to a 30-s window,
    ``batch_size`` windows at once; measured on p1, 46 stretches, 296 s: 50 s against 171 s one after another, at
    equal WER); 0 = off."""

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError("batch_size must be 1 (no batching) or more")

    def parameters(self) -> dict:
        d = asdict(self)
        for key in ("threads", "device", "chunk_minutes"):  # how, not what: same transcript
            d.pop(key)
        return d

    def for_stretch(self, language: str | None) -> "TranscribeOptions":
        """How a stretch is decoded again: on its own (no previous text), the whole stretch (no VAD inside
        it), one window after another, in the language the recording was found to be in, once
        (no temperature fallback: on a 47-min panel whose stretches were unintelligible, the fallback's
        five further decodings of each kept the re-decoding running for more than 14 minutes).  The beam
        stays the main pass's: greedily, on the stored main passes of two 47-min panels (46 and 45
        stretches), the re-decoding took 35.9 / 21.2 s against 50.2 / 34.8 s, at WER 14.96 / 15.41 %
        against 14.60 / 15.51 %; in a whole run of the first, that was 15.5 % against 15.1 % for plain
        faster-whisper, in 0.44x its time: the time is better spent on the words."""
        return replace(self, condition_on_previous_text=False, vad_filter=False, batch_size=1,
                       language=self.language or language or None, fill_gaps=0.0, temperature_fallback=False)


class Backend(Protocol):
    name: str

    def transcribe(
        self,
        audio: np.ndarray,
        options: TranscribeOptions,
        *,
        prompt: str | None,
        hotwords: str | None,
        progress: ProgressFn,
        on_segment: Callable[[Segment], None] | None = None,
    ) -> Transcript: ...


def session_prompt(title: str, names: list[str], description: str = "", *, limit: int = 800) -> str:
    """An ``initial_prompt`` priming Whisper with the session's vocabulary.

    Title, roster names and description, in that order, cut at ``limit``
    characters.  Proper nouns are what Whisper gets wrong; on the held-out
    synthetic meeting the description lowered WER from 10.4 % to 9.1 %.
    """
    parts = [p.strip().rstrip(".") for p in (title, ", ".join(n for n in names if n)) if p and p.strip()]
    text = ". ".join(parts) + ("." if parts else "")
    if description.strip():
        text = (text + " " + " ".join(description.split())).strip()
    return text[:limit].rsplit(" ", 1)[0] if len(text) > limit else text


def _keep(segment_text: str, avg_logprob: float, no_speech_prob: float, options: TranscribeOptions) -> bool:
    if not segment_text.strip():
        return False
    return not (no_speech_prob > options.no_speech_threshold and avg_logprob < -1.0)


PUNCTUATION = "\"'“¿([{-\"'.。,，!！?？:：”)]}、"


def word_anomaly(word: Word) -> float:
    """How unlike a spoken word a decoded one is (openai-whisper's ``word_anomaly_score``): improbable
    (p < 0.15), too short to be said (< 0.133 s) or stretched over seconds (> 2 s)."""
    duration = word.end - word.start
    score = 1.0 if word.probability < 0.15 else 0.0
    if duration < 0.133:
        score += (0.133 - duration) * 15
    if duration > 2.0:
        score += duration - 2.0
    return score


def name_keys(names: Sequence[str]) -> frozenset[str]:
    """The words of ``names`` (3 letters or more) as ``segment_anomaly`` compares them: "Adeyemi-Clarke" is two."""
    return frozenset(k for n in names for k in map(_loop_key, re.split(r"[\s\-‐]+", n)) if len(k) >= 3)


def segment_anomaly(words: Sequence[Word], names: frozenset[str] = frozenset()) -> bool:
    """A segment that looks hallucinated rather than heard: its first eight words (punctuation aside) add
    up to an anomaly of 3 or more, or of about one per word.  Measured on the IGF-size panels: Whisper,
    conditioned on its previous text, fills skipped speech with "Thank you very much." whose first word
    has p ≈ 0.01 and whose other words last 5–13 s each.

    A word of the roster's ``names`` (``name_keys``) in a segment that holds two or more other words is not
    counted improbable: primed with the roster, Whisper writes a name it hears right at p 0.00-0.15 ("I
    would like to welcome what Ngozi (0.00) Adeyemi (0.00) -Clarke (0.03) said. Thank you very much, …", a
    26-s segment of the p1 panel, which was taken for hallucinated and decoded again without the prompt as
    "… what Mark Chitl said").  Names alone, or one name three times or more, stay counted: over speech it
    cannot make out, Whisper recites pieces of the roster ("Aroha Ngata", "Juhani", p 0.00-0.03) or loops
    over it ("Adebayo-Ferreira, Małgorzata Szczepańska, Rafael Quispe Mamani and …" eight times, p3 panel)."""
    spoken = [w for w in words if w.text.strip() not in PUNCTUATION]
    if not spoken:
        return False
    keys = [_loop_key(w.text) for w in spoken]
    named = Counter(k for k in keys if k in names)
    trusted = bool(named) and len(keys) - sum(named.values()) >= 2 and max(named.values()) <= 2
    first = list(zip(spoken, keys))[:8]
    score = sum(word_anomaly(replace(w, probability=1.0) if trusted and k in names else w) for w, k in first)
    return score >= 3 or score + 0.01 >= len(first)


def unheard(
    regions: Sequence[tuple[float, float]], segments: Sequence[Segment], min_len: float, *,
    bridge: float = 1.0, min_speech: float | None = None, any_word: bool = False, names: frozenset[str] = frozenset(),
) -> list[tuple[float, float]]:
    """The stretches (seconds) of detected speech ``regions`` that no word of a segment that does not look
    hallucinated (``segment_anomaly`` with the roster's ``names``; ``any_word``: no word at all) overlaps, at
    least ``min_len`` long.  Regions less than ``bridge`` seconds apart with no word between them count as one
    stretch when they hold ``min_speech`` seconds of speech (default ¾ of ``min_len``): "Yes, can you hear me
    now? Okay." is several short regions to a VAD, one skipped stretch to a listener (measured on a 46-min
    panel: a remote speaker's 6 s in three regions of 0.2-0.8 s)."""
    min_speech = 0.75 * min_len if min_speech is None else min_speech
    words = sorted((w.start, w.end) for s in segments if any_word or not segment_anomaly(s.words, names)
                   for w in s.words)
    groups: list[list[tuple[float, float]]] = []
    for a, b in sorted(regions):
        if groups and a - groups[-1][-1][1] < bridge:
            groups[-1].append((a, b))
        else:
            groups.append([(a, b)])
    out: list[tuple[float, float]] = []

    def keep(x: float, y: float, group: Sequence[tuple[float, float]]) -> None:
        parts = [(max(a, x), min(b, y)) for a, b in group if min(b, y) > max(a, x)]
        if parts and parts[-1][1] - parts[0][0] >= min_len and sum(b - a for a, b in parts) >= min(min_speech, min_len):
            out.append((parts[0][0], parts[-1][1]))

    i = 0
    for group in groups:
        a, b = group[0][0], group[-1][1]
        while i < len(words) and words[i][1] <= a:
            i += 1
        cur, j = a, i
        while j < len(words) and words[j][0] < b:
            if words[j][0] > cur:
                keep(cur, words[j][0], group)
            cur = max(cur, words[j][1])
            j += 1
        if b > cur:
            keep(cur, b, group)
    return out


def fill_unheard(
    segments: Sequence[Segment],
    stretches: Sequence[tuple[float, float]],
    decode: Callable[[float, float], Sequence[Segment]],
    *,
    margin: float = 0.1,
    names: frozenset[str] = frozenset(),
) -> tuple[Segment, ...]:
    """``segments`` with the words of every stretch decoded again on its own.

    ``decode(a, b)`` returns the segments heard in [a, b] on the recording's timeline.  Of a re-decoded
    stretch only the segments that do not look hallucinated are kept, and of them the words whose middle
    lies in the stretch (± ``margin``), so no word next to it is heard twice.  A segment that looks
    hallucinated gives way to re-decoded words inside its span; one without any stays.  Ids follow time."""
    found: list[Segment] = []
    for a, b in stretches:
        for s in decode(a, b):
            if segment_anomaly(s.words, names):
                continue
            words = tuple(w for w in s.words if a - margin <= (w.start + w.end) / 2 <= b + margin)
            if words:
                found.append(replace(s, start=words[0].start, end=words[-1].end, words=words,
                                     text="".join(w.text for w in words).strip()))
    spans = [(w.start, w.end) for s in found for w in s.words]

    def replaced(s: Segment) -> bool:
        return segment_anomaly(s.words, names) and any(x < s.end and y > s.start for x, y in spans)

    kept = [s for s in segments if not replaced(s)] + found
    kept.sort(key=lambda s: (s.start, s.end))
    return tuple(replace(s, id=i) for i, s in enumerate(kept))


def _loop_key(text: str) -> str:
    return re.sub(r"[^\w']+", "", text.casefold())


def collapse_loops(words: Sequence[Word], *, max_repeats: int = 3, max_n: int = 8) -> tuple[Word, ...]:
    """Cut Whisper's repetition loops ("vrais vrais vrais vrais…", "je vous remercie
    bien, et je vous remercie bien, et …"): an n-gram (n ≤ ``max_n`` words, compared
    without case and punctuation) repeated more than ``max_repeats`` times in a row
    keeps ``max_repeats`` copies.  Run ``strip_stray_scripts`` first: a stray
    character inside one copy would hide the loop."""
    out = list(words)
    key = [_loop_key(w.text) for w in out]
    for n in range(1, max_n + 1):
        i = 0
        while i + n <= len(out):
            gram = key[i : i + n]
            j = i + n
            while j + n <= len(out) and key[j : j + n] == gram:
                j += n
            reps = (j - i) // n
            if reps > max_repeats:
                cut_from, cut_to = i + max_repeats * n, j
                del out[cut_from:cut_to]
                del key[cut_from:cut_to]
            i += 1
    return tuple(out)


PROMPTED_NAME = 0.02
"""Prompt words heard this improbably (the geometric mean of their probabilities) may be the prompt's, not what
was said.  Measured on two panels: a floor speaker's name heard as a roster name 0.0012, the moderators' own 0.12
and 0.15; the roster recited over "Xochitl, the floor is yours." 0.005."""


def sureness(words: Sequence[Word]) -> float:
    """How sure the decoder was of ``words``: the geometric mean of their probabilities (1.0 for none)."""
    return float(np.exp(np.mean(np.log([max(w.probability, 1e-6) for w in words])))) if words else 1.0


def prompt_echo(words: Sequence[Word], prompt: str | None, *, max_n: int = 12, recited: int = 6,
                unsure: float = PROMPTED_NAME) -> list[tuple[int, int]]:
    """Where Whisper recites its prompt instead of what was said: [i, j) index ranges of ``words``.

    Two kinds, both measured on a 46-min panel: a run of two or more prompt words said twice or more in a
    row ("Let me turn to Ms., Xochitl Ramírez Huerta, Siddharth Venkataraman, Xochitl Ramírez Huerta,
    Siddharth Venkataraman, Xoch…" for "Let me turn to Ms. Solheim-Haugen"), each range taking in the
    incomplete copies either side; and ``recited`` words or more as they follow each other in the prompt that
    the decoder was unsure of (geometric mean of their probabilities below ``unsure``: "Ngozi Adeyemi-Clarke,
    Tomasz Wójcik, Xochitl Ramírez Huerta, …" for "Xochitl, the floor is yours.", 0.005).  The title or a
    name said once, even a list of the roster said as it stands in the prompt (a chair's thanks at the close),
    is heard with confidence: no echo."""
    order = [k for k in map(_loop_key, re.split(r"[\s\-‐]+", prompt or "")) if k]  # "Adeyemi-Clarke" is two words to Whisper
    vocab = set(order)
    if not vocab or len(words) < 4:
        return []
    key = [_loop_key(w.text) for w in words]
    follows = {(a, b) for a, b in zip(order, order[1:])}
    ranges: list[tuple[int, int]] = []
    i = 0
    while i < len(key):
        found = None
        for n in range(2, max_n + 1):
            gram = key[i : i + n]
            if len(gram) < n or not all(k in vocab for k in gram) or len(set(gram)) < 2:
                continue
            j = i + n
            while key[j : j + n] == gram:
                j += n
            if j > i + n:
                found = (n, j)
                break
        if found is not None:
            n, j = found
            gram = key[i : i + n]
            a = i
            while a > 0 and key[a - 1] == gram[(a - 1 - i) % n]:  # an incomplete copy before
                a -= 1
            while j < len(key) and key[j] and (key[j] == gram[(j - i) % n] or (gram[(j - i) % n].startswith(key[j])
                                                                             and (j + 1 == len(key) or key[j + 1] != gram[(j + 1 - i) % n]))):
                j += 1  # and after ("Xoch")
            ranges.append((a, j))
            i = j
            continue
        j = i + 1  # words as they follow each other in the prompt
        while key[i] in vocab and j < len(key) and (key[j - 1], key[j]) in follows:
            j += 1
        if j - i >= recited and sureness(words[i:j]) < unsure:
            ranges.append((i, j))
            i = j
            continue
        i += 1
    return ranges


def without_prompt_echo(segment: Segment, prompt: str | None) -> Segment | None:
    """``segment`` without the words of its prompt echoes (``prompt_echo``); None when nothing is left."""
    cut = prompt_echo(segment.words, prompt)
    if not cut:
        return segment
    drop = {k for a, b in cut for k in range(a, b)}
    words = tuple(w for k, w in enumerate(segment.words) if k not in drop)
    if not words:
        return None
    return replace(segment, start=words[0].start, end=words[-1].end, words=words,
                   text="".join(w.text for w in words).strip())


def longest_loop(texts: Sequence[str], *, max_n: int = 8) -> int:
    """How many times in a row the most repeated n-gram (n ≤ ``max_n``) of ``texts`` occurs (a check for tests)."""
    key = [_loop_key(t) for t in texts]
    key = [k for k in key if k]
    best = 1 if key else 0
    for n in range(1, max_n + 1):
        for i in range(len(key) - n + 1):
            reps, j = 1, i + n
            while j + n <= len(key) and key[j : j + n] == key[i : i + n]:
                reps, j = reps + 1, j + n
            best = max(best, reps)
    return best


def script_of(ch: str) -> str:
    """The writing system of a letter: LATIN, CYRILLIC, ARABIC, CJK, HIRAGANA, HANGUL, …; "" for a non-letter."""
    if not unicodedata.category(ch).startswith("L"):
        return ""
    name = unicodedata.name(ch, "")
    first = name.split(" ", 1)[0]
    if first in ("CJK", "KANGXI", "IDEOGRAPHIC"):
        return "CJK"
    return first


def strip_stray_scripts(words: Sequence[Word]) -> tuple[Word, ...]:
    """Drop the letters of another writing system inside a word ("remerci汉e" → "remercie").

    Whisper sometimes emits a byte-level token of another script in the middle of a
    word when a borderline window is decoded (a Han character inside a French word).
    Such a character is a decoding artefact, not something said: it is dropped, and
    the word keeps the letters of its majority script.  A whole word in another
    script (a quoted Chinese name in a French talk) is kept: it may be what was said.
    A word left without letters or digits is dropped.
    """
    out: list[Word] = []
    for w in words:
        scripts = [script_of(ch) for ch in w.text]
        counts: dict[str, int] = {}
        for sc in scripts:
            if sc:
                counts[sc] = counts.get(sc, 0) + 1
        if len(counts) <= 1:
            out.append(w)
            continue
        main = max(counts, key=lambda sc: (counts[sc], sc == "LATIN"))
        text = "".join(ch for ch, sc in zip(w.text, scripts) if not sc or sc == main)
        if re.search(r"\w", text):
            out.append(replace(w, text=text))
    return tuple(out)


def clean_words(words: Sequence[Word]) -> tuple[Word, ...]:
    """The transcribe stage's output checks on one segment's words: stray scripts out, then loops cut."""
    return collapse_loops(strip_stray_scripts(words))


def _temperatures(options: TranscribeOptions) -> tuple[float, ...]:
    return (0.0, 0.2, 0.4, 0.6, 0.8, 1.0) if options.temperature_fallback else (0.0,)


def _cpu_threads(threads: int) -> int:
    return threads if threads > 0 else (os.cpu_count() or 1)


RUNTIMES = {"faster-whisper": "ctranslate2", "openai-whisper": "torch"}


def asr_device(options: TranscribeOptions) -> str:
    """``cpu`` or ``cuda`` for the configured backend; a one-line error when cuda is asked but unusable."""
    from .core.devices import resolve_device

    return resolve_device(options.device, what=f"ASR ({options.backend})", runtime=RUNTIMES.get(options.backend, "torch"))


FEATURE_BLOCK_FRAMES = 24_000
"""Log-mel features are computed this many 10-ms frames at a time (4 minutes)."""


def blockwise_log_mel(extractor, waveform: np.ndarray, padding: int = 160, chunk_length=None) -> np.ndarray:
    """faster-whisper's ``FeatureExtractor.__call__``, a block of frames at a time.

    The same log-mel spectrogram, to float32 rounding (reflect-padded STFT, power, mel,
    log10, clamped 8 below the maximum of the whole input), without its whole-input temporaries:
    20 minutes of audio measured 914 MB above the audio itself in one piece.
    """
    if chunk_length is not None:
        extractor.n_samples = chunk_length * extractor.sampling_rate
        extractor.nb_max_frames = extractor.n_samples // extractor.hop_length
    n_fft, hop = extractor.n_fft, extractor.hop_length
    waveform = np.asarray(waveform, dtype=np.float32)
    if padding:
        waveform = np.pad(waveform, (0, padding))
    padded = np.pad(waveform, n_fft // 2, mode="reflect")
    window = np.hanning(n_fft + 1)[:-1].astype("float32")
    count = (len(padded) - n_fft) // hop  # the last frame is dropped, as faster-whisper does
    frames = np.lib.stride_tricks.as_strided(padded, (count + 1, n_fft), (padded.strides[0] * hop, padded.strides[0]))
    out = np.empty((extractor.mel_filters.shape[0], count), dtype=np.float32)
    for i in range(0, count, FEATURE_BLOCK_FRAMES):
        j = min(count, i + FEATURE_BLOCK_FRAMES)
        spec = np.fft.rfft(frames[i:j] * window, n=n_fft, axis=-1).astype("complex64")
        mel = extractor.mel_filters @ (np.abs(spec) ** 2).T
        out[:, i:j] = np.log10(np.clip(mel, a_min=1e-10, a_max=None))
    np.maximum(out, out.max() - 8.0, out=out)
    out += 4.0
    out /= 4.0
    return out


def _blockwise_features(model) -> None:
    """Give a loaded WhisperModel the block-wise feature extractor (the same features, bounded memory)."""
    from faster_whisper.feature_extractor import FeatureExtractor

    class BlockwiseFeatureExtractor(FeatureExtractor):
        def __call__(self, waveform, padding=160, chunk_length=None):
            return blockwise_log_mel(self, waveform, padding, chunk_length)

    model.feature_extractor.__class__ = BlockwiseFeatureExtractor


def _faster_whisper_segment(s, index: int, options: TranscribeOptions) -> Segment | None:
    """One of faster-whisper's segments as a ``Segment`` with id ``index``; None when nothing of it is kept."""
    if not _keep(s.text, s.avg_logprob, s.no_speech_prob, options):
        return None
    words = clean_words([
        Word(start=sec(w.start), end=sec(w.end), text=w.word, probability=round(float(w.probability), 4))
        for w in (s.words or [])
    ])
    if s.words and not words:
        return None  # nothing was left of the segment
    return Segment(
        id=index,
        start=sec(s.start),
        end=sec(s.end),
        text="".join(w.text for w in words).strip() if words else s.text.strip(),
        words=words,
        avg_logprob=round(float(s.avg_logprob), 4),
        no_speech_prob=round(float(s.no_speech_prob), 4),
    )


class FasterWhisperBackend:
    name = "faster-whisper"

    def __init__(self) -> None:
        self._loaded: tuple[tuple, Any] | None = None  # one model for every chunk of a recording

    def _model(self, options, device: str):
        from faster_whisper import WhisperModel

        from .models import resolve_faster_whisper_model

        key = (options.model, device, options.compute_type, _cpu_threads(options.threads))
        if self._loaded is not None and self._loaded[0] == key:
            return self._loaded[1]
        model_ref = resolve_faster_whisper_model(options.model)
        try:
            model = WhisperModel(
                model_ref,
                device=device,
                compute_type=options.compute_type,
                cpu_threads=_cpu_threads(options.threads),
                local_files_only=os.environ.get("HF_HUB_OFFLINE") == "1",
            )
        except Exception as exc:  # hub unreachable, bad folder, unsupported compute type
            raise ModelError(
                f"cannot load faster-whisper model {options.model!r}: {str(exc).splitlines()[0][:160]}",
                hint="use `model: base` or `model: tiny.en` (bundled, offline), a model folder, or connect to the internet to download it",
            ) from None
        _blockwise_features(model)
        self._loaded = (key, model)
        return model

    def transcribe(self, audio, options, *, prompt, hotwords, progress, on_segment=None):
        model = self._model(options, asr_device(options))
        total = len(audio) / SAMPLE_RATE
        runner, batch = model, {}
        if options.batch_size > 1:
            from faster_whisper import BatchedInferencePipeline

            runner, batch = BatchedInferencePipeline(model), {"batch_size": options.batch_size}
        segments_iter, info = runner.transcribe(
            audio,
            **batch,
            language=options.language,
            beam_size=options.beam_size,
            word_timestamps=True,
            vad_filter=options.vad_filter,
            initial_prompt=prompt or None,
            hotwords=hotwords or None,
            condition_on_previous_text=options.condition_on_previous_text,
            temperature=_temperatures(options),
        )
        segments: list[Segment] = []
        for s in segments_iter:
            progress(min(s.end, total), total)
            segment = _faster_whisper_segment(s, len(segments), options)
            if segment is None:
                continue
            segments.append(segment)
            if on_segment:
                on_segment(segment)
        progress(total, total)
        return Transcript(
            language=info.language,
            language_probability=round(float(info.language_probability), 4),
            duration=sec(total),
            segments=tuple(segments),
            backend=self.name,
            model=options.model,
            parameters=options.parameters(),
        )

    def transcribe_clips(self, audio, clips, options, *, prompt, hotwords, batch_size):
        """The segments heard in the clips ((start, end) seconds of ``audio``, each at most 30 s), on the
        audio's timeline: every clip decoded on its own with ``prompt``, ``batch_size`` at once, with timestamp
        tokens (as one window after another decodes): with text tokens only (the batched default), Whisper
        often stopped after the first thing it heard in a stretch, a back-channel "Okay." over a remote speaker."""
        from faster_whisper import BatchedInferencePipeline

        if not clips:
            return []
        model = self._model(options, asr_device(options))
        segments_iter, _info = BatchedInferencePipeline(model).transcribe(
            audio,
            batch_size=batch_size,
            clip_timestamps=[{"start": float(a), "end": float(b)} for a, b in clips],
            vad_filter=False,
            language=options.language,
            beam_size=options.beam_size,
            word_timestamps=True,
            initial_prompt=prompt or None,
            hotwords=hotwords or None,
            condition_on_previous_text=False,
            temperature=(0.0,),
            without_timestamps=False,
        )
        return [segment for s in segments_iter if (segment := _faster_whisper_segment(s, 0, options)) is not None]


class OpenAIWhisperBackend:
    name = "openai-whisper"

    def __init__(self) -> None:
        self._loaded: tuple[tuple, Any] | None = None  # one model for the recording and its re-decoded stretches

    def transcribe(self, audio, options, *, prompt, hotwords, progress, on_segment=None):
        try:
            import whisper
        except ImportError:
            raise ModelError(
                "the openai-whisper backend is not installed",
                hint="pip install 'rapporteur[openai-whisper]', or use `backend: faster-whisper`",
            ) from None
        import torch

        if options.threads > 0:
            torch.set_num_threads(options.threads)
        device = asr_device(options)
        key = (options.model, device)
        if self._loaded is not None and self._loaded[0] == key:
            model = self._loaded[1]
        else:
            try:
                model = whisper.load_model(os.path.expanduser(options.model), device=device)
            except Exception as exc:
                raise ModelError(
                    f"cannot load openai-whisper model {options.model!r}: {str(exc).splitlines()[0][:160]}",
                    hint="give a checkpoint path (.pt) or a model name where the internet is available",
                ) from None
            self._loaded = (key, model)
        total = len(audio) / SAMPLE_RATE
        result = model.transcribe(
            audio,
            language=options.language,
            beam_size=options.beam_size if options.beam_size > 1 else None,
            word_timestamps=True,
            initial_prompt=prompt or None,
            condition_on_previous_text=options.condition_on_previous_text,
            temperature=_temperatures(options),
            fp16=device == "cuda",
            verbose=None,
        )
        progress(total, total)
        return whisper_result_to_transcript(result, options, total, backend=self.name)


def whisper_result_to_transcript(result: dict, options: TranscribeOptions, duration: float, *, backend: str) -> Transcript:
    """openai-whisper's result dict (segments with words) as a ``Transcript``."""
    segments: list[Segment] = []
    for s in result.get("segments", []):
        if not _keep(s["text"], s.get("avg_logprob", 0.0), s.get("no_speech_prob", 0.0), options):
            continue
        words = clean_words([
            Word(start=sec(w["start"]), end=sec(w["end"]), text=w["word"], probability=round(float(w.get("probability", 1.0)), 4))
            for w in s.get("words", [])
        ])
        if s.get("words") and not words:
            continue
        segments.append(
            Segment(
                id=len(segments),
                start=sec(s["start"]),
                end=sec(s["end"]),
                text="".join(w.text for w in words).strip() if words else s["text"].strip(),
                words=words,
                avg_logprob=round(float(s.get("avg_logprob", 0.0)), 4),
                no_speech_prob=round(float(s.get("no_speech_prob", 0.0)), 4),
            )
        )
    return Transcript(
        language=result.get("language") or options.language or "",
        language_probability=1.0 if options.language else 0.0,
        duration=sec(duration),
        segments=tuple(segments),
        backend=backend,
        model=options.model,
        parameters=options.parameters(),
    )


def get_backend(name: str) -> Backend:
    if name == "faster-whisper":
        return FasterWhisperBackend()
    if name == "openai-whisper":
        return OpenAIWhisperBackend()
    raise StageError(f"unknown transcription backend {name!r}", hint=f"use one of: {', '.join(BACKENDS)}")


def shift_segment(segment: Segment, offset: float, new_id: int) -> Segment:
    """A segment moved ``offset`` seconds later on the timeline."""
    words = tuple(replace(w, start=sec(w.start + offset), end=sec(w.end + offset)) for w in segment.words)
    return replace(segment, id=new_id, start=sec(segment.start + offset), end=sec(segment.end + offset), words=words)


def chunk_bounds(audio: np.ndarray, start: int, chunk_seconds: float, *, search: float = 20.0) -> list[tuple[int, int]]:
    """Sample ranges of at most about ``chunk_seconds`` from ``start``, each cut at the
    quietest half second within ``search`` seconds of its nominal end (so no word is cut)."""
    n = len(audio)
    if chunk_seconds <= 0 or n - start <= chunk_seconds * SAMPLE_RATE * 1.25:
        return [(start, n)]
    bounds, a, hop = [], start, SAMPLE_RATE // 2
    while n - a > chunk_seconds * SAMPLE_RATE * 1.25:
        reach = min(search, chunk_seconds / 2)  # cuts always move forward
        lo = a + int((chunk_seconds - reach) * SAMPLE_RATE)
        hi = max(lo + 1, min(n - hop, a + int((chunk_seconds + reach) * SAMPLE_RATE)))
        frames = [(float(np.sqrt(np.mean(audio[x : x + hop] ** 2))), x) for x in range(lo, hi, hop // 2)]
        cut = min(frames)[1] + hop // 2
        bounds.append((a, cut))
        a = cut
    bounds.append((a, n))
    return bounds


CLIP_SECONDS = 28.0
"""Longest piece of a stretch decoded as one clip (Whisper hears 30 s at a time; the rest is room for the pad)."""


def clip_pieces(a: float, b: float, *, pad: float, duration: float, longest: float = CLIP_SECONDS) -> list[tuple[float, float]]:
    """[a, b] widened by ``pad`` (inside [0, duration]) and cut into equal pieces of at most ``longest`` s."""
    lo, hi = max(0.0, a - pad), min(duration, b + pad)
    count = max(1, int(np.ceil((hi - lo) / longest - 1e-9)))
    step = (hi - lo) / count
    return [(lo + k * step, lo + (k + 1) * step) for k in range(count)]


PACK_GAP = 0.5
"""Seconds of silence between two stretches packed into one clip."""


def pack(pieces: Sequence[tuple[float, float]], longest: float = CLIP_SECONDS, gap: float = PACK_GAP) -> list[list[int]]:
    """Indices of ``pieces`` (each at most ``longest`` s) grouped, in order, so that each group laid end to
    end with ``gap`` s between them lasts at most ``longest`` s: one Whisper window for several stretches."""
    groups: list[list[int]] = []
    used = longest + 1.0
    for i, (a, b) in enumerate(pieces):
        if used + gap + (b - a) > longest:
            groups.append([])
            used = -gap
        groups[-1].append(i)
        used += gap + (b - a)
    return groups


def heard_packed(
    audio: np.ndarray,
    stretches: Sequence[tuple[float, float]],
    backend: Any,
    options: TranscribeOptions,
    *,
    prompt: str | None,
    hotwords: str | None,
    pad: float,
    batch_size: int,
    together: bool = True,
) -> dict[tuple[float, float], list[Segment]]:
    """What is heard in each stretch, decoded with ``backend.transcribe_clips``: the stretches (``pad`` s
    either side, cut into pieces of at most ``CLIP_SECONDS``) packed several to a clip (``pack``), so a
    window of the encoder is not spent on 3 s of speech and 27 of padding; the words are put back on the
    recording's timeline, each in the piece its middle lies in.  ``together=False``: one piece to a clip."""
    duration = len(audio) / SAMPLE_RATE
    pieces = [(k, piece) for k, st in enumerate(stretches) for piece in clip_pieces(*st, pad=pad, duration=duration)]
    chunks: list[np.ndarray] = []
    clips: list[tuple[float, float]] = []
    placed: list[tuple[float, float, float, int]] = []  # packed start, packed end, original start, stretch
    cursor = 0.0
    silence = np.zeros(int(PACK_GAP * SAMPLE_RATE), dtype=np.float32)
    for group in pack([piece for _, piece in pieces], CLIP_SECONDS if together else 0.0):
        clip_start = cursor
        for n, i in enumerate(group):
            k, (a, b) = pieces[i]
            if n:
                chunks.append(silence)
                cursor += len(silence) / SAMPLE_RATE
            samples = audio[int(round(a * SAMPLE_RATE)) : int(round(b * SAMPLE_RATE))]
            chunks.append(samples)
            placed.append((cursor, cursor + len(samples) / SAMPLE_RATE, a, k))
            cursor += len(samples) / SAMPLE_RATE
        clips.append((clip_start, cursor))
        chunks.append(silence)  # clips do not touch
        cursor += len(silence) / SAMPLE_RATE
    packed = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    decoded = backend.transcribe_clips(packed, clips, options, prompt=prompt, hotwords=hotwords, batch_size=batch_size)
    starts = [p[0] for p in placed]
    out: dict[tuple[float, float], list[Segment]] = {st: [] for st in stretches}
    for segment in decoded:
        by_piece: dict[int, list[Word]] = {}
        for w in segment.words:
            i = max(0, bisect.bisect_right(starts, (w.start + w.end) / 2) - 1)
            p0, p1, orig, _k = placed[i]
            shift = orig - p0
            a = min(max(w.start, p0), p1)
            by_piece.setdefault(i, []).append(replace(w, start=sec(a + shift), end=sec(max(a, min(w.end, p1)) + shift)))
        for i, words in by_piece.items():
            out[stretches[placed[i][3]]].append(replace(segment, start=words[0].start, end=words[-1].end, words=tuple(words),
                                                        text="".join(w.text for w in words).strip()))
    return out


def sharing_a_clip(stretches: Sequence[tuple[float, float]], *, pad: float, duration: float) -> set[tuple[float, float]]:
    """The stretches that ``heard_packed`` (``together``) decodes with a piece of another stretch in one of their clips;
    the others it decodes exactly as it would each alone."""
    pieces = [(st, piece) for st in stretches for piece in clip_pieces(*st, pad=pad, duration=duration)]
    return {pieces[i][0] for group in pack([piece for _, piece in pieces]) if len({pieces[j][0] for j in group}) > 1
            for i in group}


def hear_again(
    audio: np.ndarray,
    which: Sequence[tuple[float, float]],
    backend: Any,
    options: TranscribeOptions,
    *,
    batch_size: int,
    prompt: str | None,
    hotwords: str | None,
    pad: float,
    together: bool = False,
) -> dict[tuple[float, float], list[Segment]]:
    """What is heard in each stretch of ``which`` decoded on its own with ``options`` (``for_stretch``), ``pad``
    seconds of audio either side, on the recording's timeline; the words in which Whisper recited ``prompt``
    left out.  ``batch_size`` > 1 with a backend that decodes clips: ``heard_packed`` (``together``: several
    stretches to a clip); otherwise one stretch after another."""
    if batch_size > 1 and hasattr(backend, "transcribe_clips"):
        out = heard_packed(audio, which, backend, options, prompt=prompt, hotwords=hotwords, pad=pad,
                           batch_size=batch_size, together=together)
    else:
        out = {}
        for a, b in which:
            lo, hi = max(0, int((a - pad) * SAMPLE_RATE)), min(len(audio), int((b + pad) * SAMPLE_RATE))
            result = backend.transcribe(audio[lo:hi], options, prompt=prompt, hotwords=hotwords, progress=null_progress)
            out[(a, b)] = [shift_segment(s, lo / SAMPLE_RATE, s.id) for s in result.segments]
    return {st: [kept for s in segs if (kept := without_prompt_echo(s, prompt)) is not None] for st, segs in out.items()}


RESIDUAL_PIECE = 6.0
"""Seconds: what is still unheard of the stretches after every other try is decoded in pieces this long."""

SHORT_STRETCH = 5.0
"""Seconds: a stretch shorter than this whose words were heard unsurely (mean probability below ½) is also heard
with ``WIDE_PAD`` s around it, and keeps what is heard surer."""

FRESH_VAD_SECONDS = 10
"""Seconds: the speech that got no words is looked for with Silero heard afresh this often (``silero_regions``).  Silero
carries its state through what it hears: of a telephone-band remote speaker's 4.1-s opening after the room's loud
speech (p1 panel: "Yes, can you hear me now? Okay. Thank you very much for having me."), it found 3.0 s with 5 s of the
room before it, 1.2 s with 30 s, 0.2 s with 2 minutes or more; in 600-s blocks two such openings (p1, p3) were never
decoded again, though Whisper hears them right alone.  In 10-s blocks both are found (one more stretch per panel, 4 s),
and the VAD runs in two thirds of the time (p1: 12.5 s against 19.2 s)."""

UNHEARD_THRESHOLD = 0.4
"""Silero's speech probability above which what no word covers is listed as speech left without words (``unheard``),
heard afresh in each stretch between words.  Lower than the 0.5 at which stretches are decoded again: a muffled
telephone-band remote speaker (h1 panel, 167 s of his speech in 17 stretches of 3 s or more without words) is speech
at 0.5 over only part of it, and decoding what 0.35 adds gave Whisper's base model "i love you i love you" and "i'm
sorry i'm sorry" there (WER 30.7 % against 30.1 %, 1.07x the time); listed, it can be heard.  Measured against the
final transcripts of the four tuning panels, Silero in 10-s blocks over the whole recording at 0.5 listed 5 of h1's 17
stretches (half or more of each; 49 s of 167); heard afresh between words, at 0.5 / 0.4 / 0.25: 9 / 11 / 13 (84 / 92 /
109 s), with 2 / 3 / 7 stretches (7 / 12 / 26 s) listed off the reference speech (babble in the room before the start)
and none / none / 2 on the other three panels, whose one stretch each (p1, p3) is listed at all three.  It takes under
a second on a 47-min panel."""

WIDE_PAD = 5.0
"""Seconds of audio either side of a stretch still not heard when it is decoded the last time."""


def speech_without_words(
    audio: np.ndarray, segments: Sequence[Segment], min_len: float, *, threshold: float = UNHEARD_THRESHOLD,
) -> tuple[tuple[float, float], ...]:
    """The stretches (seconds) of at least ``min_len`` in which Silero hears speech (at ``threshold``, afresh in each
    stretch no word covers, ``FRESH_VAD_SECONDS`` at a time) and no word at all was decoded: speech Whisper could not
    make out, which the transcript lists as ``unheard``."""
    from .diarize.vad import silero_regions

    words = sorted((w.start, w.end) for s in segments for w in s.words)
    total = len(audio) / SAMPLE_RATE
    regions: list[tuple[float, float]] = []
    cur = 0.0
    for a, b in [*words, (total, total)]:
        if a - cur >= min_len:
            lo, hi = int(cur * SAMPLE_RATE), int(a * SAMPLE_RATE)
            regions += [(cur + x, cur + y) for x, y in silero_regions(
                audio[lo:hi], min_silence_ms=300, pad_ms=50, block_seconds=FRESH_VAD_SECONDS, threshold=threshold)]
        cur = max(cur, b)
    return tuple(unheard(regions, segments, min_len, any_word=True))


def fill_skipped_speech(
    audio: np.ndarray,
    segments: Sequence[Segment],
    backend: Backend,
    options: TranscribeOptions,
    *,
    language: str,
    prompt: str | None,
    hotwords: str | None,
    pad: float = 0.3,
    names: Sequence[str] = (),
) -> tuple[tuple[Segment, ...], tuple[tuple[float, float], ...]]:
    """No stretch of detected speech of ``options.fill_gaps`` seconds or more left without words: each is
    decoded again on its own (``TranscribeOptions.for_stretch``, with the prompt; again without it when what
    comes out does not look heard over half the stretch; then, still not, with ``WIDE_PAD`` seconds of audio either
    side instead of ``pad``; so too a short one heard unsurely), and its words put in (``fill_unheard``); what is
    still unheard of those partly heard is decoded once more without the prompt, in pieces of ``RESIDUAL_PIECE`` s.  With ``options.batch_size`` > 1 and a backend that decodes clips
    (``transcribe_clips``), the stretches are decoded ``batch_size`` at once, several to a clip
    (``heard_packed``); otherwise one after another, each whole.

    ``names``: the roster, whose words Whisper writes improbable even when it hears them right (``segment_anomaly``).
    Returns the segments, and the stretches still without words (``speech_without_words``)."""
    from .diarize.vad import silero_regions

    def left(segments: Sequence[Segment]) -> tuple[tuple[Segment, ...], tuple[tuple[float, float], ...]]:
        return tuple(segments), speech_without_words(audio, segments, options.fill_gaps)

    keys = name_keys(names)
    regions = silero_regions(audio, min_silence_ms=300, pad_ms=50, block_seconds=FRESH_VAD_SECONDS)
    stretches = unheard(regions, segments, options.fill_gaps, names=keys)
    if not stretches:
        return left(segments)
    stretch_options = options.for_stretch(language)
    batched = options.batch_size > 1 and hasattr(backend, "transcribe_clips")

    def heard(which: Sequence[tuple[float, float]], p: str | None, h: str | None, *,
              together: bool = False, pad: float = pad) -> dict[tuple[float, float], list[Segment]]:
        return hear_again(audio, which, backend, stretch_options, batch_size=options.batch_size, prompt=p, hotwords=h,
                          pad=pad, together=together)

    def covered(found: Sequence[Segment], a: float, b: float, *, sure: bool = False) -> float:
        """Seconds of [a, b] under words heard (``sure``: each weighted by its probability)."""
        return sum((min(w.end, b) - max(w.start, a)) * (w.probability if sure else 1.0)
                   for s in found if not segment_anomaly(s.words, keys) for w in s.words if w.end > a and w.start < b)

    def again(found: dict, p: str | None, h: str | None, pad: float = pad, *, shorter: float = 0.0,
              among: Collection[tuple[float, float]] = stretches) -> None:
        """The stretches of ``among`` of which less than half was heard (or, shorter than ``shorter`` s, heard
        unsurely: mean word probability below ½), heard once more (each alone) and kept if more was heard, and
        heard surely."""
        def unsure(st: tuple[float, float]) -> bool:
            return st[1] - st[0] < shorter and covered(found[st], *st, sure=True) < 0.5 * covered(found[st], *st)

        thin = [st for st in stretches if st in among and (covered(found[st], *st) < 0.5 * (st[1] - st[0]) or unsure(st))]
        for st, segs in (heard(thin, p, h, pad=pad) if thin else {}).items():
            if covered(segs, *st, sure=True) > covered(found[st], *st, sure=True):
                found[st] = segs

    # packed several to a clip, Whisper may leave one of them out (it stops early in a window): those,
    # alone; primed with the roster, it may recite it ("Xochitl Ramírez Huerta, Xochitl Ramírez …") over a
    # stretch it cannot make out: such stretches are heard without the prompt as well, and only so: of h1's 28
    # thin stretches that shared a clip, 19 had come out as the roster recited or as unsure words, and alone
    # with the prompt again they mostly did so again (stored main passes of two panels, h1 / p1: the re-decoding
    # took 161 / 72 s against 208 / 80 s, WER 30.14 / 13.61 % against 30.14 / 13.55 %, 17 / 1 stretches of
    # 3 s or more without words against 19 / 1)
    found = heard(stretches, prompt, hotwords, together=True)
    if batched:  # a stretch in clips of its own would be heard again exactly as it was (p1: 9 of 14 thin ones)
        shared = sharing_a_clip(stretches, pad=pad, duration=len(audio) / SAMPLE_RATE)
        again(found, prompt, hotwords, among={st for st in shared if not found[st]})
    if prompt or hotwords:
        again(found, None, None)
    # what is still not heard, and what is too short for Whisper to make out alone, once more with the speech
    # around it (kept out of the transcript): cut out on its own, a remote speaker's stretch after a back-channel
    # "Okay." came out as "Okay." alone (p1 panel), 2.5 s of "Thank you. My name is Camille Beaulieu-Traoré" as
    # "I'm so glad to hear that." and with 5 s either side as "My name is Camille Bowie, train on raid" (p2)
    again(found, None, None, pad=WIDE_PAD, shorter=SHORT_STRETCH)
    filled = fill_unheard(segments, stretches, lambda a, b: found[(a, b)], names=keys)
    # Whisper may stop after the first thing it hears in a stretch (over a remote speaker, a back-channel
    # "Okay." and nothing of the 16 s after it, p1 panel): what is still unheard of a stretch in which
    # something was heard, in pieces of RESIDUAL_PIECE s
    partly = [st for st in stretches if covered(found[st], *st) > 0]
    rest = [piece for st in unheard(regions, filled, options.fill_gaps, names=keys)
            if any(a - 1e-6 <= st[0] and st[1] <= b + 1e-6 for a, b in partly)
            for piece in clip_pieces(*st, pad=0.0, duration=len(audio) / SAMPLE_RATE, longest=RESIDUAL_PIECE)]
    if not rest:
        return left(filled)
    more = heard(rest, None, None)  # each piece a clip of its own: packed together, Whisper heard one of three
    return left(fill_unheard(filled, rest, lambda a, b: more[(a, b)], names=keys))


def introduced_as(segment: Segment, names: Sequence[str]) -> str:
    """The name of ``names`` that the speaker of ``segment`` gives as their own ("My name is …"), or ""."""
    from .core.text import self_introduced_name, similarity

    intro = self_introduced_name(segment.text)
    if not intro or not names:
        return ""
    score, name = max((max(similarity(intro[0], n), 0.9 * similarity(intro[0], n.split()[0])), n) for n in names)
    return name if score >= 0.8 else ""


def name_support(segment: Segment, name: str) -> float:
    """How sure the decoder was of the words of ``name`` in ``segment``: the geometric mean of their
    probabilities (1.0 when none of its words are there)."""
    from .core.text import norm

    parts = {norm(p) for p in re.split(r"[\s\-‐]+", name) if norm(p)}
    return sureness([w for w in segment.words if norm(w.text.strip(" -‐.,;:!?")) in parts])


def recheck_introductions(
    audio: np.ndarray,
    segments: Sequence[Segment],
    backend: Backend,
    options: TranscribeOptions,
    *,
    language: str,
    names: Sequence[str],
    pad: float = 0.3,
) -> tuple[Segment, ...]:
    """Self-introductions heard with the prompt, heard again without it: primed with the roster, Whisper may
    put a roster name in the mouth of someone who gives another ("My name is Joaquín Etcheverry, I am a
    community network operator from Garissa" for Yusuf Abdi Warsame, a floor speaker, measured on a 47-min
    panel).  A segment in which someone introduces themselves with a roster name whose words the decoder
    was unsure of (``name_support`` below ``PROMPTED_NAME``) is decoded again on its own without the
    prompt; when that gives a name that is not like it (similarity below 0.5), the segment's words are the
    ones heard without the prompt.  (Without the prompt, the moderator's own "My name is Ngozi
    Adeyemi-Clarke" came out as "My name isn't Rosie, I am David Lark": the check is for names the
    decoder was unsure of only.)"""
    from .core.text import self_introduced_name, similarity

    claims = [(i, name) for i, s in enumerate(segments)
              if (name := introduced_as(s, names)) and name_support(s, name) < PROMPTED_NAME]
    if not claims:
        return tuple(segments)
    spans = [(segments[i].start, segments[i].end) for i, _ in claims]
    heard = hear_again(audio, spans, backend, options.for_stretch(language), batch_size=options.batch_size,
                       prompt=None, hotwords=None, pad=pad)
    out = list(segments)
    for (i, name), (a, b) in zip(claims, spans):
        plain = [s for s in heard.get((a, b), []) if not segment_anomaly(s.words)]
        said = self_introduced_name(" ".join(s.text for s in plain))
        words = tuple(w for s in plain for w in s.words if a - 0.1 <= (w.start + w.end) / 2 <= b + 0.1)
        if said and words and similarity(said[0], name) < 0.5:
            out[i] = replace(out[i], start=words[0].start, end=words[-1].end, words=words,
                             text="".join(w.text for w in words).strip())
    return tuple(replace(s, id=k) for k, s in enumerate(out))


def transcribe(
    audio: np.ndarray,
    options: TranscribeOptions = TranscribeOptions(),
    *,
    prompt: str | None = None,
    hotwords: str | None = None,
    progress: ProgressFn = null_progress,
    resume: Sequence[Segment] = (),
    on_segments: Callable[[tuple[Segment, ...]], None] | None = None,
    names: Sequence[str] = (),
    timings: dict[str, float] | None = None,
) -> Transcript:
    """Transcribe 16 kHz mono float32 ``audio`` with the configured backend.

    ``prompt`` primes the decoder (e.g. title and names); ``hotwords`` are
    phrases to favour (faster-whisper only).  Both are ignored when
    ``options.use_prompt`` is false.  ``names`` (the roster, as the prompt
    gives them): a self-introduction with one of them is checked without the
    prompt (``recheck_introductions``).

    Long recordings are decoded in chunks of ``options.chunk_minutes`` cut in
    silence, so memory stays bounded whatever the length.  Then every stretch of
    detected speech of ``options.fill_gaps`` seconds or more that got no words is
    decoded again on its own (``fill_skipped_speech``), the words in which Whisper
    recited its prompt (``prompt_echo``) first taken out.

    Checkpointing: ``on_segments`` receives every segment so far each time one
    is decoded; ``resume`` (what an interrupted run saved) skips the audio
    those segments cover, so a long job restarts where it stopped.

    ``timings`` (a dict) receives the seconds spent on the main pass (``main``),
    on skipped speech (``fill``) and on checking introductions (``check``).
    """
    clock = time.monotonic()
    timings = {} if timings is None else timings
    use = options.use_prompt
    audio = np.asarray(audio, dtype=np.float32)
    total = len(audio) / SAMPLE_RATE
    done = [shift_segment(s, 0.0, i) for i, s in enumerate(resume)]
    start = int(round((done[-1].end if done else 0.0) * SAMPLE_RATE))
    languages: list[tuple[str, float]] = []
    backend = get_backend(options.backend)
    for a, b in chunk_bounds(audio, start, options.chunk_minutes * 60):
        if b - a < SAMPLE_RATE // 10:
            continue
        offset = a / SAMPLE_RATE
        before = len(done)

        def collect(segment: Segment, offset: float = offset) -> None:
            done.append(shift_segment(segment, offset, len(done)))
            if on_segments:
                on_segments(tuple(done))

        result = backend.transcribe(
            audio[a:b],
            options,
            prompt=prompt if use else None,
            hotwords=hotwords if use else None,
            progress=lambda d, _t, offset=offset: progress(min(total, d + offset), total),
            on_segment=collect,
        )
        if len(done) == before:  # a backend that does not stream its segments
            done += [shift_segment(s, offset, len(done) + k) for k, s in enumerate(result.segments)]
        languages.append((result.language, result.language_probability))
    progress(total, total)
    language, prob = max(languages, key=lambda lp: lp[1]) if languages else ("", 0.0)
    if use and prompt:  # the prompt recited over speech it could not make out: those words out (then heard again)
        done = [s for s in (without_prompt_echo(s, prompt) for s in done) if s is not None]
    segments = tuple(replace(s, id=i) for i, s in enumerate(done))
    timings["main"], clock = time.monotonic() - clock, time.monotonic()
    left: tuple[tuple[float, float], ...] = ()
    if options.fill_gaps > 0 and len(audio) >= SAMPLE_RATE:
        segments, left = fill_skipped_speech(audio, segments, backend, options, language=language,
                                             prompt=prompt if use else None, hotwords=hotwords if use else None,
                                             names=names if use else ())
    timings["fill"], clock = time.monotonic() - clock, time.monotonic()
    if use and (prompt or hotwords) and names:
        segments = recheck_introductions(audio, segments, backend, options, language=options.language or language,
                                         names=names)
    timings["check"] = time.monotonic() - clock
    return Transcript(
        language=options.language or language,
        language_probability=prob,
        duration=sec(total),
        segments=segments,
        backend=options.backend,
        model=options.model,
        parameters=options.parameters(),
        prompt=(prompt or "") if use else "",
        unheard=tuple(Unheard(start=sec(a), end=sec(b)) for a, b in left),
    )
