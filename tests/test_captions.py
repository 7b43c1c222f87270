"""captions: parsing IGF raw captions and aligning them to ASR words."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from rapporteur.captions import (
    CaptionOptions,
    align,
    align_words,
    captioned_turns,
    parse_captions,
    read_captions,
)
from rapporteur.core.records import Turn, Turns, Word

ROOT = Path(__file__).resolve().parent.parent

RAW = """RAW FILE
IGF 2023 - DAY 2 - WS #73 INTERCONNECTING GLOBAL AI GOVERNANCE MECHANISMS
The following are the outputs of the real-time captioning taken during the IGF.

>> BU ZHONG: Good morning, everyone. (Applause)
Welcome to the session.
>> XIANHONG HU:  Thank you,
Bu.  It's great to be here.
>> Thank you for the question.
>> AUDIENCE: Can I ask something?
>> So: this line has no name at all.
"""

_MISHEAR = {"the": "a", "and": "in", "their": "there", "to": "two", "for": "four", "is": "as", "it": "at"}


def noisy_captions(turns, *, seed: int = 0, p_delete=0.04, p_sub=0.05, p_insert=0.03, p_noname=0.15, drop=()) -> str:
    """A raw-caption text of reference turns (speaker, text) with captioning errors."""
    rng = random.Random(seed)
    out = ["RAW FILE", "THE FOLLOWING IS THE OUTPUT OF THE REAL-TIME CAPTIONING", ""]
    for i, (speaker, text) in enumerate(turns):
        if i in drop:
            continue
        words = []
        for w in text.split():
            r = rng.random()
            if r < p_delete:
                continue
            if r < p_delete + p_sub:
                bare = w.strip(".,?!").lower()
                w = _MISHEAR.get(bare) or (w[:-2] + w[-1] if len(w) > 4 else w + "s")
            words.append(w)
            if rng.random() < p_insert:
                words.append(rng.choice(["uh", "the", "so", "and"]))
        name = speaker.upper()
        if rng.random() < 0.3 and len(name) > 6:  # a misspelt name in the caption header
            name = name[:-2] + name[-1]
        head = ">>" if rng.random() < p_noname else f">> {name}:"
        line = f"{head} {' '.join(words)}"
        # captioners break lines at ~60 characters
        while len(line) > 60:
            cut = line.rfind(" ", 0, 60)
            if cut <= 0:
                break
            out.append(line[:cut])
            line = line[cut + 1 :]
        out.append(line)
        if rng.random() < 0.1:
            out.append("(Applause)")
    return "\n".join(out) + "\n"


def turn_agreement(ref_turns, turns, *, tolerance: float = 1.0) -> tuple[float, list[str]]:
    """Share of reference turns (speaker, start) with an output turn starting within ``tolerance`` s under the same name."""
    misses = []
    good = 0
    for speaker, start in ref_turns:
        near = [t for t in turns if abs(t.start - start) <= tolerance]
        if any(t.speaker == speaker for t in near):
            good += 1
        else:
            misses.append(f"{start:.1f}s {speaker}: {[(t.start, t.speaker) for t in near]}")
    return good / len(ref_turns), misses


def test_parse_captions_turns_names_and_noise():
    caps = parse_captions(RAW)
    assert [c.speaker for c in caps] == ["Bu Zhong", "Xianhong Hu", "", "Participant", ""]
    assert caps[0].text == "Good morning, everyone. Welcome to the session."
    assert caps[1].text == "Thank you, Bu. It's great to be here."
    assert caps[3].raw_speaker == "AUDIENCE"
    assert caps[4].text == "So: this line has no name at all."


def _fake_asr(turns, *, seed=1, wps=2.5, pause=0.6, p_err=0.1):
    """ASR-like words for reference turns: timed, with mis-hearings; returns (words, truth [(speaker,start)])."""
    rng = random.Random(seed)
    t, words, truth = 0.5, [], []
    for speaker, text in turns:
        truth.append((speaker, t))
        for w in text.split():
            heard = w if rng.random() > p_err else rng.choice(["uh", w[::-1], "thing"])
            words.append(Word(start=round(t, 3), end=round(t + 0.8 / wps, 3), text=" " + heard))
            t += 1 / wps
        t += pause
    return words, truth


SCRIPT = [
    ("Ngozi Okonkwo", "Good morning and welcome. I give the floor to Xianhong Hu from UNESCO, please."),
    ("Xianhong Hu", "Thank you Ngozi. At UNESCO we adopted a recommendation on the ethics of artificial intelligence and almost every member state signed it."),
    ("Ngozi Okonkwo", "Thank you. Rajesh, over to you."),
    ("Rajesh Venkataraman", "Thanks. The engineers I meet want rules that are clear. A startup with ten people cannot hire a lawyer for every market."),
    ("Xianhong Hu", "May I add one thing?"),
    ("Ngozi Okonkwo", "Please go ahead."),
    ("Xianhong Hu", "Capacity matters more than texts. Many countries do not have the people to put rules into practice."),
    ("Ngozi Okonkwo", "Thank you all, and goodbye."),
]


def test_align_noisy_captions_to_fake_asr():
    words, truth = _fake_asr(SCRIPT)
    caps = parse_captions(noisy_captions(SCRIPT, seed=3, p_noname=0.0))
    roster = ["Ngozi Okonkwo", "Xianhong Hu", "Rajesh Venkataraman", "Li Wei"]
    turns, coverage = align(caps, words, roster=roster)
    assert 0.7 < coverage < 1.0
    share, misses = turn_agreement(truth, turns)
    assert share == 1.0, misses
    # the human text is shown by default; ASR words on request
    assert "UNESCO" in turns[0].text
    asr_turns, _ = align(caps, words, roster=roster, options=CaptionOptions(text="asr"))
    assert [t.start for t in asr_turns] == [t.start for t in turns]
    assert all(w in words for t in asr_turns for w in t.words)


def test_unnamed_caption_turns_take_the_diarized_name_and_gaps_keep_asr():
    words, truth = _fake_asr(SCRIPT)
    named = Turns(
        turns=tuple(
            Turn(id=f"t{i}", start=s, end=(truth[i + 1][1] - 0.3 if i + 1 < len(truth) else 999.0), label=f"S{i}",
                 speaker=sp, text="")
            for i, (sp, s) in enumerate(truth)
        ),
        speakers={},
    )
    text = noisy_captions(SCRIPT, seed=5, p_noname=1.0, drop={3})  # no names at all; turn 3 not captioned
    turns, coverage = align(parse_captions(text), words, named=named)
    share, misses = turn_agreement(truth, turns)
    assert share == 1.0, misses
    gap = [t for t in turns if t.label == "ASR"]
    assert len(gap) == 1 and gap[0].speaker == "Rajesh Venkataraman" and "startup" in gap[0].text


def test_align_words_counts_only_exact_matches_as_coverage():
    caps = parse_captions(">> A: one two three four\n")
    words = [Word(start=i, end=i + 0.5, text=f" {w}") for i, w in enumerate(["one", "too", "three", "four", "five"])]
    al = align_words(caps, words)
    assert al.coverage == pytest.approx(0.75)
    assert al.asr_coverage == pytest.approx(0.6)
    two = al.tokens[1]
    assert (two.start, two.asr, two.exact) == (1, 1, False)  # the mis-heard word takes the ASR word's time


def _named_session(folder: Path):
    from rapporteur.core import records
    from rapporteur.naming import name_speakers
    from rapporteur.core.session import load_session

    turns = records.turns_from_dict(json.loads((folder / "turns.json").read_text()))
    session = load_session(folder)
    named, _ = name_speakers(turns, session)
    return named, session


def test_session_fields_and_turns_record(tmp_path):
    words, truth = _fake_asr(SCRIPT)
    (tmp_path / "session.yaml").write_text("title: x\ncaptions: raw.txt\ntranscript_text: asr\n", encoding="utf-8")
    (tmp_path / "raw.txt").write_text(noisy_captions(SCRIPT, seed=2, p_noname=0.0), encoding="utf-8")
    from rapporteur.core.session import parse_session

    session = parse_session({"title": "x", "captions": "raw.txt", "transcript_text": "asr"}, tmp_path)
    source, choice = session.captions, session.transcript_text
    assert (source, choice) == ("raw.txt", "asr")
    caps = read_captions(source, tmp_path)
    named = Turns(turns=(), speakers={}, parameters={"max_gap": 1.0})
    rec = captioned_turns(named, words, caps, ["Ngozi Okonkwo", "Xianhong Hu", "Rajesh Venkataraman"],
                          options=CaptionOptions(text=choice))
    assert rec.parameters["captions"]["coverage"] > 0.7 and rec.parameters["max_gap"] == 1.0
    assert rec.speakers["CAPTION_0"] == "Ngozi Okonkwo"
    assert rec.turns[1].words[0] in words  # ASR words, as asked


@pytest.fixture(scope="module")
def rendered_handoffs(tmp_path_factory):
    """A 2:21 synthetic panel (scripts/synth/naming-handoffs.yaml, 4 voices, names ASR mis-hears) through
    transcription, diarization and naming with the default model: real ASR words and named turns."""
    from rapporteur.eval import synth
    from rapporteur.config import Config
    from rapporteur.pipeline import run_session
    from rapporteur.transcribe import TranscribeOptions

    folder = tmp_path_factory.mktemp("captions") / "naming-handoffs"
    assert synth.main([str(ROOT / "scripts" / "synth" / "naming-handoffs.yaml"), str(folder)]) == 0
    config = Config(transcribe=TranscribeOptions(threads=2))
    run_session(folder, config, stages=("transcribe", "diarize", "attribute"), log=lambda _: None, quiet_progress=True)
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_noisy_captions_on_real_asr_words(rendered_handoffs, seed):
    """Captions with deletions, mis-hearings, insertions and 15 % of names dropped, aligned to real
    ASR words: ≥ 95 % of turns get the right name and a start within 1 s of the truth."""
    from rapporteur.core import records
    from rapporteur.eval.synth import load_reference

    ref = load_reference(rendered_handoffs / "reference.json")
    transcript = records.transcript_from_dict(json.loads((rendered_handoffs / "transcript.json").read_text()))
    named, session = _named_session(rendered_handoffs)
    caps = parse_captions(noisy_captions([(t.speaker, t.text) for t in ref.turns], seed=seed))
    turns, coverage = align(caps, transcript.words(), roster=session.speakers, named=named)
    share, misses = turn_agreement([(t.speaker, t.start) for t in ref.turns], turns)
    assert coverage > 0.6 and share >= 0.95, misses


@pytest.mark.slow
def test_automatic_naming_on_the_rendered_panel(rendered_handoffs):
    """No speaker_map: ≥ 90 % of words carry the right name (benchmarks/naming_eval.py runs all four scripts)."""
    from rapporteur.eval.evaluate import evaluate_session

    report = json.loads(evaluate_session(rendered_handoffs, as_json=True))
    assert report["named"] and report["words_correctly_attributed"] >= 0.90, report
    turns = json.loads((rendered_handoffs / "turns.json").read_text())
    assert {e["source"] for e in turns["naming"].values()} == {"automatic"}
    assert "Joanna Wierzbicka" in turns["speakers"].values()  # named from "I speak for a ministry"


# ------------------------------------------------------------ through the pipeline


def _fake_session(folder: Path, session_yaml: str, script=SCRIPT) -> list[Word]:
    """A session folder with made-up transcript.json and diarization.json (no audio needed)."""
    from rapporteur.core import records
    from rapporteur.core.folder import DIARIZATION, TRANSCRIPT, SessionFolder

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "session.yaml").write_text(session_yaml, encoding="utf-8")
    words, truth = _fake_asr(script)
    seg = records.Segment(id=0, start=words[0].start, end=words[-1].end, text="".join(w.text for w in words), words=tuple(words))
    files = SessionFolder(folder)
    files.write(TRANSCRIPT, records.Transcript(language="en", language_probability=1.0, duration=words[-1].end + 1,
                                               segments=(seg,), backend="fake", model="fake"))
    labels = {name: f"SPEAKER_{i:02d}" for i, name in enumerate(dict.fromkeys(s for s, _ in script))}
    ends = [s for _, s in truth[1:]] + [words[-1].end]
    files.write(DIARIZATION, records.Diarization(backend="fake", turns=tuple(
        records.SpeechTurn(start=start, end=end - 0.3, label=labels[who]) for (who, start), end in zip(truth, ends))))
    return words


def test_captions_by_url_are_fetched_once_and_fingerprinted_by_content(tmp_path, http_dir):
    from rapporteur.config import Config
    from rapporteur.pipeline import run_session

    root, base = http_dir
    (root / "raw.txt").write_text(noisy_captions(SCRIPT, seed=2, p_noname=0.0), encoding="utf-8")
    d = tmp_path / "recordings" / "s"
    roster = "".join(f"  - name: {n}\n" for n in ("Ngozi Okonkwo", "Xianhong Hu", "Rajesh Venkataraman"))
    _fake_session(d, f"title: T\nrecording: talk.wav\ncaptions: {base}/raw.txt\nspeakers:\n{roster}")

    def run(**kw):
        log = []
        results = run_session(d, Config(), stages=("attribute",), log=log.append, quiet_progress=True, **kw)
        return {r.stage: r.status for r in results}, log

    status, log = run()
    assert status == {"fetch": "done", "attribute": "done"}
    assert (d / "captions.source").read_text().strip() == f"{base}/raw.txt"
    assert (d / "captions.txt").read_text(encoding="utf-8") == (root / "raw.txt").read_text(encoding="utf-8")
    turns = json.loads((d / "turns.json").read_text())
    assert turns["parameters"]["captions"]["caption_turns"] == len(SCRIPT)
    assert turns["turns"][0]["speaker"] == "Ngozi Okonkwo"

    (root / "raw.txt").unlink()  # fetched already: no second request, and nothing to redo
    assert run()[0] == {"attribute": "up to date"}

    # new captions at the same URL: read on the next `fetch --force`, as their content changed
    import re

    renamed = re.sub(r"^>> [^:]*:", ">> AMINA BELLO:", noisy_captions(SCRIPT, seed=2, p_noname=0.0), count=1, flags=re.M)
    (root / "raw.txt").write_text(renamed, encoding="utf-8")
    assert run()[0] == {"attribute": "up to date"}
    assert run(force=frozenset({"fetch"}))[0] == {"fetch": "done", "attribute": "done"}
    assert json.loads((d / "turns.json").read_text())["turns"][0]["speaker"] == "Amina Bello"
    # a hand-edited copy is read too
    (d / "captions.txt").write_text((d / "captions.txt").read_text().replace("AMINA BELLO", "NGOZI OKONKWO"))
    assert run()[0] == {"attribute": "done"}
    assert json.loads((d / "turns.json").read_text())["turns"][0]["speaker"] == "Ngozi Okonkwo"


def test_unreachable_captions_url_is_one_line(tmp_path, capsys):
    from rapporteur.cli import main

    d = tmp_path / "recordings" / "s"
    _fake_session(d, "title: T\nrecording: talk.wav\ncaptions: http://127.0.0.1:9/raw.txt\n")
    assert main(["attribute", "--quiet", str(d)]) == 1
    err = capsys.readouterr().err
    assert "cannot fetch the captions http://127.0.0.1:9/raw.txt" in err and "Traceback" not in err
    assert not (d / "turns.json").exists() and not (d / "captions.txt").exists()


@pytest.mark.slow
def test_run_with_captions_and_asr_text_keeps_caption_names_and_asr_words(tmp_path):
    """`captions:` + `transcript_text: asr` through `rapporteur run`: turn boundaries and names from the
    captions, the words from the recogniser (tiny.en on the 36-s three-speaker fixture)."""
    import shutil

    from conftest import FIXTURES
    from rapporteur.cli import main

    d = tmp_path / "recordings" / "three-speakers"
    shutil.copytree(FIXTURES / "three-speakers", d)
    ref = json.loads((d / "reference.json").read_text())
    script = [(t["speaker"], t["text"]) for t in ref["turns"]]
    (d / "raw.txt").write_text(noisy_captions(script, seed=4, p_noname=0.0), encoding="utf-8")
    yaml_text = (d / "session.yaml").read_text() + "captions: raw.txt\ntranscript_text: asr\n"
    (d / "session.yaml").write_text(yaml_text)
    (tmp_path / "rapporteur.yaml").write_text("summarize: {embedder: tfidf}\n")
    args = ["run", "--quiet", "--model", "tiny.en", "--threads", "2", "--config", str(tmp_path / "rapporteur.yaml"), str(d)]
    assert main(args) == 0

    transcript = json.loads((d / "transcript.json").read_text())
    asr_words = [w for s in transcript["segments"] for w in s["words"]]
    turns = json.loads((d / "turns.json").read_text())
    assert turns["parameters"]["captions"]["text"] == "asr" and turns["parameters"]["captions"]["coverage"] > 0.5
    assert all(t["label"].startswith("CAPTION_") for t in turns["turns"])  # the captions' turns
    share, misses = turn_agreement([(t["speaker"], t["start"]) for t in ref["turns"]],
                                   [Turn(**{**t, "words": ()}) for t in turns["turns"]], tolerance=1.5)
    assert share >= 0.9, misses
    words = [w for t in turns["turns"] for w in t["words"]]
    assert words and all(w in asr_words for w in words)  # the recogniser's words, times and probabilities
    assert transcript["prompt"].startswith("Connecting rural communities (test fixture). Maria Lopez")

    # the same session showing the captions' text: only attribution (and what follows) is redone
    (d / "session.yaml").write_text(yaml_text.replace("transcript_text: asr", "transcript_text: captions"))
    assert main(args) == 0
    again = json.loads((d / "turns.json").read_text())
    assert [t["start"] for t in again["turns"]] == [t["start"] for t in turns["turns"]]
    caption_words = " ".join((d / "raw.txt").read_text().split())
    assert all(w["text"].strip() in caption_words for t in again["turns"] for w in t["words"])
    assert json.loads((d / "transcript.json").read_text())["inputs"] == transcript["inputs"]
