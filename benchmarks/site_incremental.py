"""Incremental site builds at archive scale: a cold `rapporteur build`, then one session edited, then built again.

    .venv/bin/python benchmarks/site_incremental.py --sessions 1000

Writes benchmarks/site-incremental.json and .md.  The archive is benchmarks/make_archive.py's (ninety-minute
sessions, ~13,500 words each).  The edit changes one turn's text in one session: its page, and what lists it,
must be rebuilt; nothing else is rendered again (site/build.py page_key, mkdocs build --dirty).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import site_scale  # noqa: E402  (its project layout: mkdocs.yml and the hand-written docs)


def _build(work: Path) -> float:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(HERE.parent / "scripts")}
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rapporteur.cli", "build"], cwd=work, env=env, check=True, capture_output=True)
    return round(time.perf_counter() - t, 1)


def run(n: int, work: Path) -> dict:
    import make_archive

    site_scale.new_project(work)
    make_archive.main([str(work / "recordings"), "--sessions", str(n)])
    out = {"sessions": n, "cold_s": _build(work), "unchanged_s": _build(work)}
    session = sorted((work / "recordings").iterdir())[n // 2]
    turns = session / "turns.json"
    data = json.loads(turns.read_text(encoding="utf-8"))
    data["turns"][0]["text"] = "Edited " + data["turns"][0]["text"]
    turns.write_text(json.dumps(data), encoding="utf-8")
    out["one_edit_s"] = _build(work)
    out["site_mb"] = round(site_scale.du(work / "site") / 1e6, 1)
    return out


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
             "and after one turn of one session changed.", "",
             "| sessions | cold build | nothing changed | one session edited | site |", "|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['sessions']} | {r['cold_s']} s | {r['unchanged_s']} s | {r['one_edit_s']} s | {r['site_mb']} MB |" for r in rows]
    (HERE / "site-incremental.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
