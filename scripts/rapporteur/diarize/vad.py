"""Speech regions for the diarizer: Silero VAD (ships inside faster-whisper) in 1-minute blocks, or an energy VAD."""

from __future__ import annotations

import numpy as np

from ..errors import ModelError
from .options import SAMPLE_RATE, DiarizeOptions

VAD_BLOCK_SECONDS = 60
"""The diarizer's voice activity detection hears the recording afresh every minute (bounded memory on long
recordings; Silero carries its state through a block, see ``silero_regions``).  On four 46-47-min panels, speech the
diarizer never heard went from 176 to 85 s (babble, two telephone-band speakers), 18 to 13, 7 to 7 and 30 to 17 s
with 1-minute instead of 10-minute blocks; DER 1.7 to 1.2 % on the third."""


def speech_regions(audio: np.ndarray, options: DiarizeOptions) -> list[tuple[float, float]]:
    """(start, end) seconds of speech, regions shorter than ``min_speech`` dropped."""
    if len(audio) < SAMPLE_RATE // 10:
        return []
    if options.vad == "silero":
        regions = silero_regions(audio, threshold=options.vad_threshold, min_speech=options.min_speech,
                                 block_seconds=VAD_BLOCK_SECONDS)
    else:
        regions = energy_vad(audio)
    return [(a, b) for a, b in regions if b - a >= options.min_speech]


def silero_regions(
    audio: np.ndarray, *, block_seconds: int, threshold: float = 0.5, min_silence_ms: int = 200, pad_ms: int = 30,
    min_speech: float = 0.0,
) -> list[tuple[float, float]]:
    """(start, end) seconds of speech by Silero VAD (ships inside faster-whisper), ``block_seconds`` at a time, each
    block heard afresh (Silero carries its state through a block: after minutes of loud speech in the room, a quiet
    telephone-band remote speaker's "Yes, can you hear me now? Okay." may be heard as 0.2 s of speech, or none).

    Used by the diarizer (its speech regions) and by transcription (speech that got no words)."""
    try:
        from faster_whisper.vad import VadOptions, get_speech_timestamps
    except ImportError as exc:
        raise ModelError(
            "the Silero VAD needs faster-whisper (and onnxruntime)",
            hint="pip install faster-whisper, or set diarize.vad: energy",
        ) from exc
    vad = VadOptions(
        threshold=threshold,
        min_silence_duration_ms=min_silence_ms,
        speech_pad_ms=pad_ms,
        min_speech_duration_ms=int(min_speech * 1000),
    )
    # Silero copies its input twice (padding, context): give it block_seconds at a time
    regions: list[tuple[float, float]] = []
    step = int(block_seconds * SAMPLE_RATE)
    for offset in range(0, len(audio), step):
        for st in get_speech_timestamps(audio[offset : offset + step], vad):
            a, b = (offset + st["start"]) / SAMPLE_RATE, (offset + st["end"]) / SAMPLE_RATE
            if regions and offset and a - regions[-1][1] < 0.1 and abs(a - offset / SAMPLE_RATE) < 0.1:
                regions[-1] = (regions[-1][0], b)  # speech running across the block boundary
            else:
                regions.append((a, b))
    return regions


def energy_vad(audio: np.ndarray, *, frame: float = 0.03, min_silence: float = 0.2) -> list[tuple[float, float]]:
    """Speech regions by frame energy against the recording's noise floor.

    A frame is speech when it is 12 dB above the 10th percentile of frame
    levels and within 45 dB of the loudest frames; silences shorter than
    ``min_silence`` are bridged.  Fine for clean recordings; Silero is better
    with music, applause or room noise.
    """
    n = int(frame * SAMPLE_RATE)
    frames = len(audio) // n
    if frames == 0:
        return []
    power = (audio[: frames * n].reshape(frames, n).astype(np.float64) ** 2).mean(axis=1)
    level = 10 * np.log10(power + 1e-12)
    floor, peak = np.percentile(level, 10), np.percentile(level, 99)
    voiced = (level > floor + 12) & (level > peak - 45) & (level > -70)
    gap = int(round(min_silence / frame))
    edges = np.flatnonzero(np.diff(np.concatenate([[0], voiced.astype(np.int8), [0]])))
    runs = [[s, e] for s, e in zip(edges[::2], edges[1::2])]
    merged: list[list[int]] = []
    for s, e in runs:
        if merged and s - merged[-1][1] <= gap:
            merged[-1][1] = e
        else:
            merged.append([s, e])
    return [(s * frame, e * frame) for s, e in merged]
