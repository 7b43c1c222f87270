"""MkDocs hook: the anchors of a page's raw HTML, found without parsing the page a second time.

MkDocs checks links to anchors (``validation: anchors``).  To know which anchors a page's raw HTML holds, it
feeds the whole page through an HTML parser of its own (``mkdocs.structure.pages._RawHTMLPreprocessor``),
besides the parse Python-Markdown makes of the same HTML to keep it as it is.  A session page is mostly raw
HTML (a transcript's turns, the at-a-glance figure), so that second parse was about a fifth of the engine's
time (300 generated sessions: 16.7 of 71.7 s).  This finds the same anchors (an ``id`` on any start tag, a
``name`` on ``<a>``) with the same parser's patterns, tag by tag, without its per-character bookkeeping.

Only MkDocs runs hooks (Zensical ignores the key), and nothing in the built pages changes: the hook only
says which anchors exist.  If MkDocs' internals are not what this expects, it does nothing.
"""

from __future__ import annotations

import re
from html import unescape

try:
    from markdown.htmlparser import htmlparser as _parser
    from mkdocs.structure import pages as _pages
except ImportError:  # pragma: no cover
    _parser = _pages = None

_OPENINGS = re.compile(r"<(?:!--|[a-zA-Z])")
_MAYBE = re.compile(r"""[\s'"/](?:id|name)(?![^\s/=>])""", re.I)
"""An attribute named id or name, perhaps: only then are the tag's attributes read."""
_CDATA = ("script", "style")


def present_anchor_ids(text: str) -> set[str | None]:
    """The ids of ``text``'s start tags, and the names of its ``<a>`` tags, as MkDocs' own parse finds them."""
    found: set[str | None] = set()
    locate, tagfind, attrfind = (_parser.locatestarttagend_tolerant, _parser.tagfind_tolerant,
                                 _parser.attrfind_tolerant)
    pos = 0
    while True:
        m = _OPENINGS.search(text, pos)
        if m is None:
            return found
        i = m.start()
        if text.startswith("<!--", i):
            end = _parser.commentclose.search(text, i + 4)
            if end is None:
                return found
            pos = end.end()
            continue
        tag_end = locate.match(text, i)
        j = tag_end.end() if tag_end else -1
        if j >= 0 and text.startswith(">", j):
            endpos = j + 1
        elif j >= 0 and text.startswith("/>", j):
            endpos = j + 2
        else:  # not a whole start tag: the parser takes it as text
            pos = i + 1
            continue
        name = tagfind.match(text, i + 1)
        tag = name.group(1).lower()
        k = name.end()
        if _MAYBE.search(text, k - 1, endpos):
            while k < endpos:
                a = attrfind.match(text, k)
                if not a:
                    break
                attr, rest, value = a.group(1, 2, 3)
                if not rest:
                    value = None
                elif value[:1] == "'" == value[-1:] or value[:1] == '"' == value[-1:]:
                    value = value[1:-1]
                if value:
                    value = unescape(value)
                attr = attr.lower()
                if attr == "id" or (attr == "name" and tag == "a"):
                    found.add(value)
                k = a.end()
        pos = endpos
        if tag in _CDATA:
            close = re.compile(rf"</{tag}\s*>", re.I).search(text, pos)
            pos = close.end() if close else len(text)


def _run(self, lines: list[str]) -> list[str]:
    self.present_anchor_ids = present_anchor_ids("\n".join(lines))
    return lines


def on_startup(command: str, dirty: bool) -> None:
    if _pages is not None and hasattr(getattr(_pages, "_RawHTMLPreprocessor", None), "run"):
        _pages._RawHTMLPreprocessor.run = _run
