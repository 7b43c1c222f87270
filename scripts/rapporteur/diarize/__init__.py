"""diarize: 16 kHz mono audio → anonymous speaker turns (who spoke when).

Two backends behind ``diarize(audio, options)``:

``builtin`` (default, offline): resemblyzer's speaker encoder (a 3-layer LSTM
whose weights ship inside the ``resemblyzer`` wheel) run in numpy
(``rapporteur.core.nn``; on a CUDA GPU with ``device: cuda``, through torch).

1. Speech regions: Silero VAD (ships inside faster-whisper) or an energy VAD.
2. Embeddings: 1.5 s windows every 0.5 s inside speech regions, all in
   large batches (one mel spectrogram for the whole recording).
3. Clustering: embeddings are centred on the recording's mean (voices of one
   recording share a large common component; removing it spreads them apart)
   and smoothed over ±0.5 s inside a region; spectral clustering on a k-nearest-
   neighbour graph picks the speaker count by the eigengap, choosing the
   neighbour count by the normalised maximum eigengap (NME-SC, Park et al.
   2019).  Windows that overlap in time are not neighbours, so the graph links
   *other* moments of the same voice rather than a window's own surroundings.
4. Resegmentation: a Viterbi pass over all windows against the cluster
   centroids; changing speaker costs much less at a pause than inside
   continuous speech, so short turns between pauses survive.
5. Recheck (second pass): stretches that match their own cluster poorly
   but match each other, and whose voice differs from the rest of that
   cluster, are tried as an extra speaker (bounded by ``max_speakers``): a
   speaker heard for a few seconds is otherwise merged into a louder one.
6. Split: a cluster whose stretches fall in two groups, measured on stretches
   the groups were not found on (``split_mixed``), is two voices however
   alike the encoder hears them (a panellist and the online moderator).

``pyannote`` (optional, online): ``pyannote.audio`` with a Hugging Face token in
``HF_TOKEN``; install with ``pip install 'rapporteur[pyannote]'``.

Modules: ``options`` (DiarizeOptions), ``vad`` (step 1), ``features`` (step 2:
windows, mel spectrogram, encoder), ``cluster`` (steps 3-5 and turns),
``pyannote`` (the optional backend); this module runs them and writes RTTM.
Labels are ``SPEAKER_00``, ``SPEAKER_01``… in order of first appearance.
Heavy imports (faster-whisper, torch for cuda) happen inside functions.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable

import numpy as np

from ..core.devices import resolve_device
from ..core.records import Diarization, SpeechTurn, sec
from ..core.rttm import read_rttm, to_rttm  # noqa: F401 (the stage's RTTM, as its public names)
from .cluster import assign_speakers, windows_to_turns
from .features import embed_windows, make_windows
from .options import BACKENDS, SAMPLE_RATE, DiarizeOptions, ProgressFn  # noqa: F401 (the stage's public names)
from .pyannote import pyannote_turns
from .vad import speech_regions

def diarize(audio: np.ndarray, options: DiarizeOptions | None = None, *, progress: ProgressFn | None = None) -> Diarization:
    """Who spoke when in ``audio`` (float32 mono, 16 kHz)."""
    options = options or DiarizeOptions()
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    device = resolve_device(options.device, what=f"diarizer ({options.backend})")
    if options.backend == "pyannote":
        turns = pyannote_turns(audio, options, progress, device)
    else:
        turns = builtin_turns(audio, options, progress, device)
    params = {f.name: getattr(options, f.name) for f in dataclasses.fields(options) if f.name != "device"}
    if options.backend != "pyannote":
        params.pop("pyannote_model")
    return Diarization(turns=tuple(relabel(turns)), backend=options.backend, parameters=params)


def relabel(turns: Iterable[SpeechTurn]) -> list[SpeechTurn]:
    """Rename labels ``SPEAKER_00``… by first appearance; sort by start."""
    ordered = sorted(turns, key=lambda t: (t.start, t.end))
    names: dict[str, str] = {}
    for t in ordered:
        names.setdefault(t.label, f"SPEAKER_{len(names):02d}")
    return [SpeechTurn(start=sec(t.start), end=sec(t.end), label=names[t.label]) for t in ordered]


def builtin_turns(audio: np.ndarray, options: DiarizeOptions, progress: ProgressFn | None, device: str = "cpu") -> list[SpeechTurn]:
    total = len(audio) / SAMPLE_RATE
    if progress:
        progress(0.0, total)
    regions = speech_regions(audio, options)
    windows = make_windows(regions, options.window, options.hop)
    if len(windows) == 0:
        if progress:
            progress(total, total)
        return []
    emb = embed_windows(audio, windows, threads=options.threads, device=device, progress=progress, total=total)
    labels = assign_speakers(emb, windows, regions, options)
    turns = windows_to_turns(windows, labels, regions, merge_gap=options.merge_gap)
    if progress:
        progress(total, total)
    return turns
