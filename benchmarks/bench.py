"""Pipeline benchmark: speed of every stage, backends compared, memory, make times.

Generates its own input — a long multi-speaker meeting assembled from the lines
of the committed meeting scripts (scripts/synth/*.yaml), spoken by espeak-ng —
then measures, in one run so the ratios are comparable on a noisy machine:

* real-time factor (RTF = processing seconds / audio seconds) of each stage and
  of the whole pipeline with the default configuration, and the pipeline / ASR ratio;
* ASR configurations side by side (model × compute type);
* peak memory (max RSS) of each stage, each run in its own process;
* accuracy on the generated meeting (WER, DER, speaker count) and its summary's quality
  (length, repetition, pronouns, misheard words: rapporteur.eval.summary);
* `make` with nothing to do, and after editing one session.yaml.

Site build time and size at 10/100/300 sessions and bytes per search query come
from benchmarks/site_scale.py (run with --site).  Results: benchmarks/results.json
and benchmarks/results.md.

    .venv/bin/python benchmarks/bench.py [--minutes 20] [--site]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
WORK = ROOT / ".build" / "bench"
VOICES = {
    "Helen Brooks": {"voice": "en-us+f3", "pitch": 58, "speed": 160},
    "Kofi Asante": {"voice": "en-029+m3", "pitch": 32, "speed": 155},
    "Ingrid Solberg": {"voice": "en+f4", "pitch": 70, "speed": 158},
    "Tomas Rivera": {"voice": "en-us+m5", "pitch": 45, "speed": 165},
}


def meeting_script(minutes: float, seed: int = 7) -> dict:
    """A meeting of about ``minutes`` from the lines of the committed scripts, four voices."""
    texts = []
    for path in sorted((ROOT / "scripts" / "synth").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts += [ln["text"] for ln in data.get("lines", []) if isinstance(ln, dict) and ln.get("text")]
    rng = random.Random(seed)
    names = list(VOICES)
    lines, seconds, last = [], 0.0, None
    while seconds < minutes * 60:
        who = rng.choice([n for n in names if n != last])
        text = rng.choice(texts)
        lines.append({"speaker": who, "text": text})
        seconds += len(text.split()) / 2.6 + 0.6  # espeak speaks ~2.6 words/s at these speeds
        last = who
    return {
        "voices": VOICES,
        "options": {"seed": seed},
        "session": {
            "title": "Benchmark round table",
            "event": "Benchmark (synthetic)",
            "date": "2026-01-01",
            "language": "en",
            "speakers": [{"name": n, "role": "moderator" if i == 0 else "speaker"} for i, n in enumerate(names)],
        },
        "lines": lines,
    }


def stage(session: Path, name: str, *extra: str) -> dict:
    """One stage, forced, in its own process (wall time and peak memory)."""
    cmd = [PY, str(HERE / "_measure.py"), PY, "-m", "rapporteur.cli", name, "--force", "--quiet", *extra, str(session)]
    t0 = time.monotonic()
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{name} failed:\n{out.stdout[-1500:]}{out.stderr[-1500:]}")
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    measured["wall"] = round(time.monotonic() - t0, 2)
    return measured


def long_recording(session: Path, hours: float) -> dict:
    """The whole pipeline on a recording of about ``hours`` (the meeting repeated): time and peak memory."""
    from rapporteur.core.media import ffmpeg_exe

    long = WORK / f"meeting-{hours:g}h"
    long.mkdir(parents=True, exist_ok=True)
    times = max(1, round(hours * 3600 / audio_seconds(session)))
    media = long / "recording.ogg"
    if not media.is_file():
        listing = long / "concat.txt"
        listing.write_text(f"file '{(session / 'recording.ogg').resolve()}'\n" * times, encoding="utf-8")
        subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
                        "-c", "copy", str(media)], check=True)
        listing.unlink()
    source = yaml.safe_load((session / "session.yaml").read_text(encoding="utf-8"))
    source["title"] = f"Long-recording benchmark (the generated meeting {times} times)"
    (long / "session.yaml").write_text(yaml.safe_dump(source, sort_keys=False), encoding="utf-8")
    (long / "audio.wav").unlink(missing_ok=True)
    run = stage(long, "run")
    dur = audio_seconds(long)
    return {"audio_seconds": round(dur, 1), "seconds": round(run["seconds"], 1), "rtf": round(run["seconds"] / dur, 4),
            "peak_rss_mb": run["peak_rss_mb"]}


def audio_seconds(session: Path) -> float:
    from rapporteur.core.media import wav_duration

    return wav_duration(session / "audio.wav")


def make_times() -> dict:
    """`make` with nothing to do, and after editing the demo's session.yaml."""
    subprocess.run(["make", "--quiet"], cwd=ROOT, capture_output=True)
    t0 = time.monotonic()
    subprocess.run(["make", "--quiet"], cwd=ROOT, capture_output=True, check=True)
    noop = time.monotonic() - t0
    demo = ROOT / "recordings" / "demo-ai-governance-roundtable" / "session.yaml"
    original = demo.read_text(encoding="utf-8")
    try:
        demo.write_text(original.replace("format: Round Table - 3 Min (demo)", "format: Round Table - 3 min (demo)"),
                        encoding="utf-8")
        t0 = time.monotonic()
        subprocess.run(["make", "--quiet"], cwd=ROOT, capture_output=True, check=True)
        edited = time.monotonic() - t0
    finally:
        demo.write_text(original, encoding="utf-8")
        subprocess.run(["make", "--quiet"], cwd=ROOT, capture_output=True)
    return {"noop_make_s": round(noop, 2), "make_after_editing_one_session_yaml_s": round(edited, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=20.0, help="length of the generated meeting (default 20)")
    ap.add_argument("--site", action="store_true", help="also run site_scale.py for 10/100/300 sessions")
    ap.add_argument("--quick", action="store_true", help="skip the ASR comparison, make timings and the long recording")
    ap.add_argument("--long-hours", type=float, default=3.0,
                    help="also run the whole pipeline on a recording this long, for peak memory (0: skip; default 3)")
    ap.add_argument("--table-only", action="store_true", help="rewrite results.md from results.json (no measuring)")
    args = ap.parse_args()
    if args.table_only:
        (HERE / "results.md").write_text(markdown(json.loads((HERE / "results.json").read_text(encoding="utf-8"))), encoding="utf-8")
        return

    session = WORK / f"meeting-{int(args.minutes)}min"
    if not (session / "reference.json").is_file():
        WORK.mkdir(parents=True, exist_ok=True)
        script = WORK / f"meeting-{int(args.minutes)}min.yaml"
        script.write_text(yaml.safe_dump(meeting_script(args.minutes), sort_keys=False), encoding="utf-8")
        subprocess.run([PY, "-m", "rapporteur.eval.synth", str(script), str(session), "--format", "ogg"], cwd=ROOT, check=True)
    report: dict = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    stages = {}
    (session / "audio.wav").unlink(missing_ok=True)  # time the decode too
    stages["fetch"] = stage(session, "fetch")
    dur = audio_seconds(session)
    report["audio_seconds"] = round(dur, 1)
    for name in ("transcribe", "diarize", "attribute", "segment", "summarize"):
        stages[name] = stage(session, name)
    for m in stages.values():
        m["rtf"] = round(m["seconds"] / dur, 4)
    # the whole pipeline as a maintainer runs it: one process, every stage redone (diarization
    # runs alongside transcription there; the per-stage rows above run each stage alone)
    (session / "audio.wav").unlink(missing_ok=True)
    whole = stage(session, "run")
    report["stages"] = stages
    report["pipeline"] = {
        "seconds": round(whole["seconds"], 2),
        "rtf": round(whole["seconds"] / dur, 4),
        "ratio_to_asr": round(whole["seconds"] / stages["transcribe"]["seconds"], 3),
        "peak_rss_mb": whole["peak_rss_mb"],
        "sum_of_stages_seconds": round(sum(m["seconds"] for m in stages.values()), 2),
    }
    evaluation = subprocess.run([PY, "-m", "rapporteur.cli", "evaluate", "--json", str(session)],
                                cwd=ROOT, capture_output=True, text=True, check=True).stdout
    report["accuracy"] = json.loads(evaluation)
    from rapporteur.eval.summary import score_folder  # the summary of the same meeting, against its script

    report["summary"] = {k: v for k, v in score_folder(session).as_dict().items() if k != "sentences"}

    if not args.quick:
        asr = []
        for model, compute, batch in (("base", "int8", 1), ("base", "int8", 8), ("base", "float32", 1), ("tiny.en", "int8", 1)):
            m = stage(session, "transcribe", "--model", model, "--compute-type", compute, "--batch-size", str(batch))
            ev = json.loads(subprocess.run([PY, "-m", "rapporteur.cli", "evaluate", "--json", str(session)],
                                           cwd=ROOT, capture_output=True, text=True, check=True).stdout)
            asr.append({"backend": "faster-whisper", "model": model, "compute_type": compute, "batch_size": batch,
                        "rtf": round(m["seconds"] / dur, 4), "peak_rss_mb": m["peak_rss_mb"],
                        "wer_english": round(ev["wer_english"], 4)})
        stage(session, "transcribe")  # leave the default transcript behind
        report["asr_compared"] = asr
        report["asr_note"] = ("openai-whisper is wired and tested, but no weights for it can be had offline, "
                              "so it is not timed here")
        report["make"] = make_times()
        if args.long_hours > 0:
            report["long_recording"] = long_recording(session, args.long_hours)

    if args.site:
        subprocess.run([PY, str(HERE / "site_scale.py"), "--sessions", "10", "100", "300"], cwd=ROOT, check=True)
    scale = HERE / "site-scale.json"
    if scale.is_file():
        report["site"] = json.loads(scale.read_text(encoding="utf-8"))

    (HERE / "results.json").write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    (HERE / "results.md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))


TARGETS = {
    "ratio_to_asr": 1.4,
    "pipeline_rtf": 0.12,
    "noop_make_s": 3.0,
}


def markdown(r: dict) -> str:
    st, pl = r["stages"], r["pipeline"]
    out = [
        "# Benchmark results",
        "",
        f"{r['date']} · {r['machine']['cpus']} CPUs · Python {r['machine']['python']} · "
        f"generated meeting of {r['audio_seconds'] / 60:.1f} min, 4 espeak-ng voices "
        "(`.venv/bin/python benchmarks/bench.py`, see its docstring). One run; the machine is shared, "
        "so compare ratios rather than absolute times.",
        "",
        "## Stages (default configuration: faster-whisper base int8, built-in diarizer, extractive summary)",
        "",
        "| stage | seconds | real-time factor | peak memory |",
        "|---|---:|---:|---:|",
    ]
    for name, m in st.items():
        out.append(f"| {name} | {m['seconds']:.1f} | {m['rtf']:.4f} | {m['peak_rss_mb']} MB |")
    ok = lambda good: "met" if good else "not met"  # noqa: E731
    out += [
        f"| **whole pipeline** (`rapporteur run --force`, one process) | {pl['seconds']:.1f} | {pl['rtf']:.4f} | {pl['peak_rss_mb']} MB |",
        "",
        f"- the stages one after another, each in its own process: {pl['sum_of_stages_seconds']:.1f} s; "
        "the pipeline runs diarization alongside transcription, on the share of the cores ASR leaves idle",
        f"- pipeline ÷ ASR alone: **{pl['ratio_to_asr']:.2f}×** (target ≤ 1.4×: {ok(pl['ratio_to_asr'] <= 1.4)})",
        f"- pipeline real-time factor: **{pl['rtf']:.3f}** (target ≤ 0.12: {ok(pl['rtf'] <= 0.12)}); "
        f"a 90-minute session in ≈ {pl['rtf'] * 90:.1f} min",
    ]
    acc = r.get("accuracy", {})
    if acc:
        out += [
            f"- accuracy on this meeting: WER {acc['wer_english']:.1%} (English-normalised; strict {acc['wer']:.1%}), "
            f"DER {acc['der']:.1%}, {acc['hypothesis_speakers']}/{acc['reference_speakers']} speakers",
        ]
    sm = r.get("summary")
    if sm:
        out += [
            f"- its summary: {sm['summary_words']} words for a budget of {sm['budget_words']} "
            f"({sm['share_of_transcript']:.0%} of the transcript), {sm['repeated_pairs']} sentence pairs sharing 8 words, "
            f"{sm['pronouns']} first/second-person pronouns outside quotes, {sm['misheard_share']:.1%} misheard words "
            "(all sessions with a script: [summaries.md](summaries.md))",
        ]
    if "asr_compared" in r:
        out += ["", "## ASR configurations (same audio, same run)", "",
                "| backend | model | compute type | batch | real-time factor | peak memory | WER |", "|---|---|---|---:|---:|---:|---:|"]
        for a in r["asr_compared"]:
            out.append(f"| {a['backend']} | {a['model']} | {a['compute_type']} | {a.get('batch_size', 1)} | {a['rtf']:.4f} "
                       f"| {a['peak_rss_mb']} MB | {a['wer_english']:.1%} |")
        out += ["", r.get("asr_note", "")]
    if "make" in r:
        mk = r["make"]
        out += ["", "## make", "",
                f"- `make` with nothing to do: **{mk['noop_make_s']:.2f} s** (target ≤ 3 s: {ok(mk['noop_make_s'] <= 3)})",
                f"- `make` after editing one session.yaml: {mk['make_after_editing_one_session_yaml_s']:.1f} s"]
    if "long_recording" in r:
        lr = r["long_recording"]
        out += ["", "## A long recording", "",
                f"The whole pipeline (`rapporteur run --force`, one process) on {lr['audio_seconds'] / 3600:.1f} hours of audio "
                f"(the generated meeting repeated): {lr['seconds'] / 60:.1f} min, real-time factor {lr['rtf']:.3f}, "
                f"peak memory **{lr['peak_rss_mb'] / 1024:.2f} GB** (target ≤ 2.5 GB: {ok(lr['peak_rss_mb'] <= 2.5 * 1024)})."]
    if "site" in r:
        out += ["", "## Site (generated archives of ninety-minute sessions, cold build)", "",
                "| sessions | render | mkdocs build | Pagefind | total | site size |", "|---:|---:|---:|---:|---:|---:|"]
        for b in r["site"].get("builds", []):
            total = b["render_s"] + b["mkdocs_s"] + b["pagefind_s"]
            out.append(f"| {b['sessions']} | {b['render_s']:.1f} s | {b['mkdocs_s']:.1f} s | {b['pagefind_s']:.1f} s "
                       f"| **{total:.1f} s** | {b['site_bytes'] / 1e6:.1f} MB |")
        big = max(r["site"].get("builds", []), key=lambda b: b["sessions"], default=None)
        if big:
            total = big["render_s"] + big["mkdocs_s"] + big["pagefind_s"]
            out += ["", f"- site build at {big['sessions']} sessions: **{total:.1f} s** (target ≤ 90 s: {ok(total <= 90)})"]
        queries = r["site"].get("queries", [])
        if queries:
            per = [q["index_chunk_bytes"] + q["fragment_bytes"] for q in queries]
            out += [f"- search bytes per query ({len(queries)} queries on {r['site'].get('queries_on', '')}): "
                    f"{min(per) / 1000:.0f}–{max(per) / 1000:.0f} kB of index and fragments, plus "
                    f"{max(q['engine_bytes'] for q in queries) / 1000:.0f} kB of engine once per visit; first result in "
                    f"{min(q['first_result_s'] for q in queries):.2f}–{max(q['first_result_s'] for q in queries):.2f} s"]
        out += ["", "Per query and per page: [site-scale.md](site-scale.md)."]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
