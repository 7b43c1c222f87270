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
import shutil
import sys
import time
from pathlib import Path

import yaml

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


def _edit(session: Path) -> None:
    """One turn of ``session`` says something else."""
    turns = session / "turns.json"
    data = json.loads(turns.read_text(encoding="utf-8"))
    data["turns"][0]["text"] = "Edited " + data["turns"][0]["text"]
    turns.write_text(json.dumps(data), encoding="utf-8")


def _add(recordings: Path, like: Path) -> None:
    """A new session, made of ``like``'s records under another id and title (a maintainer's new session)."""
    new = next(recordings / f"zz{k}-{like.name}" for k in range(1, 1000) if not (recordings / f"zz{k}-{like.name}").exists())
    shutil.copytree(like, new)
    yaml_file = new / "session.yaml"
    meta = yaml.safe_load(yaml_file.read_text(encoding="utf-8"))
    meta["title"] = "Added: " + meta["title"]
    yaml_file.write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")


def run(n: int, work: Path, *, reuse: bool = False) -> dict:
    """Cold build (``reuse``: ``work`` holds a built archive, and the first build is the one after an upgrade of
    rapporteur: every page again, the downloads kept), then nothing changed, one edit, one session added."""
    import make_archive

    out: dict = {"sessions": n}
    if not reuse:
        site_scale.new_project(work)
        make_archive.main([str(work / "recordings"), "--sessions", str(n)])
    else:  # the project's hand-written docs as this checkout's (its search page's script, say)
        site_scale.copy_docs(work)
    # reused: the first build after the code or the docs changed (every page again), as after an upgrade
    out["cold"] = _build(work)
    out["unchanged"] = _build(work)
    sessions = sorted(p.parent for p in (work / "recordings").glob("*/session.yaml"))
    _edit(sessions[n // 2])
    out["one_edit"] = _build(work)
    _add(work / "recordings", sessions[n // 3])
    out["one_added"] = _build(work)
    out["site_mb"] = round(site_scale.du(work / "site") / 1e6, 1)
    return out


def _cell(times: dict[str, float] | None) -> str:
    if times is None:
        return "—"
    return f"{times['total']} s ({' + '.join(str(times[s]) for s in STAGES)})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, nargs="+", default=[300])
    ap.add_argument("--work", type=Path, default=Path("/tmp/rapporteur-incremental"))
    ap.add_argument("--reuse", type=Path, help="an archive site_scale.py built (e.g. /tmp/rapporteur-scale/n3000), "
                    "changed in place, its hand-written docs made this checkout's; one size only")
    ap.add_argument("--out", type=Path, default=HERE / "site-incremental")
    args = ap.parse_args()
    if args.reuse:
        rows = [run(len(list(args.reuse.glob("recordings/*/session.yaml"))), args.reuse, reuse=True)]
        how = f"--reuse {args.reuse}"
    else:
        rows = [run(n, args.work / f"n{n}") for n in args.sessions]
        how = f"--sessions {' '.join(map(str, args.sessions))}"
    args.out.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
    lines = ["# Incremental site builds", "",
             f"`benchmarks/site_incremental.py {how}` on {platform.machine()}, "
             f"{os.cpu_count()} cores: `rapporteur build` (render, mkdocs, Pagefind) cold, again with nothing changed, "
             "after one turn of one session changed, and after one session was added; each cell is the total "
             "(render + mkdocs + Pagefind).", "",
             f"| sessions | {'first build after an upgrade' if args.reuse else 'cold build'} | nothing changed | one session edited | one session added | site |",
             "|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['sessions']} | {_cell(r.get('cold'))} | {_cell(r['unchanged'])} | {_cell(r['one_edit'])} "
              f"| {_cell(r['one_added'])} | {r['site_mb']} MB |" for r in rows]
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
