"""What changed in the archive over a period: the ``changes`` report.

Every event comes from the captures fetched in the period (so "when" is when the archive saw it):

- ``new``: an article's first revision;
- ``changed``: a new revision of a known article, with the fields that changed, old -> new for the
  short ones (title, author, source, category, the dates), an excerpt of the first change of the long
  ones (lead, body), and whether the change is trivial (only punctuation, spacing or tone-mark
  placement: ``hoà`` / ``hòa``);
- ``revert``: a new revision whose content equals an earlier revision's (not the previous one's):
  A -> B -> A; ``reverts_to`` names that earlier revision;
- ``gone``: the article went from live to gone (404 / 410, a redirect to an unrelated page, or its URL
  now leads to another article); later checks of an article that is still gone are not events;
- ``republished``: a gone article is back (with a ``changed`` or ``revert`` event too when it came back
  different).

``silent`` says whether a content change was a *silent edit* (:func:`storage.diff.silent_edit`):
``yes`` when the page declares a modified date and it did not move although the content did, ``no``
when it moved, ``unknown`` when a revision declares none (the old site's pages never do: nothing was
claimed, nothing can be told). ``silent`` as a kind filter keeps the ``yes`` ones.

What people look for comes first: :meth:`ChangesReport.sections` orders silent edits, edits,
reverts, removals and republications, and leaves new articles to a count unless they are asked for
(``include_new``, or the ``new`` kind). Trivial changes are left out unless asked for
(``include_trivial``); the report counts them anyway.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from storage.diff import FIELD_LABELS, Op, diff_revisions, excerpt, silent_edit
from storage.models import Article, Capture, CaptureOutcome, Revision, utcnow
from storage.timespec import iso
from xdd_archive.errors import ConfigError

__all__ = ["CHANGE_KINDS", "KIND_FILTERS", "SHORT_FIELDS", "Change", "ChangesReport", "FieldChange",
           "changes_report"]

CHANGE_KINDS = ("new", "changed", "revert", "gone", "republished")
#: what ``--kind`` takes: the kinds, and ``silent`` (changes whose declared modified date did not move)
KIND_FILTERS = (*CHANGE_KINDS, "silent")
#: fields short enough to show old -> new in a line
SHORT_FIELDS = ("title", "author", "source", "category", "published_at", "modified_at")
#: prose fields shown as an excerpt of their first change
PROSE_FIELDS = ("lead", "body")


@dataclass(frozen=True)
class FieldChange:
    """One field of a change: ``old`` -> ``new`` for a short field; for prose, ``excerpt``: the first
    change with a few words around it (equal / delete / insert operations)."""

    name: str
    old: Any = None
    new: Any = None
    excerpt: tuple[Op, ...] = ()

    @property
    def label(self) -> str:
        return FIELD_LABELS.get(self.name, self.name)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"field": self.name}
        if self.name in PROSE_FIELDS:
            data["excerpt"] = [op.to_dict() for op in self.excerpt]
        else:
            data["old"], data["new"] = self.old, self.new
        return data


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
    fields: tuple[FieldChange, ...] = ()
    trivial: bool = False
    silent: str | None = None
    reverts_to: int | None = None
    modified_at: datetime | None = None
    previous_modified_at: datetime | None = None
    reason: str | None = None
    redirect_article_id: int | None = None
    capture_id: int | None = None

    @property
    def is_silent(self) -> bool:
        return self.silent == "yes"

    def to_dict(self) -> dict[str, Any]:
        data = {k: (iso(v) if isinstance(v, datetime) else v) for k, v in self.__dict__.items()}
        data["changed_fields"] = list(self.changed_fields)
        data["fields"] = [f.to_dict() for f in self.fields]
        return data


#: the report's sections in the order people read them: (name, heading, which events)
SECTIONS: tuple[tuple[str, str], ...] = (
    ("silent", "Silent edits: the content changed, the declared modified date did not"),
    ("changed", "Edits"),
    ("revert", "Reverts: back to an earlier text"),
    ("gone", "Removed"),
    ("republished", "Back online"),
    ("new", "New articles"),
)


def _section_of(change: Change) -> str:
    return "silent" if change.kind in ("changed", "revert") and change.is_silent else change.kind


@dataclass(frozen=True)
class ChangesReport:
    """The events of a period, oldest first, and how many of each kind; hidden trivial changes and
    (unless ``include_new``) new articles are counted apart."""

    since: datetime
    until: datetime
    site: str | None
    include_trivial: bool
    changes: list[Change] = field(default_factory=list)
    hidden_trivial: int = 0
    include_new: bool = True
    hidden_new: int = 0

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(c.kind for c in self.changes)
        result = {kind: counted.get(kind, 0) for kind in CHANGE_KINDS}
        result["new"] += self.hidden_new
        edits = [c for c in self.changes if c.kind in ("changed", "revert")]
        result["silent"] = sum(1 for c in edits if c.silent == "yes")
        result["silent_unknown"] = sum(1 for c in edits if c.silent == "unknown")
        result["trivial"] = sum(1 for c in self.changes if c.trivial)
        return result

    def sections(self) -> list[tuple[str, str, list[Change]]]:
        """(name, heading, events) of each non-empty section, in :data:`SECTIONS` order; events in
        time order within a section."""
        out = []
        for name, heading in SECTIONS:
            events = [c for c in self.changes if _section_of(c) == name]
            if events:
                out.append((name, heading, events))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": iso(self.since),
            "until": iso(self.until),
            "site": self.site,
            "include_trivial": self.include_trivial,
            "include_new": self.include_new,
            "counts": self.counts,
            "hidden_trivial": self.hidden_trivial,
            "hidden_new": self.hidden_new,
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
    include_new: bool = True,
) -> ChangesReport:
    """The events seen in ``[since, until)``, oldest first. ``kinds`` keeps only those kinds (and
    ``silent``: the silent edits); ``include_new=False`` counts new articles without listing them
    (asking for the ``new`` kind lists them anyway)."""
    until = until or utcnow()
    if since >= until:
        raise ConfigError(f"--since ({since.isoformat()}) must be before --until ({until.isoformat()})")
    unknown = set(kinds or ()) - set(KIND_FILTERS)
    if unknown:
        raise ConfigError(f"unknown change kind {sorted(unknown)[0]!r} (known: {', '.join(KIND_FILTERS)})")
    include_new = include_new or "new" in (kinds or ())
    events: list[Change] = []
    hidden = 0
    for capture, article, revision, current_title in session.execute(_events_query(since, until, site)):
        if capture.reason == "republished":
            events.append(_event("republished", capture, article, title=revision.title if revision else current_title,
                                 revision=revision.number if revision else None))
        if capture.outcome == CaptureOutcome.NEW and revision is not None:
            events.append(_event("new", capture, article, title=revision.title, revision=revision.number,
                                 modified_at=revision.modified_at))
        elif capture.outcome == CaptureOutcome.CHANGED and revision is not None:
            event = _revision_change(session, revision, capture, article)
            if event.trivial and not include_trivial:
                hidden += 1
            else:
                events.append(event)
        elif capture.outcome == CaptureOutcome.GONE and _was_there(session, capture):
            leads_to = article.redirect_article_id if article.status == "redirected" else None
            events.append(_event("gone", capture, article, title=current_title, reason=capture.reason,
                                 redirect_article_id=leads_to))
    if kinds:
        events = [e for e in events if e.kind in kinds or ("silent" in kinds and _section_of(e) == "silent")]
    hidden_new = 0
    if not include_new:
        hidden_new = sum(1 for e in events if e.kind == "new")
        events = [e for e in events if e.kind != "new"]
    return ChangesReport(since=since, until=until, site=site, include_trivial=include_trivial,
                         changes=events, hidden_trivial=hidden, include_new=include_new, hidden_new=hidden_new)


def _events_query(since: datetime, until: datetime, site: str | None) -> Any:
    """Captures that may be events, with their article, the revision they saw and the current title."""
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
    return stmt.where(Article.site == site) if site else stmt


def _event(kind: str, capture: Capture, article: Article, **details: Any) -> Change:
    return Change(kind, at=capture.fetched_at, article_id=article.id, site=article.site, key=article.key,
                  url=article.canonical_url, capture_id=capture.id, **details)


def _revision_change(session: Session, revision: Revision, capture: Capture, article: Article) -> Change:
    """A ``changed`` or ``revert`` event for a revision after the first: which fields changed, how."""
    earlier = session.execute(
        select(Revision.number, Revision.content_hash)
        .where(Revision.article_id == revision.article_id, Revision.number < revision.number)
        .order_by(Revision.number.desc())
    ).all()
    reverts_to = next((n for n, digest in earlier[1:] if digest == revision.content_hash), None)
    previous = session.scalar(
        select(Revision).where(Revision.article_id == revision.article_id, Revision.number == earlier[0].number)
    ) if earlier else None
    fields: list[FieldChange] = []
    silent = None
    if previous is not None:
        diff = diff_revisions(previous, revision)
        silent = silent_edit(previous.modified_at, revision.modified_at)
        for f in diff.changed:
            if f.name in SHORT_FIELDS:
                fields.append(FieldChange(f.name, old=f.old, new=f.new))
            elif f.name in PROSE_FIELDS:
                fields.append(FieldChange(f.name, excerpt=excerpt(f)))
    return _event(
        "revert" if reverts_to is not None else "changed",
        capture,
        article,
        title=revision.title,
        revision=revision.number,
        previous=previous.number if previous is not None else None,
        changed_fields=tuple(revision.changed_fields or ()),
        fields=tuple(fields),
        trivial=bool(revision.trivial),
        silent=silent,
        reverts_to=reverts_to,
        modified_at=revision.modified_at,
        previous_modified_at=previous.modified_at if previous is not None else None,
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
