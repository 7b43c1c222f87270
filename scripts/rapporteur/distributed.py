"""Distributed runs: one Dask task per session folder (``rapporteur run --scheduler ADDRESS``).

Workers share the file system with the client: every session folder is seen at
the same absolute path, and a task writes its artefacts into that folder as a
local run would (``pipeline.run_session``, which also takes the session's lock).
The client builds the configuration and ships it; workers must run the same
rapporteur code, which is checked before any work is sent.  Log lines are
collected on the worker and printed by the client when a session is done.

ADDRESS is a running scheduler (``tcp://10.0.0.5:8786``) or ``local`` /
``local:N``: a LocalCluster of N single-threaded worker processes on this
machine (``local``: one per core, at most one per session).  Dask is an
optional extra, imported only here: ``pip install 'rapporteur[distributed]'``.
"""

from __future__ import annotations

import functools
import os
import socket
import traceback
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from . import __version__
from .config import Config, with_overrides
from .errors import RapporteurError
from .core.fsutil import digest

CONNECT_TIMEOUT = "10s"  # reaching the scheduler
WORKER_TIMEOUT = 60.0  # seconds to wait for a first worker to join the scheduler


@dataclass(frozen=True)
class Outcome:
    """What a task reports back: the session's log lines, and its error as one line (None: done)."""

    session: str
    lines: tuple[str, ...] = ()
    error: str | None = None
    traceback: str = ""


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """rapporteur's version and a digest of its source files (as first seen by this process)."""
    package = Path(__file__).resolve().parent
    return f"{__version__}+{digest(*[(p.name, p.read_bytes()) for p in sorted(package.glob('*.py'))])}"


def parse_scheduler(address: str, *, cores: int, sessions: int) -> tuple[str | None, int]:
    """``(address, 0)`` for a running scheduler; ``(None, workers)`` for ``local`` / ``local:N``."""
    if address == "local":
        return None, max(1, min(cores, sessions))
    if address.startswith("local:"):
        count = address.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise RapporteurError(f"--scheduler {address}: expected local:N with N ≥ 1 worker processes")
        return None, int(count)
    if not address.strip() or address.startswith("-"):
        raise RapporteurError(f"--scheduler {address!r}: expected a scheduler address like tcp://host:8786, local or local:N")
    return address, 0


def local_threads(cores: int, workers: int) -> int:
    """Threads per session when ``workers`` sessions share ``cores`` cores."""
    return max(1, cores // max(1, workers))


def run_remote(
    session_dir: str,
    config: Config,
    stages: tuple[str, ...],
    force: frozenset[str],
    expected: str,
    seen_by_client: bool,
) -> Outcome:
    """The task (runs on a worker): one session's out-of-date stages, log lines collected."""
    from .pipeline import run_session

    path = Path(session_dir)
    here = f"worker {socket.gethostname()} (pid {os.getpid()})"
    if code_fingerprint() != expected:
        return Outcome(path.name, error=f"{path.name}: {here} runs rapporteur {code_fingerprint()}, the client {expected}"
                                        " — install the same rapporteur on every worker and restart the workers")
    if seen_by_client and not (path / "session.yaml").is_file():
        return Outcome(path.name, error=f"{path.name}: {path / 'session.yaml'} is not visible on {here}"
                                        " — mount the sessions at the same path on every worker")
    lines: list[str] = []
    try:
        run_session(path, config, stages=stages, force=force, log=lines.append, quiet_progress=True)
    except RapporteurError as exc:
        return Outcome(path.name, tuple(lines), str(exc), traceback.format_exc())
    return Outcome(path.name, tuple(lines))


def _dask() -> Any:
    try:
        import distributed
    except ImportError:
        raise RapporteurError("--scheduler needs Dask distributed, which is not installed",
                              hint="pip install 'rapporteur[distributed]'") from None
    return distributed


@contextmanager
def connect(address: str | None, workers: int) -> Iterator[Any]:
    """A Dask client of the scheduler at ``address``, or of a new LocalCluster of ``workers`` processes."""
    dask = _dask()
    if address is None:
        with dask.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            with dask.Client(cluster) as client:
                yield client
        return
    try:
        client = dask.Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise RapporteurError(f"cannot reach the Dask scheduler at {address} ({str(exc).splitlines()[0]})",
                              hint="start `dask scheduler` there, and check the address, port and firewall") from None
    with client:
        yield client


def check_workers(client: Any, address: str, expected: str) -> int:
    """Wait for a worker; fail when any worker runs other rapporteur code.  Returns the worker count."""
    try:
        client.wait_for_workers(1, timeout=WORKER_TIMEOUT)
    except TimeoutError:
        raise RapporteurError(f"no Dask worker has joined the scheduler at {address} in {WORKER_TIMEOUT:.0f} s",
                              hint=f"start `dask worker {address}` on each machine") from None
    try:
        found: dict[str, str] = client.run(code_fingerprint)
    except Exception as exc:  # e.g. ModuleNotFoundError: rapporteur is not installed on a worker
        raise RapporteurError(f"a Dask worker cannot run rapporteur ({type(exc).__name__}: {str(exc).splitlines()[0]})",
                              hint="install the same rapporteur (and its models) on every worker") from None
    other = {w: f for w, f in found.items() if f != expected}
    if other:
        worker, theirs = next(iter(other.items()))
        raise RapporteurError(
            f"{len(other)} of {len(found)} Dask worker(s) run other rapporteur code: {worker} has {theirs}, this machine {expected}",
            hint="install the same rapporteur on every worker (e.g. one shared checkout) and restart the workers",
        )
    return len(found)


def _result(future: Any, name: str) -> Outcome:
    """A finished task's outcome; a crash (a bug, a killed worker) becomes a one-line error."""
    try:
        return future.result()
    except Exception as exc:
        first = (str(exc).splitlines() or [""])[0][:200]
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return Outcome(name, error=f"{name}: {type(exc).__name__}: {first} (on a Dask worker; --debug shows the traceback)",
                       traceback=text)


def run_distributed(
    address: str,
    dirs: Sequence[Path],
    config: Config,
    *,
    stages: tuple[str, ...],
    force: frozenset[str],
    split_threads: bool,
    log: Callable[[str], None],
    err: Callable[[str], None],
    debug: bool = False,
) -> int:
    """Run ``stages`` of every session in ``dirs`` on the cluster; report like a local batch.

    Returns 0, or 1 when a session failed (the others still run).  ``split_threads``:
    on a LocalCluster, give each session an equal share of this machine's cores.
    """
    cores = os.cpu_count() or 1
    url, workers = parse_scheduler(address, cores=cores, sessions=len(dirs))
    if workers and split_threads:
        threads = local_threads(cores, workers)
        config = with_overrides(with_overrides(config, "transcribe", threads=threads), "diarize", threads=threads)
    expected = code_fingerprint()
    failed: list[str] = []
    with connect(url, workers) as client:
        count = check_workers(client, url or address, expected)
        log(f"{len(dirs)} session(s) on {count} Dask worker(s) ({url or f'local cluster of {workers}'})")
        futures = {
            client.submit(run_remote, str(d.absolute()), config, stages, force, expected, (d / "session.yaml").is_file(),
                          key=f"rapporteur-{d.name}-{uuid.uuid4().hex[:8]}", pure=False): d
            for d in dirs
        }
        for future in _dask().as_completed(futures):
            outcome = _result(future, futures[future].name)
            for line in outcome.lines:
                log(line)
            if outcome.error is None:
                continue
            if debug and outcome.traceback:
                err(outcome.traceback.rstrip())
            msg = outcome.error if outcome.session in outcome.error else f"{outcome.session}: {outcome.error}"
            err(f"error: {msg}")
            failed.append(outcome.session)
    if failed:
        names = [d.name for d in dirs if d.name in failed]  # in the order given, as a local run reports them
        err(f"{len(failed)} of {len(dirs)} session(s) failed: {', '.join(dict.fromkeys(names))}")
        return 1
    return 0
