"""The versioning rules: record one capture and decide what it means.

:func:`record_capture` is the only writer of articles, aliases, revisions and captures. Each call is one
transaction (the caller's ``archive.write()``), so a crash at any point leaves the archive as it was before
the call, and recording the same fetch again never duplicates a revision. The rules (DESIGN.md):

- a revision is a distinct content state (:func:`storage.normalize.content_hash`); the same content as
  the current revision is ``unchanged``; A -> B -> A makes revision 3 (a revert), never a merge into 1;
- a page that is not an article, a truncated body, or an extraction failure is ``rejected`` with its raw
  body and reason, and makes no revision; a bad fetch must never look like an edit;
- a sudden large cut is held as ``rejected`` (suspect) until a later fetch returns the same content;
- 404 / 410 (or a redirect to an unrelated page) after being live -> status ``gone`` and a tombstone
  capture; live again later -> ``republished``;
- view counts are stored per capture and never make a revision.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import zstandard
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import Article, ArticleUrl, Blob, Capture, CaptureOutcome, Revision, utcnow
from storage.normalize import changed_fields, clean, content_hash, is_trivial_change

__all__ = [
    "CaptureResult",
    "Content",
    "Fetched",
    "RevisitPolicy",
    "load_blob",
    "record_capture",
]

log = logging.getLogger(__name__)

# A cut is suspect when the new body keeps less than this share of the current one...
SUSPECT_RATIO = 0.5
# ...and the current body was long enough for the ratio to mean something.
SUSPECT_MIN_CHARS = 400

_compressor = zstandard.ZstdCompressor(level=9)
_decompressor = zstandard.ZstdDecompressor()


@dataclass(frozen=True, kw_only=True)
class Fetched:
    """What came back from one fetch of an article URL (or one WARC response record)."""

    requested_url: str
    final_url: str | None
    fetched_at: datetime
    status: int | None = None  # HTTP status; None when no response came back at all
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    # set when nothing usable came back: a network error, a 5xx after the retries
    error: str | None = None
    # set when the response itself is bad even though it arrived: a truncated body
    defect: str | None = None
    # the page is gone even though the status is not 404/410 (e.g. a redirect to the home page)
    gone_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class Content:
    """The extracted content fields, as the extractor made them."""

    title: str | None = None
    lead: str | None = None
    body_text: str | None = None
    body_markdown: str | None = None
    author: str | None = None
    source: str | None = None
    published_at: datetime | None = None
    modified_at: datetime | None = None
    category: str | None = None
    tags: Sequence[str] = ()
    images: Sequence[dict[str, Any]] = ()

    def hashed_fields(self) -> dict[str, Any]:
        """The fields under the revision hash, by their DESIGN.md names (``body`` is the body text)."""
        return {
            "title": self.title,
            "lead": self.lead,
            "body": self.body_text,
            "author": self.author,
            "source": self.source,
            "published_at": self.published_at,
            "category": self.category,
            "tags": list(self.tags),
            "images": list(self.images),
        }

    @classmethod
    def of_revision(cls, rev: Revision) -> Content:
        return cls(
            title=rev.title,
            lead=rev.lead,
            body_text=rev.body_text,
            body_markdown=rev.body_markdown,
            author=rev.author,
            source=rev.source,
            published_at=rev.published_at,
            modified_at=rev.modified_at,
            category=rev.category,
            tags=list(rev.tags or []),
            images=list(rev.images or []),
        )


@dataclass(frozen=True, kw_only=True)
class Extracted:
    """The extractor's verdict on a fetched page: content, or the reason it is not an article."""

    content: Content | None = None
    views: int | None = None
    not_article: str | None = None
    extractor_version: str | None = None


@dataclass(frozen=True, kw_only=True)
class RevisitPolicy:
    """When an article is due again. The interval grows with the article's age, measured from the
    later of its publication and its last detected change, so a change tightens it again.

    ``tiers`` are (age below, interval) pairs in increasing age; ``oldest`` applies past the last.
    ``jitter`` spreads revisits (a share of the interval, up and down) so they do not bunch up.
    """

    tiers: tuple[tuple[timedelta, timedelta], ...] = (
        (timedelta(days=2), timedelta(hours=1)),
        (timedelta(days=14), timedelta(hours=6)),
        (timedelta(days=91), timedelta(days=1)),
        (timedelta(days=365), timedelta(days=7)),
    )
    oldest: timedelta = timedelta(days=30)
    jitter: float = 0.1
    # a page that failed (error, rejected): try again soon, whatever its age
    retry: timedelta = timedelta(hours=1)
    # a gone page: look now and then whether it comes back
    gone: timedelta = timedelta(days=7)

    def interval(self, age: timedelta) -> timedelta:
        for below, interval in self.tiers:
            if age < below:
                return interval
        return self.oldest

    def next_check(self, *, now: datetime, reference: datetime | None, seed: int) -> datetime:
        """The next check time for an article whose age counts from ``reference``."""
        age = now - reference if reference is not None else timedelta(0)
        return now + self._jittered(self.interval(max(age, timedelta(0))), seed)

    def _jittered(self, interval: timedelta, seed: int) -> timedelta:
        if not self.jitter:
            return interval
        spread = random.Random(seed).uniform(-self.jitter, self.jitter)
        return interval * (1 + spread)


DEFAULT_POLICY = RevisitPolicy()


@dataclass(frozen=True)
class CaptureResult:
    """What :func:`record_capture` decided."""

    outcome: str
    capture_id: int
    article_id: int | None = None
    revision_number: int | None = None
    changed_fields: tuple[str, ...] = ()
    trivial: bool = False
    reason: str | None = None
    republished: bool = False
    # the caller should fetch the page again soon (a suspect cut waits for confirmation)
    refetch: bool = False


# -- blobs ---------------------------------------------------------------------------------------


def store_blob(session: Session, data: bytes) -> str:
    """Keep ``data`` compressed, once per digest; returns the sha256 hex digest."""
    digest = hashlib.sha256(data).hexdigest()
    if session.get(Blob, digest) is None:
        session.add(Blob(digest=digest, size=len(data), codec="zstd", data=_compressor.compress(data)))
        session.flush()
    return digest


def load_blob(session: Session, digest: str) -> bytes | None:
    """The raw bytes stored under ``digest``, or None when they were not kept."""
    blob = session.get(Blob, digest)
    if blob is None:
        return None
    if blob.codec != "zstd":
        raise ValueError(f"unknown blob codec {blob.codec!r}")
    return _decompressor.decompress(blob.data)


# -- identity --------------------------------------------------------------------------------------


def find_article(session: Session, site: str, urls: Sequence[str], keys: Sequence[str]) -> list[Article]:
    """The distinct live-or-not articles any of ``urls`` (aliases) or ``keys`` already belong to,
    oldest first, following redirect stubs to the article they were merged into."""
    found: dict[int, Article] = {}
    if urls:
        rows = session.scalars(
            select(Article).join(ArticleUrl).where(ArticleUrl.url.in_(list(urls)), Article.site == site)
        )
        for a in rows:
            found[a.id] = a
    if keys:
        for a in session.scalars(select(Article).where(Article.site == site, Article.key.in_(list(keys)))):
            found[a.id] = a
    resolved: dict[int, Article] = {}
    for article in found.values():
        seen = set()
        while article.redirect_article_id is not None and article.id not in seen:
            seen.add(article.id)
            article = session.get(Article, article.redirect_article_id)  # type: ignore[assignment]
        resolved[article.id] = article
    return sorted(resolved.values(), key=lambda a: a.id)


def _add_aliases(session: Session, article: Article, urls: Sequence[str], now: datetime) -> None:
    for url in dict.fromkeys(urls):
        alias = session.scalar(select(ArticleUrl).where(ArticleUrl.url == url))
        if alias is None:
            session.add(ArticleUrl(article_id=article.id, url=url, first_seen_at=now, last_seen_at=now))
        else:
            alias.article_id = article.id
            alias.last_seen_at = now


def _merge(session: Session, keep: Article, absorbed: Article) -> None:
    """``absorbed`` turned out to be ``keep`` reached by another URL (a redirect joined them, typically
    after the new URL was found in a listing before the old one was revisited). Fold it into ``keep``:
    its aliases and captures move over; each of its revisions either is ``keep``'s current content
    (and is dropped, its captures pointing at ``keep``'s revision) or is appended as a new revision.
    The absorbed article row is then deleted: one article, however many URLs reach it."""
    log.info("article %s is article %s under another URL; merging it in", absorbed.id, keep.id)
    session.flush()
    session.execute(update(ArticleUrl).where(ArticleUrl.article_id == absorbed.id).values(article_id=keep.id))
    session.execute(update(Capture).where(Capture.article_id == absorbed.id).values(article_id=keep.id))
    session.execute(
        update(Article).where(Article.redirect_article_id == absorbed.id).values(redirect_article_id=keep.id)
    )
    absorbed.current_revision_id = None
    absorbed.current_revision = None
    session.flush()
    current = keep.current_revision
    highest = session.scalar(select(func.max(Revision.number)).where(Revision.article_id == keep.id)) or 0
    theirs = session.scalars(
        select(Revision).where(Revision.article_id == absorbed.id).order_by(Revision.number)
    ).all()
    for rev in theirs:
        if current is not None and rev.content_hash == current.content_hash:
            session.execute(update(Capture).where(Capture.revision_id == rev.id).values(revision_id=current.id))
            session.delete(rev)
            continue
        if current is not None:
            before, after = Content.of_revision(current).hashed_fields(), Content.of_revision(rev).hashed_fields()
            rev.changed_fields = changed_fields(before, after)
            rev.trivial = is_trivial_change(before, after)
        highest += 1
        rev.article_id = keep.id
        rev.number = highest
        current = rev
    session.flush()
    if current is not None and current is not keep.current_revision:
        keep.current_revision = current
        keep.current_revision_id = current.id
    keep.first_seen_at = min(keep.first_seen_at, absorbed.first_seen_at)
    session.delete(absorbed)
    session.flush()


# -- the rules -------------------------------------------------------------------------------------


def _reference_time(article: Article, content: Content | None) -> datetime | None:
    """The moment an article's age counts from: the later of publication and last change.

    Without fresh content (a 304), publication is the current revision's: else an old article
    would count its age from when we first saw it, and be revisited as if it were new.
    """
    if content is not None:
        published = content.published_at
    else:
        published = article.current_revision.published_at if article.current_revision is not None else None
    candidates = [t for t in (published, article.last_changed_at) if t]
    if not candidates:
        return article.first_seen_at
    return max(candidates)


def _suspect_cut(current: Revision, content: Content) -> str | None:
    old = clean(current.body_text)
    new = clean(content.body_text)
    if len(old) < SUSPECT_MIN_CHARS or len(new) >= SUSPECT_RATIO * len(old):
        return None
    old_paras = set(old.split("\n\n"))
    kept = sum(1 for p in new.split("\n\n") if p in old_paras)
    return (
        f"suspect cut: body shrank from {len(old)} to {len(new)} characters "
        f"({kept} of {len(old_paras)} paragraphs kept); held until a later fetch confirms it"
    )


def record_capture(
    session: Session,
    *,
    site: str,
    urls: Sequence[str],
    keys: Sequence[str],
    canonical_url: str,
    fetched: Fetched,
    extracted: Extracted | None = None,
    crawl_run_id: int | None = None,
    policy: RevisitPolicy = DEFAULT_POLICY,
    keep_raw: str = "changes",
    now: datetime | None = None,
    category: str | None = None,
) -> CaptureResult:
    """Record one fetch of an article page and decide what it is (new, changed, unchanged, gone...).

    ``category`` is the article's category as its URL names it (a stable slug for listing and
    filtering); the page's own category label is content, kept on the revision.

    ``urls`` are every URL this fetch touched (requested, redirects, final), already normalised;
    ``keys`` their article keys, requested first. ``keep_raw`` is ``"changes"`` (keep the raw body for
    new revisions, rejections and tombstones) or ``"all"`` (for every capture).
    """
    now = now or utcnow()
    candidates = find_article(session, site, urls, keys)
    article = candidates[0] if candidates else None
    for other in candidates[1:]:
        _merge(session, article, other)  # type: ignore[arg-type]

    capture = Capture(
        article_id=article.id if article else None,
        crawl_run_id=crawl_run_id,
        requested_url=fetched.requested_url,
        final_url=fetched.final_url,
        fetched_at=fetched.fetched_at,
        http_status=fetched.status,
        etag=fetched.headers.get("etag") or fetched.headers.get("ETag"),
        last_modified=fetched.headers.get("last-modified") or fetched.headers.get("Last-Modified"),
        headers=dict(fetched.headers),
        views=extracted.views if extracted else None,
    )

    def keep_body(always: bool) -> None:
        if fetched.body is None:
            return
        if always or keep_raw == "all":
            capture.body_digest = store_blob(session, fetched.body)
        else:
            capture.body_digest = hashlib.sha256(fetched.body).hexdigest()

    def finish(outcome: str, reason: str | None = None, **extra: Any) -> CaptureResult:
        capture.outcome = outcome
        capture.reason = reason
        session.add(capture)
        session.flush()
        return CaptureResult(outcome, capture.id, capture.article_id, reason=reason, **extra)

    seed = hash((article.id if article else 0, fetched.fetched_at.timestamp()))

    # 1. nothing usable came back
    if fetched.error is not None:
        keep_body(always=False)
        if article is not None:
            article.last_checked_at = now
            article.next_check_at = now + policy.retry
        return finish(CaptureOutcome.ERROR, fetched.error)

    # 2. 304: the page has not changed since the validators we sent
    if fetched.status == 304:
        if article is not None:
            capture.revision_id = article.current_revision_id
            article.last_checked_at = now
            article.next_check_at = policy.next_check(
                now=now, reference=_reference_time(article, None), seed=seed
            )
        return finish(CaptureOutcome.NOT_MODIFIED)

    # 3. gone: 404/410, or a redirect to an unrelated page
    if fetched.status in (404, 410) or fetched.gone_reason:
        keep_body(always=True)
        reason = fetched.gone_reason or f"HTTP {fetched.status}"
        if article is not None:
            if article.status == "live":
                log.info("article %s is gone (%s)", article.id, reason)
            article.status = "gone"
            article.last_checked_at = now
            article.next_check_at = now + policy.gone
        return finish(CaptureOutcome.GONE, reason)

    # 4. rejected: a defective response, not an article, no content
    reject_reason = fetched.defect
    if reject_reason is None and (fetched.status is None or not 200 <= fetched.status < 300):
        reject_reason = f"unexpected HTTP status {fetched.status}"
    if reject_reason is None and (extracted is None or extracted.content is None):
        reject_reason = extracted.not_article if extracted and extracted.not_article else "no content extracted"
    if reject_reason is None and extracted is not None and extracted.not_article:
        reject_reason = f"not an article: {extracted.not_article}"
    if reject_reason is None and not clean(extracted.content.title if extracted and extracted.content else None):
        reject_reason = "no title"
    if reject_reason is not None:
        keep_body(always=True)
        if article is not None:
            article.last_checked_at = now
            article.next_check_at = now + policy.retry
        return finish(CaptureOutcome.REJECTED, reject_reason)

    assert extracted is not None and extracted.content is not None
    content = extracted.content
    digest = content_hash(content.hashed_fields())
    capture.content_hash = digest

    # 5. an article page with content
    new_article = article is None
    if article is None:
        article = Article(
            site=site,
            key=keys[0],
            canonical_url=canonical_url,
            category=category or content.category,
            status="live",
            first_seen_at=now,
        )
        session.add(article)
        session.flush()
        capture.article_id = article.id
    _add_aliases(session, article, urls, now)

    republished = article.status == "gone"
    article.status = "live"
    article.last_checked_at = now
    article.canonical_url = canonical_url
    current = article.current_revision

    if current is not None and current.content_hash == digest:
        capture.revision_id = current.id
        capture.outcome = CaptureOutcome.UNCHANGED
        keep_body(always=False)
        session.add(capture)
        session.flush()
        current.last_seen_capture_id = capture.id
        article.next_check_at = policy.next_check(
            now=now, reference=_reference_time(article, content), seed=seed
        )
        return finish(
            CaptureOutcome.UNCHANGED,
            "republished" if republished else None,
            republished=republished,
            revision_number=current.number,
        )

    if current is not None:
        suspect = _suspect_cut(current, content)
        if suspect is not None and not _confirms_suspect(session, article.id, digest):
            keep_body(always=True)
            capture.content_hash = digest
            article.next_check_at = now + policy.retry
            return finish(CaptureOutcome.REJECTED, suspect, refetch=True)

    old = Content.of_revision(current) if current is not None else None
    changed = changed_fields(old.hashed_fields(), content.hashed_fields()) if old else []
    trivial = bool(old) and is_trivial_change(old.hashed_fields(), content.hashed_fields())  # type: ignore[union-attr]
    number = (current.number if current else 0) + 1
    # a merge may leave a higher number elsewhere in this article's history: never reuse one
    highest = session.scalar(select(func.max(Revision.number)).where(Revision.article_id == article.id))
    number = max(number, (highest or 0) + 1)
    outcome = CaptureOutcome.NEW if current is None else CaptureOutcome.CHANGED
    capture.outcome = outcome
    keep_body(always=True)
    session.add(capture)
    session.flush()
    revision = Revision(
        article_id=article.id,
        number=number,
        content_hash=digest,
        title=content.title,
        lead=content.lead,
        body_text=content.body_text,
        body_markdown=content.body_markdown,
        author=content.author,
        source=content.source,
        published_at=content.published_at,
        modified_at=content.modified_at,
        category=content.category,
        tags=list(content.tags),
        images=[dict(i) for i in content.images],
        changed_fields=changed,
        trivial=trivial,
        first_capture_id=capture.id,
        last_seen_capture_id=capture.id,
        extractor_version=extracted.extractor_version,
        created_at=now,
    )
    session.add(revision)
    session.flush()
    capture.revision_id = revision.id
    article.current_revision = revision
    article.current_revision_id = revision.id
    article.category = category or article.category or content.category
    if not new_article:
        article.last_changed_at = now
    article.next_check_at = policy.next_check(
        now=now, reference=_reference_time(article, content), seed=seed
    )
    return finish(
        outcome,
        "republished" if republished else None,
        revision_number=number,
        changed_fields=tuple(changed),
        trivial=trivial,
        republished=republished,
    )


def _confirms_suspect(session: Session, article_id: int, digest: str) -> bool:
    """True when the article's latest capture was a suspect rejection of this very content."""
    last = session.scalar(
        select(Capture)
        .where(Capture.article_id == article_id)
        .order_by(Capture.fetched_at.desc(), Capture.id.desc())
        .limit(1)
    )
    return (
        last is not None
        and last.outcome == CaptureOutcome.REJECTED
        and last.content_hash == digest
        and (last.reason or "").startswith("suspect")
    )
