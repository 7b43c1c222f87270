"""Session pages in their language: the name shown, <html lang> set, one Pagefind index per language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import build_test_site
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


@pytest.mark.slow
def test_built_pages_are_indexed_under_their_language(tmp_path):
    zh = _session(tmp_path, "igf2024-zh", "zh", _turn(2.0, "Li Wei", ZH_TOKENS))
    fr = _session(tmp_path, "igf2024-fr", "fr", _turn(3.0, "Anne Martin", [" " + w for w in FR_TEXT.split()]))
    site = build_test_site(tmp_path, [zh, fr])
    zh_page = (site / "sessions" / "igf2024-zh" / "index.html").read_text(encoding="utf-8")
    assert "<html lang=\"zh\" class=\"no-js\">" in zh_page and "Chinese" in zh_page
    assert "<html lang=\"fr\"" in (site / "sessions" / "igf2024-fr" / "index.html").read_text(encoding="utf-8")
    assert "<html lang=\"en\"" in (site / "index.html").read_text(encoding="utf-8")  # the rest stays in the site's language
    entry = json.loads((site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert {"zh", "fr", "en"} <= set(entry["languages"])
    assert entry["languages"]["zh"]["page_count"] == 1 and entry["languages"]["fr"]["page_count"] == 1
