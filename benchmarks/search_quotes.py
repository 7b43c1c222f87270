"""Remembered quotes: does a six-word span typed without quotation marks land on its turn first?

On an archive built by site_scale.py (``--work``/n<N>: recordings/, site/), take ``--tries`` spans of six
consecutive words from random turns (seeded), type each into the search page in headless Chromium (a cold
browser cache per query, the site served on 127.0.0.1 by a byte-counting server) and record:
whether the first result's first moment is the turn the words came from (and whether it is among the
first 5 results' first 3 moments), the bytes fetched after typing (split into engine — fetched once per
visit — index chunks and fragments) and the time until the first result is shown.

    .venv/bin/python benchmarks/site_scale.py --sessions 300          # builds /tmp/rapporteur-scale/n300
    .venv/bin/python benchmarks/search_quotes.py --sessions 300 --tries 50
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from site_scale import measure_queries  # noqa: E402

from rapporteur.site.views import session_view, turn_anchors  # noqa: E402

WORDS = 6
_WORD = re.compile(r"[\w'’-]+")


def quotes(recordings: Path, tries: int, seed: int = 2026) -> list[dict]:
    """``tries`` spans of WORDS words from random turns: the query, as remembered, and the turn's address."""
    rng = random.Random(seed)
    folders = sorted(p.parent for p in recordings.glob("*/session.yaml"))
    picked: list[dict] = []
    while len(picked) < tries:
        view = session_view(rng.choice(folders))
        turns = view.turns.turns if view.turns else []
        anchors = turn_anchors(view.turns) if view.turns else []
        k = rng.randrange(len(turns)) if turns else 0
        words = _WORD.findall(turns[k].text) if turns else []
        if len(words) < WORDS * 2:
            continue
        i = rng.randrange(len(words) - WORDS)
        picked.append({"query": " ".join(words[i:i + WORDS]).lower(),
                       "expected": f"/sessions/{view.session.id}/#{anchors[k]}"})
    return picked


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=300, help="which archive of --work to use (n<sessions>)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/rapporteur-scale"))
    ap.add_argument("--tries", type=int, default=50)
    ap.add_argument("--out", type=Path, default=HERE / "search-quotes")
    ap.add_argument("--markdown-only", action="store_true", help="rewrite the .md from the existing .json (e.g. after adding a note)")
    args = ap.parse_args()
    if args.markdown_only:
        report = json.loads(args.out.with_suffix(".json").read_text(encoding="utf-8"))
        args.out.with_suffix(".md").write_text(markdown(report), encoding="utf-8")
        return
    base = args.work / f"n{args.sessions}"
    asked = quotes(base / "recordings", args.tries)
    measured = measure_queries(base / "site", [q["query"] for q in asked])
    rows = []
    for q, m in zip(asked, measured):
        first = m["top_subresult"] == q["expected"]
        rows.append({**q, "first": first, "in_top5x3": q["expected"] in m["top_subresults"],
                     "first_result_s": m["first_result_s"],
                     "first_result_polled_s": m["first_result_polled_s"], "query_bytes": m["index_chunk_bytes"] + m["fragment_bytes"],
                     "index_chunk_bytes": m["index_chunk_bytes"], "fragment_bytes": m["fragment_bytes"],
                     "engine_bytes": m["engine_bytes"], "got": m["top_subresult"]})
        print(json.dumps(rows[-1]), flush=True)
    qb = [r["query_bytes"] for r in rows]
    ts = [r["first_result_s"] for r in rows]
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "sessions": args.sessions, "tries": len(rows),
        "first": sum(r["first"] for r in rows), "in_top5x3": sum(r["in_top5x3"] for r in rows),
        "query_bytes_median": int(statistics.median(qb)), "query_bytes_max": max(qb),
        "first_result_s_median": round(statistics.median(ts), 3), "first_result_s_max": max(ts),
        "rows": rows,
    }
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    args.out.with_suffix(".md").write_text(markdown(report), encoding="utf-8")
    print(f"first {report['first']}/{report['tries']}, top 5x3 {report['in_top5x3']}/{report['tries']}, "
          f"bytes median {report['query_bytes_median']} max {report['query_bytes_max']}; wrote {args.out}.md")


def markdown(r: dict) -> str:
    lines = [
        "# Remembered quotes",
        "",
        f"`benchmarks/search_quotes.py --sessions {r['sessions']} --tries {r['tries']}` on {r['machine']}: spans of six",
        "words from random turns of the generated archive (benchmarks/make_archive.py), typed without quotation marks",
        "into the search page in headless Chromium, a cold cache per query. *Query bytes*: index chunks and",
        "fragments fetched after typing (the engine, fetched once per visit, excluded).",
        "",
        "| sessions | first result's first moment is the turn | among first 5 × 3 | query bytes median / max | first result median / max |",
        "|---:|---:|---:|---:|---:|",
        f"| {r['sessions']} | {r['first']} / {r['tries']} | {r['in_top5x3']} / {r['tries']} | "
        f"{r['query_bytes_median'] / 1e3:.0f} / {r['query_bytes_max'] / 1e3:.0f} kB | "
        f"{r['first_result_s_median']} / {r['first_result_s_max']} s |",
        "",
        *([r["note"], ""] if r.get("note") else []),
        "*First result*: from the input event to the frame after the first result is in the page, timed in the page;"
        " *polled*: as Playwright's wait saw it (it polls every 500 ms once 0.3 s have passed).",
        "",
        "| query | first | bytes (index chunks + fragments) | first result | polled |",
        "|---|:-:|---:|---:|---:|",
    ]
    for row in r["rows"]:
        split = (f" ({row['index_chunk_bytes'] / 1e3:.0f} + {row['fragment_bytes'] / 1e3:.0f})"
                 if "index_chunk_bytes" in row else "")
        lines.append(f"| {row['query']} | {'yes' if row['first'] else 'no'} | {row['query_bytes'] / 1e3:.0f} kB{split} | "
                     f"{row['first_result_s']} s | {row.get('first_result_polled_s', '–')} s |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
