"""Re-decoding skipped speech, one stretch after another against packed several to a window, on one main pass.

The main pass (``transcribe`` with ``fill_gaps=0``: VAD-cut windows, batch 8, the session prompt) runs once
on a whole corpus panel; then ``fill_skipped_speech`` runs on its segments once per mode, in this process:
``sequential`` (``batch_size=1``: each stretch decoded whole, one after another), ``packed``
(``batch_size=8``: several stretches to a 30-s window, ``heard_packed``) and ``packed-no-timestamps`` (the same,
the clips decoded with text tokens only, as before 2026-12-07).  Per line: seconds, WER
(English-normalised, reference without back-channels), deletions, stretches of reference speech >= 3 s
without a word.

    PYTHONPATH=scripts .venv/bin/python benchmarks/fill_modes.py OUTDIR/panels/p1-ai-global-south [--timestamps] \\
        [--modes packed,packed-no-timestamps] [--main-pass main.json]

``--timestamps``: the main pass decodes with timestamp tokens (faster-whisper's ``without_timestamps=False``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "scripts"))
sys.path.insert(0, str(HERE))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--timestamps", action="store_true")
    ap.add_argument("--modes", default="sequential,packed")
    ap.add_argument("--main-pass", type=Path, default=None,
                    help="a transcript file: the main pass is read from it when it exists, else decoded and written to it "
                         "(to compare ways of re-decoding, or code changes, on one main pass)")
    args = ap.parse_args()
    import faster_whisper

    from panels import gaps, speech_regions
    from rapporteur import transcribe as T
    from rapporteur.core.media import decode_to_wav, read_wav
    from rapporteur.core.session import load_session
    from rapporteur.eval.metrics import wer
    from rapporteur.eval.synth import load_reference

    if args.timestamps:
        batched = faster_whisper.BatchedInferencePipeline.transcribe

        def with_timestamps(self, audio, *a, **k):
            if "clip_timestamps" not in k:  # the main pass, not the re-decoding
                k["without_timestamps"] = False
            return batched(self, audio, *a, **k)

        faster_whisper.BatchedInferencePipeline.transcribe = with_timestamps
    wav = args.folder / "audio.wav"
    if not wav.is_file():
        decode_to_wav(args.folder / "recording.ogg", wav)
    audio = read_wav(wav)
    session = load_session(args.folder)
    prompt = T.session_prompt(session.title, session.roster_names(), session.description)
    truth = json.loads((args.folder / "corpus.json").read_text(encoding="utf-8"))
    regions = speech_regions(load_reference(args.folder / "reference.json").turns)

    def report(name: str, segments, seconds: float) -> None:
        words = [w for s in segments for w in s.words]
        e = wer(truth["text_without_backchannels"], " ".join(w.text for w in words), english=True)
        g = gaps(regions, [(w.start, w.end) for w in words], 3.0)
        print(json.dumps({"panel": args.folder.name, "step": name, "seconds": round(seconds, 1),
                          "wer": round(e.rate, 4), "deletions": e.deletions, "gaps_3s": len(g),
                          "gap_seconds": round(sum(b - a for a, b in g), 1)}), flush=True)

    from rapporteur.core import records

    t0 = time.monotonic()
    if args.main_pass and args.main_pass.is_file():
        main_pass = records.read_record(args.main_pass, records.transcript_from_dict).segments
    else:
        first = T.transcribe(audio, T.TranscribeOptions(fill_gaps=0.0, language="en"), prompt=prompt)
        main_pass = first.segments
        if args.main_pass:
            args.main_pass.write_text(records.to_json(first), encoding="utf-8")
    report("main pass" + (" (timestamps)" if args.timestamps else ""), main_pass, time.monotonic() - t0)
    backend = T.get_backend("faster-whisper")
    batched = faster_whisper.BatchedInferencePipeline.transcribe
    for mode in args.modes.split(","):
        opts = T.TranscribeOptions(language="en", batch_size=1 if mode == "sequential" else 8)
        if mode == "packed-no-timestamps":  # the clips decoded with text tokens only (faster-whisper's batched default)
            def text_only(self, audio, *a, **k):
                if "clip_timestamps" in k:
                    k["without_timestamps"] = True
                return batched(self, audio, *a, **k)

            faster_whisper.BatchedInferencePipeline.transcribe = text_only
        t0 = time.monotonic()
        filled, _left = T.fill_skipped_speech(audio, main_pass, backend, opts, language="en", prompt=prompt, hotwords=None)
        report(f"fill, {mode}", filled, time.monotonic() - t0)
        faster_whisper.BatchedInferencePipeline.transcribe = batched
    return 0


if __name__ == "__main__":
    sys.exit(main())
