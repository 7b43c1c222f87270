"""Skipped speech on a cut of a corpus panel: transcribe variants side by side with plain faster-whisper.

The ASR stage alone (``rapporteur.transcribe.transcribe``) on ``[start, start + minutes)`` of a panel
built by ``python -m rapporteur.eval.corpus build OUTDIR``, one variant after the other in this process,
against plain faster-whisper (the same bundled base model, int8, beam 5, word timestamps, VAD, language
en, no prompt) on the same samples.  Per variant: WER (English-normalised, reference without
back-channels), deletions, stretches of reference speech >= 2 s and >= 3 s without a word, wall time
and its ratio to plain faster-whisper's.

    PYTHONPATH=scripts nice -n 19 .venv/bin/python benchmarks/asr_gaps.py OUTDIR/panels/p1-ai-global-south \\
        --start 720 --minutes 15 --variant default --variant noprompt:use_prompt=false [--json out.json]

A variant is ``name[:key=value,...]`` over ``TranscribeOptions`` fields (true/false, numbers, strings)
plus ``prompt=session|names|title|none`` (what primes the decoder).  ``plain`` is plain faster-whisper.
The folder may also be a synthetic meeting (``python -m rapporteur.eval.synth SCRIPT FOLDER``).  Name
words heard / said: per word of a roster name, min(times in the hypothesis, times in the reference).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any, Sequence

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "scripts"))
sys.path.insert(0, str(HERE))


def cut(turns: Sequence[dict], t: float) -> float:
    """The first instant >= ``t`` at which no reference turn is running (a silence between turns)."""
    for x in sorted(turns, key=lambda x: x["start"]):
        if x["start"] >= t and all(y["end"] <= x["start"] or y["start"] >= x["start"] for y in turns):
            return max(t, x["start"] - 0.2)
    return t


def reference(folder: Path, t0: float, t1: float) -> tuple[str, list[tuple[float, float]]]:
    from rapporteur.eval.corpus import PlacedTurn, spliced_text
    from panels import speech_regions

    if not (folder / "corpus.json").is_file():  # a synthetic meeting (rapporteur.eval.synth): every turn
        from rapporteur.eval.synth import load_reference

        turns = [t for t in load_reference(folder / "reference.json").turns if t0 <= t.start < t1]
        shifted = [type("T", (), {"start": t.start - t0, "end": min(t.end, t1) - t0}) for t in turns]
        return " ".join(t.text for t in turns), speech_regions(shifted)
    truth = json.loads((folder / "corpus.json").read_text(encoding="utf-8"))
    keep = [i for i, t in enumerate(truth["turns"]) if t0 <= t["start"] < t1]
    remap = {i: j for j, i in enumerate(keep)}
    placed = [PlacedTurn(**{**truth["turns"][i], "host": remap.get(truth["turns"][i].get("host"))}) for i in keep]
    speech = [type("T", (), {"start": p.start - t0, "end": min(p.end, t1) - t0}) for p in placed]
    return spliced_text(placed, backchannels=False), speech_regions(speech)


def parse_variant(spec: str) -> tuple[str, dict[str, Any]]:
    name, _, rest = spec.partition(":")
    kv: dict[str, Any] = {}
    for item in filter(None, rest.split(",")):
        k, _, v = item.partition("=")
        kv[k] = {"true": True, "false": False, "none": None}.get(v.lower(), v)
        if isinstance(kv[k], str):
            for conv in (int, float):
                try:
                    kv[k] = conv(v)
                    break
                except ValueError:
                    pass
    return name, kv


def prompt_for(folder: Path, kind: str) -> str | None:
    from rapporteur.core.session import load_session
    from rapporteur.transcribe import session_prompt

    s = load_session(folder)
    if kind in ("none", None):
        return None
    if kind == "names":
        return session_prompt("", s.roster_names())
    if kind == "title":
        return session_prompt(s.title, [])
    return session_prompt(s.title, s.roster_names(), s.description)


def plain(audio) -> list[tuple[float, float, str]]:
    from faster_whisper import WhisperModel

    from rapporteur.models import resolve_faster_whisper_model

    model = WhisperModel(resolve_faster_whisper_model("base"), device="cpu", compute_type="int8")
    segments, _ = model.transcribe(audio, language="en", beam_size=5, word_timestamps=True, vad_filter=True)
    return [(w.start, w.end, w.word) for s in segments for w in (s.words or [])]


def run_variant(audio, folder: Path, kv: dict[str, Any]) -> list[tuple[float, float, str]]:
    from rapporteur.transcribe import TranscribeOptions, transcribe

    kv = dict(kv)
    prompt = prompt_for(folder, kv.pop("prompt", "session"))
    options = TranscribeOptions(**{"language": "en", **kv})
    result = transcribe(audio, options, prompt=prompt)
    return [(w.start, w.end, w.text) for w in result.words()]


def name_tokens(folder: Path) -> set[str]:
    """The roster's name words (3 letters or more, folded) that the reference says."""
    from rapporteur.core.session import load_session

    return {t for n in load_session(folder).roster_names() for t in fold(n).split() if len(t) >= 3}


def fold(text: str) -> str:
    import re
    import unicodedata

    text = unicodedata.normalize("NFKD", text.casefold())
    return re.sub(r"[^a-z0-9 ]+", " ", "".join(c for c in text if not unicodedata.combining(c)))


def name_recall(ref: str, hyp: str, tokens: set[str]) -> tuple[int, int]:
    """(name words heard, name words said): per roster name word, min(count in hypothesis, count in reference)."""
    r, h = fold(ref).split(), fold(hyp).split()
    said = sum(r.count(t) for t in tokens)
    return sum(min(h.count(t), r.count(t)) for t in tokens), said


def score(ref: str, regions, words, tokens: set[str] = frozenset()) -> dict[str, Any]:
    from rapporteur.eval.metrics import wer
    from panels import gaps

    e = wer(ref, " ".join(w[2] for w in words), english=True)
    heard, said = name_recall(ref, " ".join(w[2] for w in words), tokens)
    g2, g3 = gaps(regions, [(a, b) for a, b, _ in words], 2.0), gaps(regions, [(a, b) for a, b, _ in words], 3.0)
    return {"wer": round(e.rate, 4), "deletions": e.deletions, "substitutions": e.substitutions,
            "insertions": e.insertions, "reference_words": e.reference_words,
            "gaps2": len(g2), "gap2_seconds": round(sum(b - a for a, b in g2), 1),
            "gaps3": len(g3), "gap3_seconds": round(sum(b - a for a, b in g3), 1),
            "names_heard": heard, "names_said": said,
            "gaps2_at": [[round(a, 1), round(b, 1)] for a, b in g2]}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path, help="a panel folder of the corpus (audio.wav or recording.ogg, corpus.json)")
    ap.add_argument("--start", type=float, default=0.0, help="cut start, seconds (moved to the next silence between turns)")
    ap.add_argument("--minutes", type=float, default=0.0, help="cut length; 0 = to the end")
    ap.add_argument("--variant", action="append", default=[], help="name[:key=value,...]; 'plain' = plain faster-whisper")
    ap.add_argument("--json", type=Path, help="append the rows to this JSON file")
    ap.add_argument("--dump", type=Path, help="write each variant's words (start, end, text; cut time) to DIR/<variant>.json")
    args = ap.parse_args(argv)
    from rapporteur.core.media import SAMPLE_RATE, decode_to_wav, read_wav

    if not (args.folder / "audio.wav").is_file():
        decode_to_wav(args.folder / "recording.ogg", args.folder / "audio.wav")
    audio = read_wav(args.folder / "audio.wav")
    truth = args.folder / "corpus.json"
    turns = (json.loads(truth.read_text(encoding="utf-8"))["turns"] if truth.is_file() else
             [{"start": t["start"], "end": t["end"]} for t in json.loads((args.folder / "reference.json").read_text())["turns"]])
    t0 = cut(turns, args.start)
    t1 = cut(turns, t0 + args.minutes * 60) if args.minutes else len(audio) / SAMPLE_RATE
    audio = audio[int(t0 * SAMPLE_RATE): int(t1 * SAMPLE_RATE)]
    ref, regions = reference(args.folder, t0, t1)
    rows = []
    plain_wall = None
    for spec in args.variant or ["plain", "default"]:
        name, kv = parse_variant(spec)
        t = time.monotonic()
        words = plain(audio) if name == "plain" else run_variant(audio, args.folder, kv)
        wall = time.monotonic() - t
        if name == "plain":
            plain_wall = wall
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            (args.dump / f"{args.folder.name}.{name}.json").write_text(json.dumps({"span": [t0, t1], "words": words}))
        row = {"panel": args.folder.name, "span": [round(t0, 1), round(t1, 1)], "variant": spec,
               **score(ref, regions, words, name_tokens(args.folder)), "wall_s": round(wall, 1),
               "ratio_to_plain": round(wall / plain_wall, 2) if plain_wall else None}
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.json:
        old = json.loads(args.json.read_text()) if args.json.is_file() else []
        args.json.write_text(json.dumps(old + rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
