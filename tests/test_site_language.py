"""Session pages in their language: the name shown, <html lang> set, one Pagefind index per language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import build_test_site, serve_site
from rapporteur.core.records import Turn, Turns, Word, to_json, turn_id
from rapporteur.site.language import language_code, language_label, mark_page_languages, with_html_lang

ZH_TOKENS = ["大家", "早上好", "，", "欢迎", "参加", "这次", "关于", "互联网", "治理", "的", "研讨会", "。"]
FR_TEXT = "Bonjour à tous et bienvenue à cet atelier sur la gouvernance de l'internet."


def test_language_labels_and_codes():
    assert language_label("fr") == "French (fr)" and language_label("zh") == "Chinese (zh)"
    assert language_label("pt-BR") == "Portuguese (pt-BR)" and language_label("xx") == "xx"
    assert language_label("") == "" and language_code('fr" onload="x') == "" and language_code("<b>") == ""


@pytest.mark.parametrize("page, expected", [
    (b'<!doctype html>\n<html lang="en" class="no-js"><head>', b'<html lang="zh" class="no-js">'),
    (b"<html><head>", b'<html lang="zh"><head>'),
    (b'<HTML class="x" lang="en-GB">', b'<HTML class="x" lang="zh">'),
])
def test_html_lang_is_set_and_the_rest_of_the_tag_kept(page, expected):
    assert expected in with_html_lang(page, "zh")


def test_only_pages_marked_with_a_language_change(tmp_path):
    sessions = tmp_path / "sessions"
    (sessions / "a").mkdir(parents=True)
    (sessions / "b").mkdir()
    (sessions / "a" / "index.html").write_bytes(b'<html lang="en"><body><div data-pagefind-body lang="fr">x</div>')
    (sessions / "b" / "index.html").write_bytes(b'<html lang="en"><body><div data-pagefind-body>x</div>')
    assert mark_page_languages(tmp_path) == [sessions / "a" / "index.html"]
    assert (sessions / "a" / "index.html").read_bytes().startswith(b'<html lang="fr">')
    assert (sessions / "b" / "index.html").read_bytes().startswith(b'<html lang="en">')
    assert mark_page_languages(tmp_path) == []  # a second run finds nothing to do


def _session(root: Path, sid: str, language: str, turn: Turn) -> Path:
    d = root / "recordings" / sid
    d.mkdir(parents=True)
    (d / "session.yaml").write_text(f"title: Session {sid}\nevent: IGF 2024\nlanguage: {language}\n"
                                    "speakers:\n  - name: Li Wei\n  - name: Anne Martin\n", encoding="utf-8")
    (d / "turns.json").write_text(to_json(Turns(turns=(turn,), speakers={"SPEAKER_00": turn.speaker},
                                                language=language, duration=20.0)), encoding="utf-8")
    return d


def _turn(start: float, speaker: str, tokens: list[str]) -> Turn:
    words = tuple(Word(start=start + i * 0.4, end=start + i * 0.4 + 0.3, text=t) for i, t in enumerate(tokens))
    return Turn(id=turn_id(start), start=start, end=words[-1].end, label="SPEAKER_00", speaker=speaker,
                text="".join(tokens).strip(), words=words)


ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "recordings" / "demo-ai-governance-roundtable"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo (English) beside a Chinese and a French session."""
    root = tmp_path_factory.mktemp("languages-site")
    zh = _session(root, "igf2024-zh", "zh", _turn(2.0, "Li Wei", ZH_TOKENS))
    fr = _session(root, "igf2024-fr", "fr", _turn(3.0, "Anne Martin", [" " + w for w in FR_TEXT.split()]))
    return build_test_site(root, [DEMO, zh, fr])


@pytest.mark.slow
def test_built_pages_are_indexed_under_their_language(site):
    zh_page = (site / "sessions" / "igf2024-zh" / "index.html").read_text(encoding="utf-8")
    assert "<html lang=\"zh\" class=\"no-js\">" in zh_page and "Chinese" in zh_page
    assert "<html lang=\"fr\"" in (site / "sessions" / "igf2024-fr" / "index.html").read_text(encoding="utf-8")
    assert "<html lang=\"en\"" in (site / "index.html").read_text(encoding="utf-8")  # the rest stays in the site's language
    entry = json.loads((site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert {"zh", "fr", "en"} <= set(entry["languages"])
    # each short session: its page and one search record of its turns (search.py), in its language's index
    assert entry["languages"]["zh"]["page_count"] == 2 and entry["languages"]["fr"]["page_count"] == 2


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium")
def test_search_in_each_language_lands_on_its_turn(site):
    sync_api = pytest.importorskip("playwright.sync_api")
    for base in serve_site(site):
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(base + "search/", wait_until="networkidle")
            menu = page.locator(".rp-search-language select")
            assert sorted(menu.locator("option").evaluate_all("os => os.map(o => o.value)")) == ["en", "fr", "zh"]
            assert menu.input_value() == "en"

            def first_hit(query: str) -> str:
                page.locator(".pagefind-ui__search-input").fill(query)
                page.locator(".pagefind-ui__result-nested a").first.wait_for(timeout=10_000)
                return page.locator(".pagefind-ui__result-nested a").first.get_attribute("href")

            # a word in the middle of a Chinese sentence: found only because the zh index is segmented
            menu.select_option("zh")
            assert first_hit("互联网") == "/sessions/igf2024-zh/#t2000"
            assert "lang=zh" in page.url
            menu = page.locator(".rp-search-language select")
            menu.select_option("fr")
            assert first_hit("gouvernance") == "/sessions/igf2024-fr/#t3000"
            # a link with ?lang= opens the search in that index; English stays the default
            page.goto(base + "search/?lang=zh&q=%E6%B2%BB%E7%90%86", wait_until="networkidle")
            page.locator(".pagefind-ui__result-nested a").first.wait_for(timeout=10_000)
            assert page.locator(".pagefind-ui__result-nested a").first.get_attribute("href") == "/sessions/igf2024-zh/#t2000"
            # the header search of a Chinese session searches the Chinese index
            page.goto(base + "sessions/igf2024-zh/", wait_until="networkidle")
            page.locator(".rp-header-search input[name=q]").fill("研讨会")
            page.keyboard.press("Enter")
            page.locator(".pagefind-ui__result-nested a").first.wait_for(timeout=10_000)
            assert "lang=zh" in page.url
            assert page.locator(".pagefind-ui__result-nested a").first.get_attribute("href") == "/sessions/igf2024-zh/#t2000"
            page.goto(base + "search/", wait_until="networkidle")
            assert first_hit("borders").startswith("/sessions/demo-ai-governance-roundtable/#")
            assert errors == []
            browser.close()
