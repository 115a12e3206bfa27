"""Fetching as little as possible: revisits follow the article's age and tighten after a change, and
discovery stops paging once a listing page holds nothing new. Real crawls (child processes) of the
replica, with the clock frozen through $XDD_NOW; what was fetched is read from the replica's log."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from storage.archive import RevisitPolicy
from xdd_archive.config import load_config
from xdd_archive.replica import Replica

from .conftest import run_cli

pytestmark = pytest.mark.slow

T = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)


def crawl_at(site: Replica, db: Path, when: datetime, *extra: str) -> dict[str, Any]:
    """One incremental crawl as if it were ``when``, revisit jitter off (so intervals are exact)."""
    done = run_cli("crawl", "--site", "replica", "--base-url", site.base_url, "--db", str(db), "--json", *extra,
                   env={"XDD_NOW": when.isoformat(), "XDD_REVISIT_JITTER": "0"})
    return json.loads(done.stdout)


def fetched_articles(site: Replica) -> set[int]:
    """The articles whose pages the last crawl requested (then forget the log)."""
    ids = {r.article_id for r in site.requests if r.article_id is not None}
    site.clear_requests()
    return ids


def next_check(sql, site: Replica, article_id: int) -> datetime:
    (value,), = sql("select next_check_at from articles where canonical_url like ?",
                    f"%{site.article_path(article_id)}")
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def test_revisits_follow_the_age_tiers_tighten_after_a_change_and_fetch_only_what_is_due(db_path, sql):
    with Replica(articles=0, theme="old") as site:
        ages = {"fresh": 1 * D, "week": 5 * D, "month": 30 * D, "year": 200 * D, "old": 3 * 365 * D}
        art = {name: site.add_article(published_at=T - age).id for name, age in ages.items()}

        crawl_at(site, db_path, T)
        assert fetched_articles(site) == set(art.values())
        # the default tiers: < 2 days: 1 h, < 2 weeks: 6 h, < 3 months: 1 day, < a year: 1 week, else 30 days
        expected = {"fresh": T + H, "week": T + 6 * H, "month": T + D, "year": T + 7 * D, "old": T + 30 * D}
        assert {name: next_check(sql, site, i) for name, i in art.items()} == expected

        # two hours on: only the fresh article is due, plus one published meanwhile
        art["new"] = site.add_article(published_at=T + 90 * timedelta(minutes=1)).id
        report = crawl_at(site, db_path, T + 2 * H)
        assert fetched_articles(site) == {art["fresh"], art["new"]}
        assert report["stats"]["new_articles"] == 1
        assert next_check(sql, site, art["fresh"]) == T + 3 * H

        # seven hours on: the hourly ones again, and the week-old one (due at 6 h); its 304 keeps it
        # in its tier by its age since publication (5 days: every 6 h), not since we first saw it
        crawl_at(site, db_path, T + 7 * H)
        assert fetched_articles(site) == {art["fresh"], art["new"], art["week"]}
        assert next_check(sql, site, art["week"]) == T + 13 * H

        # an edit to the 200-day-old article, found at its weekly revisit: now it is young again (1 h)
        original = site.article(art["year"]).paragraphs[0]
        site.edit(art["year"], replace={original: original + " Đã sửa."})
        report = crawl_at(site, db_path, T + 8 * D)
        assert fetched_articles(site) == {art[n] for n in ("fresh", "new", "week", "month", "year")}
        assert report["stats"]["new_revisions"] == 1
        assert next_check(sql, site, art["year"]) == T + 8 * D + H

        crawl_at(site, db_path, T + 8 * D + 2 * H)
        assert fetched_articles(site) == {art["year"]}
        assert next_check(sql, site, art["year"]) == T + 8 * D + 3 * H
        # and the three-year-old article has not been fetched since the first crawl
        assert next_check(sql, site, art["old"]) == T + 30 * D


def test_revisit_intervals_come_from_the_settings_and_jitter_spreads_them():
    settings = load_config(env={"XDD_REVISIT_TIERS": "1d=10m, 7d=2h", "XDD_REVISIT_OLDEST": "3d",
                                "XDD_REVISIT_JITTER": "0.2"})
    policy = settings.revisit_policy()
    assert policy.interval(timedelta(hours=5)) == timedelta(minutes=10)
    assert policy.interval(timedelta(days=3)) == timedelta(hours=2)
    assert policy.interval(timedelta(days=400)) == timedelta(days=3)
    reference = T - timedelta(days=3)
    times = {policy.next_check(now=T, reference=reference, seed=seed) - T for seed in range(50)}
    assert len(times) > 40  # spread out, not bunched
    assert all(timedelta(hours=2) * 0.8 <= t <= timedelta(hours=2) * 1.2 for t in times)
    exact = RevisitPolicy(jitter=0)
    assert exact.next_check(now=T, reference=reference, seed=1) == T + timedelta(hours=6)


def test_max_requests_caps_a_run_and_the_next_one_carries_on(crawl, sql):
    with Replica(articles=15, seed=4, theme="old") as site:
        report = crawl(site, "--max-requests", "8")
        assert report["stats"]["budget_exhausted"] is True
        assert len(site.requests) == 8
        assert sql("select count(*) from articles")[0][0] < 15
        report = crawl(site)
        assert report["status"] == "ok" and report["stats"]["discovery"] == "complete"
    assert sql("select count(*) from articles") == [(15,)]


# -- incremental discovery on a big archive ---------------------------------------------------------------


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Replica, Path]]:
    """A 500-article replica, archived by one real crawl (shared by this module's tests)."""
    db = tmp_path_factory.mktemp("big") / "archive.db"
    with Replica(articles=500, seed=3, theme="old") as site:
        done = run_cli("crawl", "--site", "replica", "--base-url", site.base_url, "--db", str(db), "--json")
        report = json.loads(done.stdout)
        assert report["stats"]["new_articles"] == 500 and report["stats"]["discovery"] == "complete"
        site.clear_requests()
        yield site, db


def test_five_new_articles_among_500_cost_five_article_fetches_and_a_few_listing_pages(big):
    site, db = big
    known = set(site.ids)
    categories = ("ly-luan-thuc-tien", "nhip-cau-ban-doc")
    added = [site.add_article(category=categories[i % 2]).id for i in range(5)]

    done = run_cli("crawl", "--site", "replica", "--base-url", site.base_url, "--db", str(db), "--json")
    report = json.loads(done.stdout)
    assert report["status"] == "ok" and report["stats"]["new_articles"] == 5

    requests = site.requests
    articles = [r.article_id for r in requests if r.article_id is not None]
    assert sorted(articles) == sorted(added)
    assert not set(articles) & known
    listings = [r.path for r in requests if r.article_id is None]
    # home, robots.txt, RSS, the four categories' first pages, and the second page of the two
    # categories that got new articles (their first page held unknown ones); no sitemap
    expected = {"/", "/robots.txt", "/rss"} | {f"/{c}" for c in ("ly-luan-thuc-tien", "nhip-cau-ban-doc",
                                                                  "hoat-dong-cua-lanh-dao-dang-va-nha-nuoc",
                                                                  "hoat-dong-cua-dia-phuong-co-so")}
    pages = {p for p in listings if re.search(r"[?&]page=", p)}
    assert set(listings) - pages == expected
    assert {p.split("?")[0] for p in pages} <= {f"/{c}" for c in categories}
    assert all(re.search(r"[?&]page=2(?:&|$)", p) for p in pages)
    assert len(listings) == len(set(listings))  # nothing fetched twice
