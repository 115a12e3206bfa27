"""Candidates for a field, and the one resolver that applies the documented priority.

Every finder answers for one *source* of one field (the profile's selectors, a meta tag, JSON-LD, a
Vietnamese text pattern near the title...) and returns :class:`Candidate` values labelled with that
source. :data:`PRIORITY` orders the sources of each field; the resolvers below ask the finders in that
order, lazily (a finder that is not needed never runs), and take the first answer. So the order in which
the page's evidence wins is written once, here, not implied by the order of calls.

The rule of DESIGN.md is profile selectors > meta tags / JSON-LD > Vietnamese text patterns. The table
keeps the exceptions the extractor has always made, each for a reason given beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Generic, TypeVar

__all__ = ["PRIORITY", "Candidate", "Finders", "resolve", "resolve_date", "resolve_each"]

T = TypeVar("T")

PRIORITY: Mapping[str, tuple[str, ...]] = {
    # The title must be *shown* by the page: a meta/og/JSON-LD headline (then the <title>) is taken when
    # an element shows it, which also says where the article starts; only then looser matches, the meta
    # title alone, a part of <title> an element shows, the only <h1>, and last the <title> itself.
    "title": ("hint", "meta-in-page", "title-in-page", "contained-in-page", "meta", "title-part", "h1", "title"),
    # Dates: the text right after the title beats <time> elements (themes put related articles' <time>s
    # in the content region), and a date before the title comes after both.
    "published_at": ("hint", "meta", "jsonld", "portal-markup", "text-after-title", "time-element",
                     "text-before-title", "date-class"),
    "modified_at": ("meta", "jsonld", "text-updated"),
    "views": ("hint", "text"),
    "tags": ("hint", "meta", "jsonld", "markup", "body-line"),
    "category": ("hint", "meta", "jsonld", "jsonld-breadcrumb", "breadcrumb", "rel-category", "url"),
    # A lead-classed element (sapo) in the content region beats the meta description, which CMSs often
    # fill with a truncated teaser or the site's slogan; the bold first paragraph is the last resort.
    "lead": ("hint", "lead-class", "meta", "jsonld", "bold-first-paragraph"),
    # Author and source come in pairs from byline lines; each field takes the first pair that has it.
    # The page itself gives one pair, from the first of its selector, JSON-LD, meta tags (a person's name
    # only: a site-wide default such as the portal's own name must not beat the byline under the
    # article) and author-classed elements; then come the body's head and tail lines, then a line right
    # after the body that trafilatura left out.
    "byline": ("hint", "jsonld", "meta", "byline-element", "head-line", "tail-line", "after-body"),
}


@dataclass(frozen=True)
class Candidate(Generic[T]):
    """A value for a field, the source that gave it, and a warning to report if it is taken."""

    value: T
    source: str
    warning: str | None = None


# source name -> a function that finds that source's candidates (called only when needed)
Finders = Mapping[str, Callable[[], Iterable[Candidate[T]]]]


def _in_order(field: str, finders: Finders[T]) -> Iterator[Candidate[T]]:
    unknown = set(finders) - set(PRIORITY[field])
    if unknown:  # a finder the table does not rank would silently never run
        raise ValueError(f"no priority for {field} source(s) {sorted(unknown)}")
    for source in PRIORITY[field]:
        finder = finders.get(source)
        if finder is not None:
            yield from finder()


def resolve(field: str, finders: Finders[T]) -> Candidate[T] | None:
    """The first candidate in ``field``'s priority order; None when no finder has one."""
    return next(_in_order(field, finders), None)


def resolve_each(field: str, finders: Finders[T], *, keys: tuple[str, ...],
                 get: Callable[[T, str], object]) -> dict[str, Candidate[T]]:
    """For sources that answer several fields at once (a byline gives author and source): for each of
    ``keys``, the first candidate in priority order whose ``get(value, key)`` is not None."""
    chosen: dict[str, Candidate[T]] = {}
    for cand in _in_order(field, finders):
        for key in keys:
            if key not in chosen and get(cand.value, key) is not None:
                chosen[key] = cand
        if len(chosen) == len(keys):
            break
    return chosen


def resolve_date(field: str, finders: Finders[tuple[datetime, bool]], tz: tzinfo) -> Candidate[datetime] | None:
    """The first date in priority order, in the site's zone. A date without a time of day is completed
    by a later candidate with a time on the same local day (meta tags often drop the time)."""
    found = _in_order(field, finders)
    first = next(found, None)
    if first is None:
        return None
    value, has_time = first.value
    if not has_time:
        day = value.astimezone(tz).date() if value.tzinfo else value.date()
        for other in found:
            moment, other_time = other.value
            if other_time and moment.astimezone(tz).date() == day:
                return Candidate(moment.astimezone(tz), first.source, first.warning)
    local = value.astimezone(tz) if value.tzinfo else value.replace(tzinfo=tz)
    return Candidate(local, first.source, first.warning)
