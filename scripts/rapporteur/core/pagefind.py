"""The Pagefind binary the search index is built with (site/search.py) and its version (rapporteur doctor)."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

from ..errors import RapporteurError

NPM_BINARIES = ("node_modules/@pagefind/*/bin/pagefind_extended", "node_modules/@pagefind/*/bin/pagefind_extended.exe")
"""Under the environment's prefix: the extended binary of Pagefind's npm release (this platform's package), which
``make setup`` installs there (``npm install --prefix .venv pagefind@1.6.0``) beside PyPI's (1.5.2, the newest on
PyPI).  Pagefind 1.6 groups a search's matched words by result before scoring them; 1.5 scans every matched entry for
each result, which grows with the square of the records holding a word: in Chromium, a word in 12,000 of 12,000 records took 440 ms a search
against 68 ms (878 against 274 ms the first time)."""


@functools.cache
def pagefind_binary() -> Path:
    """The Pagefind binary indexing runs: ``PAGEFIND_BINARY_PATH`` when set (as Pagefind's Python API reads it), else
    the npm release in this environment (``NPM_BINARIES``), else the PyPI wheel's."""
    from pagefind.service import get_executable

    if os.environ.get("PAGEFIND_BINARY_PATH"):
        return Path(os.environ["PAGEFIND_BINARY_PATH"])
    npm = sorted(path for pattern in NPM_BINARIES for path in Path(sys.prefix).glob(pattern))  # (not its .sha256 files)
    binary = npm[0] if npm else get_executable()
    if binary is None:
        raise RapporteurError("the Pagefind binary is not installed", hint="pip install 'pagefind[extended]'")
    return Path(binary)


@functools.cache
def pagefind_version() -> str:
    """The version ``pagefind_binary`` prints ("pagefind 1.6.0" → "1.6.0"), or "unknown"."""
    try:
        said = subprocess.run([str(pagefind_binary()), "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return said.split()[-1] if said.split() else "unknown"
