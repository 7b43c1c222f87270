"""The stage graph end to end on the committed 3-speaker fixture (tiny.en, offline)."""

import json
import shutil
from dataclasses import replace

import pytest

from conftest import FIXTURES, write_session
from rapporteur.cli import main
from rapporteur.config import Config, load_config, with_overrides
from rapporteur.errors import RapporteurError
from rapporteur.eval.evaluate import evaluate_session
from rapporteur.pipeline import run_session
from rapporteur.summarize import SummarizeOptions
from rapporteur.transcribe import TranscribeOptions

FAST = Config(transcribe=TranscribeOptions(model="tiny.en", threads=2, beam_size=1),
              summarize=SummarizeOptions(embedder="tfidf"))


def statuses(results):
    return {r.stage: r.status for r in results}


@pytest.fixture
def fixture_session(tmp_path):
    d = tmp_path / "recordings" / "three-speakers"
    shutil.copytree(FIXTURES / "three-speakers", d)
    return d


@pytest.mark.slow
def test_runs_every_stage_then_nothing(fixture_session):
    log = []
    first = run_session(fixture_session, FAST, log=log.append, quiet_progress=True)
    assert statuses(first) == {"fetch": "done", "transcribe": "done", "diarize": "done", "attribute": "done",
                               "agenda": "done", "summarize": "done"}
    for name in ("audio.wav", "transcript.json", "diarization.json", "diarization.rttm", "turns.json", "agenda.json",
                 "summary.json"):
        assert (fixture_session / name).is_file(), name
    turns = json.loads((fixture_session / "turns.json").read_text())
    assert len(turns["speakers"]) == 3
    agenda = json.loads((fixture_session / "agenda.json").read_text())
    assert [i["title"] for i in agenda["items"]] and all(i["start"] is not None for i in agenda["items"])
    report = json.loads(evaluate_session(fixture_session, as_json=True))
    assert report["der"] < 0.10 and report["hypothesis_speakers"] == 3
    assert report["wer"] < 0.25  # tiny.en, greedy: a smoke bound, the benchmark measures base

    # nothing changed: nothing runs, and audio is not even decoded
    (fixture_session / "audio.wav").unlink()
    second = run_session(fixture_session, FAST, log=log.append, quiet_progress=True)
    assert set(statuses(second).values()) == {"up to date"}
    assert not (fixture_session / "audio.wav").exists()

    # a new speaker_map re-runs attribution only
    yaml_file = fixture_session / "session.yaml"
    yaml_file.write_text(yaml_file.read_text() + "speaker_map:\n  SPEAKER_00: Maria Lopez\n")
    third = statuses(run_session(fixture_session, FAST, log=log.append, quiet_progress=True))
    assert third == {"transcribe": "up to date", "diarize": "up to date", "attribute": "done", "agenda": "done",
                     "summarize": "done"}
    turns = json.loads((fixture_session / "turns.json").read_text())
    assert turns["turns"][0]["speaker"] == "Maria Lopez"

    # a human correction and the archive's glossary re-run attribution and what follows, never ASR or diarization;
    # an entry that cannot be placed is one warning line and stays in its file
    first = turns["turns"][0]
    word = first["text"].split()[0].strip(".,!?")
    fixes = fixture_session / "corrections.yaml"
    fixes.write_text(f'turns:\n  - at: "{first["id"]}"\n    speaker: Guest Speaker\n'
                     '  - at: "0:59:00"\n    speaker: Nobody\n')
    (fixture_session.parent / "glossary.yaml").write_text(f'"{word}": "{word.upper()}"\n')
    log.clear()
    fifth = statuses(run_session(fixture_session, FAST, log=log.append, quiet_progress=True))
    assert fifth == {"transcribe": "up to date", "diarize": "up to date", "attribute": "done", "agenda": "done",
                     "summarize": "done"}
    corrected = json.loads((fixture_session / "turns.json").read_text())["turns"][0]
    assert corrected["speaker"] == "Guest Speaker" and corrected["text"].startswith(word.upper())
    kinds = {c["kind"] for c in corrected["corrections"]}
    assert kinds == {"speaker", "glossary"}
    warnings = [line for line in log if line.startswith("warning:")]
    assert len(warnings) == 1 and "turns[1]" in warnings[0] and "not placed" in warnings[0]
    assert "Nobody" in fixes.read_text()  # never dropped from the file
    fixes.unlink()
    (fixture_session.parent / "glossary.yaml").unlink()

    # another model re-transcribes (and re-attributes) but does not re-diarize
    other = with_overrides(FAST, "transcribe", beam_size=2)
    fourth = statuses(run_session(fixture_session, other, log=log.append, quiet_progress=True))
    assert fourth["transcribe"] == "done" and fourth["diarize"] == "up to date" and fourth["attribute"] == "done"


def test_session_without_recording_is_skipped_not_failed(tmp_path):
    d = write_session(tmp_path / "recordings" / "later", "title: Coming soon\nagenda:\n  - title: Opening\n")
    results = run_session(d, FAST, log=lambda m: None)
    assert statuses(results)["transcribe"] == "skipped"
    assert json.loads((d / "agenda.json").read_text())["items"] == []
    assert not (d / ".error").exists()


def test_failure_leaves_error_file_and_success_clears_it(tmp_path):
    d = write_session(tmp_path / "recordings" / "broken", "title: T\nrecording: missing.ogg\n")
    with pytest.raises(RapporteurError):
        run_session(d, FAST, log=lambda m: None)
    assert "missing.ogg" in (d / ".error").read_text()
    (d / "session.yaml").write_text("title: T\n")
    run_session(d, FAST, log=lambda m: None)
    assert not (d / ".error").exists()


def test_damaged_artefact_is_rebuilt_not_trusted(tmp_path):
    d = write_session(tmp_path / "recordings" / "s", "title: T\nagenda:\n  - {title: A, start: '0:05'}\n")
    run_session(d, FAST, log=lambda m: None)
    good = json.loads((d / "agenda.json").read_text())
    for damage in ('{"items": [',  # half-written by some other tool
                   json.dumps({**good, "schema_version": 0}),  # an older schema
                   json.dumps({**good, "items": [{"name": "A"}]})):  # valid JSON, wrong shape
        (d / "agenda.json").write_text(damage)
        log = []
        assert statuses(run_session(d, FAST, log=log.append))["agenda"] == "done"
        assert json.loads((d / "agenda.json").read_text())["items"][0]["start"] == 5.0
        damaged = [line for line in log if "damaged" in line]
        assert len(damaged) == 1 and damaged[0].startswith("s: agenda.json is damaged (") and damaged[0].endswith("— rebuilt")
    # the old name of the stage still works, from the API and from the command line
    assert statuses(run_session(d, FAST, stages=("segment",), force=frozenset({"segment"}), log=lambda m: None))[
        "agenda"] == "done"
    assert main(["segment", "--quiet", str(d)]) == 0 and main(["agenda", "--quiet", str(d)]) == 0


def test_upstream_damage_is_one_line_naming_the_file(tmp_path, capsys):
    d = write_session(tmp_path / "recordings" / "s", "title: T\nrecording: talk.wav\n")  # summarize needs no audio
    (d / "turns.json").write_text("{damaged")
    assert main(["summarize", "--quiet", str(d)]) == 1
    err = capsys.readouterr().err
    assert "turns.json is damaged (not JSON" in err and "Traceback" not in err and err.count("\n") == 2


def test_config_file_loading(tmp_path):
    cfg = tmp_path / "rapporteur.yaml"
    cfg.write_text("transcribe:\n  model: tiny.en\n  threads: 2\n  colour: red\ndiarize:\n  hop: 0.5\n")
    c = load_config(cfg)
    assert c.transcribe.model == "tiny.en" and c.transcribe.threads == 2 and c.diarize.hop == 0.5
    assert any("colour" in w for w in c.warnings)
    cfg.write_text("transcribe:\n  threads: many\n  beam_size: true\nnonsense: 1\n")
    with pytest.raises(RapporteurError) as info:
        load_config(cfg)
    assert "transcribe.threads" in str(info.value) and "transcribe.beam_size" in str(info.value)
    assert load_config(tmp_path / "absent.yaml") == Config()


def test_config_sections_for_naming_captions_and_agenda(tmp_path):
    cfg = tmp_path / "rapporteur.yaml"
    cfg.write_text("naming:\n  min_score: 2.0\ncaptions:\n  snap: 0.5\n  text: asr\nsegment:\n  min_gap: 9\n")
    c = load_config(cfg)
    assert c.naming.min_score == 2.0 and c.captions.snap == 0.5 and c.agenda.min_gap == 9.0 and c.segment is c.agenda
    assert c.captions.text == "captions"  # chosen per session (transcript_text), not here
    assert any("'segment' is now called 'agenda'" in w for w in c.warnings)
    assert any("captions.text" in w for w in c.warnings)
    cfg.write_text("agenda:\n  min_gap: 7\nsegment:\n  min_gap: 9\n")
    c = load_config(cfg)
    assert c.agenda.min_gap == 7.0 and any("ignored" in w for w in c.warnings)


def test_cli_batch_skips_a_broken_session_and_exits_nonzero(tmp_path, capsys):
    root = tmp_path / "recordings"
    write_session(root / "good", "title: Fine\n")
    write_session(root / "bad", "title: [oops\n")
    write_session(root / "worse", "title: T\nrecording: gone.wav\n")
    assert main(["run", "--quiet", str(root)]) == 1
    err = capsys.readouterr().err
    assert "2 of 3 session(s) failed: bad, worse" in err
    assert "Traceback" not in err
    assert (root / "good" / "agenda.json").is_file()
    assert "gone.wav" in (root / "worse" / ".error").read_text()


def test_cli_help_everywhere(capsys):
    for cmd in ([], ["run"], ["export"], ["transcribe"], ["render"], ["validate"]):
        with pytest.raises(SystemExit) as info:
            main([*cmd, "--help"])
        assert info.value.code == 0
    assert "usage: rapporteur" in capsys.readouterr().out


def test_cli_export_and_validate(tmp_path, capsys):
    d = write_session(tmp_path / "recordings" / "s", "title: T\n")
    assert main(["export", str(d), "--format", "vtt"]) == 1
    assert "no turns.json yet" in capsys.readouterr().err
    turns = {"schema_version": 1, "speakers": {"SPEAKER_00": "Ana"}, "turns": [
        {"id": "t0", "start": 0.0, "end": 1.0, "label": "SPEAKER_00", "speaker": "Ana", "text": "Hello there.",
         "words": [{"start": 0.0, "end": 0.5, "text": " Hello", "probability": 1.0},
                   {"start": 0.5, "end": 1.0, "text": " there.", "probability": 1.0}]}]}
    (d / "turns.json").write_text(json.dumps(turns))
    assert main(["export", str(d), "-f", "vtt"]) == 0
    assert "<v Ana>Hello there." in capsys.readouterr().out
    assert main(["export", str(d), "-f", "srt", "-o", str(tmp_path / "out.srt")]) == 0
    assert "Ana: Hello there." in (tmp_path / "out.srt").read_text()
    assert main(["validate", str(d)]) == 0


@pytest.mark.slow
def test_killed_transcription_resumes_from_checkpoint(fixture_session):
    from rapporteur.core.folder import CHECKPOINT
    from rapporteur.pipeline import SessionRun
    from rapporteur.core.session import load_session

    run_session(fixture_session, FAST, stages=("transcribe",), log=lambda m: None, quiet_progress=True)
    done = json.loads((fixture_session / "transcript.json").read_text())
    # what a run killed after its first segment leaves behind (written atomically every 30 s)
    partial = {**done, "segments": done["segments"][:1]}
    (fixture_session / CHECKPOINT).write_text(json.dumps({"inputs": done["inputs"], "transcript": partial}))
    (fixture_session / "transcript.json").unlink()
    log = []
    run = SessionRun(load_session(fixture_session), FAST, log=log.append, quiet_progress=True)
    run.transcribe()
    assert any("resumes at" in line for line in log)
    again = json.loads((fixture_session / "transcript.json").read_text())
    assert again["segments"][:1] == done["segments"][:1]
    assert len(again["segments"]) >= 2 and not (fixture_session / CHECKPOINT).exists()
    # a checkpoint made with other options is ignored, not trusted
    (fixture_session / CHECKPOINT).write_text(json.dumps({"inputs": "other", "transcript": partial}))
    (fixture_session / "transcript.json").unlink()
    log.clear()
    SessionRun(load_session(fixture_session), FAST, log=log.append, quiet_progress=True).transcribe()
    assert not any("resumes" in line for line in log)
    # nor is a good one when the stage is forced: --force decodes the whole recording again
    (fixture_session / CHECKPOINT).write_text(json.dumps({"inputs": done["inputs"], "transcript": partial}))
    log.clear()
    SessionRun(load_session(fixture_session), FAST, force=frozenset({"transcribe"}), log=log.append,
               quiet_progress=True).transcribe()
    assert not any("resumes" in line for line in log) and not (fixture_session / CHECKPOINT).exists()


def test_device_is_how_not_what_and_cuda_without_gpu_is_one_line(fixture_session, monkeypatch, capsys):
    import importlib.util

    import ctranslate2

    from rapporteur.pipeline import SessionRun
    from rapporteur.core.session import load_session

    cpu = SessionRun(load_session(fixture_session), FAST)
    gpu = with_overrides(with_overrides(FAST, "transcribe", device="cuda"), "diarize", device="cuda", threads=3)
    cuda = SessionRun(load_session(fixture_session), gpu)
    assert cpu.transcribe_inputs() == cuda.transcribe_inputs() and cpu.diarize_inputs() == cuda.diarize_inputs()

    if importlib.util.find_spec("torch"):  # without torch there is no GPU for the diarizer anyway
        import torch

        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(ctranslate2, "get_cuda_device_count", lambda: 0)
    for stage, what in (("transcribe", "ASR (faster-whisper)"), ("diarize", "diarizer (builtin)")):
        assert main([stage, "--quiet", "--device", "cuda", str(fixture_session)]) == 1
        err = capsys.readouterr().err
        assert err.count("error:") == 1 and what in err and "--device cpu" in err and "Traceback" not in err
    assert not (fixture_session / "audio.wav").exists()  # refused before decoding anything


def test_two_runs_on_one_session_take_turns(tmp_path):
    import threading
    import time

    from rapporteur.pipeline import session_lock

    d = write_session(tmp_path / "recordings" / "s", "title: T\n")
    order, log = [], []

    def other():
        with session_lock(d, log=log.append):
            order.append("second")

    with session_lock(d):
        t = threading.Thread(target=other)
        t.start()
        time.sleep(0.3)
        order.append("first done")
    t.join(5)
    assert order == ["first done", "second"]
    assert any("another run" in m for m in log)


@pytest.mark.parametrize("errno_, needle", [(13, "make the folder writable"), (28, "free some disk space")])
def test_read_only_or_full_disk_is_one_line_error(tmp_path, monkeypatch, capsys, errno_, needle):
    import os

    import rapporteur.core.folder as folder

    d = write_session(tmp_path / "recordings" / "s", "title: T\n")

    def refuse(path, text):
        raise OSError(errno_, os.strerror(errno_), str(path))

    monkeypatch.setattr(folder, "write_text_atomic", refuse)
    assert main(["run", "--quiet", str(d)]) == 1
    err = capsys.readouterr().err
    assert needle in err and "agenda.json" in err and "Traceback" not in err


def test_diarization_runs_alongside_transcription_and_its_errors_surface(fixture_session, monkeypatch):
    import threading

    import rapporteur.diarize as diarize_mod
    import rapporteur.transcribe as transcribe_mod

    seen = {}
    real_transcribe, real_diarize = transcribe_mod.transcribe, diarize_mod.diarize

    def slow_transcribe(*a, **kw):
        seen["asr_thread"] = threading.current_thread().name
        seen["diarize_started_during_asr"] = started.wait(timeout=20)
        return real_transcribe(*a, **kw)

    started = threading.Event()

    def watched_diarize(*a, **kw):
        seen["diarize_thread"] = threading.current_thread().name
        started.set()
        return real_diarize(*a, **kw)

    monkeypatch.setattr(transcribe_mod, "transcribe", slow_transcribe)
    monkeypatch.setattr(diarize_mod, "diarize", watched_diarize)
    log: list[str] = []
    results = run_session(fixture_session, FAST, log=log.append, quiet_progress=True)
    assert statuses(results)["diarize"] == "done" and statuses(results)["transcribe"] == "done"
    assert seen["diarize_started_during_asr"] and seen["diarize_thread"] != seen["asr_thread"]
    assert [r.stage for r in results].count("fetch") == 1  # the audio was decoded once for both
    assert (fixture_session / "diarization.rttm").is_file()

    # a failure in the diarization thread is the session's one-line error; the transcript is kept
    def broken(*a, **kw):
        raise RapporteurError("diarizer exploded", hint="try again")

    monkeypatch.setattr(diarize_mod, "diarize", broken)
    monkeypatch.setattr(transcribe_mod, "transcribe", real_transcribe)
    for name in ("diarization.json", "transcript.json"):
        (fixture_session / name).unlink()
    with pytest.raises(RapporteurError, match="diarizer exploded"):
        run_session(fixture_session, FAST, log=log.append, quiet_progress=True)
    assert (fixture_session / "transcript.json").is_file() and not (fixture_session / "diarization.json").exists()
    # switched off, diarization runs after transcription, as before
    sequential = with_overrides(FAST, "diarize", alongside_asr=False)
    monkeypatch.setattr(diarize_mod, "diarize", real_diarize)
    assert statuses(run_session(fixture_session, sequential, log=log.append, quiet_progress=True))["diarize"] == "done"


def test_every_input_that_changes_an_output_is_fingerprinted(tmp_path):
    from rapporteur.captions import CaptionOptions
    from rapporteur.core.session import load_session
    from rapporteur.naming import NamingOptions
    from rapporteur.pipeline import TABLE, SessionRun

    d = write_session(tmp_path / "recordings" / "s", "title: T\nrecording: talk.wav\nspeakers:\n  - name: Ana Ruiz\n")

    def inputs(config=FAST, yaml_extra=""):
        (d / "session.yaml").write_text("title: T\nrecording: talk.wav\nspeakers:\n  - name: Ana Ruiz\n" + yaml_extra)
        run = SessionRun(load_session(d), config)
        return {s.name: run.inputs(s.name) for s in TABLE if s.inputs}

    base = inputs()
    assert set(base) == {"transcribe", "diarize", "attribute", "agenda", "summarize"}
    # the ASR prompt: title, roster names, description
    for extra in ("description: Broadband in villages\n", "speakers:\n  - name: Bo Li\n"):
        changed = inputs(yaml_extra=extra)
        assert changed["transcribe"] != base["transcribe"] and changed["diarize"] == base["diarize"], extra
    assert inputs(with_overrides(FAST, "transcribe", use_prompt=False))["transcribe"] != base["transcribe"]
    # naming options; caption options (only when there are captions) and their content
    assert inputs(replace(FAST, naming=NamingOptions(min_score=2.0)))["attribute"] != base["attribute"]
    assert inputs(replace(FAST, captions=CaptionOptions(snap=0.5)))["attribute"] == base["attribute"]
    (d / "raw.txt").write_text(">> ANA RUIZ: Hello.\n")
    with_caps = inputs(yaml_extra="captions: raw.txt\n")
    assert with_caps["attribute"] != base["attribute"]
    assert inputs(replace(FAST, captions=CaptionOptions(snap=0.5)), "captions: raw.txt\n")["attribute"] != with_caps["attribute"]
    assert inputs(yaml_extra="captions: raw.txt\ntranscript_text: asr\n")["attribute"] != with_caps["attribute"]
    (d / "raw.txt").write_text(">> ANA RUIZ: Hello again.\n")
    assert inputs(yaml_extra="captions: raw.txt\n")["attribute"] != with_caps["attribute"]
    # the session's format is in the summary ("The round table …")
    assert inputs(yaml_extra="format: Round Table - 60 Min\n")["summarize"] != base["summarize"]
