"""The stage graph of one session: run what is out of date, nothing else.

Each artefact records the fingerprint (``inputs``) of what it was made from:
the recording's identity, the stage's options and the upstream artefacts.
A stage runs only when its artefact is missing or its fingerprint differs,
so a fresh clone with committed JSON never re-transcribes, and ``audio.wav``
is only fetched/decoded when a stage that needs audio must run.
"""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable

from .core import records
from .attribute import attribute
from .captions import captioned_turns, read_captions
from .naming import NamingOptions, name_speakers
from .config import Config
from .core.devices import resolve_device
from .errors import RapporteurError, StageError
from .fetch import ensure_audio, read_info, recording_digest
from .core.fsutil import digest, write_text_atomic
from .core.progress import Progress
from .agenda import place_agenda
from .core.session import Session, load_session

TRANSCRIPT = "transcript.json"
DIARIZATION = "diarization.json"
RTTM = "diarization.rttm"
TURNS = "turns.json"
AGENDA = "agenda.json"
SUMMARY = "summary.json"
ERROR_FILE = ".error"
CHECKPOINT = ".checkpoint-transcript.json"
LOCK_FILE = ".lock"
STAGES = ("fetch", "transcribe", "diarize", "attribute", "segment", "summarize")


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


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None  # a damaged artefact is treated as missing and rebuilt


def _file_digest(path: Path) -> str:
    try:
        return digest(path.read_bytes())
    except OSError:
        return "missing"


class Checkpoint:
    """Partial transcription saved every ``every`` seconds, so a killed job resumes."""

    def __init__(self, path: Path, inputs: str, *, every: float = 30.0) -> None:
        self.path, self.inputs, self.every = path, inputs, every
        self._last = time.monotonic()

    def load(self) -> tuple[records.Segment, ...]:
        data = _read_json(self.path)
        if not data or data.get("inputs") != self.inputs:
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
        write_text_atomic(self.path, json.dumps({"inputs": self.inputs, "transcript": json.loads(records.to_json(partial))}))

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


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
        self.force = force
        self.log = log
        self.quiet_progress = quiet_progress
        self._audio = None
        self._audio_lock = threading.Lock()
        self.results: list[StageResult] = []

    # ------------------------------------------------------------ helpers
    def path(self, name: str) -> Path:
        return self.session.dir / name

    def audio(self):
        with self._audio_lock:  # transcribe and diarize may ask at once: decode once
            return self._load_audio()

    def _load_audio(self):
        if self._audio is None:
            from .media import read_wav

            t0 = time.monotonic()
            wav = ensure_audio(self.session, replace(self.config.fetch, quiet=self.quiet_progress))
            self._audio = read_wav(wav)
            self._record("fetch", "done", t0, f"{len(self._audio) / 16000:.1f} s of audio")
        return self._audio

    def _record(self, stage: str, status: str, t0: float | None = None, detail: str = "") -> None:
        res = StageResult(self.session.id, stage, status, time.monotonic() - t0 if t0 else 0.0, detail)
        self.results.append(res)
        if status != "up to date":
            self.log(res.line())

    def _fresh(self, stage: str, artefact: str, inputs: str) -> bool:
        if stage in self.force:
            return False
        data = _read_json(self.path(artefact))
        return bool(data) and data.get("inputs") == inputs and data.get("schema_version") == records.SCHEMA_VERSION

    def _progress(self, stage: str) -> Progress:
        return Progress(f"{self.session.id}: {stage}", quiet=self.quiet_progress)

    # ------------------------------------------------------------ stages
    def transcribe_inputs(self) -> str:
        opts = self.config.transcribe
        language = self.session.language or opts.language
        return digest("transcribe", recording_digest(self.session), opts.parameters(), language)

    def transcribe(self) -> None:
        from .transcribe import asr_device, session_prompt, transcribe

        inputs = self.transcribe_inputs()
        if self._fresh("transcribe", TRANSCRIPT, inputs):
            self._record("transcribe", "up to date")
            return
        opts = self.config.transcribe
        asr_device(opts)  # a GPU asked for and missing: one line before any audio is decoded
        audio = self.audio()
        if self.session.language:
            opts = replace(opts, language=self.session.language)
        t0 = time.monotonic()
        prompt = session_prompt(self.session.title, self.session.roster_names(), self.session.description)
        # no hotwords: measured on synthetic round tables they made Whisper put roster names
        # into speech that had none (WER 18.4 % → 23.5 %), which also misleads naming
        checkpoint = Checkpoint(self.path(CHECKPOINT), inputs)
        resume = checkpoint.load()
        if resume:
            self.log(f"{self.session.id}: transcribe resumes at {resume[-1].end:.0f} s (checkpoint of an interrupted run)")
        result = transcribe(
            audio, opts, prompt=prompt, progress=self._progress("transcribe"),
            resume=resume, on_segments=checkpoint.save,
        )
        result = replace(result, inputs=inputs)
        write_text_atomic(self.path(TRANSCRIPT), records.to_json(result))
        checkpoint.clear()
        dur = len(audio) / 16000
        el = time.monotonic() - t0
        self._record("transcribe", "done", t0, f"{len(result.words())} words, language {result.language}, RTF {el / max(dur, 1e-9):.3f}")

    def diarize_options(self):
        opts = self.config.diarize
        roster = len(self.session.speakers)
        if roster and getattr(opts, "max_speakers", None) is None:
            # the roster bounds the count; one extra voice for a participant from the floor
            opts = replace(opts, max_speakers=roster + 1)
        return opts

    def diarize_inputs(self) -> str:
        return digest("diarize", recording_digest(self.session), self.diarize_options().parameters())

    def diarize(self) -> None:
        from .diarize import diarize, to_rttm

        inputs = self.diarize_inputs()
        if self._fresh("diarize", DIARIZATION, inputs) and self.path(RTTM).is_file():
            self._record("diarize", "up to date")
            return
        resolve_device(self.config.diarize.device, what=f"diarizer ({self.config.diarize.backend})")  # before any fetch
        audio = self.audio()
        t0 = time.monotonic()
        result = diarize(audio, self.diarize_options(), progress=self._progress("diarize"))
        result = replace(result, inputs=inputs)
        write_text_atomic(self.path(DIARIZATION), records.to_json(result))
        write_text_atomic(self.path(RTTM), to_rttm(result, self.session.id))
        el = time.monotonic() - t0
        dur = len(audio) / 16000
        self._record("diarize", "done", t0, f"{len(result.labels)} speakers, {len(result.turns)} turns, RTF {el / max(dur, 1e-9):.3f}")

    def attribute_inputs(self) -> str:
        caps = self.session.captions
        return digest(
            "attribute",
            _file_digest(self.path(TRANSCRIPT)),
            _file_digest(self.path(DIARIZATION)),
            sorted(self.session.speaker_map.items()),
            [asdict(p) for p in self.session.speakers],
            asdict(self.config.attribute),
            asdict(NamingOptions()),
            caps,
            self.session.transcript_text,
            _file_digest(self.session.dir / caps) if caps and "://" not in caps else caps,
        )

    def attribute(self) -> None:
        inputs = self.attribute_inputs()
        if self._fresh("attribute", TURNS, inputs):
            self._record("attribute", "up to date")
            return
        t0 = time.monotonic()
        transcript = records.transcript_from_dict(self._load(TRANSCRIPT))
        diar = records.diarization_from_dict(self._load(DIARIZATION))
        result = attribute(transcript, diar, speaker_map=self.session.speaker_map, options=self.config.attribute)
        # names: the session's speaker_map wins; other labels are named from what is said
        result, naming = name_speakers(result, self.session)
        naming = {label: records.naming_entry_from_dict(entry) for label, entry in naming.items()}
        result = replace(result, naming=naming)
        detail = ""
        if self.session.captions and self.session.transcript_text == "captions":
            captions = read_captions(self.session.captions, self.session.dir)
            result = captioned_turns(result, transcript.words(), captions, self.session.speakers)
            detail = f", official captions aligned (coverage {result.parameters['captions']['coverage']:.0%})"
        write_text_atomic(self.path(TURNS), records.to_json(replace(result, inputs=inputs)))
        named = sum(1 for v in naming.values() if v.source != "unnamed")
        self._record("attribute", "done", t0, f"{len(result.turns)} turns, {named}/{len(naming)} voices named{detail}")

    def segment_inputs(self) -> str:
        info = read_info(self.session.dir) or {}
        return digest(
            "segment",
            [asdict(e) for e in self.session.agenda],
            info.get("chapters"),
            _file_digest(self.path(TURNS)),
            [p.name for p in self.session.speakers],
            asdict(self.config.segment),
        )

    def segment(self) -> None:
        inputs = self.segment_inputs()
        if self._fresh("segment", AGENDA, inputs):
            self._record("segment", "up to date")
            return
        t0 = time.monotonic()
        data = _read_json(self.path(TURNS))
        turns = records.turns_from_dict(data) if data else None
        result = place_agenda(
            self.session.agenda, read_info(self.session.dir), turns, roster=self.session.speakers, options=self.config.segment
        )
        write_text_atomic(self.path(AGENDA), records.to_json(replace(result, inputs=inputs)))
        placed = sum(1 for i in result.items if i.source in ("placed", "proposed"))
        self._record("segment", "done", t0, f"{len(result.items)} agenda items ({placed} placed from the transcript)")

    def summarize_inputs(self) -> str:
        return digest(
            "summarize",
            _file_digest(self.path(TURNS)),
            _file_digest(self.path(AGENDA)),
            self.session.title,
            [asdict(p) for p in self.session.speakers],
            dict(self.session.report),
            asdict(self.config.summarize),
        )

    def summarize(self) -> None:
        from .summarize import summarize

        inputs = self.summarize_inputs()
        if self._fresh("summarize", SUMMARY, inputs):
            self._record("summarize", "up to date")
            return
        t0 = time.monotonic()
        turns = records.turns_from_dict(self._load(TURNS))
        agenda = records.agenda_from_dict(self._load(AGENDA))
        result = summarize(turns, agenda, self.session, options=self.config.summarize)
        write_text_atomic(self.path(SUMMARY), records.to_json(replace(result, inputs=inputs)))
        self._record("summarize", "done", t0)

    def _load(self, name: str) -> dict:
        data = _read_json(self.path(name))
        if data is None:
            raise StageError(f"{name} is missing or unreadable", path=self.path(name), hint="run the stage that makes it (rapporteur run)")
        return data

    # ------------------------------------------------------------ all
    def run(self, stages: tuple[str, ...] = STAGES) -> list[StageResult]:
        if not self.session.recording:
            if "segment" in stages:
                self.segment()
            self._record("transcribe", "skipped", detail="no recording yet")
            return self.results
        if "fetch" in stages and not ({"transcribe", "diarize"} & set(stages)):
            self.audio()
        together = {"transcribe", "diarize"} <= set(stages) and self.config.diarize.alongside_asr
        alongside = self._start_diarize() if together else None
        try:
            for stage in STAGES[1:]:  # fetch happens on demand, when a stage needs audio
                if stage == "diarize" and alongside:  # its turn comes after transcription: collect it
                    self._finish(*alongside)
                    alongside = None
                elif stage in stages:
                    getattr(self, stage)()
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
                self.diarize()
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

    lock_path = Path(session_dir) / LOCK_FILE
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
    error_file = session_dir / ERROR_FILE
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
        _record_error(session_dir, err)
        raise err from None
    except RapporteurError as exc:
        _record_error(session_dir, exc)
        raise
    error_file.unlink(missing_ok=True)
    return results


def _record_error(session_dir: Path, exc: Exception) -> None:
    """Leave the reason in ``.error`` for the site and for make's summary (best effort)."""
    error_file = session_dir / ERROR_FILE
    if session_dir.is_dir():
        try:
            write_text_atomic(error_file, str(exc) + "\n")
        except OSError:
            pass
