"""Hostile text end to end: a session full of markup builds into a site where nothing runs.

Names, titles, agenda items and transcript words carry HTML, script, Markdown
links and images, attribute lists, template syntax and a very long token.  The
site is built (render → mkdocs → Pagefind) and opened in headless Chromium:
no script from the text may run and no element from the text may exist; the
text must still be there, readable.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conftest import build_test_site, serve_site

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium"),
]

PAYLOADS = [
    "<script>window.__pwned='script'</script>",
    '<img src=x onerror="window.__pwned=\'img\'">',
    "[click me](javascript:window.__pwned='mdlink')",
    "![pic](javascript:window.__pwned='mdimg')",
    '{: onclick="window.__pwned=\'attr\'" }',
    "{{ config.site_name }} {% raw %}",
    '<iframe src="javascript:parent.__pwned=\'iframe\'"></iframe>',
    '"><svg onload="window.__pwned=\'svg\'">',
]
LONG = "x" * 3000
EVIL_NAME = '<b onmouseover="window.__pwned=\'name\'">Eve</b> {: .evil }'


def hostile_session(folder: Path) -> None:
    folder.mkdir(parents=True)
    data = {
        "title": "Title " + PAYLOADS[0] + PAYLOADS[6],
        "event": "IGF <i>2031</i>",
        "date": "2031-01-01",
        "description": " ".join(PAYLOADS),
        "page": "javascript:window.__pwned='page'",
        "speakers": [
            {"name": EVIL_NAME, "role": "moderator", "affiliation": PAYLOADS[1]},
            {"name": "Ana [x](javascript:alert(1))", "role": "speaker", "affiliation": PAYLOADS[3]},
        ],
        "agenda": [{"title": PAYLOADS[2], "start": "0:00"}, {"title": PAYLOADS[4] + " " + PAYLOADS[5], "start": "0:10"}],
        "report": {"key_takeaways": [PAYLOADS[7]], "calls_to_action": [PAYLOADS[0]]},
    }
    (folder / "session.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    turns, t = [], 0.0
    texts = PAYLOADS + [LONG, "plain words at the end"]
    names = [EVIL_NAME, "Ana [x](javascript:alert(1))"]
    for i, text in enumerate(texts):
        words = [{"start": round(t + k * 0.4, 3), "end": round(t + k * 0.4 + 0.35, 3), "text": " " + w, "probability": 1.0}
                 for k, w in enumerate(text.split())]
        end = words[-1]["end"]
        label = f"SPEAKER_0{i % 2}"
        turns.append({"id": f"t{int(t * 1000)}", "start": t, "end": end, "label": label, "speaker": names[i % 2],
                      "text": text, "words": words})
        t = round(end + 1.0, 3)
    record = {"schema_version": 1, "speakers": {"SPEAKER_00": names[0], "SPEAKER_01": names[1]},
              "turns": turns, "language": "en", "duration": t}
    (folder / "turns.json").write_text(json.dumps(record), encoding="utf-8")
    (folder / "agenda.json").write_text(json.dumps({"schema_version": 1, "items": [
        {"title": PAYLOADS[2], "start": 0.0, "source": "session"},
        {"title": PAYLOADS[4] + " " + PAYLOADS[5], "start": 10.0, "source": "session"}]}), encoding="utf-8")


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-site")
    session = root / "recordings" / "hostile"
    hostile_session(session)
    return build_test_site(root, [session])


@pytest.fixture(scope="module")
def served(hostile_site):
    yield from serve_site(hostile_site)


INJECTED = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (/^on/i.test(a.name)) bad.push(el.tagName + '[' + a.name + ']');
      // Pagefind's own search form uses action="javascript:void(0);": not from the text
      const pagefindForm = el.closest('.pagefind-ui') && a.value === 'javascript:void(0);';
      if (/^\\s*javascript:/i.test(a.value) && !pagefindForm) bad.push(el.tagName + '[' + a.name + '=javascript:]');
    }
  }
  for (const el of document.querySelectorAll('script')) if (/__pwned/.test(el.textContent)) bad.push('script');
  for (const el of document.querySelectorAll('iframe, svg[onload], img[src="x"], .evil')) bad.push(el.tagName);
  return bad;
}"""


def test_hostile_text_is_inert_in_the_browser(served, hostile_site):
    sync_api = pytest.importorskip("playwright.sync_api")
    pages = ["sessions/hostile/", "", "speakers/"]
    pages += [str(p.parent.relative_to(hostile_site)) + "/" for p in (hostile_site / "speakers").glob("*/index.html")]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for path in pages:
            page.goto(served + path, wait_until="networkidle")
            page.mouse.move(200, 300)
            assert page.evaluate("window.__pwned") is None, path
            assert page.evaluate(INJECTED) == [], path
        page.goto(served + "sessions/hostile/", wait_until="networkidle")
        text = page.inner_text("article")
        # still readable: the hostile strings are shown as the text they are
        assert "<script>window.__pwned='script'</script>" in text
        assert "{{ config.site_name }}" in text and "[click me](javascript:window.__pwned='mdlink')" in text
        assert LONG[:200] in text.replace("\n", "")
        # and in search results
        page.goto(served + "search/", wait_until="networkidle")
        page.locator(".pagefind-ui__search-input").fill("onerror")
        page.locator(".pagefind-ui__result").first.wait_for(timeout=10_000)
        page.wait_for_timeout(300)
        assert page.evaluate("window.__pwned") is None
        assert page.evaluate(INJECTED) == []
        browser.close()
    assert dialogs == []


def test_downloads_keep_the_text_literally(hostile_site):
    folder = hostile_site / "sessions" / "hostile"
    txt = next(folder.glob("*.txt")).read_text(encoding="utf-8")
    assert "<script>window.__pwned='script'</script>" in txt
    vtt = next(folder.glob("*.vtt")).read_text(encoding="utf-8")
    assert "<script>" not in vtt and "&lt;script&gt;" in vtt  # WebVTT escapes markup in cue text
