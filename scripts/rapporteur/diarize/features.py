"""Speaker embeddings: resemblyzer's voice encoder (weights from its wheel) over windows inside speech regions."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import ModelError
from .options import SAMPLE_RATE, ProgressFn

FRAME_HOP = 160  # samples per mel frame (10 ms)


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


