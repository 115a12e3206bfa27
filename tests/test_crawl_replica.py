"""End to end: real Scrapy crawls (child processes) of the replica over HTTP into a real SQLite file.

These are the "done when" conditions of the first issue: archive everything once, record nothing new
when nothing changed, one revision per real edit, reverts, tombstones, one article per many URLs,
rejections that never look like edits, and a crawl killed with SIGKILL that loses nothing.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from storage.db import open_archive
from storage.normalize import clean
from xdd_archive.cli.read import find_article
from xdd_archive.replica import Replica

from .conftest import ROOT, run_cli

pytestmark = pytest.mark.slow


def current(sql, article_url_fragment: str) -> dict:
    """The current revision of the article whose canonical URL ends with the fragment."""
    rows = sql(
        "select r.number, r.title, r.lead, r.body_text, r.author, r.source, r.published_at, r.tags, "
        "r.changed_fields, a.status, a.id, r.category, a.category, r.images "
        "from articles a join revisions r on r.id = a.current_revision_id where a.canonical_url like ?",
        f"%{article_url_fragment}",
    )
    assert len(rows) == 1, rows
    keys = ("number", "title", "lead", "body_text", "author", "source", "published_at", "tags",
            "changed_fields", "status", "id", "category", "category_slug", "images")
    return dict(zip(keys, rows[0], strict=True))


def test_first_crawl_archives_every_article_with_every_field(replica, crawl, sql):
    report = crawl(replica)
    assert report["status"] == "ok"
    assert report["stats"]["new_articles"] == 60
    assert sql("select count(*) from articles") == [(60,)]
    assert sql("select count(*) from revisions") == [(60,)]
    for article in replica.articles.values():
        rev = current(sql, replica.article_path(article.id))
        assert rev["number"] == 1
        assert rev["title"] == article.title
        assert rev["lead"] == article.lead
        assert clean(rev["body_text"]) == clean(article.body_text)
        assert rev["author"] == article.author
        assert rev["source"] == article.source
        published = datetime.fromisoformat(rev["published_at"]).replace(tzinfo=UTC)
        assert published == article.published_at.astimezone(UTC)
        assert sorted(json.loads(rev["tags"])) == sorted(article.tags)
        assert (rev["category"], rev["category_slug"]) == (article.category_name, article.category)
        images = [(i["url"], i["caption"]) for i in json.loads(rev["images"])]
        assert images == [(replica.base_url + i.url, i.caption) for i in article.images]
        views = sql("select c.views from captures c join articles a on a.id = c.article_id "
                    "where a.canonical_url like ?", f"%{replica.article_path(article.id)}")
        assert views == [(article.views if article.show_views else None,)]


def test_second_crawl_with_nothing_changed_makes_no_revision_but_records_views(replica, crawl, sql):
    crawl(replica)
    first_views = dict(sql("select article_id, views from captures"))
    report = crawl(replica, "--full")
    assert report["stats"]["new_revisions"] == 0
    assert report["stats"]["unchanged"] == 60
    assert sql("select count(*) from revisions") == [(60,)]
    second_views = dict(sql("select article_id, views from captures where outcome = 'unchanged'"))
    assert len(second_views) == 60
    for article_id, views in second_views.items():
        if views is not None:
            assert views > first_views[article_id]  # the counter ticked; it is a time series


def test_incremental_crawl_fetches_no_known_article(replica, crawl):
    crawl(replica)
    replica.clear_requests()
    report = crawl(replica)
    assert report["stats"]["unchanged"] + report["stats"]["new_articles"] == 0
    article_paths = {replica.article_path(i) for i in replica.ids}
    assert not article_paths & set(replica.paths())


def test_body_edit_is_one_revision_and_editing_back_is_a_revert(replica, crawl, sql):
    crawl(replica)
    target = replica.ids[5]
    path = replica.article_path(target)
    original = replica.article(target).paragraphs[0]
    edited = original.replace(original.split()[3], "SỬA", 1)
    replica.edit(target, replace={original: edited})
    report = crawl(replica, "--full")
    assert report["stats"]["new_revisions"] == 1
    rev = current(sql, path)
    assert (rev["number"], rev["changed_fields"]) == (2, '["body"]')
    replica.edit(target, replace={edited: original})
    crawl(replica, "--full")
    rev = current(sql, path)
    assert rev["number"] == 3
    hashes = [h for (h,) in sql("select r.content_hash from revisions r join articles a on a.id = r.article_id "
                                "where a.canonical_url like ? order by r.number", f"%{path}")]
    assert hashes[0] == hashes[2] != hashes[1]


def test_deleted_article_is_gone_with_a_tombstone_and_comes_back_when_restored(replica, crawl, sql):
    crawl(replica)
    target = replica.ids[10]
    path = replica.article_path(target)
    replica.delete(target, status=410)
    report = crawl(replica, "--full")
    assert report["stats"]["gone"] == 1
    assert current(sql, path)["status"] == "gone"
    assert sql("select c.outcome, c.http_status from captures c join articles a on a.id = c.article_id "
               "where a.canonical_url like ? order by c.id desc limit 1", f"%{path}") == [("gone", 410)]
    replica.restore(target)
    report = crawl(replica, "--full")
    assert report["stats"]["republished"] == 1
    rev = current(sql, path)
    assert (rev["status"], rev["number"]) == ("live", 1)


def test_one_article_through_www_non_www_and_an_old_domain_redirect(replica, crawl, sql, db_path):
    crawl(replica)
    target = replica.ids[20]
    old_path = replica.article_path(target)
    # the "www" twin of the replica's host serves the same page
    twin = replica.article_url(target, host="localhost")
    archive = open_archive(str(db_path))
    with archive.read() as session:
        article_id = find_article(session, replica.article_url(target)).id
        assert find_article(session, twin).id == article_id
    # the 2025 move: the old URL now answers 301 to a new-style URL, which listings now show
    new_path = replica.move(target)
    crawl(replica, "--full")
    with archive.read() as session:
        assert find_article(session, replica.base_url + new_path).id == article_id
        assert find_article(session, replica.base_url + old_path).id == article_id
    assert sql("select count(*), sum(status = 'live') from articles") == [(60, 60)]
    assert sql("select count(*) from revisions where article_id = ?", article_id) == [(1,)]
    archive.dispose()


def test_maintenance_page_and_truncated_body_are_rejected_with_reason_and_raw_body(replica, crawl, sql):
    crawl(replica)
    maintained, truncated = replica.ids[30], replica.ids[31]
    replica.misbehave("maintenance", article_id=maintained, times=None)
    replica.misbehave("truncate", article_id=truncated, times=None)
    report = crawl(replica, "--full")
    assert report["stats"]["rejected"] == 2
    assert report["stats"]["new_revisions"] == 0
    rows = sql("select a.canonical_url, c.reason, c.body_digest, b.size from captures c "
               "join articles a on a.id = c.article_id join blobs b on b.digest = c.body_digest "
               "where c.outcome = 'rejected' order by a.canonical_url")
    reasons = {url.rsplit("/", 1)[-1]: reason for url, reason, _digest, _size in rows}
    assert "maintenance" in reasons[replica.article_path(maintained).rsplit("/", 1)[-1]]
    assert "truncated" in reasons[replica.article_path(truncated).rsplit("/", 1)[-1]]
    assert all(size > 0 for *_, size in rows)
    assert sql("select count(*) from revisions") == [(60,)]


def test_a_crawl_killed_with_sigkill_loses_nothing(db_path, sql):
    with Replica(articles=200, seed=7, theme="new") as site:
        child = subprocess.Popen(
            [sys.executable, "-m", "xdd_archive.cli", "crawl", "--site", "replica", "--base-url", site.base_url,
             "--db", str(db_path), "--json"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={k: v for k, v in os.environ.items() if k != "XDD_DB"},
        )
        deadline = time.monotonic() + 60
        archived = 0
        while time.monotonic() < deadline and archived < 40:
            time.sleep(0.05)
            if db_path.exists():
                try:
                    archived = sql("select count(*) from revisions")[0][0]
                except sqlite3.OperationalError:
                    archived = 0
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert 0 < archived < 200, "the crawl must be killed in the middle"
        assert sql("pragma integrity_check") == [("ok",)]
        assert sql("select status from crawl_runs") == [("running",)]  # what a SIGKILL leaves

        report = json.loads(run_cli("crawl", "--site", "replica", "--base-url", site.base_url,
                                    "--db", str(db_path), "--json").stdout)
        assert report["status"] == "ok"
    assert sql("pragma integrity_check") == [("ok",)]
    assert sql("select count(*) from articles") == [(200,)]
    assert sql("select count(*) from revisions") == [(200,)]
    assert sql("select count(*) from (select article_id, number from revisions "
               "group by article_id, number having count(*) > 1)") == [(0,)]
    assert [s for (s,) in sql("select status from crawl_runs order by id")] == ["interrupted", "ok"]


def test_a_misbehaving_site_is_retried_politely_and_never_looks_like_an_edit(replica, crawl, sql):
    crawl(replica)
    busy, broken, reset, garbled = replica.ids[40], replica.ids[41], replica.ids[42], replica.ids[43]
    replica.misbehave("503", article_id=busy, times=1)  # with Retry-After: 1
    replica.misbehave("500", article_id=broken, times=None)  # never recovers during this crawl
    replica.misbehave("reset", article_id=reset, times=None)
    replica.misbehave("wrong-charset", article_id=garbled, times=None)
    replica.clear_requests()
    report = crawl(replica, "--full")
    stats = report["stats"]
    assert (stats["new_revisions"], stats["rejected"], stats["errors"]) == (0, 0, 2)
    # the 503 was retried after the second its Retry-After asked for, and then archived as unchanged
    hits = [r for r in replica.requests if r.path == replica.article_path(busy)]
    assert [h.status for h in hits] == [503, 200]
    assert hits[1].time - hits[0].time >= 0.9
    outcomes = dict(sql("select a.canonical_url, c.outcome from captures c join articles a on a.id = c.article_id "
                        "where c.id in (select max(id) from captures group by article_id)"))

    def outcome(article_id):
        return next(v for k, v in outcomes.items() if k.endswith(replica.article_path(article_id)))

    assert outcome(busy) == "unchanged"
    assert outcome(broken) == outcome(reset) == "error"
    assert outcome(garbled) == "unchanged"  # UTF-8 declared as windows-1252 still reads right
    # the failed pages are retried (3 times) and then left for the next run, which is due soon
    assert len([r for r in replica.requests if r.path == replica.article_path(broken)]) == 4
    assert sql("select count(*) from revisions") == [(60,)]


def later(days: int) -> dict[str, str]:
    """A crawl's clock moved ``days`` ahead (the replica's articles are years old: revisits are rare)."""
    from storage.models import utcnow

    return {"XDD_NOW": (utcnow().replace(microsecond=0) + __import__("datetime").timedelta(days=days)).isoformat()}


def test_a_redirect_to_another_article_is_a_redirect_not_an_edit(replica, crawl, sql):
    crawl(replica)
    a, b = replica.ids[3], replica.ids[4]
    replica.redirect(a, to=replica.article_path(b))
    report = crawl(replica, "--full")
    assert report["stats"]["new_revisions"] == 0
    rows = dict(sql("select id, status from articles"))
    assert sorted(rows.values()).count("redirected") == 1 and len(rows) == 60
    (redirected_id, target_id), = sql("select id, redirect_article_id from articles where status = 'redirected'")
    assert sql("select count(*) from revisions where article_id = ?", redirected_id) == [(1,)]
    assert sql("select canonical_url from articles where id = ?", target_id)[0][0].endswith(replica.article_path(b))


def test_a_restored_article_is_live_again_on_an_ordinary_revisit(replica, crawl, sql):
    crawl(replica)
    target = replica.ids[7]
    replica.delete(target)
    crawl(replica, "--full")
    replica.restore(target)
    replica.clear_requests()
    report = crawl(replica, env=later(8))  # gone articles are looked at again after a week
    assert report["stats"]["republished"] == 1
    hits = [r for r in replica.requests if r.path == replica.article_path(target)]
    assert [h.status for h in hits] == [200] and "If-None-Match" not in hits[0].headers
    assert current(sql, replica.article_path(target))["status"] == "live"


def test_a_moved_article_is_fetched_whole_at_its_new_url(replica, crawl, sql):
    crawl(replica)
    target = replica.ids[9]
    old_path = replica.article_path(target)
    new_path = replica.move(target)
    replica.clear_requests()
    crawl(replica, env=later(40))  # old articles are revisited monthly; conditional GETs
    statuses = [(r.path, r.status) for r in replica.requests if r.path in (old_path, new_path)]
    assert (old_path, 301) in statuses and (new_path, 200) in statuses and (new_path, 304) not in statuses
    assert current(sql, new_path)["number"] == 1
