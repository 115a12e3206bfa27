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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import zstandard
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import Article, ArticleUrl, Blob, Capture, CaptureOutcome, Revision, utcnow
from storage.normalize import changed_fields, clean, content_hash, is_trivial_change, trivial_fold

__all__ = [
    "CaptureResult",
    "Content",
    "Fetched",
    "RevisitPolicy",
    "load_blob",
    "record_capture",
]

log = logging.getLogger(__name__)

# The start of the reason given to a response that arrived truncated (and of its rejection).
TRUNCATED = "truncated body"

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
    """The distinct articles any of ``urls`` (aliases) or ``keys`` already belong to, oldest first."""
    found: dict[int, Article] = {}
    if urls:
        rows = session.scalars(
            select(Article).join(ArticleUrl).where(ArticleUrl.url.in_(list(urls)), Article.site == site)
        )
        found.update((a.id, a) for a in rows)
    if keys:
        rows = session.scalars(select(Article).where(Article.site == site, Article.key.in_(list(keys))))
        found.update((a.id, a) for a in rows)
    return sorted(found.values(), key=lambda a: a.id)


def _add_aliases(session: Session, article: Article, urls: Sequence[str], now: datetime) -> None:
    wanted = list(dict.fromkeys(urls))
    if not wanted:
        return
    existing = {a.url: a for a in session.scalars(select(ArticleUrl).where(ArticleUrl.url.in_(wanted)))}
    for url in wanted:
        alias = existing.get(url)
        if alias is None:
            session.add(ArticleUrl(article_id=article.id, url=url, first_seen_at=now, last_seen_at=now))
        else:
            alias.article_id = article.id
            alias.last_seen_at = now


def _same_article(current: Revision | None, digest: str, title: str | None) -> bool:
    """Whether a page reached through a redirect from an article's URL is still that article: the
    same content, or the same title (punctuation and tone-mark placement aside). A redirect to a
    different article (a removal pointing readers elsewhere) must never pass for an edit."""
    if current is None:
        return True
    return current.content_hash == digest or trivial_fold(current.title) == trivial_fold(title)


def _merge(session: Session, keep: Article, absorbed: Article) -> None:
    """``absorbed`` turned out to be ``keep`` reached by another URL (a redirect joined them, typically
    after the new URL was found in a listing before the old one was revisited). Fold it into ``keep``:
    aliases and captures move over, and the two histories are interleaved by the time each revision
    was first captured (consecutive identical states collapse into one); the absorbed row is deleted:
    one article, however many URLs reach it."""
    log.info("article %s is article %s under another URL; merging it in", absorbed.id, keep.id)
    session.flush()
    session.execute(update(ArticleUrl).where(ArticleUrl.article_id == absorbed.id).values(article_id=keep.id))
    session.execute(update(Capture).where(Capture.article_id == absorbed.id).values(article_id=keep.id))
    session.execute(
        update(Article).where(Article.redirect_article_id == absorbed.id).values(redirect_article_id=keep.id)
    )
    absorbed.current_revision = keep.current_revision = None
    absorbed.current_revision_id = keep.current_revision_id = None
    session.flush()
    first_seen = (
        select(Revision, Capture.fetched_at)
        .outerjoin(Capture, Capture.id == Revision.first_capture_id)
        .where(Revision.article_id.in_([keep.id, absorbed.id]))
    )
    ordered = sorted(session.execute(first_seen).all(), key=lambda row: (row[1] or row[0].created_at, row[0].id))
    # park the numbers out of the way of the unique (article_id, number) while renumbering
    for position, (rev, _) in enumerate(ordered, start=1):
        rev.number = -position
        rev.article_id = keep.id
    session.flush()
    kept: list[Revision] = []
    for rev, _ in ordered:
        if kept and kept[-1].content_hash == rev.content_hash:
            session.execute(update(Capture).where(Capture.revision_id == rev.id).values(revision_id=kept[-1].id))
            kept[-1].last_seen_capture_id = max(kept[-1].last_seen_capture_id or 0, rev.last_seen_capture_id or 0)
            session.delete(rev)
            continue
        if kept:
            before, after = Content.of_revision(kept[-1]).hashed_fields(), Content.of_revision(rev).hashed_fields()
            rev.changed_fields = changed_fields(before, after)
            rev.trivial = is_trivial_change(before, after)
        else:
            rev.changed_fields, rev.trivial = [], False
        kept.append(rev)
    session.flush()
    for number, rev in enumerate(kept, start=1):
        rev.number = number
    if kept:
        keep.current_revision = kept[-1]
        keep.current_revision_id = kept[-1].id
    keep.first_seen_at = min(keep.first_seen_at, absorbed.first_seen_at)
    session.delete(absorbed)
    session.flush()


def _failure_backoff(session: Session, article: Article, policy: RevisitPolicy) -> timedelta:
    """How long to wait after a failed fetch (error or rejection): ``policy.retry``, doubled for each
    failure in a row before it, up to ``policy.gone``, so a site-wide outage is not hammered hourly."""
    recent = session.scalars(
        select(Capture.outcome)
        .where(Capture.article_id == article.id)
        .order_by(Capture.fetched_at.desc(), Capture.id.desc())
        .limit(8)
    ).all()
    streak = 0
    for outcome in recent:
        if outcome not in (CaptureOutcome.ERROR, CaptureOutcome.REJECTED):
            break
        streak += 1
    return min(policy.retry * (2**streak), max(policy.gone, policy.retry))


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
    equivalents: Mapping[str, Sequence[str]] | None = None,
) -> CaptureResult:
    """Record one fetch of an article page and decide what it is (new, changed, unchanged, gone...).

    ``category`` is the article's category as its URL names it (a stable slug for listing and
    filtering); the page's own category label is content, kept on the revision.

    ``urls`` are every URL this fetch touched (requested, redirects, final), already normalised;
    ``keys`` their article keys, requested first; ``equivalents`` other spellings of a URL (the same
    path on the site's canonical host), looked up and kept as aliases with it. ``keep_raw`` is ``"changes"`` (keep the raw body for
    new revisions, rejections and tombstones) or ``"all"`` (for every capture).
    """
    now = now or utcnow()
    # the article the request was for, and the ones the URLs it was redirected to belong to
    equivalents = equivalents or {}

    def spellings(group: Sequence[str]) -> list[str]:
        return list(dict.fromkeys(v for u in group for v in (u, *equivalents.get(u, ()))))

    requested = find_article(session, site, spellings(urls[:1]), keys[:1])
    landed = [a for a in find_article(session, site, spellings(urls[1:]), keys[1:]) if a not in requested]
    article = (requested or landed or [None])[0]

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
            article.next_check_at = now + _failure_backoff(session, article, policy)
        return finish(CaptureOutcome.ERROR, fetched.error)

    # 2. 304: the page has not changed since the validators we sent
    if fetched.status == 304:
        republished = False
        if article is not None:
            republished = article.status != "live"
            article.status, article.redirect_article_id = "live", None
            capture.revision_id = article.current_revision_id
            article.last_checked_at = now
            article.next_check_at = policy.next_check(
                now=now, reference=_reference_time(article, None), seed=seed
            )
        result = finish(CaptureOutcome.NOT_MODIFIED, "republished" if republished else None,
                        republished=republished)
        if article is not None and article.current_revision is not None:
            article.current_revision.last_seen_capture_id = capture.id
        return result

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
            article.next_check_at = now + _failure_backoff(session, article, policy)
        return finish(CaptureOutcome.REJECTED, reject_reason)

    assert extracted is not None and extracted.content is not None
    content = extracted.content
    digest = content_hash(content.hashed_fields())
    capture.content_hash = digest

    # 5. an article page with content. Through a redirect it is either the requested article under
    # a new URL (joined, merging an article first found under that URL), or another article: the
    # requested one then counts as redirected, and the page is a capture of the article it shows.
    source = requested[0] if requested else None
    for other in requested[1:]:
        _merge(session, source, other)  # type: ignore[arg-type]
    alias_urls: Sequence[str] = spellings(urls)
    if source is not None and len(urls) > 1 and not _same_article(source.current_revision, digest, content.title):
        article = landed[0] if landed else None
        for other in landed[1:]:
            _merge(session, article, other)  # type: ignore[arg-type]
        alias_urls, keys = spellings(urls[1:]), keys[1:] or keys
        redirected_from = source
    else:
        article = source or (landed[0] if landed else None)
        for other in landed if source is not None else landed[1:]:
            _merge(session, article, other)  # type: ignore[arg-type]
        redirected_from = None
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
    _add_aliases(session, article, alias_urls, now)
    if redirected_from is not None:
        _mark_redirected(session, redirected_from, article, fetched=fetched, crawl_run_id=crawl_run_id,
                         policy=policy, now=now)

    republished = article.status != "live"
    article.status, article.redirect_article_id = "live", None
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
            article.next_check_at = now + policy.retry
            return finish(CaptureOutcome.REJECTED, suspect)

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


def _mark_redirected(
    session: Session,
    article: Article,
    to: Article,
    *,
    fetched: Fetched,
    crawl_run_id: int | None,
    policy: RevisitPolicy,
    now: datetime,
) -> None:
    """``article``'s URL now redirects to another article: a tombstone capture, status redirected."""
    if article.status != "redirected" or article.redirect_article_id != to.id:
        log.info("article %s now redirects to article %s", article.id, to.id)
    session.add(
        Capture(
            article_id=article.id,
            crawl_run_id=crawl_run_id,
            requested_url=fetched.requested_url,
            final_url=fetched.final_url,
            fetched_at=fetched.fetched_at,
            http_status=None,  # the redirect's own status is not kept; the page it led to is `to`'s
            headers={},
            outcome=CaptureOutcome.GONE,
            reason=f"redirected to another article ({to.id}: {fetched.final_url})",
            revision_id=article.current_revision_id,
        )
    )
    article.status = "redirected"
    article.redirect_article_id = to.id
    article.last_checked_at = now
    article.next_check_at = now + policy.gone


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
