"""Summary quality on sessions whose script is known: length, repetition, pronouns, misheard words.

For each session the summary is made again with the current code (default options) and scored by
``rapporteur.eval.summary`` against the session's ``reference.json``:

* the demo (recordings/demo-ai-governance-roundtable, its committed turns.json);
* the test fixtures' transcriptions (tests/fixtures/corrections: the demo and the three-speaker meeting,
  each as the base model and as tiny.en heard it — tiny.en mishears about one word in nine);
* processed IGF-size panels of the evaluation corpus, when given (``--panels DIR ...``: session folders with
  turns.json, agenda.json, reference.json, as ``python -m rapporteur.eval.corpus build`` and ``rapporteur run``
  leave them), e.g. .build/corpus/panels/* (used when it exists).

``--before NAME=summary.json`` also scores a summary made earlier (by older code) of session NAME, for a
before/after table.  Writes benchmarks/summaries.json and benchmarks/summaries.md.

    PYTHONPATH=scripts .venv/bin/python benchmarks/summary_eval.py [--panels DIR ...] [--before NAME=FILE ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEMO = ROOT / "recordings" / "demo-ai-governance-roundtable"
FIXTURES = ROOT / "tests" / "fixtures"


def summarise(folder: Path, turns_file: Path) -> tuple[dict, float]:
    """The session's summary with the current code, scored; and the session's length in minutes."""
    from rapporteur.agenda import place_agenda
    from rapporteur.core.records import agenda_from_dict, to_json, turns_from_dict
    from rapporteur.core.session import load_session
    from rapporteur.eval.summary import score_folder
    from rapporteur.summarize import summarize

    session = load_session(folder)
    turns = turns_from_dict(json.loads(turns_file.read_text(encoding="utf-8")))
    agenda_file = folder / "agenda.json"
    if agenda_file.is_file() and turns_file.parent == folder:
        agenda = agenda_from_dict(json.loads(agenda_file.read_text(encoding="utf-8")))
    else:
        agenda = place_agenda(session.agenda, None, turns, roster=session.speakers)
    summary = summarize(turns, agenda, session)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "summary.json"
        out.write_text(to_json(summary), encoding="utf-8")
        score = score_folder(folder, summary=out, turns=turns_file)
    return score.as_dict(), turns.duration / 60


def sessions(panels: list[Path]) -> list[tuple[str, Path, Path, str]]:
    """(name, session folder, turns file, kind) of every session measured."""
    out = [("demo", DEMO, DEMO / "turns.json", "demo")]
    for name, folder in (("demo", DEMO), ("three-speakers", FIXTURES / "three-speakers")):
        for model in ("base", "tiny.en"):
            out.append((f"{name} ({model})", folder, FIXTURES / "corrections" / f"{name}.{model}.turns.json", "fixture"))
    for p in panels:
        ref = p / "reference.json"
        held = bool(json.loads(ref.read_text(encoding="utf-8")).get("parameters", {}).get("held_out")) if ref.is_file() else False
        out.append((p.name, p, p / "turns.json", "panel, held out" if held else "panel"))
    return out


def markdown(rows: list[dict], before: list[dict], when: str, command: str) -> str:
    lines = [
        "# Summary quality",
        "",
        f"{when} · `{command}`: every summary made again with the current code (default options, extractive",
        "backend, bundled MiniLM) and scored against its session's script (`rapporteur.eval.summary`).",
        "Targets: within the budget; no two generated sentences sharing a run of 8 words; no first- or",
        "second-person pronoun outside quotation marks; at most 5 % misheard words in published sentences;",
        "every sentence linked to turns that exist. Panels: the evaluation corpus (benchmarks/corpus/README.md) as",
        "`rapporteur run` processed them (real ASR, diarization and naming on the 45-minute audio); h1 is held out.",
        "",
        "| session | kind | length | transcript words | summary words / budget | abstract words / budget | max item sentences | max speaker points | sentences + quotes | repeated pairs (quotes) | pronouns | misheard words | unlinked |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['kind']} | {r['minutes']:.1f} min | {r['transcript_words']} | "
            f"{r['summary_words']} / {r['budget_words']} ({r['share_of_transcript']:.0%}) | "
            f"{r['abstract_words']} / {r['abstract_budget']} | {r['max_item_sentences']} | {r['max_speaker_points']} | "
            f"{r['generated_sentences']} + {r['quotes']} | {r['repeated_pairs']} ({r['quotes_repeating']}) | {r['pronouns']} | "
            f"{r['misheard_share']:.1%} ({r['misheard_words']}/{r['counted_words']}) | {r['unlinked']} |")
    ok = [r for r in rows if r["within_budget"] and not r["repeated_pairs"] and not r["pronouns"]
          and r["misheard_share"] <= 0.05 and not r["unlinked"]]
    lines += ["", f"All targets met in {len(ok)} of {len(rows)} sessions."]
    if before:
        lines += ["", "## Before (summaries made by the previous code, scored the same way)", "",
                  "| session | summary words / budget | abstract words | repeated pairs | pronouns | misheard words |",
                  "|---|---:|---:|---:|---:|---:|"]
        for r in before:
            lines.append(f"| {r['name']} | {r['summary_words']} / {r['budget_words']} ({r['share_of_transcript']:.0%}) | "
                         f"{r['abstract_words']} | {r['repeated_pairs']} | {r['pronouns']} | {r['misheard_share']:.1%} |")
    worst = sorted((s for r in rows for s in r["sentences"] if s["misheard"]), key=lambda s: -s["misheard"] / max(1, s["counted"]))
    if worst:
        lines += ["", "## Published sentences with misheard words (worst first)", ""]
        for s in worst[:12]:
            lines.append(f"- {s['section']}: {s['misheard']}/{s['counted']} ({', '.join(s['misheard_words'])}) — {s['text']}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--panels", nargs="*", type=Path, default=None, help="processed panel session folders")
    ap.add_argument("--before", nargs="*", default=[], metavar="NAME=FILE", help="a summary.json made earlier of session NAME")
    ap.add_argument("--out", type=Path, default=HERE, help="where summaries.json and summaries.md go")
    args = ap.parse_args(argv)
    panels = args.panels
    if panels is None:
        panels = sorted(p for p in (ROOT / ".build" / "corpus" / "panels").glob("*") if (p / "turns.json").is_file())
    rows = []
    for name, folder, turns_file, kind in sessions(panels):
        score, minutes = summarise(folder, turns_file)
        rows.append({"name": name, "kind": kind, "minutes": round(minutes, 1), **score})
        print(f"{name}: {score['summary_words']}/{score['budget_words']} words, {score['repeated_pairs']} repeated, "
              f"{score['pronouns']} pronouns, {score['misheard_share']:.1%} misheard", file=sys.stderr)
    before = []
    from rapporteur.eval.summary import score_folder

    by_name = {name: (folder, turns_file) for name, folder, turns_file, _ in sessions(panels)}
    for spec in args.before:
        name, _, file = spec.partition("=")
        if name not in by_name:
            raise SystemExit(f"--before {spec}: no session {name!r} (one of: {', '.join(by_name)})")
        folder, turns_file = by_name[name]
        before.append({"name": name, **score_folder(folder, summary=Path(file), turns=turns_file).as_dict()})
    when = time.strftime("%Y-%m-%d %H:%M")
    command = "benchmarks/summary_eval.py" + (f" --panels {' '.join(p.name for p in panels)}" if panels else "")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summaries.json").write_text(json.dumps({"when": when, "sessions": rows, "before": before}, indent=1,
                                                        ensure_ascii=False) + "\n", encoding="utf-8")
    text = markdown(rows, before, when, command)
    (args.out / "summaries.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
