#!/usr/bin/env python3
"""Render the non-English test clips (tests/fixtures/languages/<lang>.ogg) with espeak-ng.

    PYTHONPATH=scripts python scripts/synth/make_language_clips.py [fr es ar zh ru]

Reads tests/fixtures/languages/scripts.yaml (voice, speed, pitch and sentences per language),
speaks each sentence with the language's espeak-ng voice (rapporteur.eval.synth.speak),
trims it, joins the sentences with 0.5 s pauses and 0.5 s of silence at both ends, and
encodes the result as Ogg/Opus (rapporteur.core.media.encode_opus, bit-exact).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

from rapporteur.eval.synth import Voice, speak, trim_bounds, wav_bytes
from rapporteur.core.media import SAMPLE_RATE, encode_opus

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "languages"


def render(lang: str, spec: dict, workdir: Path) -> Path:
    voice = Voice(voice=spec["voice"], speed=spec.get("speed", 150), pitch=spec.get("pitch", 50))
    gap = np.zeros(SAMPLE_RATE // 2, dtype=np.float32)
    parts = [gap]
    for sentence in spec["text"]:
        x = speak(sentence, voice, workdir)
        a, b = trim_bounds(x)
        parts += [x[a:b], gap]
    audio = np.concatenate(parts)
    audio = audio * (0.7 / max(1e-6, float(np.max(np.abs(audio)))))
    wav = workdir / f"{lang}.wav"
    wav.write_bytes(wav_bytes(audio, SAMPLE_RATE))
    target = FIXTURES / f"{lang}.ogg"
    encode_opus(wav, target)
    print(f"{target.relative_to(ROOT)}: {len(audio) / SAMPLE_RATE:.1f} s")
    return target


def main(argv: list[str]) -> int:
    specs = yaml.safe_load((FIXTURES / "scripts.yaml").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        for lang in argv or list(specs):
            render(lang, specs[lang], Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
