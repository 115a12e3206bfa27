"""Page classification: the language, and whether the page is an article at all (and if not, why).

A page that is not an article comes back with a reason: a listing (by the profile's URL rules, or a
body made of repeated teasers), an error or maintenance page served as a page (by their words, weighed
against the size of the body), no title, a body too short.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from crawler import markup as S
from crawler import vntext as V
from crawler.extract.blocks import Block, BodyBlocks
from crawler.extract.context import PageContext
from crawler.extract.dom import lang_code
from crawler.extract.region import Layout
from crawler.extract.title import strip_site_name

__all__ = ["Article", "language", "not_article_reason"]

_HOME_PATHS = ("", "/", "/index.html", "/index.htm", "/default.aspx", "/home")


@dataclass(frozen=True)
class Article:
    """The fields the classification weighs."""

    title: str | None
    body_text: str | None
    has_date: bool
    has_author: bool


def language(ctx: PageContext, body_text: str | None, title: str | None) -> str | None:
    """``vi`` when the text is Vietnamese; else the page's declared language, ``en`` for Latin text, or
    the profile's language."""
    sample = (body_text or "")[:3000] or (title or "")
    if sample and V.vietnamese_ratio(sample) >= 0.04:
        return "vi"
    declared = lang_code(ctx.doc.get("lang") or ctx.doc.get("{http://www.w3.org/XML/1998/namespace}lang"))
    declared = declared or lang_code(ctx.meta_first(S.META_LOCALE))
    if sample and declared and declared != "vi":
        return declared
    if sample and re.search(r"[a-zA-Z]{3}", sample):
        return declared or "en"
    return declared or (ctx.profile.language if ctx.profile else None)


def not_article_reason(ctx: PageContext, layout: Layout, body: BodyBlocks, blocks: Sequence[Block],
                       article: Article) -> str | None:
    """Why the page is not an article, or None when it is one."""
    opts = ctx.options
    text = article.body_text or ""
    paragraphs = sum(1 for b in blocks if b.kind in ("p", "quote", "li") and len(b.text) >= 40)
    strong = (len(text) >= opts.strong_article_chars and paragraphs >= opts.strong_article_paragraphs
              and (article.has_date or article.has_author))
    reason = _listing_by_url(ctx) or _error_or_maintenance(ctx, body, article.title, text, paragraphs, strong)
    if reason:
        return reason
    if not article.title:
        return "no title"
    reason = _listing_by_teasers(ctx, layout, blocks)
    if reason:
        return reason
    if not strong and urlsplit(ctx.url).path.lower() in _HOME_PATHS:
        return "listing page (home page)"
    if len(text) < opts.min_body_chars:
        if layout.facts.teaser_texts or (layout.title_el is None and len(layout.facts.anchor_texts) >= 10):
            return "listing page"
        return "body too short"
    return None


def _listing_by_url(ctx: PageContext) -> str | None:
    profile = ctx.profile
    if profile is not None and not profile.is_article_url(ctx.url):
        if profile.is_home(ctx.url):
            return "listing page (home page)"
        if profile.is_listing_url(ctx.url):
            return "listing page"
    return None


def _error_or_maintenance(ctx: PageContext, body: BodyBlocks, title: str | None, text: str, paragraphs: int,
                          strong: bool) -> str | None:
    """An error or maintenance page: on a small page their words anywhere decide; on a page with some
    text (a soft 404 whose sidebar was taken for a body) only a title made of those words does; an
    article *about* maintenance is none."""
    heads = [title or "", V.clean_text(ctx.doc.findtext(".//title") or ""), *body.h1_texts]
    heads = [strip_site_name(h, ctx.site_names) for h in heads if h and len(h) <= 160]
    if len(text) < ctx.options.small_body_chars or paragraphs < 2:
        texts = [text, body.region_text]
        if any(V.is_maintenance_text(t, title=True) for t in heads) or any(V.is_maintenance_text(t) for t in texts):
            return "maintenance page"
        for candidate, is_title in [(h, True) for h in heads] + [(t, False) for t in texts]:
            code = V.error_page_code(candidate, title=is_title)
            if code:
                return f"error page ({code})"
    elif not strong:
        for head in heads:
            if len(head) <= 60 and V.MAINTENANCE_TITLE_RE.search(head):
                return "maintenance page"
            if len(head) <= 60 and V.ERROR_TITLE_RE.search(head):
                return f"error page ({V.error_code(head)})"
    return None


def _listing_by_teasers(ctx: PageContext, layout: Layout, blocks: Sequence[Block]) -> str | None:
    """A body made of the items of a listing (teaser links, their dates and sapos)."""
    opts, facts = ctx.options, layout.facts
    content = [b for b in blocks if b.kind != "img"]
    listed = facts.anchor_texts | facts.teaser_texts
    starts = {key[:12] for key in listed}
    teasers = [b for b in content if listed and b.may_have_key(starts) and b.key in listed]
    teaser_chars = sum(len(b.text) for b in teasers)
    meta_chars = sum(len(b.text) for b in content if b not in teasers and V.is_meta_line(b.text, ctx.tz))
    total_chars = max(1, sum(len(b.text) for b in content))
    if len(teasers) >= opts.listing_min_teasers and (teaser_chars + meta_chars) >= opts.listing_teaser_share * total_chars:
        return "listing page"
    if teasers and teaser_chars + meta_chars >= opts.listing_whole_body_share * total_chars:
        # the "body" is one item of a listing (trafilatura took the first <article> of many)
        return "listing page"
    return None
