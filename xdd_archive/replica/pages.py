"""Routing and rendering: which page a site path is, and the response that page gets.

:class:`Pages` reads the :class:`~xdd_archive.replica.state.SiteState` (under its lock) and renders with
the current theme: home page, category listings, articles (with weak ETags, Last-Modified and 304s, and
as the stale edge has them), robots.txt, sitemap, RSS, images and CSS, error pages, and the pages that
replace the normal answer for the faults ``500``, ``503``, ``429``, ``maintenance`` and ``offhost-302``.
Absolute URLs follow the host the request named (:class:`SiteRequest` ``base``), so the twin hosts each
see their own. The faults that cut bodies are applied afterwards (``replica/faults.py``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from hashlib import sha1
from html import escape
from urllib.parse import parse_qs, unquote

from xdd_archive.replica.content import CATEGORIES, Article, Block
from xdd_archive.replica.faults import Fault, offhost_location
from xdd_archive.replica.response import Response
from xdd_archive.replica.state import SiteState
from xdd_archive.replica.themes import (
    ArticlePage,
    Link,
    ListingPage,
    PageContext,
    SiteStats,
    Theme,
    get_theme,
    robots_txt,
    rss_xml,
    sitemap_xml,
)

__all__ = ["HTML", "Pages", "Route", "SiteRequest", "normalise"]

HTML = "text/html; charset=utf-8"
_IMAGE_RE = re.compile(r"/(?:Uploads|uploads|Portals|images)/.+\.(?:jpe?g|png|gif|webp)", re.I)
_STATIC_RE = re.compile(r"/(?:App_Themes|assets|Portals)/.+\.css", re.I)
# the smallest valid GIF (1x1, transparent): every image URL of the site answers with it
_GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
_FIXED_ROUTES = {"/": "home", "/robots.txt": "robots", "/sitemap.xml": "sitemap", "/rss": "rss", "/rss.xml": "rss"}


@dataclass(frozen=True)
class Route:
    """What a path is: ``kind`` home, listing, article, robots, sitemap, rss, image, css or notfound."""

    kind: str
    category: str | None = None
    article_id: int | None = None


@dataclass(frozen=True)
class SiteRequest:
    """One request for a site page: ``path`` without the query; ``base`` the base URL of the host asked."""

    method: str
    path: str
    query: str
    headers: Message
    base: str
    port: int


def normalise(path: str) -> str:
    """A path as the site's router reads it: decoded, runs of ``/`` collapsed, no trailing ``/``."""
    return re.sub(r"/{2,}", "/", unquote(path)).rstrip("/") or "/"


def _http_date(dt: datetime) -> str:
    return format_datetime(dt.astimezone(UTC), usegmt=True)


def not_modified(headers: Message, etag: str, modified: datetime) -> bool:
    """True when a conditional request's validators still match (RFC 9110 13.1)."""
    inm = headers.get("If-None-Match")
    if inm is not None:
        # weak comparison (RFC 9110 13.1.2); If-None-Match wins over If-Modified-Since
        wanted = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in wanted or etag.removeprefix("W/") in wanted
    ims = headers.get("If-Modified-Since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError, IndexError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return since >= modified
    return False


def _link(a: Article, path: str, *, lead: bool = False) -> Link:
    title = unicodedata.normalize(a.unicode_form, a.title)
    text = unicodedata.normalize(a.unicode_form, a.lead) if lead else None
    return Link(title, path, a.published_at, text, a.category)


class Pages:
    """The site's pages over one state, in one theme at a time (``set_theme`` switches at runtime)."""

    def __init__(self, state: SiteState, theme: str, *, per_page: int, home_items: int, feed_items: int) -> None:
        self.state = state
        self.theme: Theme = get_theme(theme)
        self.per_page = per_page
        self.home_items = home_items
        self.feed_items = feed_items
        #: site responses rendered so far (the visitor widget's numbers move with it)
        self.served = 0
        self._cache: dict[tuple[str, str], bytes] = {}
        self._cache_generation = -1

    @property
    def theme_name(self) -> str:
        """The current theme's name."""
        return self.theme.name

    def set_theme(self, name: str) -> None:
        """Render every page in theme ``name`` from now on (ConfigError for an unknown one)."""
        self.theme = get_theme(name)
        self.state.changed()

    def route(self, path: str) -> Route:
        """What ``path`` is (any query already removed)."""
        path = normalise(path)
        if path in _FIXED_ROUTES:
            return Route(_FIXED_ROUTES[path])
        if path[1:] in CATEGORIES:
            return Route("listing", category=path[1:])
        art_id = self.state.route(path)
        if art_id is not None:
            return Route("article", article_id=art_id)
        if _IMAGE_RE.fullmatch(path):
            return Route("image")
        if _STATIC_RE.fullmatch(path):
            return Route("css")
        return Route("notfound")

    def respond(self, req: SiteRequest, route: Route, fault: Fault | None) -> Response:
        """The response to a site request, before any body fault (call under the state's lock)."""
        mode = fault.mode if fault is not None else None
        ctx = self._context(meta_charset=mode != "wrong-charset", base_url=req.base)
        replaced = self._fault_page(req, fault, ctx)
        if replaced is not None:
            return replaced
        if route.kind == "article" and route.article_id is not None:
            stale = mode == "stale-edge" and fault is not None and fault.stale
            art = self.state.article(route.article_id)
            resp, content_type = self._article(art, req, ctx, stale=stale), HTML
        elif route.kind in ("home", "listing"):
            resp, content_type = self._listing(route.category, req.query, ctx), HTML
        else:
            resp, content_type = self._other(route.kind, req.base, ctx)
        if mode == "wrong-charset":
            content_type = content_type.replace("charset=utf-8", "charset=windows-1252")
        if resp.status != 304:
            resp.headers.append(("Content-Type", content_type))
        if content_type.startswith("text/html"):
            resp.headers.extend(self.theme.extra_headers)
        return resp

    # -- pages ----------------------------------------------------------------------------------------

    def _fault_page(self, req: SiteRequest, fault: Fault | None, ctx: PageContext) -> Response | None:
        """The page that replaces the answer for an error, maintenance or off-host fault; else None."""
        mode = fault.mode if fault is not None else None
        if mode in ("500", "503", "429"):
            resp = self._error(int(mode), ctx)
            if mode != "500":
                resp.headers.append(("Retry-After", "1"))
        elif mode == "maintenance":
            resp = Response(200, self.theme.maintenance(ctx).encode("utf-8"))
        elif fault is not None and mode == "offhost-302":
            resp = self.redirect(offhost_location(fault, req.port, req.path), req.base, status=302)
        else:
            return None
        resp.headers.append(("Content-Type", HTML))
        return resp

    def _other(self, kind: str, base: str, ctx: PageContext) -> tuple[Response, str]:
        """(response, content type) of robots.txt, sitemap, feed, image, CSS, or the 404 page."""
        if kind == "robots":
            return Response(200, robots_txt(base).encode("utf-8")), "text/plain; charset=utf-8"
        if kind == "sitemap":
            return Response(200, self._cached("sitemap", base)), "application/xml; charset=utf-8"
        if kind == "rss":
            return Response(200, self._cached("rss", base)), "application/rss+xml; charset=utf-8"
        if kind == "image":
            return Response(200, _GIF, [("Cache-Control", "max-age=86400")]), "image/gif"
        if kind == "css":
            return Response(200, b"/* replica */\n"), "text/css; charset=utf-8"
        return self._error(404, ctx), HTML

    def _error(self, status: int, ctx: PageContext) -> Response:
        return Response(status, self.theme.error(status, ctx).encode("utf-8"))

    @staticmethod
    def redirect(location: str, base: str, status: int = 301) -> Response:
        """A redirect to ``location``; a path stays on the host the client used (``base``)."""
        if location.startswith("/"):
            location = base + location
        body = (
            "<html><head><title>Object moved</title></head><body>"
            f'<h2>Object moved to <a href="{escape(location)}">here</a>.</h2></body></html>'
        ).encode()
        return Response(status, body, [("Location", location)])

    def _article(self, art: Article, req: SiteRequest, ctx: PageContext, *, stale: bool) -> Response:
        """An article's page; ``stale``: as the stale edge has it (its version before the last edit)."""
        if art.redirect_to is not None:
            return self.redirect(art.redirect_to, req.base)
        if art.status == "gone":
            return self._error(art.gone_status, ctx)
        current = self.state.path(art)
        if normalise(req.path) != current:
            return self.redirect(current, req.base)
        shown = (self.state.previous(art.id) or art) if stale else art
        # the theme is part of the ETag: a redesign changes every page's bytes, though no article changed
        digest = sha1(f"{shown.id}:{shown.version}:{shown.unicode_form}:{self.theme.name}".encode()).hexdigest()[:20]
        etag = f'W/"{digest}"'
        validators = [("ETag", etag), ("Last-Modified", _http_date(shown.modified_at))]
        if not_modified(req.headers, etag, shown.modified_at):
            return Response(304, b"", validators)
        if req.method == "GET" and shown is art:
            # the stale edge answers from its cache: the origin's counter never sees the request
            art.views += 1
        html = self.theme.article(self._article_page(shown, current), ctx)
        return Response(200, html.encode("utf-8"), validators, body_span=self._byte_span(html))

    def _byte_span(self, html: str) -> tuple[int, int] | None:
        span = self.theme.body_span(html)
        if span is None:
            return None
        # character offsets to byte offsets (Vietnamese text takes 1 to 3 bytes a character)
        start = len(html[: span[0]].encode("utf-8"))
        return start, start + len(html[span[0] : span[1]].encode("utf-8"))

    def _article_page(self, art: Article, path: str) -> ArticlePage:
        form = art.unicode_form

        def nf(text: str) -> str:
            return unicodedata.normalize(form, text)

        related, others = self.state.neighbours(art)
        return ArticlePage(
            id=art.id,
            title=nf(art.title),
            lead=nf(art.lead),
            blocks=[Block(b.kind, nf(b.text), b.url) for b in art.blocks],
            author_line=nf(art.author_line) if art.author_line else None,
            tags=[nf(t) for t in art.tags],
            category=art.category,
            published_at=art.published_at,
            modified_at=art.modified_at,
            views=art.views if art.show_views else None,
            path=path,
            related=[_link(a, self.state.path(a)) for a in related],
            others=[_link(a, self.state.path(a)) for a in others],
        )

    def _listing(self, category: str | None, query: str, ctx: PageContext) -> Response:
        if category is None:
            items = self.state.listed()[: self.home_items]
            page = ListingPage(None, [_link(a, self.state.path(a), lead=True) for a in items])
            return Response(200, self.theme.listing(page, ctx).encode("utf-8"))
        params = parse_qs(query)
        raw = (params.get("page") or params.get("Page") or ["1"])[0]
        articles = self.state.listed(category)
        pages = max(1, math.ceil(len(articles) / self.per_page))
        try:
            number = int(raw)
        except ValueError:
            number = 0
        if not 1 <= number <= pages:
            return self._error(404, ctx)
        chunk = articles[(number - 1) * self.per_page : number * self.per_page]
        links = [_link(a, self.state.path(a), lead=True) for a in chunk]
        return Response(200, self.theme.listing(ListingPage(category, links, number, pages), ctx).encode("utf-8"))

    def _cached(self, kind: str, base: str) -> bytes:
        """The sitemap or the feed for hosts ``base``, rendered once per state generation."""
        if self._cache_generation != self.state.generation:
            self._cache.clear()
            self._cache_generation = self.state.generation
        body = self._cache.get((kind, base))
        if body is None:
            listed = self.state.listed()
            if kind == "sitemap":
                text = sitemap_xml([(self.state.path(a), a.modified_at) for a in listed], base)
            else:
                text = rss_xml([_link(a, self.state.path(a), lead=True) for a in listed[: self.feed_items]], base)
            body = self._cache[(kind, base)] = text.encode("utf-8")
        return body

    def _context(self, *, meta_charset: bool, base_url: str) -> PageContext:
        n = self.served
        stats = SiteStats(
            online=120 + (n * 7) % 97,
            week=1_000 + n,
            month=51_751 + n,
            year=801_765 + n,
            total=2_962_630 + n,
        )
        return PageContext(base_url=base_url, stats=stats, meta_charset=meta_charset)
