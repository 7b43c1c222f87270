"""The archive site: gather every session's artefacts, render docs/, build site/.

One broken session never stops the archive: it is rendered with its error
(one line, no traceback) and reported, and the rest are built.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Callable

from .errors import RapporteurError
from .pipeline import ERROR_FILE
from .render import SessionView, load_view, render_site
from .session import load_session


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


def build_site(mkdocs_config: Path = Path("mkdocs.yml"), *, log: Callable[[str], None] = print) -> None:
    """``mkdocs build`` into site/."""
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--quiet", "--config-file", str(mkdocs_config)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RapporteurError("mkdocs build failed: " + " | ".join(tail), path=mkdocs_config)
    log("site built into site/")
