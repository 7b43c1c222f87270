"""Shared fixtures: made-up records, tiny sessions, a local HTTP server."""

from __future__ import annotations

import functools
import re
import http.server
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def write_session(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "session.yaml").write_text(text, encoding="utf-8")
    return directory


@pytest.fixture
def make_session(tmp_path):
    def make(text: str, name: str = "s1") -> Path:
        return write_session(tmp_path / "recordings" / name, text)

    return make


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def http_dir(tmp_path):
    """Serve a temporary folder on 127.0.0.1; yields (folder, base_url)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def espeak(text: str, target: Path, voice: str = "en-us") -> Path:
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed")
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(target), text], check=True)
    return target


def benchmark_module(name: str):
    """A module of benchmarks/ (make_archive: the generated archive; site_scale: the project it is built in)."""
    import importlib.util
    import sys

    if str(ROOT / "benchmarks") not in sys.path:  # site_scale imports make_archive by name
        sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_test_site(root: Path, session_dirs, *, strict: bool = False, **search) -> Path:
    """Render the given session folders and build a full site (mkdocs + Pagefind) under ``root``
    (``search``: build_search_index's options)."""
    import os
    import sys

    from rapporteur.site.build import build_search_index, render_site
    from rapporteur.site.views import session_view

    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    docs = root / "docs"
    docs.mkdir(exist_ok=True)
    for item in ("about.md", "search.md", "assets", "overrides"):
        src = ROOT / "docs" / item
        (shutil.copytree if src.is_dir() else shutil.copy)(src, docs / item)
    render_site([session_view(d) for d in session_dirs], docs)
    cmd = [sys.executable, "-m", "mkdocs", "build", "--quiet", *(["--strict"] if strict else [])]
    proc = subprocess.run(cmd, cwd=root, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    build_search_index(root / "site", log=lambda _: None, **search)
    assert_transcripts_read_as_built(root / "docs", root / "site")
    assert_no_markdown_left(root / "site")
    return root / "site"


_MARKDOWN_LEFT = re.compile(r"^(?:!!! |#{1,6} |\{: |- \*|> “)", re.M)


def assert_no_markdown_left(site: Path) -> None:
    """Every generated page's Markdown was read as Markdown: no admonition, heading, attribute list, list or quote
    is left as text in the built HTML (Markdown inside a raw HTML block is not read without md_in_html)."""
    for page in sorted(p for d in ("sessions", "speakers", "events") for p in (site / d).rglob("index.html")):
        left = _MARKDOWN_LEFT.search(page.read_text(encoding="utf-8"))
        assert left is None, f"{page}: Markdown left as text: {left.group(0)!r}"


def assert_transcripts_read_as_built(docs: Path, site: Path) -> None:
    """The search records are made from docs/ (while the site engine builds the pages): each session page's
    Markdown must read as its built page does (same title, language, filters and turns)."""
    from rapporteur.site import search

    built = [search.read_transcript(p.read_text(encoding="utf-8"), f"/sessions/{p.parent.name}/")
             for p in sorted((site / "sessions").glob("*/index.html"))]
    assert search.transcripts(docs) == [t for t in built if t is not None]


def serve_site(site: Path):
    """Serve a built site on 127.0.0.1 with Range support; yields its base URL (use with `yield from`)."""
    from rapporteur.site.serve import make_server

    server = make_server(site, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
