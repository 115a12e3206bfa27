"""The archive's tables (DESIGN.md, "Tables"), as SQLAlchemy 2 declarative models.

Names read naturally in ``sqlite3`` or Datasette: a foreign key is ``<thing>_id``. Every datetime is
stored in UTC (SQLite keeps no offset, so :class:`UTCDateTime` converts on the way in and re-attaches
UTC on the way out). JSON columns hold lists and dicts (tags, images, headers, stats).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from xdd_archive.core.clock import utcnow  # re-exported: the one clock

__all__ = [
    "OUTCOME_STATS",
    "Article",
    "ArticleUrl",
    "Base",
    "Blob",
    "Capture",
    "CaptureOutcome",
    "CrawlRun",
    "Revision",
    "utcnow",
]


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored as naive UTC and returned as aware UTC.

    Naive values handed in are taken to be UTC already; aware values are converted.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


# Constraint names fixed up front so Alembic batch migrations on SQLite can refer to them.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class CaptureOutcome:
    """What a capture found (``captures.outcome``)."""

    NEW = "new"  # the first revision of an article
    CHANGED = "changed"  # a new revision of a known article
    UNCHANGED = "unchanged"  # same content as the current revision
    NOT_MODIFIED = "not_modified"  # 304 to a conditional GET
    GONE = "gone"  # 404 / 410, or a redirect to an unrelated page
    REJECTED = "rejected"  # fetched but failed the quality checks; no revision
    ERROR = "error"  # nothing usable came back (network error, 5xx after retries)

    ALL = (NEW, CHANGED, UNCHANGED, NOT_MODIFIED, GONE, REJECTED, ERROR)


# The counter each outcome adds to in a run's stats (crawl_runs.stats, crawl and import summaries).
OUTCOME_STATS = {
    CaptureOutcome.NEW: "new_articles",
    CaptureOutcome.CHANGED: "new_revisions",
    CaptureOutcome.UNCHANGED: "unchanged",
    CaptureOutcome.NOT_MODIFIED: "not_modified",
    CaptureOutcome.GONE: "gone",
    CaptureOutcome.REJECTED: "rejected",
    CaptureOutcome.ERROR: "errors",
}


class CrawlRun(Base):
    """One crawl (or WARC import): when, why, how it ended, what it did. Also the crawl lock."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    trigger: Mapped[str] = mapped_column(String(16), default="manual")  # manual/schedule/demo/import
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    pid: Mapped[int | None] = mapped_column(Integer)
    hostname: Mapped[str | None] = mapped_column(String(255))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class Article(Base):
    """One article, however many URLs reach it; ``key`` is the profile's stable identity."""

    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("site", "key"),
        Index("ix_articles_site_next_check_at", "site", "next_check_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(1024))
    canonical_url: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="live")  # live / gone / redirected
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    current_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id", use_alter=True, ondelete="SET NULL")
    )
    # status redirected: this article's URL now leads to that other article
    redirect_article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"))

    current_revision: Mapped[Revision | None] = relationship(
        foreign_keys=[current_revision_id], post_update=True
    )
    urls: Mapped[list[ArticleUrl]] = relationship(back_populates="article", order_by="ArticleUrl.id")


class ArticleUrl(Base):
    """An alias: a URL (as seen, normalised) that reaches an article."""

    __tablename__ = "article_urls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    article: Mapped[Article] = relationship(back_populates="urls")


class Revision(Base):
    """A distinct content state of an article; ``number`` counts 1, 2, ... per article."""

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    lead: Mapped[str | None] = mapped_column(Text)
    body_text: Mapped[str | None] = mapped_column(Text)
    body_markdown: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    category: Mapped[str | None] = mapped_column(String(255))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    images: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    changed_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    trivial: Mapped[bool] = mapped_column(Boolean, default=False)
    first_capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id", use_alter=True))
    last_seen_capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id", use_alter=True))
    extractor_version: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    article: Mapped[Article] = relationship(foreign_keys=[article_id])


class Capture(Base):
    """One fetch of an article page and what came of it. View counts live here, per capture."""

    __tablename__ = "captures"
    __table_args__ = (Index("ix_captures_article_id_fetched_at", "article_id", "fetched_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # NULL for a URL that never became an article (its first fetch was rejected, gone or failed)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"))
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    requested_url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    http_status: Mapped[int | None] = mapped_column(Integer)
    etag: Mapped[str | None] = mapped_column(String(255))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    body_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    views: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id"))
    reason: Mapped[str | None] = mapped_column(Text)

    article: Mapped[Article | None] = relationship(foreign_keys=[article_id])
    revision: Mapped[Revision | None] = relationship(foreign_keys=[revision_id])


class Blob(Base):
    """Raw response bytes, zstd-compressed, stored once per sha256 digest of the raw bytes."""

    __tablename__ = "blobs"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    codec: Mapped[str] = mapped_column(String(16), default="zstd")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
