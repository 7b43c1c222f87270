"""The built demo site in headless Chromium: player, deep links, search, downloads.

One demo site is built (render → mkdocs → pagefind) per run and served on
127.0.0.1 by rapporteur.site.build's Range-capable server; Chromium is Debian's
(/usr/bin/chromium) driven by Playwright — never a downloaded browser.
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.request
from pathlib import Path

import pytest

from conftest import build_test_site, serve_site

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "recordings" / "demo-ai-governance-roundtable"
PAGE = "sessions/demo-ai-governance-roundtable/"
# spoken by David Mensah in the demo, in the turn that starts at 126.94 s
PHRASE = "separate team in every country"
PHRASE_TURN, PHRASE_START = "t126940", 126.94
YOUTUBE = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
# a stand-in for https://www.youtube.com/iframe_api: records what the page asks of the player
FAKE_YT_API = """
window.ytCalls = [];
window.YT = {Player: function (el, opts) {
  var self = this; window.ytCalls.push(["new", opts.videoId, opts.playerVars.start]);
  this.seekTo = function (t) { window.ytCalls.push(["seekTo", t]); };
  this.playVideo = function () { window.ytCalls.push(["playVideo"]); };
  this.getCurrentTime = function () { return 0; };
  this.getPlayerState = function () { return -1; };
  setTimeout(function () { opts.events.onReady({target: self}); }, 0);
}};
setTimeout(function () { window.onYouTubeIframeAPIReady(); }, 0);
"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium"),
]

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Build the demo session's site into a temporary folder; yields its folder."""
    if not (DEMO / "turns.json").is_file():
        pytest.skip("the demo session has no turns.json")
    root = tmp_path_factory.mktemp("demo-site")
    # the same session as if its recording were on YouTube (the player is then YouTube's, loaded on demand)
    yt = root / "recordings" / "demo-on-youtube"
    yt.mkdir(parents=True)
    text = (DEMO / "session.yaml").read_text(encoding="utf-8").replace("recording: recording.ogg", f"recording: {YOUTUBE}")
    (yt / "session.yaml").write_text(text.replace("title: Making", "title: On YouTube, making"), encoding="utf-8")
    shutil.copy(DEMO / "turns.json", yt / "turns.json")
    return build_test_site(root, [DEMO, yt], strict=True)


@pytest.fixture(scope="module")
def base_url(site):
    yield from serve_site(site)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Watched:
    """A page plus every console error and every request that left 127.0.0.1."""

    def __init__(self, browser, base_url: str, **kw) -> None:
        self.context = browser.new_context(**kw)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.external: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: (r.url.startswith(base_url) or r.url.startswith("data:")
                                            or self.external.append(r.url)))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser, base_url):
    w = Watched(browser, base_url)
    yield w
    w.close()


def current_time(page) -> float:
    return page.evaluate("document.querySelector('#rp-player audio').currentTime")


# --------------------------------------------------------------------- tests


def test_range_requests_are_honoured(site, base_url):
    audio = next((site / PAGE).glob("*.ogg"))
    req = urllib.request.Request(base_url + PAGE + audio.name, headers={"Range": "bytes=100-199"})
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 206
        assert resp.headers["Content-Range"] == f"bytes 100-199/{audio.stat().st_size}"
        assert resp.read() == audio.read_bytes()[100:200]


def test_session_page_loads_clean_and_plays_from_a_timestamp(watched, base_url):
    page = watched.page
    page.goto(base_url + PAGE, wait_until="networkidle")
    assert page.title().startswith("Making AI rules work together")
    assert page.locator(".turn-head").count() >= 15
    assert page.locator("#rp-player audio track[kind=captions]").count() == 1
    page.wait_for_function("document.querySelector('#rp-player audio').readyState >= 1")
    # keyboard: the timestamp is a focusable link, Enter plays from there
    link = page.locator(f"#{PHRASE_TURN} a.turn-time")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(f"Math.abs(document.querySelector('#rp-player audio').currentTime - {PHRASE_START}) < 1.5")
    assert page.url.endswith("#" + PHRASE_TURN)
    assert "playing" in page.locator(f"#{PHRASE_TURN}").locator("xpath=..").get_attribute("class")
    # a click on another timestamp moves the player there
    page.locator("#t60650 a.turn-time").click()
    page.wait_for_function("Math.abs(document.querySelector('#rp-player audio').currentTime - 60.65) < 1.5")
    assert page.url.endswith("#t60650")
    # agenda links play from the item's start
    page.locator('a[href="#agenda-3"]').first.click()
    page.wait_for_function("Math.abs(document.querySelector('#rp-player audio').currentTime - 160) < 1.5")
    assert watched.errors == []
    assert watched.external == []


@pytest.mark.parametrize("fragment, expected, turn", [("t=100", 100.0, "t99100"), ("t=2:05", 125.0, "t122020"),
                                                       (PHRASE_TURN, PHRASE_START, PHRASE_TURN)])
def test_deep_link_seeks_on_load(watched, base_url, fragment, expected, turn):
    page = watched.page
    page.goto(f"{base_url}{PAGE}#{fragment}", wait_until="networkidle")
    page.wait_for_function(f"Math.abs(document.querySelector('#rp-player audio').currentTime - {expected}) < 0.5")
    assert page.locator(".turn.playing .turn-head").get_attribute("id") == turn
    box = page.locator(f"#{turn}").bounding_box()
    assert box is not None and 0 <= box["y"] < page.viewport_size["height"]  # scrolled into view
    assert watched.errors == [] and watched.external == []


def test_copy_link_to_a_moment(browser, base_url):
    w = Watched(browser, base_url, permissions=["clipboard-read", "clipboard-write"])
    try:
        page = w.page
        page.goto(base_url + PAGE, wait_until="networkidle")
        button = page.locator(f"#{PHRASE_TURN} button.turn-copy")  # made by rapporteur.js, one per turn
        assert button.get_attribute("aria-label").startswith("Copy link to this moment (00:")
        button.click()
        page.wait_for_function("document.querySelector('.rp-status').textContent.length > 0")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == f"{base_url}{PAGE}#{PHRASE_TURN}"
        assert w.errors == []
    finally:
        w.close()


def test_search_finds_the_turn_and_opens_it(watched, base_url):
    page = watched.page
    page.goto(base_url + "search/", wait_until="networkidle")
    page.locator(".pagefind-ui__search-input").fill(PHRASE)
    page.locator(".pagefind-ui__result").first.wait_for(timeout=10_000)
    # each session's best moment is the turn that says the phrase
    firsts = page.locator(".pagefind-ui__result").evaluate_all(
        "rs => rs.map(r => r.querySelector('.pagefind-ui__result-nested a').getAttribute('href'))")
    assert sorted(firsts) == [f"/{PAGE}#{PHRASE_TURN}", f"/sessions/demo-on-youtube/#{PHRASE_TURN}"]
    sub = page.locator(f'.pagefind-ui__result-nested a[href$="{PAGE}#{PHRASE_TURN}"]')
    assert "David Mensah" in sub.inner_text() and "00:02:06" in sub.inner_text()
    result = page.locator(".pagefind-ui__result", has=sub).inner_text()
    assert "Making AI rules work together across borders — IGF 2025 (demo) · 2025-06-24" in result
    # filters exist for speaker, event and year
    page.wait_for_function("document.querySelectorAll('.pagefind-ui__filter-name').length >= 3")
    filters = page.locator(".pagefind-ui__filter-name").all_inner_texts()
    assert {"speaker", "event", "year"} <= {f.strip().lower() for f in filters}
    sub.click()
    page.wait_for_url(f"**/{PAGE}#{PHRASE_TURN}")
    page.wait_for_function(f"Math.abs(document.querySelector('#rp-player audio').currentTime - {PHRASE_START}) < 0.5")
    assert page.locator(".turn.playing .turn-head").get_attribute("id") == PHRASE_TURN
    assert watched.errors == [] and watched.external == []


_FILTERS = """async () => {
  const ours = await import("/assets/search/pagefind.js");
  const theirs = await import("/pagefind/pagefind.js");
  await ours.options({ baseUrl: "/" });
  return { ours: await ours.filters(), theirs: await theirs.filters() };
}"""


def test_filters_are_counted_without_pagefinds_filter_index_until_one_is_chosen(watched, base_url):
    page = watched.page
    filter_files: list[str] = []
    page.on("request", lambda r: "/pagefind/filter/" in r.url and filter_files.append(r.url))
    page.goto(base_url + "search/", wait_until="networkidle")
    box = page.locator(".pagefind-ui__search-input")
    box.fill(PHRASE)
    page.locator(".pagefind-ui__result").first.wait_for(timeout=10_000)
    page.wait_for_function("document.querySelectorAll('.pagefind-ui__filter-name').length >= 3")
    page.wait_for_load_state("networkidle")
    assert filter_files == []  # searched, and the filter values shown, without Pagefind's filter index
    # the values and counts shown are what Pagefind itself counts (filter-totals.json, written with the index)
    both = page.evaluate(_FILTERS)
    assert both["ours"] == both["theirs"] and both["ours"]["speaker"]
    # choosing a speaker: Pagefind's filter index is loaded, the results are that speaker's, counted per search
    filter_files.clear()  # (Pagefind's own filters() above loaded them)
    page.goto(base_url + "search/?q=governance", wait_until="networkidle")
    page.locator(".pagefind-ui__result").first.wait_for(timeout=10_000)
    assert filter_files == []
    counted = "/^\\d/.test(document.querySelector('.pagefind-ui__message').textContent.trim())"
    page.wait_for_function(counted)
    unfiltered = page.locator(".pagefind-ui__message").inner_text()
    page.locator(".pagefind-ui__filter-name", has_text="speaker").click()
    page.locator('.pagefind-ui__filter-checkbox[name="speaker"][value="David Mensah"]').check()
    for _ in range(100):  # the search again, with the filter index
        if filter_files:
            break
        page.wait_for_timeout(100)
    page.wait_for_load_state("networkidle")
    assert filter_files
    n = lambda message: int(message.split()[0])  # "4 results for governance"
    page.wait_for_function(counted)
    filtered = page.locator(".pagefind-ui__message").inner_text()
    assert 0 < n(filtered) < n(unfiltered), (filtered, unfiltered)
    assert watched.errors == [] and watched.external == []


def test_words_remembered_out_of_order_still_find_the_sessions(watched, base_url):
    # three words or more are searched first as a phrase; found nowhere as one, they are searched as words
    page = watched.page
    page.goto(base_url + "search/", wait_until="networkidle")
    scrambled = " ".join(reversed(PHRASE.split()))
    page.locator(".pagefind-ui__search-input").fill(scrambled)
    page.locator(".pagefind-ui__result").first.wait_for(timeout=10_000)
    assert page.locator(".pagefind-ui__result").count() == 2
    assert page.locator(".pagefind-ui__search-input").input_value().strip() == scrambled  # the box keeps what was typed
    assert watched.errors == [] and watched.external == []


def test_header_search_and_speaker_page(watched, base_url):
    page = watched.page
    page.goto(base_url + "speakers/david-mensah/", wait_until="networkidle")
    assert page.locator("h1").inner_text().startswith("David Mensah")
    link = page.locator(f'a[href$="{PAGE}#{PHRASE_TURN}"]')
    assert link.count() == 1
    # "What they said": each session a heading of the page's table of contents; heading and excerpts kept out
    # of the speaker page's search index (the turns are found as the transcript's records)
    said = page.locator("h3[data-pagefind-ignore=index]")
    assert said.count() >= 1 and page.locator(f'.md-sidebar--secondary a[href="#{said.first.get_attribute("id")}"]').count() == 1
    assert page.locator("ul.rp-speaker-turns[data-pagefind-ignore=index] li").count() >= 1
    link.click()
    page.wait_for_function(f"Math.abs(document.querySelector('#rp-player audio').currentTime - {PHRASE_START}) < 0.5")
    page.locator(".rp-header-search input[name=q]").fill("borders")
    page.keyboard.press("Enter")
    page.locator(".pagefind-ui__result").first.wait_for(timeout=10_000)
    assert watched.errors == [] and watched.external == []


def test_phone_layout_has_no_horizontal_scroll(browser, base_url):
    w = Watched(browser, base_url, viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True)
    try:
        w.page.goto(f"{base_url}{PAGE}#{PHRASE_TURN}", wait_until="networkidle")
        assert w.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert w.errors == [] and w.external == []
    finally:
        w.close()


def test_downloads_exist_and_parse(site, base_url):
    import srt
    import webvtt

    stem = base_url + PAGE + "demo-ai-governance-roundtable"
    texts = {}
    for ext in ("vtt", "srt", "txt", "json"):
        with urllib.request.urlopen(f"{stem}.{ext}") as resp:
            assert resp.status == 200
            texts[ext] = resp.read().decode("utf-8")
    vtt = webvtt.from_buffer(__import__("io").StringIO(texts["vtt"]))
    assert len(vtt.captions) > 20 and "<v David Mensah>" in texts["vtt"]
    subs = list(srt.parse(texts["srt"]))
    assert len(subs) > 20 and subs[0].content.startswith("Sarah Collins: ")
    assert "[00:02:06] David Mensah: " in texts["txt"]
    assert [t["id"] for t in json.loads(texts["json"])["turns"]][:2] == ["t620", "t30170"]


def test_other_pages_load_clean(watched, base_url):
    page = watched.page
    for path in ("", "about/", "events/", "events/igf-2025-demo/", "speakers/", "search/", "speakers/sarah-collins/"):
        page.goto(base_url + path, wait_until="networkidle")
        assert page.locator("h1").count() == 1, path
    page.goto(base_url, wait_until="networkidle")  # the home page has a search box too
    page.locator(".pagefind-ui__search-input").fill("borders")
    page.locator(".pagefind-ui__result").first.wait_for(timeout=10_000)
    assert watched.errors == [] and watched.external == []


def test_youtube_player_is_loaded_on_demand_and_seeks(watched, base_url):
    page = watched.page
    page.route("https://www.youtube.com/iframe_api", lambda route: route.fulfill(
        status=200, content_type="text/javascript", body=FAKE_YT_API))
    page.goto(f"{base_url}sessions/demo-on-youtube/#{PHRASE_TURN}", wait_until="networkidle")
    assert watched.external == []  # nothing from YouTube until asked to play
    assert "00:02:06" in page.locator("#rp-player button").inner_text()
    page.locator("#t60650 a.turn-time").click()
    page.wait_for_function("window.ytCalls && window.ytCalls.length >= 3")
    calls = page.evaluate("window.ytCalls")
    assert calls[0] == ["new", "dQw4w9WgXcQ", 60] and ["seekTo", 60.65] in calls and ["playVideo"] in calls
    page.locator(f"#{PHRASE_TURN} a.turn-time").click()
    page.wait_for_function(f"window.ytCalls.some(c => c[0] === 'seekTo' && c[1] === {PHRASE_START})")
    assert watched.external == ["https://www.youtube.com/iframe_api"]
    assert watched.errors == []


def test_edit_control_shows_each_turns_corrections_entry(watched, base_url):
    """Every turn's edit control shows exactly the corrections.yaml entry rapporteur writes for it
    (corrections.entry_yaml), and a hand-corrected turn says what changed."""
    from rapporteur.core.records import turns_from_dict
    from rapporteur.corrections import entry_yaml

    turns = turns_from_dict(json.loads((DEMO / "turns.json").read_text(encoding="utf-8")))
    page = watched.page
    page.goto(base_url + PAGE, wait_until="networkidle")
    assert page.locator("button.turn-edit").count() == len(turns.turns)
    for turn in turns.turns:
        page.locator(f"#{turn.id} button.turn-edit").click()
        box = page.locator("dialog.rp-edit")
        assert box.is_visible()
        assert box.locator("textarea").input_value() == entry_yaml(turn, turns.turns), turn.id
        assert "recordings/demo-ai-governance-roundtable/corrections.yaml" in box.locator("p").first.inner_text()
        box.locator("button", has_text="Close").click()
    corrected = [t for t in turns.turns if t.corrections]
    assert corrected, "the demo commits real corrections"
    note = page.locator(f"#{corrected[0].id}").locator("xpath=..").locator(".turn-note")
    assert "Corrected by hand" in note.inner_text()
    assert watched.errors == []


def test_session_at_a_glance_plays_from_a_bar(watched, base_url):
    """The timeline above the summary: a lane per speaker with its share; a click on a bar or an agenda mark plays
    from that moment (through the page's deep links)."""
    page = watched.page
    page.goto(base_url + PAGE, wait_until="networkidle")
    glance = page.locator(".rp-glance")
    assert page.evaluate("""() => {
        const g = document.querySelector('.rp-glance'), s = document.querySelector('.rp-summary');
        return !!(g.compareDocumentPosition(s) & Node.DOCUMENT_POSITION_FOLLOWING); }""")
    names = glance.locator(".rp-lane .rp-glance-name").all_inner_texts()
    assert [n.split("\n")[0].split(" ")[0] for n in names] == ["Sarah", "Ana", "David", "Peter"]
    assert all(re.search(r"\d+ (s|min) · \d+ %", n) for n in names)
    page.wait_for_function("document.querySelector('#rp-player audio').readyState >= 1")
    bar = glance.locator(f'.rp-lane-bars a[href="#{PHRASE_TURN}"]')
    assert bar.bounding_box()["width"] >= 2 and re.fullmatch(r"02:06 \S.+", bar.get_attribute("title"))
    bar.click()
    page.wait_for_function(f"Math.abs(document.querySelector('#rp-player audio').currentTime - {PHRASE_START}) < 1.5")
    assert page.url.endswith("#" + PHRASE_TURN)
    assert page.locator(".turn.playing .turn-head").get_attribute("id") == PHRASE_TURN
    glance.locator('a.rp-glance-mark[href="#agenda-3"]').click()
    page.wait_for_function("Math.abs(document.querySelector('#rp-player audio').currentTime - 160) < 1.5")
    assert watched.errors == [] and watched.external == []


def test_session_at_a_glance_without_javascript_and_on_a_phone(browser, base_url):
    w = Watched(browser, base_url, java_script_enabled=False, viewport={"width": 375, "height": 740},
                device_scale_factor=2, is_mobile=True)
    try:
        page = w.page
        page.goto(base_url + PAGE, wait_until="networkidle")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        lanes = page.locator(".rp-glance .rp-lane-bars")
        assert lanes.count() == 4
        for k in range(4):
            box = lanes.nth(k).bounding_box()
            assert box["width"] >= 300 and box["x"] >= 0 and box["x"] + box["width"] <= 376  # the phone's width
        # every bar links to a turn of the page; following one without JavaScript shows the turn
        hrefs = page.locator(".rp-glance .rp-lane-bars a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
        assert hrefs and all(page.locator(h).count() == 1 for h in hrefs)
        page.locator(f'.rp-glance .rp-lane-bars a[href="#{PHRASE_TURN}"]').click()
        page.wait_for_url(f"**/{PAGE}#{PHRASE_TURN}")
        box = page.locator(f"#{PHRASE_TURN}").bounding_box()
        assert box is not None and 0 <= box["y"] < 740
        assert w.external == []
    finally:
        w.close()
