"""The replica's state: its articles, their URLs, the listings' order and every change made to them.

:class:`SiteState` owns the :class:`~xdd_archive.replica.content.Article` objects once generated and is
the only place that changes them (add, edit, touch, delete, restore, redirect, move). It keeps what the
pages need derived from them: the path -> article table, the newest-first listings per category, and
each article's version before its last edit (what a stale CDN edge still serves). Every method takes
the state's reentrant lock, so the HTTP threads and the test driving the replica never see half a change;
``generation`` moves with every change so that renderers know when a cached page is out of date.

The URL ``scheme`` (``old``, ``new`` or ``portal``: see ``replica/THEMES.md``) is fixed at creation: a
redesign changes the markup, not the URLs.
"""

from __future__ import annotations

import dataclasses
import random
import re
import threading
from datetime import datetime, timedelta
from typing import Any

from xdd_archive.errors import ConfigError
from xdd_archive.replica.content import (
    CATEGORIES,
    SITE_TZ,
    Article,
    UnicodeForm,
    first_id,
    generate_article,
    generate_articles,
    slugify,
)

__all__ = ["ADD_FIELDS", "EDIT_FIELDS", "SiteState", "UnknownArticle", "as_body"]

EDIT_FIELDS = frozenset({"title", "lead", "body", "author", "source", "tags", "replace", "unicode_form"})
ADD_FIELDS = frozenset(
    {"id", "title", "slug", "category", "lead", "body", "author", "source", "tags", "published_at", "views",
     "show_views"}
)
_SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class UnknownArticle(ConfigError):
    """No article of the replica has the id that was asked for."""


def as_body(body: str | list[str]) -> list[str]:
    """A body given as a list of blocks, or as one string with blocks separated by blank lines."""
    if isinstance(body, str):
        return [b.strip() for b in re.split(r"\n[ \t]*\n", body.strip()) if b.strip()]
    if isinstance(body, (list, tuple)) and all(isinstance(b, str) for b in body):
        return list(body)
    raise ConfigError("body must be a string or a list of strings")


def _now() -> datetime:
    return datetime.now(SITE_TZ).replace(microsecond=0)


def _check_add(fields: dict[str, Any]) -> None:
    unknown = set(fields) - ADD_FIELDS
    if unknown:
        raise ConfigError(f"unknown article fields: {', '.join(sorted(unknown))}")
    if "category" in fields and fields["category"] not in CATEGORIES:
        raise ConfigError(f"unknown category {fields['category']!r} (known: {', '.join(CATEGORIES)})")


def _check_edit(unicode_form: object, replace: object) -> None:
    if unicode_form is not None and unicode_form not in ("NFC", "NFD"):
        raise ConfigError(f"unicode_form must be 'NFC' or 'NFD', not {unicode_form!r}")
    if replace is not None and not (
        isinstance(replace, dict) and all(isinstance(k, str) and k and isinstance(v, str) for k, v in replace.items())
    ):
        raise ConfigError("replace must map non-empty strings to strings")


def _apply_given(art: Article, fields: dict[str, Any]) -> None:
    """Overwrite the generated content of a new article with the fields the caller gave (not title/slug)."""
    if "lead" in fields:
        art.lead = str(fields["lead"])
    if "body" in fields:
        art.body = as_body(fields["body"])
    if "author" in fields:
        art.author = fields["author"] or None
    if "source" in fields:
        art.source = fields["source"] or None
    if "tags" in fields:
        art.tags = [str(t) for t in fields["tags"]]
    if "views" in fields:
        art.views = int(fields["views"])
    if "show_views" in fields:
        art.show_views = bool(fields["show_views"])


class SiteState:
    """The articles of one replica, their routes and listings; see the module docstring."""

    def __init__(self, articles: int, seed: int, scheme: str) -> None:
        self.scheme = scheme
        self.lock = threading.RLock()
        #: moves with every change of what any page shows
        self.generation = 0
        self.articles: dict[int, Article] = {}
        self._routes: dict[str, int] = {}
        self._titles: set[str] = set()
        self._slugs: set[str] = set()
        # each article's version before its last edit or touch: what the stale edge serves
        self._previous: dict[int, Article] = {}
        self._index_dirty = True
        self._listed: list[Article] = []
        self._by_category: dict[str, list[Article]] = {}
        self._position: dict[int, int] = {}
        for article in generate_articles(articles, seed, theme=scheme):
            self._register(article)
        # defaults for add() come from their own stream, so the generated site never shifts
        self._add_rng = random.Random(f"replica-add-{seed}")

    # -- reading --------------------------------------------------------------------------------------

    def article(self, id: int) -> Article:
        """The article with ``id``; UnknownArticle (a ConfigError) if there is none."""
        try:
            return self.articles[id]
        except (KeyError, TypeError):
            raise UnknownArticle(f"the replica has no article with id {id!r}") from None

    def path(self, art: Article) -> str:
        """The article's current path in the site's URL scheme."""
        return art.path(self.scheme)

    def route(self, path: str) -> int | None:
        """The id of the article one of whose URLs is ``path`` (normalised), or None."""
        return self._routes.get(path)

    def previous(self, id: int) -> Article | None:
        """The article as it was before its last edit or touch; None if it never changed."""
        return self._previous.get(id)

    def listed(self, category: str | None = None) -> list[Article]:
        """Live, not redirected articles, newest first: all of them or one category's."""
        with self.lock:
            self._reindex()
            return list(self._listed if category is None else self._by_category.get(category, []))

    def neighbours(self, art: Article) -> tuple[list[Article], list[Article]]:
        """(related, others) an article page links: older and newer siblings in its category."""
        with self.lock:
            self._reindex()
            newest = [a for a in self._listed[:6] if a.id != art.id][:5]
            pos = self._position.get(art.id)
            if pos is None:
                return [], newest
            siblings = self._by_category.get(art.category, [])
            return siblings[pos + 1 : pos + 6], siblings[max(0, pos - 5) : pos] or newest

    # -- changes --------------------------------------------------------------------------------------

    def add(self, **fields: Any) -> Article:
        """Publish a new article (see ``Replica.add_article``)."""
        _check_add(fields)
        with self.lock:
            rng = self._add_rng
            art = generate_article(
                rng,
                id=self._new_id(fields.get("id")),
                published_at=self._publication_time(fields.get("published_at")),
                category=fields.get("category") or rng.choice(CATEGORIES),
                theme=self.scheme,
                taken_titles=set(self._titles) if "title" in fields else self._titles,
                taken_slugs=set(self._slugs),
            )
            if "title" in fields:
                art.title = str(fields["title"])
            art.slug = self._free_slug(fields.get("slug") or slugify(art.title))
            _apply_given(art, fields)
            art.modified_at = art.published_at
            self._register(art)
            self._changed(reindex=True)
            return art

    def edit(
        self,
        id: int,
        *,
        title: str | None = None,
        lead: str | None = None,
        body: str | list[str] | None = None,
        author: str | None = None,
        source: str | None = None,
        tags: list[str] | None = None,
        replace: dict[str, str] | None = None,
        unicode_form: UnicodeForm | None = None,
        touch_modified: bool = True,
    ) -> Article:
        """Edit an article's content or encoding (see ``Replica.edit``)."""
        _check_edit(unicode_form, replace)
        with self.lock:
            art = self.article(id)
            new_title = art.title if title is None else str(title)
            new_lead = art.lead if lead is None else str(lead)
            new_body = list(art.body) if body is None else as_body(body)
            for old, new in (replace or {}).items():
                new_title, new_lead = new_title.replace(old, new), new_lead.replace(old, new)
                new_body = [b.replace(old, new) for b in new_body]
            after = (
                new_title, new_lead, new_body,
                art.author if author is None else (author or None),
                art.source if source is None else (source or None),
                list(art.tags) if tags is None else [str(t) for t in tags],
            )
            self._apply_edit(art, after, unicode_form or art.unicode_form, touch_modified)
            return art

    def _apply_edit(self, art: Article, after: tuple[Any, ...], form: UnicodeForm, touch_modified: bool) -> None:
        content_changed = after != (art.title, art.lead, art.body, art.author, art.source, art.tags)
        if not content_changed and form == art.unicode_form:
            return  # a call that changes nothing changes nothing
        self._remember(art)
        if content_changed:
            art.title, art.lead, art.body, art.author, art.source, art.tags = after
            art.version += 1
        art.unicode_form = form
        if touch_modified:
            art.modified_at = self._next_modified(art)
        self._changed()

    def touch(self, id: int) -> Article:
        """Re-save an article without changing its content: new version, ETag and Last-Modified."""
        with self.lock:
            art = self.article(id)
            self._remember(art)
            art.version += 1
            art.modified_at = self._next_modified(art)
            self._changed()
            return art

    def delete(self, id: int, status: int) -> Article:
        """Take an article down: its URLs answer ``status`` (404 or 410)."""
        if status not in (404, 410):
            raise ConfigError(f"a deleted article answers 404 or 410, not {status!r}")
        with self.lock:
            art = self.article(id)
            art.status, art.gone_status, art.redirect_to = "gone", status, None
            self._changed(reindex=True)
            return art

    def restore(self, id: int) -> Article:
        """Put a deleted or redirected article back, live at the same URL."""
        with self.lock:
            art = self.article(id)
            art.status, art.redirect_to = "live", None
            self._changed(reindex=True)
            return art

    def redirect(self, id: int, to: str) -> Article:
        """Make every URL of the article answer 301 to ``to`` (a path or an http(s) URL)."""
        if not isinstance(to, str) or not (to.startswith("/") or re.match(r"https?://", to)):
            raise ConfigError(f"redirect target must be a path or an http(s) URL, not {to!r}")
        with self.lock:
            art = self.article(id)
            art.status, art.redirect_to = "live", to
            self._changed(reindex=True)
            return art

    def move(self, id: int) -> str:
        """Move the article to its new-style path (idempotent); returns that path."""
        with self.lock:
            art = self.article(id)
            if not art.moved:
                art.moved = True
                self._routes[art.new_path()] = art.id
                self._changed()
            return art.new_path()

    def changed(self) -> None:
        """Note a change made outside the articles (a new theme): cached pages are out of date."""
        with self.lock:
            self._changed()

    # -- internals ------------------------------------------------------------------------------------

    def _new_id(self, wanted: object) -> int:
        if wanted is None:
            return max(self.articles, default=first_id(self.scheme) - 1) + 1
        if isinstance(wanted, bool) or not isinstance(wanted, int) or wanted in self.articles:
            raise ConfigError(f"id {wanted!r} is taken or not an integer")
        return wanted

    def _publication_time(self, wanted: object) -> datetime:
        if wanted is None:
            # now, and after every other article: a new article is the newest of the site
            newest = max((a.published_at for a in self.articles.values()), default=None)
            published = _now()
            if newest is not None and published <= newest:
                published = newest + timedelta(minutes=1)
        elif isinstance(wanted, str):
            published = datetime.fromisoformat(wanted)
        elif isinstance(wanted, datetime):
            published = wanted
        else:
            raise ConfigError(f"published_at must be an ISO 8601 string or a datetime, not {wanted!r}")
        return published if published.tzinfo is not None else published.replace(tzinfo=SITE_TZ)

    def _free_slug(self, slug: str) -> str:
        if slug in self._slugs:
            n = 2
            while f"{slug}-{n}" in self._slugs:
                n += 1
            slug = f"{slug}-{n}"
        if not _SLUG_RE.fullmatch(slug):
            raise ConfigError(f"a slug is lower-case ASCII words joined by hyphens, not {slug!r}")
        return slug

    def _register(self, art: Article) -> None:
        self.articles[art.id] = art
        self._titles.add(art.title)
        self._slugs.add(art.slug)
        self._routes[art.original_path(self.scheme)] = art.id
        if art.moved:
            self._routes[art.new_path()] = art.id

    def _remember(self, art: Article) -> None:
        """Keep the article as it is now, before an edit: the stale edge serves this copy."""
        self._previous[art.id] = dataclasses.replace(art, body=list(art.body), tags=list(art.tags))

    def _changed(self, *, reindex: bool = False) -> None:
        self.generation += 1
        if reindex:
            self._index_dirty = True

    @staticmethod
    def _next_modified(art: Article) -> datetime:
        # strictly later than before, so that a client's If-Modified-Since never hides the change
        return max(_now(), art.modified_at.astimezone(SITE_TZ) + timedelta(seconds=1))

    def _reindex(self) -> None:
        """Rebuild the newest-first listings (only after a change of what is listed)."""
        if not self._index_dirty:
            return
        listed = sorted(
            (a for a in self.articles.values() if a.listed), key=lambda a: (a.published_at, a.id), reverse=True
        )
        by_cat: dict[str, list[Article]] = {c: [] for c in CATEGORIES}
        for a in listed:
            by_cat.setdefault(a.category, []).append(a)
        self._listed = listed
        self._by_category = by_cat
        self._position = {a.id: i for items in by_cat.values() for i, a in enumerate(items)}
        self._index_dirty = False
