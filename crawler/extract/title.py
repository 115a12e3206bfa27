"""The title, and the element that shows it (where the article starts), as candidates by source.

A headline in meta tags or JSON-LD is trusted when an element of the page shows it; the ``<title>`` comes
with the site's name glued on (``... - Tạp chí Xây dựng Đảng``) and is cleaned of it. See
``candidates.PRIORITY["title"]`` for the order in which the sources are asked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from crawler import markup as S
from crawler import vntext as V
from crawler.extract.candidates import Candidate, resolve
from crawler.extract.context import PageContext, jsonld_names
from crawler.extract.dom import Element, classid, text_of

__all__ = ["TitleFound", "find_title", "strip_site_name"]


@dataclass(frozen=True)
class TitleFound:
    """The title's text and the element that shows it (None when no element does)."""

    text: str
    element: Element | None


def find_title(ctx: PageContext) -> Candidate[TitleFound] | None:
    """The page's title by priority, or None (then the page is not an article: "no title")."""
    clues = _Clues(ctx)
    return resolve("title", {
        "hint": clues.hinted,
        "meta-in-page": lambda: clues.shown(metas=True),
        "title-in-page": lambda: clues.shown(metas=False),
        "contained-in-page": clues.contained,
        "meta": clues.meta_alone,
        "title-part": clues.title_part,
        "h1": clues.only_h1,
        "title": clues.whole_title,
    })


def strip_site_name(title: str, site_names: frozenset[str]) -> str:
    """``title`` without a trailing (or known leading) site name: ``... - Tạp chí Xây dựng Đảng``."""
    for _ in range(2):
        seps = list(V.TITLE_SEPARATOR_RE.finditer(title))
        if not seps:
            break
        last = title[seps[-1].end():]
        first = title[: seps[0].start()]
        if V.fold(last) in site_names or (V.SITE_NAME_PART_RE.match(last) and len(last) < len(title) / 2):
            title = title[: seps[-1].start()].strip()
        elif V.fold(first) in site_names:
            title = title[seps[0].end():].strip()
        else:
            break
    return title


def strip_furniture_suffix(text: str) -> str:
    """``5 điểm nhấn ... In trang`` -> ``5 điểm nhấn ...`` (toolbar words glued to a title)."""
    text = V.clean_text(text)
    words = text.split()
    for cut in range(min(4, len(words) - 1), 0, -1):
        tail = " ".join(words[-cut:])
        if V.is_furniture_line(tail):
            return " ".join(words[:-cut]).rstrip(" |-–")
    return text


class _Clues:
    """What the title finders share, each computed once and only when a finder needs it."""

    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx

    @cached_property
    def raw_doc_title(self) -> str:
        return V.clean_text(self.ctx.doc.findtext(".//title") or "")

    @cached_property
    def doc_title(self) -> str:
        return strip_site_name(self.raw_doc_title, self.ctx.site_names)

    @cached_property
    def raw_meta(self) -> str | None:
        raw = self.ctx.meta_first(S.META_TITLE[:3])
        article = self.ctx.article_ld
        if not raw and article:
            raw = next(iter(jsonld_names(article.get("headline") or article.get("name"))), None)
        if raw and V.fold(raw) in self.ctx.site_names:
            return None  # og:title set to the site name on every page
        return raw

    @cached_property
    def meta_title(self) -> str | None:
        return strip_site_name(self.raw_meta, self.ctx.site_names) if self.raw_meta else None

    @cached_property
    def in_page(self) -> list[tuple[Element, str]]:
        """Elements that may show the title (headings, title-classed elements) and their text."""
        return [(el, t) for el, t in _title_elements(self.ctx.body) if t and V.fold(t) not in self.ctx.site_names]

    @cached_property
    def wanted(self) -> list[tuple[str, bool]]:
        """(text, is it the meta title) in order of trust; the raw forms in case stripping cut too much."""
        forms = ((self.meta_title, True), (self.raw_meta, True), (self.doc_title, False), (self.raw_doc_title, False))
        return [(t, is_meta) for t, is_meta in forms if t and len(V.fold(t)) >= 3]

    def _found(self, el: Element | None, text: str, source: str, warning: str | None = None) -> Candidate[TitleFound]:
        return Candidate(TitleFound(text, el), source, warning)

    def hinted(self) -> Iterator[Candidate[TitleFound]]:
        for el in self.ctx.selected(self.ctx.hints.title):
            text = strip_furniture_suffix(text_of(el))
            if text:
                yield self._found(el, text, "hint")
                return

    def shown(self, *, metas: bool) -> Iterator[Candidate[TitleFound]]:
        """An element whose text is the meta title (``metas``) or the <title>: the title, and where it is."""
        source = "meta-in-page" if metas else "title-in-page"
        for want, is_meta in self.wanted:
            if is_meta != metas:
                continue
            key = V.fold(want)
            for el, text in self.in_page:
                if V.fold(text) == key:
                    meta = self.meta_title
                    yield self._found(el, meta if is_meta and meta and V.fold(meta) == key else text, source)
                    return

    def contained(self) -> Iterator[Candidate[TitleFound]]:
        """The <title> contains an element's text (`Site > Category > Title`), or the reverse."""
        for want, _is_meta in self.wanted:
            key = V.fold(want)
            best = None
            for el, text in self.in_page:
                ft = V.fold(text)
                if len(ft) >= 10 and (ft in key or key in ft) and len(ft) <= len(key) + 40:
                    if best is None or len(ft) > len(V.fold(best[1])):
                        best = (el, text)
            if best:
                meta = self.meta_title
                yield self._found(best[0], meta if meta and V.fold(meta) == V.fold(best[1]) else best[1], "contained-in-page")
                return

    def meta_alone(self) -> Iterator[Candidate[TitleFound]]:
        if self.meta_title:
            yield self._found(_element_with_text(self.ctx.body, self.meta_title), self.meta_title, "meta")

    def title_part(self) -> Iterator[Candidate[TitleFound]]:
        """A part of the <title> (`Đảng bộ huyện - Sơ kết ...`) that some element shows on its own."""
        parts = {p.strip() for p in V.TITLE_SEPARATOR_RE.split(self.raw_doc_title) if len(p.strip()) >= 15}
        for part in sorted(parts, key=len, reverse=True):
            el = _element_with_text(self.ctx.body, part)
            if el is not None and V.fold(part) not in self.ctx.site_names:
                yield self._found(el, part, "title-part")
                return

    def only_h1(self) -> Iterator[Candidate[TitleFound]]:
        h1s = [(el, t) for el, t in self.in_page if el.tag == "h1"]
        if len(h1s) == 1:
            yield self._found(h1s[0][0], h1s[0][1], "h1")

    def whole_title(self) -> Iterator[Candidate[TitleFound]]:
        title = self.doc_title
        if title and V.fold(title) not in self.ctx.site_names:
            el = _element_with_text(self.ctx.body, title)
            yield self._found(el, title, "title", warning="title taken from <title>")


def _title_elements(body: Element) -> Iterator[tuple[Element, str]]:
    seen: set[Element] = set()
    for tag in S.TITLE_TAGS:
        for el in body.iter(tag):
            seen.add(el)
            yield el, strip_furniture_suffix(text_of(el))
    for el in body.iter():
        if el in seen or not isinstance(el.tag, str):
            continue
        cid = classid(el)
        if cid.strip() and S.TITLE_CLASS_RE.search(cid):
            text = strip_furniture_suffix(text_of(el))
            if 8 <= len(text) <= 400:
                yield el, text


def _element_with_text(body: Element, text: str) -> Element | None:
    key = V.fold(text)
    for el in body.iter():
        if isinstance(el.tag, str) and el.text and len(el.text) >= len(text) - 5 and V.fold(el.text) == key:
            return el
    return None
