"""Synthetic meetings: pure timeline layout, a real espeak-ng render, and the committed renders."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from rapporteur.eval import synth
from rapporteur.core.media import container_duration, decode_to_wav, read_wav
from rapporteur.core.session import load_session, parse_session
from rapporteur.eval.synth import Line, ScriptError, SynthOptions

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "recordings" / "demo-ai-governance-roundtable"
FIXTURE = ROOT / "tests" / "fixtures" / "three-speakers"
WS73 = ROOT / "recordings" / "igf2023-ws73"
SR = 16_000

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def lines(*specs) -> list[Line]:
    return [Line(**s) for s in specs]


# ------------------------------------------------------------------ layout


def test_layout_places_lines_after_their_pauses():
    ls = lines(
        {"speaker": "A", "text": "one", "agenda": "Opening"},
        {"speaker": "B", "text": "two"},
        {"speaker": "A", "text": "three", "agenda": "Question"},
    )
    t = synth.layout(ls, [16_000, 8_000, 4_000], [1.0, 0.5, 0.25], sample_rate=SR, tail=2.0)
    assert [p.offset for p in t.lines] == [16_000, 40_000, 52_000]
    assert [(p.start, p.end) for p in t.lines] == [(1.0, 2.0), (2.5, 3.0), (3.25, 3.5)]
    assert [(a.title, a.start) for a in t.agenda] == [("Opening", 1.0), ("Question", 3.25)]
    assert t.samples == 56_000 + 32_000 and t.duration == pytest.approx(5.5)


def test_layout_keeps_listed_agenda_items_without_a_marker():
    ls = lines({"speaker": "A", "text": "x", "agenda": "Second"})
    t = synth.layout(ls, [100], [0.0], agenda=["First", "Second", "Third"])
    assert [(a.title, a.start) for a in t.agenda] == [("First", None), ("Second", 0.0), ("Third", None)]


def test_layout_rejects_mismatched_or_empty_lines():
    ls = lines({"speaker": "A", "text": "x"})
    with pytest.raises(ValueError):
        synth.layout(ls, [100, 200], [0.0])
    with pytest.raises(ValueError, match="no audio"):
        synth.layout(ls, [0], [0.0])


def test_pauses_are_seeded_bounded_and_overridable():
    ls = lines(*({"speaker": "A", "text": str(i)} for i in range(40)))
    opts = SynthOptions(seed=7, pause_min=0.3, pause_max=0.8, lead_in=1.5)
    pauses = synth.draw_pauses(ls, opts)
    assert pauses == synth.draw_pauses(ls, opts)
    assert pauses[0] == 1.5
    assert all(0.3 <= p <= 0.8 for p in pauses[1:])
    assert max(pauses[1:]) - min(pauses[1:]) > 0.2  # they vary
    assert synth.draw_pauses(ls, SynthOptions(seed=8)) != pauses
    # an explicit pause replaces one draw without shifting the others
    ls[5] = Line(speaker="A", text="5", pause_before=2.0)
    changed = synth.draw_pauses(ls, opts)
    assert changed[5] == 2.0 and changed[:5] == pauses[:5] and changed[6:] == pauses[6:]


def test_trim_bounds_finds_the_audible_part():
    x = np.zeros(SR, dtype=np.float32)
    t = np.arange(4_000) / SR
    x[3_000:7_000] = 0.5 * np.sin(2 * np.pi * 220 * t)
    a, b = synth.trim_bounds(x, sample_rate=SR, trim_db=40)
    assert abs(a - 3_000) <= 40 and abs(b - 7_000) <= 40
    assert synth.trim_bounds(np.zeros(100), sample_rate=SR) == (0, 0)


def test_mix_normalises_and_adds_noise_at_the_requested_snr():
    ls = lines({"speaker": "A", "text": "x"}, {"speaker": "B", "text": "y"})
    t = synth.layout(ls, [SR, SR], [0.5, 0.5], sample_rate=SR, tail=0.5)
    rng = np.random.default_rng(0)
    clips = [rng.uniform(-1, 1, SR) * 0.2, rng.uniform(-1, 1, SR) * 0.1]
    opts = SynthOptions(seed=1, snr_db=30.0, peak=0.5)
    audio = synth.mix(t, clips, opts)
    assert audio.dtype == np.float32 and len(audio) == t.samples
    np.testing.assert_array_equal(audio, synth.mix(t, clips, opts))
    speech = np.concatenate([audio[p.offset : p.offset + p.length] for p in t.lines])
    gap = audio[: t.lines[0].offset]
    snr = 20 * math.log10(np.sqrt(np.mean(speech**2)) / np.sqrt(np.mean(gap**2)))
    assert snr == pytest.approx(30.0, abs=1.0)
    assert np.abs(audio).max() == pytest.approx(0.5, abs=0.02)
    with pytest.raises(ValueError):
        synth.mix(t, [clips[0][:-1], clips[1]], opts)


def test_rttm_and_reference_agree_at_millisecond_resolution():
    ls = lines({"speaker": "Ana Maria Silva", "text": "hello"}, {"speaker": "Bo", "text": "hi"})
    t = synth.layout(ls, [12_345, 6_789], [1.0, 0.4321], sample_rate=SR)
    rows = [r.split() for r in synth.rttm_text(t, "demo").splitlines()]
    assert rows[0][:3] == ["SPEAKER", "demo", "1"] and rows[0][7] == "Ana_Maria_Silva"
    for row, p in zip(rows, t.lines):
        assert float(row[3]) == pytest.approx(p.start, abs=5e-4)
        assert float(row[3]) + float(row[4]) == pytest.approx(p.end, abs=1e-3)


def test_mmss_rounds_down_so_the_item_starts_before_its_first_turn():
    assert synth.mmss(0.0) == "00:00"
    assert synth.mmss(61.999) == "01:01"
    assert synth.mmss(3725.2) == "1:02:05"


# ------------------------------------------------------------------ scripts

SCRIPT = {
    "voices": {"Ana Silva": {"voice": "en-us+f3", "pitch": 60}, "Bo Lee": "en-029+m3"},
    "session": {
        "title": "Test",
        "event": "Tests",
        "date": "2025-01-01",
        "speakers": [{"name": "Ana Silva", "role": "moderator"}, {"name": "Bo Lee"}],
        "agenda": [{"title": "Start"}, {"title": "Middle"}, {"title": "End"}],
    },
    "options": {"seed": 5, "lead_in": 0.5},
    "lines": [
        {"agenda": "Start"},
        {"speaker": "Ana Silva", "text": "Hello."},
        {"agenda": "End"},
        {"speaker": "Bo Lee", "text": "  Good\n  bye.  ", "pause_before": 1},
    ],
}


def test_parse_script_reads_voices_lines_markers_and_options():
    s = synth.parse_script(SCRIPT)
    assert s.voices["Bo Lee"] == synth.Voice(voice="en-029+m3")
    assert s.voices["Ana Silva"].pitch == 60
    assert [(ln.speaker, ln.text, ln.agenda, ln.pause_before) for ln in s.lines] == [
        ("Ana Silva", "Hello.", "Start", None),
        ("Bo Lee", "Good bye.", "End", 1.0),
    ]
    assert s.options.seed == 5 and s.options.lead_in == 0.5 and s.agenda_times


def test_parse_script_reports_every_problem_at_once():
    bad = {
        **SCRIPT,
        "extra": 1,
        "session": {**SCRIPT["session"], "agenda": [{"title": "Start", "start": "00:00"}, {"title": "End"}]},
        "voices": {**SCRIPT["voices"], "Cy": {"voice": "en-gb+f3"}},
        "lines": [
            {"speaker": "Nobody", "text": "hi"},
            {"agenda": "Not listed"},
            {"speaker": "Ana Silva", "text": "ok"},
            {"agenda": "End"},
        ],
    }
    with pytest.raises(ScriptError) as err:
        synth.parse_script(bad, source="bad.yaml")
    msg = str(err.value)
    for part in ("extra", "Nobody", "en+f3", "Not listed", "not followed by a line", "Cy", "start:", "bad.yaml"):
        assert part in msg


def test_session_yaml_is_a_valid_session_with_agenda_times(tmp_path):
    s = synth.parse_script(SCRIPT)
    t = synth.layout(s.lines, [SR * 65, SR], [0.5, 1.0], agenda=["Start", "Middle", "End"])
    text = synth.session_yaml(s, t, "recording.ogg")
    session = parse_session(yaml.safe_load(text), tmp_path / "x")
    assert session.warnings == ()
    assert session.recording == "recording.ogg"
    assert [(a.title, a.start) for a in session.agenda] == [("Start", 0.0), ("Middle", None), ("End", 66.0)]
    untimed = synth.parse_script({**SCRIPT, "agenda_times": False})
    session = parse_session(yaml.safe_load(synth.session_yaml(untimed, t, "r.wav")), tmp_path / "x")
    assert [a.start for a in session.agenda] == [None, None, None]


# ------------------------------------------------------------ real renders


def _envelope_db(x: np.ndarray) -> np.ndarray:
    win = int(0.005 * SR)
    power = np.convolve(x.astype(np.float64) ** 2, np.ones(win) / win, mode="same")
    return 10 * np.log10(power + 1e-12)


@needs_espeak
def test_render_reference_times_match_the_audio_energy(tmp_path):
    script = synth.parse_script(
        {
            "voices": {"Ana Silva": "en-us+f3", "Bo Lee": {"voice": "en-029+m3", "pitch": 30}},
            "options": {"seed": 1, "lead_in": 0.6, "tail": 0.6},
            "session": {"title": "Two lines", "speakers": ["Ana Silva", "Bo Lee"]},
            "lines": [
                {"agenda": "Only item"},
                {"speaker": "Ana Silva", "text": "Good morning, and welcome to the meeting."},
                {"speaker": "Bo Lee", "text": "Thank you very much.", "pause_before": 0.7},
            ],
        },
        source="two.yaml",
    )
    out = tmp_path / "two-lines"
    ref = synth.render(script, out, fmt="wav")
    audio = read_wav(out / "recording.wav")
    assert len(audio) / SR == pytest.approx(ref.duration, abs=1e-3)
    env = _envelope_db(audio)
    first, second = ref.turns
    assert second.start - first.end == pytest.approx(0.7, abs=2e-3)

    def span(a: float, b: float) -> np.ndarray:
        return env[int(a * SR) : int(b * SR)]

    noise = float(np.median(span(0.05, first.start - 0.05)))
    assert -70 < noise < -40  # noise is there, and quiet
    speech = np.concatenate([audio[int(t.start * SR) : int(t.end * SR)] for t in ref.turns])
    speech_rms = 10 * np.log10(np.mean(speech.astype(np.float64) ** 2))
    assert speech_rms - noise == pytest.approx(35.0, abs=3.0)
    for turn in ref.turns:  # tight: speech right at both edges, none just outside
        assert span(turn.start, turn.start + 0.02).max() > noise + 6
        assert span(turn.end - 0.02, turn.end).max() > noise + 6
        assert span(turn.start - 0.3, turn.start - 0.005).max() < noise + 4
        assert span(turn.end + 0.005, turn.end + 0.3).max() < noise + 4

    rttm = (out / "reference.rttm").read_text().split()
    assert rttm[7] == "Ana_Silva" and rttm[1] == "two-lines"
    assert json.loads((out / "reference.json").read_text())["turns"][1]["text"] == "Thank you very much."
    session = load_session(out)
    assert session.warnings == () and session.recording == "recording.wav"
    assert [(a.title, a.start) for a in session.agenda] == [("Only item", 0.0)]


@needs_espeak
def test_render_ogg_decodes_to_the_reference_duration(tmp_path):
    script = synth.parse_script(
        {
            "voices": {"A": "en-us"},
            "session": {"title": "One line"},
            "lines": [{"speaker": "A", "text": "Testing the recording."}],
        }
    )
    ref = synth.render(script, tmp_path / "one", fmt="ogg")
    decoded = decode_to_wav(tmp_path / "one" / "recording.ogg", tmp_path / "audio.wav")
    assert decoded == pytest.approx(ref.duration, abs=0.03)
    assert synth.main([str(tmp_path / "missing.yaml"), str(tmp_path / "x")]) == 1


# -------------------------------------------------------- committed renders


@pytest.mark.parametrize("folder", [DEMO, FIXTURE, WS73], ids=lambda p: p.name)
def test_committed_sessions_load_without_warnings(folder):
    session = load_session(folder)
    assert session.warnings == ()
    assert session.title and session.year and session.speakers and session.agenda  # WS #73: no date on its page, the year from its event

def test_ws73_roster_and_agenda():
    session = load_session(WS73)
    roles = {p.name: p.role for p in session.speakers}
    assert roles == {
        "Bu Zhong": "moderator",
        "Xianhong Hu": "speaker",
        "Fatima Roumate": "speaker",
        "Xingdong Fang": "online moderator, rapporteur",
        "Wenxiang Zhang": "organiser",
        "Zhu Xiaobiao": "organiser",
    }
    # the page gives no date: none is invented, and the session still files under its event's year
    assert session.recording is None and session.date is None and session.event == "IGF 2023" and session.year == 2023
    assert session.agenda[-1].title == "How can we achieve interconnection of global AI governance mechanisms?"


@pytest.mark.parametrize(
    "folder,script,max_bytes,min_seconds",
    [(DEMO, "demo.yaml", 1_000_000, 150.0), (FIXTURE, "fixture-3speakers.yaml", 200_000, 25.0)],
    ids=["demo", "fixture"],
)
def test_committed_renders_match_their_scripts(folder, script, max_bytes, min_seconds):
    ref = synth.load_reference(folder / "reference.json")
    source = synth.load_script(ROOT / "scripts" / "synth" / script)
    # the render is up to date with the script (rerun scripts/synth/make_demo.sh otherwise)
    assert [(t.speaker, t.text) for t in ref.turns] == [(ln.speaker, ln.text) for ln in source.lines]
    assert dict(ref.voices) == dict(source.voices)
    rttm = [r.split() for r in (folder / "reference.rttm").read_text().splitlines()]
    assert len(rttm) == len(ref.turns)
    for row, turn in zip(rttm, ref.turns):
        assert row[7] == synth.rttm_name(turn.speaker)
        assert float(row[3]) == pytest.approx(turn.start, abs=1e-3)
        assert float(row[3]) + float(row[4]) == pytest.approx(turn.end, abs=2e-3)
    assert all(a.end < b.start for a, b in zip(ref.turns, ref.turns[1:]))
    session = load_session(folder)
    assert set(ref.speakers) <= set(session.roster_names())
    assert [(a.title, a.start) for a in session.agenda] == [(a.title, math.floor(a.start)) for a in ref.agenda]
    recording = folder / ref.recording
    assert recording.stat().st_size <= max_bytes
    assert ref.duration >= min_seconds
    assert container_duration(recording) == pytest.approx(ref.duration, abs=0.1)
