"""Polite Scrapy defaults for xdd-archive (``scrapy.cfg`` points here).

A profile may loosen politeness for its own site (the local replica crawls without delay); the runner
(``crawler.runner``) applies that on top of these. Every ``XDD_*`` setting is read by our components.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    _VERSION = version("xdd-archive")
except PackageNotFoundError:  # running from a checkout that is not installed
    _VERSION = "dev"

BOT_NAME = "xdd-archive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Say who we are and why; site operators can then reach the archive's keepers.
USER_AGENT = f"xdd-archive/{_VERSION} (+https://github.com/xdd-archive/xdd-archive; periodic archiving of a public magazine)"

# -- politeness -------------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
DOWNLOAD_DELAY = 1.0  # one request a second...
DOWNLOAD_DELAY_JITTER = 0.5  # each wait is 0.5x to 1.5x the delay, so requests do not tick like a clock
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2  # ...and at most two at once per host
AUTOTHROTTLE_ENABLED = True  # back off further when the site slows down
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60
# An article page is tens of KB; anything past these is not one (and would stall the reactor
# while it is parsed)
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# -- retries: 429/503 honour Retry-After (crawler.middlewares.RetryAfterMiddleware) ----------------
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Longest Retry-After we wait for; a longer one gives up on the page for this run.
XDD_RETRY_AFTER_MAX = 120.0

# A truncated body must reach us (flagged "dataloss") so it is captured as rejected, not lost.
DOWNLOAD_FAIL_ON_DATALOSS = False

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.RequestBudgetMiddleware": 10,
    "crawler.middlewares.SiteGuardMiddleware": 20,
    "crawler.middlewares.CaptureMiddleware": 560,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.RetryAfterMiddleware": 550,
}

ITEM_PIPELINES = {
    "crawler.pipelines.ArchivePipeline": 300,
}

# -- the archive --------------------------------------------------------------------------------
XDD_DB = None  # path or SQLAlchemy URL; None: $XDD_DB or ./xdd-archive.db
XDD_RUN_ID = None  # set by the runner, which takes the crawl lock before Scrapy starts
XDD_TRIGGER = "manual"
XDD_KEEP_RAW = "changes"  # keep raw HTML for new revisions/rejections ("changes") or every capture ("all")
XDD_HEARTBEAT_SECONDS = 10.0

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
