"""Run one crawl in this process: take the crawl lock, run Scrapy to the end, report the run.

Twisted's reactor cannot be restarted, so a process runs at most one crawl; the scheduler and the
tests start each crawl as a child process (``xdd-archive crawl ...``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.reactor import install_reactor, is_reactor_installed, verify_installed_reactor

from crawler import settings as default_settings
from crawler.middlewares import is_private_host
from crawler.sites import SiteProfile, get_profile
from crawler.spiders.archive import ArchiveSpider
from storage.archive import DEFAULT_POLICY, RevisitPolicy
from storage.db import open_archive
from storage.models import CrawlRun
from storage.runs import finish_run, start_run
from xdd_archive.errors import ConfigError

__all__ = ["CrawlOptions", "CrawlReport", "run_crawl", "scrapy_settings"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class CrawlOptions:
    """What to crawl and how. ``db`` is a path or SQLAlchemy URL (None: ``$XDD_DB`` or the default)."""

    site: str = "xaydungdang"
    base_url: str | None = None
    db: str | None = None
    full: bool = False
    max_requests: int | None = None
    allow_private: bool = False
    trigger: str = "manual"
    keep_raw: str = "changes"
    policy: RevisitPolicy = DEFAULT_POLICY
    log_level: str = "WARNING"
    # politeness overrides (None: the profile's, else the polite defaults)
    download_delay: float | None = None
    concurrency_per_host: int | None = None
    extra_settings: dict[str, Any] = field(default_factory=dict)

    def profile(self) -> SiteProfile:
        return get_profile(self.site, self.base_url)


@dataclass(frozen=True)
class CrawlReport:
    """How a crawl ended: its run id, status and stats (as stored in ``crawl_runs``)."""

    run_id: int
    site: str
    status: str
    stats: dict[str, Any]
    error: str | None = None
    seconds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def scrapy_settings(options: CrawlOptions, profile: SiteProfile, *, run_id: int | None, db_url: str) -> Settings:
    """Scrapy settings for this crawl: polite defaults, then the profile's, then explicit options."""
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    polite = profile.politeness
    delay = polite.download_delay if options.download_delay is None else options.download_delay
    per_host = polite.concurrency_per_host if options.concurrency_per_host is None else options.concurrency_per_host
    overrides: dict[str, Any] = {
        "DOWNLOAD_DELAY": delay,
        "CONCURRENT_REQUESTS_PER_DOMAIN": per_host,
        "CONCURRENT_REQUESTS": max(per_host, 1) * 2,
        "AUTOTHROTTLE_ENABLED": polite.autothrottle and delay > 0,
        "ROBOTSTXT_OBEY": polite.obey_robots,
        "XDD_DB": db_url,
        "XDD_RUN_ID": run_id,
        "XDD_TRIGGER": options.trigger,
        "XDD_KEEP_RAW": options.keep_raw,
        "XDD_REVISIT_POLICY": options.policy,
        "LOG_LEVEL": options.log_level,
        # the caller (the CLI, the scheduler) owns logging; Scrapy must not add its own root handler
        "LOG_INSTALL_ROOT_HANDLER": False,
    }
    if delay == 0:
        # a local replica: no politeness wait, and fast retries
        overrides["DOWNLOAD_DELAY_JITTER"] = 0
    overrides.update(options.extra_settings)
    settings.setdict(overrides, priority="cmdline")
    return settings


def ensure_reactor(settings: Settings) -> None:
    """Install the reactor the settings ask for, before anything else can install Twisted's default.

    Twisted installs its platform default the first time anything imports ``twisted.internet.reactor``
    (a ``LoopingCall`` built without a clock does, and so may a progress display or a library);
    Scrapy then refuses to crawl with "the installed reactor does not match the requested one". This
    runs first in every crawl, so whichever front end drives it (a terminal, a pipe, cron, the
    scheduler) the reactor is the right one; a wrong one already installed is one clear error.
    """
    wanted = settings["TWISTED_REACTOR"]
    if not wanted:
        return
    if is_reactor_installed():
        verify_installed_reactor(wanted)
    else:
        install_reactor(wanted, settings["ASYNCIO_EVENT_LOOP"])


def check_target(profile: SiteProfile, allow_private: bool) -> None:
    """Refuse, before any request, a crawl of a private address without ``--allow-private``."""
    host = urlsplit(profile.base_url).hostname or ""
    if is_private_host(host) and not (allow_private or profile.allow_private):
        raise ConfigError(
            f"{profile.base_url} is a loopback or private address; pass --allow-private to crawl it"
        )


def _run_scrapy(
    options: CrawlOptions,
    settings: Settings,
    archive: Any,
    progress: Callable[[dict[str, Any]], None] | None,
    failure: list[str],
) -> None:
    """Run the spider to the end in this process's reactor (already installed by ``ensure_reactor``).

    A crawl that fails to start (a bad setting, a broken middleware) fails inside a Deferred that
    Scrapy only logs; its cause is appended to ``failure`` so the run records it.
    """
    from twisted.internet import reactor, task  # the reactor ensure_reactor installed

    scrapy_level = logging.getLogger("scrapy").level
    process = CrawlerProcess(settings)
    # Scrapy's configure_logging() resets the "scrapy" logger to DEBUG, which sends every page
    # (items included) to our root handler; keep the level the caller (the CLI) chose
    logging.getLogger("scrapy").setLevel(scrapy_level)
    crawler = process.create_crawler(ArchiveSpider)
    # the pipeline archives into the archive opened here (settings are deep-copied: no objects)
    crawler.xdd_archive = archive  # type: ignore[attr-defined]
    done = process.crawl(
        crawler,
        site=options.site,
        base_url=options.base_url,
        full=options.full,
        max_requests=options.max_requests,
        allow_private=options.allow_private,
    )

    def failed(reason: Any) -> None:
        failure.append(f"{reason.type.__name__}: {reason.getErrorMessage()}")
        log.debug("crawl failed", exc_info=(reason.type, reason.value, reason.getTracebackObject()))

    done.addErrback(failed)
    ticker: task.LoopingCall | None = None
    if progress is not None:
        ticker = task.LoopingCall(lambda: progress(dict(crawler.stats.get_stats()) if crawler.stats else {}))
        reactor.callWhenRunning(ticker.start, 0.25)  # type: ignore[attr-defined]
    process.start()
    if ticker is not None and ticker.running:
        ticker.stop()


def run_crawl(options: CrawlOptions, *, progress: Callable[[dict[str, Any]], None] | None = None) -> CrawlReport:
    """Crawl once, in this process, to the end (or until SIGINT/SIGTERM); returns the run's report.

    Raises :class:`errors.CrawlLocked` when another crawl of the same site is running.
    """
    if options.keep_raw not in ("changes", "all"):
        raise ConfigError(f"keep_raw must be 'changes' or 'all', not {options.keep_raw!r}")
    if options.max_requests is not None and options.max_requests < 1:
        raise ConfigError("--max-requests must be at least 1")
    profile = options.profile()
    check_target(profile, options.allow_private)
    archive = open_archive(options.db)
    run_options = {
        "full": options.full,
        "max_requests": options.max_requests,
        "base_url": profile.base_url,
        "keep_raw": options.keep_raw,
    }
    run_id = start_run(archive, site=profile.name, trigger=options.trigger, options=run_options)
    failure: list[str] = []
    try:
        settings = scrapy_settings(options, profile, run_id=run_id, db_url=archive.url)
        ensure_reactor(settings)
        _run_scrapy(options, settings, archive, progress, failure)
    except BaseException as exc:
        finish_run(archive, run_id, status="interrupted" if isinstance(exc, KeyboardInterrupt) else "failed",
                   error=f"{type(exc).__name__}: {exc}")
        raise
    with archive.read() as session:
        still_running = session.get(CrawlRun, run_id).status == "running"  # type: ignore[union-attr]
    if still_running:
        # Scrapy ended without closing the spider (it failed to start): never leave a lock behind, and
        # keep the real cause (the exception Scrapy swallowed into its log) for `status`
        cause = failure[0] if failure else "the crawl ended before the spider closed"
        finish_run(archive, run_id, status="failed", error=cause)
    with archive.read() as session:
        run = session.get(CrawlRun, run_id)
        assert run is not None
        seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
        report = CrawlReport(run.id, run.site, run.status, dict(run.stats or {}), run.error, seconds)
    archive.dispose()
    return report
