"""The search index of transcripts (site/search.py): records of turns, common words left out.

Pure parts on hand-made markup; the built demo site (a threshold so low that the demo has common words)
in headless Chromium: a remembered phrase with common words in it still lands on its turn, shows the
words as said, and fetches no index chunk for its common words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import benchmark_module, build_test_site, serve_site
from rapporteur.core import pagefind
from rapporteur.site import search

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "recordings" / "demo-ai-governance-roundtable"
CHROMIUM = Path("/usr/bin/chromium")

TURN = ('<div class="turn speaker-0" data-phrase="x" data-speaker="{label}">\n'
        '<h4 class="turn-head" id="{anchor}" data-start="1.000" data-end="2.000"><a class="turn-time" href="#{anchor}">'
        '{time}</a> <a class="turn-speaker" href="../../speakers/x/">{name}</a> <button type="button" class="turn-copy">'
        '</button></h4>\n<p>{text}</p>\n</div>\n')


def page(*turns) -> str:
    body = "".join(TURN.format(label=f"S{i}", anchor=f"t{i}000", time=f"00:00:0{i}", name=n, text=t)
                   for i, (n, t) in enumerate(turns))
    return ('<html lang="en"><body><div data-pagefind-body lang="fr"><h1 id="x">Title &amp; more<a class="headerlink" '
            'href="#x">&para;</a></h1><span data-pagefind-filter="event">IGF 2024</span>'
            '<span data-pagefind-filter="year">2024</span><span data-pagefind-sort="date">2024-12-16</span>'
            f'<span data-pagefind-meta="context">IGF 2024 · 2024-12-16</span>{body}</div></body></html>')


def test_a_built_page_is_read_back_turn_by_turn():
    got = search.read_transcript(page(("Ana Díaz", "Hello &lt;b&gt; world."), ("Li <Wei>", "The second turn.")), "/sessions/s/")
    assert got is not None and got.language == "fr" and got.title == "Title & more"
    assert [(m.anchor, m.time, m.speaker, m.text) for m in got.moments] == [
        ("t0000", "00:00:00", "Ana Díaz", "Hello <b> world."), ("t1000", "00:00:01", "Li", "The second turn.")]
    assert got.filters == {"event": ["IGF 2024"], "year": ["2024"]} and got.sort == {"date": "2024-12-16"}
    assert search.read_transcript("<html><body><p>no turns</p></body></html>", "/x/") is None


def test_common_words_are_the_ones_said_most_and_left_out_of_what_is_indexed():
    text = "The cat and the dog. The end, and the rest."
    t = search.TranscriptPage("/s/", "en", "T", moments=(search.Moment("t1", "00:00:01", "A", text),))
    common = search.common_words(search.count_words([t]), threshold=2)
    assert common == {"en": ["and", "the"]}  # "The", "the" and "the," are one word
    assert search.without_common(text, frozenset(common["en"])) == "cat dog. end, rest."
    assert search.common_words(search.count_words([t]), threshold=5) == {}
    assert search.frequent_words(search.count_words([t]), low=2, high=4) == {"en": {"and": 2}}  # "the": 4, common


def test_a_record_indexes_each_two_frequent_words_said_in_a_row_as_one_word():
    """Pagefind's search scans every record entry of every searched word for each record that has them all: a
    phrase of frequent words alone took seconds at 3,000 sessions.  A record also indexes each two frequent words
    said in a row (common words left out between them) as one word, after its turns' words; the turns read the same."""
    text = "Glimvar, the trozzle said: glimvar pelquin trozzle glimvar. Trozzle-x glimvar"
    t = search.TranscriptPage("/s/", "en", "T", moments=(search.Moment("t1", "00:00:01", "A", text),))
    frequent = frozenset({"glimvar", "trozzle", "trozzle-x"})
    [record] = search.records(t, frozenset({"the"}), frequent=frequent)
    kept = "Glimvar, trozzle said: glimvar pelquin trozzle glimvar. Trozzle-x glimvar"
    assert record.content == kept + " qzqglimvarqzqtrozzle qzqtrozzleqzqglimvar"  # (not across "said", "pelquin", "trozzle-x")
    assert search.frequent_pairs(kept, frequent) == ["qzqglimvarqzqtrozzle", "qzqtrozzleqzqglimvar"]
    moments = json.loads(bytes(ord(c) - 0x2800 for c in record.meta["moments"]).decode("utf-8"))
    assert search.with_content([m[3] for m in moments], record.content) == [text]  # the turn as said
    assert search.records(t, frozenset({"the"}))[0].content == kept  # no frequent words: no pairs
    by_language = search.archive_records([t], {"en": ["the"]}, frequent={"en": {"glimvar": 9, "trozzle": 9}})
    assert by_language[0].content.endswith(" qzqglimvarqzqtrozzle qzqtrozzleqzqglimvar")


def test_records_cover_every_turn_once_in_blocks_with_the_page_filters():
    turns = [(f"Speaker {i % 3}", " ".join(["word"] * 40) + f" turn{i}") for i in range(10)]
    got = search.read_transcript(page(*turns), "/sessions/s/")
    records = search.records(got, frozenset({"word"}), size=100)
    def turns(r):
        return json.loads(bytes(ord(c) - 0x2800 for c in r.meta["moments"]).decode("utf-8"))

    moments = [m for r in records for m in turns(r)]
    assert [m[0] for m in moments] == [f"t{i}000" for i in range(10)]  # each turn once, in order
    assert all(len(turns(r)) <= 3 for r in records) and len(records) == 4
    assert records[0].url == "/sessions/s/#t0000" and len({r.url for r in records}) == len(records)
    assert records[0].content == "turn0 turn1 turn2"  # the common word is not indexed, the turn's text is kept
    texts = [m[3] for m in turns(records[0])]
    assert search.with_content(texts, records[0].content) == [m.text for m in got.moments[:3]]  # the turns as said
    assert search.KEPT + " " not in "".join(texts) and "turn0" not in "".join(texts)  # each word once in the fragment
    assert set(records[0].meta["moments"]) <= {chr(0x2800 + b) for b in range(256)}  # no word Pagefind would index
    assert records[0].filters == {"event": ["IGF 2024"], "year": ["2024"], "speaker": ["Speaker 0", "Speaker 1", "Speaker 2"]}
    assert records[0].meta["title"] == "Title &amp; more" and records[0].language == "fr"


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium")
def test_a_phrase_with_common_words_lands_on_its_turn_without_their_chunks(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not (DEMO / "turns.json").is_file():
        pytest.skip("the demo session has no turns.json")
    site = build_test_site(tmp_path, [DEMO], common_from=4)
    common = set(json.loads((site / "pagefind" / "common-words.json").read_text(encoding="utf-8"))["en"])
    phrase = "separate team in every country"  # David Mensah, the turn at 126.94 s
    words = phrase.split()
    assert common & set(words) and len(set(words) - common) >= 2, (common, words)
    kept = " ".join(w for w in words if w not in common)
    served = serve_site(site)
    base = next(served)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])

            def query(text: str) -> tuple[str, str, set[str]]:
                ctx = browser.new_context()
                page = ctx.new_page()
                chunks: set[str] = set()
                page.on("request", lambda r: "/pagefind/index/" in r.url and chunks.add(r.url.split("/")[-1]))
                page.goto(base + "search/", wait_until="networkidle")
                page.locator(".pagefind-ui__search-input").fill(text)
                page.locator(".pagefind-ui__result-nested a").first.wait_for(timeout=10_000)
                page.wait_for_load_state("networkidle")
                first = page.locator(".pagefind-ui__result-nested a").first.get_attribute("href")
                excerpt = page.locator(".pagefind-ui__result-nested .pagefind-ui__result-excerpt").first.inner_text()
                assert page.locator(".pagefind-ui__search-input").input_value() == text  # the box keeps what was typed
                ctx.close()
                return first, excerpt, chunks

            first, excerpt, chunks = query(phrase)
            assert first == "/sessions/demo-ai-governance-roundtable/#t126940"
            assert phrase in excerpt.lower()  # the turn as said, common words and all
            assert chunks == query(kept)[2]  # the common words' index chunks were not fetched
            browser.close()
    finally:
        served.close()


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium")
def test_a_quote_whose_other_words_many_turns_say_lands_on_the_turn_that_says_it_whole(tmp_path):
    """Six turns say "zorblat … quixmoor" with other common words between: the phrase searched (the
    words that are not common) is in all six; typed as said, each lands on its own turn first."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from rapporteur.site.views import session_view, turn_anchors

    make_archive = benchmark_module("make_archive")
    recordings = tmp_path / "recordings"
    make_archive.main([str(recordings), "--sessions", "6", "--minutes", "10"])
    between = ["of the", "and the", "to the", "in the", "of a", "and a"]
    expected = {}
    for folder, words in zip(sorted(recordings.iterdir()), between):
        turns_file = folder / "turns.json"
        data = json.loads(turns_file.read_text(encoding="utf-8"))
        data["turns"][5]["text"] = f"Zorblat {words} quixmoor, " + data["turns"][5]["text"]
        turns_file.write_text(json.dumps(data), encoding="utf-8")
        anchor = turn_anchors(session_view(folder).turns)[5]
        expected[f"zorblat {words} quixmoor"] = f"/sessions/{folder.name}/#{anchor}"
    # a quote of five words none of them common, two of them frequent (below): searched as the phrase of the
    # other three, still lands on its turn
    folder = sorted(recordings.iterdir())[0]
    data = json.loads((folder / "turns.json").read_text(encoding="utf-8"))
    data["turns"][8]["text"] += " Glimvar trozzle pelquin zarkeen muffrit."
    (folder / "turns.json").write_text(json.dumps(data), encoding="utf-8")
    five = ("glimvar trozzle pelquin zarkeen muffrit", f"/sessions/{folder.name}/#{turn_anchors(session_view(folder).turns)[8]}")
    other = sorted(recordings.iterdir())[1]  # says the last three only
    data = json.loads((other / "turns.json").read_text(encoding="utf-8"))
    data["turns"][8]["text"] += " Pelquin zarkeen muffrit."
    (other / "turns.json").write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / "site-root").mkdir()
    site = build_test_site(tmp_path / "site-root", sorted(recordings.iterdir()), common_from=100)
    common = set(json.loads((site / "pagefind" / "common-words.json").read_text(encoding="utf-8"))["en"])
    assert {w for ws in between for w in ws.split()} <= common, common  # so the phrase searched is "zorblat quixmoor"
    # two of the five words said often (as in a large archive): the phrase searched is the other three
    (site / "pagefind" / "frequent-words.json").write_text(json.dumps({"en": {"glimvar": 5000, "trozzle": 5000}}))
    served = serve_site(site)
    base = next(served)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])

            def typed(quote: str) -> tuple[str, str | None]:  # (the results message, the first moment's address)
                page = browser.new_context().new_page()
                page.goto(base + "search/", wait_until="networkidle")
                page.locator(".pagefind-ui__search-input").fill(quote)
                page.locator(".pagefind-ui__result-nested a").first.wait_for(timeout=10_000)
                page.wait_for_load_state("networkidle")
                found = (page.locator(".pagefind-ui__message").inner_text(),
                         page.locator(".pagefind-ui__result-nested a").first.get_attribute("href"))
                page.context.close()
                return found

            for quote, address in expected.items():
                message, first = typed(quote)
                assert message.startswith(f"{len(expected)} results"), message  # all six say the phrase searched
                assert first == address, quote
            message, first = typed(five[0])
            assert message.startswith("2 results"), message  # the phrase searched was the three words
            assert first == five[1]
            (site / "pagefind" / "frequent-words.json").write_text("{}")  # none frequent: all five are the phrase
            message, _ = typed(five[0])
            assert message.startswith("1 result"), message
            browser.close()
    finally:
        served.close()


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium")
def test_a_quote_of_frequent_words_is_searched_as_their_pairs_and_lands_on_its_turn(tmp_path):
    """Four words said often, apart, and once in a row: typed as said, the quote is searched as the phrase of the
    words the record indexes for its pairs (all four words), not as the phrase of the three said least often
    (which a second turn also says in a row), and lands on its turn, the only result.  The word "glimvar" typed alone
    finds its records by the word itself, not by their pairs (which Pagefind would scan too, as words it begins)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from rapporteur.site.views import session_view, turn_anchors

    make_archive = benchmark_module("make_archive")
    recordings = tmp_path / "recordings"
    make_archive.main([str(recordings), "--sessions", "4", "--minutes", "10"])
    folders = sorted(recordings.iterdir())
    for k, folder in enumerate(folders):  # each word said 24 times apart, "glimvar" 48 times
        data = json.loads((folder / "turns.json").read_text(encoding="utf-8"))
        for i in range(6):
            data["turns"][1 + i]["text"] += (f" Glimvar foo{k}{i} trozzle bar{k}{i} pelquin baz{k}{i} zarkeen,"
                                             f" glimvar qux{k}{i}.")
        said = {2: "So glimvar trozzle pelquin zarkeen, ", 1: "Then moomba trozzle pelquin zarkeen, "}.get(k)
        if said:
            data["turns"][0]["text"] = said + data["turns"][0]["text"]
        (folder / "turns.json").write_text(json.dumps(data), encoding="utf-8")
    address = f"/sessions/{folders[2].name}/#{turn_anchors(session_view(folders[2]).turns)[0]}"
    (tmp_path / "site-root").mkdir()
    site = build_test_site(tmp_path / "site-root", folders, common_from=100, frequent_from=20)
    frequent = json.loads((site / "pagefind" / "frequent-words.json").read_text(encoding="utf-8"))["en"]
    assert (frequent.get("glimvar"), frequent.get("trozzle"), frequent.get("pelquin"), frequent.get("zarkeen")) == (49, 26, 26, 26)
    served = serve_site(site)
    base = next(served)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
            page = browser.new_context().new_page()
            page.goto(base + "search/", wait_until="networkidle")
            counts = page.evaluate("""async () => {
                const pf = await import("/assets/search/pagefind.js");
                await pf.options({ baseUrl: "/" });
                const n = async (q) => (await pf.search(q, { unranked: true })).results.length;
                return [await n('"qzqglimvarqzqtrozzle qzqtrozzleqzqpelquin qzqpelquinqzqzarkeen"'), await n('"trozzle pelquin zarkeen"')];
            }""")
            assert counts == [1, 2]  # the pairs: the turn that says all four; the three least said: the other one too
            # a frequent word typed alone is searched as every indexed word that begins with it: never as a pair
            matched = page.evaluate("""async () => {
                const pf = await import("/assets/search/pagefind.js");
                const found = await pf.search("glimvar", { unranked: true });
                const data = await Promise.all(found.results.map((r) => r.data()));
                return data.map((d) => [d.content.split(/\\s+/).map((w) => w.includes("qzq")),
                                        d.locations]);
            }""")
            assert matched and any(any(pairs) for pairs, _ in matched)
            assert all(not pairs[at] for pairs, locations in matched for at in locations)
            page.locator(".pagefind-ui__search-input").fill("glimvar trozzle pelquin zarkeen")
            page.locator(".pagefind-ui__result-nested a").first.wait_for(timeout=10_000)
            page.wait_for_load_state("networkidle")
            message = page.locator(".pagefind-ui__message").inner_text()
            assert message.startswith("1 result"), message
            assert page.locator(".pagefind-ui__result-nested a").first.get_attribute("href") == address
            browser.close()
    finally:
        served.close()


def _fake_pagefind(path: Path, version: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho 'pagefind {version}'\n")
    path.chmod(0o755)
    return path


def test_the_npm_release_in_the_environment_indexes_unless_a_binary_is_named(tmp_path, monkeypatch):
    def forget() -> None:  # both are looked up once a process
        pagefind.pagefind_binary.cache_clear()
        pagefind.pagefind_version.cache_clear()

    npm = _fake_pagefind(tmp_path / "prefix" / "node_modules" / "@pagefind" / "linux-x64" / "bin" / "pagefind_extended", "9.8.7")
    (npm.parent / "pagefind_extended-v9.8.7-x86_64-unknown-linux-musl.tar.gz.sha256").write_text("0" * 64)  # npm ships these beside it
    named = _fake_pagefind(tmp_path / "named" / "pagefind", "1.2.3")
    monkeypatch.setattr(pagefind.sys, "prefix", str(tmp_path / "prefix"))
    monkeypatch.delenv("PAGEFIND_BINARY_PATH", raising=False)
    forget()
    try:
        assert pagefind.pagefind_binary() == npm
        assert pagefind.pagefind_version() == "9.8.7"
        monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(named))
        forget()
        assert pagefind.pagefind_binary() == named
        assert pagefind.pagefind_version() == "1.2.3"
        # no npm release there: the PyPI wheel's binary
        monkeypatch.delenv("PAGEFIND_BINARY_PATH")
        monkeypatch.setattr(pagefind.sys, "prefix", str(tmp_path / "elsewhere"))
        forget()
        from pagefind.service import get_executable
        assert pagefind.pagefind_binary() == Path(get_executable())
    finally:
        forget()
