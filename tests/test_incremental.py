"""An incremental site build equals a cold build: same files, same bytes, same search results.

`rapporteur build` twice on one archive: the second build renders only the pages whose
inputs changed (site/build.py ``page_key``) and runs ``mkdocs build --dirty``; a session
edited and another removed between the builds must leave site/ exactly as a cold build
of the new archive makes it.  Its search index is the archive's with a recent index of the changed
pages (site/search.py): what the search finds is compared, record by record, and in a browser.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from conftest import benchmark_module
from rapporteur.site import search
from rapporteur.site.build import PENDING, build_site, render_archive
from rapporteur.site.pages import speaker_pages

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _build(project: Path, *, downloads_at_build: bool = False) -> list[str]:
    """``rapporteur render`` then ``rapporteur build --skip-render``; ``downloads_at_build``: as `make` renders, the
    changed sessions' downloads left to the build (laid out while mkdocs and Pagefind work)."""
    logs: list[str] = []
    render_archive(project / "recordings", project / "docs", log=logs.append, downloads_at_build=downloads_at_build)
    pending = sorted((project / "docs" / "sessions").glob(f"*/{PENDING}"))
    build_site(project / "mkdocs.yml", log=logs.append)
    assert not any(p.exists() for p in pending)  # laid out by the build
    return logs + [f"{len(pending)} pending"]


def _tree(site: Path) -> dict[str, bytes]:
    """Every file of a built site, by path, but the search bundle (compared by what it finds: ``_searched``)."""
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*"))
            if p.is_file() and p.relative_to(site).parts[0] != search.BUNDLE}


def _fragments(bundle: Path, left_out=()) -> dict[str, dict]:
    """URL (with its #anchor) → a bundle's fragment of it: a page's or a record's indexed text, filters and meta."""
    out = {}
    for path in (bundle / "fragment").glob("*.pf_fragment"):
        if path.stem not in left_out:
            data = json.loads(gzip.decompress(path.read_bytes())[len(b"pagefind_dcd"):])
            assert data["url"] not in out, data["url"]
            out[data["url"]] = {**data, "_id": path.stem}
    return out


def _searched(site: Path) -> dict[str, dict]:
    """What the site's search finds: the archive index's fragments but those the recent index supersedes,
    and the recent index's (as docs/assets/search/pagefind.js merges them)."""
    bundle = site / search.BUNDLE
    tier = bundle / search.RECENT_DIR / search.SUPERSEDED_FILE
    if not tier.is_file():
        return _fragments(bundle)
    left_out = json.loads(tier.read_text(encoding="utf-8"))["superseded"]  # a shared fragment: the recent one
    found = _fragments(bundle, set(left_out))
    recent = _fragments(bundle / search.RECENT_DIR) if (bundle / search.RECENT_DIR / "fragment").is_dir() else {}
    shared = json.loads(tier.read_text(encoding="utf-8"))["shared"]
    assert {u for u in found if u in recent} == {u for u, d in recent.items() if d.get("_id") in shared}
    return {**found, **recent}


def _edit(recordings: Path) -> str:
    """Change one word of one session's transcript, remove another session; return the new word."""
    sessions = sorted(p for p in recordings.iterdir() if (p / "session.yaml").is_file())
    turns_file = sessions[1] / "turns.json"
    data = json.loads(turns_file.read_text(encoding="utf-8"))
    data["turns"][0]["text"] = "Zyxwvutsrq " + data["turns"][0]["text"]
    turns_file.write_text(json.dumps(data), encoding="utf-8")
    shutil.rmtree(sessions[2])
    return "Zyxwvutsrq"


def test_an_incremental_build_equals_a_cold_build(tmp_path):
    make_archive, site_scale = benchmark_module("make_archive"), benchmark_module("site_scale")
    inc = site_scale.new_project(tmp_path / "inc")
    make_archive.main([str(inc / "recordings"), "--sessions", "4"])
    assert "4 pending" in _build(inc, downloads_at_build=True)  # as `make` builds: downloads laid out by the build
    before = _tree(inc / "site")
    word = _edit(inc / "recordings")
    logs = _build(inc, downloads_at_build=True)
    assert "1 pending" in logs  # the edited session's downloads only
    assert any("pages whose Markdown changed" in line for line in logs), logs  # it was incremental
    assert any("the archive index kept" in line for line in logs), logs  # and so was the search index
    assert any("search index up to date" in line for line in _build(inc))  # nothing changed: nothing indexed

    cold = site_scale.new_project(tmp_path / "cold")
    shutil.copytree(inc / "recordings", cold / "recordings")
    assert "0 pending" in _build(cold)  # downloads laid out while rendering, copied by mkdocs
    after, expected = _tree(inc / "site"), _tree(cold / "site")
    assert sorted(set(after) ^ set(expected)) == [], sorted(set(after) ^ set(expected))
    differ = [name for name in expected if after[name] != expected[name]]
    assert not differ, differ[:10]
    found, cold_found = _searched(inc / "site"), _searched(cold / "site")
    assert sorted(set(found) ^ set(cold_found)) == []
    assert [u for u in cold_found if found[u] != cold_found[u]] == []
    assert after != before
    edited = [name for name, data in after.items() if name.endswith("index.html") and word.encode() in data]
    assert edited, "the edited word is on the rebuilt page"
    downloads = [name for name, data in after.items() if name.endswith((".vtt", ".srt", ".txt", ".json"))
                 and name.startswith("sessions/") and word.encode() in data]
    assert len(downloads) == 4, downloads  # and in the edited session's downloads, laid out again


CHROMIUM = Path("/usr/bin/chromium")
_SEARCH = """async (q) => {
  const pf = await import("/assets/search/pagefind.js");
  await pf.options({ baseUrl: "/" });
  const all = await pf.filters();  // the filters' values and counts, as Pagefind UI asks for them first
  const found = await pf.search(q, { filters: {} });  // as Pagefind UI searches
  const data = await Promise.all(found.results.map((r) => r.data()));
  const year = Object.keys(all.year || {}).sort()[0];  // a filter chosen: Pagefind's filter index, counts per search
  const narrowed = await pf.search(q, { filters: { year: [year] } });
  const kept = await Promise.all(narrowed.results.map((r) => r.data()));
  return { urls: data.map((d) => d.url).sort(), filters: found.filters, all,
           narrowed: { urls: kept.map((d) => d.url).sort(), filters: narrowed.filters } };
}"""


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium")
def test_after_an_edit_the_search_finds_what_a_cold_build_finds(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    from conftest import serve_site

    make_archive, site_scale = benchmark_module("make_archive"), benchmark_module("site_scale")
    inc = site_scale.new_project(tmp_path / "inc")
    make_archive.main([str(inc / "recordings"), "--sessions", "4"])
    _build(inc)
    sessions = sorted(p for p in (inc / "recordings").iterdir() if (p / "session.yaml").is_file())
    removed_turns = json.loads((sessions[2] / "turns.json").read_text(encoding="utf-8"))["turns"]
    gone = " ".join(removed_turns[3]["text"].split()[:6])  # said only in the session removed
    edited = " ".join(json.loads((sessions[1] / "turns.json").read_text(encoding="utf-8"))["turns"][0]["text"].split()[:6])
    word = _edit(inc / "recordings")
    _build(inc)
    cold = site_scale.new_project(tmp_path / "cold")
    shutil.copytree(inc / "recordings", cold / "recordings")
    _build(cold)
    def recent(site: Path) -> bool:  # a recent index was merged in (a cold build says it has none)
        return json.loads((site / search.BUNDLE / search.RECENT_DIR / search.SUPERSEDED_FILE).read_text(encoding="utf-8"))["index"]

    assert recent(inc / "site") and not recent(cold / "site")

    queries = [word, f'"{gone}"', f'"{edited}"', "governance", "Mensah"]
    results = {}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
        for name, project in (("inc", inc), ("cold", cold)):
            served = serve_site(project / "site")
            base = next(served)
            try:
                page = browser.new_page()
                page.goto(base + "search/", wait_until="networkidle")
                results[name] = [page.evaluate(_SEARCH, q) for q in queries]
                if name == "inc":  # the search page as a person uses it: the edited word leads to its session
                    page.locator(".pagefind-ui__search-input").fill(word)
                    page.locator(".pagefind-ui__result-nested a").first.wait_for(timeout=10_000)
                    href = page.locator(".pagefind-ui__result-nested a").first.get_attribute("href")
                    assert href.startswith(f"/sessions/{sessions[1].name}/#t"), href
                page.close()
            finally:
                served.close()
        browser.close()
    inc_found, cold_found = results["inc"], results["cold"]
    assert inc_found[0]["urls"] and inc_found[1]["urls"] == [] and inc_found[2]["urls"]
    for i, q in enumerate(queries):
        for k in ("urls", "filters", "all", "narrowed"):
            assert inc_found[i][k] == cold_found[i][k], (q, k, inc_found[i][k], cold_found[i][k])


def test_only_the_people_of_a_changed_session_get_their_pages_made_again(tmp_path, monkeypatch):
    import os

    import yaml

    from rapporteur.site import build

    make_archive = benchmark_module("make_archive")
    recordings, docs = tmp_path / "recordings", tmp_path / "docs"
    make_archive.main([str(recordings), "--sessions", "6", "--minutes", "10"])
    render_archive(recordings, docs, log=lambda _: None)
    pages = sorted((docs / "speakers").glob("*/index.md"))
    for p in pages:
        os.utime(p, (1_000_000_000, 1_000_000_000))
    session = sorted(recordings.iterdir())[2] / "session.yaml"
    meta = yaml.safe_load(session.read_text(encoding="utf-8"))
    meta["title"] = "Retitled session"
    session.write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    rendered = []
    monkeypatch.setattr(build, "speaker_pages", lambda name, apps: rendered.append(name) or speaker_pages(name, apps))
    render_archive(recordings, docs, log=lambda _: None)
    made = {p.parent.name for p in pages if p.stat().st_mtime != 1_000_000_000}
    listed = {p.parent.name for p in pages if "Retitled session" in p.read_text(encoding="utf-8")}
    assert made == listed and listed  # the new title is on each page of its people, no other page was made again
    assert len(made) < len(pages) and len(rendered) == len(made)  # the others were not even rendered


def _pagefind_children() -> list[int]:
    """The Pagefind services this test process started that are still running."""
    import os

    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and b"--service" in cmdline and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def test_a_failing_site_engine_stops_the_search_index_started_beside_it(tmp_path):
    """A cold build indexes the transcripts while the engine builds the pages: when the engine fails, the build
    ends with its one-line error, and the Pagefind service it started is stopped."""
    from rapporteur.errors import RapporteurError
    from rapporteur.site.build import render_site
    from rapporteur.site.views import session_view

    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    with (tmp_path / "mkdocs.yml").open("a") as f:
        f.write("\ntheme: {name: no-such-theme}\n")
    render_site([session_view(ROOT / "recordings" / "demo-ai-governance-roundtable")], tmp_path / "docs", site_audio=False)
    with pytest.raises(RapporteurError, match="mkdocs build failed"):
        build_site(tmp_path / "mkdocs.yml", log=lambda _: None)
    assert _pagefind_children() == []
    assert not (tmp_path / "site" / search.BUNDLE).exists()
