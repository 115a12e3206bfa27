"""The pipeline: hand each fetched page to the extractor, then to ``storage.archive``.

:func:`capture_page` is that hand-over as a plain function (page facts -> extraction -> one recorded
capture); the Scrapy pipeline and the WARC import both call it, so a page is judged the same way
whichever way it arrived. :class:`ArchivePipeline` adds the crawl's bookkeeping: the run record (and
its lock when Scrapy is started directly), the heartbeat, the state the spider starts from, the stats.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet import task

from crawler.extract import Extraction, extract
from crawler.items import PageItem
from crawler.sites import SiteProfile, normalize_url
from storage.archive import DEFAULT_POLICY, CaptureResult, Content, Extracted, Fetched, RevisitPolicy, record_capture
from storage.db import Archive, open_archive
from storage.models import OUTCOME_STATS, utcnow
from storage.query import crawl_state
from storage.runs import finish_run, heartbeat, start_run

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from sqlalchemy.orm import Session

__all__ = ["ArchivePipeline", "capture_page", "summary_stats"]

log = logging.getLogger(__name__)


def _content_of(extraction: Extraction) -> Content:
    return Content(
        title=extraction.title,
        lead=extraction.lead,
        body_text=extraction.body_text,
        body_markdown=extraction.body_markdown,
        author=extraction.author,
        source=extraction.source,
        published_at=extraction.published_at,
        modified_at=extraction.modified_at,
        category=extraction.category,
        tags=list(extraction.tags),
        images=[{"url": i.url, "caption": i.caption} for i in extraction.images],
    )


def extracted_of(profile: SiteProfile, page: PageItem) -> Extracted | None:
    """Run the extractor on a page that came back whole with 2xx; None for anything else."""
    if page.error or page.defect or page.gone_reason or page.body is None:
        return None
    if page.status is None or not 200 <= page.status < 300:
        return None
    url = page.final_url or page.requested_url
    try:
        extraction = extract(url, page.body, profile, fetched_at=page.fetched_at, headers=page.headers)
    except Exception as exc:  # the extractor must never take the crawl down; the page is rejected
        log.exception("extraction failed on %s", url)
        return Extracted(not_article=f"extraction failed: {type(exc).__name__}: {exc}")
    return Extracted(
        content=_content_of(extraction) if extraction.is_article else None,
        views=extraction.views,
        not_article=extraction.not_article,
        extractor_version=extraction.extractor_version,
    )


@dataclass(frozen=True)
class PageIdentity:
    """Who a fetched page is: its article URLs (normalised; requested first, final last), their
    article keys, each URL's spelling on the site's canonical host, and the canonical URL."""

    urls: list[str]
    keys: list[str]
    equivalents: dict[str, list[str]]
    canonical_url: str
    category: str | None

    @property
    def spellings(self) -> list[str]:
        """Every URL with its other spellings: what to look the article up by."""
        return list(dict.fromkeys(v for u in self.urls for v in (u, *self.equivalents.get(u, ()))))


def page_identity(profile: SiteProfile, page: PageItem) -> PageIdentity:
    """The identity of ``page`` under ``profile`` (DESIGN.md, "Identity of an article")."""
    article_urls = [u for u in dict.fromkeys(page.urls or [page.requested_url]) if profile.is_article_url(u)]
    if not article_urls:
        article_urls = [page.requested_url]
    keys = [k for k in dict.fromkeys(profile.article_key(u) for u in article_urls) if k]
    return PageIdentity(
        urls=[normalize_url(u) for u in article_urls],
        keys=keys or [profile.canonical_url(page.requested_url)],
        # each URL on the site's canonical host and scheme too, so http/https/www variants find it again
        equivalents={normalize_url(u): [normalize_url(profile.canonical_url(u))] for u in article_urls},
        canonical_url=profile.canonical_url(article_urls[-1]),
        category=profile.category_of(article_urls[-1]),
    )


def capture_page(
    session: Session,
    profile: SiteProfile,
    page: PageItem,
    *,
    crawl_run_id: int | None = None,
    policy: RevisitPolicy = DEFAULT_POLICY,
    keep_raw: str = "changes",
    now: Any = None,
    extracted: Extracted | None = None,
) -> CaptureResult:
    """Extract ``page`` and record it as one capture (inside the caller's write transaction).

    ``extracted`` replaces running the extractor, for a capture whose raw body was not kept (a WARC
    import restoring an ``unchanged`` capture from its metadata record: the body is gone, the verdict
    is known).
    """
    identity = page_identity(profile, page)
    fetched = Fetched(
        requested_url=page.requested_url,
        final_url=page.final_url,
        fetched_at=page.fetched_at,
        status=page.status,
        headers=dict(page.headers),
        body=page.body,
        error=page.error,
        defect=page.defect,
        gone_reason=page.gone_reason,
    )
    return record_capture(
        session,
        site=profile.name,
        urls=identity.urls,
        equivalents=identity.equivalents,
        keys=identity.keys,
        canonical_url=identity.canonical_url,
        category=identity.category,
        fetched=fetched,
        extracted=extracted if extracted is not None else extracted_of(profile, page),
        crawl_run_id=crawl_run_id,
        policy=policy,
        keep_raw=keep_raw,
        now=now or page.fetched_at,
    )


STAT_KEYS = ("requests", "listing_pages", *OUTCOME_STATS.values(), "republished")

def summary_stats(counts: Counter[str], scrapy_stats: dict[str, Any], listing_pages: int) -> dict[str, Any]:
    """The run's stats as recorded in ``crawl_runs.stats`` and printed by ``crawl``."""
    stats: dict[str, Any] = {k: counts.get(k, 0) for k in STAT_KEYS}
    stats["requests"] = int(scrapy_stats.get("downloader/request_count", 0))
    stats["listing_pages"] = listing_pages
    return stats


class ArchivePipeline:
    """Archives every :class:`PageItem`; owns the crawl run record while the spider is open."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.db = settings.get("XDD_DB")
        self.run_id: int | None = settings.getint("XDD_RUN_ID") or None
        self.trigger = settings.get("XDD_TRIGGER", "manual")
        self.keep_raw = settings.get("XDD_KEEP_RAW", "changes")
        self.policy: RevisitPolicy = settings.get("XDD_REVISIT_POLICY") or DEFAULT_POLICY
        self.heartbeat_seconds = settings.getfloat("XDD_HEARTBEAT_SECONDS", 10.0)
        self.counts: Counter[str] = Counter()
        # the runner hands over the archive it opened (and took the lock in); `scrapy crawl` does not
        self.archive: Archive | None = getattr(crawler, "xdd_archive", None)
        self.owns_archive = self.archive is None
        self._beat: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    @property
    def spider(self) -> Any:
        return self.crawler.spider

    def open_spider(self) -> None:
        spider = self.spider
        if self.archive is None:
            self.archive = open_archive(self.db)
        if self.run_id is None:
            # started as `scrapy crawl archive`: take the lock here
            self.run_id = start_run(
                self.archive,
                site=spider.profile.name,
                trigger=self.trigger,
                options={"full": spider.full, "max_requests": spider.max_requests, "base_url": spider.profile.base_url},
            )
        with self.archive.read() as session:
            spider.crawl_state = crawl_state(session, spider.profile.name, now=utcnow())
        log.info(
            "run %s: %d known articles, %d due for a revisit, %s discovery",
            self.run_id,
            len(spider.crawl_state.all_articles),
            len(spider.crawl_state.due),
            "full" if spider.deep else "incremental",
        )
        self._beat = task.LoopingCall(self._heartbeat)
        self._beat.start(self.heartbeat_seconds, now=False)

    def _stats(self) -> dict[str, Any]:
        return summary_stats(self.counts, self.crawler.stats.get_stats(), getattr(self.spider, "listing_pages", 0))

    def _heartbeat(self) -> None:
        if self.archive is None or self.run_id is None:
            return
        try:
            holds_lock = heartbeat(self.archive, self.run_id, self._stats())
        except Exception:  # a missed heartbeat must not stop the crawl
            log.exception("heartbeat failed")
            return
        if not holds_lock:
            log.error("run %s lost its crawl lock to another crawl; stopping", self.run_id)
            if self._beat is not None and self._beat.running:
                self._beat.stop()
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="lock_lost"))

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem):
            return item
        assert self.archive is not None
        try:
            with self.archive.write() as session:
                result = capture_page(
                    session,
                    self.spider.profile,
                    item,
                    crawl_run_id=self.run_id,
                    policy=self.policy,
                    keep_raw=self.keep_raw,
                )
        except SQLAlchemyError as exc:
            # the transaction rolled back: the archive is as it was; count it and carry on
            self.counts["errors"] += 1
            self.crawler.stats.inc_value("xdd/error")
            log.error("could not archive %s: %s", item.requested_url, getattr(exc, "orig", None) or exc)
            return item
        self.counts[OUTCOME_STATS[result.outcome]] += 1
        if result.republished:
            self.counts["republished"] += 1
        self.crawler.stats.inc_value(f"xdd/{result.outcome}")
        log.debug("%s %s -> %s %s", item.requested_url, item.status, result.outcome, result.reason or "")
        return item

    def close_spider(self) -> None:
        if self._beat is not None and self._beat.running:
            self._beat.stop()

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.archive is None or self.run_id is None:
            return
        stats = self._stats()
        complete = spider.discovery_completed(reason)
        stats["discovery"] = "complete" if complete else ("partial" if spider.deep else "incremental")
        stats["budget_exhausted"] = spider.budget_exhausted
        stats["close_reason"] = reason
        if reason == "finished":
            status = "ok"
        elif reason == "shutdown":
            status = "interrupted"
        else:
            status = "failed"
        self.crawler.stats.set_value("xdd/summary", stats)
        finish_run(self.archive, self.run_id, status=status, stats=stats,
                   error=None if status == "ok" else f"crawl closed: {reason}")
        if self.owns_archive:
            self.archive.dispose()
