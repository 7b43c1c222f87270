"""Incremental site builds at archive scale: a cold `rapporteur build`, then one session edited, then built again.

    PYTHONPATH=scripts .venv/bin/python benchmarks/site_incremental.py --sessions 1000

Writes benchmarks/site-incremental.json and .md.  Each build is what `rapporteur build` does, run in this
process stage by stage so each is timed: render (render_archive), mkdocs (build_pages) and Pagefind
(build_search_index).  The archive is benchmarks/make_archive.py's (ninety-minute
sessions, ~13,500 words each).  The edit changes one turn's text in one session: its page, and what lists it,
must be rebuilt; nothing else is rendered again (site/build.py page_key, mkdocs build --dirty).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import site_scale  # noqa: E402  (its project layout: mkdocs.yml and the hand-written docs)

from rapporteur.site.build import build_pages, build_search_index, render_archive  # noqa: E402


STAGES = ("render", "mkdocs", "pagefind")


def _build(work: Path) -> dict[str, float]:
    """One `rapporteur build` of the project in ``work``: seconds per stage (``STAGES``) and in all."""
    os.environ["NO_MKDOCS_2_WARNING"] = "1"
    times: dict[str, float] = {}
    t = time.perf_counter()
    render_archive(work / "recordings", work / "docs", log=lambda _: None)
    times["render"] = time.perf_counter() - t
    t = time.perf_counter()
    build_pages(work / "mkdocs.yml")
    times["mkdocs"] = time.perf_counter() - t
    t = time.perf_counter()
    build_search_index(work / "site", log=lambda _: None)
    times["pagefind"] = time.perf_counter() - t
    times["total"] = sum(times.values())
    return {k: round(v, 1) for k, v in times.items()}


def run(n: int, work: Path) -> dict:
    import make_archive

    site_scale.new_project(work)
    make_archive.main([str(work / "recordings"), "--sessions", str(n)])
    out = {"sessions": n, "cold": _build(work), "unchanged": _build(work)}
    session = sorted((work / "recordings").iterdir())[n // 2]
    turns = session / "turns.json"
    data = json.loads(turns.read_text(encoding="utf-8"))
    data["turns"][0]["text"] = "Edited " + data["turns"][0]["text"]
    turns.write_text(json.dumps(data), encoding="utf-8")
    out["one_edit"] = _build(work)
    out["site_mb"] = round(site_scale.du(work / "site") / 1e6, 1)
    return out


def _cell(times: dict[str, float]) -> str:
    return f"{times['total']} s ({' + '.join(str(times[s]) for s in STAGES)})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, nargs="+", default=[300])
    ap.add_argument("--work", type=Path, default=Path("/tmp/rapporteur-incremental"))
    args = ap.parse_args()
    rows = [run(n, args.work) for n in args.sessions]
    (HERE / "site-incremental.json").write_text(json.dumps(rows, indent=1) + "\n")
    lines = ["# Incremental site builds", "",
             f"`benchmarks/site_incremental.py --sessions {' '.join(map(str, args.sessions))}` on {platform.machine()}, "
             f"{os.cpu_count()} cores: `rapporteur build` (render, mkdocs, Pagefind) cold, again with nothing changed, "
             "and after one turn of one session changed; each cell is the total (render + mkdocs + Pagefind).", "",
             "| sessions | cold build | nothing changed | one session edited | site |", "|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['sessions']} | {_cell(r['cold'])} | {_cell(r['unchanged'])} | {_cell(r['one_edit'])} | {r['site_mb']} MB |"
              for r in rows]
    (HERE / "site-incremental.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
