"""Exports people can hand on (issue 5): JSONL, CSV and Markdown, compared against the database.

The archive here is recorded directly through ``storage.archive.record_capture`` (no crawl): Vietnamese
articles with edits, a revert, a deletion and a rejection, plus titles and URLs crafted to escape the
output directory. The WARC format and import are in ``test_warc.py``.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.export_memory import ArchiveShape, build_archive
from storage.archive import Content, Extracted, Fetched, record_capture
from storage.db import open_archive
from storage.export import (
    CSV_COLUMNS,
    ExportFilter,
    export,
    markdown_name,
    slugify,
    yaml_scalar,
)
from storage.timespec import parse_when

from .conftest import ROOT, run_cli

T0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
BASE = "http://127.0.0.1:8000"
BODY = "\n\n".join(
    f"Đoạn {i}: Ban Tổ chức Trung ương đã tham mưu xây dựng Đảng, hoà hợp và thống nhất trong toàn Ngành."
    for i in range(1, 9)
)

# Titles (and one URL) that must never become a path outside the output directory or a clash.
CRAFTED = [
    ("../../etc/passwd", "/nhip-cau-ban-doc/a-13001"),
    ("/etc/passwd", "/nhip-cau-ban-doc/b-13002"),
    ("NUL", "/nhip-cau-ban-doc/c-13003"),
    ("CON.txt", "/nhip-cau-ban-doc/d-13004"),
    ("..", "/nhip-cau-ban-doc/e-13005"),
    ("C:\\Windows\\system32 \u202egnp.exe", "/nhip-cau-ban-doc/f-13006"),
    ("Đổi mới " * 40 + "công tác cán bộ", "/nhip-cau-ban-doc/g-13007"),  # 300+ characters
    ("!!! ??? ...", "/nhip-cau-ban-doc/h-13008"),
    ("5 điểm nhấn của Ngành Tổ chức", "/nhip-cau-ban-doc/i-13009"),
    ("5 điểm nhấn của Ngành Tổ chức", "/ly-luan-thuc-tien/..%2F..%2Fetc%2Fpasswd-13010"),  # same title
]


def content(**changes: Any) -> Content:
    fields: dict[str, Any] = dict(
        title="5 điểm nhấn của Ngành Tổ chức xây dựng Đảng",
        lead="Là người đứng đầu Ngành Tổ chức xây dựng Đảng, đồng chí đã có những chia sẻ.",
        body_text=BODY,
        body_markdown="## Kết quả\n\n" + BODY,
        author="PGS.TS. Nguyễn Bá Thắng",
        source="http://www.xaydungdang.org.vn",
        published_at=datetime(2019, 10, 15, 0, 7, tzinfo=UTC),
        category="ly-luan-thuc-tien",
        tags=["xây dựng Đảng", "tổ chức"],
        images=[{"url": BASE + "/Uploads/a.jpg", "caption": "Quang cảnh hội nghị (Ảnh: TTXVN)"}],
    )
    fields.update(changes)
    return Content(**fields)


def record(archive: Any, path: str, c: Content | None, *, at: datetime, views: int | None = 10,
           status: int = 200, site: str = "replica", key: str | None = None, not_article: str | None = None) -> None:
    url = BASE + path
    with archive.write() as session:
        record_capture(
            session, site=site, urls=[url], keys=[key or path.rsplit("-", 1)[-1]], canonical_url=url,
            fetched=Fetched(requested_url=url, final_url=url, fetched_at=at, status=status,
                            headers={"content-type": "text/html; charset=utf-8"},
                            body=f"<html><title>{path}</title>{at.isoformat()}</html>".encode()),
            extracted=Extracted(content=c, views=views, not_article=not_article, extractor_version="t")
            if status == 200 else None,
            now=at,
        )


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive with edits, a revert, a deletion, a rejection, two sites and the crafted titles."""
    db = tmp_path_factory.mktemp("export") / "archive.db"
    archive = open_archive(str(db))
    main = "/ly-luan-thuc-tien/5-diem-nhan-12001"
    record(archive, main, content(), at=T0, views=100)
    record(archive, main, content(), at=T0 + timedelta(days=1), views=150)  # unchanged: a view count only
    record(archive, main, content(title="5 điểm nhấn của Ngành Tổ chức xây dựng Đảng năm 2019"),
           at=T0 + timedelta(days=2), views=180)
    record(archive, main, content(), at=T0 + timedelta(days=3), views=200)  # reverted: revision 3
    deleted = "/nhip-cau-ban-doc/bai-se-bi-xoa-12002"
    record(archive, deleted, content(title="Bài sẽ bị xoá: Lượt đọc tăng", category="nhip-cau-ban-doc"),
           at=T0, views=5)
    record(archive, deleted, None, at=T0 + timedelta(days=2), status=404)
    record(archive, deleted, None, at=T0 + timedelta(days=3), not_article="maintenance page")
    record(archive, "/tin-tuc/bai-tren-trang-that-99", content(title="Bài trên trang thật", category="tin-tuc"),
           at=T0 + timedelta(days=1), site="xaydungdang", views=None)
    for n, (title, path) in enumerate(CRAFTED):
        record(archive, path, content(title=title, category="nhip-cau-ban-doc", body_text=f"{BODY}\n\nBài {n}."),
               at=T0 + timedelta(hours=n))
    archive.dispose()
    return db


def db_rows(db: Path, query: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


REVISION_SQL = (
    "select a.id, a.key, a.canonical_url, a.status, r.number, r.content_hash, r.title, r.lead, r.body_text, "
    "r.body_markdown, r.author, r.source, r.category, r.tags, c.views, c.fetched_at "
    "from revisions r join articles a on a.id = r.article_id join captures c on c.id = r.first_capture_id "
)


def expected_revisions(db: Path, where: str = "", *params: Any) -> dict[tuple[int, int], dict[str, Any]]:
    names = ("article_id", "key", "canonical_url", "status", "number", "content_hash", "title", "lead",
             "body_text", "body_markdown", "author", "source", "category", "tags", "views", "captured_at")
    rows = db_rows(db, REVISION_SQL + where + " order by a.id, r.number", *params)
    return {(row[0], row[4]): dict(zip(names, row, strict=True)) for row in rows}


def do_export(db: Path, fmt: str, out: Path, **kwargs: Any):  # type: ignore[no-untyped-def]
    archive = open_archive(str(db))
    try:
        return export(archive, fmt=fmt, out=out, **kwargs)
    finally:
        archive.dispose()


# -- JSONL -----------------------------------------------------------------------------------------


def test_jsonl_has_one_object_per_revision_with_identity_fields_capture_and_views(archive_db, tmp_path):
    out = tmp_path / "archive.jsonl"
    report = do_export(archive_db, "jsonl", out)
    lines = out.read_text(encoding="utf-8").splitlines()
    expected = expected_revisions(archive_db)
    assert report.records == len(lines) == len(expected)
    seen = {}
    for line in lines:
        obj = json.loads(line)
        seen[(obj["article"]["id"], obj["revision"]["number"])] = obj
    assert set(seen) == set(expected)
    for key, want in expected.items():
        got = seen[key]
        assert got["article"]["key"] == want["key"]
        assert got["article"]["canonical_url"] == want["canonical_url"]
        assert got["article"]["status"] == want["status"]
        assert want["canonical_url"] in got["article"]["aliases"]
        for name in ("content_hash", "title", "lead", "body_text", "body_markdown", "author", "source", "category"):
            assert got["revision"][name] == want[name], name  # Vietnamese intact, byte for byte
        assert got["revision"]["tags"] == json.loads(want["tags"])
        assert got["capture"]["views"] == want["views"]
        assert datetime.fromisoformat(got["capture"]["fetched_at"]).replace(tzinfo=None) == \
            datetime.fromisoformat(want["captured_at"])
    # the main article: three revisions, the third a revert of the first, views at each capture
    main = [seen[k] for k in sorted(seen) if seen[k]["article"]["key"] == "12001"]
    assert [m["revision"]["number"] for m in main] == [1, 2, 3]
    assert [m["capture"]["views"] for m in main] == [100, 180, 200]
    assert main[0]["last_seen"]["views"] == 150  # the unchanged revisit saw revision 1 with 150 views
    assert main[0]["revision"]["content_hash"] == main[2]["revision"]["content_hash"]
    assert [m["revision"]["current"] for m in main] == [False, False, True]
    assert main[1]["revision"]["changed_fields"] == ["title"]
    # written as UTF-8, not as \u escapes
    assert "Ngành Tổ chức" in out.read_text(encoding="utf-8")


def test_latest_revisions_include_gone_articles_with_their_status(archive_db, tmp_path):
    out = tmp_path / "latest.jsonl"
    do_export(archive_db, "jsonl", out, flt=ExportFilter(revisions="latest"))
    objs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(objs) == db_rows(archive_db, "select count(*) from articles")[0][0]
    assert all(o["revision"]["current"] for o in objs)
    by_key = {o["article"]["key"]: o for o in objs}
    assert by_key["12001"]["revision"]["number"] == 3
    assert by_key["12002"]["article"]["status"] == "gone"


def test_filters_by_site_category_and_capture_time(archive_db, tmp_path):
    def keys(**flt: Any) -> list[tuple[str, int]]:
        out = tmp_path / "f.jsonl"
        do_export(archive_db, "jsonl", out, flt=ExportFilter(**flt))
        objs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        return sorted((o["article"]["key"], o["revision"]["number"]) for o in objs)

    assert keys(site="xaydungdang") == [("99", 1)]
    assert keys(category="nhip-cau-ban-doc") == sorted([("12002", 1)] + [(p.rsplit("-", 1)[-1], 1) for _, p in CRAFTED])
    # since/until bound the time the revision was first captured (until is exclusive)
    assert keys(site="replica", category="ly-luan-thuc-tien", since=T0 + timedelta(days=2)) == [("12001", 2), ("12001", 3)]
    assert keys(since=T0 + timedelta(days=1), until=T0 + timedelta(days=3)) == [("12001", 2), ("99", 1)]


def test_time_bounds_accept_durations_and_iso_dates():
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert parse_when("7d", now=now) == now - timedelta(days=7)
    assert parse_when("12h", now=now) == now - timedelta(hours=12)
    assert parse_when("1d12h", now=now) == now - timedelta(days=1, hours=12)
    assert parse_when("2026-01-31") == datetime(2026, 1, 31, tzinfo=UTC)
    assert parse_when("2026-01-31", end=True) == datetime(2026, 2, 1, tzinfo=UTC)  # the whole day
    assert parse_when("2026-01-31T08:00+07:00") == datetime(2026, 1, 31, 1, 0, tzinfo=UTC)


def cli_error(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run the CLI in this process (as ``main`` does for a user) and return its exit code and stderr."""
    from xdd_archive.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return int(exit_info.value.code or 0), capsys.readouterr().err


def test_bad_filters_and_options_are_one_line_errors(archive_db, tmp_path, capsys):
    out = str(tmp_path / "x")
    cases = [
        (["--format", "jsonl", "--since", "last tuesday"], "--since 'last tuesday': not a duration"),
        (["--format", "jsonl", "--until", "2026-13-01"], "--until '2026-13-01': not a duration"),
        (["--format", "jsonl", "--since", "2026-02-01", "--until", "2026-01-01"], "--since must be before --until"),
        (["--format", "warc", "--revisions", "latest"], "--revisions does not apply to warc"),
        (["--format", "jsonl", "--excel"], "--excel applies to --format csv only"),
        (["--format", "markdown", "--gzip"], "--gzip does not apply to markdown"),
        (["--format", "jsonl", "--out", str(tmp_path / "missing" / "x.jsonl")], "does not exist"),
    ]
    for args, message in cases:
        code, stderr = cli_error(capsys, "export", "--db", str(archive_db), "--out", out, *args)
        lines = stderr.strip().splitlines()
        assert code == 2 and len(lines) == 1 and lines[0].startswith("xdd-archive: error: "), stderr
        assert message in stderr, stderr
    code, stderr = cli_error(capsys, "export", "--db", str(archive_db), "--format", "markdown", "--out", "-")
    assert code == 2 and "give --out PATH" in stderr
    assert not list(tmp_path.iterdir())


# -- CSV -----------------------------------------------------------------------------------------------


def test_csv_is_rfc4180_with_the_same_fields_flattened(archive_db, tmp_path):
    out = tmp_path / "archive.csv"
    do_export(archive_db, "csv", out)
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    # every record ends with CRLF; line breaks inside bodies are inside quoted fields
    assert raw.endswith(b"\r\n")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    expected = expected_revisions(archive_db)
    assert len(records) == len(expected)
    for rec in records:
        want = expected[(int(rec["article_id"]), int(rec["revision"]))]
        for name in ("title", "lead", "body_text", "body_markdown", "author", "content_hash", "canonical_url"):
            assert rec[name] == want[name], name
        assert json.loads(rec["tags"]) == json.loads(want["tags"])
        assert rec["views"] == ("" if want["views"] is None else str(want["views"]))
        assert want["canonical_url"] in json.loads(rec["aliases"])


def test_csv_for_excel_starts_with_a_bom(archive_db, tmp_path):
    out = tmp_path / "excel.csv"
    do_export(archive_db, "csv", out, excel=True)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "5 điểm nhấn của Ngành Tổ chức xây dựng Đảng" in text


def test_gzip_and_stdout_give_the_same_bytes(archive_db, tmp_path):
    plain = tmp_path / "plain.jsonl"
    zipped = tmp_path / "zipped.jsonl.gz"
    do_export(archive_db, "jsonl", plain)
    do_export(archive_db, "jsonl", zipped, gzip=True)
    assert gzip.decompress(zipped.read_bytes()) == plain.read_bytes()
    done = subprocess.run([sys.executable, "-m", "xdd_archive.cli", "export", "--db", str(archive_db), "--format", "jsonl",
                           "--out", "-"], capture_output=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == plain.read_bytes()
    assert not [p for p in tmp_path.iterdir() if ".part-" in p.name]


# -- Markdown --------------------------------------------------------------------------------------

SAFE = re.compile(r"[0-9]+-[a-z0-9][a-z0-9.-]*\.md")
RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def front_matter(text: str) -> tuple[dict[str, Any], str]:
    assert text.startswith("---\n")
    head, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(head), body


def check_names(names: list[str]) -> None:
    assert len(names) == len(set(names))
    for name in names:
        assert SAFE.fullmatch(name), name
        assert name not in (".", "..") and "/" not in name and "\\" not in name and "\x00" not in name
        assert name.split(".")[0].lower() not in RESERVED
        assert len(name) <= 120


def test_markdown_directory_has_safe_unique_names_and_front_matter_matching_the_database(archive_db, tmp_path):
    out = tmp_path / "articles"
    report = do_export(archive_db, "markdown", out)
    files = sorted(p for p in out.iterdir() if p.name != "index.md")
    names = [p.name for p in files]
    check_names(names)
    for path in out.rglob("*"):
        assert path.resolve().parent == out.resolve()  # nothing escaped, no subdirectories
    assert not (tmp_path.parent / "etc").exists() and sorted(tmp_path.iterdir()) == [out]
    latest = expected_revisions(archive_db, "where r.id = a.current_revision_id")
    assert report.records == len(files) == len(latest)
    by_id = {}
    for path in files:
        meta, body = front_matter(path.read_text(encoding="utf-8"))
        by_id[meta["id"]] = (path.name, meta, body)
    for (article_id, number), want in latest.items():
        name, meta, body = by_id[article_id]
        assert name == markdown_name(article_id, want["title"])
        assert meta["title"] == want["title"]  # parsed back by a real YAML parser: Vietnamese intact
        assert meta["revision"] == number and meta["status"] == want["status"]
        assert meta["canonical_url"] == want["canonical_url"]
        assert meta["author"] == want["author"] and meta["tags"] == json.loads(want["tags"])
        assert meta["views"] == want["views"]
        assert body.lstrip("\n").startswith("# " + " ".join(want["title"].split()))
        assert want["lead"] in body and want["body_markdown"] in body
    # the titles crafted to escape became plain slugs
    crafted = {meta["key"]: name for name, meta, _ in by_id.values()}
    assert crafted["13001"].endswith("-etc-passwd.md")
    assert crafted["13003"].endswith("-nul.md")
    assert crafted["13005"].endswith("-article.md") and crafted["13008"].endswith("-article.md")
    assert crafted["13009"].endswith("-5-diem-nhan-cua-nganh-to-chuc.md")
    assert crafted["13009"] != crafted["13010"]
    index = (out / "index.md").read_text(encoding="utf-8")
    assert all(f"]({name})" in index for name in names)


def test_markdown_zip_with_every_revision_stays_inside_one_folder(archive_db, tmp_path):
    out = tmp_path / "export.zip"
    report = do_export(archive_db, "markdown", out, flt=ExportFilter(revisions="all"))
    with zipfile.ZipFile(out) as zf:
        entries = zf.namelist()
        assert all(e.startswith("export/") and ".." not in e.split("/") and not e.startswith("/") for e in entries)
        names = [e.split("/", 1)[1] for e in entries if not e.endswith("index.md")]
        check_names(names)
        assert len(names) == report.records == len(expected_revisions(archive_db))
        main = sorted(n for n in names if n.startswith(f"{_article_id(archive_db, '12001')}-r"))
        assert [n.split("-")[1] for n in main] == ["r1", "r2", "r3"]
        meta, _ = front_matter(zf.read("export/" + main[1]).decode("utf-8"))
        assert meta["title"] == "5 điểm nhấn của Ngành Tổ chức xây dựng Đảng năm 2019"
        assert meta["changed_fields"] == ["title"] and meta["current"] is False


def _article_id(db: Path, key: str) -> int:
    return db_rows(db, "select id from articles where key = ?", key)[0][0]


def test_slugs_and_yaml_scalars():
    assert slugify("5 điểm nhấn của Ngành Tổ chức") == "5-diem-nhan-cua-nganh-to-chuc"
    assert slugify("ĐẢNG BỘ Đà Nẵng") == "dang-bo-da-nang"
    assert slugify("../../etc/passwd") == "etc-passwd"
    assert slugify("中文标题") == "article"
    long = slugify("Đổi mới " * 60)
    assert len(long) <= 80 and not long.endswith("-")
    assert markdown_name(7, "..") == "7-article.md"
    tricky = "dòng 1\ndòng 2 \"trích\" \\ \u0085 \u2028 \x7f #: - [x] {y} null"
    assert yaml.safe_load(f"k: {yaml_scalar(tricky)}")["k"] == tricky
    assert yaml.safe_load(f"k: {yaml_scalar(['a', None, 3, True])}")["k"] == ["a", None, 3, True]
    assert yaml.safe_load(f"k: {yaml_scalar([{'url': 'http://x/a.jpg', 'caption': 'Ảnh: TTXVN'}])}")["k"] == \
        [{"url": "http://x/a.jpg", "caption": "Ảnh: TTXVN"}]


def test_markdown_refuses_a_non_empty_directory(archive_db, tmp_path, capsys):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    code, stderr = cli_error(capsys, "export", "--db", str(archive_db), "--format", "markdown", "--out", str(out))
    assert code == 2 and "exists and is not an empty directory" in stderr
    assert (out / "notes.txt").read_text() == "mine" and len(list(out.iterdir())) == 1


# -- atomic output -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """600 articles with raw bodies, recorded directly (no crawl): a WARC export takes a while."""
    db = tmp_path_factory.mktemp("big") / "big.db"
    build_archive(db, 600, shape=ArchiveShape(revisit=False, edit_every=0, gone_every=0))
    return db


def _start_export(db: Path, out: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("XDD_DB", "XDD_NOW")}
    return subprocess.Popen([sys.executable, "-m", "xdd_archive.cli", "export", "--db", str(db), "--format", "warc",
                             "--out", str(out)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for_partial(out: Path, child: subprocess.Popen[bytes], min_bytes: int = 200_000) -> Path:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        parts = list(out.parent.glob(out.name + ".part-*"))
        if parts and parts[0].stat().st_size >= min_bytes:
            return parts[0]
        time.sleep(0.005)
    raise AssertionError("the export finished (or never started) before it could be interrupted")


def test_an_export_killed_in_the_middle_leaves_no_file_under_the_final_name(big_db, tmp_path):
    out = tmp_path / "archive.warc.gz"
    child = _start_export(big_db, out)
    part = _wait_for_partial(out, child)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert not out.exists()
    assert part.name == f"archive.warc.gz.part-{child.pid}"  # only the temporary, clearly named, is left


def test_an_interrupted_export_removes_its_temporary_file(big_db, tmp_path):
    out = tmp_path / "archive.warc.gz"
    child = _start_export(big_db, out)
    _wait_for_partial(out, child)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 130, stderr  # Ctrl-C's exit status, after cleaning up
    assert list(tmp_path.iterdir()) == []
    # a full run then writes the file under its name, and nothing else
    done = run_cli("export", "--db", str(big_db), "--format", "warc", "--out", str(out), "--json")
    assert json.loads(done.stdout)["records"] == 600
    assert [p.name for p in tmp_path.iterdir()] == ["archive.warc.gz"]
