"""Metadata finders: dates, views, tags, category and lead, each source a finder of candidates.

Each ``*_finders`` function maps the sources of one field to functions that find that source's
candidates; :mod:`crawler.extract.candidates` asks them in the documented order. Sources: the profile's
selectors (``hint``), meta tags, JSON-LD, portal markup, and Vietnamese text patterns near the title
(:mod:`crawler.vntext`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime

from crawler import markup as S
from crawler import vntext as V
from crawler.extract.candidates import Candidate, Finders
from crawler.extract.context import PageContext, jsonld_names, jsonld_types
from crawler.extract.dom import Element, classid, contains, find_all, text_of, text_upto
from crawler.extract.region import Layout, in_teaser

__all__ = [
    "category_finders",
    "date_warnings",
    "find_views",
    "lead_finders",
    "modified_finders",
    "published_finders",
    "tag_finders",
]

DateCandidate = Candidate[tuple[datetime, bool]]


# -- dates ------------------------------------------------------------------------------------------


def published_finders(ctx: PageContext, layout: Layout) -> Finders[tuple[datetime, bool]]:
    """Where the publication date may be, by source."""
    after, before = layout.near_title(ctx.options.date_window_after, ctx.options.date_window_before, ctx.body)
    article = ctx.article_ld
    return {
        "hint": lambda: _dates_of(ctx, ctx.selected(ctx.hints.date), "hint"),
        "meta": lambda: _iso_dates(ctx, (v for name in S.META_PUBLISHED for v in ctx.meta.get(name, ())), "meta"),
        "jsonld": lambda: _iso_dates(ctx, [str(article.get("datePublished") or "")] if article else [], "jsonld"),
        "portal-markup": lambda: _dates_of(ctx, [el for xp in S.KNOWN_DATE_XPATHS for el in find_all(ctx.doc, xp)
                                                 if layout.in_region(el)], "portal-markup"),
        "text-after-title": lambda: _dated(_date_in(ctx, after), "text-after-title"),
        "time-element": lambda: _dates_of(ctx, layout.region.iter("time"), "time-element"),
        "text-before-title": lambda: _dated(_date_in(ctx, before) if before else None, "text-before-title"),
        "date-class": lambda: _date_class_dates(ctx, layout),
    }


def modified_finders(ctx: PageContext, layout: Layout) -> Finders[tuple[datetime, bool]]:
    """Where the modified date may be: meta tags, JSON-LD, an "updated" label after the title."""
    article = ctx.article_ld

    def labelled() -> Iterator[DateCandidate]:
        after, _before = layout.near_title(ctx.options.date_window_after, ctx.options.date_window_before, ctx.body)
        m = V.UPDATED_PREFIX_RE.search(after)
        if m:
            found = V.find_dates(after[m.end(): m.end() + 60], ctx.tz)
            if found:
                yield Candidate((found[0].value, found[0].has_time), "text-updated")

    return {
        "meta": lambda: _iso_dates(ctx, (v for name in S.META_MODIFIED for v in ctx.meta.get(name, ())), "meta"),
        "jsonld": lambda: _iso_dates(ctx, [str(article.get("dateModified") or "")] if article else [], "jsonld"),
        "text-updated": labelled,
    }


def date_warnings(published: datetime | None, modified: datetime | None, fetched_at: datetime | None,
                  ctx: PageContext) -> list[str]:
    """What is odd about the dates: a publication after the fetch, a modification before publication."""
    warnings = []
    if published and fetched_at:
        fetched = fetched_at if fetched_at.tzinfo else fetched_at.replace(tzinfo=ctx.tz)
        if (published - fetched).total_seconds() > 86400:
            warnings.append("publication date is in the future of the fetch time")
    if published and modified and modified < published:
        warnings.append("modified date is before the publication date")
    return warnings


def _dated(found: V.DateMatch | None, source: str) -> Iterator[DateCandidate]:
    if found is not None:
        yield Candidate((found.value, found.has_time), source)


def _iso_dates(ctx: PageContext, values: Iterable[str], source: str) -> Iterator[DateCandidate]:
    for value in values:
        found = V.parse_iso_datetime(value, ctx.tz)
        if found:
            yield Candidate(found, source)


def _dates_of(ctx: PageContext, elements: Iterable[Element], source: str) -> Iterator[DateCandidate]:
    for el in elements:
        found = _date_of_element(ctx, el)
        if found:
            yield Candidate(found, source)


def _date_of_element(ctx: PageContext, el: Element) -> tuple[datetime, bool] | None:
    for attr in ("datetime", "content", "title"):
        value = el.get(attr)
        if value:
            found = V.parse_iso_datetime(value, ctx.tz)
            if found:
                return found
    dm = V.find_dates(text_of(el), ctx.tz)
    return (dm[0].value, dm[0].has_time) if dm else None


def _date_in(ctx: PageContext, text: str, *, short_lines: bool = True) -> V.DateMatch | None:
    """The first date in ``text`` that stands on a short line (a date inside a sentence of the lead or
    body is a date the article cites, not its publication date). A date labelled "Cập nhật" (updated)
    is taken only when there is no other: many CMSs label the publication time so."""
    updated = None
    for dm in V.find_dates(text, ctx.tz):
        if not short_lines:
            return dm
        if updated is not None and dm.start - updated.end > ctx.options.updated_lookahead:
            break
        line_start = text.rfind("\n", 0, dm.start) + 1
        line_end = text.find("\n", dm.end)
        line = V.clean_text(text[line_start: line_end if line_end >= 0 else len(text)])
        if len(line) > 140:
            continue
        if V.UPDATED_LABEL_RE.search(text[line_start:dm.start]):
            updated = updated or dm
            continue
        return dm
    return updated


def _date_class_dates(ctx: PageContext, layout: Layout) -> Iterator[DateCandidate]:
    """Dates in date-classed elements of the region: not a "today is ..." bar above the title, nor the
    date of a teaser."""
    title_start = (layout.span(layout.title_el) or (0, 0))[0]
    for el in layout.region.iter():
        if isinstance(el.tag, str) and S.DATE_CLASS_RE.search(classid(el)):
            if (layout.span(el) or (0, 0))[0] < title_start - ctx.options.date_window_before or in_teaser(el):
                continue
            text = text_upto(el, 120)
            if text is not None and len(text) >= 6:
                yield from _dated(_date_in(ctx, text, short_lines=False), "date-class")


# -- views --------------------------------------------------------------------------------------------


def find_views(ctx: PageContext, layout: Layout) -> Finders[int]:
    """Where the view counter may be: the profile's selector, else the counter text after the title."""
    return {"hint": lambda: _hinted_views(ctx), "text": lambda: _views_in_text(ctx, layout)}


def _hinted_views(ctx: PageContext) -> Iterator[Candidate[int]]:
    for el in ctx.selected(ctx.hints.views):
        text = text_of(el)
        n = V.parse_views(text)
        if n is None and re.fullmatch(r"[\d.,\s]+", text or "x"):
            n = int(re.sub(r"\D", "", text))
        if n is not None:
            yield Candidate(n, "hint")
            return


def _views_in_text(ctx: PageContext, layout: Layout) -> Iterator[Candidate[int]]:
    """The article's own view counter: the first counter after the title, inside the content region if
    there is one there, that is not part of a teaser (`<li><a>Other article</a> 24.512 lượt xem</li>` in a
    "most read" box)."""
    found: list[tuple[int, Element, int]] = []
    seen: set[Element] = set()
    for node in find_all(ctx.body, S.VIEWS_TEXT_XPATH):
        el = node.getparent()
        if el is not None and getattr(node, "is_tail", False):
            el = el.getparent()
        for _ in range(3):
            if el is None or el in seen:
                break
            text = text_upto(el, 200)  # a counter's line, not a container's text
            if text is None:
                break
            n = V.parse_views(text)
            if n is not None:
                seen.add(el)
                if not in_teaser(el):
                    found.append(((layout.span(el) or (0, 0))[0], el, n))
                break
            el = el.getparent()
    if not found:
        return
    found.sort(key=lambda f: f[0])
    title = layout.span(layout.title_el)
    after = [f for f in found if title is None or f[0] >= title[0]]
    in_region = [f for f in after if layout.in_region(f[1])]
    yield Candidate((in_region or after or found)[0][2], "text")


# -- tags ---------------------------------------------------------------------------------------------


def tag_finders(ctx: PageContext, layout: Layout, body_tags: list[str]) -> Finders[list[str]]:
    """Where the tags may be; a source whose tags are all unusable (empty, too long) gives none."""
    article = ctx.article_ld

    def meta() -> list[str]:
        tags: list[str] = []
        for name in S.META_TAG:
            for value in ctx.meta.get(name, ()):
                tags += V.split_tags(value) if name != "article:tag" else [value]
        return tags

    def jsonld() -> list[str]:
        kw = article.get("keywords") if article else None
        if isinstance(kw, str):
            return V.split_tags(kw)
        return [V.clean_text(str(k)) for k in kw] if isinstance(kw, list) else []

    def hinted() -> list[str]:
        return [t for el in ctx.selected(ctx.hints.tags) for t in (_link_texts(el) or V.split_tags(text_of(el)))]

    return {
        "hint": lambda: _tag_candidate(hinted(), "hint"),
        "meta": lambda: _tag_candidate(meta(), "meta"),
        "jsonld": lambda: _tag_candidate(jsonld(), "jsonld"),
        "markup": lambda: _tag_candidate(_tags_from_dom(layout.region), "markup"),
        "body-line": lambda: _tag_candidate(body_tags, "body-line", tidy=False),  # vntext tidied them
    }


def _tag_candidate(tags: list[str], source: str, *, tidy: bool = True) -> Iterator[Candidate[list[str]]]:
    kept = dedupe_tags(tags) if tidy else tags
    if kept:
        yield Candidate(kept, source)


def _link_texts(el: Element) -> list[str]:
    return [t for t in (V.clean_text(text_of(a)) for a in el.iter("a")) if t]


def _tags_from_dom(region: Element) -> list[str]:
    rel_tags = [V.clean_text(text_of(a)) for a in find_all(region, S.TAG_LINK_XPATH)]
    if rel_tags:
        return rel_tags
    for el in region.iter():
        if not isinstance(el.tag, str) or not el.text or not el.text.strip():
            continue
        own = el.text.strip()
        if V.TAG_LABEL_RE.match(own) or V.TAG_LINE_RE.match(own):
            holder = el if el.find(".//a") is not None else el.getparent()
            links = _link_texts(holder) if holder is not None else []
            if links:
                return [t for t in links if not V.TAG_LABEL_RE.match(t)]
            parsed = V.parse_tag_line(text_of(el))
            if parsed:
                return parsed
    for el in region.iter():
        if isinstance(el.tag, str) and el.tag not in ("a", "body") and S.TAGS_CLASS_RE.search(classid(el)):
            links = _link_texts(el)
            if links and len(links) <= 30:
                return [t for t in links if not V.TAG_LABEL_RE.match(t)]
    return []


def dedupe_tags(tags: Iterable[str]) -> list[str]:
    """Tags tidied (labels, stray punctuation), at most 80 characters, without case-folded repeats."""
    out: list[str] = []
    seen: set[str] = set()
    for tag in tags:
        tag = V.clean_text(tag).strip(" #,;.")
        tag = re.sub(r"^(?:Từ\s+khó?a|Tags?|Thẻ)\s*[:：]\s*", "", tag, flags=re.IGNORECASE)
        if tag and len(tag) <= 80 and tag.casefold() not in seen:
            seen.add(tag.casefold())
            out.append(tag)
    return out


# -- category -----------------------------------------------------------------------------------------


def category_finders(ctx: PageContext, title: str | None) -> Finders[str]:
    """Where the category may be: selectors, meta, JSON-LD, breadcrumbs, category links, the URL."""

    def named(items: Iterable[str], source: str) -> Iterator[Candidate[str]]:
        for item in items:
            if _is_category_name(ctx, item, title):
                yield Candidate(V.clean_text(item), source)
                return

    def hinted() -> Iterator[Candidate[str]]:
        for el in ctx.selected(ctx.hints.category):
            yield from named(reversed(_link_texts(el) or [text_of(el)]), "hint")

    article = ctx.article_ld
    return {
        "hint": hinted,
        "meta": lambda: _present(ctx.meta_first(S.META_SECTION[:1]), "meta"),
        "jsonld": lambda: _present(next(iter(jsonld_names(article["articleSection"])), None)
                                   if article and article.get("articleSection") else None, "jsonld"),
        "jsonld-breadcrumb": lambda: (c for names in _jsonld_crumbs(ctx) for c in named(reversed(names), "jsonld-breadcrumb")),
        "breadcrumb": lambda: named(reversed(_breadcrumb_items(ctx.body)), "breadcrumb"),
        "rel-category": lambda: named((text_of(a) for a in find_all(ctx.body, S.CATEGORY_LINK_XPATH)), "rel-category"),
        "url": lambda: _present(ctx.profile.category_of(ctx.url) if ctx.profile else None, "url"),
    }


def _present(value: str | None, source: str) -> Iterator[Candidate[str]]:
    if value:
        yield Candidate(value, source)


def _is_category_name(ctx: PageContext, text: str, title: str | None) -> bool:
    key = V.fold(text)
    if not key or len(text) > 80:
        return False
    if key in ("trang chu", "home", "trang nhat") or key in ctx.site_names:
        return False
    return key != V.fold(title or "")


def _jsonld_crumbs(ctx: PageContext) -> Iterator[list[str]]:
    """The names of each JSON-LD breadcrumb list (the last is the nearest)."""
    for item in ctx.jsonld:
        if "breadcrumblist" not in jsonld_types(item):
            continue
        elements = item.get("itemListElement") or []
        names = []
        for entry in elements if isinstance(elements, list) else []:
            if isinstance(entry, dict):
                inner = entry.get("item")
                name = (entry.get("name") or inner.get("name")) if isinstance(inner, dict) else entry.get("name")
                if name:
                    names.append(V.clean_text(str(name)))
        yield names


def _breadcrumb_items(body: Element) -> list[str]:
    """The items of the page's breadcrumb, nearest last."""
    crumbs = [el for el in body.iter() if isinstance(el.tag, str) and S.BREADCRUMB_CLASS_RE.search(classid(el))]
    menu_items = [el for el in crumbs if el.tag == "li"]
    if len(menu_items) >= 2 and all(el.find(".//li") is not None or el.find("a") is not None for el in menu_items):
        # DotNetNuke-style menus mark the selected path's <li> with "breadcrumb": their own links
        return [text_of(a) for el in menu_items if (a := el.find(".//a")) is not None]
    if not crumbs:
        return []
    items = _link_texts(crumbs[0])
    text = text_of(crumbs[0])
    if len(items) < 2:
        return [p for p in V.BREADCRUMB_SEPARATOR_RE.split(text) if p.strip()]
    last = V.BREADCRUMB_SEPARATOR_RE.split(text.strip())[-1]
    if last and V.fold(last) != V.fold(items[-1]):
        items.append(last)  # the current page's crumb is often plain text
    return items


# -- lead ---------------------------------------------------------------------------------------------


def lead_finders(ctx: PageContext, layout: Layout, title: str | None) -> Finders[str]:
    """Where the lead (sapo) may be on the page; the body's bold first paragraph is added by cleanup."""

    def hinted() -> Iterator[Candidate[str]]:
        for el in ctx.selected(ctx.hints.lead):
            text = V.clean_text(text_of(el))
            if text:
                yield Candidate(text, "hint")
                return

    description = ctx.meta_first(S.META_DESCRIPTION)
    ld_description = None
    if description is None and ctx.article_ld and isinstance(ctx.article_ld.get("description"), str):
        ld_description = V.clean_text(ctx.article_ld["description"])
    return {
        "hint": hinted,
        "lead-class": lambda: _lead_classed(layout),
        "meta": lambda: _described(ctx, layout, title, description, "meta"),
        "jsonld": lambda: _described(ctx, layout, title, ld_description, "jsonld"),
    }


def _lead_classed(layout: Layout) -> Iterator[Candidate[str]]:
    total = layout.weights.get(layout.region, 0)
    for el in layout.region.iter():
        if not isinstance(el.tag, str) or el.tag in ("body", "html", "a"):
            continue
        if S.LEAD_CLASS_RE.search(classid(el)):
            text = V.clean_text(text_of(el))
            if 30 <= len(text) <= 1200 and layout.weights.get(el, 0) < 0.6 * max(total, 1):
                if layout.title_el is None or not contains(el, layout.title_el):
                    yield Candidate(text, "lead-class")
                    return


def _described(ctx: PageContext, layout: Layout, title: str | None, desc: str | None,
               source: str) -> Iterator[Candidate[str]]:
    """The description as lead, unless it is the title or the site's; a site-wide description ("Cổng
    thông tin điện tử ...") is not a lead: accept it when the page says it is an article, or when the
    article region shows it."""
    if not desc or len(desc) < 30 or V.fold(desc) == V.fold(title or "") or V.fold(desc) in ctx.site_names:
        return
    if ctx.page_typed_article or ctx.article_ld:
        yield Candidate(desc, source)
        return
    shown = desc.rstrip(".… ")
    stem = V.fold(shown)[:60]
    # the region shows it: shown word for word (then its folded stem is in the folded region too, and the
    # long region text need not be folded), or shown with other spacing, case or marks
    if stem and (shown in layout.region_text() or stem in layout.region_key):
        yield Candidate(desc, source)
