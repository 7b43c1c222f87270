"""The diarize stage's options (``diarize:`` in rapporteur.yaml) and constants shared by its modules."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

from ..core.devices import DEVICES

SAMPLE_RATE = 16_000
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
    hop: float = 0.5  # seconds between embedding windows (cost grows as 1/hop; 0.25 measured DER 1.6/2.8/1.8 % against 3.3/2.9/1.7 % on three 46-min panels, in 1.8x the time)
    threads: int = 1  # CPU threads of the encoder (1 leaves a core for ASR; 0 = all) / of pyannote (0 = torch's default)
    device: str = "cpu"  # where the encoder / pyannote runs: cpu | cuda (through torch) | auto (cuda when available)
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
