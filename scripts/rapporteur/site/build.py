"""The archive site: gather every session's view, write docs/ (pages and downloads), build site/, index it.

One broken session never stops the archive: it is rendered with its error
(one line, no traceback) and reported, and the rest are built.  ``render_site``
writes with ``write_text_atomic``, so unchanged pages keep their mtime, and renders a
session's page again only when its inputs change (``page_key``); ``build_site`` then runs
``mkdocs build --dirty`` (only the changed pages) when what every page shares is unchanged.  Search
is Pagefind over the built site, transcripts as records of turns, the pages changed since the archive
index indexed on their own into pagefind/recent/ (search.py; its extended binary is npm's release, which
``make setup`` installs into the environment, or else the ``pagefind_bin_extended`` wheel's: ``pagefind_binary``).
Serving is serve.py.
"""

from __future__ import annotations

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
caption layout is most of a cold render (a ninety-minute session's captions: ~0.1 s)."""
PARALLEL_PAGES_FROM = 40
"""Render this many session pages or more in worker processes (a ninety-minute session's page: ~40 ms; a worker
starts in about a second)."""
PENDING = ".downloads.pending"
"""In a session's docs/ folder: its downloads are left to the next build (``render_site(..., downloads_at_build=True)``);
the file holds the session folder's path.  ``build_site`` lays them out while the site engine and Pagefind run."""


def render_archive(recordings: Path, docs: Path, *, log: Callable[[str], None] = print,
                   downloads_at_build: bool = False) -> list[str]:
    """Render docs/ for every session folder; return the problems (one line each).  ``downloads_at_build``: see
    ``render_site``."""
    views: list[SessionView] = []
    problems: list[str] = []
    for yaml_file in sorted(Path(recordings).glob("*/session.yaml")):
        try:
            views.append(session_view(yaml_file.parent))
        except RapporteurError as exc:
            problems.append(str(exc))
            print(f"warning: {yaml_file.parent.name} left out of the site: {exc}", file=sys.stderr)
    written = render_site(views, Path(docs), downloads_at_build=downloads_at_build)
    pending = len(pending_downloads(Path(docs))) if downloads_at_build else 0
    log(f"rendered {len(views)} session(s) into {docs}/ ({len(written)} files"
        + (f"; the downloads of {pending} left to the build)" if pending else ")"))
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


def lay_out_downloads(source: SessionView | str, folder: str, key: str | None = None) -> str | None:
    """Write a session's downloads (``session_downloads``) and their stamp into ``folder`` (docs/sessions/<id>/) and
    remove its pending mark; ``source``: its view with its ``downloads_key``, or its session folder (read again here,
    its key too).  Returns a one-line problem instead when the session can no longer be read."""
    if not isinstance(source, SessionView):
        try:
            source = session_view(Path(source))
        except RapporteurError as exc:
            return f"{Path(folder).name}: downloads not laid out: {exc}"
        key = downloads_key(source)
    out = Path(folder)
    for name, text in session_downloads(source).items():
        write_text_atomic(out / name, text)
    if key:
        write_text_atomic(out / DOWNLOADS_STAMP, key)
    (out / PENDING).unlink(missing_ok=True)
    return None


def _worker_pool(count: int, most_from: int, **init: object):
    """A pool of worker processes, one per core, for ``count`` jobs when there are ``most_from`` or more of them and
    two cores (else None: the jobs are done here).  Started afresh (``spawn``), not forked: the process that starts
    them may be running a thread.  ``init``: ProcessPoolExecutor's ``initializer`` and ``initargs``."""
    workers = min(os.cpu_count() or 1, count)
    if workers < 2 or count < most_from:
        return None
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"), **init)


class DownloadLayout:
    """Sessions' downloads being laid out (``lay_out_downloads``): in worker processes, one per core, when there are
    ``PARALLEL_DOWNLOADS_FROM`` or more of them, else here as they are added (``_worker_pool``).  ``nice``: the
    workers run at low priority, on what the site engine and Pagefind leave of the cores."""

    def __init__(self, count: int, *, nice: bool = False) -> None:
        self._pool = _worker_pool(count, PARALLEL_DOWNLOADS_FROM, **({"initializer": os.nice, "initargs": (10,)} if nice else {}))
        self._results: list = []

    def add(self, source: SessionView | str, folder: Path, key: str | None = None) -> None:
        """Lay out a session's downloads (``lay_out_downloads``'s arguments)."""
        if self._pool is None:
            self._results.append(lay_out_downloads(source, str(folder), key))
        else:
            self._results.append(self._pool.submit(lay_out_downloads, source, str(folder), key))

    def wait(self) -> list[str]:
        """Wait until every download added is written; returns the problems (one line each)."""
        try:
            done = [r if r is None or isinstance(r, str) else r.result() for r in self._results]
        finally:
            self.close()
        return [p for p in done if p]

    def close(self) -> None:
        """Stop the workers; downloads not yet laid out are left (their sessions keep their pending mark)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> "DownloadLayout":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def pending_downloads(docs_dir: Path) -> list[tuple[str, Path]]:
    """The sessions whose downloads were left to the build (``PENDING``): (session folder, docs/ folder) each."""
    found = []
    for mark in sorted((Path(docs_dir) / SESSIONS_DIR).glob(f"*/{PENDING}")):
        source = _read_text(mark)
        if source:
            found.append((source.strip(), mark.parent))
    return found


def publish_downloads(docs_dir: Path, site_dir: Path) -> int:
    """Put every session's downloads from docs/ into site/ (hard links where they can be), where the site engine did
    not: those laid out while it built the pages.  Returns how many files were put there."""
    put = 0
    exts = [ext for ext, _ in DOWNLOADS]
    root = Path(docs_dir) / SESSIONS_DIR
    for folder in sorted(root.iterdir()) if root.is_dir() else ():
        for src in (folder / f"{folder.name}.{ext}" for ext in exts):
            dst = Path(site_dir) / SESSIONS_DIR / folder.name / src.name
            try:
                st = src.stat()
            except OSError:
                continue
            try:
                if os.path.samestat(st, dst.stat()):
                    continue
                dst.unlink()
            except FileNotFoundError:
                dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(src, dst)
            except OSError:  # another file system, or no hard links there
                shutil.copy2(src, dst)
            put += 1
    return put


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


_SLUGS: dict[str, str] = {}
"""In a page-rendering worker process: the speaker-page slugs (``_rendered_pages``)."""


def _set_slugs(slugs: dict[str, str]) -> None:
    _SLUGS.update(slugs)


def _render_page(job: tuple[SessionView, object]) -> str:
    view, player = job
    return render_session(view, slugs=_SLUGS, player=player)


def _rendered_pages(jobs: Sequence[tuple[SessionView, object]], slugs: dict[str, str]) -> Iterator[str]:
    """``render_session`` of each (view, player), in order: in worker processes, one per core, when there are
    ``PARALLEL_PAGES_FROM`` or more (``_worker_pool``); else here."""
    pool = _worker_pool(len(jobs), PARALLEL_PAGES_FROM, initializer=_set_slugs, initargs=(slugs,))
    if pool is None:
        yield from (render_session(v, slugs=slugs, player=p) for v, p in jobs)
        return
    with pool:
        yield from pool.map(_render_page, jobs, chunksize=max(1, min(16, len(jobs) // (8 * (os.cpu_count() or 1)))))


def _write_sessions(views: Sequence[SessionView], root: Path, *, slugs: dict[str, str], code: str,
                    keys: dict[str, str | None], fresh: set[str], layout: DownloadLayout | None, site_audio: bool,
                    pkeys: dict[str, str | None], written: list[Path]) -> None:
    """Each session's folder under docs/sessions/: its page (unless ``page_key`` says it is up to date; the others
    rendered over the cores, ``_rendered_pages``), its downloads (``fresh`` ones kept, the others added to
    ``layout``, or left to the build with a ``PENDING`` mark without one), its audio; ``pkeys`` and ``written``
    filled in."""
    plans = []  # (view, folder, files kept, player, page key, page to render)
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
        stale_page = not (pkey and _read_text(folder / PAGE_STAMP) == pkey and (folder / "index.md").is_file())
        plans.append((v, folder, keep, player, pkey, stale_page))
    pages = _rendered_pages([(v, player) for v, _, _, player, _, stale in plans if stale], slugs)
    try:
        for v, folder, keep, _, pkey, stale_page in plans:
            files: dict[str, str] = {}
            if stale_page:
                files["index.md"] = next(pages)
                if pkey:
                    files[PAGE_STAMP] = pkey
            else:
                keep |= {"index.md", PAGE_STAMP}  # rendered from the same inputs: not rendered again
                written.append(folder / "index.md")
            names = _download_names(v)
            stale = bool(names) and v.session.id not in fresh
            if names:  # fresh ones are unchanged since the last build: not laid out again
                keep |= set(names) | {DOWNLOADS_STAMP} | ({PENDING} if stale else set())
                written += [folder / n for n in names]
            if stale and layout is None:
                files[PENDING] = str(Path(v.session.dir).resolve())
            for name, text in files.items():
                write_text_atomic(folder / name, text)
                written.append(folder / name)
            keep |= set(files)
            for stray in folder.iterdir():
                if stray.name not in keep:
                    _remove(stray)
            if stale and layout is not None:  # after the strays went: a worker's temporary file is not one
                layout.add(v, folder, keys[v.session.id])
    finally:
        pages.close()  # the workers stop


def render_site(views: list[SessionView], docs_dir: Path, *, site_audio: bool = True,
                downloads_at_build: bool = False) -> list[Path]:
    """Write the home page, event pages, session pages, downloads and speaker pages under ``docs_dir``.

    Returns every generated path (written or already up to date).  Folders in
    ``docs_dir/sessions/`` and ``docs_dir/speakers/`` that belong to no session
    or person, and stray files inside them, are removed, and so is anything in
    ``docs_dir/events/`` that is not a current event's page; nothing else is.
    With ``site_audio``, sessions with local media get ``<id>.ogg`` next to
    their page (see ``ensure_site_audio``).  The downloads of sessions whose
    turns or session.yaml changed are laid out again, over the cores while the
    pages are rendered; with ``downloads_at_build``, they are left to ``build_site``
    (``PENDING``), which lays them out while the site engine and Pagefind work.
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
    layout = None if downloads_at_build else DownloadLayout(len(views) - len(fresh))
    try:
        _write_sessions(views, root, slugs=slugs, code=code, keys=keys, fresh=fresh, layout=layout,
                        site_audio=site_audio, pkeys=pkeys, written=written)
        problems = layout.wait() if layout is not None else []
    finally:
        if layout is not None:
            layout.close()
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
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
    downloads_s: float = 0.0
    """After the index: waiting for the downloads still being laid out (``PENDING``), and putting them into site/."""


def build_site(mkdocs_config: Path = Path("mkdocs.yml"), *, engine: str = "mkdocs",
               log: Callable[[str], None] = print) -> SiteBuilt:
    """Build site/ (``build_pages``), then the Pagefind index into site/pagefind/ (``build_search_index``).

    When the whole archive is to be indexed (a build from scratch wipes site/, or there is no index yet), the
    transcripts' records are indexed from docs/ while the site engine builds the pages: on two cores, the
    engine and Pagefind's work on the records run side by side.  Downloads left to the build (``PENDING``) are
    laid out meanwhile at low priority, on what the two leave of the cores (Pagefind writes its index on one);
    then every download in docs/ that the engine did not copy is put into site/ (``publish_downloads``)."""
    root = Path(mkdocs_config).resolve().parent
    site_dir = root / "site"
    t0 = time.perf_counter()
    started: list[Indexing] = []  # the archive index, started once the engine runs (not before: see _run_tool)
    pending = pending_downloads(root / "docs")
    layout = DownloadLayout(len(pending), nice=True) if pending else None
    whole = not _pages_incremental(site_dir, shared_inputs_key(root, engine), engine) or index_is_whole(site_dir)

    def beside() -> None:
        if whole:
            started.append(archive_indexing(root / "docs"))
        for source, folder in pending if layout is not None else ():
            layout.add(source, folder)

    try:
        try:
            dirty = build_pages(mkdocs_config, engine=engine, beside=beside if whole or pending else None)
        except BaseException:
            for indexing in started:
                indexing.close()
            raise
        early = started[0] if started else None
        t1 = time.perf_counter()
        build_search_index(site_dir, docs_dir=root / "docs", started=early, log=log)
        t2 = time.perf_counter()
        for problem in layout.wait() if layout is not None else ():
            log(f"warning: {problem}")
    finally:
        if layout is not None:
            layout.close()
    publish_downloads(root / "docs", site_dir)
    built = SiteBuilt(engine, dirty, round(t1 - t0, 1), round(t2 - t1, 1), round(time.perf_counter() - t2, 1))

    def secs(x: float) -> str:
        return f"{x:.0f} s" if x >= 10 else f"{x:.1f} s"

    log(f"site built into {site_dir}/ with {engine}" + (" (pages whose Markdown changed)" if dirty else "")
        + f" in {secs(built.pages_s + built.search_s + built.downloads_s)} (pages {secs(built.pages_s)}, then the search index"
        + f" {secs(built.search_s)}" + (f", then the downloads {secs(built.downloads_s)})" if pending else ")"))
    return built
