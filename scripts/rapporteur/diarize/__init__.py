"""diarize: 16 kHz mono audio → anonymous speaker turns (who spoke when).

Two backends behind ``diarize(audio, options)``:

``builtin`` (default, offline): resemblyzer's speaker encoder (a 3-layer LSTM
whose weights ship inside the ``resemblyzer`` wheel) run directly on torch
(CPU, or a CUDA GPU with ``device: cuda``).

1. Speech regions: Silero VAD (ships inside faster-whisper) or an energy VAD.
2. Embeddings: 1.5 s windows every 0.25 s inside speech regions, all in
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

``pyannote`` (optional, online): ``pyannote.audio`` with a Hugging Face token in
``HF_TOKEN``; install with ``pip install 'rapporteur[pyannote]'``.

Labels are ``SPEAKER_00``, ``SPEAKER_01``… in order of first appearance.
Heavy imports (torch, faster-whisper) happen inside functions.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from ..core.devices import DEVICES, resolve_device
from ..errors import ModelError, StageError
from ..core.records import Diarization, SpeechTurn, sec

SAMPLE_RATE = 16_000
FRAME_HOP = 160  # samples per mel frame (10 ms)
BACKENDS = ("builtin", "pyannote")
VADS = ("silero", "energy")
AUTO_MAX_SPEAKERS = 10  # upper bound of the automatic count when max_speakers is None
MIN_RECHECK_SECONDS = 3.0  # a speaker found by the recheck must keep at least this much speech

ProgressFn = Callable[[float, float], None]


@dataclass(frozen=True, kw_only=True)
class DiarizeOptions:
    """Options of the diarize stage (``diarize:`` in rapporteur.yaml)."""

    backend: str = "builtin"  # builtin (offline) | pyannote (needs HF_TOKEN and the pyannote extra)
    min_speakers: int = 1  # lower bound of the speaker count
    max_speakers: int | None = None  # upper bound; None: automatic up to 10 (the pipeline passes the roster size)
    window: float = 1.5  # seconds of audio per speaker embedding
    hop: float = 0.25  # seconds between embedding windows (cost grows as 1/hop)
    threads: int = 1  # torch CPU threads for the encoder (1 leaves a core for ASR; 0 = torch's default)
    device: str = "cpu"  # torch device of the encoder / pyannote: cpu | cuda | auto (cuda when available)
    vad: str = "silero"  # silero (from faster-whisper) | energy
    vad_threshold: float = 0.5  # Silero speech probability threshold (energy VAD: ignored)
    min_speech: float = 0.25  # seconds: shorter speech regions are dropped
    merge_gap: float = 1.0  # seconds: one speaker's turns closer than this are joined
    change_penalty: float = 10.0  # cost of a speaker change inside continuous speech (x0.1 cosine units)
    pause_change_penalty: float = 1.0  # cost of a speaker change across a pause
    recheck: bool = True  # second pass for short, poorly matching stretches (a speaker heard briefly)
    alongside_asr: bool = True  # run while transcription runs (it leaves ~⅓ of 2 cores idle); False: after it
    max_cluster_windows: int = 1500  # longer recordings cluster a regular subsample (then resegment all)
    pyannote_model: str = "pyannote/speaker-diarization-3.1"  # pyannote backend: pipeline name

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {self.backend!r}")
        if self.vad not in VADS:
            raise ValueError(f"vad must be one of {', '.join(VADS)}, not {self.vad!r}")
        if self.min_speakers < 1:
            raise ValueError("min_speakers must be at least 1")
        if self.max_speakers is not None and self.max_speakers < self.min_speakers:
            raise ValueError(f"max_speakers ({self.max_speakers}) is below min_speakers ({self.min_speakers})")
        if not 0.5 <= self.window <= 4.0:
            raise ValueError("window must be between 0.5 and 4 seconds")
        if not 0.05 <= self.hop <= self.window:
            raise ValueError("hop must be between 0.05 seconds and the window")
        if self.threads < 0:
            raise ValueError("threads must be 0 (automatic) or more")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, not {self.device!r}")
        if self.max_cluster_windows < 50:
            raise ValueError("max_cluster_windows must be at least 50")

    def parameters(self) -> dict:
        """The options that decide the turns (the diarize fingerprint): how they are computed
        is left out — ``device`` dropped, ``threads`` pinned to its default so that
        fingerprints made before it was left out stay valid."""
        d = dataclasses.asdict(self)
        d.pop("device")
        d.pop("alongside_asr")
        d["threads"] = DiarizeOptions.threads
        return d


def diarize(audio: np.ndarray, options: DiarizeOptions | None = None, *, progress: ProgressFn | None = None) -> Diarization:
    """Who spoke when in ``audio`` (float32 mono, 16 kHz)."""
    options = options or DiarizeOptions()
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    device = resolve_device(options.device, what=f"diarizer ({options.backend})")
    if options.backend == "pyannote":
        turns = _pyannote(audio, options, progress, device)
    else:
        turns = _builtin(audio, options, progress, device)
    params = {f.name: getattr(options, f.name) for f in dataclasses.fields(options) if f.name != "device"}
    if options.backend != "pyannote":
        params.pop("pyannote_model")
    return Diarization(turns=tuple(relabel(turns)), backend=options.backend, parameters=params)


# ------------------------------------------------------------------ RTTM


def to_rttm(diarization: Diarization | Iterable[SpeechTurn], file_id: str) -> str:
    """Standard 10-field RTTM ``SPEAKER`` lines (spaces in names become ``_``)."""
    turns = diarization.turns if isinstance(diarization, Diarization) else diarization
    fid = "_".join(str(file_id).split()) or "recording"
    lines = []
    for t in sorted(turns, key=lambda t: (t.start, t.end, t.label)):
        label = "_".join(t.label.split())
        lines.append(f"SPEAKER {fid} 1 {t.start:.3f} {max(0.0, t.end - t.start):.3f} <NA> <NA> {label} <NA> <NA>\n")
    return "".join(lines)


def read_rttm(text: str, *, path: str | Path | None = None) -> list[SpeechTurn]:
    """The ``SPEAKER`` lines of an RTTM file as turns, sorted by start."""
    turns = []
    for n, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith((";", "#")) or fields[0] != "SPEAKER":
            continue
        try:
            if len(fields) < 8:
                raise ValueError("too few fields")
            start, dur = float(fields[3]), float(fields[4])
            if dur < 0 or start < 0:
                raise ValueError("negative time")
        except ValueError as exc:
            raise StageError(
                f"line {n}: not an RTTM SPEAKER line ({exc})",
                path=path,
                hint="expected `SPEAKER file 1 start duration <NA> <NA> name <NA> <NA>`",
            ) from None
        turns.append(SpeechTurn(start=sec(start), end=sec(start + dur), label=fields[7]))
    return sorted(turns, key=lambda t: (t.start, t.end, t.label))


def relabel(turns: Iterable[SpeechTurn]) -> list[SpeechTurn]:
    """Rename labels ``SPEAKER_00``… by first appearance; sort by start."""
    ordered = sorted(turns, key=lambda t: (t.start, t.end))
    names: dict[str, str] = {}
    for t in ordered:
        names.setdefault(t.label, f"SPEAKER_{len(names):02d}")
    return [SpeechTurn(start=sec(t.start), end=sec(t.end), label=names[t.label]) for t in ordered]


# ------------------------------------------------------------------ builtin backend


def _builtin(audio: np.ndarray, options: DiarizeOptions, progress: ProgressFn | None, device: str = "cpu") -> list[SpeechTurn]:
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


def speech_regions(audio: np.ndarray, options: DiarizeOptions) -> list[tuple[float, float]]:
    """(start, end) seconds of speech, regions shorter than ``min_speech`` dropped."""
    if len(audio) < SAMPLE_RATE // 10:
        return []
    if options.vad == "silero":
        try:
            from faster_whisper.vad import VadOptions, get_speech_timestamps
        except ImportError as exc:
            raise ModelError(
                "the Silero VAD needs faster-whisper (and onnxruntime)",
                hint="pip install faster-whisper, or set diarize.vad: energy",
            ) from exc
        vad = VadOptions(
            threshold=options.vad_threshold,
            min_silence_duration_ms=200,
            speech_pad_ms=30,
            min_speech_duration_ms=int(options.min_speech * 1000),
        )
        # Silero copies its input twice (padding, context): give it VAD_BLOCK_SECONDS at a time
        regions = []
        step = VAD_BLOCK_SECONDS * SAMPLE_RATE
        for offset in range(0, len(audio), step):
            for st in get_speech_timestamps(audio[offset : offset + step], vad):
                a, b = (offset + st["start"]) / SAMPLE_RATE, (offset + st["end"]) / SAMPLE_RATE
                if regions and offset and a - regions[-1][1] < 0.1 and abs(a - offset / SAMPLE_RATE) < 0.1:
                    regions[-1] = (regions[-1][0], b)  # speech running across the block boundary
                else:
                    regions.append((a, b))
    else:
        regions = energy_vad(audio)
    return [(a, b) for a, b in regions if b - a >= options.min_speech]


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


def make_windows(regions: Sequence[tuple[float, float]], window: float, hop: float, *, min_window: float = 0.5) -> np.ndarray:
    """(start, duration) rows of embedding windows inside speech regions.

    A region longer than ``window`` gets windows every ``hop`` seconds, the
    last one flush with its end; a shorter region (at least ``min_window``)
    gets one window of its own length.  Nothing crosses a pause.
    """
    rows: list[tuple[float, float]] = []
    for a, b in regions:
        length = b - a
        if length < min_window:
            continue
        if length <= window:
            rows.append((a, length))
            continue
        count = int(np.ceil((length - window) / hop - 1e-9)) + 1
        rows.extend((min(a + k * hop, b - window), window) for k in range(count))
    return np.array(rows, dtype=np.float64).reshape(-1, 2)


# ------------------------------------------------------------------ encoder


def _mel_filterbank(n_fft: int = 400, n_mels: int = 40) -> np.ndarray:
    """Slaney-style mel filters (librosa's defaults), shape (n_mels, n_fft//2+1)."""
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0

    def hz_to_mel(f):
        f = np.asarray(f, dtype=np.float64)
        return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, f / f_sp)

    def mel_to_hz(m):
        m = np.asarray(m, dtype=np.float64)
        return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)

    fft_freqs = np.linspace(0, SAMPLE_RATE / 2, 1 + n_fft // 2)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(SAMPLE_RATE / 2), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels]))[:, None]
    return weights.astype(np.float32)


def mel_spectrogram(audio: np.ndarray) -> np.ndarray:
    """Power mel spectrogram (frames, 40) as resemblyzer computes it: 25 ms
    Hann windows every 10 ms, centred (zero padding), 40 Slaney mel bands."""
    n_fft, half, block = 400, 200, 8192
    fb = _mel_filterbank(n_fft).T
    audio = np.asarray(audio, dtype=np.float32)
    count = 1 + len(audio) // FRAME_HOP  # frames of the audio zero-padded by half a window each side
    hann = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)
    out = np.empty((count, 40), dtype=np.float32)
    for i in range(0, count, block):  # padded block by block: no padded copy of the whole audio
        j = min(count, i + block)
        lo, hi = i * FRAME_HOP - half, (j - 1) * FRAME_HOP + half
        seg = audio[max(lo, 0) : min(hi, len(audio))]
        if lo < 0 or hi > len(audio):
            seg = np.pad(seg, (max(0, -lo), max(0, hi - len(audio))))
        frames = np.lib.stride_tricks.as_strided(
            seg, (j - i, n_fft), (seg.strides[0] * FRAME_HOP, seg.strides[0]), writeable=False
        )
        spec = np.abs(np.fft.rfft(frames * hann, axis=1)) ** 2
        out[i:j] = spec.astype(np.float32) @ fb
    return out


def encoder_weights() -> Path:
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the builtin diarizer needs the resemblyzer package", hint="pip install resemblyzer")
    path = Path(list(spec.submodule_search_locations)[0]) / "pretrained.pt"
    if not path.is_file():
        raise ModelError("resemblyzer's pretrained.pt is missing", path=path, hint="reinstall resemblyzer")
    return path


@functools.lru_cache(maxsize=2)
def _encoder(device: str = "cpu"):
    """resemblyzer's VoiceEncoder network with its bundled weights, on ``device`` (cpu | cuda).

    Built here from the weights file rather than by importing resemblyzer,
    whose package import pulls librosa and webrtcvad (and pkg_resources) that
    the encoder itself does not need.
    """
    try:
        import torch
        from torch import nn
    except ImportError as exc:  # pragma: no cover - torch is a dependency
        raise ModelError("the builtin diarizer needs torch", hint="pip install torch") from exc

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(40, 256, 3, batch_first=True)
            self.linear = nn.Linear(256, 256)

    model = Encoder()
    path = encoder_weights()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)["model_state"]
        model.load_state_dict({k: v for k, v in state.items() if k.startswith(("lstm.", "linear."))})
    except Exception as exc:
        raise ModelError(f"cannot load the speaker encoder ({exc})", path=path, hint="reinstall resemblyzer") from None
    model.eval()
    return model.to(device)


def embed_windows(
    audio: np.ndarray,
    windows: np.ndarray,
    *,
    threads: int = 1,
    device: str = "cpu",
    batch: int = 128,
    progress: ProgressFn | None = None,
    total: float | None = None,
) -> np.ndarray:
    """L2-normalised 256-d speaker embeddings of the (start, duration) windows."""
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence

    model = _encoder(device)
    mel = mel_spectrogram(audio)
    starts = np.round(windows[:, 0] * 100).astype(int)
    lengths = np.maximum(1, np.round(windows[:, 1] * 100).astype(int))
    lengths = np.minimum(lengths, np.maximum(1, len(mel) - starts))
    out = np.zeros((len(windows), 256), dtype=np.float32)
    previous = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        with torch.inference_mode():
            for i in range(0, len(windows), batch):
                lens = lengths[i : i + batch]
                block = np.zeros((len(lens), int(lens.max()), 40), dtype=np.float32)
                for r, (s, n) in enumerate(zip(starts[i : i + batch], lens)):
                    block[r, :n] = mel[s : s + n]
                x = torch.from_numpy(block).to(device)
                if lens.min() == lens.max():
                    _, (hidden, _) = model.lstm(x)
                else:
                    packed = pack_padded_sequence(x, torch.from_numpy(lens), batch_first=True, enforce_sorted=False)
                    _, (hidden, _) = model.lstm(packed)
                e = torch.relu(model.linear(hidden[-1]))
                e = e / e.norm(dim=1, keepdim=True).clamp_min(1e-8)
                out[i : i + len(lens)] = e.cpu().numpy()
                if progress and total:
                    done = float(windows[min(i + batch, len(windows)) - 1].sum())
                    progress(min(done, total), total)
    finally:
        torch.set_num_threads(previous)
    return out


# ------------------------------------------------------------------ clustering (pure numpy/scipy)


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-10)


def region_index(windows: np.ndarray, regions: Sequence[tuple[float, float]]) -> np.ndarray:
    """Index of the speech region each window lies in."""
    starts = np.array([a for a, _ in regions], dtype=np.float64)
    centres = windows[:, 0] + windows[:, 1] / 2
    return np.searchsorted(starts, centres, side="right") - 1


def smooth_within_regions(emb: np.ndarray, region: np.ndarray, radius: int) -> np.ndarray:
    """Mean of each embedding with its ``radius`` neighbours of the same region."""
    if radius <= 0 or len(emb) == 0:
        return emb
    csum = np.vstack([np.zeros((1, emb.shape[1])), np.cumsum(emb, axis=0, dtype=np.float64)])
    n = len(emb)
    idx = np.arange(n)
    lo, hi = np.maximum(idx - radius, 0), np.minimum(idx + radius + 1, n)
    # keep the span inside the window's own region
    first = np.searchsorted(region, region, side="left")
    last = np.searchsorted(region, region, side="right")
    lo, hi = np.maximum(lo, first), np.minimum(hi, last)
    out = (csum[hi] - csum[lo]) / (hi - lo)[:, None]
    return _normalise(out.astype(np.float32))


def spectral_clusters(
    emb: np.ndarray,
    times: np.ndarray | None = None,
    *,
    min_k: int = 1,
    max_k: int = AUTO_MAX_SPEAKERS,
    exclude: float = 1.5,
    min_neighbours: int = 12,
    fractions: Sequence[float] = (0.02, 0.04, 0.06, 0.1, 0.15, 0.2, 0.3),
    seed: int = 0,
) -> np.ndarray:
    """Cluster labels 0..k-1 of (unit-norm) embeddings, k chosen by eigengap.

    Affinity: cosine similarity (negatives clipped) pruned to each row's p
    nearest neighbours and symmetrised; pairs closer than ``exclude`` seconds
    in ``times`` are not linked.  For each candidate p the unnormalised
    Laplacian's eigengap gives a count; the p with the best gap-to-p ratio
    wins (NME-SC).  The spectral embedding is clustered with k-means++.
    """
    from scipy.cluster.vq import kmeans2
    from scipy.linalg import eigh

    n = len(emb)
    max_k = max(1, min(max_k, n - 1))
    min_k = min(max(1, min_k), max_k)
    if n < 4 or max_k == 1:
        return np.zeros(n, dtype=int)
    sim = np.clip(emb @ emb.T, 0.0, None).astype(np.float64)
    if times is not None:
        sim[np.abs(times[:, None] - times[None, :]) < exclude] = 0.0
    np.fill_diagonal(sim, 0.0)
    candidates = sorted({min(max(min_neighbours, int(f * n)), n - 2) for f in fractions})
    best = None
    rows = np.arange(n)
    for p in candidates:
        if p < 1:
            continue
        keep = np.argpartition(-sim, p - 1, axis=1)[:, :p]
        pruned = np.zeros_like(sim)
        pruned[rows[:, None], keep] = sim[rows[:, None], keep]
        affinity = np.maximum(pruned, pruned.T)
        laplacian = np.diag(affinity.sum(axis=1)) - affinity
        top = min(max_k + 1, n) - 1
        values, vectors = eigh(laplacian, subset_by_index=[0, top])
        gaps = np.diff(values)
        if len(gaps) == 0:
            continue
        k = int(np.argmax(gaps[min_k - 1 :])) + min_k
        ratio = p / max(gaps[k - 1] / (values[-1] + 1e-10), 1e-10)
        if best is None or ratio < best[0]:
            best = (ratio, k, vectors[:, :k])
    if best is None:
        return np.zeros(n, dtype=int)
    _, k, vectors = best
    if k == 1:
        return np.zeros(n, dtype=int)
    points = _normalise(vectors)
    rng = np.random.default_rng(seed)
    labels, inertia = None, np.inf
    for _ in range(5):
        centres, lab = kmeans2(points, k, minit="++", seed=rng)
        cost = float(((points - centres[lab]) ** 2).sum())
        if cost < inertia and len(np.unique(lab)) == k:
            labels, inertia = lab, cost
    if labels is None:
        labels = lab
    return _compact(labels)


def _compact(labels: np.ndarray) -> np.ndarray:
    """Renumber labels 0..k-1 (dropping empty ones)."""
    _, inverse = np.unique(labels, return_inverse=True)
    return inverse.reshape(-1)


def viterbi(scores: np.ndarray, change_cost: np.ndarray) -> np.ndarray:
    """Best label path for per-step ``scores`` (T, K) where moving from step
    t-1 to t to a different label costs ``change_cost[t]``."""
    steps, k = scores.shape
    if steps == 0:
        return np.zeros(0, dtype=int)
    value = scores[0].astype(np.float64).copy()
    back = np.zeros((steps, k), dtype=np.int32)
    labels = np.arange(k)
    for t in range(1, steps):
        best = int(np.argmax(value))
        moved = value[best] - change_cost[t]
        stay = value >= moved
        back[t] = np.where(stay, labels, best)
        value = np.where(stay, value, moved) + scores[t]
    path = np.zeros(steps, dtype=int)
    path[-1] = int(np.argmax(value))
    for t in range(steps - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def _centroids(emb: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    return _normalise(np.stack([emb[labels == j].mean(axis=0) if np.any(labels == j) else np.zeros(emb.shape[1]) for j in range(k)]))


def resegment(emb: np.ndarray, centroids: np.ndarray, change_cost: np.ndarray, *, scale: float = 10.0) -> np.ndarray:
    """Viterbi labels of every window against the centroids (cosine x ``scale``)."""
    return viterbi((emb @ centroids.T) * scale, change_cost)


def stretches(labels: np.ndarray, region: np.ndarray) -> list[np.ndarray]:
    """Window indices of each stretch: one label inside one speech region."""
    bounds = np.flatnonzero((labels[1:] != labels[:-1]) | (region[1:] != region[:-1])) + 1
    return np.split(np.arange(len(labels)), bounds)


def hidden_speaker(
    emb: np.ndarray,
    labels: np.ndarray,
    region: np.ndarray,
    k: int,
    *,
    min_run: int = 4,
    min_total: int = 12,
    z: float = -1.5,
    margin: float = 0.1,
    max_similarity: float = 0.55,
    raw: np.ndarray | None = None,
    max_raw_similarity: float = 0.88,
) -> np.ndarray | None:
    """The centroid of a speaker hidden inside the clusters, or None.

    Runs (stretches of one label inside one speech region, at least
    ``min_run`` windows) whose similarity to their cluster *without them* is
    ``z`` standard deviations below the cluster's other runs are candidates.
    Candidates that resemble each other by ``margin`` more than their own
    clusters (checked leave-one-out), add up to ``min_total`` windows and
    whose mean is below ``max_similarity`` to every centroid make a speaker.
    With ``raw`` (the embeddings before centring), the group's voice must also
    differ from the rest of the cluster it hides in: raw cosine below
    ``max_raw_similarity`` (one voice split by what it says measured 0.92-0.96
    on synthetic meetings, a distinct voice heard for 6-8 s 0.75-0.81).
    """
    runs = stretches(labels, region)
    sums = np.stack([emb[r].sum(axis=0) for r in runs])
    run_label = np.array([labels[r[0]] for r in runs])
    size = np.array([len(r) for r in runs])
    totals = np.stack([sums[run_label == j].sum(axis=0) for j in range(k)])
    cand, cand_sim = [], []
    for j in range(k):
        idx = np.flatnonzero((run_label == j) & (size >= min_run))
        if len(idx) < 3:
            continue
        rest = _normalise(totals[j] - sums[idx])
        s = (_normalise(sums[idx]) * rest).sum(axis=1)
        mu = np.average(s, weights=size[idx])
        sd = np.sqrt(np.average((s - mu) ** 2, weights=size[idx])) + 1e-6
        for i, si in zip(idx, s):
            if (si - mu) / sd < z:
                cand.append(i)
                cand_sim.append(si)
    if len(cand) < 2:
        return None
    cand, cand_sim = np.array(cand), np.array(cand_sim)
    means = _normalise(sums[cand])
    pair = means @ means.T
    centroids = _normalise(totals)
    best = None
    for a in range(len(cand)):
        group = [b for b in range(len(cand)) if b == a or pair[a, b] > max(cand_sim[a], cand_sim[b]) + margin]
        if len(group) < 2 or size[cand[group]].sum() < min_total:
            continue
        gsum = sums[cand[group]]
        gtot = gsum.sum(axis=0)
        agree = all(
            float(_normalise(gtot - gsum[x]) @ means[g]) > cand_sim[g] + margin for x, g in enumerate(group)
        )
        centre = _normalise(gtot)
        distinct = float(np.max(centroids @ centre)) < max_similarity
        if raw is not None and distinct:
            members = np.concatenate([runs[i] for i in cand[group]])
            own = _normalise(raw[members].mean(axis=0))
            near = int(np.argmax(centroids @ centre))
            others = np.setdiff1d(np.flatnonzero(labels == near), members)
            rest = _normalise(raw[others].mean(axis=0)) if len(others) else own
            distinct = float(own @ rest) < max_raw_similarity
        if agree and distinct:
            if best is None or size[cand[group]].sum() > best[0]:
                best = (size[cand[group]].sum(), centre)
    return None if best is None else best[1]


def assign_speakers(
    emb: np.ndarray, windows: np.ndarray, regions: Sequence[tuple[float, float]], options: DiarizeOptions
) -> np.ndarray:
    """Speaker index of every window: cluster, resegment, recheck."""
    n = len(emb)
    max_k = options.max_speakers or AUTO_MAX_SPEAKERS
    min_k = options.min_speakers
    if n == 0:
        return np.zeros(0, dtype=int)
    region = region_index(windows, regions)
    centred = _normalise(emb - emb.mean(axis=0))
    if n < 4 or max_k == 1:
        return np.zeros(n, dtype=int)
    radius = max(1, int(round(0.5 / options.hop)))
    smoothed = smooth_within_regions(centred, region, radius)
    step = max(1, int(round(0.5 / options.hop)), int(np.ceil(n / options.max_cluster_windows)))
    pick = np.arange(0, n, step)
    times = windows[pick, 0] + windows[pick, 1] / 2
    labels = spectral_clusters(smoothed[pick], times, min_k=min_k, max_k=max_k, exclude=options.window)
    k = int(labels.max()) + 1
    centroids = _centroids(centred[pick], labels, k)
    cost = np.full(n, options.change_penalty)
    cost[1:][region[1:] != region[:-1]] = options.pause_change_penalty
    path = _compact(resegment(centred, centroids, cost))
    for _ in range(2):  # re-estimate the centroids from the resegmented path
        path, centroids = _refit(centred, path, cost)
    k = int(path.max()) + 1
    while options.recheck and k < max_k:
        extra = hidden_speaker(centred, path, region, k, raw=emb)
        if extra is None:
            break
        trial = resegment(centred, np.vstack([centroids, extra]), cost)
        if np.count_nonzero(trial == k) * options.hop < MIN_RECHECK_SECONDS:
            break
        path, centroids = _refit(centred, trial, cost)
        if int(path.max()) + 1 <= k:
            break
        k = int(path.max()) + 1
    path = merge_similar(centred, path, cost, min_k=min_k)
    return split_mixed(emb, path, region, max_k=max_k, hop=options.hop) if options.recheck else path


VAD_BLOCK_SECONDS = 600
"""The diarizer's voice activity detection runs on 10-minute blocks (bounded memory on long recordings)."""

MIXED_SIMILARITY = 0.85
"""A cluster whose two halves (2-means over its stretches) sound less alike than this is two voices.
Measured on synthetic meetings: two floor speakers merged into one cluster 0.80; the halves of
one speaker's cluster 0.89-0.98 (27 clusters in 5 meetings)."""


def split_mixed(
    raw: np.ndarray, path: np.ndarray, region: np.ndarray, *, max_k: int,
    threshold: float = MIXED_SIMILARITY, min_run: int = 4, min_seconds: float = 4.0, hop: float = 0.25,
) -> np.ndarray:
    """Split clusters that hold two voices: e.g. two people from the floor, each heard once.

    Each cluster's stretches (one label inside one speech region, ≥ ``min_run``
    windows) are split in two by 2-means on their mean raw embeddings; when
    both halves have ≥ 2 stretches and ``min_seconds`` of speech and their
    voices' cosine is below ``threshold``, the second half becomes a speaker.
    """
    path = path.copy()
    runs = stretches(path, region)
    for lab in range(int(path.max()) + 1):
        if int(path.max()) + 1 >= max_k:
            break
        mine = [r for r in runs if path[r[0]] == lab and len(r) >= min_run]
        if len(mine) < 4:
            continue
        means = _normalise(np.stack([raw[r].mean(axis=0) for r in mine]))
        size = np.array([len(r) for r in mine], dtype=float)
        sim = means @ means.T
        a, b = np.unravel_index(int(np.argmin(sim)), sim.shape)
        ca, cb = means[a], means[b]
        second = np.zeros(len(mine), dtype=bool)
        for _ in range(10):
            second = means @ cb > means @ ca
            if second.all() or not second.any():
                break
            ca = _normalise((means[~second] * size[~second, None]).sum(axis=0))
            cb = _normalise((means[second] * size[second, None]).sum(axis=0))
        if min(second.sum(), (~second).sum()) < 2:
            continue
        if min(size[second].sum(), size[~second].sum()) * hop < min_seconds or float(ca @ cb) >= threshold:
            continue
        new = int(path.max()) + 1
        for r in runs:  # short stretches too, each to the nearer voice
            if path[r[0]] == lab:
                mean = _normalise(raw[r].mean(axis=0))
                if float(mean @ cb) > float(mean @ ca):
                    path[r] = new
    return path


MERGE_SIMILARITY = 0.85
"""Two clusters whose (mean-centred) centroids are this similar are one voice split in two.
Measured on a 18.5-minute 4-voice meeting: the split voice's halves 0.88, the two closest
different voices 0.76."""


def merge_similar(emb: np.ndarray, path: np.ndarray, cost: np.ndarray, *, min_k: int = 1,
                  threshold: float = MERGE_SIMILARITY) -> np.ndarray:
    """Merge the most similar pair of clusters while their centroids' cosine ≥ ``threshold``."""
    while int(path.max()) + 1 > max(min_k, 1):
        k = int(path.max()) + 1
        c = _normalise(_centroids(emb, path, k))
        sim = c @ c.T
        np.fill_diagonal(sim, -1.0)
        i, j = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[i, j] < threshold:
            break
        merged = np.where(path == max(i, j), min(i, j), path)
        path, _ = _refit(emb, merged, cost)
    return path


def _refit(emb: np.ndarray, path: np.ndarray, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centroids of the current labels, then a new Viterbi path (labels compacted)."""
    path = _compact(path)
    centroids = _centroids(emb, path, int(path.max()) + 1)
    path = _compact(resegment(emb, centroids, cost))
    return path, _centroids(emb, path, int(path.max()) + 1)


def windows_to_turns(
    windows: np.ndarray, labels: np.ndarray, regions: Sequence[tuple[float, float]], *, merge_gap: float = 1.0
) -> list[SpeechTurn]:
    """Turns from window labels: each window owns the time nearest its centre
    inside its speech region; a region without a window takes the label of
    the nearest window; one speaker's turns closer than ``merge_gap`` join."""
    if len(windows) == 0:
        return []
    centres = windows[:, 0] + windows[:, 1] / 2
    pieces: list[list] = []
    for a, b in regions:
        inside = np.flatnonzero((centres >= a) & (centres <= b))
        if len(inside) == 0:
            nearest = int(np.argmin(np.abs(centres - (a + b) / 2)))
            pieces.append([a, b, int(labels[nearest])])
            continue
        c = centres[inside]
        edges = np.concatenate([[a], (c[1:] + c[:-1]) / 2, [b]])
        pieces.extend([edges[i], edges[i + 1], int(labels[j])] for i, j in enumerate(inside))
    pieces.sort()
    merged: list[list] = []
    for s, e, lab in pieces:
        if merged and merged[-1][2] == lab and s - merged[-1][1] < merge_gap:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e, lab])
    return [SpeechTurn(start=sec(s), end=sec(e), label=f"S{lab}") for s, e, lab in merged if e > s]


# ------------------------------------------------------------------ pyannote backend


def _pyannote(audio: np.ndarray, options: DiarizeOptions, progress: ProgressFn | None, device: str = "cpu") -> list[SpeechTurn]:
    try:
        import torch
        from pyannote.audio import Pipeline
    except ImportError:
        raise ModelError(
            "the pyannote backend needs pyannote.audio",
            hint="pip install 'rapporteur[pyannote]', or set diarize.backend: builtin",
        ) from None
    token = os.environ.get("HF_TOKEN", "").strip()
    if not token:
        raise ModelError(
            "the pyannote backend needs a Hugging Face token in HF_TOKEN",
            hint=f"accept the conditions of {options.pyannote_model} on huggingface.co, then export HF_TOKEN=…",
        )
    total = len(audio) / SAMPLE_RATE
    if progress:
        progress(0.0, total)
    try:
        try:
            pipeline = Pipeline.from_pretrained(options.pyannote_model, token=token)
        except TypeError:  # pyannote.audio 3.x
            pipeline = Pipeline.from_pretrained(options.pyannote_model, use_auth_token=token)
    except Exception as exc:
        raise ModelError(
            f"cannot load {options.pyannote_model}: {str(exc).replace(token, '***')}",
            hint="check HF_TOKEN, the model's access conditions and the network",
        ) from None
    if pipeline is None:
        raise ModelError(f"cannot load {options.pyannote_model} (access refused?)", hint="check HF_TOKEN and accept the model's conditions")
    if options.threads:
        torch.set_num_threads(options.threads)
    if device != "cpu":
        pipeline.to(torch.device(device))
    kwargs = {"min_speakers": options.min_speakers}
    if options.max_speakers:
        kwargs["max_speakers"] = options.max_speakers
    try:
        output = pipeline({"waveform": torch.from_numpy(audio)[None], "sample_rate": SAMPLE_RATE}, **kwargs)
    except Exception as exc:
        raise StageError(f"pyannote diarization failed: {exc}") from None
    annotation = getattr(output, "speaker_diarization", output)  # pyannote.audio 4 wraps the annotation
    turns = [SpeechTurn(start=seg.start, end=seg.end, label=str(label)) for seg, _, label in annotation.itertracks(yield_label=True)]
    if progress:
        progress(total, total)
    return turns

