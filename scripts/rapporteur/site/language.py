"""Pages in the session's language: its name on the page, ``<html lang>`` for Pagefind.

Pagefind builds one index per ``<html lang>`` (and segments Chinese and Japanese words
only in its extended build, for pages marked zh/ja), so a session held in French or
Chinese must say so on its page.  The theme writes the site's language into every
``<html>`` tag; the session page marks its content ``<div data-pagefind-body lang="xx">``
(docs/overrides/main.html, from the page's ``language:`` front matter) and
``mark_page_languages`` carries that onto the ``<html>`` tag after the theme's build —
a step that does not depend on which engine built the HTML.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

# the IGF's working languages and the languages of its sessions most often heard; others show their code
LANGUAGE_NAMES = {
    "en": "English", "fr": "French", "es": "Spanish", "ar": "Arabic", "zh": "Chinese", "ru": "Russian",
    "pt": "Portuguese", "de": "German", "ja": "Japanese", "ko": "Korean", "hi": "Hindi", "it": "Italian",
    "nl": "Dutch", "pl": "Polish", "tr": "Turkish", "uk": "Ukrainian", "id": "Indonesian", "sw": "Swahili",
    "fa": "Persian", "vi": "Vietnamese", "th": "Thai", "bn": "Bengali", "ur": "Urdu", "ms": "Malay",
}

_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_BODY_LANG = re.compile(rb'<div data-pagefind-body lang="([a-zA-Z0-9-]{2,12})"')
_HTML_TAG = re.compile(rb"<html\b[^>]*>", re.IGNORECASE)
_LANG_ATTR = re.compile(rb'\slang="[^"]*"')


def language_code(value: str) -> str:
    """A BCP 47 primary code ("fr", "zh", "pt-BR") or "" for anything else (never markup)."""
    value = (value or "").strip()
    return value if _CODE.match(value) else ""


def language_label(value: str) -> str:
    """What the session page shows: "French (fr)"; the code alone when its name is not known."""
    code = language_code(value)
    if not code:
        return ""
    name = LANGUAGE_NAMES.get(code.split("-")[0].lower())
    return f"{name} ({code})" if name else code


def with_html_lang(page: bytes, lang: str) -> bytes:
    """``page`` with its ``<html>`` tag's lang set to ``lang`` (the tag is left as it is otherwise)."""
    match = _HTML_TAG.search(page)
    if not match:
        return page
    tag = match.group(0)
    value = b' lang="' + lang.encode("ascii") + b'"'
    new = _LANG_ATTR.sub(value, tag, count=1) if _LANG_ATTR.search(tag) else tag[:5] + value + tag[5:]
    return page[: match.start()] + new + page[match.end():]


def mark_page_languages(site_dir: Path, pages: Iterable[Path] | None = None) -> list[Path]:
    """Give each built page whose content is marked with a language that ``<html lang>``; the pages changed.

    ``pages``: the HTML files to look at (default: every session page under ``sessions/``).
    """
    site_dir = Path(site_dir)
    changed = []
    for path in pages if pages is not None else sorted((site_dir / "sessions").glob("**/*.html")):
        data = path.read_bytes()
        found = _BODY_LANG.search(data)
        if not found:
            continue
        marked = with_html_lang(data, found.group(1).decode("ascii"))
        if marked != data:
            path.write_bytes(marked)
            changed.append(path)
    return changed
