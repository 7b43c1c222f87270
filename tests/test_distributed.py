"""Distributed runs (`rapporteur run --scheduler`): one Dask task per session, on a shared file system."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from conftest import write_session
from rapporteur import distributed as dist
from rapporteur.cli import main
from rapporteur.config import Config
from rapporteur.errors import RapporteurError

needs_dask = pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None,
    reason="Dask distributed is not installed (pip install 'rapporteur[distributed]'; `make test` installs it)",
)


def sessions(root):
    """Two good sessions (no recording yet: only the agenda stage runs) and one broken session.yaml."""
    write_session(root / "alpha", "title: Alpha\nagenda:\n  - {title: Opening alpha, start: '0:05'}\n")
    write_session(root / "beta", "title: Beta\nagenda:\n  - {title: Opening beta, start: '0:07'}\n")
    write_session(root / "broken", "title: [oops\n")
    return root


def assert_ran(root, out, err, status):
    assert status == 1
    for name, title, start in (("alpha", "Opening alpha", 5.0), ("beta", "Opening beta", 7.0)):
        items = json.loads((root / name / "agenda.json").read_text())["items"]
        assert [(i["title"], i["start"]) for i in items] == [(title, start)]
        assert f"{name}: agenda done" in out  # the worker's log lines come back
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "broken" in errors[0] and "malformed YAML" in errors[0]
    assert "1 of 3 session(s) failed: broken" in err and "Traceback" not in err
    assert not (root / "broken" / "agenda.json").exists()
    assert "malformed YAML" in (root / "broken" / ".error").read_text()


# ------------------------------------------------------------------ pure parts


def test_parse_scheduler_and_thread_split():
    assert dist.parse_scheduler("tcp://10.0.0.5:8786", cores=8, sessions=3) == ("tcp://10.0.0.5:8786", 0)
    assert dist.parse_scheduler("local:3", cores=2, sessions=1) == (None, 3)
    assert dist.parse_scheduler("local", cores=8, sessions=3) == (None, 3)  # no idle workers
    assert dist.parse_scheduler("local", cores=2, sessions=10) == (None, 2)
    for bad in ("local:0", "local:two", ""):
        with pytest.raises(RapporteurError, match="local:N|tcp://host"):
            dist.parse_scheduler(bad, cores=2, sessions=1)
    assert [dist.local_threads(8, n) for n in (1, 2, 3, 8, 16)] == [8, 4, 2, 1, 1]


def test_task_reports_invisible_folder_and_other_code(tmp_path):
    here = dist.code_fingerprint()
    assert here.startswith(f"{dist.__version__}+") and dist.code_fingerprint() == here
    gone = dist.run_remote(str(tmp_path / "elsewhere"), Config(), ("segment",), frozenset(), here, True)
    assert "elsewhere" in gone.error and "not visible on worker" in gone.error and "same path" in gone.error
    other = dist.run_remote(str(tmp_path / "elsewhere"), Config(), ("segment",), frozenset(), "0.0.1+other", True)
    assert "same rapporteur" in other.error and "\n" not in other.error
    d = write_session(tmp_path / "ok", "title: Ok\n")
    done = dist.run_remote(str(d), Config(), ("segment",), frozenset(), here, True)
    assert done.error is None and any("ok: agenda done" in line for line in done.lines)


def test_without_dask_the_error_names_the_extra(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    d = write_session(tmp_path / "s", "title: T\n")
    assert main(["run", "--scheduler", "local:1", str(d)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "error: --scheduler needs Dask distributed, which is not installed — pip install 'rapporteur[distributed]'"


@needs_dask
def test_unreachable_scheduler_is_one_line(tmp_path, monkeypatch, capsys):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(dist, "CONNECT_TIMEOUT", "1s")
    d = write_session(tmp_path / "s", "title: T\n")
    assert main(["run", "--scheduler", f"tcp://127.0.0.1:{port}", str(d)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot reach the Dask scheduler" in err and "dask scheduler" in err


# ------------------------------------------------------------------ real clusters


@needs_dask
@pytest.mark.slow
def test_local_cluster_runs_sessions_and_reports_the_broken_one(tmp_path, capsys):
    root = sessions(tmp_path / "recordings")
    status = main(["run", "--scheduler", "local:2", str(root)])
    captured = capsys.readouterr()
    assert "on 2 Dask worker(s)" in captured.out
    assert_ran(root, captured.out, captured.err, status)


@needs_dask
@pytest.mark.slow
def test_explicit_scheduler_address(tmp_path, capsys):
    from distributed import Client, LocalCluster

    root = sessions(tmp_path / "recordings")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        status = main(["run", "--quiet", "--scheduler", address, str(root)])
        captured = capsys.readouterr()
        assert_ran(root, captured.out, captured.err, status)
        # a second run finds the good sessions up to date
        assert main(["run", "--scheduler", address, str(root / "alpha"), str(root / "beta")]) == 0
        assert "agenda done" not in capsys.readouterr().out
        # workers running other rapporteur code are refused before any work is sent
        with Client(address) as client, pytest.raises(RapporteurError, match="other rapporteur code"):
            dist.check_workers(client, address, "0.0.1+other")


@needs_dask
@pytest.mark.slow
def test_worker_transcribes_with_the_clients_options(tmp_path, capsys):
    from conftest import espeak

    d = write_session(tmp_path / "recordings" / "spoken", "title: Spoken\nlanguage: en\nrecording: speech.wav\n")
    espeak("Good morning everyone, and welcome to this session on rural connectivity.", d / "speech.wav")
    cfg = tmp_path / "rapporteur.yaml"
    cfg.write_text("transcribe:\n  beam_size: 1\n")
    args = ["transcribe", "--quiet", "--scheduler", "local:1", "--config", str(cfg), "--model", "tiny.en", str(d)]
    assert main(args) == 0, capsys.readouterr().err
    transcript = json.loads((d / "transcript.json").read_text())
    assert transcript["model"] == "tiny.en" and transcript["parameters"]["beam_size"] == 1
    said = set(" ".join(s["text"] for s in transcript["segments"]).lower().replace(",", " ").replace(".", " ").split())
    spoken = "good morning everyone and welcome to this session on rural connectivity".split()
    assert sum(w in said for w in spoken) >= 0.6 * len(spoken)  # a tolerance, not one exact word
    assert "spoken: transcribe done" in capsys.readouterr().out
