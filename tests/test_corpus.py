"""The evaluation corpus generator (rapporteur.eval.corpus) on a 1-2 minute panel.

Checks that the ground truth is exact (turn times match the audible speech, back-channels overlap
their host and are marked, the texts with and without back-channels differ by exactly those words,
floor speakers are off the roster, clips cut at silences and carry their own references) and that
the room effects do what they say (telephone band, reverberation tail, SNR, applause).
"""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
import yaml

from rapporteur.eval import corpus
from rapporteur.eval.synth import SAMPLE_RATE, Voice, load_reference

pytestmark = [
    pytest.mark.slow,  # renders a panel with espeak-ng and encodes it (about 30 s)
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed"),
]

TEXT = (
    "The Internet is for everybody, and the IGF is for everybody who cares about the Internet. "
    "We will take good and copious notes. And we will keep this in mind for next year. "
    "What drives us is a vision of a digital society that is defined and governed collaboratively. "
    "It is one thing when you have affordable broadband connectivity, but what do you put in place next? "
    "Please keep your interventions to a maximum of ninety seconds. The shorter, the better. "
) * 4

SPEC = {
    "id": "mini", "title": "a small test panel", "topic": "testing", "seed": 7, "minutes": 1.5, "pool": "test",
    "room": {"rt60": 0.5, "noise": "pink", "snr_db": 20},
    "chatter_lines": 2, "scale": 0.08,
    "people": [
        {"name": "Amara Okoye", "role": "moderator", "title": "Dr.", "position": "director", "affiliation": "Lagos Lab",
         "voice": "en-us+f2", "pitch": 60, "speed": 170},
        {"name": "Tomas Berg", "role": "online moderator", "affiliation": "Nordic Hub", "voice": "en+m3", "speed": 175},
        {"name": "Wei Lin", "title": "Ms.", "position": "adviser", "affiliation": "Data Institute", "voice": "en-us+f4",
         "pitch": 70, "speed": 175},
        {"name": "Raj Patel", "title": "Mr.", "position": "engineer", "affiliation": "Net Co", "remote": True,
         "voice": "en-029+m2", "speed": 175},
        {"name": "Omar Haddad", "role": "floor", "intro": "a student from Cairo", "voice": "en-029+m3", "speed": 175},
    ],
    "askers": [["Lucia Ferreyra", "Lima"]],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    spec = corpus.panel_from_dict(SPEC)
    passages = [corpus.Passage(url="https://example.org/t", title="t", sentences=tuple(corpus.split_sentences(TEXT)))]
    facts = corpus.build_panel(spec, out / "mini", passages=passages, clips_dir=out / "clips")
    return spec, out, facts


def _audio(path):
    from rapporteur.core.media import ffmpeg_exe

    raw = subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar",
                          str(SAMPLE_RATE), "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0


def test_ground_truth_is_exact(built):
    spec, out, facts = built
    truth = json.loads((out / "mini" / "corpus.json").read_text())
    ref = load_reference(out / "mini" / "reference.json")
    assert len(ref.turns) == len(truth["turns"]) and facts["voices"] == 5
    kinds = {t["kind"] for t in truth["turns"]}
    assert {"speech", "chatter"} <= kinds
    # every agenda item opened, in order, at the start of a turn
    starts = [a["start"] for a in truth["agenda"]]
    assert all(s is not None for s in starts) and starts == sorted(starts)
    assert all(any(abs(t.start - s) < 1e-3 for t in ref.turns) for s in starts)
    # non-back-channel turns do not overlap; back-channels lie inside their host
    main = [t for t in truth["turns"] if t["kind"] != "backchannel"]
    assert all(a["end"] <= b["start"] for a, b in zip(main, main[1:]))
    for t in truth["turns"]:
        if t["kind"] == "backchannel":
            host = truth["turns"][t["host"]]
            assert host["start"] < t["start"] < host["end"] and t["text"] in corpus.BACKCHANNELS
    n_bc = sum(t["kind"] == "backchannel" for t in truth["turns"])
    assert len(truth["text_with_backchannels"].split()) - len(truth["text_without_backchannels"].split()) == n_bc
    # the floor speaker introduces himself and is not on the roster
    session = yaml.safe_load((out / "mini" / "session.yaml").read_text())
    assert "Omar Haddad" not in [p["name"] for p in session["speakers"]]
    assert any(t["speaker"] == "Omar Haddad" and "My name is Omar Haddad" in t["text"] for t in truth["turns"])
    assert "Next to me" in truth["text_without_backchannels"] or "On my left" in truth["text_without_backchannels"]
    # the RTTM has a line per turn
    assert len((out / "mini" / "reference.rttm").read_text().splitlines()) == len(ref.turns)


def test_turn_times_match_the_audio(built):
    spec, out, facts = built
    x = _audio(out / "mini" / "recording.ogg")
    ref = load_reference(out / "mini" / "reference.json")
    assert abs(len(x) / SAMPLE_RATE - ref.duration) < 0.1

    def rms(a, b):
        seg = x[int(a * SAMPLE_RATE): int(b * SAMPLE_RATE)]
        return float(np.sqrt(np.mean(seg**2))) if len(seg) else 0.0

    speech = [t for t in ref.turns if t.end - t.start > 1.0]
    quiet = np.median([rms(0.2, 2.5)])  # before the first chatter line: room noise only
    assert all(rms(t.start, t.end) > 3 * quiet for t in speech)


def test_room_effects_do_what_they_say():
    rng = np.random.default_rng(0)
    x = corpus.speak("Thank you very much for having me today.", Voice(voice="en-us+m2"), __import__("pathlib").Path(
        __import__("tempfile").mkdtemp()))
    from scipy.signal import welch

    # telephone: energy outside 300-3400 Hz at least 25 dB down (relative to in-band)
    f, p = welch(corpus.telephone(x), fs=SAMPLE_RATE, nperseg=1024)
    f0, p0 = welch(x, fs=SAMPLE_RATE, nperseg=1024)
    band = (f > 400) & (f < 3200)
    high = f > 4500
    assert 10 * np.log10(p[high].mean() / p[band].mean()) < 10 * np.log10(p0[high].mean() / p0[band].mean()) - 25
    # reverberation: the impulse response decays by 60 dB in about rt60
    ir = corpus.impulse_response(0.6, 0.0, rng)
    e = np.cumsum(ir[::-1] ** 2)[::-1]  # Schroeder integral
    edc = 10 * np.log10(e / e[0])
    t20 = np.argmax(edc < -25) - np.argmax(edc < -5)
    assert 0.4 < 3 * t20 / SAMPLE_RATE < 0.8
    assert len(corpus.reverberate(x, ir)) == len(x) + len(ir) - 1
    # pink noise: more energy at low frequencies (about -3 dB per octave)
    f, p = welch(corpus.pink_noise(SAMPLE_RATE * 4, rng), fs=SAMPLE_RATE, nperseg=4096)
    slope = np.polyfit(np.log2(f[(f > 100) & (f < 4000)]), 10 * np.log10(p[(f > 100) & (f < 4000)]), 1)[0]
    assert -4.5 < slope < -1.5
    # applause: noise bursts, band-limited, of the asked length
    a = corpus.applause_burst(3.0, rng)
    assert len(a) == 3 * SAMPLE_RATE and abs(np.sqrt(np.mean(a**2)) - 1) < 1e-3


def test_snr_and_levels(built):
    spec, out, facts = built
    x = _audio(out / "mini" / "recording.ogg")
    ref = load_reference(out / "mini" / "reference.json")
    truth = json.loads((out / "mini" / "corpus.json").read_text())
    hop = SAMPLE_RATE // 100  # 10 ms frames
    frames = x[: len(x) // hop * hop].reshape(-1, hop)
    power = (frames**2).mean(axis=1)
    busy = np.zeros(len(power), bool)
    spans = [(t.start, t.end) for t in ref.turns] + [tuple(a) for a in truth["applause"]]
    for a, b in spans:
        busy[max(0, int(a * 100) - 100): int(b * 100) + 150] = True  # a margin for reverberation tails
    speech = np.zeros(len(power), bool)
    for t in ref.turns:
        if t.speaker == "Amara Okoye":
            speech[int(t.start * 100): int(t.end * 100)] = True
    assert (~busy).sum() > 100
    snr = 10 * np.log10(power[speech].mean() / power[~busy].mean())
    assert 10 < snr < 35  # noise is there, well under the speech (20 dB asked for the mix as a whole)


def test_clips_cut_at_silences_with_their_own_reference(built):
    spec, out, facts = built
    clips = sorted((out / "clips").iterdir())
    assert len(clips) == facts["clips"] >= 1
    full = load_reference(out / "mini" / "reference.json")
    n = 0
    for c in clips:
        ref = load_reference(c / "reference.json")
        truth = json.loads((c / "corpus.json").read_text())
        assert ref.duration <= 180.5 and all(0 <= t.start < t.end <= ref.duration + 1e-3 for t in ref.turns)
        assert truth["clip_of"] == "mini"
        n += len(ref.turns)
    assert n == len(full.turns)  # every turn in exactly one clip
