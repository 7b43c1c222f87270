"""ffmpeg: finding the binary, probing durations, decoding to 16 kHz mono.

The binary is the system's ``ffmpeg`` when there is one, else the static
build that ships inside the ``imageio-ffmpeg`` wheel (no root needed).
``RAPPORTEUR_FFMPEG`` overrides both.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np

from ..errors import FetchError
from .fsutil import temp_path_for

SAMPLE_RATE = 16_000
# a decoded stream shorter than the container says by more than this is truncated
TRUNCATION_TOLERANCE = 0.02  # fraction of the container's duration
TRUNCATION_MIN_SECONDS = 2.0


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary to use."""
    override = os.environ.get("RAPPORTEUR_FFMPEG")
    if override:
        return override
    system = shutil.which("ffmpeg")
    if system:
        return system
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # pragma: no cover - depends on the machine
        raise FetchError(
            "no ffmpeg found",
            hint="install it (apt-get install ffmpeg) or `pip install imageio-ffmpeg`, or set RAPPORTEUR_FFMPEG",
        ) from exc


_DURATION_RE = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_TIME_RE = re.compile(r"time=\s*(\d+):(\d+):(\d+(?:\.\d+)?)")


def _hms(m: re.Match) -> float:
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))


def _riff_wav_duration(path: Path) -> float | None:
    """Seconds a RIFF/WAVE header declares (ffmpeg estimates WAV length from file size)."""
    import struct

    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        byte_rate = None
        while True:
            chunk = fh.read(8)
            if len(chunk) < 8:
                return None
            cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if cid == b"fmt ":
                fmt = fh.read(size)
                byte_rate = struct.unpack("<I", fmt[8:12])[0] if len(fmt) >= 12 else None
                fh.seek(size % 2, 1)
            elif cid == b"data":
                if not byte_rate or size in (0, 0xFFFFFFFF):
                    return None  # streaming writers leave the size unknown
                return size / byte_rate
            else:
                fh.seek(size + size % 2, 1)


def container_duration(path: Path) -> float | None:
    """The duration the container header claims (None when it does not say)."""
    declared = _riff_wav_duration(path)
    if declared is not None:
        return declared
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-i", str(path)],
        capture_output=True,
        text=True,
        errors="replace",
    )
    m = _DURATION_RE.search(proc.stderr)
    if not m:
        if "Invalid data found" in proc.stderr or "could not find codec" in proc.stderr.lower():
            raise FetchError("not a readable audio or video file", path=path, hint="replace the file or its URL")
        return None
    return _hms(m)


def decode_to_wav(source: Path, target: Path) -> float:
    """Decode ``source`` to 16 kHz mono 16-bit WAV at ``target`` (atomically).

    Returns the decoded duration in seconds.  Raises FetchError when the media
    cannot be decoded, has no audio, or is shorter than its container claims
    (a truncated download).
    """
    import ffmpeg  # ffmpeg-python

    source, target = Path(source), Path(target)
    if not source.is_file() or source.stat().st_size == 0:
        raise FetchError("media file is missing or empty", path=source, hint="fetch it again (delete it and rerun)")
    claimed = container_duration(source)
    tmp = temp_path_for(target).with_suffix(".wav")
    stream = ffmpeg.input(str(source)).output(
        str(tmp), ac=1, ar=SAMPLE_RATE, acodec="pcm_s16le", vn=None, sn=None, f="wav"
    )
    try:
        ffmpeg.run(stream, cmd=ffmpeg_exe(), overwrite_output=True, capture_stdout=True, capture_stderr=True)
    except ffmpeg.Error as exc:
        tmp.unlink(missing_ok=True)
        detail = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        reason = detail[-1] if detail else "ffmpeg failed"
        raise FetchError(f"cannot decode audio ({reason})", path=source, hint="check the file plays, or replace it") from None
    decoded = (tmp.stat().st_size - 44) / (2 * SAMPLE_RATE)
    if decoded <= 0.05:
        tmp.unlink(missing_ok=True)
        raise FetchError("no audio stream in the media", path=source, hint="point `recording:` at a file with sound")
    if claimed and claimed - decoded > max(TRUNCATION_MIN_SECONDS, TRUNCATION_TOLERANCE * claimed):
        tmp.unlink(missing_ok=True)
        raise FetchError(
            f"truncated media: decodes to {decoded:.1f} s but the container says {claimed:.1f} s",
            path=source,
            hint="delete it and fetch again",
        )
    os.replace(tmp, target)
    return decoded


def read_wav(path: Path) -> np.ndarray:
    """Read a 16 kHz mono 16-bit WAV written by ``decode_to_wav`` as float32."""
    import wave

    with wave.open(str(path), "rb") as wf:
        if wf.getframerate() != SAMPLE_RATE or wf.getnchannels() != 1 or wf.getsampwidth() != 2:
            raise FetchError("audio.wav is not 16 kHz mono 16-bit", path=path, hint="delete it and run again")
        # block by block into one float32 array: a 3-hour file never exists twice in memory
        audio = np.empty(wf.getnframes(), dtype=np.float32)
        pos = 0
        while pos < len(audio):
            block = np.frombuffer(wf.readframes(min(1 << 20, len(audio) - pos)), dtype="<i2")
            if not len(block):
                break
            audio[pos : pos + len(block)] = block
            pos += len(block)
    audio = audio[:pos]
    audio *= 1.0 / 32768.0  # a power of two: the same values as dividing
    return audio


def wav_duration(path: Path) -> float:
    import wave

    with wave.open(str(path), "rb") as wf:
        return wf.getnframes() / float(wf.getframerate())


def encode_opus(source: Path, target: Path, *, bitrate: str = "24k") -> None:
    """Encode audio to Ogg/Opus (used for committed fixtures and site audio)."""
    tmp = temp_path_for(target).with_suffix(target.suffix)
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(source),
         "-vn", "-ac", "1", "-c:a", "libopus", "-b:a", bitrate,
         # bit-exact: no random stream serial, so identical audio gives an identical file
         "-fflags", "+bitexact", "-flags:a", "+bitexact", str(tmp)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise FetchError(f"cannot encode opus: {proc.stderr.strip()[-200:]}", path=source)
    os.replace(tmp, target)
