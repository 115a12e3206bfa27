"""The one spider: discovery (home, category listings with pagination, RSS, sitemaps), revisits of
known articles that are due, and article fetches. It navigates only; the pipeline extracts and archives.

Discovery is incremental once a full pass has completed: a listing is paged further only while its
pages hold articles the archive does not know. ``--full`` (or an archive that never finished a full
pass, e.g. after a killed first crawl) pages through everything and re-fetches every known article.

Run it through ``xdd-archive crawl`` (which takes the crawl lock first and shows progress), or plainly:
``scrapy crawl archive -a site=replica -a base_url=http://127.0.0.1:8765 -s XDD_DB=archive.db``.
"""

from __future__ import annotations

import gzip
import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.items import PageItem
from crawler.middlewares import BudgetExhausted, OffSite
from crawler.sites import get_profile, normalize_url, strip_tracking
from storage.archive import TRUNCATED
from storage.models import utcnow

log = logging.getLogger(__name__)

# Article responses come to us whatever their status: redirects, 304, gone and errors are all facts
# to record. (Retries of 429/5xx still happen first, in the retry middleware.)
ARTICLE_STATUSES = [301, 302, 303, 307, 308, 304, 400, 401, 403, 404, 410, 429, 451, 500, 502, 503, 504]
MAX_REDIRECTS = 5

# Request priorities: entry listings first; then due revisits (so that a known URL that now
# redirects usually joins its new URL to the article before that URL, found in a listing, looks new;
# the archive merges the two when it does not); then new articles; then deeper listing pages; last,
# the bulk re-fetch of a full pass, which must never keep new articles waiting.
PRIORITY_ENTRY = 30
PRIORITY_REVISIT = 20
PRIORITY_NEW_ARTICLE = 10
PRIORITY_DEEP_LISTING = 5
PRIORITY_FULL_PASS = 0

_PAGE_NUMBER = (
    re.compile(r"(?:^|&)(?:page|Page|trang|p)=(\d+)"),
    re.compile(r"/(?:page|trang)-?(\d+)$"),
    re.compile(r"/p(\d+)$"),
)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def page_number(url: str) -> int:
    """The page number a listing URL names (1 when it names none)."""
    parts = urlsplit(url)
    for pattern in _PAGE_NUMBER:
        m = pattern.search(parts.query) or pattern.search(parts.path)
        if m:
            return int(m.group(1))
    return 1


def listing_section(url: str) -> str:
    """The listing a page belongs to: its path without the pagination part."""
    path = urlsplit(url).path.rstrip("/") or "/"
    for pattern in _PAGE_NUMBER[1:]:
        path = pattern.sub("", path)
    return path or "/"


class ArchiveSpider(Spider):
    """Discover and fetch the articles of one site profile."""

    name = "archive"

    def __init__(
        self,
        site: str = "xaydungdang",
        base_url: str | None = None,
        full: Any = False,
        max_requests: Any = None,
        allow_private: Any = False,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.profile = get_profile(site, base_url or None)
        self.full = _flag(full)
        self.max_requests = int(max_requests) if max_requests not in (None, "", 0, "0") else None
        self.allow_private = _flag(allow_private) or self.profile.allow_private
        self.crawl_state = None  # storage.query.CrawlState, set by the pipeline when the spider opens
        self.budget_exhausted = False
        self.listing_failures = 0
        self.listing_pages = 0  # listing, feed and sitemap responses parsed
        self._seen_keys: set[str] = set()

    # -- planning ------------------------------------------------------------------------------

    @property
    def deep(self) -> bool:
        """Page through every listing: asked for, or no full discovery pass has completed yet."""
        return self.full or not self.crawl_state.discovery_complete  # type: ignore[union-attr]

    def discovery_completed(self, reason: str) -> bool:
        """Whether this run, closing for ``reason``, saw every listing page."""
        return self.deep and reason == "finished" and not self.budget_exhausted and self.listing_failures == 0

    def _is_new(self, url: str, key: str) -> bool:
        state = self.crawl_state
        if key in state.known_keys:  # type: ignore[union-attr]
            return False
        known = state.known_urls  # type: ignore[union-attr]
        return normalize_url(url) not in known and normalize_url(self.profile.canonical_url(url)) not in known

    async def start(self) -> AsyncIterator[Request]:
        if self.crawl_state is None:
            raise RuntimeError("the archive pipeline (crawler.pipelines.ArchivePipeline) is not enabled")
        profile = self.profile
        for path in profile.start_paths:
            yield Request(profile.url(path), callback=self.parse_listing, priority=PRIORITY_ENTRY)
        for path in profile.category_paths:
            yield Request(profile.url(path), callback=self.parse_listing, priority=PRIORITY_ENTRY,
                          errback=self.listing_failed)
        for path in profile.feeds:
            yield Request(profile.url(path), callback=self.parse_feed, priority=PRIORITY_ENTRY,
                          errback=self.listing_failed)
        if self.deep:
            for path in profile.sitemaps:
                yield Request(profile.url(path), callback=self.parse_sitemap, priority=PRIORITY_ENTRY,
                              errback=self.listing_failed)
        due = {article_id for article_id, _url in self.crawl_state.due}
        revisits = self.crawl_state.all_articles if self.full else self.crawl_state.due
        for article_id, url in revisits:
            request = self.article_request(profile.url(url), revisit=True, canonical=url)
            if article_id not in due:
                request.priority = PRIORITY_FULL_PASS
            yield request

    def article_request(self, url: str, *, revisit: bool = False, canonical: str | None = None) -> Request:
        """A request for an article page; conditional when revisiting (except on full passes, which
        fetch whole pages so that view counts are sampled too)."""
        key = self.profile.article_key(url)
        if key:
            self._seen_keys.add(key)
        meta: dict[str, Any] = {
            "xdd_chain": [url],
            "xdd_revisit": revisit,
            "handle_httpstatus_list": ARTICLE_STATUSES,
            "dont_redirect": True,
        }
        if revisit and not self.full:
            validators = self.crawl_state.validators.get(canonical or url)  # type: ignore[union-attr]
            if validators:
                meta["xdd_validators"] = validators
        return Request(
            url,
            callback=self.parse_article,
            errback=self.article_failed,
            priority=PRIORITY_REVISIT if revisit else PRIORITY_NEW_ARTICLE,
            meta=meta,
        )

    # -- discovery -----------------------------------------------------------------------------

    def _links(self, response: Response) -> Iterator[str]:
        if not isinstance(response, TextResponse):
            return
        for href in response.css("a::attr(href)").getall():
            href = href.strip()
            if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
                continue
            url = strip_tracking(urljoin(response.url, href))
            if self.profile.may_fetch(url) and not self.profile.is_denied(url):
                yield url

    def _article_found(self, url: str) -> Request | None:
        """A request for an article URL seen in a listing, feed or sitemap, if it should be fetched."""
        key = self.profile.article_key(url)
        if key is None or key in self._seen_keys:
            return None
        if self._is_new(url, key) or self.full:
            return self.article_request(url)
        return None

    def parse_listing(self, response: Response) -> Iterator[Request]:
        """Home page or category listing: fetch new articles, follow categories and pagination."""
        self.listing_pages += 1
        here = listing_section(response.url)
        here_page = page_number(response.url)
        new_here = 0
        next_pages: dict[int, str] = {}
        for url in self._links(response):
            if self.profile.is_article_url(url):
                key = self.profile.article_key(url)
                if key is not None and self._is_new(url, key):
                    new_here += 1
                request = self._article_found(url)
                if request is not None:
                    yield request
            elif self.profile.is_listing_url(url):
                section, number = listing_section(url), page_number(url)
                if section != here and number == 1:
                    # another category's first page (from the home page or a menu)
                    yield Request(url, callback=self.parse_listing, priority=PRIORITY_ENTRY,
                                  errback=self.listing_failed)
                elif section == here and number > here_page:
                    next_pages.setdefault(number, url)
        if self.deep:
            for url in next_pages.values():
                yield Request(url, callback=self.parse_listing, priority=PRIORITY_DEEP_LISTING,
                              errback=self.listing_failed)
        elif new_here and here_page + 1 in next_pages:
            # incremental: page on only while pages still hold articles we do not know
            yield Request(next_pages[here_page + 1], callback=self.parse_listing, priority=PRIORITY_ENTRY,
                          errback=self.listing_failed)

    def parse_feed(self, response: Response) -> Iterator[Request]:
        """RSS 2.0 or Atom: article links."""
        self.listing_pages += 1
        if not isinstance(response, TextResponse):
            return
        response.selector.remove_namespaces()
        links = response.xpath("//item/link/text()").getall() + response.xpath("//entry/link/@href").getall()
        for link in links:
            url = strip_tracking(urljoin(response.url, link.strip()))
            if self.profile.may_fetch(url):
                request = self._article_found(url)
                if request is not None:
                    yield request

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        """A sitemap or sitemap index (gzip or not)."""
        self.listing_pages += 1
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gzip.decompress(body)
            except OSError:
                log.warning("unreadable gzip sitemap %s", response.url)
                return
        text = TextResponse(url=response.url, body=body, encoding="utf-8")
        text.selector.remove_namespaces()
        for loc in text.xpath("//sitemap/loc/text()").getall():
            url = urljoin(response.url, loc.strip())
            if self.profile.may_fetch(url):
                yield Request(url, callback=self.parse_sitemap, priority=PRIORITY_DEEP_LISTING,
                              errback=self.listing_failed)
        for loc in text.xpath("//url/loc/text()").getall():
            url = strip_tracking(urljoin(response.url, loc.strip()))
            if self.profile.may_fetch(url):
                request = self._article_found(url)
                if request is not None:
                    yield request

    def listing_failed(self, failure: Failure) -> None:
        if failure.check(BudgetExhausted):
            return
        if failure.check(HttpError) and failure.value.response.status in (404, 410):
            log.warning("listing %s is gone (%s)", failure.request.url, failure.value.response.status)
            return
        if failure.check(OffSite):
            log.info("%s", failure.value)
            return
        url = failure.request.url
        log.warning("listing %s failed: %s", url, failure.getErrorMessage())
        # Any one-segment path looks like a category; only a failed page of a known listing (a
        # profile category, a feed, a sitemap, a page past the first) leaves discovery incomplete.
        known = {self.profile.url(p) for p in (*self.profile.category_paths, *self.profile.feeds,
                                                *self.profile.sitemaps)}
        if url in known or page_number(url) > 1:
            self.listing_failures += 1

    # -- articles --------------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[PageItem | Request]:
        chain: list[str] = list(response.meta.get("xdd_chain") or [response.url])
        fetched_at = response.meta.get("xdd_fetched_at") or utcnow()
        headers = {
            k.decode("latin-1").lower(): b", ".join(v).decode("latin-1") for k, v in response.headers.items()
        }
        item = PageItem(
            requested_url=chain[0],
            final_url=response.url,
            fetched_at=fetched_at,
            status=response.status,
            headers=headers,
            body=response.body or None,
            urls=chain,
            revisit=bool(response.meta.get("xdd_revisit")),
        )
        if 300 <= response.status < 400 and response.status != 304:
            location = response.headers.get("Location")
            if not location:
                item.error = f"HTTP {response.status} without a Location"
                yield item
                return
            target = urljoin(response.url, location.decode("latin-1").strip()).split("#", 1)[0]
            if len(chain) > MAX_REDIRECTS or target in chain:
                item.error = f"redirect loop or more than {MAX_REDIRECTS} redirects ({' -> '.join(chain + [target])})"
            elif not self.profile.owns(target) and not self.profile.may_fetch(target):
                item.gone_reason = f"redirected off the site to {target}"
            elif self.profile.is_article_url(target):
                follow = self.profile.url(target) if not self.profile.may_fetch(target) else target
                request = response.request.replace(url=follow, dont_filter=True)  # type: ignore[union-attr]
                request.meta["xdd_chain"] = [*chain, follow]
                # the validators were for the old URL: the new one is fetched whole
                request.meta.pop("xdd_validators", None)
                request.headers.pop(b"If-None-Match", None)
                request.headers.pop(b"If-Modified-Since", None)
                yield request
                return
            elif response.status in (301, 308):
                item.gone_reason = f"redirected for good to {target}, which is not an article"
            else:
                # a temporary redirect to a non-article (a maintenance or login page) says nothing
                # about the article: try again later rather than call it gone
                item.error = f"HTTP {response.status}: temporarily redirected to {target}"
            item.final_url = target
            yield item
            return
        if "dataloss" in response.flags:
            item.defect = f"{TRUNCATED}: the connection closed before the promised Content-Length"
        if response.status >= 500 or response.status == 429:
            item.error = f"HTTP {response.status} (after retries)"
        yield item

    def article_failed(self, failure: Failure) -> Iterator[PageItem]:
        if failure.check(BudgetExhausted):
            return
        if failure.check(OffSite):
            log.info("%s", failure.value)
            return
        request = failure.request
        chain = list(request.meta.get("xdd_chain") or [request.url])
        yield PageItem(
            requested_url=chain[0],
            final_url=request.url,
            fetched_at=utcnow(),
            urls=chain,
            error=f"{failure.type.__name__}: {failure.getErrorMessage()}",
            revisit=bool(request.meta.get("xdd_revisit")),
        )
