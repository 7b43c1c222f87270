"""The archive site: gather every session's artefacts, render docs/, build site/, index it.

One broken session never stops the archive: it is rendered with its error
(one line, no traceback) and reported, and the rest are built.  Search is
Pagefind, run on the built site (its binary ships in the ``pagefind_bin``
wheel: nothing is downloaded).  ``serve`` is a static server that honours
HTTP Range requests, which browsers need to seek in audio.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable

from ..errors import RapporteurError
from ..pipeline import ERROR_FILE
from .pages import SessionView, load_view, render_site
from ..core.session import load_session


def session_view(session_dir: Path) -> SessionView:
    """Everything the site shows about one session (raises on a bad session.yaml)."""
    session = load_session(session_dir)
    error = None
    err_file = session_dir / ERROR_FILE
    if err_file.is_file():
        error = err_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()[0][:300]
    try:
        return load_view(session, error=error)
    except RapporteurError as exc:
        return SessionView(session=session, turns=None, agenda=None, error=str(exc))


def render_archive(recordings: Path, docs: Path, *, log: Callable[[str], None] = print) -> list[str]:
    """Render docs/ for every session folder; return the problems (one line each)."""
    views: list[SessionView] = []
    problems: list[str] = []
    for yaml_file in sorted(Path(recordings).glob("*/session.yaml")):
        try:
            views.append(session_view(yaml_file.parent))
        except RapporteurError as exc:
            problems.append(str(exc))
            print(f"warning: {yaml_file.parent.name} left out of the site: {exc}", file=sys.stderr)
    written = render_site(views, Path(docs))
    log(f"rendered {len(views)} session(s) into {docs}/ ({len(written)} files)")
    return problems


def _run_tool(args: list[str], what: str, path: Path, *, hint: str = "", ok: Callable[[], bool] = lambda: True) -> None:
    """Run ``python -m <tool> ...``; a failure is one line with the tool's last words."""
    proc = subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True)
    if proc.returncode != 0 or not ok():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RapporteurError(f"{what} failed: " + " | ".join(tail), path=path, hint=hint)


def build_site(mkdocs_config: Path = Path("mkdocs.yml"), *, log: Callable[[str], None] = print) -> None:
    """``mkdocs build`` into site/, then the Pagefind index into site/pagefind/."""
    _run_tool(["mkdocs", "build", "--quiet", "--config-file", str(mkdocs_config)], "mkdocs build", mkdocs_config)
    site_dir = Path(mkdocs_config).resolve().parent / "site"
    build_search_index(site_dir, log=log)
    log(f"site built into {site_dir}/")


PAGEFIND_ARGS = ("--quiet", "--exclude-selectors", ".headerlink")
"""Pagefind's options: Material's ¶ permalinks are not text."""


def build_search_index(site_dir: Path, *, log: Callable[[str], None] = print) -> None:
    """Run Pagefind on a built site: writes ``site_dir/pagefind/`` (index, UI script and CSS)."""
    _run_tool(
        ["pagefind", *PAGEFIND_ARGS, "--site", str(site_dir)],
        "pagefind",
        site_dir,
        hint="check that `pagefind[bin]` is installed",
        ok=lambda: (Path(site_dir) / "pagefind" / "pagefind-ui.js").is_file(),
    )
    log(f"search index built into {site_dir}/pagefind/")


# ------------------------------------------------------------------ serving

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeRequestHandler(http.server.SimpleHTTPRequestHandler):
    """``SimpleHTTPRequestHandler`` plus single-range ``Range: bytes=a-b`` (206 / 416)."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".vtt": "text/vtt",
        ".ogg": "audio/ogg",
        ".opus": "audio/ogg",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
    }

    def send_head(self):  # noqa: D102 - same contract as the base class
        header = self.headers.get("Range")
        path = self.translate_path(self.path)
        if not header or os.path.isdir(path):
            return super().send_head()
        m = _RANGE.match(header.strip())
        try:
            f = open(path, "rb")
        except OSError:
            self.send_error(404, "File not found")
            return None
        size = os.fstat(f.fileno()).st_size
        if m is None or (not m.group(1) and not m.group(2)):
            f.close()
            return super().send_head()  # several ranges or nonsense: the whole file
        if m.group(1):
            start = int(m.group(1))
            end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
        else:  # the last N bytes
            start, end = max(0, size - int(m.group(2))), size - 1
        if start >= size or start > end:
            f.close()
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        f.seek(start)
        self._remaining = end - start + 1
        return f

    def copyfile(self, source, outputfile):
        remaining = getattr(self, "_remaining", None)
        if remaining is None:
            return super().copyfile(source, outputfile)
        self._remaining = None
        while remaining > 0:
            chunk = source.read(min(64 * 1024, remaining))
            if not chunk:
                break
            outputfile.write(chunk)
            remaining -= len(chunk)

    def end_headers(self):
        if self.command in ("GET", "HEAD"):  # tell the browser it may ask for ranges
            self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def log_message(self, format, *args):  # noqa: A002 - quiet unless asked
        if os.environ.get("RAPPORTEUR_SERVE_LOG"):
            super().log_message(format, *args)


def make_server(directory: Path, host: str = "127.0.0.1", port: int = 8000) -> http.server.ThreadingHTTPServer:
    """A threaded static server for ``directory`` that honours Range requests (not started)."""
    handler = functools.partial(RangeRequestHandler, directory=str(directory))
    return http.server.ThreadingHTTPServer((host, port), handler)


def serve(directory: Path = Path("site"), host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve a built site until interrupted."""
    server = make_server(Path(directory), host, port)
    print(f"serving {directory}/ on http://{host}:{server.server_address[1]}/ (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
