"""WER and DER on small hand-computed cases."""

from __future__ import annotations

import random

import pytest

from rapporteur.eval.metrics import der, normalize_text, wer, word_edits
from rapporteur.core.records import SpeechTurn


def T(start: float, end: float, label: str) -> SpeechTurn:
    return SpeechTurn(start=start, end=end, label=label)


# ------------------------------------------------------------------- WER


def test_normalisation_lowercases_and_strips_punctuation():
    assert normalize_text("Hello, World! (IGF)") == ["hello", "world", "igf"]
    assert normalize_text("  well-known\n\tfacts ") == ["well", "known", "facts"]
    assert normalize_text("“Don’t” 'quoted'") == ["don't", "quoted"]


def test_normalisation_keeps_numbers_as_written():
    assert normalize_text("1,000 people, 3.5% and 20") == ["1000", "people", "3.5", "and", "20"]
    assert normalize_text("twenty") == ["twenty"]  # not 20


def test_wer_identical_after_normalisation():
    r = wer("The cat, sat on the mat.", "the cat sat on the mat")
    assert (r.substitutions, r.deletions, r.insertions, r.reference_words) == (0, 0, 0, 6)
    assert r.rate == 0.0


def test_wer_one_deletion():
    r = wer("the cat sat on the mat", "the cat sat on mat")
    assert (r.substitutions, r.deletions, r.insertions) == (0, 1, 0)
    assert r.rate == pytest.approx(1 / 6)


def test_wer_substitution_and_insertion():
    r = wer("a b c", "a x c d")
    assert (r.substitutions, r.deletions, r.insertions) == (1, 0, 1)
    assert r.rate == pytest.approx(2 / 3)
    assert r.hypothesis_words == 4


def test_wer_number_spelling_counts_as_substitution():
    r = wer("twenty delegates", "20 delegates")
    assert (r.substitutions, r.rate) == (1, 0.5)


def test_wer_prefers_substitutions_among_equal_alignments():
    # "a b" -> "x": 2 edits either way; counted as 1 substitution + 1 deletion
    assert word_edits(["a", "b"], ["x"]) == (1, 1, 0)


def test_wer_empty_sides():
    assert wer("", "").rate == 0.0
    r = wer("", "hello there")
    assert (r.insertions, r.rate) == (2, 1.0)
    r = wer("hello there", "")
    assert (r.deletions, r.rate) == (2, 1.0)


def _levenshtein(a, b):
    d = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        prev, d[0] = d[:], i
        for j in range(1, len(b) + 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
    return d[len(b)]


def test_word_edits_match_plain_levenshtein():
    rng = random.Random(7)
    for _ in range(300):
        a = [rng.choice("abcd") for _ in range(rng.randint(0, 9))]
        b = [rng.choice("abcd") for _ in range(rng.randint(0, 9))]
        s, d, i = word_edits(a, b)
        assert s + d + i == _levenshtein(a, b)
        assert len(a) - d + i == len(b)
        assert min(s, d, i) >= 0


# ------------------------------------------------------------------- DER


def test_der_perfect_with_other_label_names():
    ref = [T(0, 10, "A"), T(10, 20, "B")]
    hyp = [T(0, 10, "SPEAKER_01"), T(10, 20, "SPEAKER_00")]
    r = der(ref, hyp, collar=0)
    assert r.rate == 0.0
    assert r.mapping == {"SPEAKER_01": "A", "SPEAKER_00": "B"}


def test_der_confusion_without_collar():
    ref = [T(0, 10, "A"), T(10, 20, "B")]
    hyp = [T(0, 12, "x"), T(12, 20, "y")]
    r = der(ref, hyp, collar=0)
    assert (r.missed, r.false_alarm, r.confusion, r.total) == (0, 0, 2.0, 20.0)
    assert r.rate == pytest.approx(0.1)


def test_der_collar_removes_time_around_reference_boundaries():
    ref = [T(0, 10, "A"), T(10, 20, "B")]
    hyp = [T(0, 12, "x"), T(12, 20, "y")]
    r = der(ref, hyp, collar=0.25)
    # not scored: 0-0.25, 9.75-10.25, 19.75-20 -> 19 s scored; confused 10.25-12
    assert r.total == pytest.approx(19.0)
    assert r.confusion == pytest.approx(1.75)
    assert r.rate == pytest.approx(1.75 / 19)


def test_der_boundary_error_inside_collar_is_free():
    ref = [T(0, 10, "A"), T(10, 20, "B")]
    hyp = [T(0, 10.2, "x"), T(10.2, 20, "y")]
    assert der(ref, hyp, collar=0.25).rate == 0.0
    assert der(ref, hyp, collar=0).rate == pytest.approx(0.2 / 20)


def test_der_missed_and_false_alarm():
    r = der([T(0, 10, "A")], [T(2, 12, "x")], collar=0)
    assert (r.missed, r.false_alarm, r.confusion, r.total) == (2.0, 2.0, 0, 10.0)
    assert r.rate == pytest.approx(0.4)


def test_der_overlap_counts_each_reference_speaker():
    ref = [T(0, 10, "A"), T(5, 10, "B")]
    hyp = [T(0, 10, "x")]
    r = der(ref, hyp, collar=0)
    assert (r.total, r.missed, r.confusion) == (15.0, 5.0, 0)
    skipped = der(ref, hyp, collar=0, skip_overlap=True)
    assert (skipped.total, skipped.rate) == (5.0, 0.0)


def test_der_one_to_one_mapping_leaves_extra_speaker_confused():
    r = der([T(0, 10, "A")], [T(0, 4, "x"), T(4, 10, "y")], collar=0)
    assert r.mapping == {"y": "A"}
    assert r.confusion == pytest.approx(4.0)
    assert (r.reference_speakers, r.hypothesis_speakers) == (1, 2)


def test_der_empty_sides():
    assert der([T(0, 5, "A")], [], collar=0).rate == 1.0
    assert der([], [], collar=0).rate == 0.0
    assert der([], [T(0, 1, "x")], collar=0).rate == 1.0
