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


# ------------------------------------------------------- maintained libraries as oracles


def _random_words(rng: random.Random, n: int) -> list[str]:
    vocab = "the digital policy forum internet governance access rights youth data open multi stakeholder".split()
    return [rng.choice(vocab) for _ in range(n)]


def test_wer_agrees_with_jiwer():
    """The project's WER (edit counts and rate) equals jiwer's on random word sequences."""
    jiwer = pytest.importorskip("jiwer")  # installed by `make test` (the test extra)
    rng = random.Random(7)
    for _ in range(200):
        ref = _random_words(rng, rng.randint(1, 30))
        hyp = list(ref)
        for _ in range(rng.randint(0, 10)):  # random substitutions, deletions, insertions
            op = rng.choice("sdi")
            k = rng.randrange(len(hyp) + (op == "i")) if hyp or op == "i" else 0
            if op == "s" and hyp:
                hyp[k] = rng.choice(["forum", "policy", "x", "y"])
            elif op == "d" and hyp:
                del hyp[k]
            elif op == "i":
                hyp.insert(k, rng.choice(["and", "so", "z"]))
        ours = wer(" ".join(ref), " ".join(hyp))
        if not hyp:
            assert ours.deletions == len(ref) and ours.rate == 1.0
            continue
        theirs = jiwer.process_words(" ".join(ref), " ".join(hyp))
        assert ours.rate == pytest.approx(theirs.wer)
        assert ours.errors == theirs.substitutions + theirs.deletions + theirs.insertions


def _random_turns(rng: random.Random, labels: str, n: int, length: float = 60.0) -> list[SpeechTurn]:
    out, t = [], 0.0
    for _ in range(n):
        t += rng.uniform(0.0, 2.0)
        d = rng.uniform(0.3, 6.0)
        start = round(t, 2)
        out.append(T(start, round(min(length, start + d), 2), rng.choice(labels)))
        t = start + d * rng.uniform(0.6, 1.1)  # sometimes overlapping the next turn
        if t >= length:
            break
    # one speaker never overlaps themselves (other speakers may): join a speaker's overlapping turns
    merged: dict[str, list[SpeechTurn]] = {}
    for x in sorted((x for x in out if x.end > x.start), key=lambda x: x.start):
        mine = merged.setdefault(x.label, [])
        if mine and x.start <= mine[-1].end:
            mine[-1] = T(mine[-1].start, max(mine[-1].end, x.end), x.label)
        else:
            mine.append(x)
    return sorted((x for v in merged.values() for x in v), key=lambda x: x.start)


@pytest.mark.filterwarnings("ignore:.uem. was approximated")
@pytest.mark.parametrize("collar", [0.0, 0.25])
def test_der_agrees_with_pyannote_metrics(collar):
    """The project's DER equals pyannote.metrics' (collar given per side here, as md-eval's -c; pyannote's
    `collar` is the total width) to within the 10-ms frame quantisation, overlap included."""
    pytest.importorskip("pyannote.metrics")  # installed by `make test` (the test extra)
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    def annotation(turns):
        a = Annotation()
        for i, x in enumerate(turns):
            a[Segment(x.start, x.end), i] = x.label
        return a

    rng = random.Random(3)
    metric = DiarizationErrorRate(collar=2 * collar, skip_overlap=False)
    for _ in range(30):
        ref = _random_turns(rng, "ABC", 25)
        hyp = _random_turns(rng, "xyzw", 25)
        ours = der(ref, hyp, collar=collar)
        theirs = metric(annotation(ref), annotation(hyp), detailed=True)
        assert ours.total == pytest.approx(theirs["total"], abs=0.02 * len(ref) + 0.05)
        assert ours.rate == pytest.approx(theirs["diarization error rate"], abs=0.01)


def test_speaker_at_a_back_channel_inside_a_long_turn():
    """A "yes" from the moderator inside a panellist's two-minute intervention: the panellist's words after
    it are still the panellist's; the word "yes" itself is the moderator's; between turns, the nearest."""
    from rapporteur.eval.evaluate import SpeakerAt
    from rapporteur.eval.synth import ReferenceTurn

    at = SpeakerAt([
        ReferenceTurn(speaker="Panellist", start=10.0, end=130.0, text="a long intervention"),
        ReferenceTurn(speaker="Moderator", start=40.0, end=40.5, text="Yes."),
        ReferenceTurn(speaker="Moderator", start=131.0, end=140.0, text="Thank you."),
    ])
    assert at(40.2, "yes") == "Moderator"
    assert at(40.2, "intervention") == "Panellist"
    assert at(90.0, "long") == "Panellist" and at(129.0) == "Panellist"
    assert at(130.8) == "Moderator" and at(5.0) == "Panellist"
