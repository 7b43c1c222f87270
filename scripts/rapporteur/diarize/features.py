"""Speaker embeddings: resemblyzer's voice encoder (weights from its wheel) over windows inside speech regions."""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path
from typing import Callable, Sequence

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


RESEMBLYZER_INSTALL = "pip install --no-deps resemblyzer==0.1.4"  # its own dependencies (torch, librosa) are not needed


def encoder_weights() -> Path:
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the builtin diarizer needs the resemblyzer package (for its voice encoder's weights)",
                         hint=RESEMBLYZER_INSTALL)
    path = Path(list(spec.submodule_search_locations)[0]) / "pretrained.pt"
    if not path.is_file():
        raise ModelError("resemblyzer's pretrained.pt is missing", path=path, hint=f"reinstall it: {RESEMBLYZER_INSTALL}")
    return path


EncodeFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


@functools.lru_cache(maxsize=2)
def _encoder(device: str = "cpu") -> EncodeFn:
    """resemblyzer's VoiceEncoder network (3-layer LSTM 40→256, Linear 256→256, ReLU,
    L2 normalisation) with its bundled weights, as a function of (mel block
    (batch, frames, 40), lengths) → (batch, 256) unit vectors.

    On cpu it runs in numpy (``rapporteur.nn``, no torch); on cuda on torch,
    which must then be a CUDA build (``resolve_device`` has checked that).
    Built here from the weights file rather than by importing resemblyzer,
    whose package import pulls librosa and webrtcvad that the encoder does not need.
    """
    from ..core import nn

    path = encoder_weights()
    try:
        state = nn.load_torch(path)["model_state"]
        weights = {k: v for k, v in state.items() if k.startswith(("lstm.", "linear."))}
        expected = {"linear.weight": (256, 256), "linear.bias": (256,)}
        for k in range(3):
            expected |= {f"lstm.weight_ih_l{k}": (1024, 256 if k else 40), f"lstm.weight_hh_l{k}": (1024, 256),
                         f"lstm.bias_ih_l{k}": (1024,), f"lstm.bias_hh_l{k}": (1024,)}
        if {k: v.shape for k, v in weights.items()} != expected or any(v.dtype != np.float32 for v in weights.values()):
            raise ValueError("not the expected 3-layer LSTM and linear layer")
    except Exception as exc:
        raise ModelError(f"cannot load the speaker encoder ({exc})", path=path, hint=f"reinstall it: {RESEMBLYZER_INSTALL}") from None
    if device != "cpu":
        return _torch_encoder(weights, device)
    linear_t = np.ascontiguousarray(weights["linear.weight"].T)

    def encode(block: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        hidden = nn.lstm_last(block, lengths, weights, layers=3, prefix="lstm.")
        e = np.maximum(hidden @ linear_t + weights["linear.bias"], 0)
        return e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), np.float32(1e-8))

    return encode


def _torch_encoder(weights: dict[str, np.ndarray], device: str) -> EncodeFn:
    """The encoder on torch (``device: cuda``)."""
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence

    lstm, linear = torch.nn.LSTM(40, 256, 3, batch_first=True), torch.nn.Linear(256, 256)
    lstm.load_state_dict({k[5:]: torch.from_numpy(v) for k, v in weights.items() if k.startswith("lstm.")})
    linear.load_state_dict({k[7:]: torch.from_numpy(v) for k, v in weights.items() if k.startswith("linear.")})
    lstm, linear = lstm.eval().to(device), linear.eval().to(device)

    def encode(block: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            x = torch.from_numpy(block).to(device)
            if lengths.min() < lengths.max():
                x = pack_padded_sequence(x, torch.from_numpy(lengths), batch_first=True, enforce_sorted=False)
            _, (hidden, _) = lstm(x)
            e = torch.relu(linear(hidden[-1]))
            return (e / e.norm(dim=1, keepdim=True).clamp_min(1e-8)).cpu().numpy()

    return encode


class _EncoderProcess:
    """The numpy encoder in a child process whose BLAS runs ``threads`` threads (0: BLAS's default).

    BLAS's thread count is process-wide: lowering it here would also change the
    features of the ASR running alongside in this process (and so its words),
    while leaving it alone makes many small multi-threaded matrix products fight
    the ASR for the cores (5x slower).  A child process has a BLAS of its own.
    Batches go through its stdin as (batch, frames) int64, lengths int64, mel
    float32; embeddings come back as (batch, 256) float32.
    """

    def __init__(self, threads: int) -> None:
        import subprocess
        import sys
        import tempfile

        env = dict(os.environ)
        if threads:
            env.update({v: str(threads) for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                                  "VECLIB_MAXIMUM_THREADS")})
        import rapporteur

        package_root = str(Path(rapporteur.__file__).resolve().parent.parent)  # the child imports this rapporteur
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
        _encoder("cpu")  # the weights' errors are raised here, once
        self.errors = tempfile.TemporaryFile()  # a file, not a pipe: a chatty child cannot block on it
        self.proc = subprocess.Popen(
            [sys.executable, "-c", f"from {__name__} import serve_encoder; serve_encoder()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors, env=env,
        )

    def __call__(self, block: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        n = len(lengths)
        try:
            self.proc.stdin.write(np.array(block.shape[:2], dtype=np.int64).tobytes()
                                  + np.ascontiguousarray(lengths, dtype=np.int64).tobytes()
                                  + np.ascontiguousarray(block, dtype=np.float32).tobytes())
            self.proc.stdin.flush()
            data = self.proc.stdout.read(n * 256 * 4)
        except (BrokenPipeError, OSError):
            data = b""
        if len(data) != n * 256 * 4:
            self.close()
            self.errors.seek(0)
            err = self.errors.read().decode(errors="replace").strip().splitlines()
            raise ModelError(f"the speaker encoder's process failed ({err[-1] if err else 'no output'})")
        return np.frombuffer(data, dtype=np.float32).reshape(n, 256)

    def close(self) -> None:
        if not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        self.proc.wait()
        self.proc.stdout.close()


def serve_encoder() -> None:
    """The child's side of ``_EncoderProcess``: embed batches from stdin until it closes."""
    import sys

    encode = _encoder("cpu")
    src, dst = sys.stdin.buffer, sys.stdout.buffer
    while header := src.read(16):
        batch, frames = np.frombuffer(header, dtype=np.int64)
        lengths = np.frombuffer(src.read(8 * batch), dtype=np.int64)
        block = np.frombuffer(src.read(4 * batch * frames * 40), dtype=np.float32).reshape(batch, frames, 40)
        dst.write(np.ascontiguousarray(encode(block, lengths), dtype=np.float32).tobytes())
        dst.flush()


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
    """L2-normalised 256-d speaker embeddings of the (start, duration) windows.

    On cpu the encoder runs in a child process with ``threads`` BLAS threads (see ``_EncoderProcess``)."""
    mel = mel_spectrogram(audio)
    starts = np.round(windows[:, 0] * 100).astype(int)
    lengths = np.maximum(1, np.round(windows[:, 1] * 100).astype(int))
    lengths = np.minimum(lengths, np.maximum(1, len(mel) - starts))
    out = np.zeros((len(windows), 256), dtype=np.float32)
    encode = _encoder(device) if device != "cpu" else _EncoderProcess(threads)
    try:
        for i in range(0, len(windows), batch):
            lens = lengths[i : i + batch]
            block = np.zeros((len(lens), int(lens.max()), 40), dtype=np.float32)
            for r, (s, n) in enumerate(zip(starts[i : i + batch], lens)):
                block[r, :n] = mel[s : s + n]
            out[i : i + len(lens)] = encode(block, lens)
            if progress and total:
                done = float(windows[min(i + batch, len(windows)) - 1].sum())
                progress(min(done, total), total)
    finally:
        if isinstance(encode, _EncoderProcess):
            encode.close()
    return out
