"""Caption and transcript writers (export.py), on hand-built Turns."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
from pathlib import Path

import pytest
import srt
import webvtt

from rapporteur.errors import RapporteurError
from rapporteur.site.exports import WRITERS, Cue, caption_cues, format_hms, get_writer
from rapporteur.core.records import Turn, Turns, Word, turn_id, turns_from_dict
from rapporteur.core.session import Session


def make_turn(start: float, speaker: str, text: str, *, label: str = "SPEAKER_00", rate: float = 0.33,
              sentence_pause: float = 0.3, spaced: bool = True) -> Turn:
    """A turn whose words last ``rate`` seconds each, with a short pause after sentences."""
    words, t = [], start
    tokens = text.split() if spaced else list(text)
    for w in tokens:
        words.append(Word(start=round(t, 3), end=round(t + rate - 0.05, 3), text=(" " + w) if spaced else w))
        t += rate
        if w[-1] in ".?!。":
            t += sentence_pause
    return Turn(id=turn_id(start), start=words[0].start, end=words[-1].end, label=label, speaker=speaker,
                text=" ".join(tokens) if spaced else text, words=tuple(words))


LONG = (
    "Thank you very much. I'm going to speak about the interconnection of global AI governance "
    "mechanisms, which is a complex issue; it involves governments, industry and civil society, "
    "and none of them can do it alone. We have seen many initiatives over the last two years: the "
    "UNESCO recommendation, the OECD principles, the Hiroshima process and the new advisory body of "
    "the Secretary-General. Are they connected? Not yet, and that is exactly why we are here today. "
    "Supercalifragilisticexpialidociousandmuchlongerthanalineofcaptions is not a word."
)
EVIL_NAME = 'Dr. <b>Evil</b> & "Co" --> x'


@pytest.fixture
def turns() -> Turns:
    t1 = make_turn(1.0, "Bu Zhong", LONG)
    t2 = make_turn(t1.end + 0.4, "Xianhong Hu", "Yes. Thank you, Bu, for the question.", label="SPEAKER_01", rate=0.9)
    t3 = make_turn(t2.end + 0.2, EVIL_NAME, "Hello <script>alert(1)</script> & more --> text. A [link](javascript:x).",
                   label="SPEAKER_02")
    # a turn without word timings: the text is spread over the turn
    t4 = Turn(id=turn_id(t3.end + 1), start=t3.end + 1, end=t3.end + 13, label="SPEAKER_00", speaker="Bu Zhong",
              text="We will now take questions from the floor, and then from our online participants, "
                   "who have been waiting patiently for a while.")
    # words whose durations are long: the 7-second limit cuts them
    slow = make_turn(t4.end + 2, "Xianhong Hu", "Well. I think that we should really take our time here.",
                     label="SPEAKER_01", rate=2.5)
    return Turns(turns=(t1, t2, t3, t4, slow), speakers={}, language="en", duration=slow.end + 1)


def session(tmp_path: Path | None = None) -> Session:
    return Session(id="igf2023-ws73", dir=tmp_path or Path("."), title="Interconnecting Global AI Governance Mechanisms",
                   event="IGF 2023", date=dt.date(2023, 10, 10))


def _turn_of(cue: Cue, turns: Turns) -> Turn:
    return next(t for t in turns.turns if t.id == cue.turn_id)


# --------------------------------------------------------------- caption_cues


def test_cues_follow_caption_limits(turns):
    cues = caption_cues(turns)
    assert len(cues) > 10
    for c in cues:
        assert 0 < c.end - c.start <= 7.5, c
        assert 1 <= len(c.lines) <= 2, c
        assert all(0 < len(line) <= 42 for line in c.lines), c
        assert c.lines == tuple(line.strip() for line in c.lines)


def test_one_speaker_per_cue_and_no_word_lost(turns):
    cues = caption_cues(turns)
    for turn in turns.turns:
        mine = [c for c in cues if c.turn_id == turn.id]
        assert all(c.speaker == turn.speaker for c in mine)
        assert all(turn.start - 1e-6 <= c.start and c.start < turn.end + 1e-6 for c in mine)
        joined = "".join("".join(c.lines) for c in mine)
        assert joined.replace(" ", "") == turn.text.replace(" ", "")
    # cues are ordered and do not overlap (these turns do not overlap in time)
    for a, b in zip(cues, cues[1:]):
        assert a.start <= b.start
        assert a.end <= b.start + 1e-6


def test_cues_end_at_sentence_ends_when_sentences_fit():
    text = ("We need shared principles for everyone. Governance is fragmented across regions. "
            "The Global South is too often left behind. Interconnection is possible. "
            "Let us start with the simplest steps today.")
    cues = caption_cues(Turns(turns=(make_turn(0.0, "A", text),), speakers={}))
    assert len(cues) >= 3
    assert all(c.text.endswith(".") for c in cues), [c.text for c in cues]


def test_long_sentence_is_cut_at_a_clause():
    text = ("We need to agree on shared principles for all regions of the world, "
            "and then we need institutions that can enforce them together.")
    cues = caption_cues(Turns(turns=(make_turn(0.0, "A", text),), speakers={}))
    assert any(c.text.endswith("world,") for c in cues), [c.text for c in cues]


def test_first_short_sentence_gets_its_own_cue(turns):
    first = caption_cues(turns)[0]
    assert first.text == "Thank you very much."


def test_lines_are_balanced():
    text = "This sentence is long enough to need two lines on the screen."
    (cue,) = caption_cues(Turns(turns=(make_turn(0.0, "A", text, rate=0.2),), speakers={}))
    a, b = cue.lines
    assert abs(len(a) - len(b)) <= 12


def test_a_pause_ends_a_cue():
    t = make_turn(0.0, "A", "Short words. Then")
    later = Word(start=t.end + 3.0, end=t.end + 3.4, text=" silence")
    turn = Turn(id=t.id, start=t.start, end=later.end, label="A", speaker="A", text="Short words. Then silence",
                words=t.words + (later,))
    cues = caption_cues(Turns(turns=(turn,), speakers={}))
    assert [c.text for c in cues] == ["Short words. Then", "silence"]
    assert cues[0].end < later.start


def test_short_cue_is_extended_but_not_into_the_next():
    a = make_turn(0.0, "A", "Yes.", rate=0.3)
    b = make_turn(0.5, "B", "No, not really.", label="B")
    c = make_turn(10.0, "A", "Fine.", rate=0.3)
    cues = caption_cues(Turns(turns=(a, b, c), speakers={}))
    assert cues[0].end == pytest.approx(0.5)  # stops where B starts
    assert cues[-1].end == pytest.approx(11.0)  # 1 s minimum


def test_words_without_spaces_are_joined_without_spaces():
    text = "我们需要建立全球人工智能治理机制之间的互联互通这是一个非常复杂的问题需要各方共同努力才能实现"
    turn = make_turn(0.0, "张三", text, spaced=False, rate=0.2)
    cues = caption_cues(Turns(turns=(turn,), speakers={}))
    assert "".join("".join(c.lines) for c in cues) == text
    assert all(" " not in c.text for c in cues)
    assert all(len(line) <= 42 for c in cues for line in c.lines)


def test_speaker_prefix_counts_in_the_line_length(turns):
    cues = caption_cues(turns, speaker_prefix=True)
    for c in cues:
        assert c.lines[0].startswith(c.speaker[:10])
        assert all(len(line) <= 42 for line in c.lines), c
        assert len(c.lines) <= 2


def test_speaker_name_from_the_turns_mapping():
    t = make_turn(0.0, "", "Hello there.", label="SPEAKER_07")
    cues = caption_cues(Turns(turns=(t,), speakers={"SPEAKER_07": "Bu Zhong"}))
    assert cues[0].speaker == "Bu Zhong"


# -------------------------------------------------------------------- writers


def test_vtt_parses_with_voice_tags(turns):
    text = get_writer("vtt").to_string(turns, session=session())
    assert text.startswith("WEBVTT\n")
    assert "NOTE Interconnecting Global AI Governance Mechanisms (IGF 2023 · 2023-10-10)" in text
    parsed = webvtt.from_string(text)
    cues = caption_cues(turns)
    assert len(parsed.captions) == len(cues)
    for cap, cue in zip(parsed.captions, cues):
        assert cap.voice is not None
        assert html.unescape(cap.voice) == cue.speaker
        assert html.unescape(cap.text) == cue.text
        assert abs(cap.start_time.in_milliseconds() / 1000 - cue.start) < 0.002
    # hostile text and names are escaped, never markup
    assert "<script>" not in text and "<b>" not in text
    assert "<v Dr. &lt;b&gt;Evil&lt;/b&gt; &amp; \"Co\" --&gt; x>" in text
    assert text.count("-->") == len(cues)  # only in the timing lines


def test_srt_parses_and_names_the_speaker(turns):
    text = get_writer("srt").to_string(turns)
    subs = list(srt.parse(text))
    cues = caption_cues(turns, speaker_prefix=True)
    assert len(subs) == len(cues)
    assert [s.index for s in subs] == list(range(1, len(subs) + 1))
    for sub, cue in zip(subs, cues):
        lines = sub.content.split("\n")
        assert lines[0].startswith(cue.speaker[:10])
        # "Name: words"; only a word longer than a line leaves "Name:" alone on the first line
        assert ": " in lines[0] or (lines[0] == cue.speaker + ":" and len(lines[1]) == 42)
        assert len(lines) <= 2 and all(len(line) <= 42 for line in lines)
        assert sub.end.total_seconds() - sub.start.total_seconds() <= 7.5
    assert subs[0].content == "Bu Zhong: Thank you very much."
    assert all("-->" not in s.content for s in subs)


def test_txt_has_one_timestamped_paragraph_per_turn(turns):
    text = get_writer("txt").to_string(turns, session=session())
    head, body = text.split("\n\n", 1)
    assert head == "Interconnecting Global AI Governance Mechanisms\nIGF 2023 · 2023-10-10"
    paragraphs = body.strip().split("\n\n")
    assert len(paragraphs) == len(turns.turns)
    for p, turn in zip(paragraphs, turns.turns):
        assert p == f"[{format_hms(turn.start)}] {turn.speaker}: {turn.text}"
    assert paragraphs[0].startswith("[00:00:01] Bu Zhong: Thank you very much. I'm going")


def test_speech_left_without_words_is_marked_where_it_was_said(turns):
    """The text transcript and the RTTM keep speech the recogniser could not make out, under the voice heard."""
    import dataclasses

    from rapporteur.core.records import Unheard

    label = turns.turns[1].label
    at = (turns.turns[0].start + turns.turns[1].start) / 2
    gappy = dataclasses.replace(turns, speakers={**turns.speakers, label: turns.turns[1].speaker},
                                unheard=(Unheard(start=at, end=at + 6.4, label=label),))
    paragraphs = get_writer("txt").to_string(gappy).strip().split("\n\n")
    assert len(paragraphs) == len(turns.turns) + 1
    assert paragraphs[1] == f"[{format_hms(at)}] {turns.turns[1].speaker}: [6 s of speech the recogniser could not make out]"
    lines = get_writer("rttm").to_string(gappy, session=session()).strip().split("\n")
    assert len(lines) == len(turns.turns) + 1 and float(lines[1].split()[3]) == pytest.approx(at, abs=1e-3)


def test_captions_say_inaudible_over_speech_left_without_words(turns):
    """VTT and SRT put the captioner's "[inaudible]" where speech was not made out, under the voice heard there,
    in cues no longer than any other."""
    import dataclasses

    from rapporteur.core.records import Unheard

    label = turns.turns[1].label
    at = turns.turns[-1].end + 2.0
    gappy = dataclasses.replace(turns, speakers={**turns.speakers, label: turns.turns[1].speaker},
                                unheard=(Unheard(start=at, end=at + 16.0, label=label),))
    cues = [c for c in webvtt.from_buffer(io.StringIO(get_writer("vtt").to_string(gappy))) if "[inaudible]" in c.text]
    assert len(cues) == 3 and all(c.voice == turns.turns[1].speaker for c in cues)
    secs = [(c.start_time.in_milliseconds() / 1000, c.end_time.in_milliseconds() / 1000) for c in cues]
    assert secs[0][0] == pytest.approx(at, abs=1e-3) and secs[-1][1] == pytest.approx(at + 16, abs=1e-3)
    assert all(b - a <= 7.0 for a, b in secs)
    srt_cues = [c for c in srt.parse(get_writer("srt").to_string(gappy)) if "[inaudible]" in c.content]
    assert len(srt_cues) == 3
    assert srt_cues[0].content.endswith(": [inaudible]") and srt_cues[0].content.startswith(turns.turns[1].speaker[:5])
    assert "[inaudible]" not in get_writer("vtt").to_string(turns)


def test_json_is_the_turns_record(turns):
    text = get_writer("json").to_string(turns)
    assert turns_from_dict(json.loads(text)) == turns


def test_rttm_lines(turns):
    text = get_writer("rttm").to_string(turns, session=session())
    lines = text.strip().split("\n")
    assert len(lines) == len(turns.turns)
    for line, turn in zip(lines, turns.turns):
        f = line.split(" ")
        assert len(f) == 10
        assert f[:3] == ["SPEAKER", "igf2023-ws73", "1"]
        assert float(f[3]) == pytest.approx(turn.start, abs=1e-3)
        assert float(f[4]) == pytest.approx(turn.end - turn.start, abs=1e-3)
        assert f[7] == re.sub(r"\s+", "_", turn.speaker)
    assert lines[0].split()[7] == "Bu_Zhong"


def test_writers_work_on_a_file_object(turns):
    for fmt, cls in WRITERS.items():
        buf = io.StringIO()
        cls().write(turns, buf, session=session())
        assert buf.getvalue(), fmt
        assert get_writer(fmt).extension == fmt


def test_unknown_format_is_reported():
    with pytest.raises(RapporteurError, match="use one of vtt, srt"):
        get_writer("docx")


def test_empty_turns_give_empty_captions():
    empty = Turns(turns=(), speakers={})
    assert webvtt.from_string(get_writer("vtt").to_string(empty)).captions == []
    assert get_writer("srt").to_string(empty) == ""
    assert get_writer("txt").to_string(empty) == ""


def test_limits_hold_on_random_turns():
    import random

    rng = random.Random(7)
    turns, t = [], 0.0
    for k in range(40):
        words = []
        for _ in range(rng.randint(1, 60)):
            n = rng.choice([1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 50])
            w = "".join(rng.choice("abcdefghij") for _ in range(n)) + rng.choice(["", "", "", ",", ".", "?", ";"])
            dur = rng.choice([0.05, 0.2, 0.4, 0.8, 3.0, 9.0])
            words.append(Word(start=round(t, 3), end=round(t + dur, 3), text=" " + w))
            t += dur + rng.choice([0.0, 0.05, 0.3, 1.5])
        text = " ".join(w.text.strip() for w in words)
        turns.append(Turn(id=turn_id(words[0].start), start=words[0].start, end=words[-1].end,
                          label=f"S{k % 3}", speaker=f"Speaker {k % 3}", text=text, words=tuple(words)))
        t += 0.5
    record = Turns(turns=tuple(turns), speakers={})
    for prefix in (False, True):
        cues = caption_cues(record, speaker_prefix=prefix)
        for c in cues:
            assert 0 < c.end - c.start <= 7.0 + 1e-6, c
            assert len(c.lines) <= 2 and all(0 < len(line) <= 42 for line in c.lines), c
        for turn in record.turns:
            mine = [c for c in cues if c.turn_id == turn.id]
            body = "".join("".join(c.lines) for c in mine).replace(" ", "")
            if prefix:
                body = body.replace(turn.speaker.replace(" ", "") + ":", "")
            assert body == turn.text.replace(" ", "")


def test_three_line_layout(turns):
    cues = caption_cues(turns, max_lines=3, max_chars=32)
    assert any(len(c.lines) == 3 for c in cues)
    for c in cues:
        assert len(c.lines) <= 3 and all(len(line) <= 32 for line in c.lines), c
    for turn in turns.turns:
        joined = "".join("".join(c.lines) for c in cues if c.turn_id == turn.id)
        assert joined.replace(" ", "") == turn.text.replace(" ", "")
