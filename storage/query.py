"""Reading the archive: find an article by id, key or URL; list articles; an article's history; the
state a crawl starts from (known keys, due revisits, conditional-GET validators)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from storage.models import Article, ArticleUrl, Capture, CaptureOutcome, CrawlRun, Revision
from xdd_archive.errors import NotFound

__all__ = [
    "ArticleRow",
    "CrawlState",
    "NotChecked",
    "StatusSince",
    "article_history",
    "crawl_state",
    "list_articles",
    "not_checked",
    "resolve_article",
    "revision_numbers",
    "status_since",
]


def resolve_article(
    session: Session,
    ref: str,
    *,
    site: str | None = None,
    urls: Sequence[str] = (),
    keys: Sequence[str] = (),
) -> Article:
    """The article ``ref`` names: ``id:N`` / ``key:K`` explicitly, else an alias URL, an id or a key.

    ``urls`` (the normalised form of a URL ``ref``) and ``keys`` (article keys derived from it with a
    site profile, so an unseen variant of a known URL, say http instead of https, still finds its
    article) come from the caller. A bare number that is both an id and another article's key is
    ambiguous and must be written ``id:N`` or ``key:N``.
    """
    ref = ref.strip()
    where_site = (Article.site == site,) if site else ()
    candidates: dict[int, Article] = {}
    if ref.startswith("id:") and ref[3:].isdigit():
        article = session.get(Article, int(ref[3:]))
        if article is not None:
            candidates[article.id] = article
    elif ref.startswith("key:"):
        for a in session.scalars(select(Article).where(Article.key == ref[4:], *where_site)):
            candidates[a.id] = a
    else:
        if "://" in ref:
            lookup = [ref, *urls]
            for a in session.scalars(
                select(Article).join(ArticleUrl).where(ArticleUrl.url.in_(lookup), *where_site)
            ):
                candidates[a.id] = a
        all_keys = [ref, *keys]
        for a in session.scalars(select(Article).where(Article.key.in_(all_keys), *where_site)):
            candidates[a.id] = a
        if ref.isdigit():
            by_id = session.get(Article, int(ref))
            if by_id is not None and (site is None or by_id.site == site):
                if candidates and by_id.id not in candidates:
                    raise NotFound(
                        f"{ref!r} is both article id {ref} and the key of article "
                        f"{next(iter(candidates))}; write id:{ref} or key:{ref}"
                    )
                candidates[by_id.id] = by_id
    if not candidates:
        raise NotFound(f"no article matches {ref!r} (give an id, a key, or a URL of the article)")
    return min(candidates.values(), key=lambda a: a.id)


@dataclass(frozen=True)
class ArticleRow:
    """One line of ``xdd-archive articles``."""

    id: int
    site: str
    key: str
    status: str
    category: str | None
    title: str | None
    canonical_url: str
    revisions: int
    published_at: datetime | None
    first_seen_at: datetime
    last_changed_at: datetime | None
    last_checked_at: datetime | None
    views: int | None

    def to_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.__dict__.items()}


def list_articles(
    session: Session,
    *,
    site: str | None = None,
    category: str | None = None,
    status: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[ArticleRow]:
    """Articles newest first (by publication, then first seen), with their current title and the
    latest view count (whatever their status, unless ``status`` picks one)."""
    rev_count = (
        select(Revision.article_id, func.count().label("n")).group_by(Revision.article_id).subquery()
    )
    latest_views = (
        select(Capture.article_id, func.max(Capture.id).label("cid"))
        .where(Capture.views.is_not(None))
        .group_by(Capture.article_id)
        .subquery()
    )
    views_capture = Capture.__table__.alias("vc")
    stmt = (
        select(Article, Revision, rev_count.c.n, views_capture.c.views)
        .outerjoin(Revision, Revision.id == Article.current_revision_id)
        .outerjoin(rev_count, rev_count.c.article_id == Article.id)
        .outerjoin(latest_views, latest_views.c.article_id == Article.id)
        .outerjoin(views_capture, views_capture.c.id == latest_views.c.cid)
    )
    if site:
        stmt = stmt.where(Article.site == site)
    if category:
        stmt = stmt.where(Article.category == category)
    if status:
        stmt = stmt.where(Article.status == status)
    stmt = stmt.order_by(Revision.published_at.desc().nulls_last(), Article.first_seen_at.desc(), Article.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    rows = []
    for article, rev, n, views in session.execute(stmt):
        rows.append(
            ArticleRow(
                id=article.id,
                site=article.site,
                key=article.key,
                status=article.status,
                category=article.category,
                title=rev.title if rev else None,
                canonical_url=article.canonical_url,
                revisions=n or 0,
                published_at=rev.published_at if rev else None,
                first_seen_at=article.first_seen_at,
                last_changed_at=article.last_changed_at,
                last_checked_at=article.last_checked_at,
                views=views,
            )
        )
    return rows


def article_history(session: Session, article: Article) -> dict[str, Any]:
    """An article's revisions (with their changed fields) and captures (with the view count at each)."""
    revisions = session.scalars(
        select(Revision).where(Revision.article_id == article.id).order_by(Revision.number)
    ).all()
    captures = session.execute(
        select(Capture, Revision.number)
        .outerjoin(Revision, Revision.id == Capture.revision_id)
        .where(Capture.article_id == article.id)
        .order_by(Capture.fetched_at, Capture.id)
    ).all()
    first_fetch = {c.id: c.fetched_at for c, _ in captures}
    return {
        "article": article_summary(session, article),
        "revisions": [
            {
                "number": r.number,
                "captured_at": _iso(first_fetch.get(r.first_capture_id or -1) or r.created_at),
                "changed_fields": list(r.changed_fields or []),
                "trivial": r.trivial,
                "content_hash": r.content_hash,
                "title": r.title,
                "modified_at": _iso(r.modified_at),
            }
            for r in revisions
        ],
        "captures": [
            {
                "id": c.id,
                "fetched_at": _iso(c.fetched_at),
                "outcome": c.outcome,
                "http_status": c.http_status,
                "views": c.views,
                "revision": number,
                "reason": c.reason,
                "url": c.final_url or c.requested_url,
            }
            for c, number in captures
        ],
    }


@dataclass(frozen=True)
class StatusSince:
    """Since when an article that is no longer live has been so, and why: the first of the gone
    captures in a row that end its history (``since``, ``reason``: ``HTTP 410``, ``redirected to
    another article (15: URL)``...); for a redirected one, the article its URL now leads to."""

    status: str
    since: datetime | None
    reason: str | None
    redirect_id: int | None = None
    redirect_url: str | None = None


def status_since(session: Session, article: Article) -> StatusSince:
    """:class:`StatusSince` of ``article`` (all None but the status for a live one). Failed fetches
    and rejected pages in between say nothing about the page, so they do not break the run."""
    if article.status == "live":
        return StatusSince(article.status, None, None)
    since: Capture | None = None
    outcomes = session.scalars(
        select(Capture)
        .where(Capture.article_id == article.id,
               Capture.outcome.not_in([CaptureOutcome.ERROR, CaptureOutcome.REJECTED]))
        .order_by(Capture.fetched_at.desc(), Capture.id.desc())
    )
    for capture in outcomes:
        if capture.outcome != CaptureOutcome.GONE:
            break
        since = capture
    redirect = session.get(Article, article.redirect_article_id) if article.redirect_article_id else None
    return StatusSince(
        status=article.status,
        since=since.fetched_at if since is not None else None,
        reason=since.reason if since is not None else None,
        redirect_id=redirect.id if redirect is not None else None,
        redirect_url=redirect.canonical_url if redirect is not None else None,
    )


def revision_numbers(session: Session, article: Article) -> list[int]:
    """The numbers of an article's revisions, in order."""
    return list(session.scalars(
        select(Revision.number).where(Revision.article_id == article.id).order_by(Revision.number)))


def article_summary(session: Session, article: Article) -> dict[str, Any]:
    """Identity and status of an article (no revision content); for one that is no longer live,
    since when (``status_since``), why (``status_reason``) and where its URL leads (``redirect_url``)."""
    urls = session.scalars(select(ArticleUrl.url).where(ArticleUrl.article_id == article.id).order_by(ArticleUrl.id))
    state = status_since(session, article)
    return {
        "id": article.id,
        "site": article.site,
        "key": article.key,
        "canonical_url": article.canonical_url,
        "aliases": list(urls),
        "category": article.category,
        "status": article.status,
        "status_since": _iso(state.since),
        "status_reason": state.reason,
        "redirect_article_id": article.redirect_article_id,
        "redirect_url": state.redirect_url,
        "current_revision": article.current_revision.number if article.current_revision else None,
        "first_seen_at": _iso(article.first_seen_at),
        "last_checked_at": _iso(article.last_checked_at),
        "last_changed_at": _iso(article.last_changed_at),
        "next_check_at": _iso(article.next_check_at),
    }


def revision_dict(rev: Revision) -> dict[str, Any]:
    """Every field of a revision, JSON-ready."""
    return {
        "number": rev.number,
        "content_hash": rev.content_hash,
        "title": rev.title,
        "lead": rev.lead,
        "body_text": rev.body_text,
        "body_markdown": rev.body_markdown,
        "author": rev.author,
        "source": rev.source,
        "published_at": _iso(rev.published_at),
        "modified_at": _iso(rev.modified_at),
        "category": rev.category,
        "tags": list(rev.tags or []),
        "images": list(rev.images or []),
        "changed_fields": list(rev.changed_fields or []),
        "trivial": rev.trivial,
        "extractor_version": rev.extractor_version,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class CrawlState:
    """What a crawl needs to know before it starts: which articles exist (to spot new ones while
    paging listings), which are due for a revisit, and the validators for conditional GETs."""

    known_keys: frozenset[str]
    known_urls: frozenset[str]
    due: tuple[tuple[int, str], ...]  # (article id, URL to fetch), most overdue first
    validators: dict[str, tuple[str | None, str | None]]  # URL -> (etag, last_modified)
    all_articles: tuple[tuple[int, str], ...]  # every article and its URL (gone and redirected too)
    discovery_complete: bool  # a full discovery pass has finished before


def crawl_state(session: Session, site: str, *, now: datetime, due_limit: int | None = None) -> CrawlState:
    """The state a crawl of ``site`` starts from, read in one go."""
    keys = frozenset(session.scalars(select(Article.key).where(Article.site == site)))
    urls = frozenset(
        session.scalars(select(ArticleUrl.url).join(Article).where(Article.site == site))
    )
    # checked longest ago first: a full pass cut short by its time limit is carried on by the next
    articles = session.execute(
        select(Article.id, Article.canonical_url, Article.next_check_at)
        .where(Article.site == site)
        .order_by(Article.last_checked_at.nulls_first(), Article.id)
    ).all()
    due = sorted(
        ((a.id, a.canonical_url, a.next_check_at) for a in articles
         if a.next_check_at is None or a.next_check_at <= now),
        key=lambda row: (row[2] is not None, row[2] or now, row[0]),
    )
    if due_limit is not None:
        due = due[:due_limit]
    due_pairs = tuple((article_id, url) for article_id, url, _ in due)
    # validators of each article's latest successful capture
    latest = (
        select(Capture.article_id, func.max(Capture.id).label("cid"))
        .join(Article, Article.id == Capture.article_id)
        .where(
            Article.site == site,
            # a gone or redirected article is asked for in full: a 304 to validators from before it
            # went away would say nothing about whether it is back
            Article.status == "live",
            Capture.outcome.in_(
                [CaptureOutcome.NEW, CaptureOutcome.CHANGED, CaptureOutcome.UNCHANGED, CaptureOutcome.NOT_MODIFIED]
            ),
        )
        .group_by(Capture.article_id)
        .subquery()
    )
    validators: dict[str, tuple[str | None, str | None]] = {}
    rows = session.execute(
        select(Article.canonical_url, Capture.etag, Capture.last_modified)
        .join(latest, latest.c.article_id == Article.id)
        .join(Capture, and_(Capture.id == latest.c.cid))
    )
    for url, etag, last_modified in rows:
        if etag or last_modified:
            validators[url] = (etag, last_modified)
    complete = session.scalar(
        select(func.count())
        .select_from(CrawlRun)
        .where(CrawlRun.site == site, CrawlRun.status == "ok", CrawlRun.stats["discovery"].as_string() == "complete")
    )
    return CrawlState(
        known_keys=keys,
        known_urls=urls,
        due=due_pairs,
        validators=validators,
        all_articles=tuple((a.id, a.canonical_url) for a in articles),
        discovery_complete=bool(complete),
    )


@dataclass(frozen=True)
class NotChecked:
    """The known articles of a site that a run did not fetch: ``not_due`` were not due yet (the next
    of them at ``next_due_at``), ``left_due`` were due but the run stopped first (``--max-requests``,
    a time limit, an interruption)."""

    not_due: int
    next_due_at: datetime | None
    left_due: int

    def to_dict(self) -> dict[str, Any]:
        return {"not_due": self.not_due, "next_due_at": _iso(self.next_due_at), "left_due": self.left_due}


def not_checked(session: Session, run_id: int) -> NotChecked:
    """What run ``run_id`` left unchecked among its site's known articles (see :class:`NotChecked`).
    Due-ness is judged at the run's end, as the next run would see it."""
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise NotFound(f"no crawl run {run_id}")
    moment = run.finished_at or run.started_at
    fetched = select(Capture.article_id).where(Capture.crawl_run_id == run_id, Capture.article_id.is_not(None))
    skipped = (Article.site == run.site, Article.id.not_in(fetched))
    later = Article.next_check_at > moment
    not_due, next_due = session.execute(
        select(func.count(), func.min(Article.next_check_at)).where(*skipped, later)
    ).one()
    due = or_(Article.next_check_at.is_(None), Article.next_check_at <= moment)
    left_due = session.scalar(select(func.count()).select_from(Article).where(*skipped, due)) or 0
    return NotChecked(not_due=int(not_due or 0), next_due_at=next_due, left_due=int(left_due))
