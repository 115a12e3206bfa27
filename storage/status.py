"""The queries behind ``xdd-archive status``: the last crawl runs, the last successful (full) run of a
site, and how many articles are due for a revisit. Cheap counts and small reads only: ``status`` may
run every minute from a monitoring check."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from storage.models import Article, CrawlRun

__all__ = [
    "RUN_STATS",
    "RunSummary",
    "article_count",
    "due_count",
    "first_started_at",
    "last_run",
    "recent_runs",
    "summary_line",
]


@dataclass(frozen=True)
class RunSummary:
    """One crawl run as ``status`` shows it."""

    id: int
    site: str
    trigger: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    seconds: float | None
    full: bool
    stats: dict[str, Any]
    error: str | None
    pid: int | None
    heartbeat_at: datetime | None

    @classmethod
    def of(cls, run: CrawlRun) -> RunSummary:
        seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
        return cls(
            id=run.id,
            site=run.site,
            trigger=run.trigger,
            status=run.status,
            started_at=run.started_at,
            finished_at=run.finished_at,
            seconds=seconds,
            full=bool((run.options or {}).get("full")),
            stats=dict(run.stats or {}),
            error=run.error,
            pid=run.pid,
            heartbeat_at=run.heartbeat_at,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def recent_runs(session: Session, *, site: str | None = None, limit: int = 10) -> list[RunSummary]:
    """The last ``limit`` runs (of ``site``, or of every site), newest first."""
    query = select(CrawlRun).order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc()).limit(limit)
    if site is not None:
        query = query.where(CrawlRun.site == site)
    return [RunSummary.of(run) for run in session.scalars(query)]


# The counters of a run's stats, in the order people read them: (key, long label, short label).
RUN_STATS = (
    ("requests", "requests", "requests"),
    ("listing_pages", "listing pages", "listings"),
    ("new_articles", "new articles", "new"),
    ("new_revisions", "new revisions", "changed"),
    ("unchanged", "unchanged", "unchanged"),
    ("not_modified", "not modified (304)", "not modified"),
    ("gone", "gone", "gone"),
    ("rejected", "rejected", "rejected"),
    ("errors", "errors", "errors"),
)


def summary_line(stats: dict[str, Any], *, zeros: bool = True) -> str:
    """``57 requests, 5 new, 1 changed, ...`` (without the zero counts when ``zeros`` is false)."""
    parts = [f"{stats.get(key, 0)} {short}" for key, _long, short in RUN_STATS
             if key != "listing_pages" and (zeros or stats.get(key))]
    return ", ".join(parts) or "-"


def last_run(
    session: Session,
    site: str,
    *,
    status: str | None = "ok",
    full: bool | None = None,
    triggers: tuple[str, ...] | None = None,
) -> RunSummary | None:
    """The newest run of ``site`` with that status (None: any), only full passes when ``full``, only
    runs started by one of ``triggers`` when given (a WARC import is no crawl)."""
    query = select(CrawlRun).where(CrawlRun.site == site)
    if triggers is not None:
        query = query.where(CrawlRun.trigger.in_(triggers))
    if status is not None:
        query = query.where(CrawlRun.status == status)
    if full is not None:
        flag = CrawlRun.options["full"].as_boolean()
        query = query.where(flag.is_(True) if full else or_(flag.is_(None), flag.is_(False)))
    run = session.scalars(query.order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc()).limit(1)).first()
    return RunSummary.of(run) if run is not None else None


def first_started_at(session: Session, site: str) -> datetime | None:
    """When the first run of ``site`` started (None: never crawled)."""
    return session.scalar(select(func.min(CrawlRun.started_at)).where(CrawlRun.site == site))


def due_count(session: Session, *, now: datetime, site: str | None = None) -> int:
    """How many articles a crawl starting at ``now`` would revisit (the same rule as
    :func:`storage.query.crawl_state`: never checked, or due by now)."""
    query = select(func.count()).select_from(Article).where(
        or_(Article.next_check_at.is_(None), Article.next_check_at <= now),
    )
    if site is not None:
        query = query.where(Article.site == site)
    return int(session.scalar(query) or 0)


def article_count(session: Session, *, site: str | None = None) -> int:
    """How many articles the archive holds."""
    query = select(func.count()).select_from(Article)
    if site is not None:
        query = query.where(Article.site == site)
    return int(session.scalar(query) or 0)
