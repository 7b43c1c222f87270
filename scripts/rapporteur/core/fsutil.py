"""Atomic file writes: a crash never leaves a half-written artefact."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def write_text_atomic(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace``.

    Returns False (and leaves the file and its mtime alone) when the content
    is already identical, so Make and MkDocs see no change.
    """
    path = Path(path)
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    write_bytes_atomic(path, data)
    return True


def write_bytes_atomic(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; artefacts are ordinary files
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()  # read once: os.umask is process-wide


def temp_path_for(path: Path) -> Path:
    """A temporary sibling of ``path`` for tools that write files themselves."""
    path = Path(path)
    return path.with_name(f".tmp-{os.getpid()}-{path.name}")


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while True:
            block = fh.read(chunk)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


def bytes_digest(*parts: bytes) -> str:
    """A short fingerprint of byte strings (each length-prefixed), for the site's page keys.  ``digest``
    hashes each part's repr: the escaped repr of a session's 100-kB turns.json was a tenth of a rebuild's
    render time (the pipeline's artefacts keep ``digest``: their stored fingerprints stay valid)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()[:16]


def digest(*parts: object) -> str:
    """A short stable fingerprint of the inputs that decide an artefact."""
    h = hashlib.sha256()
    for p in parts:
        h.update(repr(p).encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:16]
