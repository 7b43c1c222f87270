"""The optional pyannote.audio backend (online: a Hugging Face token in HF_TOKEN)."""

from __future__ import annotations

import os

import numpy as np

from ..core.records import SpeechTurn
from ..errors import ModelError, StageError
from .options import SAMPLE_RATE, DiarizeOptions, ProgressFn

def pyannote_turns(audio: np.ndarray, options: DiarizeOptions, progress: ProgressFn | None, device: str = "cpu") -> list[SpeechTurn]:
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
