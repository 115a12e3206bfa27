"""Full-text search (storage/search.py, ``xdd-archive search``): folded for Vietnamese, ranked, with
snippets of the original text, right on current and on all revisions, and kept right by triggers through
any writer and through Alembic batch migrations.

The golden cases are data (tests/golden_search/): a small corpus recorded with the versioning rules and
queries with the articles they must find.
"""

from __future__ import annotations

import json
import os
import sqlite3
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

import storage.db
import storage.search
from storage.archive import Content, Extracted, Fetched, record_capture
from storage.db import open_archive
from storage.normalize import search_fold
from storage.search import FTS_TABLE, TRIGGERS, ensure_index, parse_query, search, text_changes
from xdd_archive.errors import ConfigError
from xdd_archive.replica import Replica

from .conftest import run_cli
from .test_diff import invoke

GOLDEN = Path(__file__).parent / "golden_search"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def record(archive, key: str, site: str = "replica", *, at: datetime, status: int = 200, **fields) -> None:
    url = f"http://127.0.0.1:8000/bai-viet-{key}"
    content = None
    if fields:
        fields["body_text"] = fields.pop("body")
        content = Content(published_at=datetime(2025, 1, 1, tzinfo=UTC), **fields)
    with archive.write() as session:
        record_capture(
            session, site=site, urls=[url], keys=[key], canonical_url=url, now=at,
            fetched=Fetched(requested_url=url, final_url=url, fetched_at=at, status=status, body=b"<html/>"),
            extracted=Extracted(content=content) if content else None,
        )


def load_corpus(archive) -> None:
    corpus = json.loads((GOLDEN / "corpus.json").read_text(encoding="utf-8"))
    at = T0
    for article in corpus["articles"]:
        site = article.get("site", "replica")
        for revision in article["revisions"]:
            at += timedelta(minutes=1)
            record(archive, article["key"], site, at=at, **revision)
        if article.get("gone"):
            at += timedelta(minutes=1)
            record(archive, article["key"], site, at=at, status=410)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    archive = open_archive(str(tmp_path_factory.mktemp("search") / "archive.db"))
    load_corpus(archive)
    yield archive
    archive.dispose()


CASES = json.loads((GOLDEN / "cases.json").read_text(encoding="utf-8"))["cases"]


def case_id(case: dict) -> str:
    scope = " all" if case.get("all_revisions") else ""
    site = f" @{case['site']}" if case.get("site") else ""
    return f"{case['query']}{scope}{site}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_golden_search_case(corpus, case):
    with corpus.read() as session:
        results = search(session, case["query"], all_revisions=case.get("all_revisions", False),
                         site=case.get("site"))
    found = [h.key for h in results.hits]
    assert results.total == len(results.hits)
    if "expect" in case:
        assert found == case["expect"]
    if "expect_set" in case:
        assert sorted(found) == sorted(case["expect_set"])
    if "first" in case:
        assert found[0] == case["first"]
    if "last" in case:
        assert found[-1] == case["last"]
    if "hits" in case:
        assert [[h.key, h.revision] for h in results.hits] == case["hits"]
    if not results.hits:
        return
    hit = next(h for h in results.hits if h.key == case.get("snippet_of", h.key))
    if "snippet" in case:
        assert case["snippet"] in hit.snippet
    if "highlight" in case:
        assert [hit.snippet[a:b] for a, b in hit.highlights][:len(case["highlight"])] == case["highlight"]
    for a, b in hit.highlights:  # highlights always cover whole original words matching the query
        word = search_fold(hit.snippet[a:b])
        assert any(w in word.split() or word.startswith(w) for t in parse_query(case["query"]).terms for w in t.words)


def test_current_or_every_revision_and_which_is_current(corpus):
    with corpus.read() as session:
        current = search(session, "dia phuong")
        every = search(session, "dia phuong", all_revisions=True)
    assert [(h.key, h.revision, h.current) for h in current.hits] == [("1004", 2, True)]
    assert [(h.key, h.revision, h.current) for h in every.hits] == [("1004", 2, True), ("1004", 1, False)]


def test_gone_articles_are_found_with_their_status(corpus):
    with corpus.read() as session:
        (hit,) = search(session, "covid").hits
    assert (hit.key, hit.status) == ("1006", "gone")


def test_limit_offset_and_total(corpus):
    with corpus.read() as session:
        page1 = search(session, "da", limit=1)
        page2 = search(session, "da", limit=1, offset=1)
    assert page1.total == page2.total >= 3
    assert len(page1.hits) == len(page2.hits) == 1 and page1.hits[0].key != page2.hits[0].key


def test_queries_are_folded_and_never_read_as_fts_syntax():
    assert parse_query("Xây DỰNG đảng").fts5() == '"xay" AND "dung" AND "dang"'
    assert parse_query("Xây DỰNG đảng").phrase() == '"xay dung dang"'
    assert parse_query('"Đà Nẵng" nghi* -covid').fts5() == '("da nang" AND "nghi"*) NOT ("covid")'
    # operators and column filters are words like any other; "title:x" is the phrase "title x"
    assert parse_query("title:x AND NEAR(y) OR").fts5() == '"title x" AND "and" AND "near y" AND "or"'
    for nothing in ("", "  ", "-covid", "!!! ...", '""'):
        with pytest.raises(ConfigError):
            parse_query(nothing)


def vietnamese_letters() -> list[str]:
    letters = set()
    for vowel in "aăâeêioôơuưy":
        for tone in ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"):
            letter = unicodedata.normalize("NFC", vowel + tone)
            letters |= {letter, letter.upper()}
    return sorted(letters | {"đ", "Đ"})


def test_the_index_folds_every_vietnamese_letter_like_search_fold_nfc_and_nfd(tmp_path):
    """The triggers fold đ and the tokenizer the rest: together exactly search_fold, so a folded query
    finds every spelling. Checked on the index's own tokens (fts5vocab)."""
    archive = open_archive(str(tmp_path / "a.db"))
    words = [f"x{letter}x" for letter in vietnamese_letters()]
    body = " ".join(words) + "\n\n" + unicodedata.normalize("NFD", " ".join(words))
    record(archive, "1", at=T0, title="Chữ cái", lead=None, body=body, author=None, tags=[])
    with archive.engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, {FTS_TABLE}, instance)")
        tokens = [t for (t,) in conn.exec_driver_sql("SELECT term FROM temp.vocab WHERE col = 'body' ORDER BY offset")]
    expected = [search_fold(w) for w in words]
    assert tokens == expected + expected
    assert set(expected) == {f"x{c}x" for c in "aeiouyd"}
    archive.dispose()


def test_triggers_keep_the_index_right_for_any_writer(tmp_path):
    """sqlite3 (or Datasette) editing or deleting a revision updates the index as well."""
    path = tmp_path / "a.db"
    archive = open_archive(str(path))
    record(archive, "1", at=T0, title="Đà Nẵng", lead=None, body="Thân bài.", author=None, tags=["Hội An"])
    with archive.read() as session:
        assert [h.key for h in search(session, "hoi an").hits] == ["1"]
    conn = sqlite3.connect(path)
    conn.execute("UPDATE revisions SET title = 'Huế', tags = json_array('Cố đô')")
    conn.commit()
    with archive.read() as session:
        assert search(session, "da nang").total == 0 and search(session, "hoi an").total == 0
        assert search(session, "hue").total == 1 and search(session, "co do").total == 1
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("DELETE FROM revisions")
    conn.commit()
    conn.close()
    with archive.read() as session:
        assert search(session, "hue").total == 0
        # the deletion told the contentless index the right values: it holds nothing any more
        assert session.execute(text(f"SELECT count(*) FROM {FTS_TABLE}")).scalar() == 0
    archive.dispose()


BATCH_MIGRATION = '''"""test only: rebuild revisions with an Alembic batch migration (copy, drop, rename)"""
import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("revisions", recreate="always") as batch:
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))


def downgrade():
    pass
'''


def test_a_batch_migration_of_revisions_keeps_search_working(tmp_path, monkeypatch):
    """A batch rebuild drops the table's triggers; the migration environment puts them back (and
    re-indexes), so new revisions are still indexed afterwards."""
    path = tmp_path / "a.db"
    archive = open_archive(str(path))
    record(archive, "1", at=T0, title="Đà Nẵng", lead=None, body="Một.", author=None, tags=[])
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "9001_batch.py").write_text(BATCH_MIGRATION.format(head=storage.db.head_revision()))
    repairs = []
    real_ensure_index = storage.search.ensure_index

    def spy(conn):
        repairs.append(real_ensure_index(conn))
        return repairs[-1]

    monkeypatch.setattr(storage.search, "ensure_index", spy)
    real_versions = Path(storage.db.__file__).parent / "migrations" / "versions"
    real_config = storage.db._alembic_config

    def config_with_test_versions(url):
        cfg = real_config(url)
        cfg.set_main_option("path_separator", "os")
        cfg.set_main_option("version_locations", os.pathsep.join([str(real_versions), str(versions)]))
        return cfg

    monkeypatch.setattr(storage.db, "_alembic_config", config_with_test_versions)
    storage.db.head_revision.cache_clear()
    try:
        # the archive's own upgrade path: foreign keys off for the copy-and-drop, checked afterwards
        storage.db.upgrade(archive)
    finally:
        monkeypatch.undo()
        storage.db.head_revision.cache_clear()
    assert repairs == [True]  # the triggers were gone and came back
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("9001",)]
        assert "note" in [row[1] for row in conn.execute("PRAGMA table_info(revisions)")]
        names = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert names >= set(TRIGGERS)
    record(archive, "2", at=T0 + timedelta(hours=1), title="Hội An", lead=None, body="Hai.", author=None, tags=[])
    record(archive, "1", at=T0 + timedelta(hours=2), title="Đà Nẵng mới", lead=None, body="Một.", author=None,
           tags=[])
    with archive.read() as session:
        assert [h.key for h in search(session, "hoi an").hits] == ["2"]
        assert [(h.key, h.revision) for h in search(session, "da nang").hits] == [("1", 2)]
        assert sorted((h.key, h.revision) for h in search(session, "da nang", all_revisions=True).hits) == \
            [("1", 1), ("1", 2)]
    with archive.engine.begin() as conn:
        assert ensure_index(conn) is False  # nothing left to repair
    archive.dispose()


def test_ensure_index_repairs_missing_triggers_and_stale_rows(tmp_path):
    archive = open_archive(str(tmp_path / "a.db"))
    record(archive, "1", at=T0, title="Đà Nẵng", lead=None, body="Một.", author=None, tags=[])
    with archive.engine.begin() as conn:
        for name in TRIGGERS:
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
    record(archive, "2", at=T0 + timedelta(hours=1), title="Hội An", lead=None, body="Hai.", author=None, tags=[])
    with archive.read() as session:
        assert search(session, "hoi an").total == 0  # written while the trigger was missing
    with archive.engine.begin() as conn:
        assert ensure_index(conn) is True
    with archive.read() as session:
        assert search(session, "hoi an").total == 1 and search(session, "da nang").total == 1
    archive.dispose()


# -- end to end: the replica crawled, searched from the command line ------------------------------------


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """A replica crawled, one article's title edited, crawled again."""
    db = tmp_path_factory.mktemp("search-e2e") / "archive.db"
    with Replica(articles=6, seed=5, theme="new") as site:
        def crawl(*extra: str) -> None:
            run_cli("crawl", "--site", "replica", "--base-url", site.base_url, "--db", str(db), "--json", *extra)

        crawl()
        target = site.ids[2]
        old_title = site.article(target).title
        site.edit(target, title="Đà Nẵng đổi mới công tác cán bộ")
        crawl("--full")
        yield {"db": str(db), "old_title": old_title, "url": site.article_url(target)}


def test_search_from_the_cli_without_diacritics_finds_the_current_title(crawled):
    data = json.loads(invoke("search", "--db", crawled["db"], "--json", "da", "nang", "doi", "moi").stdout)
    first = data["hits"][0]
    assert (first["title"], first["url"], first["current"]) == ("Đà Nẵng đổi mới công tác cán bộ", crawled["url"], True)
    out = invoke("search", "--db", crawled["db"], "Đà Nẵng").stdout
    assert "1. Đà Nẵng đổi mới công tác cán bộ" in out and "revision 2" in out


def test_an_old_title_is_found_only_in_all_revisions(crawled):
    folded = search_fold(crawled["old_title"])
    query = f'"{folded}"'
    current = json.loads(invoke("search", "--db", crawled["db"], "--json", query).stdout)
    assert all(h["url"] != crawled["url"] for h in current["hits"])
    every = json.loads(invoke("search", "--db", crawled["db"], "--json", "--all-revisions", query).stdout)
    assert [(h["url"], h["revision"], h["current"]) for h in every["hits"] if h["url"] == crawled["url"]] == \
        [(crawled["url"], 1, False)]


def test_search_errors_are_one_line(crawled):
    done = invoke("search", "--db", crawled["db"], "--", "-covid", check=2)
    assert done.stderr.startswith("xdd-archive: error: nothing to search for") and done.stderr.count("\n") == 1
    assert "No match for 'khongcogi'" in invoke("search", "--db", crawled["db"], "khongcogi").stdout


# -- which articles used to say X (and no longer do), or say it now ------------------------------------------


@pytest.fixture(scope="module")
def edits(tmp_path_factory):
    """Articles whose bodies gained and lost a phrase over their revisions, recorded directly."""
    archive = open_archive(str(tmp_path_factory.mktemp("text-changes") / "archive.db"))
    said = "Ban Tổ chức Trung ương đã tham mưu xây dựng Đảng."
    other = "Hội nghị bàn về công tác cán bộ."
    histories = {
        "1001": [said, other],  # said it, then not: removed at 2
        "1002": [said, other, said],  # back again: says it now; added at 3
        "1003": [said, said + " Thêm."],  # always said it: neither
        "1004": [other, said, other, other + " Nữa."],  # removed at 3 (the last time it went)
        "1005": [other, other + " Khác."],  # never: neither
    }
    at = T0
    for key, bodies in histories.items():
        for body in bodies:
            at += timedelta(minutes=1)
            record(archive, key, at=at, title=f"Bài {key}", body=body)
    yield archive
    archive.dispose()


def test_removed_finds_articles_that_used_to_say_a_phrase_and_no_longer_do(edits):
    with edits.read() as session:
        found, total = text_changes(session, "tham muu xay dung dang", mode="removed")  # typed without diacritics
    assert total == 2
    assert [(c.key, c.before, c.after) for c in found] == [("1004", 2, 3), ("1001", 1, 2)]  # newest change first
    first = found[1]
    assert first.command == f"xdd-archive diff {first.article_id} 1 2"
    assert "tham mưu xây dựng Đảng" in first.snippet
    start, end = first.highlights[0]
    assert first.snippet[start:end] == "tham mưu xây dựng Đảng"
    assert first.before_at < first.after_at


def test_added_is_its_twin(edits):
    with edits.read() as session:
        found, total = text_changes(session, "“tham mưu”", mode="added")
    assert total == 1 and [(c.key, c.before, c.after, c.current) for c in found] == [("1002", 2, 3, 3)]


def test_removed_and_added_from_the_command_line(edits):
    db = str(edits.path)
    data = json.loads(invoke("search", "--db", db, "--removed", "tham mưu", "--json").stdout)
    assert data["total"] == 2 and data["hits"][1]["diff_command"].endswith(" 1 2")
    out = invoke("search", "--db", db, "--removed", "tham mưu").stdout
    assert "2 articles used to say 'tham mưu' and no longer do" in out
    assert "last in revision 1 (seen 2026-03-01 15:" in out and "+07); gone from revision 2" in out
    assert "see: xdd-archive diff" in out
    assert "No articles say 'khongcogi' now" in invoke("search", "--db", db, "--added", "khongcogi").stdout
    done = invoke("search", "--db", db, "dang", "--removed", "x", check=2)
    assert done.stderr == "xdd-archive: error: give one of QUERY, --removed TEXT or --added TEXT (not QUERY and --removed)\n"
