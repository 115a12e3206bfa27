"""The one exception tree of xdd-archive.

Everything the project raises on purpose derives from :class:`ArchiveError`, so the CLI can turn any of
them into a one-line message and a distinct exit code instead of a traceback::

    ArchiveError                 exit 1   base class; never raised directly
    ├── ConfigError              exit 2   bad flag, setting, profile name, URL, database URL
    ├── FetchError               exit 3   a page or a WARC could not be read
    ├── ExtractionError          exit 4   a page could not be turned into an article record
    │   └── NotAnArticle         exit 4   the page is a listing, an error page, a maintenance page...
    ├── StorageError             exit 5   the archive database refused or is inconsistent
    │   └── NotFound             exit 6   no article/revision matches what was asked for
    └── CrawlLocked              exit 75  another crawl of the same site is running (EX_TEMPFAIL)
        └── DaemonRunning        exit 75  another scheduler daemon already serves this archive
"""

from __future__ import annotations

__all__ = [
    "ArchiveError",
    "ConfigError",
    "CrawlLocked",
    "DaemonRunning",
    "ExtractionError",
    "FetchError",
    "NotAnArticle",
    "NotFound",
    "StorageError",
]


class ArchiveError(Exception):
    """Base of every error xdd-archive raises on purpose; ``exit_code`` is what the CLI exits with."""

    exit_code: int = 1


class ConfigError(ArchiveError):
    """A flag, a setting, a site profile or a URL is wrong."""

    exit_code = 2


class FetchError(ArchiveError):
    """A page, a file or a WARC could not be read."""

    exit_code = 3


class ExtractionError(ArchiveError):
    """A page could not be turned into an article record."""

    exit_code = 4


class NotAnArticle(ExtractionError):
    """The page is not an article (a listing, an error or maintenance page); ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"not an article: {reason}")
        self.reason = reason


class StorageError(ArchiveError):
    """The archive database could not be opened, migrated or written."""

    exit_code = 5


class NotFound(StorageError):
    """No article or revision matches the id, key or URL that was asked for."""

    exit_code = 6


class CrawlLocked(ArchiveError):
    """Another crawl of the same site holds the crawl lock."""

    exit_code = 75


class DaemonRunning(CrawlLocked):
    """Another scheduler daemon already serves this archive (one scheduler per job store)."""
