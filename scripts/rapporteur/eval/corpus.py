"""An evaluation corpus of real size: IGF-like panels of 45-90 minutes, with exact ground truth.

Each panel is built like an IGF round table: chatter before the start, an opening in which the
moderator introduces every panellist by name, title and organisation, rounds of interventions
with hand-offs, an online moderator reading questions from the chat, floor speakers who are not
on the roster and introduce themselves, a closing; back-channels ("yes", "mm-hm") spoken OVER
the speaker, applause, remote speakers in telephone band, reverberation, noise and different
microphone levels.  What people say is taken from IGF's published raw caption transcripts
(``benchmarks/corpus/sources/``); the panels are described in ``benchmarks/corpus/panels.yaml``.

Everything is seeded: the same spec renders the same audio (espeak-ng is deterministic).

    python -m rapporteur.eval.corpus build OUTDIR [--panels ID,...] [--no-clips]

writes ``OUTDIR/panels/<id>/`` (session.yaml, recording.ogg, reference.json, reference.rttm,
corpus.json) and ``OUTDIR/clips/<id>/<id>-cNN/`` — the same audio cut at turn boundaries into
clips of ~1.5-3 minutes, each a session folder with its own reference.

``reference.json`` has the form of :mod:`rapporteur.eval.synth` (so ``rapporteur evaluate`` reads
it); back-channel turns are in it and overlap their host turn.  ``corpus.json`` has the rest of
the truth: turn kinds (speech, chatter, back-channel), who is on the roster, who is remote,
applause, the reference text with and without back-channels, speech seconds per speaker.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import yaml

from ..core.fsutil import write_text_atomic
from ..core.records import SpeechTurn, sec, to_json
from .synth import (
    SAMPLE_RATE,
    ReferenceAgendaItem,
    ReferenceTurn,
    SynthReference,
    Voice,
    espeak_version,
    speak,
    trim_bounds,
    wav_bytes,
)

SPEC_DIR = Path(__file__).resolve().parents[3] / "benchmarks" / "corpus"
BACKCHANNELS = ("yes", "right", "mm-hm", "exactly", "okay", "yeah", "indeed", "true")
AGENDA = ("Opening and introductions", "First round", "Second round: responses",
          "Questions from the floor and online", "Closing remarks")


# ------------------------------------------------------------------ spec


@dataclass(frozen=True, kw_only=True)
class Person:
    name: str
    role: str = "speaker"  # session.yaml role; "floor" for people not on the roster
    affiliation: str = ""
    title: str = ""  # "Dr.", "Professor", "Ms." ... as the moderator says it
    position: str = ""  # "senior policy adviser"
    intro: str = ""  # floor speakers: how they introduce themselves ("a student from ...")
    first_only: bool = False  # floor speaker gives only a first name
    remote: bool = False  # telephone band, no room reverberation
    voice: Voice = Voice()
    gain_db: float = 0.0  # microphone level relative to the others
    drr_db: float = 8.0  # direct-to-reverberant ratio of this seat's microphone

    @property
    def first(self) -> str:
        return self.name.split()[0]

    @property
    def last(self) -> str:
        return self.name.split()[-1]

    @property
    def formal(self) -> str:
        return f"{self.title} {self.last}" if self.title else self.first

    @property
    def on_roster(self) -> bool:
        return self.role != "floor"


@dataclass(frozen=True, kw_only=True)
class Room:
    rt60: float = 0.5  # seconds
    noise: str = "pink"  # pink | babble
    snr_db: float = 22.0  # speech RMS over noise RMS
    applause_db: float = -4.0  # applause RMS relative to speech RMS


@dataclass(frozen=True, kw_only=True)
class PanelSpec:
    id: str
    title: str
    topic: str
    seed: int
    minutes: float
    pool: str  # sources file stem: "tuned", "heldout"
    held_out: bool = False
    date: str = "2025-06-24"
    event: str = "Rapporteur evaluation corpus (synthetic IGF panel)"
    room: Room = Room()
    people: tuple[Person, ...] = ()
    askers: tuple[tuple[str, str], ...] = ()  # online questions: (name, place)
    chatter_lines: int = 6
    scale: float = 1.0  # multiplies the length of every intervention (small test panels)

    def by_role(self, role: str) -> list[Person]:
        return [p for p in self.people if role in [r.strip() for r in p.role.split(",")]]


def _person(d: Mapping[str, Any]) -> Person:
    d = dict(d)
    voice = Voice(**{k: d.pop(k) for k in ("voice", "pitch", "speed", "amplitude", "word_gap") if k in d})
    return Person(voice=voice, **d)


def panel_from_dict(d: Mapping[str, Any]) -> PanelSpec:
    d = dict(d)
    people = tuple(_person(p) for p in d.pop("people", ()))
    room = Room(**d.pop("room", {}))
    askers = tuple(tuple(a) for a in d.pop("askers", ()))
    return PanelSpec(people=people, room=room, askers=askers, **d)


def load_specs(path: Path | None = None) -> list[PanelSpec]:
    path = Path(path or SPEC_DIR / "panels.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [panel_from_dict(p) for p in data["panels"]]


# --------------------------------------------------------------- sources


@dataclass(frozen=True, kw_only=True)
class Passage:
    url: str
    title: str
    sentences: tuple[str, ...]


_SELF_INTRO = re.compile(r"\bmy name is\b|\bI am [A-Z][a-z]+ [A-Z]|\bI'm [A-Z][a-z]+ [A-Z][a-z]+,", re.I)


def clean_text(text: str) -> str:
    """Captioning artefacts out: dashes used as breaks, (?) marks, brackets, doubled spaces."""
    text = text.replace("\u2011", "-").replace("\u2010", "-").replace("\u2019", "'")
    text = re.sub(r"\s*(‑‑|--|—)\s*", ", ", text)
    text = re.sub(r"\((?:\?|inaudible|poor audio|indicating)\)|\[[^\]]*\]", "", text, flags=re.I)
    text = re.sub(r"\s+([,.!?])", r"\1", text)
    text = re.sub(r",\s*,", ",", text)
    return re.sub(r"\s+", " ", text).strip()


def split_sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])", clean_text(text)) if s]


def load_passages(pool: str, directory: Path | None = None) -> list[Passage]:
    """The passages of ``sources/<pool>.txt``: ``### url:`` / ``### title:`` headers, then text."""
    path = Path(directory or SPEC_DIR / "sources") / f"{pool}.txt"
    passages: list[Passage] = []
    url = title = ""
    body: list[str] = []

    def flush() -> None:
        if url and body:
            sents = [s for s in split_sentences(" ".join(body)) if not _SELF_INTRO.search(s)]
            passages.append(Passage(url=url, title=title, sentences=tuple(sents)))

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("### url:"):
            flush()
            url, title, body = line[8:].strip(), "", []
        elif line.startswith("### title:"):
            title = line[10:].strip()
        elif line.startswith("#") or not line.strip():
            continue
        else:
            body.append(line.strip())
    flush()
    return passages


class Pool:
    """Sentences of the passages, passage order shuffled by the seed; ``take`` pops whole sentences."""

    def __init__(self, passages: Sequence[Passage], rng: np.random.Generator):
        order = rng.permutation(len(passages))
        self.items = [(passages[i].url, s) for i in order for s in passages[i].sentences]
        self.pos = 0
        self.used: dict[str, int] = {}
        self.scale = 1.0

    @property
    def words_left(self) -> int:
        return sum(len(s.split()) for _, s in self.items[self.pos:])

    def take(self, n_words: int) -> str:
        n_words = max(1, int(n_words * self.scale))
        out: list[str] = []
        count = 0
        while self.pos < len(self.items) and (count < n_words or not out):
            url, s = self.items[self.pos]
            self.pos += 1
            out.append(s)
            count += len(s.split())
            self.used[url] = self.used.get(url, 0) + 1
        return " ".join(out)


# ---------------------------------------------------------------- script


@dataclass(kw_only=True)
class Utt:
    """One thing that happens on the timeline, in order; back-channels ride on a host utterance."""

    speaker: str = ""
    text: str = ""
    kind: str = "speech"  # speech | chatter | applause
    pause: float = 0.5  # seconds of silence before it
    agenda: str | None = None
    gain_db: float = 0.0  # extra gain (chatter is far from the microphones)
    seconds: float = 0.0  # applause length
    backchannels: list[tuple[str, str, float]] = field(default_factory=list)  # (speaker, word, fraction)


def _choice(rng: np.random.Generator, items: Sequence[Any]) -> Any:
    return items[int(rng.integers(len(items)))]


CHATTER = (
    "Can you hear me at the back? Is this microphone on?",
    "Yes, we can hear you online. The remote speakers are connected.",
    "Is there any water on this table? Thank you.",
    "We will start in two minutes. There are free seats here in the front.",
    "Shall I use this microphone or the one over there?",
    "Could someone close the door, please? It is a bit noisy outside.",
    "The slides are on the shared screen, I think. Can you check?",
    "Good morning. Did you find the room easily? It is a big building.",
    "I think we are still waiting for one or two people.",
    "Please switch your phones to silent. Thank you.",
)


def build_script(spec: PanelSpec, pool: Pool, rng: np.random.Generator) -> list[Utt]:
    """The order of events of one panel, sized to ``spec.minutes`` (or until the pool runs out)."""
    mod = spec.by_role("moderator")[0]
    online = (spec.by_role("online moderator") or [mod])[0]
    rapporteur = spec.by_role("rapporteur")
    panel = spec.by_role("speaker")
    floor = [p for p in spec.people if not p.on_roster]
    present = [p for p in spec.people if p.on_roster and not p.remote]
    speed = {p.name: p.voice.speed for p in spec.people}
    script: list[Utt] = []
    target = spec.minutes * 60.0

    def est() -> float:
        return sum(u.pause + (u.seconds or len(u.text.split()) * 60.0 / (1.2 * speed.get(u.speaker, 160))) for u in script)

    def say(who: Person, text: str, *, pause: float | None = None, agenda: str | None = None, bc: bool = True) -> Utt | None:
        text = text.strip()
        if not text:
            return None
        u = Utt(speaker=who.name, text=text, agenda=agenda,
                pause=float(rng.uniform(0.4, 1.6)) if pause is None else pause)
        n = len(text.split())
        if bc and n >= 40 and rng.random() < 0.6:
            listeners = [p for p in present if p.name != who.name] or [mod]
            for _ in range(1 + int(n >= 150 and rng.random() < 0.5)):
                u.backchannels.append((_choice(rng, listeners).name, _choice(rng, BACKCHANNELS),
                                       float(rng.uniform(0.2, 0.85))))
        script.append(u)
        return u

    def applause(seconds: float) -> None:
        script.append(Utt(kind="applause", seconds=seconds, pause=float(rng.uniform(0.1, 0.4))))

    def intro_of(p: Person, i: int) -> str:
        t = f"{p.title} " if p.title else ""
        if p.remote:
            return f"Joining us online, {t}{p.name}, {p.position} at {p.affiliation}."
        forms = (f"Next to me, {t}{p.name} from {p.affiliation}.",
                 f"On my left, we have {t}{p.name}, {p.position} at {p.affiliation}.",
                 f"Then {t}{p.name}, who is {p.position} with {p.affiliation}.",
                 f"And at the end of the table, {t}{p.name} from {p.affiliation}.")
        return forms[i % len(forms)]

    # chatter before the start: people talking away from the microphones, long silences
    talkers = [p for p in spec.people if not p.remote]
    lines = list(rng.permutation(len(CHATTER)))[: spec.chatter_lines]
    for k, j in enumerate(lines):
        who = online if "online" in CHATTER[j] else _choice(rng, talkers)
        script.append(Utt(speaker=who.name, text=CHATTER[j], kind="chatter", gain_db=-9.0,
                          pause=float(rng.uniform(2.0, 9.0)) if k else 3.0))

    # opening
    greeting = _choice(rng, ("Good morning", "Good afternoon", "Good evening"))
    say(mod, f"{greeting}, everyone, and welcome to this workshop on {spec.title}. My name is {mod.name}, I am "
             f"{mod.position} at {mod.affiliation}, and I will be moderating this session. We have a wonderful "
             "panel today, here in the room and online.", pause=4.0, agenda=AGENDA[0], bc=False)
    for i in range(0, len(panel), 2):
        pair = panel[i:i + 2]
        say(mod, " ".join(intro_of(p, i + k) for k, p in enumerate(pair)), bc=False)
        for p in pair:
            if not p.remote and rng.random() < 0.5:
                say(p, _choice(rng, ("Thank you.", "Thank you, good morning.", "Hello, everyone.")), pause=0.3)
    extra = [f"{online.name} from {online.affiliation} is our online moderator and will bring in the questions from the chat."]
    if rapporteur:
        extra.append(f"And {rapporteur[0].name} from {rapporteur[0].affiliation} is our rapporteur today.")
    say(mod, " ".join(extra), bc=False)
    say(mod, pool.take(int(rng.integers(90, 150))))
    say(mod, "Please join me in welcoming our panel.", bc=False)
    applause(float(rng.uniform(3.0, 5.5)))

    def handoff(p: Person, k: int, agenda: str | None = None, question: bool = False) -> None:
        t = f"{p.title} " if p.title else ""
        q = " " + pool.take(int(rng.integers(25, 55))) if question else ""
        if p.remote:
            say(mod, f"We now go online to {t}{p.last}.{q} {p.first}, can you hear us?", agenda=agenda, bc=False)
            say(p, "Yes, can you hear me now? Okay. Thank you very much for having me.", pause=float(rng.uniform(3.0, 8.0)))
            return
        forms = (f"{p.first}, the floor is yours.", f"Let me turn to {p.formal}.{q}",
                 f"I would now like to invite {p.name} from {p.affiliation} to share a perspective.{q}",
                 f"{p.formal}, please.{q}")
        say(mod, forms[k % len(forms)], agenda=agenda, bc=False)

    # first round: long interventions
    say(mod, f"Let us start with a first round on {spec.topic}. Each speaker has about five minutes.",
        agenda=AGENDA[1], bc=False)
    for k, p in enumerate(panel):
        handoff(p, k, question=rng.random() < 0.5)
        thanks = _choice(rng, (f"Thank you, {mod.first}.", "Thank you very much, and good morning to everyone.",
                               "Thank you for the invitation."))
        say(p, thanks + " " + pool.take(int(rng.integers(200, 330))), pause=float(rng.uniform(0.4, 1.4)))
        if rng.random() < 0.6:
            say(mod, _choice(rng, (f"Thank you, {p.first}.", f"Thank you very much, {p.formal}.", "Thank you.")))

    # second round: responses
    say(mod, "Let us take a second round. I would like each of you to respond to what you heard.",
        agenda=AGENDA[2], bc=False)
    for k in rng.permutation(len(panel)):
        p = panel[int(k)]
        other = _choice(rng, [q for q in panel if q.name != p.name])
        if not p.remote or rng.random() < 0.5:
            handoff(p, int(k) + 1)
        lead = _choice(rng, (f"I would like to build on what {other.first} said.", f"I agree with {other.formal}.",
                             f"Just a short reaction to {other.first}."))
        say(p, lead + " " + pool.take(int(rng.integers(110, 200))))
        if rng.random() < 0.3:
            others = [q for q in panel if q.name != p.name and not q.remote]
            butt = _choice(rng, others) if others else mod
            say(butt, "If I may add one point. " + pool.take(int(rng.integers(20, 45))), pause=0.25)

    # questions: floor and online, until the time is used (closing words kept aside)
    reserve = int((70 * len(panel) + 120) * spec.scale)
    say(mod, "Now we open the floor. Please introduce yourself and keep your question short. "
             f"{online.first}, do we have questions online?", agenda=AGENDA[3], bc=False)
    askers = list(spec.askers)
    queue = list(floor)
    turn = 0
    while queue or (pool.words_left > reserve and est() < target - 60 * 3):
        target_p = _choice(rng, panel)
        t = f"{target_p.title} " if target_p.title else ""
        if queue and (turn % 2 == 0 or not askers):
            f = queue.pop(0)
            if turn:
                say(mod, _choice(rng, ("Yes, please, the gentleman here.", "The lady at the microphone, please.",
                                       "Please, go ahead.", "We take one more question from the room.")), bc=False)
            name = f.first if f.first_only else f.name
            say(f, f"Thank you. My name is {name}, I am {f.intro}. My question is for {t}{target_p.last}. "
                   + pool.take(int(rng.integers(45, 100))) + " Thank you.", pause=float(rng.uniform(0.8, 2.5)))
        elif askers:
            who, place = askers.pop(0)
            say(online, f"We have a question from the chat, from {who} in {place}. The question is for "
                        f"{t}{target_p.last}. " + pool.take(int(rng.integers(35, 75))))
        else:
            other = _choice(rng, [q for q in panel if q.name != target_p.name])
            say(mod, f"{other.first}, would you like to respond as well?", bc=False)
            target_p = other
        say(target_p, pool.take(int(rng.integers(80, 170))), pause=float(rng.uniform(0.6, 2.0)))
        turn += 1

    # closing
    say(mod, "We are almost out of time. I would like to ask each panellist for one final remark, one minute each.",
        agenda=AGENDA[4], bc=False)
    for k, p in enumerate(panel):
        say(mod, f"{p.first}?", bc=False) if k and rng.random() < 0.5 else None
        say(p, pool.take(int(rng.integers(40, 80))))
    if rapporteur:
        say(rapporteur[0], "I will circulate the report of this session within two weeks. Thank you all.", bc=False)
    names = ", ".join(p.name for p in panel[:-1]) + f" and {panel[-1].name}"
    say(mod, f"Thank you to {names}, to our online moderator {online.name}, and to all of you here and online. "
             "This session is now closed.", bc=False)
    applause(float(rng.uniform(4.0, 7.0)))
    return script


# --------------------------------------------------------------- room DSP


def db(x: float) -> float:
    return 10.0 ** (x / 20.0)


def impulse_response(rt60: float, drr_db: float, rng: np.random.Generator, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Synthetic room: a direct path plus exponentially decaying noise (-60 dB at ``rt60``), scaled to ``drr_db``."""
    n = int(sr * min(1.5 * rt60, 1.2))
    t = np.arange(n) / sr
    tail = rng.standard_normal(n) * np.exp(-6.907755 * t / rt60)
    tail[: int(0.002 * sr)] = 0.0  # first reflections arrive after the direct sound
    tail *= db(-drr_db) / max(np.sqrt(np.sum(tail**2)), 1e-12)
    tail[0] += 1.0
    return tail.astype(np.float32)


def reverberate(x: np.ndarray, ir: np.ndarray) -> np.ndarray:
    from scipy.signal import fftconvolve

    return fftconvolve(x, ir).astype(np.float32)


def telephone(x: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """300-3400 Hz band-pass, 8 kHz resampling and light compression (ratio 3 above -20 dB)."""
    from scipy.signal import butter, resample_poly, sosfilt

    y = sosfilt(butter(4, [300, 3400], btype="bandpass", fs=sr, output="sos"), x)
    y = resample_poly(resample_poly(y, 1, 2), 2, 1)[: len(x)]
    win = int(0.02 * sr)
    env = np.sqrt(np.convolve(y**2, np.ones(win) / win, mode="same")) + 1e-9
    thr = np.sqrt(np.mean(y**2)) * db(-6)
    gain = np.where(env > thr, (env / thr) ** (1 / 3 - 1), 1.0)
    return (y * gain).astype(np.float32)


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """1/f noise (Kellet's IIR on white noise), unit RMS, made in blocks."""
    from scipy.signal import lfilter, lfilter_zi

    b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
    a = [1.0, -2.494956002, 2.017265875, -0.522189400]
    zi = lfilter_zi(b, a) * 0.0
    out = np.empty(n, dtype=np.float32)
    block = 1 << 20
    for i in range(0, n, block):
        y, zi = lfilter(b, a, rng.standard_normal(min(block, n - i)), zi=zi)
        out[i:i + len(y)] = y
    return out / max(float(np.sqrt(np.mean(out[: min(n, 1 << 22)] ** 2))), 1e-12)


def babble_noise(n: int, texts: Sequence[str], rng: np.random.Generator, workdir: Path) -> np.ndarray:
    """Crowd murmur: several espeak talkers, time-reversed (no intelligible words), looped, reverberant."""
    voices = ("en-us+m2", "en+f2", "en-us+f4", "en+m4", "en-gb-scotland+m3", "en-029+f1")
    out = np.zeros(n, dtype=np.float32)
    ir = impulse_response(1.0, -3.0, rng)
    for k, text in enumerate(texts):
        v = Voice(voice=voices[k % len(voices)], pitch=int(rng.integers(30, 75)), speed=int(rng.integers(140, 190)))
        x = speak(text, v, workdir)[::-1]
        x = reverberate(x / (np.sqrt(np.mean(x**2)) + 1e-9), ir)
        reps = np.resize(x, n + len(x))
        off = int(rng.integers(len(x)))
        out += reps[off:off + n]
    return out / max(float(np.sqrt(np.mean(out**2))), 1e-12)


def applause_burst(seconds: float, rng: np.random.Generator, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Synthesised applause: many short decaying noise bursts (claps), band-passed, with a swell and fade."""
    from scipy.signal import butter, sosfilt

    n = int(seconds * sr)
    env = np.zeros(n, dtype=np.float32)
    clap = np.exp(-np.arange(int(0.03 * sr)) / (0.004 * sr)).astype(np.float32)
    for t0 in rng.integers(0, n - len(clap), size=int(seconds * 45)):
        env[t0:t0 + len(clap)] += clap * float(rng.uniform(0.3, 1.0))
    y = sosfilt(butter(2, [700, 5000], btype="bandpass", fs=sr, output="sos"), rng.standard_normal(n) * env)
    t = np.arange(n) / sr
    shape = np.minimum(1.0, t / 0.4) * np.minimum(1.0, (seconds - t) / 1.2)
    y = y * np.clip(shape, 0.0, 1.0)
    return (y / max(float(np.sqrt(np.mean(y**2))), 1e-12)).astype(np.float32)


# ---------------------------------------------------------------- render


@dataclass(frozen=True, kw_only=True)
class PlacedTurn:
    speaker: str
    start: float
    end: float
    text: str
    kind: str  # speech | chatter | backchannel
    host: int | None = None  # back-channel: index of the turn it overlaps
    word_index: int | None = None  # back-channel: where its word falls in the host's text


@dataclass
class Rendered:
    audio: np.ndarray
    turns: list[PlacedTurn]
    applause: list[tuple[float, float]]
    agenda: list[tuple[str, float | None]]


def render_script(spec: PanelSpec, script: Sequence[Utt], rng: np.random.Generator, workdir: Path,
                  noise_texts: Sequence[str] = ()) -> Rendered:
    people = {p.name: p for p in spec.people}
    irs = {p.name: impulse_response(spec.room.rt60, p.drr_db, rng) for p in spec.people}
    far_ir = impulse_response(spec.room.rt60, 0.0, rng)
    pieces: list[tuple[int, np.ndarray]] = []  # (offset, processed audio incl. reverb tail)
    speech_mask_spans: list[tuple[int, int]] = []
    turns: list[PlacedTurn] = []
    applause: list[tuple[float, float]] = []
    starts: dict[str, float] = {}
    cursor = 0

    def voice_clip(name: str, text: str, gain_db: float = 0.0, far: bool = False) -> tuple[np.ndarray, np.ndarray]:
        p = people[name]
        x = speak(text, p.voice, workdir)
        a, b = trim_bounds(x, trim_db=40.0)
        dry = x[a:b].copy()
        dry /= max(float(np.sqrt(np.mean(dry**2))), 1e-9)  # every voice at the same level before the microphone
        g = db(p.gain_db + gain_db)
        wet = telephone(dry) if p.remote else reverberate(dry, far_ir if far else irs[name])
        return dry, wet * g

    for u in script:
        offset = cursor + int(round(u.pause * SAMPLE_RATE))
        if u.kind == "applause":
            x = applause_burst(u.seconds, rng)
            pieces.append((offset, x * np.float32(db(spec.room.applause_db))))
            applause.append((offset / SAMPLE_RATE, (offset + len(x)) / SAMPLE_RATE))
            cursor = offset + len(x)
            continue
        dry, wet = voice_clip(u.speaker, u.text, u.gain_db, far=u.kind == "chatter")
        pieces.append((offset, wet))
        speech_mask_spans.append((offset, offset + len(dry)))
        host = len(turns)
        turns.append(PlacedTurn(speaker=u.speaker, start=offset / SAMPLE_RATE, end=(offset + len(dry)) / SAMPLE_RATE,
                                text=u.text, kind=u.kind))
        if u.agenda:
            starts.setdefault(u.agenda, offset / SAMPLE_RATE)
        n_words = len(u.text.split())
        for who, word, frac in u.backchannels:
            bdry, bwet = voice_clip(who, word, -3.0)
            boff = offset + int(frac * len(dry))
            pieces.append((boff, bwet))
            speech_mask_spans.append((boff, boff + len(bdry)))
            turns.append(PlacedTurn(speaker=who, start=boff / SAMPLE_RATE, end=(boff + len(bdry)) / SAMPLE_RATE,
                                    text=word, kind="backchannel", host=host,
                                    word_index=min(n_words, int(round(frac * n_words)))))
        cursor = offset + len(dry)
    total = cursor + int(2.0 * SAMPLE_RATE)
    total = max(total, max(o + len(x) for o, x in pieces))
    mix = np.zeros(total, dtype=np.float32)
    for o, x in pieces:
        mix[o:o + len(x)] += x
    mask = np.zeros(total, dtype=bool)
    for a, b in speech_mask_spans:
        mask[a:b] = True
    speech_rms = float(np.sqrt(np.mean(mix[mask] ** 2)))
    if spec.room.noise == "babble" and noise_texts:
        noise = babble_noise(total, noise_texts, rng, workdir)
    else:
        noise = pink_noise(total, rng)
    mix += noise * np.float32(speech_rms * db(-spec.room.snr_db))
    mix *= np.float32(0.85 / max(float(np.abs(mix).max()), 1e-9))
    agenda = [(t, starts.get(t)) for t in AGENDA]
    return Rendered(audio=mix, turns=turns, applause=applause, agenda=agenda)


# --------------------------------------------------------------- outputs


def spliced_text(turns: Sequence[PlacedTurn], *, backchannels: bool) -> str:
    """The reference word sequence in time order; back-channel words inside their host's text."""
    inserts: dict[int, list[tuple[int, str]]] = {}
    if backchannels:
        for t in turns:
            if t.kind == "backchannel" and t.host is not None:
                inserts.setdefault(t.host, []).append((t.word_index or 0, t.text))
    out: list[str] = []
    for i, t in enumerate(turns):
        if t.kind == "backchannel":
            continue
        words = t.text.split()
        for k, w in sorted(inserts.get(i, []), reverse=True):
            words.insert(k, w)
        out.extend(words)
    return " ".join(out)


def session_doc(spec: PanelSpec, recording: str, agenda: Sequence[str], title_suffix: str = "") -> dict[str, Any]:
    return {
        "title": spec.title[0].upper() + spec.title[1:] + title_suffix,
        "event": spec.event,
        "date": spec.date,
        "language": "en",
        "format": "Round table - 90 min",
        "recording": recording,
        "description": f"A synthetic IGF-style round table on {spec.topic} (rapporteur evaluation corpus).",
        "speakers": [{"name": p.name, "role": p.role, "affiliation": p.affiliation} for p in spec.people if p.on_roster],
        "agenda": [{"title": t} for t in agenda],
    }


def write_session(outdir: Path, spec: PanelSpec, audio: np.ndarray, turns: Sequence[PlacedTurn],
                  applause: Sequence[tuple[float, float]], agenda: Sequence[tuple[str, float | None]],
                  extra: Mapping[str, Any], *, bitrate: str = "32k", title_suffix: str = "") -> None:
    from ..diarize import to_rttm
    from ..core.media import encode_opus

    outdir.mkdir(parents=True, exist_ok=True)
    recording = "recording.ogg"
    with tempfile.TemporaryDirectory(prefix="rapporteur-corpus-") as tmp:
        src = Path(tmp) / "mix.wav"
        src.write_bytes(wav_bytes(audio))
        encode_opus(src, outdir / recording, bitrate=bitrate)
    duration = len(audio) / SAMPLE_RATE
    people = {p.name: p for p in spec.people}
    ref = SynthReference(
        turns=tuple(ReferenceTurn(speaker=t.speaker, start=sec(t.start), end=sec(t.end), text=t.text) for t in turns),
        agenda=tuple(ReferenceAgendaItem(title=a, start=None if s is None else sec(s)) for a, s in agenda),
        duration=sec(duration),
        recording=recording,
        sample_rate=SAMPLE_RATE,
        voices={n: people[n].voice for n in sorted({t.speaker for t in turns})},
        parameters={"room": dataclasses.asdict(spec.room), "held_out": spec.held_out, "panel": spec.id,
                    "seed": spec.seed, **{k: v for k, v in extra.items() if k in ("clip_of", "clip_start")}},
        generator="rapporteur.eval.corpus",
        synthesizer=espeak_version(),
        inputs=f"benchmarks/corpus/panels.yaml#{spec.id}",
    )
    speech: dict[str, float] = {}
    for t in turns:
        speech[t.speaker] = speech.get(t.speaker, 0.0) + t.end - t.start
    truth = {
        "panel": spec.id,
        "held_out": spec.held_out,
        "duration": sec(duration),
        "room": dataclasses.asdict(spec.room),
        "people": [{"name": p.name, "role": p.role, "affiliation": p.affiliation, "title": p.title,
                    "on_roster": p.on_roster, "remote": p.remote, "gain_db": p.gain_db, "drr_db": p.drr_db,
                    "voice": dataclasses.asdict(p.voice)} for p in spec.people],
        "turns": [{k: v for k, v in dataclasses.asdict(t).items() if v is not None} | {"start": sec(t.start), "end": sec(t.end)}
                  for t in turns],
        "applause": [[sec(a), sec(b)] for a, b in applause],
        "agenda": [{"title": a, "start": None if s is None else sec(s)} for a, s in agenda],
        "speech_seconds": {k: round(v, 3) for k, v in sorted(speech.items())},
        "text_with_backchannels": spliced_text(turns, backchannels=True),
        "text_without_backchannels": spliced_text(turns, backchannels=False),
        **extra,
    }
    write_text_atomic(outdir / "reference.json", to_json(ref))
    write_text_atomic(outdir / "reference.rttm",
                      to_rttm([SpeechTurn(start=sec(t.start), end=sec(t.end), label=t.speaker) for t in turns], outdir.name))
    write_text_atomic(outdir / "corpus.json", json.dumps(truth, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    doc = session_doc(spec, recording, [a for a, s in agenda if s is not None] or list(AGENDA), title_suffix)
    header = (f"# Generated by `python -m rapporteur.eval.corpus build` from benchmarks/corpus/panels.yaml "
              f"({spec.id}). Edit the spec, not this file.\n")
    write_text_atomic(outdir / "session.yaml",
                      header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100))


def cut_points(turns: Sequence[PlacedTurn], applause: Sequence[tuple[float, float]], duration: float, *,
               min_len: float = 90.0, max_len: float = 180.0, aim: float = 140.0) -> list[float]:
    """Clip boundaries in silences between turns (nobody speaking, no applause), clips of ``min_len``-``max_len`` s
    (longer only where one turn is longer than that)."""
    spans = sorted([(t.start, t.end) for t in turns] + list(applause))
    gaps: list[float] = []
    end = 0.0
    for a, b in spans:
        if a - end >= 0.3:
            gaps.append((a + end) / 2)
        end = max(end, b)
    cuts = [0.0]
    while duration - cuts[-1] > max_len:
        cands = [g for g in gaps if cuts[-1] + min_len <= g <= cuts[-1] + max_len]
        if not cands:  # a turn longer than the window: cut at the first silence after it
            cands = [g for g in gaps if g >= cuts[-1] + min_len][:1]
            if not cands:
                break
        cuts.append(min(cands, key=lambda g: abs(g - cuts[-1] - aim)))
    if duration - cuts[-1] < 20.0 and len(cuts) > 1:
        cuts.pop()  # no tiny last clip: it joins the one before
    cuts.append(duration)
    return cuts


def write_clips(root: Path, spec: PanelSpec, rendered: Rendered, sources: Sequence[str]) -> int:
    duration = len(rendered.audio) / SAMPLE_RATE
    cuts = cut_points(rendered.turns, rendered.applause, duration)
    for k, (a, b) in enumerate(zip(cuts, cuts[1:]), 1):
        idx = [i for i, t in enumerate(rendered.turns) if a <= t.start < b]
        remap = {i: j for j, i in enumerate(idx)}
        turns = [dataclasses.replace(rendered.turns[i], start=rendered.turns[i].start - a,
                                     end=min(rendered.turns[i].end, b) - a,
                                     host=remap.get(rendered.turns[i].host) if rendered.turns[i].host is not None else None)
                 for i in idx]
        agenda = [(t, s - a) for t, s in rendered.agenda if s is not None and a <= s < b]
        applause = [(max(x, a) - a, min(y, b) - a) for x, y in rendered.applause if y > a and x < b]
        audio = rendered.audio[int(a * SAMPLE_RATE): int(b * SAMPLE_RATE)]
        write_session(root / f"{spec.id}-c{k:02d}", spec, audio, turns, applause, agenda,
                      {"clip_of": spec.id, "clip_start": sec(a), "sources": list(sources)},
                      title_suffix=f" (clip {k} of {len(cuts) - 1})")
    return len(cuts) - 1


def build_panel(spec: PanelSpec, outdir: Path, *, passages: Sequence[Passage] | None = None,
                clips_dir: Path | None = None) -> dict[str, Any]:
    """Render one panel (and its clips): returns a summary line's facts."""
    rng = np.random.default_rng(spec.seed)
    passages = list(passages if passages is not None else load_passages(spec.pool))
    pool = Pool(passages, rng)
    pool.scale = spec.scale
    script = build_script(spec, pool, rng)
    noise_texts = [" ".join(p.sentences)[:900] for p in passages[:6]]
    with tempfile.TemporaryDirectory(prefix="rapporteur-corpus-") as tmp:
        rendered = render_script(spec, script, rng, Path(tmp), noise_texts)
    sources = sorted(pool.used)
    write_session(outdir, spec, rendered.audio, rendered.turns, rendered.applause, rendered.agenda,
                  {"sources": sources})
    n_clips = write_clips(clips_dir, spec, rendered, sources) if clips_dir else 0
    words = len(spliced_text(rendered.turns, backchannels=False).split())
    return {"id": spec.id, "minutes": round(len(rendered.audio) / SAMPLE_RATE / 60, 1), "words": words,
            "voices": len({t.speaker for t in rendered.turns}), "turns": len(rendered.turns),
            "backchannels": sum(t.kind == "backchannel" for t in rendered.turns), "clips": n_clips,
            "sources": len(sources), "held_out": spec.held_out}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rapporteur.eval.corpus",
                                     description="Build the evaluation corpus of IGF-like panels.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="render every panel (and its clips) into OUTDIR")
    b.add_argument("outdir", type=Path)
    b.add_argument("--spec", type=Path, default=None, help="panels file (default: benchmarks/corpus/panels.yaml)")
    b.add_argument("--panels", default="", help="comma-separated panel ids (default: all)")
    b.add_argument("--no-clips", action="store_true", help="do not cut the panels into short clips")
    args = parser.parse_args(argv)
    specs = load_specs(args.spec)
    wanted = {s for s in args.panels.split(",") if s}
    unknown = wanted - {s.id for s in specs}
    if unknown:
        print(f"error: unknown panel(s) {', '.join(sorted(unknown))}", file=sys.stderr)
        return 1
    manifest = []
    for spec in specs:
        if wanted and spec.id not in wanted:
            continue
        facts = build_panel(spec, args.outdir / "panels" / spec.id,
                            clips_dir=None if args.no_clips else args.outdir / "clips" / spec.id)
        manifest.append(facts)
        print(f"{spec.id}: {facts['minutes']} min, {facts['words']} words, {facts['voices']} voices, "
              f"{facts['turns']} turns ({facts['backchannels']} back-channels), {facts['clips']} clips"
              f"{', HELD OUT' if spec.held_out else ''}", flush=True)
    write_text_atomic(args.outdir / "manifest.json", json.dumps(manifest, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
