"""Escaping, links and the template environment of the site's Markdown and HTML (a leaf: imports nothing of the package).

Every text that comes from session.yaml or a transcript goes through ``escape_md``
(or ``escape_html`` inside attributes); links are only ever http(s).  HTML is
written by the Jinja2 templates in ``templates/`` (``render``): autoescape is on
and undefined names are errors; the ``md`` filter (``escape_md``) adds the
escaping of Markdown's own characters, which autoescape alone leaves, because
the pages are Markdown that MkDocs renders.
"""

from __future__ import annotations

import functools
import html
import re
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from ..core.text import format_hms  # noqa: F401 (the pages' and exports' clock, and the 'hms' filter)

_SPACE = re.compile(r"\s+")

# characters with a meaning in Python-Markdown or its common extensions
# (emphasis, code, links, attr_list, tables, tilde/caret/mark, math, Jinja-like braces)
_MD_CHARS = "\\`*_{}[]()|~^=$"
_MD_TABLE = {ord(c): f"&#{ord(c)};" for c in _MD_CHARS}
_ORDERED = re.compile(r"^(\d+)\.")


_FILTER_SAFE = str.maketrans({"<": "‹", ">": "›", "&": "＆"})


def filter_text(value: str) -> str:
    """A Pagefind filter value.  Pagefind decodes entities in it and its UI shows
    filter values as HTML, so markup characters become look-alikes that are not
    markup (the name itself is shown exactly everywhere else)."""
    return escape_md(filter_value(value))


def filter_value(value: str) -> str:
    """A Pagefind filter value as given to Pagefind (a search record's): markup characters as look-alikes."""
    return value.translate(_FILTER_SAFE)


def escape_html(text: str) -> str:
    """Text for HTML element content or a quoted attribute value."""
    return html.escape(str(text), quote=True)


_ATTR_TABLE = {ord("["): "&#91;", ord("]"): "&#93;"}


def escape_attr(text: str) -> str:
    """A quoted attribute value of inline HTML inside Markdown: ``escape_html`` plus ``[`` ``]``.

    Python-Markdown still finds links inside the attributes of an inline tag:
    ``title="[x](onmouseover=alert(1)//)"`` would become ``title="<a href="...">``,
    whose quotes end the attribute.  Without brackets no link (or image) forms;
    the browser decodes the references back to the same characters.
    """
    return escape_html(text).translate(_ATTR_TABLE)


def escape_md(text: str) -> str:
    """One line of inert text for Markdown (and HTML): no markup, link, attribute list or template.

    Whitespace (newlines included) collapses to single spaces; HTML
    characters become entities and Markdown punctuation numeric character
    references, which render as the same characters.
    """
    text = html.escape(_SPACE.sub(" ", str(text)).strip(), quote=True).translate(_MD_TABLE)
    # "# x", "- x", "+ x", "1. x" would start a heading or a list ("1) x" is already inert)
    if text[:1] in ("#", "-", "+"):
        text = f"&#{ord(text[0])};" + text[1:]
    return _ORDERED.sub(r"\1&#46;", text)


def escape_md_block(text: str) -> str:
    """Paragraphs (split at blank lines), each escaped with ``escape_md``."""
    paras = [escape_md(p) for p in re.split(r"\n\s*\n", str(text))]
    return "\n\n".join(p for p in paras if p)


def safe_url(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) URL, else None."""
    if not url:
        return None
    url = str(url).strip()
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url



# ----------------------------------------------------------------- templates


def _finalize(value: Any) -> Any:
    """Autoescape with ``html.escape``'s spelling of entities (``&quot;``, ``&#x27;``), as ``escape_html`` writes them."""
    if isinstance(value, Markup) or hasattr(value, "__html__"):
        return value
    return Markup(escape_html(value))


def _attr(value: Any) -> Markup:
    return Markup(escape_attr(value))


def _md(value: Any) -> Markup:
    return Markup(escape_md(value))


def _md_block(value: Any) -> Markup:
    return Markup(escape_md_block(value))


def _filter(value: Any) -> Markup:
    return Markup(filter_text(value))


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The site's Jinja2 environment: ``templates/`` of this package, autoescape, strict undefined names."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(__package__ or "rapporteur.site", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(attr=_attr, md=_md, md_block=_md_block, filter_text=_filter, hms=format_hms)
    env.globals["link"] = lambda url, text: Markup(link_html(url, text))
    return env


def render(template: str, **context: Any) -> str:
    """A template of ``templates/`` rendered with ``context`` (HTML or Markdown, without a trailing newline)."""
    return environment().get_template(template).render(**context)


def link_html(url: str | None, text: str) -> str:
    """An ``<a>`` to an http(s) URL, or the escaped text alone."""
    return render("link.html", url=safe_url(url), text=text)
