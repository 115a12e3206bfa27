"""Extraction: (url, html, profile) -> Extraction. Pure: no Scrapy, no database, no network.

The stages, one module each, the way trafilatura is laid out::

    bytes -> context   a frozen parsed page: decoded (crawler.decoding), NFC, invisible characters out,
                       lxml tree, meta tags, JSON-LD, the site's names, the profile's hints and options
          -> title     the title and the element that shows it
          -> region    the page's text with offsets, DOM facts (links, teasers, bylines, captions), the
                       content region: the title's nearest ancestor holding most of the prose
          -> metadata  dates, views, tags, category, lead: candidates by source (byline: the page's byline)
          -> blocks    the region cut out of a copy of the page, trafilatura on it, its XML as blocks
          -> cleanup   block rules: head, lead, middle, tail (bylines, lead and tags back as candidates),
                       captions onto images
          -> render    body_text, body_markdown
          -> classify  the language; a listing, an error or maintenance page, no title, too short

Each field's finders return candidates labelled with their source; :mod:`crawler.extract.candidates`
holds the priority of the sources (profile selectors > meta / JSON-LD > Vietnamese text patterns, with
its documented exceptions) and the resolvers that apply it. Tunables are :class:`ExtractOptions`, which a
profile's hints may override. Selectors are constants in :mod:`crawler.markup`, text patterns in
:mod:`crawler.vntext`, charset handling in :mod:`crawler.decoding`.

``extract`` never raises for bad markup: oddities become warnings, a page that is not an article comes
back with ``not_article`` set, and an unexpected failure inside becomes ``not_article="extraction
failed"`` with the exception in ``warnings``.

Example::

    >>> ex = extract("https://www.xaydungdang.org.vn/ly-luan-thuc-tien/bai-12346", page_bytes)  # doctest: +SKIP
    >>> ex.title, ex.to_dict()["published_at"], ex.views  # doctest: +SKIP
    ('...', '2019-10-15T07:07:00+07:00', 1091)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from crawler.extract import blocks, byline, classify, cleanup, context, metadata, region, render, title
from crawler.extract.candidates import Candidate, resolve, resolve_date, resolve_each
from crawler.extract.options import DEFAULT_OPTIONS, ExtractOptions
from crawler.extract.record import EXTRACTOR_VERSION, Extraction, Image

if TYPE_CHECKING:
    from crawler.sites import SiteProfile

__all__ = ["DEFAULT_OPTIONS", "EXTRACTOR_VERSION", "ExtractOptions", "Extraction", "Image", "extract"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


def extract(
    url: str,
    html: bytes | str,
    profile: SiteProfile | None = None,
    *,
    fetched_at: datetime | None = None,
    headers: dict[str, str] | None = None,
) -> Extraction:
    """Extract the article at ``url`` from ``html``. Never raises for bad markup: a page that is not an
    article comes back with ``not_article`` set, and oddities go to ``warnings``."""
    result = Extraction(url=url)
    try:
        _extract_into(result, html, profile, fetched_at, headers)
    except Exception as exc:  # the contract: bad markup never raises; the capture is then rejected
        logger.exception("extraction failed for %s", url)
        result.warnings.append(f"extraction failed: {type(exc).__name__}: {exc}")
        if result.not_article is None:
            result.not_article = "extraction failed"
    return result


def _extract_into(r: Extraction, html: bytes | str, profile: SiteProfile | None, fetched_at: datetime | None,
                  headers: Mapping[str, str] | None) -> None:
    """The stages in order; each field is written as soon as it is resolved (a failure keeps the rest)."""
    ctx = context.build_context(r.url, html, profile, headers, r.warnings)
    if ctx is None:
        r.not_article = "empty page"
        return
    found_title = _take(r, "title", title.find_title(ctx))
    r.title = found_title.text if found_title else None
    layout = region.build_layout(ctx, r.title, found_title.element if found_title else None)
    r.published_at = _take(r, "published_at", resolve_date("published_at", metadata.published_finders(ctx, layout), ctx.tz))
    if r.published_at is None:
        r.warnings.append("no publication date found")
    r.modified_at = _take(r, "modified_at", resolve_date("modified_at", metadata.modified_finders(ctx, layout), ctx.tz))
    r.views = _take(r, "views", resolve("views", metadata.find_views(ctx, layout)))
    r.category = _take(r, "category", resolve("category", metadata.category_finders(ctx, r.title)))
    page_lead = resolve("lead", metadata.lead_finders(ctx, layout, r.title))
    _body_into(r, ctx, layout, page_lead)
    r.language = classify.language(ctx, r.body_text, r.title)
    r.warnings.extend(metadata.date_warnings(r.published_at, r.modified_at, fetched_at, ctx))


def _body_into(r: Extraction, ctx: context.PageContext, layout: region.Layout, page_lead: Candidate[str] | None) -> None:
    """The body and the fields its lines give (byline, lead, tags), then the classification."""
    body = blocks.body_blocks(ctx, layout)
    r.warnings.extend(body.warnings)
    clean = cleanup.clean_body(body.blocks, ctx, layout.facts, title=r.title, category=r.category,
                               page_lead=page_lead.value if page_lead else None)
    r.warnings.extend(clean.warnings)
    _bylines_into(r, ctx, layout, clean)
    r.lead = _take(r, "lead", page_lead or clean.lead)
    r.tags = _take(r, "tags", resolve("tags", metadata.tag_finders(ctx, layout, clean.tags))) or []
    final, r.images = cleanup.attach_images(clean.blocks, layout.facts.captions, r.title)
    r.body_text, r.body_markdown = render.render(final, ctx.options.max_heading_chars)
    article = classify.Article(title=r.title, body_text=r.body_text, has_date=r.published_at is not None,
                               has_author=r.author is not None)
    r.not_article = classify.not_article_reason(ctx, layout, body, final, article)


def _bylines_into(r: Extraction, ctx: context.PageContext, layout: region.Layout, clean: cleanup.CleanBody) -> None:
    """Author and source: for each, the first byline pair that names one, in priority order."""
    page = byline.page_byline(ctx, layout)
    finders = {
        **({page.source: lambda: [page]} if page is not None else {}),
        "head-line": lambda: [c for c in clean.bylines if c.source == "head-line"],
        "tail-line": lambda: [c for c in clean.bylines if c.source == "tail-line"],
        # only asked when author or source is still missing: it searches the page's text
        "after-body": lambda: byline.after_body(ctx, layout, clean.blocks) if clean.blocks else [],
    }
    chosen = resolve_each("byline", finders, keys=("author", "source"), get=lambda pair, key: getattr(pair, key))
    author, source = _take(r, "author", chosen.get("author")), _take(r, "source", chosen.get("source"))
    r.author = author.author if author else None
    r.source = source.source if source else None


def _take(r: Extraction, name: str, cand: Candidate[T] | None) -> T | None:
    """The value of a resolved candidate, its source noted in ``field_sources`` and its warning kept."""
    if cand is None:
        return None
    r.field_sources[name] = cand.source
    if cand.warning:
        r.warnings.append(cand.warning)
    return cand.value
