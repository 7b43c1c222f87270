"""Synthetic multi-speaker meetings rendered with espeak-ng, with exact ground truth.

A meeting script (YAML) gives a voice per speaker, the session.yaml fields to
emit and the lines spoken, with ``{agenda: Title}`` markers between lines.
``render`` writes into one folder:

- ``recording.ogg`` (Opus) or ``recording.wav``: 16 kHz mono, a little noise;
- ``reference.rttm``: one SPEAKER line per line of speech;
- ``reference.json``: turns (speaker, start, end, text) and agenda start times;
- ``session.yaml``: the script's ``session:`` fields plus the recording and
  the agenda (with ``mm:ss`` start times unless ``agenda_times: false``).

Each line is synthesised on its own and trimmed to its first and last audible
sample, so a turn's reference times are tight.  Pauses are drawn from a seeded
generator: the same script renders the same meeting.

    python -m rapporteur.eval.synth SCRIPT.yaml OUTDIR [--format ogg|wav]
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import math
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import yaml

from ..errors import RapporteurError
from ..core.fsutil import write_bytes_atomic, write_text_atomic
from ..core.records import SCHEMA_VERSION, SpeechTurn, sec, to_json
from ..core.text import mmss

SAMPLE_RATE = 16_000
RECORDING_STEM = "recording"
FORMATS = ("ogg", "wav")
SCRIPT_FIELDS = {"voices", "session", "lines", "agenda_times", "options"}
VOICE_FIELDS = {"voice", "pitch", "speed", "amplitude", "word_gap"}
LINE_FIELDS = {"speaker", "text", "pause_before"}


class ScriptError(RapporteurError):
    """A meeting script is malformed."""


# ------------------------------------------------------------------ records


@dataclass(frozen=True, kw_only=True)
class Voice:
    """espeak-ng settings of one speaker."""

    voice: str = "en-us"  # espeak-ng voice, optionally with a variant: en-us+f3, en+m1 (British)
    pitch: int = 50  # base pitch, 0-99
    speed: int = 160  # words per minute
    amplitude: int = 100  # loudness, 0-200
    word_gap: int = 0  # extra pause between words, in units of 10 ms


@dataclass(frozen=True, kw_only=True)
class Line:
    """One turn of speech."""

    speaker: str
    text: str
    pause_before: float | None = None  # seconds of silence before it; None: drawn from the pause range
    agenda: str | None = None  # title of the agenda item this line opens


@dataclass(frozen=True, kw_only=True)
class SynthOptions:
    """How a script is rendered (the script's ``options:`` mapping)."""

    seed: int = 0  # seeds the pauses and the noise
    pause_min: float = 0.3  # seconds: shortest drawn pause between lines
    pause_max: float = 0.8  # seconds: longest drawn pause between lines
    lead_in: float = 1.0  # seconds of room noise before the first line
    tail: float = 1.0  # seconds of room noise after the last line
    snr_db: float = 35.0  # speech RMS over noise RMS, in dB
    trim_db: float = 40.0  # a line's edges quieter than this below its loudest 5 ms are cut
    peak: float = 0.7  # peak of the mixed speech, in full scale (1.0)
    bitrate: str = "24k"  # Opus bitrate for the .ogg recording


@dataclass(frozen=True, kw_only=True)
class Script:
    """A parsed meeting script."""

    voices: Mapping[str, Voice]
    lines: tuple[Line, ...]
    session: Mapping[str, Any] = field(default_factory=dict)
    agenda_times: bool = True
    options: SynthOptions = SynthOptions()
    source: str = ""


@dataclass(frozen=True, kw_only=True)
class PlacedLine:
    """A line on the timeline; ``offset``/``length`` in samples, ``start``/``end`` in seconds."""

    speaker: str
    text: str
    offset: int
    length: int
    start: float
    end: float


@dataclass(frozen=True, kw_only=True)
class AgendaMark:
    title: str
    start: float | None  # seconds; None when no line opens the item


@dataclass(frozen=True, kw_only=True)
class Timeline:
    lines: tuple[PlacedLine, ...]
    agenda: tuple[AgendaMark, ...]
    samples: int
    sample_rate: int

    @property
    def duration(self) -> float:
        return self.samples / self.sample_rate


@dataclass(frozen=True, kw_only=True)
class ReferenceTurn:
    speaker: str
    start: float
    end: float
    text: str


@dataclass(frozen=True, kw_only=True)
class ReferenceAgendaItem:
    title: str
    start: float | None


@dataclass(frozen=True, kw_only=True)
class SynthReference:
    """``reference.json``: the ground truth of a rendered meeting."""

    turns: tuple[ReferenceTurn, ...]
    agenda: tuple[ReferenceAgendaItem, ...]
    duration: float
    recording: str
    sample_rate: int
    voices: Mapping[str, Voice]
    parameters: Mapping[str, Any] = field(default_factory=dict)
    generator: str = "rapporteur.eval.synth"
    synthesizer: str = ""
    inputs: str = ""
    schema_version: int = SCHEMA_VERSION

    @property
    def speakers(self) -> list[str]:
        return sorted({t.speaker for t in self.turns})


def reference_from_dict(d: Mapping[str, Any]) -> SynthReference:
    """Load the parsed JSON of ``reference.json``."""
    return SynthReference(
        **{
            **d,
            "turns": tuple(ReferenceTurn(**t) for t in d["turns"]),
            "agenda": tuple(ReferenceAgendaItem(**a) for a in d["agenda"]),
            "voices": {k: Voice(**v) for k, v in d.get("voices", {}).items()},
        }
    )


def load_reference(path: Path) -> SynthReference:
    import json

    return reference_from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


# ------------------------------------------------------------ script parsing


def _number(value: Any, where: str, errors: list[str], kind: type = float) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        errors.append(f"{where}: expected a number, got {value!r}")
        return None
    if kind is int and not float(value).is_integer():
        errors.append(f"{where}: expected a whole number, got {value!r}")
        return None
    return kind(value)


def parse_script(data: Any, *, source: str = "script") -> Script:
    """Validate the parsed YAML of a meeting script; raise one ScriptError listing every problem."""
    if not isinstance(data, dict):
        raise ScriptError("expected a mapping with voices:, session: and lines:", path=source)
    errors: list[str] = []
    for key in sorted(set(map(str, data)) - SCRIPT_FIELDS):
        errors.append(f"unknown field {key!r} (known: {', '.join(sorted(SCRIPT_FIELDS))})")
    voices = _parse_voices(data.get("voices"), errors)
    lines = _parse_lines(data.get("lines"), voices, errors)
    session = _check_session(data.get("session") or {}, voices, lines, errors)
    options = _parse_options(data.get("options") or {}, errors)
    agenda_times = data.get("agenda_times", True)
    if not isinstance(agenda_times, bool):
        errors.append("agenda_times: expected true or false")
        agenda_times = True
    if errors:
        raise ScriptError("; ".join(errors), path=source, hint="fix the meeting script and run again")
    return Script(
        voices=voices,
        lines=tuple(lines),
        session=session,
        agenda_times=agenda_times,
        options=options,
        source=source,
    )


def _parse_voices(raw_voices: Any, errors: list[str]) -> dict[str, Voice]:
    voices: dict[str, Voice] = {}
    if not isinstance(raw_voices, dict) or not raw_voices:
        errors.append("voices: expected a mapping of speaker name -> {voice: en-us, pitch: 50, speed: 160}")
        return voices
    for name, raw in raw_voices.items():
        where = f"voices.{name}"
        if isinstance(raw, str):
            raw = {"voice": raw}
        if not isinstance(raw, dict):
            errors.append(f"{where}: expected a mapping like {{voice: en-us+f3, pitch: 60}}")
            continue
        for key in sorted(set(map(str, raw)) - VOICE_FIELDS):
            errors.append(f"{where}.{key}: unknown (known: {', '.join(sorted(VOICE_FIELDS))})")
        kw: dict[str, Any] = {}
        for key in ("pitch", "speed", "amplitude", "word_gap"):
            if key in raw:
                kw[key] = _number(raw[key], f"{where}.{key}", errors, int)
        if "voice" in raw:
            kw["voice"] = str(raw["voice"]).strip()
            if kw["voice"].startswith("en-gb+"):
                # espeak-ng 1.51 silently drops a variant added to the alias en-gb
                errors.append(f"{where}.voice: write en+{kw['voice'][6:]} — espeak-ng ignores variants on en-gb")
        voices[str(name)] = Voice(**{k: v for k, v in kw.items() if v is not None})
    return voices


def _parse_lines(raw_lines: Any, voices: Mapping[str, Voice], errors: list[str]) -> list[Line]:
    lines: list[Line] = []
    if not isinstance(raw_lines, list) or not raw_lines:
        errors.append("lines: expected a list of {speaker: NAME, text: ...} and {agenda: Title} entries")
        return lines
    pending_agenda: str | None = None
    for i, raw in enumerate(raw_lines, 1):
        where = f"lines[{i}]"
        if not isinstance(raw, dict):
            errors.append(f"{where}: expected {{speaker: NAME, text: ...}} or {{agenda: Title}}")
            continue
        if "agenda" in raw:
            if set(raw) != {"agenda"}:
                errors.append(f"{where}: an agenda marker holds only `agenda: Title`")
            if pending_agenda is not None:
                errors.append(f"{where}: two agenda markers in a row — put at least one line between them")
            pending_agenda = str(raw["agenda"]).strip()
            continue
        for key in sorted(set(map(str, raw)) - LINE_FIELDS):
            errors.append(f"{where}.{key}: unknown (known: {', '.join(sorted(LINE_FIELDS))}, or agenda)")
        speaker = str(raw.get("speaker") or "").strip()
        text = " ".join(str(raw.get("text") or "").split())
        if not speaker or not text:
            errors.append(f"{where}: needs both speaker: and text:")
            continue
        if voices and speaker not in voices:
            errors.append(f"{where}.speaker: {speaker!r} has no entry under voices:")
        pause = None
        if raw.get("pause_before") is not None:
            pause = _number(raw["pause_before"], f"{where}.pause_before", errors)
            if pause is not None and pause < 0:
                errors.append(f"{where}.pause_before: must not be negative")
        lines.append(Line(speaker=speaker, text=text, pause_before=pause, agenda=pending_agenda))
        pending_agenda = None
    if pending_agenda is not None:
        errors.append(f"lines: the agenda marker {pending_agenda!r} is not followed by a line")
    return lines


def _check_session(
    session: Any, voices: Mapping[str, Voice], lines: Sequence[Line], errors: list[str]
) -> Mapping[str, Any]:
    """The ``session:`` block; session.yaml itself is validated when rendering."""
    if not isinstance(session, dict):
        errors.append("session: expected a mapping of session.yaml fields (title:, event:, date:, speakers:, agenda:)")
        return {}
    if "recording" in session:
        errors.append("session.recording: leave it out — the renderer sets it")
    if any(isinstance(item, dict) and "start" in item for item in session.get("agenda") or []):
        errors.append("session.agenda: leave start: out — the renderer times items from the agenda markers")
    markers = [ln.agenda for ln in lines if ln.agenda]
    titles = _agenda_titles(session)
    if titles and [t for t in titles if t in markers] != markers:
        missing = [m for m in markers if m not in titles]
        errors.append(f"agenda markers {missing or markers} must name session.agenda titles, in their order")
    roster = {str(p.get("name") if isinstance(p, dict) else p) for p in session.get("speakers") or []}
    for name in voices if roster else ():
        if name not in roster:
            errors.append(f"voices.{name}: not in session.speakers — add them to the roster")
    return session


def _parse_options(raw_options: Any, errors: list[str]) -> SynthOptions:
    if not isinstance(raw_options, dict):
        errors.append("options: expected a mapping (seed:, pause_min:, snr_db: ...)")
        return SynthOptions()
    known = [f.name for f in dataclasses.fields(SynthOptions)]
    kw: dict[str, Any] = {}
    for key, value in raw_options.items():
        if key not in known:
            errors.append(f"options.{key}: unknown (known: {', '.join(known)})")
        elif key == "bitrate":
            kw[key] = str(value)
        else:
            num = _number(value, f"options.{key}", errors, int if key == "seed" else float)
            if num is not None:
                kw[key] = num
    options = SynthOptions(**kw)
    if not 0 <= options.pause_min <= options.pause_max:
        errors.append("options: need 0 <= pause_min <= pause_max")
    return options


def load_script(path: Path) -> Script:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScriptError(f"cannot read the meeting script ({exc.strerror})", path=path) from None
    except yaml.YAMLError as exc:
        raise ScriptError(f"malformed YAML: {exc}", path=path, hint="check indentation and quoting") from None
    return parse_script(data, source=str(path))


def _agenda_titles(session: Mapping[str, Any]) -> list[str]:
    out = []
    for item in session.get("agenda") or []:
        out.append(str(item.get("title") if isinstance(item, dict) else item).strip())
    return out


# ------------------------------------------------------------ pure timeline


def draw_pauses(lines: Sequence[Line], options: SynthOptions) -> list[float]:
    """Seconds of silence before each line: ``pause_before`` where given, else
    ``lead_in`` for the first line and a seeded draw in [pause_min, pause_max]."""
    rng = np.random.default_rng(options.seed)
    pauses = []
    for i, line in enumerate(lines):
        drawn = float(rng.uniform(options.pause_min, options.pause_max))  # drawn always: stable sequence
        if line.pause_before is not None:
            pauses.append(float(line.pause_before))
        else:
            pauses.append(options.lead_in if i == 0 else drawn)
    return pauses


def layout(
    lines: Sequence[Line],
    lengths: Sequence[int],
    pauses: Sequence[float],
    *,
    sample_rate: int = SAMPLE_RATE,
    tail: float = 1.0,
    agenda: Sequence[str] = (),
) -> Timeline:
    """Place lines of ``lengths`` samples one after another, each after its pause.

    ``agenda`` lists every agenda title in order (items no line opens get no
    start); titles opened by a line but not listed are appended.
    """
    if not (len(lines) == len(lengths) == len(pauses)):
        raise ValueError("lines, lengths and pauses must have the same length")
    placed: list[PlacedLine] = []
    starts: dict[str, float] = {}
    cursor = 0
    for line, n, pause in zip(lines, lengths, pauses):
        if n <= 0:
            raise ValueError(f"line of {line.speaker!r} has no audio: {line.text[:40]!r}")
        offset = cursor + int(round(pause * sample_rate))
        placed.append(
            PlacedLine(
                speaker=line.speaker,
                text=line.text,
                offset=offset,
                length=int(n),
                start=offset / sample_rate,
                end=(offset + n) / sample_rate,
            )
        )
        if line.agenda:
            starts.setdefault(line.agenda, offset / sample_rate)
        cursor = offset + int(n)
    titles = list(agenda) + [t for t in starts if t not in agenda]
    return Timeline(
        lines=tuple(placed),
        agenda=tuple(AgendaMark(title=t, start=starts.get(t)) for t in titles),
        samples=cursor + int(round(tail * sample_rate)),
        sample_rate=sample_rate,
    )


def trim_bounds(x: np.ndarray, *, sample_rate: int = SAMPLE_RATE, trim_db: float = 40.0) -> tuple[int, int]:
    """First and one-past-last sample whose 5 ms RMS is within ``trim_db`` of the loudest."""
    win = max(1, int(round(0.005 * sample_rate)))
    power = np.convolve(np.asarray(x, dtype=np.float64) ** 2, np.ones(win) / win, mode="same")
    peak = float(power.max()) if power.size else 0.0
    if peak <= 0.0:
        return 0, 0
    loud = np.flatnonzero(power >= peak * 10.0 ** (-trim_db / 10.0))
    return int(loud[0]), int(loud[-1]) + 1


def mix(timeline: Timeline, clips: Sequence[np.ndarray], options: SynthOptions) -> np.ndarray:
    """The meeting's audio: clips at their offsets, peak-normalised, plus seeded white noise."""
    out = np.zeros(timeline.samples, dtype=np.float64)
    speech = np.zeros(timeline.samples, dtype=bool)
    for placed, clip in zip(timeline.lines, clips, strict=True):
        if len(clip) != placed.length:
            raise ValueError("clip length differs from its placed length")
        out[placed.offset : placed.offset + placed.length] += clip
        speech[placed.offset : placed.offset + placed.length] = True
    peak = float(np.abs(out).max())
    if peak > 0:
        out *= options.peak / peak
    if speech.any() and math.isfinite(options.snr_db):
        speech_rms = float(np.sqrt(np.mean(out[speech] ** 2)))
        noise_rms = speech_rms / 10.0 ** (options.snr_db / 20.0)
        rng = np.random.default_rng(options.seed + 1)
        out += rng.standard_normal(timeline.samples) * noise_rms
    return np.clip(out, -1.0, 1.0).astype(np.float32)


def rttm_name(speaker: str) -> str:
    return "_".join(speaker.split())


def rttm_text(timeline: Timeline, file_id: str) -> str:
    """RTTM, one SPEAKER line per line of speech (times in ms resolution)."""
    from ..core.rttm import to_rttm

    return to_rttm([SpeechTurn(start=sec(p.start), end=sec(p.end), label=p.speaker) for p in timeline.lines], file_id)



def session_document(script: Script, timeline: Timeline, recording: str) -> dict[str, Any]:
    """The session.yaml fields: the script's ``session:`` plus recording and timed agenda."""
    doc: dict[str, Any] = {}
    for key, value in script.session.items():
        if key != "agenda":
            doc[str(key)] = value
    doc["recording"] = recording
    agenda = []
    for mark in timeline.agenda:
        item: dict[str, Any] = {"title": mark.title}
        if script.agenda_times and mark.start is not None:
            item["start"] = mmss(mark.start)
        agenda.append(item)
    if agenda:
        doc["agenda"] = agenda
    order = ["title", "event", "date", "language", "format", "duration", "recording", "description"]
    return {k: doc[k] for k in order if k in doc} | {k: v for k, v in doc.items() if k not in order}


def session_yaml(script: Script, timeline: Timeline, recording: str) -> str:
    header = (
        f"# Generated by `python -m rapporteur.eval.synth {Path(script.source).name or 'SCRIPT.yaml'}`:\n"
        "# a synthetic meeting (espeak-ng voices). Edit the script, not this file.\n"
    )
    body = yaml.safe_dump(
        session_document(script, timeline, recording), sort_keys=False, allow_unicode=True, width=100
    )
    return header + body


def reference_record(script: Script, timeline: Timeline, recording: str, synthesizer: str = "") -> SynthReference:
    return SynthReference(
        turns=tuple(ReferenceTurn(speaker=p.speaker, start=p.start, end=p.end, text=p.text) for p in timeline.lines),
        agenda=tuple(ReferenceAgendaItem(title=a.title, start=a.start) for a in timeline.agenda),
        duration=timeline.duration,
        recording=recording,
        sample_rate=timeline.sample_rate,
        voices=dict(script.voices),
        parameters=dataclasses.asdict(script.options),
        synthesizer=synthesizer,
        inputs=Path(script.source).name,
    )


# ------------------------------------------------------------------- espeak


@functools.lru_cache(maxsize=1)
def espeak_exe() -> str:
    for name in ("espeak-ng", "espeak"):
        found = shutil.which(name)
        if found:
            return found
    raise RapporteurError("espeak-ng not found", hint="install it: apt-get install espeak-ng")


@functools.lru_cache(maxsize=1)
def espeak_version() -> str:
    proc = subprocess.run([espeak_exe(), "--version"], capture_output=True, text=True)
    return " ".join(proc.stdout.split("Data at:")[0].split())


def _read_pcm16(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as wf:
        if wf.getsampwidth() != 2:
            raise RapporteurError("espeak-ng wrote a non-16-bit WAV", path=path)
        rate, channels = wf.getframerate(), wf.getnchannels()
        data = np.frombuffer(wf.readframes(wf.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    return data, rate


def resample(x: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    from scipy.signal import resample_poly

    if rate == target:
        return np.asarray(x, dtype=np.float32)
    g = math.gcd(rate, target)
    return resample_poly(x, target // g, rate // g).astype(np.float32)


def speak(text: str, voice: Voice, workdir: Path, *, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Synthesise ``text`` with espeak-ng; float32 mono at ``sample_rate``, untrimmed."""
    wav = Path(workdir) / "line.wav"
    cmd = [
        espeak_exe(), "-v", voice.voice, "-p", str(voice.pitch), "-s", str(voice.speed),
        "-a", str(voice.amplitude), "-g", str(voice.word_gap), "-w", str(wav), "--stdin",
    ]  # fmt: skip
    proc = subprocess.run(cmd, input=text, capture_output=True, text=True)
    if proc.returncode != 0 or not wav.is_file():
        raise RapporteurError(
            f"espeak-ng failed for voice {voice.voice!r}: {proc.stderr.strip()[-200:]}",
            hint="check the voice name with `espeak-ng --voices=en`",
        )
    data, rate = _read_pcm16(wav)
    wav.unlink()
    return resample(data, rate, sample_rate)


def synthesize_lines(script: Script, *, sample_rate: int = SAMPLE_RATE) -> list[np.ndarray]:
    """Every line spoken and trimmed to its audible part."""
    clips = []
    with tempfile.TemporaryDirectory(prefix="rapporteur-synth-") as tmp:
        for line in script.lines:
            x = speak(line.text, script.voices[line.speaker], Path(tmp), sample_rate=sample_rate)
            a, b = trim_bounds(x, sample_rate=sample_rate, trim_db=script.options.trim_db)
            if b <= a:
                raise ScriptError(f"espeak-ng produced silence for {line.text[:40]!r}", path=script.source)
            clips.append(x[a:b])
    return clips


# ---------------------------------------------------------------------- I/O


def wav_bytes(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    """16-bit mono WAV of float audio in [-1, 1]."""
    import io

    pcm = np.round(np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(sample_rate)
        wf.writeframes(pcm.tobytes())
    return buf.getvalue()


def render(script: Script, outdir: Path, *, fmt: str = "ogg") -> SynthReference:
    """Render ``script`` into ``outdir``: recording, reference.rttm, reference.json, session.yaml."""
    from ..core.session import parse_session

    if fmt not in FORMATS:
        raise ScriptError(f"unknown format {fmt!r} — use one of {', '.join(FORMATS)}")
    outdir = Path(outdir)
    clips = synthesize_lines(script)
    pauses = draw_pauses(script.lines, script.options)
    timeline = layout(
        script.lines,
        [len(c) for c in clips],
        pauses,
        sample_rate=SAMPLE_RATE,
        tail=script.options.tail,
        agenda=_agenda_titles(script.session),
    )
    audio = mix(timeline, clips, script.options)
    recording = f"{RECORDING_STEM}.{fmt}"

    # check the session.yaml we are about to write before writing anything
    session_text = session_yaml(script, timeline, recording)
    session = parse_session(yaml.safe_load(session_text), outdir, source=str(outdir / "session.yaml"))
    if session.warnings:
        raise ScriptError("; ".join(session.warnings), path=script.source, hint="fix the session: block")

    outdir.mkdir(parents=True, exist_ok=True)
    wav = wav_bytes(audio, SAMPLE_RATE)
    if fmt == "wav":
        write_bytes_atomic(outdir / recording, wav)
    else:
        from ..core.media import encode_opus

        with tempfile.TemporaryDirectory(prefix="rapporteur-synth-") as tmp:
            src = Path(tmp) / "mix.wav"
            src.write_bytes(wav)
            encode_opus(src, outdir / recording, bitrate=script.options.bitrate)
    reference = reference_record(script, timeline, recording, espeak_version())
    write_text_atomic(outdir / "reference.rttm", rttm_text(timeline, outdir.name))
    write_text_atomic(outdir / "reference.json", to_json(reference))
    write_text_atomic(outdir / "session.yaml", session_text)
    return reference


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rapporteur.eval.synth",
        description="Render a scripted meeting with espeak-ng voices, plus its ground truth.",
    )
    parser.add_argument("script", type=Path, help="meeting script (YAML)")
    parser.add_argument("outdir", type=Path, help="folder to write recording, reference.* and session.yaml into")
    parser.add_argument("--format", choices=FORMATS, default="ogg", help="recording format (default: ogg)")
    args = parser.parse_args(argv)
    try:
        reference = render(load_script(args.script), args.outdir, fmt=args.format)
    except RapporteurError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    size = (args.outdir / reference.recording).stat().st_size
    speakers = ", ".join(reference.speakers)
    print(
        f"{args.outdir}: {reference.duration:.1f} s, {len(reference.turns)} turns, "
        f"{len(reference.agenda)} agenda items, {size / 1024:.0f} kB {reference.recording} ({speakers})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
