"""Extraction against the local replica: every generated article of every theme, field by field.

The replica knows the ground truth of each page it serves (``replica.content.Article``), so this is a
quality gate over many pages and three unrelated markups, not one hand-written sample. Pages are
fetched over HTTP from a replica on 127.0.0.1 (no internet).
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from crawler.extract import Extraction, extract
from crawler.sites import get_profile

server = pytest.importorskip("xdd_archive.replica.server")

ARTICLES_PER_THEME = 16
THEMES = ("old", "new", "portal")


def fetch(url: str) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read(), dict(err.headers)


@pytest.fixture(scope="module", params=THEMES)
def site(request: pytest.FixtureRequest) -> Iterator[Any]:
    with server.Replica(articles=ARTICLES_PER_THEME, seed=5, theme=request.param) as replica:
        yield replica


def extract_from(site: Any, url: str, *, profile: bool = True) -> tuple[int, Extraction]:
    status, body, headers = fetch(url)
    prof = get_profile("replica", site.base_url) if profile else None
    return status, extract(url, body, prof, headers=headers)


def ground_truth_problems(site: Any, article_id: int) -> list[str]:
    art = site.article(article_id)
    status, ex = extract_from(site, site.article_url(article_id))
    assert status == 200
    problems = []

    def check(name: str, got: Any, want: Any) -> None:
        if got != want:
            problems.append(f"{article_id} {name}: {got!r} != {want!r}")

    check("not_article", ex.not_article, None)
    check("title", ex.title, art.title)
    check("lead", ex.lead, art.lead)
    check("author", ex.author, art.author)
    check("source", ex.source, art.source)
    check("published_at", ex.published_at, art.published_at)
    if site.theme_name != "portal":  # the portal theme, like the seed page, shows no tags
        check("tags", sorted(ex.tags), sorted(art.tags))
    want_views = art.views if art.show_views else None
    # the counter ticks on every hit: the page shows the count including this request
    if want_views is None or ex.views is None or not 0 <= ex.views - want_views <= 2:
        check("views", ex.views, want_views)
    paragraphs = ex.body_text.split("\n\n") if ex.body_text else []
    check("body paragraphs", paragraphs, [b.text for b in art.blocks if b.kind in ("p", "h")])
    check("image captions", [i.caption for i in ex.images], [b.text for b in art.blocks if b.kind == "img"])
    check("image files", [i.url.rsplit("/", 1)[-1] for i in ex.images],
          [b.url.rsplit("/", 1)[-1] for b in art.blocks if b.kind == "img"])
    for heading in art.headings:
        if f"## {heading}" not in (ex.body_markdown or ""):
            problems.append(f"{article_id} heading not marked in markdown: {heading!r}")
    if ex.published_at is not None and ex.published_at.utcoffset() is not None:
        check("offset", ex.published_at.utcoffset().total_seconds(), 7 * 3600)
    return problems


def test_every_article_matches_ground_truth(site: Any) -> None:
    problems = [p for article_id in site.ids for p in ground_truth_problems(site, article_id)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("with_profile", [True, False], ids=["profile", "no-profile"])
def test_listing_and_home_are_not_articles(site: Any, with_profile: bool) -> None:
    category = site.article(site.ids[0]).category
    for path in (f"/{category}", f"/{category}?page=2", "/"):
        status, ex = extract_from(site, site.base_url + path, profile=with_profile)
        if status != 200:
            continue
        assert ex.not_article is not None and "listing" in ex.not_article, (path, ex.not_article, ex.title)


def test_maintenance_served_with_200(site: Any) -> None:
    article_id = site.ids[1]
    site.misbehave("maintenance", article_id=article_id)
    status, ex = extract_from(site, site.article_url(article_id))
    assert status == 200
    assert ex.not_article == "maintenance page"


def test_wrong_charset_changes_nothing(site: Any) -> None:
    article_id = site.ids[2]
    _, normal = extract_from(site, site.article_url(article_id))
    site.misbehave("wrong-charset", article_id=article_id)
    _, wrong = extract_from(site, site.article_url(article_id))
    for name in ("title", "lead", "body_text", "author", "source", "published_at", "tags", "images"):
        assert getattr(wrong, name) == getattr(normal, name), name


def test_deleted_article_error_page(site: Any) -> None:
    article_id = site.ids[3]
    site.delete(article_id)
    try:
        status, ex = extract_from(site, site.article_url(article_id))
    finally:
        site.restore(article_id)
    assert status in (404, 410)
    assert ex.not_article is not None and ex.not_article.startswith("error page"), ex.not_article


def test_truncated_page_is_flagged(site: Any) -> None:
    article_id = site.ids[4]
    site.misbehave("truncate", article_id=article_id)
    try:
        _status, ex = extract_from(site, site.article_url(article_id))
    except http.client.IncompleteRead as exc:  # the full Content-Length was announced, less was sent
        ex = extract(site.article_url(article_id), exc.partial, get_profile("replica", site.base_url))
    assert any("truncated" in w for w in ex.warnings)
