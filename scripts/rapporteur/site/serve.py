"""A static server for the built site that honours HTTP Range requests, which browsers need to seek in audio."""

from __future__ import annotations

import functools
import http.server
import os
import re
from pathlib import Path

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
