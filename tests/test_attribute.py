from rapporteur.attribute import AttributeOptions, attribute, label_words, smooth_labels, speaker_names
from rapporteur.core.records import Diarization, Segment, SpeechTurn, Transcript, Word


def words(spec):
    """spec: list of (start, end, text)."""
    return [Word(start=s, end=e, text=" " + t) for s, e, t in spec]


def transcript_of(ws):
    seg = Segment(id=0, start=ws[0].start, end=ws[-1].end, text="".join(w.text for w in ws), words=tuple(ws))
    return Transcript(language="en", language_probability=1.0, duration=ws[-1].end, segments=(seg,), backend="test", model="test")


def diar(*turns):
    return Diarization(turns=tuple(SpeechTurn(start=s, end=e, label=l) for s, e, l in turns), backend="test")


def test_speaker_change_inside_one_whisper_segment_is_honoured():
    ws = words([(0.0, 0.4, "Thank"), (0.4, 0.8, "you."), (1.0, 1.4, "Hello"), (1.4, 1.9, "everyone.")])
    t = attribute(transcript_of(ws), diar((0.0, 0.85, "SPEAKER_00"), (0.95, 2.0, "SPEAKER_01")))
    assert [(x.speaker, x.text) for x in t.turns] == [("Speaker 1", "Thank you."), ("Speaker 2", "Hello everyone.")]
    assert t.turns[0].id == "t0" and t.turns[1].id == "t1000"
    assert t.speakers == {"SPEAKER_00": "Speaker 1", "SPEAKER_01": "Speaker 2"}


def test_explicit_mapping_names_speakers():
    ws = words([(0.0, 0.5, "Hi."), (1.0, 1.5, "Hello.")])
    t = attribute(transcript_of(ws), diar((0, 0.6, "SPEAKER_00"), (0.9, 1.6, "SPEAKER_01")), speaker_map={"SPEAKER_01": "Bu Zhong"})
    assert [x.speaker for x in t.turns] == ["Speaker 1", "Bu Zhong"]


def test_words_outside_turns_go_to_nearest_turn():
    ws = words([(0.0, 0.3, "a"), (5.0, 5.3, "b"), (9.0, 9.2, "c")])
    labels = label_words(ws, [SpeechTurn(start=0.5, end=1.0, label="A"), SpeechTurn(start=8.5, end=8.9, label="B")], AttributeOptions())
    # b is 4 s from everything: keeps the previous speaker
    assert labels == ["A", "A", "B"]


def test_flicker_is_absorbed_and_boundary_snaps_to_sentence_end():
    ws = words([(0, .3, "We"), (.3, .6, "agree"), (.6, .7, "on"), (.7, 1.0, "this."), (1.2, 1.5, "Next"), (1.5, 1.8, "point")])
    labels = ["A", "A", "B", "A", "B", "B"]  # 'on' is a 0.1 s flicker
    out = smooth_labels(ws, labels, AttributeOptions())
    assert out == ["A", "A", "A", "A", "B", "B"]
    labels = ["A", "A", "A", "B", "B", "B"]  # change one word early: 'this.' ends A's sentence
    assert smooth_labels(ws, labels, AttributeOptions()) == ["A", "A", "A", "A", "B", "B"]


def test_no_diarization_means_one_speaker():
    ws = words([(0, .5, "Only"), (.5, 1, "me.")])
    t = attribute(transcript_of(ws), diar())
    assert len(t.turns) == 1 and t.turns[0].speaker == "Speaker 1"


def test_speaker_names_numbered_by_first_appearance():
    assert speaker_names(["B", "A", "B", "C"], {"C": "Ana"}) == {"B": "Speaker 1", "A": "Speaker 2", "C": "Ana"}


def test_turn_ids_unique_and_inputs_untouched():
    ws = words([(1.0, 1.0, "x."), (1.0, 1.2, "y.")])
    tr = transcript_of(ws)
    t = attribute(tr, diar((0.9, 1.0, "A"), (1.0, 1.3, "B")))
    ids = [x.id for x in t.turns]
    assert len(ids) == len(set(ids))
    assert tr.segments[0].words == tuple(ws)


def test_speech_left_without_words_is_given_the_voice_heard_there():
    import dataclasses

    from rapporteur.core.records import Unheard

    ws = words([(0.0, 0.5, "Over"), (0.5, 1.0, "to"), (1.0, 1.5, "you."), (20.0, 20.5, "Thanks.")])
    heard = dataclasses.replace(transcript_of(ws), unheard=(Unheard(start=2.0, end=18.0),))
    t = attribute(heard, diar((0.0, 1.6, "SPEAKER_00"), (1.9, 18.2, "SPEAKER_01"), (19.8, 21.0, "SPEAKER_00")))
    assert t.unheard == (Unheard(start=2.0, end=18.0, label="SPEAKER_01"),)
    assert [x.label for x in t.turns] == ["SPEAKER_00", "SPEAKER_00"]  # "Over to you." and "Thanks." two turns
    assert attribute(transcript_of(ws), diar((0.0, 21.0, "SPEAKER_00"))).unheard == ()
