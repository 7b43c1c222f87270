"""Site scale run: build a generated archive and measure it in headless Chromium.

For each archive size: generate it (make_archive.py), render docs/, mkdocs build,
Pagefind; report the time of each step and the site's size.  On the largest:
serve site/ on 127.0.0.1 (Range-capable server), open the search page in
Debian's Chromium and, per query, count the bytes fetched after typing and the
time until the first result is shown.  Results go to benchmarks/site-scale.json
and .md.

    .venv/bin/python benchmarks/site_scale.py --sessions 100 300
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import make_archive  # noqa: E402

from rapporteur.site.build import GENERATED, RangeRequestHandler, build_site, render_archive  # noqa: E402

QUERIES = [make_archive.PLANTED, "think", "Mensah", "kimiza toniruzo"]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def copy_docs(work: Path) -> None:
    """This repository's hand-written docs/ (not what ``render_site`` makes) into ``work/docs/``, replacing them."""
    for src in (ROOT / "docs").iterdir():
        if src.name not in GENERATED:
            dest = work / "docs" / src.name
            shutil.rmtree(dest, ignore_errors=True)
            (shutil.copytree if src.is_dir() else shutil.copy)(src, dest)


def new_project(work: Path, *, keep_recordings: bool = False) -> Path:
    """An empty archive project in ``work`` (made anew): this repository's mkdocs.yml and hand-written docs/.
    ``keep_recordings``: the generated recordings/ already there stay (the rest is made anew)."""
    for path in ([work / "docs", work / "site", work / "mkdocs.yml"] if keep_recordings else [work]):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    (work / "docs").mkdir(parents=True)
    shutil.copy(ROOT / "mkdocs.yml", work / "mkdocs.yml")
    copy_docs(work)
    return work


def build(n: int, work: Path, *, reuse: bool = False) -> dict:
    new_project(work, keep_recordings=reuse)
    if not reuse:
        make_archive.main([str(work / "recordings"), "--sessions", str(n)])
    out: dict = {"sessions": n}
    t = time.perf_counter()
    # what `make` runs: `rapporteur render --downloads-at-build` (the pages; the downloads left to the build) …
    problems = render_archive(work / "recordings", work / "docs", log=lambda _: None, downloads_at_build=True)
    assert not problems, problems[:3]
    out["render_s"] = round(time.perf_counter() - t, 1)
    os.environ["NO_MKDOCS_2_WARNING"] = "1"
    # … then `rapporteur build --skip-render`: mkdocs build with the transcripts' records indexed and the downloads
    # laid out alongside, then the rest of the search index, then the downloads still being laid out
    built = build_site(work / "mkdocs.yml", log=lambda _: None)
    out["mkdocs_s"], out["pagefind_s"], out["downloads_s"] = built.pages_s, built.search_s, built.downloads_s
    out["overlapped"] = True  # pagefind_s is what Pagefind took after mkdocs
    site = work / "site"
    out["site_bytes"] = du(site)
    out["pagefind_bytes"] = du(site / "pagefind")
    out["sessions_bytes"] = du(site / "sessions")
    out["speakers_bytes"] = du(site / "speakers")
    out["downloads_bytes"] = sum(p.stat().st_size for p in (site / "sessions").rglob("*")
                                 if p.suffix in (".vtt", ".srt", ".txt", ".json"))
    out["home_bytes"] = (site / "index.html").stat().st_size
    pages = sorted((site / "sessions").glob("*/index.html"))
    out["session_page_bytes_mean"] = sum(p.stat().st_size for p in pages) // max(1, len(pages))
    out["about_page_bytes"] = (site / "about" / "index.html").stat().st_size
    out["site_bytes_per_session"] = out["site_bytes"] // n
    return out


SENT: list[tuple[str, int]] = []  # (path, bytes written: headers + body), in order
_LOCK = threading.Lock()


class _Counting:
    def __init__(self, raw, path_of) -> None:
        self.raw, self.path_of, self.n = raw, path_of, 0

    def write(self, data) -> int:
        self.n += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()

    def __getattr__(self, name):
        return getattr(self.raw, name)


class CountingHandler(RangeRequestHandler):
    """Counts what the server sends, per request: the bytes a query costs on the wire (uncompressed)."""

    def setup(self) -> None:
        super().setup()
        self.wfile = _Counting(self.wfile, lambda: self.path)

    def handle_one_request(self) -> None:
        before = self.wfile.n
        super().handle_one_request()
        if getattr(self, "path", None) and self.wfile.n > before:
            with _LOCK:
                SENT.append((self.path, self.wfile.n - before))


FIRST_RESULT_CLOCK = """() => {
    window.__rpClock = {};
    document.addEventListener("input", () => { window.__rpClock.typed ??= performance.now(); }, true);
    new MutationObserver((_, seen) => {
        if (!document.querySelector(".pagefind-ui__result")) return;
        seen.disconnect();
        requestAnimationFrame(() => { window.__rpClock.shown = performance.now(); });
    }).observe(document.body, { childList: true, subtree: true });
}"""
"""Timed in the page: from the first input event (captured on the document, before the search page holds it) to
the frame after the first result is in the page.  Playwright's own wait polls every 500 ms once 0.3 s have passed,
which rounds a first result up to 0.87, 1.37, 1.87 … s."""


def measure_queries(site: Path, queries: list[str] = QUERIES) -> list[dict]:
    import functools
    import http.server

    from playwright.sync_api import sync_playwright

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(CountingHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for q in queries:
            ctx = browser.new_context()  # a cold cache per query
            page = ctx.new_page()
            SENT.clear()
            sizes = SENT
            page.goto(base + "search/", wait_until="networkidle")
            loaded = len(sizes)
            box = page.locator(".pagefind-ui__search-input")
            box.focus()  # the UI loads pagefind.js, its wasm and the filter index on focus
            page.wait_for_load_state("networkidle")
            ready = len(sizes)
            page.evaluate(FIRST_RESULT_CLOCK)
            t0 = time.perf_counter()
            box.fill(q)
            page.locator(".pagefind-ui__result").first.wait_for(timeout=30_000)
            polled = time.perf_counter() - t0
            first = page.evaluate("() => new Promise((done) => { const wait = () => window.__rpClock.shown"
                                  " ? done((window.__rpClock.shown - window.__rpClock.typed) / 1000) : setTimeout(wait, 10);"
                                  " wait(); })")
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(300)
            page.wait_for_load_state("networkidle")  # a phrase found nowhere is searched again as words
            query = list(sizes[ready:])
            engine = [(u, b) for u, b in query if "/pagefind/index/" not in u and "/pagefind/fragment/" not in u]
            chunks = [(u, b) for u, b in query if "/pagefind/index/" in u]
            frags = [(u, b) for u, b in query if "/pagefind/fragment/" in u]
            results.append({
                "query": q,
                "first_result_s": round(first, 3),
                "first_result_polled_s": round(polled, 3),  # Playwright's wait: polls every 500 ms after the first 0.3 s
                "first_result_after_ui_debounce_s": round(max(0.0, first - 0.3), 3),
                "bytes_after_typing": sum(s for _, s in query),
                "engine_bytes": sum(b for _, b in engine),  # pagefind.js, worker, wasm, entry, meta, filters: once per visit
                "index_chunk_bytes": sum(b for _, b in chunks),
                "fragment_bytes": sum(b for _, b in frags),
                "requests": len(query),
                "engine_files": {u.split("?")[0].replace("/pagefind/", ""): b for u, b in engine},
                "search_setup_bytes": sum(s for _, s in sizes[loaded:ready]),
                "page_bytes": sum(s for _, s in sizes[:loaded]),
                "results_shown": page.locator(".pagefind-ui__result").count(),
                "top_subresults": page.locator(".pagefind-ui__result").evaluate_all(
                    "rs => rs.slice(0, 5).flatMap(r => [...r.querySelectorAll('.pagefind-ui__result-nested a')]"
                    ".slice(0, 3).map(a => a.getAttribute('href')))"),
                "top_subresult": page.locator(".pagefind-ui__result-nested a").first.get_attribute("href")
                if page.locator(".pagefind-ui__result-nested a").count() else None,
            })
            ctx.close()
        browser.close()
    server.shutdown()
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, nargs="+", default=[100, 300])
    ap.add_argument("--work", type=Path, default=Path("/tmp/rapporteur-scale"))
    ap.add_argument("--out", type=Path, default=HERE / "site-scale")
    ap.add_argument("--measure-only", action="store_true",
                    help="keep the builds of the last report and only measure queries on the largest (still in --work)")
    ap.add_argument("--markdown-only", action="store_true", help="rewrite the .md from the existing .json")
    ap.add_argument("--reuse", action="store_true",
                    help="render and build cold the recordings generated by the last run (in --work), without generating "
                         "them again: to compare two commits side by side on one machine (run each from its own worktree)")
    args = ap.parse_args()
    if args.markdown_only:
        report = json.loads(args.out.with_suffix(".json").read_text(encoding="utf-8"))
        args.out.with_suffix(".md").write_text(markdown(report), encoding="utf-8")
        return
    if args.measure_only:  # the builds from the last report; queries again (e.g. after a UI change)
        runs = json.loads(args.out.with_suffix(".json").read_text(encoding="utf-8"))["builds"]
        largest = args.work / f"n{max(args.sessions)}" / "site"
        shutil.copy(ROOT / "docs" / "assets" / "rapporteur.js", largest / "assets" / "rapporteur.js")
        args.sessions = []
    runs = [] if not args.measure_only else runs
    for n in args.sessions:
        print(f"building {n} sessions …", flush=True)
        runs.append(build(n, args.work / f"n{n}", reuse=args.reuse))
        print(json.dumps(runs[-1]), flush=True)
    if args.sessions:
        largest = args.work / f"n{max(args.sessions)}" / "site"
    queries = measure_queries(largest)
    for q in queries:
        print(json.dumps(q), flush=True)
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "builds": runs,
        "queries_on": f"{max(r['sessions'] for r in runs)} sessions",
        "queries": queries,
    }
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    args.out.with_suffix(".md").write_text(markdown(report), encoding="utf-8")
    print(f"wrote {args.out.with_suffix('.json')} and .md")


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _kb(n: int) -> str:
    return f"{n / 1e3:.0f} kB"


def markdown(report: dict) -> str:
    """The report as a Markdown page (tables of builds and queries)."""
    b = report["builds"]
    lines = [
        "# Site scale run",
        "",
        f"Generated archives of ninety-minute sessions (`benchmarks/make_archive.py`: ~13,500 words, ~100 turns,",
        "4-8 roster speakers from a pool of 600, a YouTube recording each), rendered, built and indexed;",
        f"queries timed in headless Chromium (Debian `/usr/bin/chromium`) against the site served on 127.0.0.1.",
        f"Machine: {report['machine']} (shared with other jobs, so times are upper bounds).",
        "",
        *([report["note"], ""] if report.get("note") else []),
        "    .venv/bin/python benchmarks/site_scale.py --sessions " + " ".join(str(r["sessions"]) for r in b),
        "",
        "## Build and size",
        "",
        "*mkdocs build*: with the transcripts' search records indexed alongside (on the other core) where marked ‖;"
        " *pagefind*: the rest of the search index, after the pages; *downloads after*: waiting for the downloads"
        " still being laid out after the index (where the render left them to the build, they are laid out at low"
        " priority from the start of the mkdocs build), and putting them into site/.",
        "",
        "| sessions | render | mkdocs build | pagefind | downloads after | in all | site | per session | search index | downloads | session page (mean) | home page | about page |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in b:
        total = round(r["render_s"] + r["mkdocs_s"] + r["pagefind_s"] + r.get("downloads_s", 0), 1)
        lines.append(
            f"| {r['sessions']} | {r['render_s']} s | {'‖ ' if r.get('overlapped') else ''}{r['mkdocs_s']} s | {r['pagefind_s']} s | "
            f"{str(r['downloads_s']) + ' s' if 'downloads_s' in r else '–'} | "
            f"**{total} s** | {_mb(r['site_bytes'])} | "
            f"{_kb(r['site_bytes_per_session'])} | {_mb(r['pagefind_bytes'])} | {_mb(r['downloads_bytes'])} | "
            f"{_kb(r['session_page_bytes_mean'])} | {_kb(r['home_bytes'])} | {_kb(r['about_page_bytes'])} |"
        )
    lines += [
        "",
        f"## Queries ({report['queries_on']}, a cold browser cache per query)",
        "",
        "Bytes are what the server sent after the query was typed (headers included, nothing gzip-compressed by the",
        "server; Pagefind's index and fragment files are compressed already). *Engine* is fetched once per visit",
        "(pagefind.js, its worker and WebAssembly, the entry, metadata and filter files); *index* and *fragments* are",
        "what this query needed. Time to first result is from typing to the first result on screen (timed in the page:",
        "from the input event to the frame after the result is added), including the search page's 300 ms pause for typing.",
        "",
        "| query | first result | … without debounce | total bytes | engine | index chunks | fragments | requests | results | top sub-result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for q in report["queries"]:
        lines.append(
            f"| `{q['query']}` | {q['first_result_s']:.2f} s | {q['first_result_after_ui_debounce_s']:.2f} s | "
            f"{_kb(q['bytes_after_typing'])} | {_kb(q['engine_bytes'])} | {_kb(q['index_chunk_bytes'])} | "
            f"{_kb(q['fragment_bytes'])} | {q['requests']} | {q['results_shown']} | `{q['top_subresult']}` |"
        )
    qs = report["queries"]
    per_query = [q["index_chunk_bytes"] + q["fragment_bytes"] for q in qs]
    ok_bytes = sum(1 for n in per_query if n <= 300_000)
    ok_time = sum(1 for q in qs if q["first_result_s"] <= 1.0)
    big = b[-1]
    lines += [
        "",
        "## Reading",
        "",
        f"- **Per query** (index chunks + fragments: what every query costs once the engine is loaded): "
        f"{_kb(min(per_query))}–{_kb(max(per_query))}; ≤ 300 kB for {ok_bytes} of {len(qs)} queries. "
        "Each word of the query that is not common costs its index chunk (the more often said, the larger), "
        "and each result shown its fragment (a record of ~3,000 words of turns, ~11 kB; the UI shows 5 at a time).",
        f"- **Engine, once per visit**: {_kb(min(q['engine_bytes'] for q in qs))}–{_kb(max(q['engine_bytes'] for q in qs))} "
        "as served here; its two JavaScript files shrink to about a third with the gzip any web host applies "
        "(the WebAssembly and index files are compressed already).",
        f"- **Time to first result**: {min(q['first_result_s'] for q in qs):.2f}–{max(q['first_result_s'] for q in qs):.2f} s "
        f"including the 300 ms debounce; ≤ 1 s for {ok_time} of {len(qs)} queries.",
        "- **Linear size**: " + ", ".join(f"{_kb(r['site_bytes_per_session'])} per session at {r['sessions']}" for r in b)
        + f"; the about page (which carries the navigation) is {', '.join(_kb(r['about_page_bytes']) for r in b)}: "
        "no page lists every session (the home page shows the newest 20 and one line per event and year). "
        f"Downloads (VTT, SRT, TXT, JSON) are {100 * big['downloads_bytes'] / big['site_bytes']:.0f} % of the site, "
        f"the search index {100 * big['pagefind_bytes'] / big['site_bytes']:.0f} %.",
        "- Material's built-in search would have put the whole text into one JSON index (39 MB at 300 sessions), "
        "fetched in full by every visitor who searches.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
