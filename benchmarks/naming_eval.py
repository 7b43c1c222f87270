"""Naming accuracy on synthetic meetings: ≥ 90 % of words should carry the right name.

Renders each ``scripts/synth/naming-*.yaml`` meeting (espeak-ng voices, a roster with
people who never speak, names ASR mis-hears), runs the whole pipeline with no
``speaker_map``, and scores every session against its ground truth; writes
``benchmarks/naming.json`` and ``benchmarks/naming.md``.

    .venv/bin/python benchmarks/naming_eval.py [--out .build/naming]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout


def evaluate(script: Path, out: Path) -> dict:
    folder = out / script.stem
    if not (folder / "reference.json").is_file():
        run(str(BIN / "python"), "-m", "rapporteur.eval.synth", str(script), str(folder))
    run(str(BIN / "rapporteur"), "run", "--quiet", str(folder))
    figures = json.loads(run(str(BIN / "rapporteur"), "evaluate", "--json", str(folder)))
    turns = json.loads((folder / "turns.json").read_text(encoding="utf-8"))
    naming = turns.get("naming", {})
    figures["voices"] = {
        label: {"name": e["name"], "source": e["source"], "confidence": e["confidence"],
                "rules": sorted({ev["rule"] for ev in e.get("evidence", []) if ev.get("rule")})}
        for label, e in naming.items()
    }
    return figures


def markdown(results: list[dict], when: str) -> str:
    lines = [
        "# Naming accuracy",
        "",
        f"{when} · `.venv/bin/python benchmarks/naming_eval.py`: synthetic meetings from `scripts/synth/naming-*.yaml`,",
        "whole pipeline (bundled base model), no `speaker_map`; target ≥ 90 % of words with the right name.",
        "",
        "| session | words with the right name | speakers found / true | DER | WER (English-normalised) | voices → names (confidence) |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        voices = "; ".join(f"{lab} → {v['name']} ({v['confidence']:.2f})" for lab, v in r["voices"].items())
        lines.append(
            f"| {r['session']} | {r['words_correctly_attributed']:.1%} | {r['hypothesis_speakers']} / {r['reference_speakers']} "
            f"| {r['der']:.1%} | {r['wer_english']:.1%} | {voices} |"
        )
    met = sum(r["words_correctly_attributed"] >= 0.9 for r in results)
    lines += ["", f"Target met in {met} of {len(results)} sessions."]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / ".build" / "naming"), help="where the meetings are rendered")
    args = ap.parse_args()
    out = Path(args.out)
    results = [evaluate(s, out) for s in sorted((ROOT / "scripts" / "synth").glob("naming-*.yaml"))]
    when = time.strftime("%Y-%m-%d %H:%M")
    (ROOT / "benchmarks" / "naming.json").write_text(json.dumps({"when": when, "sessions": results}, indent=1) + "\n")
    text = markdown(results, when)
    (ROOT / "benchmarks" / "naming.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
