"""rapporteur.eval.summary: a summary scored against the script of its session."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from rapporteur.core.records import Claim, ItemSummary, Quote, SpeakerPoints, Summary, turns_from_dict
from rapporteur.eval.summary import score_folder, score_summary

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "recordings" / "demo-ai-governance-roundtable"

TURNS = turns_from_dict({"turns": [
    {"id": "t1000", "start": 1, "end": 9, "label": "A", "speaker": "Ana Ferreira",
     "text": "I think rules should be shred by all countries. Our network works with local communities."},
    {"id": "t10000", "start": 10, "end": 19, "label": "B", "speaker": "Peter Novak",
     "text": "Common tests would help small companies most of all, because they cannot pay twice."},
], "speakers": {}, "duration": 20})
REFERENCE = {"turns": [
    {"speaker": "Ana Ferreira", "start": 1.2, "end": 9.1,
     "text": "I think rules should be shared by all countries. Our network works with local communities."},
    {"speaker": "Peter Novak", "start": 10.1, "end": 19.0,
     "text": "Common tests would help small companies most of all, because they cannot pay twice."},
]}
ROSTER = [{"name": "Ana Ferreira", "affiliation": "Digital Rights Network"}, {"name": "Peter Novak"}]


def test_misheard_words_are_counted_against_the_cited_turns():
    s = Summary(
        abstract=(Claim(text="The round table brought together Ana Ferreira (Digital Rights Network) and Peter Novak.",
                        turns=("t1000", "t10000")),
                  Claim(text="Ana Ferreira argued that rules should be shred by all countries.", turns=("t1000",))),
        items=(ItemSummary(title="x", start=0, end=20, sentences=(
            Claim(text="Ana Ferreira's network works with local communities.", turns=("t1000",)),)),),
        speakers=(SpeakerPoints(speaker="Peter Novak", points=(
            Claim(text="Peter Novak stressed that common tests would help small companies most of all.", turns=("t10000",)),
            Claim(text="Peter Novak said that we cannot pay twice for common tests, he said.", turns=("t999",)))),),
        quotes=(Quote(text="Common tests would help small companies most of all", speaker="Peter Novak", turn="t10000",
                      start=10.0),),
    )
    sc = score_summary(s, TURNS, REFERENCE, ROSTER)
    by_text = {x.text: x for x in sc.sentences}
    assert "The round table brought together Ana Ferreira (Digital Rights Network) and Peter Novak." not in by_text
    shred = by_text["Ana Ferreira argued that rules should be shred by all countries."]
    assert shred.misheard_words == ("shred",) and shred.counted == 7  # the frame "Ana Ferreira argued that" is not counted
    assert by_text["Ana Ferreira's network works with local communities."].misheard == 0
    assert sc.unlinked == 1 and sc.pronouns == 1  # "we" outside quotation marks
    assert sc.repeated_pairs == 0 and sc.quotes_repeating == 1  # the quote repeats Peter Novak's point
    assert sc.misheard_words >= 1 and sc.summary_words == sum(len(c.split()) for c in (
        *(c.text for c in s.abstract), *(c.text for c in s.items[0].sentences), *(c.text for c in s.speakers[0].points),
        s.quotes[0].text))


def test_the_demo_summary_meets_the_targets_and_the_cli_reports_a_missing_file(tmp_path):
    sc = score_folder(DEMO)
    assert sc.within_budget and sc.repeated_pairs == 0 and sc.pronouns == 0 and sc.unlinked == 0
    assert sc.misheard_share <= 0.05 and sc.counted_words > 50
    out = subprocess.run([sys.executable, "-m", "rapporteur.eval.summary", str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 2 and "does not exist" in out.stderr and "Traceback" not in out.stderr
    js = subprocess.run([sys.executable, "-m", "rapporteur.eval.summary", str(DEMO), "--json"], capture_output=True,
                        text=True, check=True, env={**__import__("os").environ, "PYTHONPATH": str(ROOT / "scripts")})
    assert json.loads(js.stdout)["within_budget"] is True
