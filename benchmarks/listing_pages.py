"""Built sizes of the listing pages (home, events, speaker index, speaker pages) of an in-memory archive.

The archive is tests/test_pages_scale.py's ``archive(n)`` (19 IGF years, rosters of 6 from 600
people, one "Chair Person" in every session); session pages are one-line stubs, so this measures
the pages whose size could grow with the archive, as MkDocs (--strict) builds them.

    PYTHONPATH=scripts python benchmarks/listing_pages.py 3000

Measured 2026-12-02 (2 shared cores): 300 sessions: home 25.4 kB, events index 12.6 kB, largest event
page 19.0 kB, speaker index 11.8 kB, largest letter page 13.6 kB, Chair Person 87.5 kB; 3,000
sessions: home 25.5 kB, largest event page 93.3 kB (158 sessions), letter page 13.7 kB, Chair Person
88.6 kB (page 1 of 12); no listing page over 94 kB.
"""
import os, shutil, subprocess, sys, tempfile
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_pages_scale import archive, listing_pages
ROOT = Path(__file__).resolve().parents[1]
n = int(sys.argv[1])
work = Path(tempfile.mkdtemp(prefix=f"pages-scale-{n}-"))
docs = work / "docs"
docs.mkdir(parents=True)
shutil.copy(ROOT / "mkdocs.yml", work)
for name in ("about.md", "search.md"):
    shutil.copy(ROOT / "docs" / name, docs / name)
for name in ("assets", "overrides"):
    shutil.copytree(ROOT / "docs" / name, docs / name)
views = archive(n)
for path, text in listing_pages(views).items():
    (docs / path).parent.mkdir(parents=True, exist_ok=True)
    (docs / path).write_text(text)
for v in views:
    p = docs / "sessions" / v.session.id / "index.md"
    p.parent.mkdir(parents=True)
    p.write_text(f"# {v.session.id}\n")
proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=work, capture_output=True, text=True,
                      env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
print("mkdocs rc", proc.returncode, [l for l in proc.stderr.splitlines() if "WARNING" in l][:5])
site = work / "site"
pages = [p for p in site.rglob("index.html") if "sessions" not in p.parts]
sz = lambda p: p.stat().st_size
print(f"{n} sessions: home {sz(site/'index.html')/1000:.1f} kB, events index {sz(site/'events/index.html')/1000:.1f} kB, "
      f"largest event page {max(sz(p) for p in pages if 'events' in p.parts)/1000:.1f} kB, speaker index {sz(site/'speakers/index.html')/1000:.1f} kB, "
      f"largest letter page {max((sz(p) for p in pages if p.parent.name.startswith('letter-')), default=0)/1000:.1f} kB, "
      f"chair (in all {n}) {sz(site/'speakers/chair-person/index.html')/1000:.1f} kB, largest page {max(sz(p) for p in pages)/1000:.1f} kB "
      f"({max(pages, key=sz).relative_to(site)}), pages {len(pages)}")
shutil.rmtree(work)
