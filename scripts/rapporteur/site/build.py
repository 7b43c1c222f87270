"""The archive site: gather every session's view, write docs/ (pages and downloads), build site/, index it.

One broken session never stops the archive: it is rendered with its error
(one line, no traceback) and reported, and the rest are built.  ``render_site``
writes with ``write_text_atomic``, so unchanged pages keep their mtime, and renders a
session's page again only when its inputs change (``page_key``); ``build_site`` then runs
``mkdocs build --dirty`` (only the changed pages) when what every page shares is unchanged.  Search
is Pagefind over the built site, transcripts as records of turns, the pages changed since the archive
index indexed on their own into pagefind/recent/ (search.py; its extended binary ships in the
``pagefind_bin_extended`` wheel: nothing is downloaded).  Serving is serve.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

from ..core.folder import TURNS, SessionFolder
from ..core.fsutil import bytes_digest, write_text_atomic
from ..errors import RapporteurError
from . import exports, markup, views
from .exports import DOWNLOADS, get_writer
from .listing import EVENTS_DIR, event_groups, render_event, render_events_index, render_home, render_speaker_index
from .pages import (SESSIONS_DIR, SPEAKERS_DIR, Appearance, display_names, render_session, speaker_appearances,
                    speaker_pages, speaker_slugs)
from .player import choose_player, ensure_site_audio
from .search import Indexing, archive_indexing, build_search_index, index_is_whole
from .serve import RangeRequestHandler, make_server, serve  # noqa: F401 (the CLI's and benchmarks' names)
from .views import SessionView, session_view

_SESSION_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")

DOWNLOADS_STAMP = ".downloads.key"
"""Fingerprint of what a session's downloads were made from (their caption layout is the slow part)."""
PAGE_STAMP = ".page.key"
"""Fingerprint of what a session's page (or a person's pages) was rendered from: unchanged, not rendered again."""
PAGE_INPUTS = (".yaml", ".yml", ".json", ".txt", ".vtt", ".srt", ".rttm", ".md", ".error", ".source")
"""The session folder's files a page can be made from, by suffix (a dotfile's name is its suffix here):
its records and texts, never its media."""
PARALLEL_DOWNLOADS_FROM = 4
"""Lay out the downloads of this many sessions or more in worker processes (one per core):
caption layout is most of a cold build (300 ninety-minute sessions: ~0.3 s each)."""


def render_archive(recordings: Path, docs: Path, *, log: Callable[[str], None] = print) -> list[str]:
    """Render docs/ for every session folder; return the problems (one line each)."""
    views: list[SessionView] = []
    problems: list[str] = []
    for yaml_file in sorted(Path(recordings).glob("*/session.yaml")):
        try:
            views.append(session_view(yaml_file.parent))
        except RapporteurError as exc:
            problems.append(str(exc))
            print(f"warning: {yaml_file.parent.name} left out of the site: {exc}", file=sys.stderr)
    written = render_site(views, Path(docs))
    log(f"rendered {len(views)} session(s) into {docs}/ ({len(written)} files)")
    return problems


# ------------------------------------------------------------------ downloads


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def downloads_key(view: SessionView) -> str | None:
    """A fingerprint of the downloads' inputs: turns.json, session.yaml and the export code (exports, views, markup).

    None when the turns did not come from the session's turns.json (nothing to compare)."""
    turns_file = SessionFolder(view.session.dir).path(TURNS)
    try:
        parts = [turns_file.read_bytes(), view.session.file.read_bytes(),
                 *(Path(m.__file__).read_bytes() for m in (exports, views, markup))]
    except OSError:
        return None
    return bytes_digest(*parts)


def site_code_digest() -> str:
    """A fingerprint of the code and templates that render pages: everything in site/, and core/ (the
    records, session.yaml and text rules the pages are read and made with)."""
    package = Path(__file__).parent.parent
    files = sorted(p for d in ("site", "core") for p in (package / d).rglob("*") if p.is_file() and p.suffix != ".pyc")
    return bytes_digest(*(str(p.relative_to(package)).encode() + b"\0" + p.read_bytes() for p in files))


def page_key(view: SessionView, *, slugs: dict[str, str], player: object, code: str) -> str | None:
    """A fingerprint of everything a session's page is rendered from: the session folder's files (not its
    media), the site code, the speaker-page slugs of the people it names and the player chosen."""
    names = display_names([view])
    parts = [code.encode(), json.dumps({k: slugs.get(k) for k in sorted(names)}).encode(), repr(player).encode(),
             repr(view.error).encode()]
    try:
        for path in sorted(Path(view.session.dir).iterdir()):
            if (path.suffix or path.name) in PAGE_INPUTS and path.is_file():
                parts.append(path.name.encode() + b"\0" + path.read_bytes())
    except OSError:
        return None
    return bytes_digest(*parts)


def speaker_key(name: str, slug: str, apps: Sequence[Appearance], pkeys: dict[str, str | None], code: str) -> str | None:
    """A fingerprint of what a person's pages are made from: their name and slug, and the page keys
    (``page_key``: folder files, site code, slugs) of the sessions they appear in, in order; None if one is unknown."""
    ids = [a.view.session.id for a in apps]
    if any(pkeys.get(i) is None for i in ids):
        return None
    return bytes_digest(code.encode(), name.encode(), slug.encode(), *(f"{i}\0{pkeys[i]}".encode() for i in ids))


def session_downloads(view: SessionView) -> dict[str, str]:
    """File name → content of the session's downloads (none without turns)."""
    if view.turns is None or not view.turns.turns:
        return {}
    return {
        f"{view.session.id}.{ext}": get_writer(ext).to_string(view.turns, session=view.session)
        for ext, _ in DOWNLOADS
    }


def _download_names(view: SessionView) -> list[str]:
    return [f"{view.session.id}.{ext}" for ext, _ in DOWNLOADS] if view.turns is not None and view.turns.turns else []


def _downloads_fresh(view: SessionView, folder: Path, key: str | None) -> bool:
    """The downloads in ``folder`` were made from the same inputs (see ``downloads_key``)."""
    names = _download_names(view)
    return bool(key and names and _read_text(folder / DOWNLOADS_STAMP) == key
                and all((folder / n).is_file() for n in names))


@contextlib.contextmanager
def downloads_laid_out(views: Sequence[SessionView]) -> Iterator[Iterator[dict[str, str]]]:
    """Each view's downloads (``session_downloads``), in order, as an iterator; over the cores when there
    are many, in worker processes that lay them out while the caller goes on (renders the session pages)."""
    workers = min(os.cpu_count() or 1, len(views))
    if workers < 2 or len(views) < PARALLEL_DOWNLOADS_FROM:
        yield (session_downloads(v) for v in views)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield pool.map(session_downloads, views, chunksize=max(1, len(views) // (workers * 8)))



# ------------------------------------------------------------------ docs/


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def _prune(root: Path, keep: set[str]) -> None:
    if root.is_dir():
        for child in root.iterdir():
            if child.name not in keep:
                _remove(child)


def _write_sessions(views: Sequence[SessionView], root: Path, *, slugs: dict[str, str], code: str,
                    keys: dict[str, str | None], fresh: set[str], laid_out: Iterator[dict[str, str]], site_audio: bool,
                    pkeys: dict[str, str | None], written: list[Path]) -> None:
    """Each session's folder under docs/sessions/: its page (unless ``page_key`` says it is up to date), its
    downloads (``fresh`` ones kept, the others the next of ``laid_out``), its audio; ``pkeys`` and ``written`` filled in."""
    for v in views:
        folder = root / v.session.id
        if folder.is_symlink() or folder.is_file():
            folder.unlink()
        keep: set[str] = set()
        audio = ensure_site_audio(v.session, folder) if site_audio else None
        if audio is not None:
            keep |= {audio.name, f".{audio.name}.source"}
            written.append(audio)
        player = choose_player(v.session, has_local_audio=audio is not None)
        pkey = pkeys[v.session.id] = page_key(v, slugs=slugs, player=player, code=code)
        files: dict[str, str] = {}
        if pkey and _read_text(folder / PAGE_STAMP) == pkey and (folder / "index.md").is_file():
            keep |= {"index.md", PAGE_STAMP}  # rendered from the same inputs: not rendered again
            written.append(folder / "index.md")
        else:
            files["index.md"] = render_session(v, slugs=slugs, player=player)
            if pkey:
                files[PAGE_STAMP] = pkey
        key = keys[v.session.id]
        names = _download_names(v)
        if v.session.id in fresh:
            keep |= set(names) | {DOWNLOADS_STAMP}  # unchanged since the last build: not laid out again
            written += [folder / n for n in names]
        else:
            files.update(next(laid_out))
            if key and names:
                files[DOWNLOADS_STAMP] = key
        for name, text in files.items():
            write_text_atomic(folder / name, text)
            written.append(folder / name)
        keep |= set(files)
        for stray in folder.iterdir():
            if stray.name not in keep:
                _remove(stray)


def render_site(views: list[SessionView], docs_dir: Path, *, site_audio: bool = True) -> list[Path]:
    """Write the home page, event pages, session pages, downloads and speaker pages under ``docs_dir``.

    Returns every generated path (written or already up to date).  Folders in
    ``docs_dir/sessions/`` and ``docs_dir/speakers/`` that belong to no session
    or person, and stray files inside them, are removed, and so is anything in
    ``docs_dir/events/`` that is not a current event's page; nothing else is.
    With ``site_audio``, sessions with local media get ``<id>.ogg`` next to
    their page (see ``ensure_site_audio``).
    """
    docs_dir = Path(docs_dir)
    ids = [v.session.id for v in views]
    bad = [i for i in ids if not _SESSION_ID.match(i)]
    if bad:
        raise RapporteurError(f"invalid session ids {bad!r}", hint="session folders use lower-case letters, digits, '.', '_' or '-'")
    dupes = sorted(i for i, c in Counter(ids).items() if c > 1)
    if dupes:
        raise RapporteurError(f"session ids used twice: {', '.join(dupes)}")

    slugs = speaker_slugs(views)
    written: list[Path] = []
    groups = event_groups(views)
    home = docs_dir / "index.md"
    write_text_atomic(home, render_home(views, slugs=slugs, groups=groups))
    written.append(home)
    eroot = docs_dir / EVENTS_DIR
    event_pages = {"index.md": render_events_index(groups)}
    for g in groups:
        event_pages.update({f"{g.slug}/{path}": text for path, text in render_event(g, slugs).items()})
    written += _write_tree(eroot, event_pages)

    root = docs_dir / SESSIONS_DIR
    code = site_code_digest()
    pkeys: dict[str, str | None] = {}
    keys = {v.session.id: downloads_key(v) for v in views}
    fresh = {v.session.id for v in views if _downloads_fresh(v, root / v.session.id, keys[v.session.id])}
    with downloads_laid_out([v for v in views if v.session.id not in fresh]) as laid_out:
        _write_sessions(views, root, slugs=slugs, code=code, keys=keys, fresh=fresh, laid_out=laid_out,
                        site_audio=site_audio, pkeys=pkeys, written=written)
    _prune(root, set(ids))

    people = speaker_appearances(views, slugs)
    names = {slugs[key]: name for key, name in display_names(views).items()}
    sroot = docs_dir / SPEAKERS_DIR
    entries = []
    for slug, apps in sorted(people.items()):
        folder = sroot / slug
        skey = speaker_key(names[slug], slug, apps, pkeys, code)
        if skey and _read_text(folder / PAGE_STAMP) == skey and (folder / "index.md").is_file():
            written += sorted(folder.rglob("index.md"))  # made from the same sessions' pages: not rendered again
        else:
            pages = speaker_pages(names[slug], apps)
            _write_tree(folder, {**pages, **({PAGE_STAMP: skey} if skey else {})})
            written += [folder / path for path in pages]
        entries.append((names[slug], slug, apps))
    index_pages = render_speaker_index(entries)
    for path, text in index_pages.items():
        write_text_atomic(sroot / path, text)
        written.append(sroot / path)
    letters = {path.split("/")[0] for path in index_pages if "/" in path}
    for letter in letters:
        _prune(sroot / letter, {"index.md"})
    _prune(sroot, set(people) | letters | {"index.md"})
    return written


def _prune_tree(root: Path, keep: set[Path]) -> None:
    """Remove everything under ``root`` but the files in ``keep`` (symbolic links are removed, never followed)."""
    dirs = {d for p in keep for d in p.parents}
    if not root.is_dir() or root.is_symlink():
        return
    for child in root.iterdir():
        if child.is_symlink() or not (child in keep and child.is_file() or child in dirs and child.is_dir()):
            _remove(child)
        elif child.is_dir():
            _prune_tree(child, keep)


def _write_tree(root: Path, pages: dict[str, str]) -> list[Path]:
    """Write ``{relative path: text}`` under ``root`` and remove every other file and folder there."""
    if root.is_symlink() or root.is_file():
        root.unlink()
    _prune_tree(root, {root / p for p in pages})  # first: a stale file may stand where a folder goes
    for path, text in pages.items():
        write_text_atomic(root / path, text)
    return [root / p for p in pages]


# ------------------------------------------------------------------ site/


def _run_tool(args: list[str], what: str, path: Path, *, hint: str = "", ok: Callable[[], bool] = lambda: True,
              beside: Callable[[], object] | None = None) -> None:
    """Run ``python -m <tool> ...``; a failure is one line with the tool's last words.  ``beside``: called once the
    tool has started, to work while it runs (first: a Python thread started earlier would hold back the tool's
    start, as it keeps the interpreter lock through long C calls)."""
    proc = subprocess.Popen([sys.executable, "-m", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if beside is not None:
            beside()
        out, err = proc.communicate()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    if proc.returncode != 0 or not ok():
        tail = (err or out).strip().splitlines()[-3:]
        raise RapporteurError(f"{what} failed: " + " | ".join(tail), path=path, hint=hint)


ENGINES = ("mkdocs", "zensical")
"""The site generators that build docs/ from mkdocs.yml: Material for MkDocs (default) and its successor Zensical."""


def engine_command(engine: str, mkdocs_config: Path, *, dirty: bool = False) -> list[str]:
    """The ``python -m`` arguments that build site/ from ``mkdocs_config`` with ``engine``.

    The one place that knows how each engine is invoked; both read mkdocs.yml as it is
    and write ``site_dir`` (site/) beside it.  ``dirty``: only the pages whose Markdown changed (mkdocs only)."""
    if engine == "mkdocs":
        return ["mkdocs", "build", "--quiet", *(["--dirty"] if dirty else []), "--config-file", str(mkdocs_config)]
    if engine == "zensical":
        return ["zensical", "build", "--clean", "--config-file", str(mkdocs_config)]
    raise RapporteurError(f"unknown site engine {engine!r}", hint=f"choose one of: {', '.join(ENGINES)}")


GENERATED = ("index.md", SESSIONS_DIR, SPEAKERS_DIR, EVENTS_DIR)
"""What ``render_site`` writes in docs/; everything else there (about, search, assets, overrides) is the theme's part."""
SITE_STAMP = ".build.key"
"""In site/: a fingerprint of what every page shares (mkdocs.yml, the hand-written docs, MkDocs and Material)."""


def shared_inputs_key(root: Path, engine: str = "mkdocs") -> str:
    """A fingerprint of what every built page depends on (with the engine): a change here rebuilds the whole site."""
    from importlib import metadata

    docs = root / "docs"
    files = [root / "mkdocs.yml"] + sorted(
        p for p in docs.rglob("*") if p.is_file() and p.relative_to(docs).parts[0] not in GENERATED)
    versions = []
    for dist in ("mkdocs", "mkdocs-material"):
        try:
            versions.append(f"{dist}=={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            versions.append(dist)
    return bytes_digest(" ".join([engine, *versions]).encode(), *(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes() for p in files))


def prune_built(site_dir: Path, docs_dir: Path) -> int:
    """Remove what an incremental build leaves behind in site/: the built pages and copied files of the
    sessions, speakers and events whose source is gone from docs/.  Returns how many files went."""
    removed = 0
    for top in (SESSIONS_DIR, SPEAKERS_DIR, EVENTS_DIR):
        for path in sorted((site_dir / top).rglob("*"), reverse=True):
            rel = path.relative_to(site_dir)
            if path.is_dir() and not path.is_symlink():
                if not any(path.iterdir()):
                    path.rmdir()
                continue
            if path.name == "index.html":
                src = [docs_dir / rel.parent / "index.md", docs_dir / f"{rel.parent}.md"]
            else:
                src = [docs_dir / rel]
            if not any(p.is_file() for p in src):
                path.unlink()
                removed += 1
    return removed


def _pages_incremental(site_dir: Path, key: str, engine: str) -> bool:
    """Whether ``build_pages`` builds incrementally (``mkdocs build --dirty``): site/ was built from the same shared
    inputs (``key``: ``shared_inputs_key``)."""
    return engine == "mkdocs" and _read_text(site_dir / SITE_STAMP) == key and (site_dir / "index.html").is_file()


def build_pages(mkdocs_config: Path = Path("mkdocs.yml"), *, engine: str = "mkdocs",
                beside: Callable[[], object] | None = None) -> bool:
    """Build site/'s pages with ``engine`` (``mkdocs build`` by default); True when it was incremental.

    Incremental when it can be: if site/ was built from the same shared inputs (``shared_inputs_key``),
    ``mkdocs build --dirty`` rebuilds only the pages whose Markdown changed (render_site rewrites only
    what changed), and ``prune_built`` removes what was deleted: the result is the cold build's, file
    for file.  Otherwise (and always with Zensical) site/ is built from scratch.  ``beside``: called once the
    engine has started, to work while it builds (``_run_tool``)."""
    root = Path(mkdocs_config).resolve().parent
    site_dir = root / "site"
    key = shared_inputs_key(root, engine)
    dirty = _pages_incremental(site_dir, key, engine)
    hint = "install it with: pip install 'rapporteur[zensical]'" if engine == "zensical" else ""
    _run_tool(engine_command(engine, mkdocs_config, dirty=dirty), f"{engine} build", mkdocs_config, hint=hint,
              beside=beside)
    if dirty:
        prune_built(site_dir, root / "docs")
    write_text_atomic(site_dir / SITE_STAMP, key)
    return dirty


@dataclass(frozen=True)
class SiteBuilt:
    """What ``build_site`` did, and how long each step took."""
    engine: str
    incremental: bool
    """Only the pages whose Markdown changed were built (``mkdocs build --dirty``)."""
    pages_s: float
    """The site engine's build (with the transcripts' records indexed alongside, when the whole site is indexed)."""
    search_s: float
    """The search index after the pages were built: their words, then the index written."""


def build_site(mkdocs_config: Path = Path("mkdocs.yml"), *, engine: str = "mkdocs",
               log: Callable[[str], None] = print) -> SiteBuilt:
    """Build site/ (``build_pages``), then the Pagefind index into site/pagefind/ (``build_search_index``).

    When the whole archive is to be indexed (a build from scratch wipes site/, or there is no index yet), the
    transcripts' records are indexed from docs/ while the site engine builds the pages: on two cores, the
    engine and Pagefind's work on the records run side by side."""
    root = Path(mkdocs_config).resolve().parent
    site_dir = root / "site"
    t0 = time.perf_counter()
    started: list[Indexing] = []  # the archive index, started once the engine runs (not before: see _run_tool)
    whole = not _pages_incremental(site_dir, shared_inputs_key(root, engine), engine) or index_is_whole(site_dir)
    try:
        dirty = build_pages(mkdocs_config, engine=engine,
                            beside=(lambda: started.append(archive_indexing(root / "docs"))) if whole else None)
    except BaseException:
        for indexing in started:
            indexing.close()
        raise
    early = started[0] if started else None
    t1 = time.perf_counter()
    build_search_index(site_dir, docs_dir=root / "docs", started=early, log=log)
    built = SiteBuilt(engine, dirty, round(t1 - t0, 1), round(time.perf_counter() - t1, 1))

    def secs(x: float) -> str:
        return f"{x:.0f} s" if x >= 10 else f"{x:.1f} s"

    log(f"site built into {site_dir}/ with {engine}" + (" (pages whose Markdown changed)" if dirty else "")
        + f" in {secs(built.pages_s + built.search_s)} (pages {secs(built.pages_s)}, then the search index {secs(built.search_s)})")
    return built
