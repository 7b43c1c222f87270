"""Where models run: ``cpu``, ``cuda`` or ``auto`` (cuda when a GPU is usable, else cpu).

The device says how a result is computed, not what it is: it never enters an
artefact's fingerprint.  Heavy imports (torch, ctranslate2) happen inside functions.
"""

from __future__ import annotations

import importlib.util

from ..errors import ModelError

DEVICES = ("cpu", "cuda", "auto")
RUNTIMES = ("torch", "ctranslate2")


def cuda_available(runtime: str = "torch") -> bool:
    """Whether ``runtime`` (torch: diarizer on cuda, openai-whisper, pyannote; ctranslate2: faster-whisper) sees a CUDA GPU."""
    try:
        if runtime == "ctranslate2":
            import ctranslate2

            return ctranslate2.get_cuda_device_count() > 0
        import torch

        return bool(torch.cuda.is_available())
    except Exception:  # not installed, CPU-only build, broken driver
        return False


def resolve_device(device: str, *, what: str, runtime: str = "torch") -> str:
    """``cpu`` or ``cuda`` for the configured ``device``; a one-line error when cuda is asked but unusable."""
    if device not in DEVICES:
        raise ModelError(f"{what}: unknown device {device!r}", hint=f"use one of {', '.join(DEVICES)}")
    if device == "cpu":
        return "cpu"
    usable = cuda_available(runtime)
    if device == "auto":
        return "cuda" if usable else "cpu"
    if not usable:
        why = ("sees no usable CUDA GPU here (no GPU, no driver, or a CPU-only build)"
               if importlib.util.find_spec(runtime) else "is not installed")
        raise ModelError(
            f"{what}: device cuda was asked, but {runtime} {why}",
            hint=f"use --device cpu (or `device: cpu` in rapporteur.yaml), or install a CUDA build of {runtime}",
        )
    return "cuda"
