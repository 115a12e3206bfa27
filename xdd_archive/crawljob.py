"""One crawl built from the settings: the options ``xdd-archive crawl`` and the scheduler both make,
and the entry point of a crawl in a process of its own.

Twisted's reactor runs once per process, so the scheduler daemon and the demo start every crawl as a
child: ``python -P -m xdd_archive.crawljob '{"site": "replica", ...}'`` runs :func:`main`, which
resolves the settings exactly as ``xdd-archive crawl`` does (the job's values as flags, then the
environment, the config file, the defaults), builds the options with the same
:func:`crawl_options`, calls :func:`crawler.runner.run_crawl`, and prints the report as JSON on
stdout. Log lines go to stderr in :data:`xdd_archive.logs.LOG_FORMAT`; a refused crawl is one line
there and the exit status of its error class (75: another crawl of the site is running).

Example::

    job = CrawlJob(site="replica", base_url="http://127.0.0.1:8765", db="archive.db", trigger="schedule")
    subprocess.run(job.command(), stdout=subprocess.PIPE)   # its JSON report on stdout
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from xdd_archive.config import Config, load_config
from xdd_archive.errors import ArchiveError, ConfigError, StorageError

if TYPE_CHECKING:
    from crawler.runner import CrawlOptions, CrawlReport

__all__ = ["CRAWL_SETTINGS", "CrawlJob", "crawl_options", "exit_status", "main", "report_dict"]

# the settings a crawl takes (flags > environment > config file > defaults; see `xdd-archive config`)
CRAWL_SETTINGS = (
    "site",
    "base_url",
    "database",
    "crawl.max_requests",
    "crawl.keep_raw",
    "politeness.download_delay",
    "politeness.concurrency_per_host",
    "politeness.user_agent",
    "revisit.tiers",
    "revisit.oldest",
    "revisit.jitter",
    "revisit.retry",
    "revisit.gone",
)


def crawl_options(settings: Config, *, full: bool = False, allow_private: bool = False,
                  trigger: str = "manual") -> CrawlOptions:
    """The crawl the resolved settings describe (the one function ``crawl`` and the scheduler share)."""
    from crawler.runner import CrawlOptions  # Scrapy loads only where a crawl runs

    user_agent = settings["politeness.user_agent"]
    return CrawlOptions(
        site=settings["site"],
        base_url=settings["base_url"],
        db=settings["database"],
        full=full,
        max_requests=settings["crawl.max_requests"],
        allow_private=allow_private,
        keep_raw=settings["crawl.keep_raw"],
        trigger=trigger,
        policy=settings.revisit_policy(),
        download_delay=settings["politeness.download_delay"],
        concurrency_per_host=settings["politeness.concurrency_per_host"],
        extra_settings={"USER_AGENT": user_agent} if user_agent else {},
    )


def exit_status(report: CrawlReport) -> int:
    """0 for a run that went well, 130 for one interrupted, 1 otherwise."""
    return {"ok": 0, "interrupted": 130}.get(report.status, 1)


def report_dict(report: CrawlReport, db: str | None) -> dict[str, Any]:
    """The run's report as JSON data, with what it left unchecked among the site's known articles
    (``not_checked``: :class:`storage.query.NotChecked`), read from the archive at ``db``."""
    from storage.db import open_archive
    from storage.query import not_checked

    data = report.to_dict()
    archive = open_archive(db, create=False)
    try:
        with archive.read() as session:
            data["not_checked"] = not_checked(session, report.run_id).to_dict()
    finally:
        archive.dispose()
    return data


@dataclass(frozen=True, kw_only=True)
class CrawlJob:
    """A crawl for a child process, in plain values: they travel as one JSON object on its command
    line. ``None`` leaves a setting to the environment, the config file or the default."""

    site: str | None = None
    base_url: str | None = None
    db: str | None = None
    config_path: str | None = None
    full: bool = False
    max_requests: int | None = None
    allow_private: bool = False
    trigger: str = "manual"

    def settings(self) -> Config:
        """The settings, resolved as ``xdd-archive crawl`` would with these values as its flags."""
        flags = {"site": self.site, "base_url": self.base_url, "database": self.db,
                 "crawl.max_requests": self.max_requests}
        return load_config(self.config_path, flags=flags)

    def options(self) -> CrawlOptions:
        return crawl_options(self.settings(), full=self.full, allow_private=self.allow_private,
                             trigger=self.trigger)

    def command(self) -> list[str]:
        """The child's command line (``-P``: a module in the working directory never stands in for ours)."""
        return [sys.executable, "-P", "-m", __name__, json.dumps(asdict(self))]

    @classmethod
    def from_json(cls, text: str) -> CrawlJob:
        try:
            data = json.loads(text)
        except ValueError:
            raise ConfigError(f"a crawl job is a JSON object, not {text[:80]!r}") from None
        known = {f.name for f in fields(cls)}
        if not isinstance(data, dict) or set(data) - known:
            raise ConfigError(f"a crawl job takes {', '.join(sorted(known))}; got {text[:200]!r}")
        if data.get("config_path") is not None:
            data["config_path"] = str(Path(data["config_path"]))
        return cls(**data)


def main(argv: list[str] | None = None) -> int:
    """Run the crawl job given as JSON in ``argv[0]``; print its report as JSON; return the exit status."""
    from xdd_archive.logs import configure_logging

    argv = sys.argv[1:] if argv is None else argv
    configure_logging(0)
    try:
        if len(argv) != 1:
            raise ConfigError("usage: python -m xdd_archive.crawljob JOB (a JSON object)")
        job = CrawlJob.from_json(argv[0])
        options = job.options()
        from crawler.runner import run_crawl

        report = run_crawl(options)
        data = report_dict(report, options.db)
    except ArchiveError as exc:
        print(f"xdd-archive: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except SQLAlchemyError as exc:
        print(f"xdd-archive: error: database: {getattr(exc, 'orig', None) or exc}", file=sys.stderr)
        return StorageError.exit_code
    except KeyboardInterrupt:
        print("xdd-archive: interrupted", file=sys.stderr)
        return 130
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    return exit_status(report)


if __name__ == "__main__":
    sys.exit(main())
