"""Small helpers on the page's lxml tree (HTML elements): text in reading order, selectors, URLs.

Pure functions; none of them changes the tree except :func:`drop`, which the body stage applies to its
own working copy.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any, TypeAlias
from urllib.parse import quote, urljoin

import lxml.html
from lxml import etree

from crawler import markup as S
from crawler import vntext as V

__all__ = [
    "Element",
    "abs_url",
    "classid",
    "common_ancestor",
    "contains",
    "drop",
    "ends_sentence",
    "find_all",
    "html_parser",
    "img_src",
    "is_icon",
    "iter_text",
    "lang_code",
    "select",
    "strip_drop_tags",
    "text_of",
    "text_upto",
]

# The elements of a parsed page (lxml.html); comments and processing instructions are gone at parse time.
Element: TypeAlias = lxml.html.HtmlElement

# warnings about profile hints go to the extractor's logger, where a user of `extract` looks for them
logger = logging.getLogger("crawler.extract")


def html_parser() -> etree.HTMLParser:
    """The parser every page goes through: comments and processing instructions dropped, ids not indexed.

    Every element is an ``lxml.html.HtmlElement`` (``text_content()`` and the rest), chosen by lxml's own
    default lookup: ``lxml.html``'s parser asks a Python method for each element lxml hands out (to make
    ``<form>`` a FormElement...), which costs more than the tree walks it serves."""
    parser = etree.HTMLParser(  # type: ignore[call-arg]  # lxml-stubs 0.5 lacks default_doctype (lxml has it)
        remove_comments=True, remove_pis=True, collect_ids=False, default_doctype=False)
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(element=lxml.html.HtmlElement))
    return parser


@lru_cache(maxsize=256)
def _css_xpath(css: str) -> str:
    from cssselect import GenericTranslator

    return str(GenericTranslator().css_to_xpath(css))


@lru_cache(maxsize=128)
def _compiled(expr: str) -> etree.XPath:
    return etree.XPath(expr)


def find_all(el: Element, expr: str) -> list[Any]:
    """``el.xpath(expr)`` with the expression compiled once (``el.xpath`` compiles it on every call)."""
    result = _compiled(expr)(el)
    return result if isinstance(result, list) else []


def select(root: Element, selectors: Iterable[str]) -> list[Element]:
    """Elements matching any of the CSS ``selectors`` (profile hints), in selector order."""
    out: list[Element] = []
    for css in selectors:
        try:
            out.extend(find_all(root, _css_xpath(css)))
        except Exception:  # a bad selector in a profile is a warning, not a crash
            logger.warning("bad CSS selector in profile hints: %r", css)
    return out


def text_of(el: Element) -> str:
    """Visible text of an element, blocks separated by newlines, tidied (NFC, spaces)."""
    if len(el) == 0:  # a leaf: no block boundaries inside
        return V.clean_text(el.text)
    return V.clean_text("".join(iter_text(el)), keep_newlines=True)


def text_upto(el: Element, limit: int) -> str | None:
    """:func:`text_of` ``el`` when that is at most ``limit`` characters long, else None, without reading a
    large element to its end: tidying a prefix never loses more than one character of what the whole
    gives (the prefix's last character may compose with the next one), so a tidied prefix longer than
    ``limit + 1`` settles it."""
    if len(el) == 0:
        text = V.clean_text(el.text)
        return text if len(text) <= limit else None
    parts: list[str] = []
    read = 0
    checkpoint = 4 * limit
    for piece in iter_text(el):
        parts.append(piece)
        read += len(piece)
        if read >= checkpoint:
            if len(V.clean_text("".join(parts), keep_newlines=True)) > limit + 1:
                return None
            checkpoint *= 2
    text = V.clean_text("".join(parts), keep_newlines=True)
    return text if len(text) <= limit else None


def iter_text(el: Element) -> Iterator[str]:
    """Text of ``el`` in document order, with newlines at block boundaries (iterative: deep DOMs)."""
    stack: list[tuple[Element, bool]] = [(el, False)]
    while stack:
        node, closing = stack.pop()
        tag = node.tag if isinstance(node.tag, str) else ""
        if closing:
            if tag in S.BLOCK_TAGS:
                yield "\n"
            if node is not el and node.tail:
                yield node.tail
            continue
        if tag in S.BLOCK_TAGS:
            yield "\n"
        if tag and node.text:
            yield node.text
        stack.append((node, True))
        for child in reversed(node):
            stack.append((child, False))


def classid(el: Element) -> str:
    """``class`` and ``id`` of an element, for the class/id patterns of :mod:`crawler.markup`."""
    return f"{el.get('class') or ''} {el.get('id') or ''}"


def abs_url(base: str, src: str) -> str:
    """An absolute, safely quoted URL (spaces and non-ASCII percent-encoded, existing %xx kept)."""
    src = src.strip()
    try:
        absolute = urljoin(base, src)
    except ValueError:
        absolute = src
    return quote(absolute, safe=":/?#[]@!$&'()*+,;=%~")


def lang_code(value: str | None) -> str | None:
    """``vi`` for ``vi-VN``, ``vi_VN``, ``VI``; None for anything else."""
    if not value:
        return None
    m = re.match(r"\s*([a-zA-Z]{2,3})(?:[-_][a-zA-Z]+)?\s*$", value)
    return m.group(1).lower() if m else None


def ends_sentence(text: str) -> bool:
    """True when ``text`` ends like a sentence (or a clause leading into the next line)."""
    return text.rstrip().endswith((".", "!", "?", "…", ":", ";", ",", '."', ".”", ".)", "...\""))


def contains(outer: Element, inner: Element) -> bool:
    """True when ``inner`` is ``outer`` or inside it."""
    el: Element | None = inner
    while el is not None:
        if el is outer:
            return True
        el = el.getparent()
    return False


def common_ancestor(a: Element, b: Element, default: Element) -> Element:
    """The nearest element holding both ``a`` and ``b`` (``default`` when they share none)."""
    ancestors = set()
    el: Element | None = a
    while el is not None:
        ancestors.add(el)
        el = el.getparent()
    el = b
    while el is not None and el not in ancestors:
        el = el.getparent()
    return el if el is not None else default


def drop(el: Element) -> None:
    """Remove ``el`` from its tree, keeping its tail text in place."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def img_src(img: Element) -> str | None:
    """The real source of an image (lazy-loading attributes first); None for data: URLs and nothing."""
    for attr in S.IMAGE_SRC_ATTRS:
        value = (img.get(attr) or "").strip()
        if value and not value.startswith("data:"):
            return value
    return None


def is_icon(img: Element, url: str) -> bool:
    """True for page furniture drawn as an image: icons, buttons, counters, tiny pictures."""
    if S.ICON_SRC_RE.search(url):
        return True
    for attr in ("width", "height"):
        m = re.match(r"\s*(\d+)", img.get(attr) or "")
        if m and int(m.group(1)) < S.MIN_IMAGE_PX:
            return True
    return False


def strip_drop_tags(root: Element) -> None:
    """Remove the elements that never hold article text (scripts, styles, forms' widgets...)."""
    etree.strip_elements(root, *S.DROP_TAGS, with_tail=False)
