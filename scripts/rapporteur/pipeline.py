"""The stage graph of one session: run what is out of date, nothing else.

``TABLE`` lists the stages in order: each has a name, the artefact it writes,
the function that fingerprints its inputs and the function that runs it.
Each artefact records that fingerprint (``inputs``): the recording's
identity, the stage's options and the upstream artefacts — everything that
changes the output.  A stage runs only when its artefact is missing, damaged,
of an old schema or its fingerprint differs, so a fresh clone with committed
JSON never re-transcribes, and ``audio.wav`` is only fetched/decoded when a
stage that needs audio must run.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .core import folder as files
from .core import records
from .core.devices import resolve_device
from .core.folder import Artefact, SessionFolder
from .errors import RapporteurError, StageError
from .fetch import captions_file, captions_is_url, ensure_audio, fetch_captions, recording_digest
from .core.fsutil import digest
from .core.progress import Progress
from .core.session import Session, load_session
from .corrections import apply_corrections, fingerprint_parts, load_corrections, load_glossary

if TYPE_CHECKING:
    from .captions import CaptionOptions
    from .config import Config

# The stages' own modules (numpy, scipy, models) are imported by the functions that run them,
# so the command line can read this table without loading them.



@dataclass(frozen=True)
class StageResult:
    session: str
    stage: str
    status: str  # done | up to date | skipped
    seconds: float = 0.0
    detail: str = ""

    def line(self) -> str:
        extra = f" in {self.seconds:.1f} s" if self.status == "done" else ""
        return f"{self.session}: {self.stage} {self.status}{extra}{(' — ' + self.detail) if self.detail else ''}"


class Checkpoint:
    """Partial transcription saved every ``every`` seconds, so a killed job resumes."""

    def __init__(self, folder: SessionFolder, inputs: str, *, every: float = 30.0) -> None:
        self.folder, self.inputs, self.every = folder, inputs, every
        self.path = folder.path(files.CHECKPOINT)
        self._last = time.monotonic()

    def load(self) -> tuple[records.Segment, ...]:
        data = self.folder.read_json(files.CHECKPOINT)
        if not isinstance(data, dict) or data.get("inputs") != self.inputs:
            return ()
        try:
            return records.transcript_from_dict(data["transcript"]).segments
        except (KeyError, TypeError, ValueError):
            return ()

    def save(self, segments: tuple[records.Segment, ...]) -> None:
        if time.monotonic() - self._last < self.every:
            return
        self._last = time.monotonic()
        partial = records.Transcript(language="", language_probability=0.0, duration=0.0, segments=segments, backend="", model="")
        import json

        self.folder.write_text(files.CHECKPOINT, json.dumps({"inputs": self.inputs, "transcript": json.loads(records.to_json(partial))}))

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


# ------------------------------------------------------------------ the stages
# Each stage: ``inputs(run) -> str`` fingerprints everything that changes its artefact;
# ``run(run, inputs) -> str`` makes the artefact (with ``inputs`` recorded) and returns the
# detail of its "done" line.  A digest's first part (its tag) is the stage's name when the
# stage was introduced: changing it would make every committed artefact stale.


def _speed(seconds_of_audio: float, t0: float) -> str:
    return f"RTF {(time.monotonic() - t0) / max(seconds_of_audio, 1e-9):.3f}"


def transcribe_options(run: SessionRun):
    opts = run.config.transcribe
    return replace(opts, language=run.session.language) if run.session.language else opts


def transcribe_prompt(run: SessionRun) -> str:
    """What primes the decoder: title, roster names, description ("" when prompts are off)."""
    from .transcribe import session_prompt

    if not run.config.transcribe.use_prompt:
        return ""
    return session_prompt(run.session.title, run.session.roster_names(), run.session.description)


def transcribe_inputs(run: SessionRun) -> str:
    opts = run.config.transcribe
    language = run.session.language or opts.language
    return digest("transcribe", recording_digest(run.session), opts.parameters(), language, transcribe_prompt(run))


def run_transcribe(run: SessionRun, inputs: str) -> str:
    from .transcribe import asr_device, transcribe

    asr_device(run.config.transcribe)  # a GPU asked for and missing: one line before any audio is decoded
    audio = run.audio()
    t0 = time.monotonic()
    # no hotwords: measured on synthetic round tables they made Whisper put roster names
    # into speech that had none (WER 18.4 % → 23.5 %), which also misleads naming
    checkpoint = Checkpoint(run.folder, inputs)
    resume = () if "transcribe" in run.force else checkpoint.load()  # --force: decoded again from the start
    if resume:
        run.log(f"{run.session.id}: transcribe resumes at {resume[-1].end:.0f} s (checkpoint of an interrupted run)")
    result = transcribe(
        audio, transcribe_options(run), prompt=transcribe_prompt(run), progress=run.progress("transcribe"),
        resume=resume, on_segments=checkpoint.save, names=run.session.roster_names(), timings=(spent := {}),
    )
    run.folder.write(files.TRANSCRIPT, replace(result, inputs=inputs))
    checkpoint.clear()
    parts = ", ".join(f"{what} {spent[key]:.0f} s" for key, what in
                      (("main", "main pass"), ("fill", "skipped speech"), ("check", "introductions")) if spent.get(key, 0) >= 0.5)
    return f"{len(result.words())} words, language {result.language}, {_speed(len(audio) / 16000, t0)}" + (f" ({parts})" if parts else "")


FLOOR_VOICES = 3
"""Voices the diarizer may find beyond the roster: people who take the floor (IGF workshops: 2-4 questions from
the room).  Measured on two 46-min panels: with room for one, a floor speaker and the online moderator stayed
inside a panellist's voice (DER 3.4 / 4.2 %); with room for three, 1.6 / 2.8 %."""


def diarize_options(run: SessionRun):
    opts = run.config.diarize
    roster = len(run.session.speakers)
    if roster and getattr(opts, "max_speakers", None) is None:
        # the roster bounds the count, with room for FLOOR_VOICES people from the floor
        opts = replace(opts, max_speakers=roster + FLOOR_VOICES)
    return opts


def diarize_inputs(run: SessionRun) -> str:
    return digest("diarize", recording_digest(run.session), diarize_options(run).parameters())


def run_diarize(run: SessionRun, inputs: str) -> str:
    from .diarize import diarize, to_rttm

    resolve_device(run.config.diarize.device, what=f"diarizer ({run.config.diarize.backend})")  # before any fetch
    audio = run.audio()
    t0 = time.monotonic()
    result = replace(diarize(audio, diarize_options(run), progress=run.progress("diarize")), inputs=inputs)
    run.folder.write(files.DIARIZATION, result)
    run.folder.write_text(files.RTTM, to_rttm(result, run.session.id))
    return f"{len(result.labels)} speakers, {len(result.turns)} turns, {_speed(len(audio) / 16000, t0)}"


def caption_options(run: SessionRun) -> CaptionOptions:
    """rapporteur.yaml ``captions:``, with the text the session chose (``transcript_text``)."""
    return replace(run.config.captions, text=run.session.transcript_text)


def attribute_inputs(run: SessionRun) -> str:
    s = run.session
    caps = s.captions
    parts = [
        "attribute",
        run.folder.digest(files.TRANSCRIPT),
        run.folder.digest(files.DIARIZATION),
        sorted(s.speaker_map.items()),
        [asdict(p) for p in s.speakers],
        asdict(run.config.attribute),
        asdict(run.config.naming),
        caps,
        s.transcript_text,
        None,
    ]
    if caps:  # by content, wherever they came from (a URL's copy is captions.txt)
        found = captions_file(s, folder=run.folder)
        parts[-1] = run.folder.digest(found.name if found else files.CAPTIONS)
        parts.append(asdict(caption_options(run)))
    # sessions without captions keep the fingerprint they had before caption options existed
    if has_corrections(run):  # likewise sessions without corrections (and no glossary)
        parts.append(fingerprint_parts(*human_corrections(run)))
    return digest(*parts)


def has_corrections(run: SessionRun) -> bool:
    corrections, glossary = human_corrections(run)
    return bool(corrections.entries or glossary.entries)


def human_corrections(run: SessionRun):
    """The session's corrections.yaml and the archive's glossary.yaml (recordings/glossary.yaml), read once per run."""
    if run.corrections is None:
        run.corrections = (load_corrections(run.session.dir), load_glossary(run.session.dir.parent))
    return run.corrections


def assign_words(run: SessionRun, transcript: records.Transcript) -> records.Turns:
    """Step 1: every word to a diarization label (``attribute:`` options)."""
    from .attribute import attribute

    diar = run.folder.require(files.DIARIZATION)
    return attribute(transcript, diar, speaker_map=run.session.speaker_map, options=run.config.attribute)


def name_step(run: SessionRun, turns: records.Turns) -> records.Turns:
    """Step 2: names for the labels (``naming:`` options; the session's speaker_map wins)."""
    from .naming import name_speakers

    named, naming = name_speakers(turns, run.session, options=run.config.naming)
    return replace(named, naming={label: records.naming_entry_from_dict(entry) for label, entry in naming.items()})


def captions_step(run: SessionRun, turns: records.Turns, transcript: records.Transcript) -> records.Turns:
    """Step 3, when the session has captions: turn boundaries and names from them (``captions:``
    options); the words shown are the captions' or the ASR's (``transcript_text``)."""
    from .captions import captioned_turns, read_captions

    found = captions_file(run.session, folder=run.folder)
    captions = read_captions(found.name if found else str(run.session.captions), run.session.dir)
    return captioned_turns(turns, transcript.words(), captions, run.session.speakers, options=caption_options(run))


def corrections_step(run: SessionRun, turns: records.Turns) -> tuple[records.Turns, str]:
    """Step 4: the human corrections (corrections.yaml, then recordings/glossary.yaml's spellings), applied
    to the machine's turns on every run; an entry that cannot be placed is one warning line and stays in its file."""
    if not has_corrections(run):
        return turns, ""
    corrections, glossary = human_corrections(run)
    turns, report = apply_corrections(turns, corrections, glossary)
    for line in report.lines():
        run.log(f"warning: {run.session.id}: {line}")
    return turns, f", {report.summary()}"


def run_attribute(run: SessionRun, inputs: str) -> str:
    transcript = run.folder.require(files.TRANSCRIPT)
    turns = name_step(run, assign_words(run, transcript))
    naming = turns.naming
    detail = ""
    if run.session.captions:
        turns = captions_step(run, turns, transcript)
        text = "caption" if caption_options(run).text == "captions" else "recognised"
        detail = f", official captions aligned (coverage {turns.parameters['captions']['coverage']:.0%}, {text} text)"
    turns, fixed = corrections_step(run, turns)
    detail += fixed
    run.folder.write(files.TURNS, replace(turns, inputs=inputs))
    named = sum(1 for v in naming.values() if v.source != "unnamed")
    return f"{len(turns.turns)} turns, {named}/{len(naming)} voices named{detail}"


def agenda_inputs(run: SessionRun) -> str:
    info = run.folder.read(files.INFO) or {}
    turns = run.folder.digest(files.TURNS)
    parts = [
        "segment",  # the stage's old name: kept so committed agenda.json files stay fresh
        [asdict(e) for e in run.session.agenda],
        info.get("chapters"),
        turns,
        [p.name for p in run.session.speakers],
        asdict(run.config.agenda),
    ]
    if turns != "missing":  # roles only matter with a transcript (who moderates); a session without
        parts.append([p.role for p in run.session.speakers])  # one keeps the fingerprint it had
    return digest(*parts)


def run_agenda(run: SessionRun, inputs: str) -> str:
    from .agenda import place_agenda

    turns = run.folder.read(files.TURNS)  # optional: a session without a recording has none
    result = place_agenda(run.session.agenda, run.folder.read(files.INFO), turns, roster=run.session.speakers,
                          options=run.config.agenda)
    run.folder.write(files.AGENDA, replace(result, inputs=inputs))
    placed = sum(1 for i in result.items if i.source in ("placed", "proposed"))
    return f"{len(result.items)} agenda items ({placed} placed from the transcript)"


def summarize_inputs(run: SessionRun) -> str:
    return digest(
        "summarize",
        run.folder.digest(files.TURNS),
        run.folder.digest(files.AGENDA),
        run.session.title,
        [asdict(p) for p in run.session.speakers],
        dict(run.session.report),
        asdict(run.config.summarize),
        run.session.format,  # "The round table …"
    )


def run_summarize(run: SessionRun, inputs: str) -> str:
    from .summarize import summarize

    turns = run.folder.require(files.TURNS)
    agenda = run.folder.require(files.AGENDA)
    result = summarize(turns, agenda, run.session, options=run.config.summarize)
    run.folder.write(files.SUMMARY, replace(result, inputs=inputs))
    return ""


def run_fetch(run: SessionRun, inputs: str) -> str:
    run.audio()  # records its own line
    return ""


@dataclass(frozen=True)
class Stage:
    """One row of the stage table."""

    name: str
    artefact: Artefact | None
    """What it writes (None: fetch, whose files are the recording's media and audio.wav)."""
    inputs: Callable[[SessionRun], str] | None
    """The fingerprint of everything that changes the artefact."""
    run: Callable[[SessionRun, str], str]
    """Makes the artefact (recording ``inputs``); returns the detail of its "done" line."""
    help: str = ""
    also: tuple[str, ...] = ()
    """Other files it writes, which must exist for the stage to be up to date."""
    steps: tuple[str, ...] = ()
    """The named steps inside it, each with its own rapporteur.yaml section."""
    needs_recording: bool = True
    aliases: tuple[str, ...] = ()


TABLE: tuple[Stage, ...] = (
    Stage("fetch", None, None, run_fetch, "download the recording (yt-dlp) and its captions, decode audio.wav"),
    Stage("transcribe", files.TRANSCRIPT, transcribe_inputs, run_transcribe,
          "audio.wav → transcript.json (Whisper, word timestamps)"),
    Stage("diarize", files.DIARIZATION, diarize_inputs, run_diarize, "audio.wav → diarization.rttm (who spoke when)",
          also=(files.RTTM,)),
    Stage("attribute", files.TURNS, attribute_inputs, run_attribute,
          "transcript + diarization (+ captions) → turns.json (named speaker turns)",
          steps=("attribute", "naming", "captions", "corrections")),
    Stage("agenda", files.AGENDA, agenda_inputs, run_agenda, "agenda items placed on the timeline → agenda.json",
          needs_recording=False, aliases=("segment",)),
    Stage("summarize", files.SUMMARY, summarize_inputs, run_summarize,
          "abstract, agenda-item summaries, key points and quotes → summary.json"),
)
BY_NAME = {s.name: s for s in TABLE}
ALIASES = {alias: s.name for s in TABLE for alias in s.aliases}
STAGES = tuple(s.name for s in TABLE)


def stage_names(names: tuple[str, ...] | list[str] | frozenset[str]) -> tuple[str, ...]:
    """Stage names with old names (``segment``) read as the current ones; unknown names are an error."""
    out = []
    for n in names:
        n = ALIASES.get(n, n)
        if n not in BY_NAME:
            raise StageError(f"no stage {n!r}", hint=f"one of {', '.join(STAGES)}")
        out.append(n)
    return tuple(out)


class SessionRun:
    """Runs the out-of-date stages of one session with one configuration."""

    def __init__(
        self,
        session: Session,
        config: Config,
        *,
        force: frozenset[str] = frozenset(),
        log: Callable[[str], None] = print,
        quiet_progress: bool = False,
    ) -> None:
        self.session = session
        self.config = config
        self.force = frozenset(stage_names(force))
        self.log = log
        self.quiet_progress = quiet_progress
        self.folder = SessionFolder(session.dir, name=session.id, on_damaged=self._damaged)
        self._audio = None
        self._audio_lock = threading.Lock()
        self.corrections = None  # (corrections.yaml, glossary.yaml), read when first needed
        self.results: list[StageResult] = []

    # ------------------------------------------------------------ helpers
    def _damaged(self, name: str, why: str) -> None:
        # a stage's artefact is remade by its stage; info.json by the next download (the media is
        # then fetched again too), its chapters meanwhile left out
        then = "fetched again with the recording" if name == files.INFO.name else "rebuilt"
        self.log(f"{self.session.id}: {name} is damaged ({why}) — {then}")

    def path(self, name: str) -> Path:
        return self.folder.path(name)

    def audio(self):
        with self._audio_lock:  # transcribe and diarize may ask at once: decode once
            return self._load_audio()

    def _load_audio(self):
        if self._audio is None:
            from .core.media import read_wav

            t0 = time.monotonic()
            wav = ensure_audio(self.session, replace(self.config.fetch, quiet=self.quiet_progress), folder=self.folder)
            self._audio = read_wav(wav)
            self._record("fetch", "done", t0, f"{len(self._audio) / 16000:.1f} s of audio")
        return self._audio

    def _fetch_captions(self) -> None:
        t0 = time.monotonic()
        options = replace(self.config.fetch, quiet=self.quiet_progress)
        if fetch_captions(self.session, options, folder=self.folder, force="fetch" in self.force):
            self._record("fetch", "done", t0, f"captions → {files.CAPTIONS}")

    def _record(self, stage: str, status: str, t0: float | None = None, detail: str = "") -> None:
        res = StageResult(self.session.id, stage, status, time.monotonic() - t0 if t0 else 0.0, detail)
        self.results.append(res)
        if status != "up to date":
            self.log(res.line())

    def fresh(self, stage: Stage, inputs: str) -> bool:
        """Whether the stage's artefact is there, sound, current and made from ``inputs``."""
        if stage.name in self.force or stage.artefact is None:
            return False
        record = self.folder.read(stage.artefact)
        return record is not None and record.inputs == inputs and all(self.folder.exists(f) for f in stage.also)

    def progress(self, stage: str) -> Progress:
        return Progress(f"{self.session.id}: {stage}", quiet=self.quiet_progress)

    def inputs(self, name: str) -> str:
        """The current fingerprint of a stage's inputs."""
        stage = BY_NAME[ALIASES.get(name, name)]
        return stage.inputs(self) if stage.inputs else ""

    def run_stage(self, name: str) -> None:
        """Run one stage when it is out of date."""
        stage = BY_NAME[ALIASES.get(name, name)]
        inputs = self.inputs(stage.name)
        if self.fresh(stage, inputs):
            self._record(stage.name, "up to date")
            return
        t0 = time.monotonic()
        detail = stage.run(self, inputs)
        if stage.artefact is not None:
            self._record(stage.name, "done", t0, detail)

    # the single-stage calls of earlier versions (tests, benchmarks)
    def transcribe_inputs(self) -> str:
        return self.inputs("transcribe")

    def diarize_inputs(self) -> str:
        return self.inputs("diarize")

    def transcribe(self) -> None:
        self.run_stage("transcribe")

    def diarize(self) -> None:
        self.run_stage("diarize")

    def attribute(self) -> None:
        self.run_stage("attribute")

    def agenda(self) -> None:
        self.run_stage("agenda")

    segment = agenda

    def summarize(self) -> None:
        self.run_stage("summarize")

    # ------------------------------------------------------------ all
    def run(self, stages: tuple[str, ...] = STAGES) -> list[StageResult]:
        stages = stage_names(stages)
        if not self.session.recording:
            for stage in TABLE:
                if stage.name in stages and not stage.needs_recording:
                    self.run_stage(stage.name)
            self._record("transcribe", "skipped", detail="no recording yet")
            return self.results
        if self.session.captions and captions_is_url(self.session.captions) and {"fetch", "attribute"} & set(stages):
            self._fetch_captions()  # before attribute's fingerprint, which reads their content
        if "fetch" in stages and not ({"transcribe", "diarize"} & set(stages)):
            self.audio()
        together = {"transcribe", "diarize"} <= set(stages) and self.config.diarize.alongside_asr
        alongside = self._start_diarize() if together else None
        try:
            for stage in TABLE[1:]:  # fetch happens on demand, when a stage needs audio
                if stage.name == "diarize" and alongside:  # its turn comes after transcription: collect it
                    self._finish(*alongside)
                    alongside = None
                elif stage.name in stages:
                    self.run_stage(stage.name)
        except RapporteurError:
            if alongside:  # transcription failed: diarization still finishes its artefact
                alongside[0].join()
            raise
        return self.results

    def _start_diarize(self) -> tuple[threading.Thread, list[BaseException]]:
        """Diarize in a thread while transcription runs: ASR leaves part of the cores idle (measured
        165 % CPU of 200 % on 2 cores) and the two share the decoded audio."""
        errors: list[BaseException] = []

        def work() -> None:
            try:
                self.run_stage("diarize")
            except BaseException as exc:  # handed to the main thread
                errors.append(exc)

        thread = threading.Thread(target=work, name=f"diarize {self.session.id}", daemon=True)
        thread.start()
        return thread, errors

    @staticmethod
    def _finish(thread: threading.Thread, errors: list[BaseException]) -> None:
        thread.join()
        if errors:
            raise errors[0]


@contextmanager
def session_lock(session_dir: Path, *, log: Callable[[str], None] = print):
    """One process at a time per session (two `make` runs, `make -j`); freed even on kill -9."""
    import fcntl

    lock_path = SessionFolder(session_dir).path(files.LOCK)
    try:
        fh = open(lock_path, "a+")
    except OSError:  # read-only folder: nothing can be written anyway; the stages will say so
        yield
        return
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"{Path(session_dir).name}: another run is processing this session; waiting for it")
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def run_session(
    session_dir: Path,
    config: Config,
    *,
    stages: tuple[str, ...] = STAGES,
    force: frozenset[str] = frozenset(),
    log: Callable[[str], None] = print,
    quiet_progress: bool = False,
) -> list[StageResult]:
    """Load one session and run its out-of-date stages; record/clear its error file."""
    session_dir = Path(session_dir)
    folder = SessionFolder(session_dir)
    stages = stage_names(stages)
    try:
        session = load_session(session_dir)
        for w in session.warnings:
            log(f"warning: {w}")
        with session_lock(session_dir, log=log):
            results = SessionRun(session, config, force=force, log=log, quiet_progress=quiet_progress).run(stages)
    except OSError as exc:  # read-only folder, disk full, ...
        import errno

        hint = "free some disk space" if exc.errno == errno.ENOSPC else "make the folder writable, or check the path"
        what = "cannot write" if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC) else "file system error"
        err = StageError(f"{what}: {exc.strerror or exc}", path=exc.filename or session_dir, hint=hint)
        folder.record_error(err)
        raise err from None
    except RapporteurError as exc:
        folder.record_error(exc)
        raise
    folder.clear_error()
    return results
