"""IGF's other working languages with the bundled multilingual base model.

Clips: tests/fixtures/languages/<lang>.ogg, rendered by scripts/synth/make_language_clips.py
from tests/fixtures/languages/scripts.yaml (espeak-ng voices fr, es, ar, cmn-latn-pinyin+f3, ru).
Synthetic speech is borderline for Whisper and CPUs differ in their arithmetic, so these
tests assert properties that hold on any CPU — the language, no repetition loops, no
characters of another script inside a word, the right script, a loose WER bound — never
exact words.  Measured (see FAULTS.md): base detects the espeak-ng French, Spanish and
Mandarin (cmn-latn-pinyin+f3, 160 wpm) voices as fr/es/zh (p ≈ 0.80-0.83 / 0.91 / 0.87, with
1 and 2 threads) but the Russian and Arabic voices as la/la (no voice, variant, speed, pitch
or diacritised text tried gave ru or ar p ≥ 0.5 after the Opus round trip); for those two
the tests give the language, as session.yaml's `language:` does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rapporteur.core.records import Word
from rapporteur.eval.metrics import wer
from rapporteur.core.media import decode_to_wav, read_wav
from rapporteur.transcribe import (TranscribeOptions, clean_words, collapse_loops, longest_loop, script_of,
                                   strip_stray_scripts, transcribe)

CLIPS = Path(__file__).resolve().parent / "fixtures" / "languages"
SCRIPTS = yaml.safe_load((CLIPS / "scripts.yaml").read_text(encoding="utf-8"))
SCRIPT = {"fr": "LATIN", "es": "LATIN", "ru": "CYRILLIC", "ar": "ARABIC", "zh": "CJK"}
DETECTED = ("fr", "es", "zh")  # espeak-ng voices base recognises as their language (ru, ar: not yet)
# the least share of letters in the language's own script: the Latin-script clips come out all Latin;
# the Mandarin voice is borderline — with VAD-cut windows on one core (taskset -c 0) base wrote romanised
# syllables into 21 % of it ("Y ik id ok ya", measured 0.79), on two cores ≥ 0.95 — so a clear majority
SCRIPT_SHARE = {"fr": 0.95, "es": 0.95, "zh": 0.7}


def _words(texts):
    return [Word(start=float(i), end=i + 0.5, text=" " + t) for i, t in enumerate(texts)]


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("languages")
    out = {}
    for lang in SCRIPTS:
        decode_to_wav(CLIPS / f"{lang}.ogg", d / f"{lang}.wav")
        out[lang] = read_wav(d / f"{lang}.wav")
    return out


def assert_clean_transcript(t, lang: str, *, min_script_share: float, allow_empty: bool = False) -> None:
    """The properties every transcript in ``lang`` has, whatever the CPU."""
    words = [w.text for w in t.words()]
    if allow_empty and not words:
        return  # nothing invented is a correct outcome for speech the model does not recognise
    assert words, "nothing was transcribed"
    assert longest_loop(words) <= 3, " ".join(words)  # no n-gram (n ≤ 8) more than 3 times in a row
    mixed = [w for w in words if len({script_of(c) for c in w if script_of(c)}) > 1]
    assert not mixed, mixed  # no character of another script inside a word
    letters = [script_of(c) for w in words for c in w if script_of(c)]
    share = sum(1 for s in letters if s == SCRIPT[lang]) / len(letters)
    assert share >= min_script_share, (share, " ".join(words))


def test_clips_are_short_plain_speech():
    for lang, spec in SCRIPTS.items():
        assert (CLIPS / f"{lang}.ogg").stat().st_size < 100_000 and 2 <= len(spec["text"]) <= 4


@pytest.mark.slow
@pytest.mark.parametrize("lang", DETECTED)
def test_language_is_detected_and_transcribed_without_loops(clips, lang):
    t = transcribe(clips[lang], TranscribeOptions(threads=2))
    assert t.language == lang and t.language_probability > 0.5
    assert_clean_transcript(t, lang, min_script_share=SCRIPT_SHARE[lang])
    said = " ".join(s.text for s in t.segments)
    if lang == "zh":  # no spaces: character error rate (base writes traditional characters: measured 0.71)
        said, ref = (" ".join(c for c in s if script_of(c) == "CJK") for s in (said, "".join(SCRIPTS[lang]["text"])))
        assert wer(ref, said).rate < 0.9
    else:
        assert wer(" ".join(SCRIPTS[lang]["text"]), said).rate < 0.7  # measured 0.34 (fr), 0.25 (es)


@pytest.mark.slow
@pytest.mark.parametrize("lang", sorted(SCRIPTS))
def test_given_language_is_transcribed_in_its_script_without_loops(clips, lang):
    """session.yaml `language: xx` → the transcript is in that language's script, with no loops."""
    t = transcribe(clips[lang], TranscribeOptions(threads=2, language=lang))
    assert t.language == lang
    # ar and ru are espeak-ng voices base barely recognises (borderline clips: on one CPU the Arabic
    # transcript held an English phrase, 72 % Arabic letters): only a majority of their script is a
    # property that holds on any CPU; the clips base recognises keep 0.8
    assert_clean_transcript(t, lang, min_script_share=SCRIPT_SHARE[lang] if lang in DETECTED else 0.5)


def test_stray_characters_of_another_script_are_dropped():
    ws = _words(["je", "vous", "remerci汉e", "bien,", "Пётр", "李"])
    assert [w.text.strip() for w in strip_stray_scripts(ws)] == ["je", "vous", "remercie", "bien,", "Пётр", "李"]
    assert [w.text.strip() for w in strip_stray_scripts(_words(["Москваabc", "x", "汉"]))] == ["Москва", "x", "汉"]
    # a word with nothing left is dropped; timings of the others are kept
    out = strip_stray_scripts([Word(start=1.0, end=2.0, text=" ab"), Word(start=2.0, end=3.0, text=" !")])
    assert [(w.start, w.text) for w in out] == [(1.0, " ab"), (2.0, " !")]


def test_the_five_word_loop_from_the_issue_is_cut():
    """"je vous remercie bien, et …" five times, one copy with a Han character inside a word."""
    loop = "je vous remercie bien, et".split()
    texts = loop * 2 + ["je", "vous", "remerci汉e", "bien,", "et"] + loop * 3 + ["fin"]
    out = [w.text.strip() for w in clean_words(_words(texts))]
    assert out == loop * 3 + ["fin"]
    assert longest_loop(out) <= 3


@pytest.mark.parametrize("n", range(1, 9))
def test_loops_of_up_to_eight_words_keep_three_copies(n):
    gram = [f"w{i}" for i in range(n)]
    out = [w.text.strip() for w in collapse_loops(_words(["a"] + gram * 6 + ["z"]))]
    assert out == ["a"] + gram * 3 + ["z"]
    assert longest_loop(out) == 3
    # three copies are speech, not a loop: left alone
    assert [w.text.strip() for w in collapse_loops(_words(gram * 3))] == gram * 3
