"""Accuracy and cost on the evaluation corpus: the pipeline and plain faster-whisper, side by side.

For each session folder built by ``python -m rapporteur.eval.corpus build OUTDIR`` (a whole panel,
or every clip of a panel), in the same run and one after the other:

* the pipeline: ``nice -n 19 rapporteur run FOLDER`` (default configuration);
* plain faster-whisper as a user would run it: the same bundled ``base`` model, int8, beam 5,
  word timestamps, VAD on, language en; nothing else (no prompt, no hotwords);

and reports per panel: WER (English-normalised and strict, with and without the back-channels in
the reference) of both; stretches of reference speech >= 3 s in which no word was produced (count
and seconds) for both; the share of words under the right name; voices found vs voices with >= 20 s
of speech, and which true names appear as turn speakers; DER (collar 0.25 s); the mean agenda start
error; wall and CPU time of both and their ratios; peak memory (max RSS of the child processes).

    PYTHONPATH=scripts .venv/bin/python benchmarks/panels.py OUTDIR --panels h1-youth-remote,p1-ai-global-south \\
        [--clips h1-youth-remote] [--results benchmarks/panels]

Writes ``benchmarks/panels.json`` and ``benchmarks/panels.md`` (rows are merged by panel id, so runs of
different panels add up).  Every heavy process runs under ``nice -n 19``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Sequence

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GAP = 3.0  # seconds of reference speech without any word that count as a "gap"


# ----------------------------------------------------------- measurement


def vector_extensions() -> str:
    """The CPU's widest vector instructions, which CTranslate2's int8 kernels use (from /proc/cpuinfo), e.g.
    "AVX-512 VNNI" or "AVX2 (no AVX-512)"; "" where that file is not there.  Batched and int8 decoding pay off
    with AVX-512: p1's pipeline/plain faster-whisper ratio was 0.64 on such a machine, 1.35 on an AVX2-only one."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = set(next(line for line in f if line.startswith("flags")).split())
    except (OSError, StopIteration):
        return ""
    if "avx512f" in flags:
        return "AVX-512" + (" VNNI" if "avx512_vnni" in flags else "")
    if "avx2" in flags:
        return "AVX2" + (" VNNI" if "avx_vnni" in flags else "") + " (no AVX-512)"
    return "no AVX2"


def measure(cmd: Sequence[str], log: Path) -> dict[str, Any]:
    """Run ``cmd`` under nice in a fresh wrapper process; wall seconds, CPU seconds (user + system) and the child's
    peak RSS.  CPU time is the steadier of the two when the machine is shared: on this one, plain faster-whisper's wall
    time on one panel was 417, 498 and 676 s in three runs of one day."""
    wrapper = [sys.executable, __file__, "--measure", str(log), "--", "nice", "-n", "19", *cmd]
    t0 = time.monotonic()
    proc = subprocess.run(wrapper, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_outer"] = round(time.monotonic() - t0, 1)
    return out


def _measure_main(log: str, cmd: list[str]) -> int:
    t0 = time.monotonic()
    with open(log, "w") as fh:
        rc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT).returncode
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"rc": rc, "wall": round(time.monotonic() - t0, 1), "cpu": round(usage.ru_utime + usage.ru_stime, 1),
                      "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}))
    return rc


def _fw_main(recording: str, out: str) -> int:
    """Plain faster-whisper, as a user would run it."""
    from faster_whisper import WhisperModel

    from rapporteur.models import resolve_faster_whisper_model

    model = WhisperModel(resolve_faster_whisper_model("base"), device="cpu", compute_type="int8")
    segments, info = model.transcribe(recording, language="en", beam_size=5, word_timestamps=True, vad_filter=True)
    words = [{"start": round(w.start, 3), "end": round(w.end, 3), "text": w.word}
             for s in segments for w in (s.words or [])]
    Path(out).write_text(json.dumps({"words": words, "duration": info.duration}), encoding="utf-8")
    return 0


# ------------------------------------------------------------- metrics


def speech_regions(turns: Sequence[Any]) -> list[tuple[float, float]]:
    """Reference speech (what a perfect VAD finds): turns merged when less than 0.3 s apart."""
    out: list[list[float]] = []
    for a, b in sorted((t.start, t.end) for t in turns):
        if out and a - out[-1][1] < 0.3:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def gaps(regions: Sequence[tuple[float, float]], words: Sequence[tuple[float, float]], min_len: float = GAP) -> list[tuple[float, float]]:
    """Stretches >= ``min_len`` s of reference speech that no hypothesis word overlaps."""
    words = sorted(words)
    out = []
    for a, b in regions:
        cur = a
        for ws, we in words:
            if we <= a or ws >= b:
                continue
            if ws - cur >= min_len:
                out.append((cur, ws))
            cur = max(cur, we)
        if b - cur >= min_len:
            out.append((cur, b))
    return out


def unheard_shown(transcript: Any, turns: Any, ref: Any, regions: Sequence[tuple[float, float]],
                  words: Sequence[tuple[float, float, str]], window: tuple[float, float] | None) -> dict[str, Any]:
    """How the speech left without words is shown: the transcript's ``unheard`` marks, how many lie mostly on
    reference speech, how many of the gaps (>= GAP s of reference speech without a word) a mark covers (half
    of it, or 1 s), and how many marks the site puts under the name of the person speaking there."""
    from rapporteur.eval.evaluate import SpeakerAt

    marks = [(u.start, u.end) for u in transcript.unheard
             if window is None or window[0] <= (u.start + u.end) / 2 < window[1]]
    labelled = {(u.start, u.end): u.label for u in (turns.unheard if turns is not None else ())}

    def inside(a: float, b: float, spans: Sequence[tuple[float, float]]) -> float:
        return sum(max(0.0, min(b, y) - max(a, x)) for x, y in spans)

    g = gaps(regions, [(w[0], w[1]) for w in words])
    shown = sum(inside(a, b, marks) >= min(1.0, 0.5 * (b - a)) for a, b in g)
    speaker_at = SpeakerAt(ref.turns)
    named = sum((turns.speakers.get(labelled.get(m, ""), "") if turns is not None else "")
                == speaker_at((m[0] + m[1]) / 2, "") for m in marks)
    return {"marks": len(marks), "seconds": round(sum(b - a for a, b in marks), 1),
            "on_speech": sum(inside(a, b, regions) >= 0.5 * (b - a) for a, b in marks),
            "gaps_shown": f"{shown}/{len(g)}", "right_name": named}


def heard_as(name: str, true: str, at_least: float = 0.7) -> bool:
    """Whether ``name`` (as the pipeline spelled it) has a word that sounds like a word of ``true``'s name
    ("Ranget" for Rangi Parata, "Jonas Overland-Iberd" for Jonas Øverland-Nyberg, "Clarwin Benartlihei" for
    Karim Benali-Aoun through Benartlihei/Benali; not "Siddharth Venkataraman" for Tomasz Wójcik)."""
    from rapporteur.core.text import similarity

    words = lambda n: [w for w in re.split(r"[\s-]+", n) if len(w) >= 3]  # noqa: E731
    return any(similarity(a, b) >= at_least for a in words(name) for b in words(true))


def evaluate(folder: Path, fw: dict[str, Any], window: tuple[float, float] | None = None) -> dict[str, Any]:
    """Metrics of one processed folder; with ``window``, only what lies in [t0, t1) of it (turns by their
    start, words by their midpoint), to compare a long run with the clips that cover the same span."""
    import dataclasses

    from rapporteur.core import records
    from rapporteur.core.records import SpeechTurn
    from rapporteur.eval.corpus import PlacedTurn, spliced_text
    from rapporteur.eval.agenda import start_errors
    from rapporteur.eval.evaluate import SpeakerAt, attribution_accuracy, reference_turns
    from rapporteur.eval.metrics import der, wer
    from rapporteur.eval.synth import load_reference

    ref = load_reference(folder / "reference.json")
    truth = json.loads((folder / "corpus.json").read_text(encoding="utf-8"))
    transcript = records.read_record(folder / "transcript.json", records.transcript_from_dict)
    diar = records.read_record(folder / "diarization.json", records.diarization_from_dict)
    turns = records.read_record(folder / "turns.json", records.turns_from_dict)
    agenda = records.read_record(folder / "agenda.json", records.agenda_from_dict)
    if window is not None:
        t0, t1 = window
        inside = lambda a: t0 <= a < t1  # noqa: E731
        keep = [i for i, t in enumerate(truth["turns"]) if inside(t["start"])]
        remap = {i: j for j, i in enumerate(keep)}
        placed = [PlacedTurn(**{**truth["turns"][i], "host": remap.get(truth["turns"][i].get("host"))}) for i in keep]
        truth = {**truth, "text_with_backchannels": spliced_text(placed, backchannels=True),
                 "text_without_backchannels": spliced_text(placed, backchannels=False),
                 "agenda": [a for a in truth["agenda"] if a["start"] is not None and inside(a["start"])],
                 "duration": t1 - t0, "speech_seconds": {}}
        for t in placed:
            truth["speech_seconds"][t.speaker] = truth["speech_seconds"].get(t.speaker, 0.0) + t.end - t.start
        ref = dataclasses.replace(ref, turns=tuple(t for t in ref.turns if inside(t.start)))
        mid = lambda w: inside((w.start + w.end) / 2)  # noqa: E731
        if transcript is not None:
            transcript = dataclasses.replace(transcript, segments=tuple(
                dataclasses.replace(sg, words=tuple(w for w in sg.words if mid(w))) for sg in transcript.segments))
        if diar is not None:
            diar = dataclasses.replace(diar, turns=tuple(
                SpeechTurn(start=max(t.start, t0), end=min(t.end, t1), label=t.label)
                for t in diar.turns if t.end > t0 and t.start < t1))
        if turns is not None:
            turns = dataclasses.replace(turns, turns=tuple(
                dataclasses.replace(t, words=tuple(w for w in t.words if mid(w))) for t in turns.turns
                if any(mid(w) for w in t.words)))
        fw = {"words": [w for w in fw["words"] if inside((w["start"] + w["end"]) / 2)]}
    with_bc, without_bc = truth["text_with_backchannels"], truth["text_without_backchannels"]
    regions = speech_regions(ref.turns)
    speech_s = sum(b - a for a, b in regions)

    def asr(words: Sequence[tuple[float, float, str]]) -> dict[str, Any]:
        hyp = " ".join(w[2] for w in words)
        g = gaps(regions, [(w[0], w[1]) for w in words])
        g2 = gaps(regions, [(w[0], w[1]) for w in words], 2.0)
        e, s = wer(without_bc, hyp, english=True), wer(without_bc, hyp)
        eb = wer(with_bc, hyp, english=True)
        return {"wer": round(e.rate, 4), "wer_strict": round(s.rate, 4), "wer_with_backchannels": round(eb.rate, 4),
                "deletions": e.deletions, "substitutions": e.substitutions, "insertions": e.insertions,
                "reference_words": e.reference_words, "gaps": len(g), "gap_seconds": round(sum(b - a for a, b in g), 1),
                "gap_share": round(sum(b - a for a, b in g) / max(speech_s, 1e-9), 4),
                "longest_gap": round(max((b - a for a, b in g), default=0.0), 1),
                "gaps_2s": len(g2), "gap_2s_seconds": round(sum(b - a for a, b in g2), 1)}

    pipe_words = [(w.start, w.end, w.text) for w in transcript.words()] if transcript else []
    row: dict[str, Any] = {
        "session": folder.name, "held_out": truth["held_out"], "minutes": round(truth["duration"] / 60, 1),
        "reference_speech_minutes": round(speech_s / 60, 1),
        "pipeline": asr(pipe_words),
        "faster_whisper": asr([(w["start"], w["end"], w["text"]) for w in fw["words"]]),
    }
    if transcript is not None:
        row["unheard"] = unheard_shown(transcript, turns, ref, regions, pipe_words, window)
    long_voices = sorted(k for k, v in truth["speech_seconds"].items() if v >= 20.0)
    row["voices_20s"] = len(long_voices)
    row["voices_total"] = len(truth["speech_seconds"])
    if diar is not None:
        d = der(reference_turns(ref), list(diar.turns), collar=0.25)
        row["der"] = round(d.rate, 4)
        row["der_parts_s"] = {"missed": round(d.missed, 1), "false_alarm": round(d.false_alarm, 1),
                              "confusion": round(d.confusion, 1)}
        row["voices_found"] = d.hypothesis_speakers
        mapping = dict(d.mapping)
    else:
        mapping = None
    if turns is not None:
        # the same, of the named turns: what the site shows (naming may give a voice the diarizer merged its own label)
        dt = der(reference_turns(ref), [SpeechTurn(start=t.start, end=t.end, label=t.label) for t in turns.turns], collar=0.25)
        row["der_turns"] = round(dt.rate, 4)
        row["voices_found_turns"] = dt.hypothesis_speakers
        acc, named = attribution_accuracy(ref, turns, mapping)
        row["words_right_speaker"] = round(acc, 4)
        row["attribution_by_name"] = named
        names = {t.speaker for t in turns.turns}
        roster = {p["name"] for p in truth["people"] if p["on_roster"]}
        floor = {p["name"] for p in truth["people"] if not p["on_roster"]}
        row["names_found"] = sorted(names & set(long_voices))
        row["names_missing"] = sorted(set(long_voices) - names)
        row["roster_named"] = f"{len(names & roster & set(long_voices))}/{len(roster & set(long_voices))}"
        row["floor_named"] = f"{len(names & floor & set(long_voices))}/{len(floor & set(long_voices))}"
        row["turn_speakers"] = sorted(names)
        # words under the right NAME (labels that are not a true name count as wrong)
        speaker_at = SpeakerAt(ref.turns)
        tot = good = 0
        for t in turns.turns:
            for w in t.words:
                tot += 1
                good += t.speaker == speaker_at((w.start + w.end) / 2, w.text)
        row["words_right_name"] = round(good / max(tot, 1), 4)
        # the same, a floor speaker (not on the roster: named from their self-introduction, spelled as heard)
        # counting as rightly named under an off-roster name with a word that sounds like one of theirs
        off_roster = {t.speaker for t in turns.turns} - roster
        heard = {p: {n for n in off_roster if heard_as(n, p)} for p in floor}
        good = sum(t.speaker == (who := speaker_at((w.start + w.end) / 2, w.text)) or t.speaker in heard.get(who, ())
                   for t in turns.turns for w in t.words)
        row["words_right_name_as_heard"] = round(good / max(tot, 1), 4)
        floor_20 = floor & set(long_voices)
        row["floor_named_as_heard"] = f"{sum(bool(heard[p] or p in names) for p in floor_20)}/{len(floor_20)}"
    if agenda is not None:
        truth_starts = {a["title"]: a["start"] for a in truth["agenda"]}

        class P:  # start_errors reads .title and .start
            def __init__(self, i: Any) -> None:
                self.title, self.start = i.title, i.start

        errs = start_errors([P(i) for i in agenda.items], truth_starts)
        row["agenda_mean_start_error_s"] = round(sum(e[3] for e in errs) / max(len(errs), 1), 1) if errs else None
        row["agenda_items"] = len(errs)
    return row


# ----------------------------------------------------------------- run


def run_folder(folder: Path, scratch: Path) -> dict[str, Any]:
    """The whole pipeline on ``folder`` (every stage redone: a folder run before is measured afresh) and plain
    faster-whisper on its recording, one after the other; then the metrics."""
    scratch.mkdir(parents=True, exist_ok=True)
    env_py = [sys.executable]
    pipe = measure([*env_py, "-c", "import sys; from rapporteur.cli import main; sys.exit(main(sys.argv[1:]))",
                    "run", str(folder), "--force", "--quiet"], scratch / f"{folder.name}.pipeline.log")
    fw_json = scratch / f"{folder.name}.faster-whisper.json"
    fw = measure([*env_py, __file__, "--fw", str(folder / "recording.ogg"), str(fw_json)],
                 scratch / f"{folder.name}.fw.log")
    row = evaluate(folder, json.loads(fw_json.read_text(encoding="utf-8")))
    clip_start = json.loads((folder / "corpus.json").read_text(encoding="utf-8")).get("clip_start")
    if clip_start is not None:
        row["clip_start"] = clip_start
    row["wall_s"] = {"pipeline": pipe["wall"], "faster_whisper": fw["wall"],
                     "ratio": round(pipe["wall"] / max(fw["wall"], 1e-9), 2)}
    row["cpu_s"] = {"pipeline": pipe["cpu"], "faster_whisper": fw["cpu"],
                    "ratio": round(pipe["cpu"] / max(fw["cpu"], 1e-9), 2)}
    row["rtf"] = {"pipeline": round(pipe["wall"] / (row["minutes"] * 60), 3),
                  "faster_whisper": round(fw["wall"] / (row["minutes"] * 60), 3)}
    row["peak_rss_mb"] = {"pipeline": pipe["peak_rss_mb"], "faster_whisper": fw["peak_rss_mb"]}
    return row


def rescore_folder(folder: Path, scratch: Path, before: dict[str, Any] | None) -> dict[str, Any]:
    """Redo the stages after ASR and diarization (attribute, agenda) with today's code and evaluate again;
    wall times and peak memory stay those of the full run in ``before`` (the same row of the results)."""
    for stage in ("attribute", "agenda"):
        subprocess.run([sys.executable, "-c", "import sys; from rapporteur.cli import main; sys.exit(main(sys.argv[1:]))",
                        stage, str(folder), "--force", "--quiet"], check=True, capture_output=True)
    row = evaluate(folder, json.loads((scratch / f"{folder.name}.faster-whisper.json").read_text(encoding="utf-8")))
    for key in ("wall_s", "cpu_s", "rtf", "peak_rss_mb", "clip_start"):
        if before and key in before:
            row[key] = before[key]
    return row


def pool_clips(panel: str, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The clip rows of one panel pooled: word-weighted rates, summed gaps, times and counts."""
    def pooled(side: str) -> dict[str, Any]:
        n = sum(r[side]["reference_words"] for r in rows)
        errs = sum(r[side]["wer"] * r[side]["reference_words"] for r in rows)
        return {"wer": round(errs / n, 4),
                "wer_strict": round(sum(r[side]["wer_strict"] * r[side]["reference_words"] for r in rows) / n, 4),
                "wer_with_backchannels": round(sum(r[side]["wer_with_backchannels"] * r[side]["reference_words"] for r in rows) / n, 4),
                "reference_words": n, "gaps": sum(r[side]["gaps"] for r in rows),
                "gap_seconds": round(sum(r[side]["gap_seconds"] for r in rows), 1),
                "gap_share": round(sum(r[side]["gap_seconds"] for r in rows) / max(sum(r["reference_speech_minutes"] for r in rows) * 60, 1e-9), 4),
                "longest_gap": max(r[side]["longest_gap"] for r in rows)}

    speech = [r["reference_speech_minutes"] for r in rows]
    w = lambda key: round(sum(r.get(key, 0) * s for r, s in zip(rows, speech)) / sum(speech), 4)  # noqa: E731
    return {
        "session": f"{panel} (clips)", "clips": len(rows), "held_out": rows[0]["held_out"],
        "minutes": round(sum(r["minutes"] for r in rows), 1),
        "reference_speech_minutes": round(sum(speech), 1),
        "pipeline": pooled("pipeline"), "faster_whisper": pooled("faster_whisper"),
        "der": w("der"), "words_right_speaker": w("words_right_speaker"), "words_right_name": w("words_right_name"),
        "voices_found": f"{sum(r.get('voices_found', 0) for r in rows) / len(rows):.1f} per clip",
        "voices_20s": f"{sum(r['voices_20s'] for r in rows) / len(rows):.1f} per clip",
        "agenda_mean_start_error_s": (lambda e: round(sum(e) / len(e), 1) if e else None)(
            [r["agenda_mean_start_error_s"] for r in rows if r.get("agenda_mean_start_error_s") is not None]),
        "wall_s": {k: round(sum(r["wall_s"][k] for r in rows), 1) for k in ("pipeline", "faster_whisper")}
        | {"ratio": round(sum(r["wall_s"]["pipeline"] for r in rows) / sum(r["wall_s"]["faster_whisper"] for r in rows), 2)},
        **({"cpu_s": {k: round(sum(r["cpu_s"][k] for r in rows), 1) for k in ("pipeline", "faster_whisper")}
            | {"ratio": round(sum(r["cpu_s"]["pipeline"] for r in rows) / sum(r["cpu_s"]["faster_whisper"] for r in rows), 2)}}
           if all("cpu_s" in r for r in rows) else {}),
        "peak_rss_mb": {k: max(r["peak_rss_mb"][k] for r in rows) for k in ("pipeline", "faster_whisper")},
    }


def markdown(results: dict[str, Any]) -> str:
    rows = results["rows"]
    pct = lambda x: "–" if x is None else f"{100 * x:.1f} %"  # noqa: E731
    out = [
        "# Evaluation corpus: the pipeline and plain faster-whisper, per panel",
        "",
        f"Measured by `benchmarks/panels.py` on {results['machine']} ({results['date']}); per panel the pipeline and "
        "then plain faster-whisper on the same recording, one process at a time: compare their ratio, not absolute times. Corpus: "
        "`python -m rapporteur.eval.corpus build OUTDIR` (benchmarks/corpus/panels.yaml). WER is English-normalised "
        "(`metrics.wer(english=True)`) against the reference WITHOUT back-channels; strict and with-back-channel "
        "variants follow. Gaps: stretches of reference speech of 3 s or more in which no word was produced. "
        "Right speaker: `evaluate.attribution_accuracy` (by name when turns carry names); right name: the turn's "
        "speaker is the true person's name (labels count as wrong); in brackets, a floor speaker (not on the roster, named "
        "from their own introduction, spelled as heard) also counting as rightly named under an off-roster name with a "
        "word that sounds like one of theirs (`heard_as`: similarity ≥ 0.7). Voices: found by the diarizer (in brackets: labels of the named turns) / with ≥ 20 s of speech. "
        "DER: of the diarization (in brackets: of the named turns, whose labels naming may have split).",
        "",
        "| session | held out | min | WER pipe | WER fw | strict pipe/fw | with back-ch. pipe/fw | gaps pipe (s) | gaps fw (s) "
        "| right speaker | right name | voices found/≥20 s | names (roster, floor) | DER | agenda err (s) | wall pipe/fw (s) | ratio "
        "| CPU pipe/fw (s) | CPU ratio | peak RSS pipe/fw (MB) |",
        "|" + "---|" * 21,
    ]
    for r in rows:
        p, f, cpu = r["pipeline"], r["faster_whisper"], r.get("cpu_s", {})
        out.append(
            f"| {r['session']} | {'yes' if r['held_out'] else 'no'} | {r['minutes']} | {pct(p['wer'])} | {pct(f['wer'])} "
            f"| {pct(p['wer_strict'])} / {pct(f['wer_strict'])} | {pct(p['wer_with_backchannels'])} / {pct(f['wer_with_backchannels'])} "
            f"| {p['gaps']} ({p['gap_seconds']}) | {f['gaps']} ({f['gap_seconds']}) "
            f"| {pct(r.get('words_right_speaker'))} | {pct(r.get('words_right_name'))} ({pct(r.get('words_right_name_as_heard'))}) "
            f"| {r.get('voices_found', '–')} ({r.get('voices_found_turns', '–')})/{r['voices_20s']} | {r.get('roster_named', '–')}, {r.get('floor_named', '–')} ({r.get('floor_named_as_heard', '–')} as heard) "
            f"| {pct(r.get('der'))} ({pct(r.get('der_turns'))}) | {r.get('agenda_mean_start_error_s', '–')} "
            f"| {r['wall_s']['pipeline']} / {r['wall_s']['faster_whisper']} | {r['wall_s']['ratio']} "
            f"| {cpu.get('pipeline', '–')} / {cpu.get('faster_whisper', '–')} | {cpu.get('ratio', '–')} "
            f"| {r['peak_rss_mb']['pipeline']} / {r['peak_rss_mb']['faster_whisper']} |"
        )
    shown = [r for r in rows if "unheard" in r]
    if shown:
        out += ["", "Speech left without words, as the site shows it (the transcript's `unheard` marks: speech of 2 s or "
                "more the recogniser could not make out, shown under the voice heard there): marks (seconds); of them, "
                "mostly on reference speech; gaps of the pipeline covered by a mark; marks under the name of the person "
                "speaking there:", ""]
        for r in shown:
            u = r["unheard"]
            out.append(f"- {r['session']}: {u['marks']} ({u['seconds']} s); on speech {u['on_speech']}; "
                       f"gaps shown {u['gaps_shown']}; right name {u['right_name']}")
    out += ["", "Names missing (true people with ≥ 20 s of speech never given their name as a turn speaker):", ""]
    for r in rows:
        if "names_missing" in r:
            out.append(f"- {r['session']}: {', '.join(r['names_missing']) or 'none'}; turn speakers: "
                       f"{', '.join(r.get('turn_speakers', []))}")
    out += ["", "Commands:", "", "```", *results["commands"], "```", ""]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--measure"]:
        return _measure_main(argv[1], argv[3:])
    if argv[:1] == ["--fw"]:
        return _fw_main(argv[1], argv[2])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir", type=Path, help="the corpus folder (python -m rapporteur.eval.corpus build OUTDIR)")
    ap.add_argument("--panels", default="", help="comma-separated panel ids to run whole")
    ap.add_argument("--clips", default="", help="comma-separated panel ids whose clips to run")
    ap.add_argument("--rescore", default="", help="comma-separated panel ids run whole before: redo naming and agenda "
                    "with today's code and evaluate again (keeps the run's times)")
    ap.add_argument("--clip-count", type=int, default=0, help="run only the first N clips of each --clips panel")
    ap.add_argument("--results", type=Path, default=HERE / "panels", help="results stem (.json and .md)")
    ap.add_argument("--merge", nargs="*", type=Path, default=None,
                    help="merge these results files (of runs made in parallel) into --results; for a clip subset whose "
                         "panel also ran whole, add the whole run evaluated on the same span")
    args = ap.parse_args(argv)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO / "scripts"), os.environ.get("PYTHONPATH", "")])
    sys.path.insert(0, str(REPO / "scripts"))
    res_json = args.results.with_suffix(".json")
    results = json.loads(res_json.read_text()) if res_json.is_file() else {"rows": [], "commands": []}
    scratch = args.outdir / "bench"
    new_rows = []
    if args.merge is not None:
        for f in args.merge:
            part = json.loads(f.read_text(encoding="utf-8"))
            new_rows += part["rows"]
            results["commands"] = sorted(set(results.get("commands", [])) | set(part.get("commands", [])))
        for r in [r for r in new_rows if r.get("per_clip")]:
            panel = r["session"].removesuffix(" (clips)")
            fw_json = scratch / f"{panel}.faster-whisper.json"
            if fw_json.is_file() and (args.outdir / "panels" / panel / "turns.json").is_file():
                last = r["per_clip"][-1]  # its exact length (a row's minutes are rounded to 0.1 min)
                length = json.loads((args.outdir / "clips" / panel / last["session"] / "corpus.json").read_text(
                    encoding="utf-8"))["duration"]
                span = (r["per_clip"][0]["clip_start"], last["clip_start"] + length)
                w = evaluate(args.outdir / "panels" / panel, json.loads(fw_json.read_text(encoding="utf-8")), span)
                w["session"] = f"{panel} (whole run, {span[0] / 60:.1f}-{span[1] / 60:.1f} min)"
                w["wall_s"] = {"pipeline": "–", "faster_whisper": "–", "ratio": "–"}
                w["peak_rss_mb"] = {"pipeline": "–", "faster_whisper": "–"}
                new_rows.append(w)
    panels = [p for p in args.panels.split(",") if p]
    if panels == ["all"]:
        panels = sorted(d.name for d in (args.outdir / "panels").iterdir() if (d / "corpus.json").is_file())
    for pid in panels:
        row = run_folder(args.outdir / "panels" / pid, scratch)
        new_rows.append(row)
        print(json.dumps(row), flush=True)
    for pid in [p for p in args.rescore.split(",") if p]:
        before = next((r for r in results["rows"] if r["session"] == pid), None)
        row = rescore_folder(args.outdir / "panels" / pid, scratch, before)
        new_rows.append(row)
        print(json.dumps(row), flush=True)
    for pid in [p for p in args.clips.split(",") if p]:
        clip_rows = []
        folders = sorted((args.outdir / "clips" / pid).iterdir())
        for folder in folders[: args.clip_count or None]:
            clip_rows.append(run_folder(folder, scratch / "clips"))
            print(json.dumps(clip_rows[-1]), flush=True)
        row = pool_clips(pid, clip_rows)
        row["per_clip"] = clip_rows
        new_rows.append(row)
        print(json.dumps({k: v for k, v in row.items() if k != "per_clip"}), flush=True)
    done = {r["session"] for r in new_rows}
    results["rows"] = [r for r in results["rows"] if r["session"] not in done] + new_rows
    results["rows"].sort(key=lambda r: (not r["held_out"], r["session"]))
    results["machine"] = ", ".join(x for x in (platform.machine(), f"{os.cpu_count()} cores", vector_extensions()) if x)
    results["date"] = time.strftime("%Y-%m-%d")
    cmd = "PYTHONPATH=scripts .venv/bin/python benchmarks/panels.py OUTDIR " + " ".join(
        a for a in (f"--panels {args.panels}" if args.panels else "", f"--clips {args.clips}" if args.clips else "",
                    f"--clip-count {args.clip_count}" if args.clip_count else "",
                    f"--rescore {args.rescore}" if args.rescore else "") if a)
    results["commands"] = sorted(set(results.get("commands", [])) | {
        "PYTHONPATH=scripts nice -n 19 .venv/bin/python -m rapporteur.eval.corpus build OUTDIR"}
        | ({cmd} if args.merge is None else set()))
    res_json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    args.results.with_suffix(".md").write_text(markdown(results), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
