"""Byline finders: who signs the article (author) and where it comes from (source).

The page gives one byline: the first of the profile's author selector, a person named by JSON-LD or a
meta tag, an author-classed element inside the article. The body's own byline lines (its head and tail,
found by :mod:`crawler.extract.cleanup`) and a line right after the body that trafilatura left out
(:func:`after_body`) add pairs; ``candidates.resolve_each`` takes, for author and for source, the first
pair that has one, in the order of ``PRIORITY["byline"]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from crawler import vntext as V
from crawler.extract.blocks import Block
from crawler.extract.candidates import Candidate
from crawler.extract.cleanup import Byline
from crawler.extract.context import PageContext, jsonld_names
from crawler.extract.dom import Element, find_all, text_of
from crawler.extract.region import Layout, in_teaser

__all__ = ["after_body", "page_byline"]


def page_byline(ctx: PageContext, layout: Layout) -> Candidate[Byline] | None:
    """The page's own byline: the first of its selector, JSON-LD, meta tags, author-classed elements."""
    finders = (_hinted, _jsonld_person, _meta_person, _byline_element)
    return next((found for finder in finders for found in finder(ctx, layout)), None)


def _hinted(ctx: PageContext, layout: Layout) -> Iterator[Candidate[Byline]]:
    for el in ctx.selected(ctx.hints.author):
        text = V.clean_text(text_of(el))
        if text:
            parsed = V.parse_author_line(text, strong=True, bylines=ctx.bylines)
            yield Candidate(Byline(parsed.author, parsed.source) if parsed else Byline(text, None), "hint")
            return


def _persons(ctx: PageContext, names: Sequence[str], source: str) -> Iterator[Candidate[Byline]]:
    """The first name that reads as a person's (not a URL, not the site's own name)."""
    for name in names:
        if name.startswith("http") or V.fold(name) in ctx.site_names:
            continue
        if V.looks_like_person(name, strict=False):
            yield Candidate(Byline(name, None), source)
            return


def _jsonld_person(ctx: PageContext, layout: Layout) -> Iterator[Candidate[Byline]]:
    article = ctx.article_ld
    return _persons(ctx, jsonld_names(article.get("author")) if article else [], "jsonld")


def _meta_person(ctx: PageContext, layout: Layout) -> Iterator[Candidate[Byline]]:
    names = [*ctx.meta.get("author", ()), *ctx.meta.get("article:author", ()), *ctx.meta.get("dc.creator", ())]
    return _persons(ctx, names, "meta")


def _byline_element(ctx: PageContext, layout: Layout) -> Iterator[Candidate[Byline]]:
    """An author-classed element's line, if the article region shows it (not a sidebar's "featured
    author" box)."""
    for text in layout.facts.byline_texts:  # shortest first
        for line in text.split("\n"):
            parsed = V.parse_author_line(line, strong=True, bylines=ctx.bylines)
            if parsed and parsed.author:
                key = V.fold(line)
                # shown word for word (no need to fold the long region text), or with other spacing or marks
                if key and (line in layout.region_text() or key in layout.region_key):
                    yield Candidate(Byline(parsed.author, parsed.source), "byline-element")
                    return


def after_body(ctx: PageContext, layout: Layout, blocks: Sequence[Block]) -> Iterator[Candidate[Byline]]:
    """The author/source line right after the body when trafilatura left it out (it sits outside the
    body's container: `<div class="content">...</div><p align="right"><b>Name</b></p>`)."""
    last = next((b.last_line for b in reversed(blocks) if b.kind != "img" and len(b.last_line) >= 20), None)
    if last is None:
        return
    words = last[-60:].split()[1:] or last.split()
    pattern = r"\s+".join(re.escape(w) for w in words)
    # the last occurrence: the body's end, not a teaser quoting its start
    m = next(reversed(list(re.finditer(pattern, layout.doc_text))), None)
    if m is None:
        return
    start, stop = m.end(), m.end() + ctx.options.byline_window
    between = layout.doc_text[start:stop]
    marker = next((lm.start() for lm in re.finditer(r"[^\n]+", between) if V.is_end_marker(lm.group().strip())), None)
    if marker is not None:
        stop = start + marker
    candidates = sorted(((s0, el) for el, (s0, _s1) in layout.spans.items()
                         if start <= s0 < stop and isinstance(el.tag, str) and el.tag not in ("a", "body", "html")),
                        key=lambda c: c[0])
    for _pos, el in candidates:
        text = V.clean_text(text_of(el))
        if not 2 <= len(text) <= 160 or in_teaser(el):
            continue
        marked = _marked_as_byline(layout, el, text)
        parsed = V.parse_author_line(text, strong=marked, bylines=ctx.bylines)
        if parsed is None:
            continue
        if parsed.author and not marked and not V.AUTHOR_LABEL_RE.match(text):
            continue  # an unmarked capitalised line after the body may be anything
        yield Candidate(Byline(parsed.author, parsed.source), "after-body")
        return


def _marked_as_byline(layout: Layout, el: Element, text: str) -> bool:
    """Bold, right-aligned or author-classed: how pages set a byline apart."""
    key = V.fold(text)
    if key in layout.facts.right_texts or key in layout.facts.byline_keys:
        return True
    bold = "".join(x.text_content() for x in find_all(el, "self::b|self::strong|.//b|.//strong"))
    return len(V.clean_text(bold)) >= 0.8 * len(text)
