"""Profile a second ``render_archive`` of an archive (nothing changed since the first): where a rebuild's render time goes.

    PYTHONPATH=scripts .venv/bin/python -c "import sys; sys.path.insert(0, 'benchmarks'); import site_scale, make_archive; \
        from pathlib import Path; w = site_scale.new_project(Path('/tmp/rb/p300')); make_archive.main([str(w / 'recordings'), '--sessions', '300'])"
    PYTHONPATH=scripts .venv/bin/python benchmarks/profile_render.py /tmp/rb/p300

Prints the cold render's time, the profiled second render's time and its 30 costliest calls (cumulative);
benchmarks/site-incremental-profile.md is what it said at 300 sessions.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from pathlib import Path

from rapporteur.site.build import render_archive


def render(project: Path) -> float:
    t = time.perf_counter()
    render_archive(project / "recordings", project / "docs", log=lambda _: None)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("project", type=Path, help="an archive project (recordings/ and docs/), e.g. from site_scale.new_project")
    args = ap.parse_args()
    print(f"cold render {render(args.project):.1f} s", flush=True)
    profile = cProfile.Profile()
    seconds = profile.runcall(render, args.project)
    print(f"warm render (profiled) {seconds:.1f} s", flush=True)
    pstats.Stats(profile).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
