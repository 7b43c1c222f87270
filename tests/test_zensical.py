"""The site builds with either engine (Material for MkDocs, or its successor Zensical) from the same docs/.

The Zensical build is skipped where Zensical is not installed: `pip install -e '.[zensical]'`.  The same checks run on the MkDocs build, so they are known to hold there.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from rapporteur.core.folder import TURNS, SessionFolder
from rapporteur.errors import RapporteurError
from rapporteur.site.build import ENGINES, build_site, engine_command, render_site
from rapporteur.site.views import session_view

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "recordings" / "demo-ai-governance-roundtable"
HAS_ZENSICAL = importlib.util.find_spec("zensical") is not None


def test_each_engine_is_one_python_module_reading_mkdocs_yml():
    for engine in ENGINES:
        cmd = engine_command(engine, Path("x/mkdocs.yml"))
        assert cmd[0] == engine and "build" in cmd and cmd[cmd.index("--config-file") + 1] == str(Path("x/mkdocs.yml"))
    with pytest.raises(RapporteurError):
        engine_command("sphinx", Path("mkdocs.yml"))


def _build(root: Path, engine: str) -> Path:
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    docs = root / "docs"
    docs.mkdir()
    for item in ("about.md", "search.md", "assets", "overrides"):
        src = ROOT / "docs" / item
        (shutil.copytree if src.is_dir() else shutil.copy)(src, docs / item)
    render_site([session_view(DEMO)], docs)
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    build_site(root / "mkdocs.yml", engine=engine, log=lambda _: None)
    return root / "site"


@pytest.mark.slow
@pytest.mark.parametrize("engine", [
    "mkdocs",
    pytest.param("zensical", marks=pytest.mark.skipif(not HAS_ZENSICAL, reason="zensical not installed: pip install -e '.[zensical]'")),
])
def test_demo_site_keeps_what_a_reader_relies_on(tmp_path, engine):
    site = _build(tmp_path, engine)
    page = (site / "sessions" / DEMO.name / "index.html").read_text(encoding="utf-8")
    turns = SessionFolder(DEMO).read(TURNS).turns
    anchors = set(re.findall(r'<h4 [^>]*\bid="(t\d+)"', page))
    assert anchors == {t.id for t in turns} and turns          # every turn's deep link
    assert "data-pagefind-body" in page                        # from overrides/main.html (custom_dir)
    engine_search = site / "search.json"                       # the engine's own search is off (Pagefind's instead)
    assert not engine_search.is_file() or json.loads(engine_search.read_text(encoding="utf-8"))["items"] == []
    for unindexed in ("index.html", "search/index.html"):     # pages that opt out (front matter pagefind: false)
        assert "data-pagefind-body" not in (site / unindexed).read_text(encoding="utf-8"), unindexed
    assert re.search(r"<audio\b|data-youtube-id", page)        # the player
    assert "assets/rapporteur.css" in page and "assets/rapporteur.js" in page  # extra_css / extra_javascript
    assert (site / "search" / "index.html").is_file()
    entry = json.loads((site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert entry["languages"]["en"]["page_count"] >= 1         # Pagefind indexed the engine's output
