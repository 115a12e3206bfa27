"""WARC export and import (issue 5): real crawls of the replica with edits, deletions, a move, a redirect
to the home page and rejections; the WARC checked by warcio's own tools; the round trip into an empty
archive exact; WARCs in the style of ``wget --warc-file`` imported through the same extraction path.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import json
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from bench.export_memory import build_archive
from storage.archive import load_blob
from storage.db import open_archive
from storage.models import Capture
from storage.runs import finish_run, start_run
from xdd_archive.replica import Replica

from .conftest import run_cli

pytestmark = pytest.mark.slow


def warcio_tool(*args: str) -> subprocess.CompletedProcess[str]:
    """The real ``warcio`` command-line tool (installed with the package)."""
    script = Path(sys.executable).with_name("warcio")
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from warcio.cli import main; main()"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=120)


def query(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def copy_db(src: Path, dst: Path) -> Path:
    source, target = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return dst


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Three crawls of a 30-article replica with every kind of event between them, and its WARC export.
    The replica stays up for the module (the wget-style WARCs are fetched from it)."""
    workdir = tmp_path_factory.mktemp("warc")
    db = workdir / "archive.db"
    with Replica(articles=30, seed=3, theme="old") as site:
        def crawl(*extra: str) -> dict[str, Any]:
            done = run_cli("crawl", "--site", "replica", "--base-url", site.base_url, "--db", str(db), "--json", *extra)
            return json.loads(done.stdout)

        ids = site.ids
        crawl()
        first_paragraph = site.article(ids[1]).paragraphs[0]
        site.edit(ids[0], title=site.article(ids[0]).title + " (cập nhật)")
        site.edit(ids[1], replace={first_paragraph: first_paragraph + " Đã sửa."})
        site.delete(ids[2])
        site.delete(ids[3], status=410)
        site.move(ids[4])
        site.redirect(ids[5], to="/")
        site.misbehave("maintenance", article_id=ids[6], times=1)
        site.misbehave("truncate", article_id=ids[7], times=1)
        crawl("--full")
        site.restore(ids[2])
        site.edit(ids[1], replace={first_paragraph + " Đã sửa.": first_paragraph})  # a revert
        crawl("--full")
        warc = workdir / "archive.warc.gz"
        report = json.loads(run_cli("export", "--db", str(db), "--format", "warc", "--out", str(warc), "--json").stdout)
        yield SimpleNamespace(site=site, ids=ids, db=db, warc=warc, report=report, workdir=workdir)


def test_the_history_has_edits_deletions_rejections_and_captures_without_raw_bodies(history):
    outcomes = dict(query(history.db, "select outcome, count(*) from captures group by outcome"))
    assert outcomes["new"] >= 30 and outcomes["changed"] >= 3 and outcomes["gone"] >= 3
    assert outcomes["rejected"] >= 2 and outcomes["unchanged"] + outcomes.get("not_modified", 0) > 20
    assert any("truncated" in r for (r,) in query(history.db, "select reason from captures where outcome = 'rejected'"))
    no_raw = query(history.db, "select count(*) from captures c left join blobs b on b.digest = c.body_digest "
                               "where b.digest is null")[0][0]
    assert no_raw > 0
    assert history.report["skipped_no_raw"] == no_raw
    assert history.report["responses"] + no_raw == history.report["records"] == sum(outcomes.values())


def test_every_format_from_the_crawled_archive_keeps_the_vietnamese_text_of_the_database(history, tmp_path):
    import csv
    import zipfile

    import yaml

    from storage.export import export

    rows = query(history.db, "select a.id, r.number, r.title, r.lead, r.body_text, r.body_markdown, r.author "
                             "from revisions r join articles a on a.id = r.article_id")
    want = {(aid, number): (title, lead, body, markdown, author) for aid, number, title, lead, body, markdown, author in rows}
    assert any("Đảng" in w[2] for w in want.values())  # Vietnamese, from real extraction
    archive = open_archive(str(history.db))
    try:
        export(archive, fmt="jsonl", out=tmp_path / "a.jsonl")
        export(archive, fmt="csv", out=tmp_path / "a.csv", excel=True)
        export(archive, fmt="markdown", out=tmp_path / "a.zip")
    finally:
        archive.dispose()
    got_jsonl = {}
    for line in (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines():
        obj = json.loads(line)
        r = obj["revision"]
        got_jsonl[(obj["article"]["id"], r["number"])] = (r["title"], r["lead"], r["body_text"], r["body_markdown"], r["author"])
    assert got_jsonl == want
    with open(tmp_path / "a.csv", encoding="utf-8-sig", newline="") as handle:
        got_csv = {(int(r["article_id"]), int(r["revision"])): (r["title"], r["lead"], r["body_text"],
                                                                 r["body_markdown"], r["author"] or None)
                   for r in csv.DictReader(handle)}
    assert got_csv == {k: tuple(x if x is not None else (None if i == 4 else "") for i, x in enumerate(v))
                       for k, v in want.items()}
    current = dict(query(history.db, "select id, current_revision_id from articles where status != 'redirected'"))
    numbers = dict(query(history.db, "select id, number from revisions"))
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        docs = [zf.read(n).decode("utf-8") for n in zf.namelist() if not n.endswith("/index.md")]
    assert len(docs) == len(current)
    for doc in docs:
        head, body = doc[4:].split("\n---\n", 1)
        meta = yaml.safe_load(head)
        title, lead, _, markdown, author = want[(meta["id"], numbers[current[meta["id"]]])]
        assert (meta["title"], meta["author"]) == (title, author)
        assert lead in body and markdown.strip() in body


def test_warcio_check_passes_and_warcio_index_lists_every_record(history):
    check = warcio_tool("check", "-v", str(history.warc))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout and "digest fail" not in check.stdout.lower()
    index = warcio_tool("index", "-f", "warc-type,warc-target-uri,warc-date", str(history.warc))
    assert index.returncode == 0, index.stderr
    lines = [json.loads(line) for line in index.stdout.splitlines()]
    assert len(lines) == history.report["warc_records"]
    types = Counter(line["warc-type"] for line in lines)
    responses = history.report["responses"]
    assert types == {"warcinfo": 1, "request": responses, "response": responses,
                     "metadata": history.report["records"]}


def test_response_records_hold_the_bytes_as_fetched_with_consistent_headers(history):
    archive = open_archive(str(history.db))
    responses: dict[str, tuple[Any, bytes, str]] = {}
    metadata: dict[str, dict[str, Any]] = {}
    with open(history.warc, "rb") as handle:
        for record in ArchiveIterator(handle):
            headers = record.rec_headers
            if record.rec_type == "response":
                payload = record.raw_stream.read()
                responses[headers.get_header("WARC-Record-ID")] = (record.http_headers, payload,
                                                                   headers.get_header("WARC-Date"))
            elif record.rec_type == "metadata":
                assert headers.get_header("Content-Type") == "application/json"
                data = json.loads(record.content_stream().read().decode("utf-8"))
                metadata[headers.get_header("WARC-Concurrent-To") or f"alone:{len(metadata)}"] = data
    assert len(responses) == history.report["responses"]
    with archive.read() as session:
        for record_id, (http_headers, payload, warc_date) in responses.items():
            meta = metadata[record_id]  # every response has its metadata record
            capture = session.get(Capture, meta["capture"]["id"])
            assert payload == load_blob(session, capture.body_digest)  # the bytes as fetched
            assert http_headers.get_header("Content-Length") == str(len(payload))
            assert http_headers.get_header("Content-Encoding") is None
            assert http_headers.get_header("Transfer-Encoding") is None
            assert int(http_headers.get_statuscode()) == capture.http_status
            assert datetime.fromisoformat(warc_date.replace("Z", "+00:00")) == capture.fetched_at
            if capture.revision_id is not None:
                rev = capture.revision
                assert meta["extracted"]["title"] == rev.title and meta["extracted"]["body_text"] == rev.body_text
                assert meta["extracted"]["views"] == capture.views
    archive.dispose()
    alone = [m for k, m in metadata.items() if k.startswith("alone:")]
    assert len(alone) == history.report["skipped_no_raw"]
    assert all(not m["capture"]["body_kept"] and m["capture"]["outcome"] for m in alone)


def test_stale_encoding_headers_are_dropped_and_content_length_recomputed(tmp_path):
    # build_archive stores "content-encoding: gzip" and a wrong content-length, as Scrapy leaves them
    db = tmp_path / "small.db"
    build_archive(db, 5)
    assert all('"content-encoding": "gzip"' in h for (h,) in query(db, "select headers from captures"))
    out = tmp_path / "small.warc.gz"
    run_cli("export", "--db", str(db), "--format", "warc", "--out", str(out))
    assert warcio_tool("check", str(out)).returncode == 0
    with open(out, "rb") as handle:
        for record in ArchiveIterator(handle):
            if record.rec_type == "response":
                body = record.content_stream().read()
                assert record.http_headers.get_header("Content-Encoding") is None
                assert record.http_headers.get_header("Content-Length") == str(len(body))
                assert body.startswith((b"<!DOCTYPE html>", b"<h1>404"))  # plain bytes, not gzip


ARTICLE_COMPARISON = {
    "articles": "select site, key, canonical_url, status from articles order by key",
    "aliases": "select a.key, u.url from article_urls u join articles a on a.id = u.article_id order by a.key, u.url",
    "revisions": "select a.key, r.number, r.content_hash, r.title, r.body_text, r.changed_fields, r.trivial "
                 "from revisions r join articles a on a.id = r.article_id order by a.key, r.number",
    "captures": "select a.key, c.fetched_at, c.views, c.outcome, c.http_status, c.reason, c.body_digest, "
                "c.content_hash, r.number from captures c left join articles a on a.id = c.article_id "
                "left join revisions r on r.id = c.revision_id order by c.fetched_at, c.id",
    "current": "select a.key, r.number from articles a join revisions r on r.id = a.current_revision_id order by a.key",
}


@pytest.fixture(scope="module")
def round_trip(history):  # type: ignore[no-untyped-def]
    target = history.workdir / "imported.db"
    done = run_cli("import-warc", str(history.warc), "--site", "replica", "--base-url", history.site.base_url,
                   "--db", str(target), "--json")
    return SimpleNamespace(db=target, report=json.loads(done.stdout))


def test_round_trip_gives_the_same_articles_revisions_and_view_counts(history, round_trip):
    for name, sql in ARTICLE_COMPARISON.items():
        assert query(round_trip.db, sql) == query(history.db, sql), name
    stats = round_trip.report["stats"]
    assert stats["imported"] == history.report["records"]
    assert stats["restored_from_metadata"] == history.report["skipped_no_raw"]
    assert stats["unresolved"] == stats["out_of_order"] == stats["already_imported"] == 0


def test_the_import_is_a_crawl_run_and_every_capture_belongs_to_it(round_trip):
    runs = query(round_trip.db, "select id, site, trigger, status from crawl_runs")
    assert runs == [(round_trip.report["run_id"], "replica", "import", "ok")]
    assert query(round_trip.db, "select distinct crawl_run_id from captures") == [(runs[0][0],)]


def test_importing_the_same_warc_twice_changes_nothing(history, round_trip, tmp_path):
    again = copy_db(round_trip.db, tmp_path / "again.db")
    before = {name: query(again, sql) for name, sql in ARTICLE_COMPARISON.items()}
    blobs = query(again, "select count(*) from blobs")
    done = run_cli("import-warc", str(history.warc), "--site", "replica", "--base-url", history.site.base_url,
                   "--db", str(again), "--json")
    stats = json.loads(done.stdout)["stats"]
    assert stats["imported"] == 0 and stats["already_imported"] == history.report["records"]
    assert {name: query(again, sql) for name, sql in ARTICLE_COMPARISON.items()} == before
    assert query(again, "select count(*) from blobs") == blobs
    # and into the archive the WARC came from: nothing is new there either
    original = copy_db(history.db, tmp_path / "original.db")
    before = query(original, ARTICLE_COMPARISON["captures"])
    done = run_cli("import-warc", str(history.warc), "--site", "replica", "--base-url", history.site.base_url,
                   "--db", str(original), "--json")
    assert json.loads(done.stdout)["stats"]["imported"] == 0
    assert query(original, ARTICLE_COMPARISON["captures"]) == before


# -- WARCs written by other tools -------------------------------------------------------------------


def fetch(base_url: str, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """One GET, redirects not followed, as wget records it."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", path, headers={"User-Agent": "Wget/1.21.4", "Accept-Encoding": "identity"})
        response = conn.getresponse()
        return response.status, [(k, v) for k, v in response.getheaders() if k.lower() != "content-length"], response.read()
    finally:
        conn.close()


def chunked(data: bytes, size: int = 1000) -> bytes:
    pieces = [b"%x\r\n%s\r\n" % (len(data[i:i + size]), data[i:i + size]) for i in range(0, len(data), size)]
    return b"".join(pieces) + b"0\r\n\r\n"


def wget_style_warc(path: Path, base_url: str, paths: list[str], *, gzip_records: bool,
                    when: datetime) -> None:
    """A WARC/1.0 as ``wget --warc-file`` writes one: warcinfo, then request + response per fetch, the
    HTTP bodies stored as they came over the wire: gzip Content-Encoding, some also chunked."""
    date = when.strftime("%Y-%m-%dT%H:%M:%SZ")  # wget: second precision
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=gzip_records, warc_version="1.0")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "Wget/1.21.4 (linux-gnu)",
                                                                      "format": "WARC File Format 1.0"}))
        for n, target in enumerate(paths):
            status, headers, body = fetch(base_url, target)
            if status == 200:
                body = gzip.compress(body)
                headers.append(("Content-Encoding", "gzip"))
                if n % 2 == 0:
                    body = chunked(body)
                    headers.append(("Transfer-Encoding", "chunked"))
                else:
                    headers.append(("Content-Length", str(len(body))))
            else:
                headers.append(("Content-Length", str(len(body))))
            url = base_url + target
            response = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body),
                http_headers=StatusAndHeaders(f"{status} {http.client.responses.get(status, '')}", headers,
                                              protocol="HTTP/1.1"),
                warc_headers_dict={"WARC-Date": date})
            request = writer.create_warc_record(
                url, "request", payload=io.BytesIO(b""), length=0,
                http_headers=StatusAndHeaders(f"GET {target} HTTP/1.1", [("Host", urlsplit(base_url).netloc)],
                                              is_http_request=True),
                warc_headers_dict={"WARC-Date": date,
                                   "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")})
            writer.write_record(request)
            writer.write_record(response)


@pytest.mark.parametrize("gzip_records", [True, False], ids=["gzip-per-record", "uncompressed"])
def test_a_wget_style_warc_imports_through_the_same_extraction(history, tmp_path, gzip_records):
    site, ids = history.site, history.ids
    moved = ids[4]
    old_path = site.article(moved).original_path("old")
    live = [i for i in ids if i not in (ids[3], ids[5])]  # ids[3] is gone (410), ids[5] redirects home
    paths = ["/robots.txt", "/", "/ly-luan-thuc-tien", "/Uploads/Images/a.gif", old_path,
             *[site.article_path(i) for i in live], site.article_path(ids[3])]
    warc = tmp_path / ("wget.warc.gz" if gzip_records else "wget.warc")
    wget_style_warc(warc, site.base_url, paths, gzip_records=gzip_records, when=datetime.now(UTC))
    target = tmp_path / "wget.db"
    done = run_cli("import-warc", str(warc), "--site", "replica", "--base-url", site.base_url,
                   "--db", str(target), "--json")
    stats = json.loads(done.stdout)["stats"]
    assert stats["not_article"] == 4  # robots.txt, the home page, a listing, an image
    assert stats["redirects"] == 1  # the moved article's old URL, folded into its new URL's capture
    assert stats["new_articles"] == len(live) and stats["gone"] == 1 and stats["rejected"] == 0
    # each article's content is what the crawl extracted from the same pages
    current = ("select a.key, r.content_hash, r.title from articles a "
               "join revisions r on r.id = a.current_revision_id where a.status = 'live' order by a.key")
    crawled = {key: (h, t) for key, h, t in query(history.db, current)}
    imported = {key: (h, t) for key, h, t in query(target, current)}
    assert imported and all(crawled[key] == value for key, value in imported.items())
    assert len(imported) == len(live)
    # the view counter each page showed when it was fetched (nothing fetched them since)
    views = dict(query(target, "select a.key, c.views from captures c join articles a on a.id = c.article_id "
                               "where c.outcome = 'new'"))
    for i in live:
        article = site.article(i)
        assert views[str(i)] == (article.views if article.show_views else None), i
    # the moved article is one article (keyed by the id in its old URL) with both of its URLs
    aliases = query(target, "select u.url from article_urls u join articles a on a.id = u.article_id "
                            "where a.key = ? order by u.url", str(moved))
    assert [u for (u,) in aliases] == sorted([site.base_url + old_path, site.base_url + site.article(moved).new_path()])
    # the bodies were stored decoded, with the headers that went with the encoding dropped
    for (headers,) in query(target, "select headers from captures where outcome = 'new'"):
        assert "content-encoding" not in json.loads(headers) and "transfer-encoding" not in json.loads(headers)
    archive = open_archive(str(target))
    with archive.read() as session:
        capture = session.query(Capture).filter(Capture.outcome == "new").first()
        assert load_blob(session, capture.body_digest).lstrip().lower().startswith(b"<!doctype html")
        assert hashlib.sha256(load_blob(session, capture.body_digest)).hexdigest() == capture.body_digest
    archive.dispose()
    again = run_cli("import-warc", str(warc), "--site", "replica", "--base-url", site.base_url,
                    "--db", str(target), "--json")
    assert json.loads(again.stdout)["stats"]["imported"] == 0


def test_revisit_records_become_unchanged_and_not_modified_captures(history, tmp_path):
    """Heritrix and browsertrix record a page fetched again with the same payload as a ``revisit``
    (identical-payload-digest) that refers to the first response, and a 304 as server-not-modified."""
    site = history.site
    article = history.ids[12]
    url = site.base_url + site.article_path(article)
    _status, headers, body = fetch(site.base_url, site.article_path(article))
    times = [datetime(2027, 3, 1, 8, 0, second, tzinfo=UTC) for second in (0, 1, 2)]
    warc = tmp_path / "browsertrix.warc.gz"
    with open(warc, "wb") as handle:
        writer = WARCWriter(handle, gzip=True, warc_version="1.1")
        http_headers = StatusAndHeaders("200 OK", [*headers, ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
        response = writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                             http_headers=http_headers,
                                             warc_headers_dict={"WARC-Date": times[0].strftime("%Y-%m-%dT%H:%M:%SZ")})
        writer.write_record(response)
        revisit = writer.create_revisit_record(
            url, response.rec_headers.get_header("WARC-Payload-Digest"), url,
            response.rec_headers.get_header("WARC-Date"),
            http_headers=StatusAndHeaders("200 OK", list(http_headers.headers), protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": times[1].strftime("%Y-%m-%dT%H:%M:%SZ"),
                               "WARC-Refers-To": response.rec_headers.get_header("WARC-Record-ID")})
        writer.write_record(revisit)
        not_modified = writer.create_warc_record(
            url, "revisit", http_headers=StatusAndHeaders("304 Not Modified", [("ETag", "x")], protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": times[2].strftime("%Y-%m-%dT%H:%M:%SZ"),
                               "WARC-Profile": "http://netpreserve.org/warc/1.1/revisit/server-not-modified"})
        writer.write_record(not_modified)
    target = tmp_path / "revisits.db"
    done = run_cli("import-warc", str(warc), "--site", "replica", "--base-url", site.base_url,
                   "--db", str(target), "--json")
    assert json.loads(done.stdout)["stats"]["imported"] == 3
    rows = query(target, "select outcome, views, body_digest from captures order by fetched_at")
    assert [r[0] for r in rows] == ["new", "unchanged", "not_modified"]
    assert rows[0][1] == rows[1][1]  # the same payload shows the same counter
    assert rows[0][2] == rows[1][2] == hashlib.sha256(body).hexdigest()
    assert query(target, "select count(*) from revisions") == [(1,)]


def test_records_older_than_the_archive_are_not_slotted_into_its_history(history, tmp_path):
    site = history.site
    warc = tmp_path / "old.warc.gz"
    wget_style_warc(warc, site.base_url, [site.article_path(i) for i in history.ids[10:13]], gzip_records=True,
                    when=datetime(2020, 1, 1, tzinfo=UTC))
    db = copy_db(history.db, tmp_path / "copy.db")
    before = query(db, "select count(*) from captures")
    done = run_cli("import-warc", str(warc), "--site", "replica", "--base-url", site.base_url, "--db", str(db), "--json")
    stats = json.loads(done.stdout)["stats"]
    assert (stats["out_of_order"], stats["imported"]) == (3, 0)
    assert query(db, "select count(*) from captures") == before


def test_import_errors_are_one_line(history, tmp_path, capsys):
    from xdd_archive.cli import main

    not_warc = tmp_path / "notes.txt"
    not_warc.write_text("hello\n")
    db = str(tmp_path / "x.db")
    cases = [
        ([str(tmp_path / "missing.warc.gz"), "--site", "replica"], 3, "cannot read"),
        ([str(not_warc), "--site", "replica"], 3, "is not a readable WARC"),
        ([str(history.warc), "--site", "nowhere"], 2, "unknown site 'nowhere'"),
    ]
    for args, code, message in cases:
        with pytest.raises(SystemExit) as exit_info:
            main(["import-warc", *args, "--db", db])
        lines = capsys.readouterr().err.strip().splitlines()
        assert exit_info.value.code == code and len(lines) == 1 and message in lines[0], lines
    # nothing was imported, and no run was left holding the lock
    assert query(Path(db), "select count(*) from captures") == [(0,)]
    assert query(Path(db), "select count(*) from crawl_runs where status = 'running'") == [(0,)]


def test_an_import_respects_a_running_crawl_of_the_same_site(history, tmp_path):
    db = tmp_path / "locked.db"
    archive = open_archive(str(db))
    run_id = start_run(archive, site="replica")  # this test process, alive: the lock is held
    done = run_cli("import-warc", str(history.warc), "--site", "replica", "--base-url", history.site.base_url,
                   "--db", str(db), check=75)
    assert "another crawl of 'replica' is running" in done.stderr
    finish_run(archive, run_id, status="ok")
    assert query(db, "select count(*) from captures") == [(0,)]
    archive.dispose()
