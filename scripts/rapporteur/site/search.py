"""The search index: Pagefind over the built site, each transcript indexed as small records of turns.

Pagefind's own unit is a page, and its fragment (what the browser fetches to show a result) holds the
page's whole text: a 90-minute transcript costs 20-40 kB per result shown.  And a word said in every
session ("the", "of", "we") has one index chunk of all its positions, which grows with the archive
(~280 kB at 300 sessions) and is fetched by every query that holds it.  So:

- every page is indexed as built, but without its transcript turns (``.turn``): the session's title,
  summary, agenda and people, the speaker and event pages;
- each transcript is indexed again as records of consecutive turns (``BLOCK_WORDS`` words or so), one
  record per block, with the session's filters (the block's speakers, event, year) and sort key.  A
  record's meta holds its turns (anchor, time, speaker, and the text's common words, ``skeleton``;
  ``unindexed``), its content the other words: the search page puts them together and shows the turns
  that hold the query, from a fragment of a few kB;
- the archive's *common words*, those said ``COMMON_FROM`` times or more in its transcripts in one
  language, are left out of the records' indexed text, and the search page leaves them out of the query
  (``common-words.json`` beside the index).  A remembered quote is then searched as a phrase of its other
  words, and the chunks of the common words are never fetched.

The words are cut the same way here (``words``/``core``) and in docs/assets/rapporteur.js
(``searchWords``): at white space, each word's letters and digits compared lower-cased.
"""

from __future__ import annotations

import base64
import codecs
import collections
import functools
import gzip
import hashlib
import html
import itertools
import json
import re
import shutil
import subprocess
import tempfile
import threading
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..core.fsutil import write_text_atomic
from ..core.pagefind import pagefind_binary, pagefind_version
from ..errors import RapporteurError
from .language import mark_page_languages
from .markup import filter_value

BUNDLE = "pagefind"
"""site/pagefind/: Pagefind's index and UI."""
FILTER_TOTALS_FILE = "filter-totals.json"
"""In the bundle (and the recent index): language → filter → value → pages and records with it.  The search page
shows these as the filters' counts and loads Pagefind's own filter index only once a filter is chosen: Pagefind
counts a search's results per filter value by a linear scan (results × filter entries, twice), 5 s for a word
said in 6,000 of 27,000 records at 3,000 sessions, 0.45 s without the filters loaded."""
COMMON_WORDS_FILE = "common-words.json"
"""In the bundle: language → the words left out of the transcript records and of queries."""
BLOCK_WORDS = 3000
"""About this many words of consecutive turns make one search record (a turn is never split).  Pagefind's search of a
word typed alone scans, for each record that holds it, every record entry of that word: the cost grows with the
square of the records that say it.  At 3,000 sessions, 3,000 words to a record (15,000 records) against 1,500
(27,000): a quote with one frequent word left, 2.9 -> 1.9 s; the index made in 467 s against 504 s; a result's
fragment ~11 kB against ~6 kB (median; queries fetched a median of 126 against 115 kB)."""
COMMON_FROM = 60_000
"""A word said this many times in the archive's transcripts (in one language) is a common word.
Pagefind puts ~20,000 word positions in one index chunk (~30 kB); a word said more often has a chunk of
its own, ~1.3 bytes per time said (60,000 times: ~80 kB), fetched by every query with that word.  Lower
keeps queries smaller but leaves more remembered quotes with too few other words to be a phrase: of 200
six-word quotes of the generated archive (benchmarks/make_archive.py), projected to 3,000 sessions from the
counts at 1,000, 83 % keep two words or more at 20,000, 89 % at 40,000, 95 % at 80,000."""
FREQUENT_WORDS_FILE = "frequent-words.json"
"""In the bundle: language → word → how often said, for the words said ``FREQUENT_FROM`` times or more that
are not common: the search page searches a remembered quote as the phrase of at most ``PHRASE_MOST`` of its
other words (docs/assets/rapporteur.js), the run of them said least often."""
FREQUENT_FROM = 10_000
"""A word said this often costs its own index chunk of ~13 kB or more (~1.3 bytes per time said), and a phrase
search seconds when all its words are this frequent (each is in thousands of records): Pagefind's search, for
each record that has all the words, scans every record entry of every word (results × entries), so a record
also indexes each pair of frequent words said in a row as one word (``pair_word``), and the search page
searches a quote of frequent words as the phrase of its pairs, which few records hold."""
PAIR_JOIN = "qzq"
"""Before and between the two words of a ``pair_word`` (letters: Pagefind keeps the pair one word).  Before too: Pagefind
searches a word typed alone as every indexed word that begins with it, so a pair that began with its first word
("lolaqzqtola") would be searched, entry by entry, with every search of that frequent word."""
RECENT_DIR = "recent"
"""In the bundle: the recent index, of the pages changed since the archive index was built."""
SUPERSEDED_FILE = "superseded.json"
"""In the recent index: the archive index's results (fragment ids) of pages changed or removed since."""
STATE_FILE = ".state.json"
"""In the bundle: what the archive index was built from (every page's fingerprint, the settings, the
common words, the fragment ids of each page) and what the recent index holds."""
RECENT_MOST = 150
"""Index at most this many changed pages into the recent index; more, and the whole site is indexed
again (a session edited changes its page and its people's pages; a year of new sessions is a new archive)."""
EXCLUDE_SELECTORS = (".headerlink", ".turn", ".rp-summary")
"""Not indexed with the page: Material's ¶ permalinks, the transcript turns (indexed as records), and the
summary's admonitions (templates/summary.md: they repeat the turns' words; search lands on the turns)."""

_TURN = re.compile(
    r'<div class="turn\b[^"]*"[^>]*?\sdata-speaker="(?P<speaker>[^"]*)"[^>]*>\s*'
    r'<h4 class="turn-head" id="(?P<anchor>[^"]+)"[^>]*>(?P<head>.*?)</h4>(?P<body>.*?)</div>', re.S)
_TIME = re.compile(r'<a class="turn-time"[^>]*>([^<]*)</a>')
_NAME = re.compile(r'<(?:a|span) class="turn-speaker"[^>]*>(.*?)</(?:a|span)>', re.S)
_NOTE = re.compile(r'<p class="turn-note".*?</p>', re.S)
_TAG = re.compile(r"<[^>]+>")
_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.S)
_HEADERLINK = re.compile(r'<a class="headerlink".*?</a>', re.S)
_FILTER = re.compile(r'<span data-pagefind-(filter|meta|sort)="(event|year|context|date)">(.*?)</span>', re.S)
_BODY = re.compile(r'<div data-pagefind-body lang="([a-zA-Z0-9-]{2,12})"')
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


@functools.lru_cache(maxsize=1 << 18)
def core(word: str) -> str:
    """A word as compared with the common words: lower-cased, without the punctuation around it (cached:
    an archive says its words millions of times over)."""
    return _EDGES.sub("", word).lower()


def words(text: str) -> list[str]:
    return text.split()


def _text(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())


@dataclass(frozen=True)
class Moment:
    """One transcript turn as the search page shows it."""
    anchor: str
    time: str
    speaker: str
    text: str


@dataclass(frozen=True)
class TranscriptPage:
    """A built session page's transcript and what its search records share."""
    url: str
    language: str
    title: str
    filters: dict[str, list[str]] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    sort: dict[str, str] = field(default_factory=dict)
    moments: tuple[Moment, ...] = ()


_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_FRONT_TITLE = re.compile(r'^title: (".*")$', re.M)
_FRONT_LANGUAGE = re.compile(r"^language: ([a-zA-Z0-9-]{2,12})$", re.M)


def read_transcript(page: str, url: str) -> TranscriptPage | None:
    """The transcript of a session page (its turns in ``turn.html``'s markup), or None without one.

    ``page`` is the page's Markdown as ``render_session`` writes it (title and language in its front matter:
    ``pages.front_matter``) or the page as built (its ``<h1>``, its ``data-pagefind-body lang``): the turns are
    raw HTML, which the site engine copies into the built page as it is, so both read the same."""
    moments = []
    for m in _TURN.finditer(page):
        time, name = _TIME.search(m.group("head")), _NAME.search(m.group("head"))
        text = _text(_NOTE.sub(" ", m.group("body")))
        if text:
            moments.append(Moment(m.group("anchor"), _text(time.group(1)) if time else "",
                                  _text(name.group(1)) if name else html.unescape(m.group("speaker")), text))
    if not moments:
        return None
    front = _FRONT.match(page)
    if front:
        title, language = _FRONT_TITLE.search(front.group(1)), _FRONT_LANGUAGE.search(front.group(1))
        title_text = " ".join(html.unescape(json.loads(title.group(1))).split()) if title else url
        lang = language.group(1) if language else "en"
    else:
        body, h1 = _BODY.search(page), _H1.search(page)
        title_text = _text(_HEADERLINK.sub("", h1.group(1))) if h1 else url
        lang = body.group(1) if body else "en"
    filters: dict[str, list[str]] = {}
    meta: dict[str, str] = {"title": title_text}  # text; escaped in records
    sort: dict[str, str] = {}
    for kind, name, value in _FILTER.findall(page):
        value = _text(value)
        if kind == "filter":
            filters.setdefault(name, []).append(value)
        elif kind == "meta":
            meta[name] = value
        else:
            sort[name] = value
    return TranscriptPage(url, lang, title_text, filters, meta, sort, tuple(moments))


def count_words(pages: Iterable[TranscriptPage]) -> dict[str, Counter]:
    """Language → how often each word (``core``) is said in these transcripts."""
    said: dict[str, Counter] = {}  # the words as said first (counted in C), then each distinct one's core
    for page in pages:
        c = said.setdefault(page.language, Counter())
        for moment in page.moments:
            c.update(words(moment.text))
    counts: dict[str, Counter] = {}
    for lang, c in said.items():
        cores = counts[lang] = Counter()
        for word, n in c.items():
            cores[core(word)] += n
    return counts


def common_words(counts: dict[str, Counter], threshold: int = COMMON_FROM) -> dict[str, list[str]]:
    """Language → its common words (said ``threshold`` times or more), sorted; languages without any left out."""
    common = {lang: sorted(w for w, n in c.items() if n >= threshold and w) for lang, c in counts.items()}
    return {lang: ws for lang, ws in common.items() if ws}


def frequent_words(counts: dict[str, Counter], low: int = FREQUENT_FROM, high: int = COMMON_FROM) -> dict[str, dict[str, int]]:
    """Language → word → count, for the words said from ``low`` times up to (not including) ``high``: not common,
    yet frequent enough that a phrase is cheaper without them (see ``FREQUENT_WORDS_FILE``)."""
    out = {lang: {w: n for w, n in sorted(c.items()) if low <= n < high and w} for lang, c in counts.items()}
    return {lang: ws for lang, ws in out.items() if ws}


class _Memo(dict):
    """``fn`` of each word asked, computed once: ``memo(fn)`` is mapped over an archive's words (millions of times,
    a few hundred thousand words) as a dict lookup, without a Python call per word."""

    def __init__(self, fn: Callable[[str], object]) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, word: str) -> object:
        value = self[word] = self.fn(word)
        return value


def _memo(fn: Callable[[str], object]) -> Callable[[str], object]:
    return _Memo(fn).__getitem__


@functools.lru_cache(maxsize=16)
def _kept(common: frozenset[str]) -> Callable[[str], bool]:
    """Whether a word as said is not one of ``common`` (``_memo``: mapped over a text's words)."""
    return _memo(lambda w: core(w) not in common)


def pair_word(a: str, b: str) -> str:
    """Two frequent words said in a row, as one indexed word (docs/assets/rapporteur.js writes it the same way)."""
    return f"{PAIR_JOIN}{a}{PAIR_JOIN}{b}"


_PAIRABLE = re.compile(r"^[^\W_]+$")
"""Letters and digits only (docs/assets/rapporteur.js: ``PAIRABLE``)."""


@functools.lru_cache(maxsize=16)
def _pairable(frequent: frozenset[str]) -> Callable[[str], str]:
    """A word as said → its ``core`` when that is one of ``frequent`` and letters and digits only, else "" (``_memo``)."""
    def pairable(w: str) -> str:
        c = core(w)
        return c if c in frequent and _PAIRABLE.match(c) else ""

    return _memo(pairable)


def _pairs(said: list[str], frequent: frozenset[str]) -> list[str]:
    marks = list(map(_pairable(frequent), said))
    return [pair_word(a, b) for a, b in zip(marks, marks[1:]) if a and b]


def frequent_pairs(text: str, frequent: frozenset[str]) -> list[str]:
    """The ``pair_word`` of each two words in a row of ``text`` that are both ``frequent`` (as ``core``, and
    letters and digits only), in order."""
    return _pairs(words(text), frequent)


@functools.lru_cache(maxsize=16)
def _in_skeleton(common: frozenset[str]) -> Callable[[str], str]:
    """A word as ``skeleton`` writes it (``_memo``)."""
    kept = _kept(common)
    return _memo(lambda w: KEPT if kept(w) else w)


def kept_words(said: Iterable[str], common: frozenset[str]) -> list[str]:
    """The words of ``said`` (words as said, in order) that are not ``common``."""
    return list(filter(_kept(common), said))


def without_common(text: str, common: frozenset[str]) -> str:
    """``text`` without its common words (what a record indexes, and what a query searches)."""
    return " ".join(kept_words(words(text), common))


_BRAILLE = "".join(chr(0x2800 + b) for b in range(256))
"""Byte b → U+2800 + b (a decoding table for ``codecs.charmap_decode``)."""


def unindexed(text: str) -> str:
    """``text`` as Pagefind stores but does not index it: its UTF-8 bytes as the 256 Braille patterns
    (U+2800 + byte), which are no word characters.  Pagefind indexes every meta value's words, so a
    record's turns in plain text would put every word of the archive into the index a second time
    (the chunk of "to" was fetched by every query with a word that begins "to").  rapporteur.js decodes it."""
    return codecs.charmap_decode(text.encode("utf-8"), "strict", _BRAILLE)[0]


KEPT = "\u0001"
"""In a record's turns (its meta): a word that is in the record's content (indexed, and kept in the fragment
as the content), not written a second time; rapporteur.js (``momentsOf``) puts the content's words back."""


def skeleton(said: Iterable[str], common: frozenset[str]) -> str:
    """A turn's words ``said`` with each word ``kept_words`` keeps written as ``KEPT``: the words between are the common
    words (a few kB of a 3,000-word record that compress well); the record's content holds the rest."""
    return " ".join(map(_in_skeleton(common), said))


def with_content(skeletons: Iterable[str], content: str) -> list[str]:
    """The turns' text from their ``skeleton`` and the record's content (what the search page does)."""
    kept = iter(words(content))
    return [" ".join(next(kept, "") if w == KEPT else w for w in words(s)) for s in skeletons]


def blocks(moments: tuple[Moment, ...], size: int = BLOCK_WORDS) -> Iterator[tuple[Moment, ...]]:
    """Consecutive turns of about ``size`` words (a longer turn is a block of its own)."""
    block: list[Moment] = []
    n = 0
    for moment in moments:
        block.append(moment)
        n += len(words(moment.text))
        if n >= size:
            yield tuple(block)
            block, n = [], 0
    if block:
        yield tuple(block)


@dataclass(frozen=True)
class Record:
    """A Pagefind custom record: the arguments of ``PagefindIndex.add_custom_record``."""
    url: str
    content: str
    language: str
    meta: dict[str, str]
    filters: dict[str, list[str]]
    sort: dict[str, str]


def records(page: TranscriptPage, common: frozenset[str] = frozenset(), size: int = BLOCK_WORDS,
            frequent: frozenset[str] = frozenset()) -> list[Record]:
    """The search records of one transcript: a record per block of turns (see the module's docstring).  A record's
    content is its turns' words but the ``common`` ones, then the ``frequent_pairs`` of those (the search page
    puts the turns back from the words before them: ``with_content``)."""
    out = []
    for block in blocks(page.moments, size):
        said = [words(m.text) for m in block]  # each turn's words, split once for its content, pairs and skeleton
        indexed = kept_words(itertools.chain.from_iterable(said), common)
        if not indexed:
            continue
        content = " ".join(indexed)
        pairs = _pairs(indexed, frequent) if frequent else []
        if pairs:
            content += " " + " ".join(pairs)
        filters = {k: v for k, v in page.filters.items() if k != "speaker"}
        filters["speaker"] = list(dict.fromkeys(filter_value(m.speaker) for m in block))
        # Pagefind's UI shows a record's title and meta as HTML (as Pagefind keeps them from a page); the turns'
        # text is escaped by the search page
        meta = {k: html.escape(v, quote=False) for k, v in page.meta.items()}
        meta["moments"] = unindexed(json.dumps([[m.anchor, m.time, m.speaker, skeleton(ws, common)]
                                                for m, ws in zip(block, said)],
                                               ensure_ascii=False))
        out.append(Record(f"{page.url}#{block[0].anchor}", content, page.language, meta, filters, dict(page.sort)))
    return out


def archive_records(pages: Iterable[TranscriptPage], common: dict[str, list[str]], size: int = BLOCK_WORDS,
                    frequent: dict[str, dict[str, int]] | None = None) -> list[Record]:
    """The search records of these transcripts, each without its language's ``common`` words, with the pairs of its
    ``frequent`` words (``records``)."""
    sets = {lang: frozenset(ws) for lang, ws in common.items()}
    often = {lang: frozenset(ws) for lang, ws in (frequent or {}).items()}
    return [r for p in pages for r in records(p, sets.get(p.language, frozenset()), size,
                                               often.get(p.language, frozenset()))]


def _page_url(site_dir: Path, path: Path) -> str:
    rel = path.relative_to(site_dir).as_posix()
    return "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def _markdown_file(docs_dir: Path, url: str) -> Path:
    """The Markdown a session page's URL (``/sessions/<id>/``) is built from."""
    return docs_dir / url.strip("/") / "index.md"


def transcripts(docs_dir: Path) -> list[TranscriptPage]:
    """Every session page's transcript, read from its Markdown under ``docs_dir/sessions/``: what the site's
    pages are built from, so the records can be made while the site engine builds them."""
    found = []
    for path in sorted((docs_dir / "sessions").glob("*/index.md")):
        url = f"/sessions/{path.parent.name}/"
        page = read_transcript(path.read_text(encoding="utf-8"), url)
        if page is not None:
            found.append(page)
    return found


WINDOW = 64
"""Messages sent to the Pagefind service before its answer to the oldest is awaited."""


class _Service:
    """``pagefind --service``: base64 JSON messages, each ended by a comma, on its stdin and stdout (the
    protocol of Pagefind's own Python API, whose client reads one answer per 0.1 s: 2,700 records took
    4.5 minutes).  Requests are written as fast as the service takes them; a thread reads the answers."""

    def __init__(self) -> None:
        binary = pagefind_binary()
        self._log = tempfile.TemporaryFile()
        self._proc = subprocess.Popen([str(binary), "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=self._log)
        self._answers: dict[int, dict] = {}
        self._done = threading.Condition()
        self._next = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        out = self._proc.stdout
        assert out is not None
        buf = b""
        while chunk := out.read1(1 << 16):
            buf += chunk
            *messages, buf = buf.split(b",")
            for message in messages:
                answer = json.loads(base64.b64decode(message))
                with self._done:
                    self._answers[answer.get("message_id") or 0] = answer["payload"]
                    self._done.notify_all()
        with self._done:
            self._answers[-1] = {"type": "Error", "message": "the Pagefind service stopped"}
            self._done.notify_all()

    def send(self, payload: dict) -> int:
        self._next += 1
        assert self._proc.stdin is not None
        self._proc.stdin.write(base64.b64encode(json.dumps({"message_id": self._next, "payload": payload}, ensure_ascii=False).encode())
                               + b",")
        return self._next

    def send_all(self, payloads: Iterable[dict], window: int = WINDOW) -> None:
        """Send every payload, with at most ``window`` unanswered (the service reads its input as fast as
        it comes and keeps what it has not processed yet: tens of thousands of records need not wait there)."""
        pending: collections.deque[int] = collections.deque()
        for payload in payloads:
            pending.append(self.send(payload))
            if len(pending) >= window:
                self.wait([pending.popleft()])
        self.wait(pending)

    def flush(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.flush()

    def wait(self, ids: Iterable[int]) -> list[dict]:
        self.flush()
        answers = []
        for i in ids:
            with self._done:
                self._done.wait_for(lambda: i in self._answers or -1 in self._answers)
                answer = self._answers.pop(i, None) or self._answers[-1]
            if answer.get("type") == "Error":
                self._log.seek(0)
                said = self._log.read().decode("utf-8", "replace").strip().splitlines()[-1:]
                raise RapporteurError("pagefind failed: " + " ".join([answer.get("message", ""), *said])[:300])
            answers.append(answer)
        return answers

    def close(self) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
        self._log.close()


class Indexing:
    """A Pagefind index being made: its records first, sent on a thread as ``make_records`` makes them (the
    service indexes them on its own core meanwhile), then ``finish`` adds the built site's pages and writes
    the bundle.  The archive's records come from docs/ (``transcripts``), so ``build_site`` starts this
    before the site engine runs and both cores work while the pages are built."""

    def __init__(self, make_records: Callable[[], Iterable[Record]], made: dict | None = None) -> None:
        self.made = {} if made is None else made  # what make_records tells of the records it made
        self._error: BaseException | None = None
        self._service = _Service()
        try:
            [made] = self._service.wait([self._service.send(
                {"type": "NewIndex", "config": {"exclude_selectors": list(EXCLUDE_SELECTORS)}})])
        except BaseException:
            self._service.close()
            raise
        self._index = made["index_id"]
        self._thread = threading.Thread(target=self._send_records, args=(make_records,), daemon=True)
        self._thread.start()

    def _send_records(self, make_records: Callable[[], Iterable[Record]]) -> None:
        try:
            self._service.send_all({"type": "AddRecord", "index_id": self._index, "url": r.url, "content": r.content,
                                    "language": r.language, "meta": r.meta, "filters": r.filters, "sort": r.sort}
                                   for r in make_records())
        except BaseException as exc:  # raised again by finish
            self._error = exc

    def finish(self, out: Path, *, site_dir: Path | None = None, files: Iterable[tuple[str, str]] = ()) -> None:
        """Add the pages of the built site ``site_dir`` (all of them) and ``files`` ((url, HTML) pairs), write the
        bundle into ``out``; the service is stopped, whatever happens."""
        try:
            self._thread.join()
            if self._error is not None:
                raise self._error
            if site_dir is not None:
                self._service.wait([self._service.send({"type": "AddDir", "index_id": self._index, "path": str(site_dir)})])
            self._service.send_all({"type": "AddFile", "index_id": self._index, "url": url, "file_contents": text}
                                   for url, text in files)
            self._service.wait([self._service.send({"type": "WriteFiles", "index_id": self._index, "output_path": str(out)})])
        finally:
            self.close()

    def close(self) -> None:
        """Stop the service; what it was not told to write is not written."""
        self._service.close()
        self._thread.join()


def indexed_pages(site_dir: Path) -> dict[str, str]:
    """URL → fingerprint of every built page Pagefind indexes (those with ``data-pagefind-body``)."""
    found = {}
    for path in sorted(site_dir.rglob("*.html")):
        rel = path.relative_to(site_dir).parts
        if rel[0] == BUNDLE:
            continue
        data = path.read_bytes()
        if _BODY_MARK in data:
            found[_page_url(site_dir, path)] = hashlib.sha256(data).hexdigest()[:20]
    return found


_BODY_MARK = b"data-pagefind-body"


def fragment_ids(bundle: Path) -> dict[str, list[str]]:
    """Page URL (without its #anchor) → the ids of the bundle's fragments of it (a page, its records):
    what Pagefind's search results are identified by."""
    ids: dict[str, list[str]] = {}
    for path in sorted((bundle / "fragment").glob("*.pf_fragment")):
        head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(path.read_bytes(), 4096)
        found = _FRAGMENT_URL.match(head)
        if found:
            url = json.loads(b'"' + found.group(1) + b'"').split("#")[0]
            ids.setdefault(url, []).append(path.name[: -len(".pf_fragment")])
    return ids


def fragment_filters(bundle: Path, fragment: str) -> dict[str, list[str]]:
    """The filters of one of the bundle's fragments (what the search page takes off a search's filter counts
    when it leaves the fragment's result out)."""
    data = gzip.decompress((bundle / "fragment" / f"{fragment}.pf_fragment").read_bytes())
    return json.loads(data[len(b"pagefind_dcd"):]).get("filters", {})


def _cbor(data: bytes, at: int = 0) -> tuple[object, int]:
    """One CBOR item of ``data`` from ``at`` (the kinds Pagefind's filter files hold: numbers, strings,
    arrays, maps) and where it ends."""
    head = data[at]
    kind, info, at = head >> 5, head & 0x1F, at + 1
    if info < 24:
        n = info
    elif 24 <= info <= 27:
        size = 1 << (info - 24)
        n, at = int.from_bytes(data[at:at + size], "big"), at + size
    else:
        raise ValueError(f"unexpected CBOR item {head:#x}")
    if kind == 0:
        return n, at
    if kind in (2, 3):
        raw = data[at:at + n]
        return (raw.decode("utf-8") if kind == 3 else raw), at + n
    if kind in (4, 5):
        items = []
        for _ in range(n * (2 if kind == 5 else 1)):
            item, at = _cbor(data, at)
            items.append(item)
        return (items if kind == 4 else dict(zip(items[::2], items[1::2]))), at
    raise ValueError(f"unexpected CBOR item {head:#x}")


def filter_totals(bundle: Path) -> dict[str, dict[str, dict[str, int]]]:
    """Language → filter → value → how many of the bundle's pages and records have it: what Pagefind's
    ``filters()`` answers, read from its filter files (``FILTER_TOTALS_FILE``)."""
    totals: dict[str, dict[str, dict[str, int]]] = {}
    for path in sorted((bundle / "filter").glob("*.pf_filter")):
        data = gzip.decompress(path.read_bytes())
        (name, values), _ = _cbor(data, len(b"pagefind_dcd"))
        lang = path.stem.rsplit("_", 1)[0]  # {language}_{hash}.pf_filter
        totals.setdefault(lang, {})[name] = {value: len(pages) for value, pages in values}
    return totals


_FRAGMENT_URL = re.compile(rb'pagefind_dcd\{"url":"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class IndexPlan:
    """What to index on this build: nothing, a recent index of the pages changed since the archive index
    (``changed``: new or edited, ``removed``: gone), or the whole site again."""
    kind: str  # "none", "recent", "whole"
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


def plan_index(state: dict | None, pages: dict[str, str], settings: dict, most: int = RECENT_MOST) -> IndexPlan:
    """The index update that makes the search index that of ``pages`` (URL → fingerprint), given the
    ``state`` the last build left (``STATE_FILE``'s contents, None without one) and this build's ``settings``."""
    if _made_otherwise(state, settings):
        return IndexPlan("whole")
    archive: dict[str, str] = state["archive"]
    changed = tuple(sorted(u for u, d in pages.items() if archive.get(u) != d))
    removed = tuple(sorted(set(archive) - set(pages)))
    if len(changed) + len(removed) > most:
        return IndexPlan("whole")
    if state.get("recent", {}) == {u: pages[u] for u in changed} and state.get("removed", []) == list(removed):
        return IndexPlan("none", changed, removed)
    return IndexPlan("recent", changed, removed)


def _made_otherwise(state: dict | None, settings: dict) -> bool:
    """No archive index (``state`` None), or one made with other settings or code: the whole site is indexed."""
    return not state or state.get("settings") != settings


def _settings(common_from: int, block_words: int, frequent_from: int = FREQUENT_FROM) -> dict:
    return {"version": 1, "common_from": common_from, "block_words": block_words, "frequent_from": frequent_from,
            "pagefind": pagefind_version(), "code": hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]}


def _read_state(site_dir: Path) -> dict | None:
    try:
        state = json.loads((site_dir / BUNDLE / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (site_dir / BUNDLE / "pagefind-entry.json").is_file() or not isinstance(state, dict):
        return None
    return state


def _write_json(path: Path, data: object) -> None:
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, sort_keys=True))


def archive_indexing(docs_dir: Path, *, common_from: int = COMMON_FROM, block_words: int = BLOCK_WORDS,
                     frequent_from: int = FREQUENT_FROM) -> Indexing:
    """Start the archive index: the records of every transcript under ``docs_dir`` (see ``Indexing``)."""
    made: dict = {}

    def make_records() -> list[Record]:
        found = made["found"] = transcripts(docs_dir)
        counts = count_words(found)
        made["common"] = common_words(counts, common_from)
        made["frequent"] = frequent_words(counts, min(frequent_from, common_from), common_from)
        made["records"] = archive_records(found, made["common"], block_words, made["frequent"])
        return made["records"]

    return Indexing(make_records, made)


def index_is_whole(site_dir: Path, *, common_from: int = COMMON_FROM, block_words: int = BLOCK_WORDS) -> bool:
    """Whether ``build_search_index`` will index the whole site whatever the pages are: no index there yet, or one
    made with other settings (or by other code)."""
    return _made_otherwise(_read_state(Path(site_dir)), _settings(common_from, block_words))


def build_search_index(site_dir: Path, *, common_from: int = COMMON_FROM, block_words: int = BLOCK_WORDS,
                       frequent_from: int = FREQUENT_FROM,
                       incremental: bool = True, docs_dir: Path | None = None, started: Indexing | None = None,
                       log: Callable[[str], None] = print) -> dict[str, list[str]]:
    """Index a built site into ``site_dir/pagefind/`` (index, UI, ``common-words.json``); returns the common words.

    The archive index is the whole site's: its pages as built, and its transcripts as records, read from the
    Markdown in ``docs_dir`` (docs/ beside site/ by default).  ``started``: that index, started before the site
    was built (``archive_indexing``, with the same settings; only when the whole site is indexed: ``index_is_whole``).
    When the archive index exists and at most ``RECENT_MOST`` pages changed since (``incremental``), only those
    are indexed, into the recent index ``pagefind/recent/``: the search page (docs/assets/search/pagefind.js)
    merges it and leaves out the archive's results of those pages (``recent/superseded.json``).  With no page
    changed since the last build, nothing is indexed.  Session pages held in another language first get it as
    their ``<html lang>``: Pagefind files each page's words under that language's index."""
    site_dir = Path(site_dir)
    docs_dir = site_dir.parent / "docs" if docs_dir is None else Path(docs_dir)
    try:
        mark_page_languages(site_dir)
        pages = indexed_pages(site_dir)
        settings = _settings(common_from, block_words, frequent_from)
        state = _read_state(site_dir) if incremental else None
        plan = plan_index(state, pages, settings)
    except BaseException:
        if started is not None:
            started.close()
        raise
    if plan.kind != "whole" and started is not None:  # not foreseen by the caller: the started index is not needed
        started.close()
        started = None
    if plan.kind == "none":
        log(f"search index up to date ({len(plan.changed) + len(plan.removed)} pages in the recent index)")
        return state["common"]
    if plan.kind == "recent":
        return _index_recent(site_dir, docs_dir, state, pages, plan, log=log)
    shutil.rmtree(site_dir / BUNDLE, ignore_errors=True)  # Pagefind adds to what it finds there
    indexing = started or archive_indexing(docs_dir, common_from=common_from, block_words=block_words,
                                           frequent_from=frequent_from)
    indexing.finish(site_dir / BUNDLE, site_dir=site_dir)
    made = indexing.made
    found, common, all_records = made["found"], made["common"], made["records"]
    if not (site_dir / BUNDLE / "pagefind-ui.js").is_file():
        raise RapporteurError("pagefind wrote no index", path=site_dir, hint="check that `pagefind[extended]` is installed")
    _write_json(site_dir / BUNDLE / COMMON_WORDS_FILE, common)
    _write_json(site_dir / BUNDLE / FREQUENT_WORDS_FILE, made["frequent"])
    _write_json(site_dir / BUNDLE / FILTER_TOTALS_FILE, filter_totals(site_dir / BUNDLE))
    # no recent index yet: said so, so that the search page's fetch of it finds a file (no 404 in its console)
    _write_json(site_dir / BUNDLE / RECENT_DIR / SUPERSEDED_FILE, {"index": False, "superseded": {}, "shared": {}})
    _write_json(site_dir / BUNDLE / STATE_FILE, {"settings": settings, "archive": pages, "common": common,
                                                "frequent": made["frequent"],
                                                "fragments": fragment_ids(site_dir / BUNDLE), "recent": {}, "removed": []})
    log(f"search index built into {site_dir}/{BUNDLE}/ ({len(found)} transcripts as {len(all_records)} records)")
    return common


def _index_recent(site_dir: Path, docs_dir: Path, state: dict, pages: dict[str, str], plan: IndexPlan, *,
                  log: Callable[[str], None]) -> dict[str, list[str]]:
    """Index the pages changed since the archive index into ``pagefind/recent/`` (see ``build_search_index``)."""
    recent = site_dir / BUNDLE / RECENT_DIR
    shutil.rmtree(recent, ignore_errors=True)
    common: dict[str, list[str]] = state["common"]
    files, changed = [], []
    for url in plan.changed:
        text = _page_file(site_dir, url).read_text(encoding="utf-8")
        files.append((url, text))
        source = _markdown_file(docs_dir, url) if url.startswith("/sessions/") else None
        page = read_transcript(source.read_text(encoding="utf-8"), url) if source and source.is_file() else None
        if page is not None:
            changed.append(page)
    all_records = archive_records(changed, common, state["settings"]["block_words"], state.get("frequent", {}))
    if files:
        Indexing(lambda: all_records).finish(recent, files=files)
        _write_json(recent / FILTER_TOTALS_FILE, filter_totals(recent))
    # a changed page's fragment can be the same as before (a session's page without its turns): both
    # indexes then hold it under one id, and the search page shows it once ("shared")
    now = {i for ids in fragment_ids(recent).values() for i in ids} if files else set()
    before = {i for url in (*plan.changed, *plan.removed) for i in state["fragments"].get(url, [])}
    _write_json(recent / SUPERSEDED_FILE, {
        "index": bool(files),
        "superseded": {i: fragment_filters(site_dir / BUNDLE, i) for i in sorted(before - now)},
        "shared": {i: fragment_filters(site_dir / BUNDLE, i) for i in sorted(before & now)}})
    _write_json(site_dir / BUNDLE / STATE_FILE, {**state, "recent": {u: pages[u] for u in plan.changed},
                                                "removed": list(plan.removed)})
    log(f"search index: {len(plan.changed)} changed and {len(plan.removed)} removed pages indexed into "
        f"{site_dir}/{BUNDLE}/{RECENT_DIR}/ ({len(all_records)} records), the archive index kept")
    return common


def _page_file(site_dir: Path, url: str) -> Path:
    rel = url.lstrip("/")
    return site_dir / (rel + "index.html" if not rel or rel.endswith("/") else rel)
