"""What changed in the archive over a period: the ``changes`` report.

Every event comes from the captures fetched in the period (so "when" is when the archive saw it):

- ``new``: an article's first revision;
- ``changed``: a new revision of a known article, with the fields that changed and whether the change
  is trivial (only punctuation, spacing or tone-mark placement: ``hoà`` / ``hòa``);
- ``revert``: a new revision whose content equals an earlier revision's (not the previous one's):
  A -> B -> A; ``reverts_to`` names that earlier revision;
- ``gone``: the article went from live to gone (404 / 410, or a redirect to an unrelated page); later
  checks of an article that is still gone are not events;
- ``republished``: a gone article is back (with a ``changed`` or ``revert`` event too when it came back
  different).

A new revision is a *silent edit* when the page declares a modified date and that date did not move
although the content did. Pages that declare no modified date are never flagged: nothing was claimed.

Trivial changes are left out unless asked for (``include_trivial``); the report counts them anyway.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from storage.models import Article, Capture, CaptureOutcome, Revision, utcnow
from xdd_archive.errors import ConfigError

__all__ = ["CHANGE_KINDS", "Change", "ChangesReport", "changes_report"]

CHANGE_KINDS = ("new", "changed", "revert", "gone", "republished")

@dataclass(frozen=True)
class Change:
    """One event of the report (see the module docstring for the kinds)."""

    kind: str
    at: datetime
    article_id: int
    site: str
    key: str
    url: str
    title: str | None
    revision: int | None = None
    previous: int | None = None
    changed_fields: tuple[str, ...] = ()
    trivial: bool = False
    silent: bool = False
    reverts_to: int | None = None
    modified_at: datetime | None = None
    previous_modified_at: datetime | None = None
    reason: str | None = None
    capture_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.__dict__.items()}
        data["changed_fields"] = list(self.changed_fields)
        return data


@dataclass(frozen=True)
class ChangesReport:
    """The events of a period, oldest first, and how many of each kind (hidden trivial ones counted
    apart)."""

    since: datetime
    until: datetime
    site: str | None
    include_trivial: bool
    changes: list[Change] = field(default_factory=list)
    hidden_trivial: int = 0

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(c.kind for c in self.changes)
        result = {kind: counted.get(kind, 0) for kind in CHANGE_KINDS}
        result["silent"] = sum(1 for c in self.changes if c.silent)
        result["trivial"] = sum(1 for c in self.changes if c.trivial)
        return result

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "site": self.site,
            "include_trivial": self.include_trivial,
            "counts": self.counts,
            "hidden_trivial": self.hidden_trivial,
            "changes": [c.to_dict() for c in self.changes],
        }


_STILL_THERE = (
    CaptureOutcome.NEW,
    CaptureOutcome.CHANGED,
    CaptureOutcome.UNCHANGED,
    CaptureOutcome.NOT_MODIFIED,
    CaptureOutcome.GONE,
)


def changes_report(
    session: Session,
    *,
    since: datetime,
    until: datetime | None = None,
    site: str | None = None,
    include_trivial: bool = False,
    kinds: tuple[str, ...] | None = None,
) -> ChangesReport:
    """The events seen in ``[since, until)``, oldest first. ``kinds`` keeps only those kinds."""
    until = until or utcnow()
    if since >= until:
        raise ConfigError(f"--since ({since.isoformat()}) must be before --until ({until.isoformat()})")
    unknown = set(kinds or ()) - set(CHANGE_KINDS)
    if unknown:
        raise ConfigError(f"unknown change kind {sorted(unknown)[0]!r} (known: {', '.join(CHANGE_KINDS)})")
    current = aliased(Revision)
    stmt = (
        select(Capture, Article, Revision, current.title)
        .join(Article, Article.id == Capture.article_id)
        .outerjoin(Revision, Revision.id == Capture.revision_id)
        .outerjoin(current, current.id == Article.current_revision_id)
        .where(
            Capture.fetched_at >= since,
            Capture.fetched_at < until,
            or_(
                Capture.outcome.in_([CaptureOutcome.NEW, CaptureOutcome.CHANGED, CaptureOutcome.GONE]),
                Capture.reason == "republished",
            ),
        )
        .order_by(Capture.fetched_at, Capture.id)
    )
    if site:
        stmt = stmt.where(Article.site == site)
    events: list[Change] = []
    hidden = 0
    for capture, article, revision, current_title in session.execute(stmt):
        common = dict(
            at=capture.fetched_at,
            article_id=article.id,
            site=article.site,
            key=article.key,
            url=article.canonical_url,
            capture_id=capture.id,
        )
        if capture.reason == "republished":
            events.append(Change("republished", title=(revision.title if revision else current_title),
                                 revision=revision.number if revision else None, **common))
        if capture.outcome == CaptureOutcome.NEW and revision is not None:
            events.append(Change("new", title=revision.title, revision=revision.number,
                                 modified_at=revision.modified_at, **common))
        elif capture.outcome == CaptureOutcome.CHANGED and revision is not None:
            event = _revision_change(session, revision, common)
            if event.trivial and not include_trivial:
                hidden += 1
            else:
                events.append(event)
        elif capture.outcome == CaptureOutcome.GONE and _was_there(session, capture):
            events.append(Change("gone", title=current_title, reason=capture.reason,
                                 revision=None, **common))
    if kinds:
        events = [e for e in events if e.kind in kinds]
    return ChangesReport(since=since, until=until, site=site, include_trivial=include_trivial,
                         changes=events, hidden_trivial=hidden)


def _revision_change(session: Session, revision: Revision, common: dict[str, Any]) -> Change:
    """A ``changed`` or ``revert`` event for a revision after the first."""
    earlier = session.execute(
        select(Revision.number, Revision.content_hash, Revision.modified_at)
        .where(Revision.article_id == revision.article_id, Revision.number < revision.number)
        .order_by(Revision.number.desc())
    ).all()
    previous = earlier[0] if earlier else None
    reverts_to = next(
        (n for n, digest, _ in earlier[1:] if digest == revision.content_hash),
        None,
    )
    previous_modified = previous.modified_at if previous else None
    # silent: the page declares a modified date, and it is the one the previous revision declared
    silent = (
        previous_modified is not None
        and revision.modified_at is not None
        and revision.modified_at == previous_modified
    )
    return Change(
        "revert" if reverts_to is not None else "changed",
        title=revision.title,
        revision=revision.number,
        previous=previous.number if previous else None,
        changed_fields=tuple(revision.changed_fields or ()),
        trivial=bool(revision.trivial),
        silent=silent,
        reverts_to=reverts_to,
        modified_at=revision.modified_at,
        previous_modified_at=previous_modified,
        **common,
    )


def _was_there(session: Session, capture: Capture) -> bool:
    """True when the capture before this gone one saw the article live (a transition, not a re-check)."""
    before = session.scalar(
        select(Capture.outcome)
        .where(
            Capture.article_id == capture.article_id,
            Capture.outcome.in_(_STILL_THERE),
            or_(
                Capture.fetched_at < capture.fetched_at,
                and_(Capture.fetched_at == capture.fetched_at, Capture.id < capture.id),
            ),
        )
        .order_by(Capture.fetched_at.desc(), Capture.id.desc())
        .limit(1)
    )
    return before is not None and before != CaptureOutcome.GONE
