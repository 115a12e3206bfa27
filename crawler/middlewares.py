"""Downloader middlewares: what every request and response passes through.

- :class:`RequestBudgetMiddleware`: ``--max-requests`` caps a run.
- :class:`SiteGuardMiddleware`: only the profile's hosts are fetched (redirects off them die here), and
  loopback/private addresses only with ``--allow-private``.
- :class:`CaptureMiddleware`: conditional GET (validators from the last capture) and the fetch time.
- :class:`RetryAfterMiddleware`: Scrapy's retries, waiting as long as ``Retry-After`` asks on 429/503.
"""

from __future__ import annotations

import ipaddress
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

from storage.models import utcnow

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = [
    "CaptureMiddleware",
    "RequestBudgetMiddleware",
    "RetryAfterMiddleware",
    "SiteGuardMiddleware",
    "is_private_host",
]

log = logging.getLogger(__name__)


class BudgetExhausted(IgnoreRequest):
    """A request dropped because the run's ``--max-requests`` budget is spent."""


class OffSite(IgnoreRequest):
    """A request dropped because its host is not the site's (or is a private address)."""


class RequestBudgetMiddleware:
    """Drop every request past the spider's ``max_requests`` (None: no cap)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.sent = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RequestBudgetMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        spider = self.crawler.spider
        budget = getattr(spider, "max_requests", None)
        if budget is not None and self.sent >= budget:
            spider.budget_exhausted = True  # type: ignore[union-attr]
            raise BudgetExhausted(f"request budget of {budget} spent")
        self.sent += 1


def is_private_host(host: str) -> bool:
    """True for loopback, private, link-local and unspecified addresses, and for ``localhost``."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: resolved later by Scrapy; we do not resolve it here
    return address.is_private or address.is_loopback or address.is_link_local or address.is_unspecified


class SiteGuardMiddleware:
    """Refuse requests off the profile's hosts, and to private addresses unless allowed."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        spider = self.crawler.spider
        profile = getattr(spider, "profile", None)
        if profile is None:
            return
        if not profile.may_fetch(request.url):
            raise OffSite(f"not fetching {request.url}: not on the site's hosts")
        host = request.url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
        if is_private_host(host) and not getattr(spider, "allow_private", False):
            raise OffSite(f"not fetching {request.url}: private address (use --allow-private)")


class CaptureMiddleware:
    """Conditional GET for article revisits, and the moment each response arrived."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureMiddleware:
        return cls()

    def process_request(self, request: Request) -> None:
        validators = request.meta.get("xdd_validators")
        if not validators:
            return
        etag, last_modified = validators
        if etag:
            request.headers.setdefault("If-None-Match", etag)
        if last_modified:
            request.headers.setdefault("If-Modified-Since", last_modified)

    def process_response(self, request: Request, response: Response) -> Response:
        request.meta["xdd_fetched_at"] = utcnow()
        return response


def retry_after_seconds(value: str | bytes | None, *, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), or None."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, but a 429/503 with ``Retry-After`` waits that long before the retry
    (up to ``XDD_RETRY_AFTER_MAX`` seconds; longer asks give up on the page for this run)."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.retry_after_max = settings.getfloat("XDD_RETRY_AFTER_MAX", 120.0)

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        delay = retry_after_seconds(response.headers.get("Retry-After")) if response.status in (429, 503) else None
        if delay is not None:
            if delay > self.retry_after_max:
                log.warning("%s asks to retry after %.0f s; giving up on it for this run", request.url, delay)
                return response
            if delay > 0:
                from twisted.internet import reactor  # the installed one; importing it early would install the default

                await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))
        reason = f"HTTP {response.status}"
        return self._retry(request, reason) or response
