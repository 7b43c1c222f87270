"""The same docs/ built with each site engine (Material for MkDocs, Zensical): what works, what differs.

    PYTHONPATH=scripts .venv/bin/python benchmarks/engines.py [--sessions N]   # needs: pip install -e '.[zensical]'

Renders docs/ once (the bundled sessions of recordings/, or N generated ninety-minute sessions of
benchmarks/make_archive.py), copies the project once per engine and runs ``rapporteur build``'s two steps
there (the engine, then Pagefind), timed.  Then compares the two site/ trees: the pages each wrote, and on
every session page what a reader relies on (every turn's deep link, the player, the Pagefind body, the
site's stylesheet and script); and in headless Chromium, per engine: a session page opened at a turn's
address, and a search typed into the search page (does it land on that turn).  Screenshots go to
--shots; the report to benchmarks/engines.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sys
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import site_scale  # noqa: E402

from rapporteur.site.build import ENGINES, build_pages, build_search_index, render_archive  # noqa: E402
from rapporteur.site.views import session_view  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def pages(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*.html") if p.relative_to(site).parts[0] != "pagefind"}


def reader_checks(html: str, turn_ids: list[str]) -> dict[str, bool]:
    """What a reader relies on in one built session page."""
    anchors = set(re.findall(r'<h4 [^>]*\bid="(t\d+)"', html))
    return {
        "every turn's deep link": anchors == set(turn_ids) and bool(turn_ids),
        "player": bool(re.search(r"<audio\b|data-youtube-id", html)),
        "Pagefind body": "data-pagefind-body" in html,
        "site stylesheet and script": "assets/rapporteur.css" in html and "assets/rapporteur.js" in html,
        "session title as h1": bool(re.search(r"<h1\b", html)),
    }


def browse(site: Path, session: str, turn: str, query: str, shots: Path, engine: str) -> dict:
    """In Chromium: the session page at ``turn`` (is it the highlighted turn, scrolled into view?) and ``query``
    typed into the search page (the first result's first moment)."""
    import threading

    from playwright.sync_api import sync_playwright

    from rapporteur.site.serve import make_server

    server = make_server(site, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    out: dict = {}
    errors: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=site_scale.ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{base}sessions/{session}/#{turn}", wait_until="networkidle")
            page.wait_for_timeout(500)
            out["turn shown at its address"] = page.evaluate(
                "id => { const h = document.getElementById(id); if (!h) return false;"
                " const r = h.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; }", turn)
            page.screenshot(path=str(shots / f"{engine}-session.png"))
            page.goto(base + "search/", wait_until="networkidle")
            box = page.locator(".pagefind-ui__search-input")
            box.fill(query)
            page.locator(".pagefind-ui__result-nested a").first.wait_for(timeout=20_000)
            page.wait_for_load_state("networkidle")
            href = page.locator(".pagefind-ui__result-nested a").first.get_attribute("href") or ""
            out["search lands on the turn"] = href.endswith(f"/sessions/{session}/#{turn}")
            page.screenshot(path=str(shots / f"{engine}-search.png"))
            out["script errors"] = errors
            browser.close()
    finally:
        server.shutdown()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=0, help="generated sessions (0: the bundled recordings/)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/rapporteur-engines"))
    ap.add_argument("--shots", type=Path, default=Path("/tmp/rapporteur-engines/shots"))
    ap.add_argument("--out", type=Path, default=HERE / "engines")
    args = ap.parse_args()
    os.environ["NO_MKDOCS_2_WARNING"] = "1"
    base = site_scale.new_project(args.work / "docs-source")
    if args.sessions:
        import make_archive

        make_archive.main([str(base / "recordings"), "--sessions", str(args.sessions)])
        recordings = base / "recordings"
    else:
        recordings = ROOT / "recordings"
    t = time.perf_counter()
    render_archive(recordings, base / "docs", log=lambda _: None)
    render_s = time.perf_counter() - t
    folders = sorted(p.parent for p in recordings.glob("*/session.yaml") if (p.parent / "turns.json").is_file())
    view = session_view(folders[0])
    turn = view.turns.turns[len(view.turns.turns) // 2]
    query = " ".join(turn.text.split()[:6])
    args.shots.mkdir(parents=True, exist_ok=True)
    report: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "sessions": len(folders),
                    "render_s": round(render_s, 1), "engines": {}}
    for engine in ENGINES:
        work = args.work / engine
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(base, work, ignore=shutil.ignore_patterns("recordings"))
        dist = "mkdocs-material" if engine == "mkdocs" else "zensical"
        t = time.perf_counter()
        build_pages(work / "mkdocs.yml", engine=engine)
        built_s = time.perf_counter() - t
        t = time.perf_counter()
        build_search_index(work / "site", log=lambda _: None)
        index_s = time.perf_counter() - t
        site = work / "site"
        checks: dict[str, int] = {}
        for folder in folders:
            v = session_view(folder)
            html = (site / "sessions" / folder.name / "index.html").read_text(encoding="utf-8")
            for name, ok in reader_checks(html, [x.id for x in v.turns.turns]).items():
                checks[name] = checks.get(name, 0) + ok
        entry = json.loads((site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
        report["engines"][engine] = {
            "version": metadata.version(dist), "build_s": round(built_s, 1), "pagefind_s": round(index_s, 1),
            "pages": sorted(pages(site)), "site_bytes": site_scale.du(site),
            "session_page_bytes_mean": sum((site / "sessions" / f.name / "index.html").stat().st_size
                                           for f in folders) // len(folders),
            "indexed_pages": sum(lang["page_count"] for lang in entry["languages"].values()),
            "session_pages_passing": checks,
            "browser": browse(site, folders[0].name, turn.id, query, args.shots, engine),
        }
    a, b = (set(report["engines"][e]["pages"]) for e in ENGINES)
    report["pages_only_in"] = {ENGINES[0]: sorted(a - b), ENGINES[1]: sorted(b - a)}
    report["query"] = query
    for e in ENGINES:
        report["engines"][e]["pages"] = len(report["engines"][e]["pages"])
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    args.out.with_suffix(".md").write_text(markdown(report, args), encoding="utf-8")
    print(markdown(report, args))


def markdown(r: dict, args: argparse.Namespace) -> str:
    e = r["engines"]
    names = list(e)
    how = f" --sessions {args.sessions}" if args.sessions else ""
    rows = [
        ("version", *(str(e[n]["version"]) for n in names)),
        ("engine build", *(f"{e[n]['build_s']} s" for n in names)),
        ("Pagefind index", *(f"{e[n]['pagefind_s']} s" for n in names)),
        ("HTML pages", *(str(e[n]["pages"]) for n in names)),
        ("site size", *(f"{e[n]['site_bytes'] / 1e6:.1f} MB" for n in names)),
        ("session page, mean", *(f"{e[n]['session_page_bytes_mean'] / 1e3:.0f} kB" for n in names)),
        ("pages Pagefind indexed", *(str(e[n]["indexed_pages"]) for n in names)),
    ]
    for check in e[names[0]]["session_pages_passing"]:
        rows.append((f"session pages with {check}", *(f"{e[n]['session_pages_passing'].get(check, 0)} / {r['sessions']}"
                                                      for n in names)))
    for check in ("turn shown at its address", "search lands on the turn"):
        rows.append((f"Chromium: {check}", *("yes" if e[n]["browser"].get(check) else "no" for n in names)))
    rows.append(("Chromium: script errors", *(str(len(e[n]["browser"].get("script errors", []))) for n in names)))
    lines = ["# The site with each engine", "",
             f"`PYTHONPATH=scripts .venv/bin/python benchmarks/engines.py{how}` on {r['machine']}: docs/ rendered once "
             f"({r['sessions']} sessions, {r['render_s']} s), then built by each engine and indexed by Pagefind; the search "
             f"typed: \"{r['query']}\".", "",
             "| | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += ["", "Pages only one engine wrote:"]
    for n, only in r["pages_only_in"].items():
        lines.append(f"- {n}: {', '.join(only) if only else 'none'}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
