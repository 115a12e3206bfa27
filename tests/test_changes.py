"""The ``changes`` report (storage/changes.py, ``xdd-archive changes``): new articles, real and trivial
edits, reverts, silent edits, articles gone and republished, over a period.

The main case is a scripted history of the replica, crawled for real at three moments ($XDD_NOW), read
back with and without ``--all``. The unit tests pin the rules on captures recorded directly.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from storage.archive import Content, Extracted, Fetched, record_capture
from storage.changes import changes_report
from storage.db import open_archive
from storage.timespec import parse_when
from xdd_archive.errors import ConfigError
from xdd_archive.replica import Replica

from .conftest import run_cli
from .test_diff import invoke, tone_edit

# the report reads the real clock, so the scripted history is placed relative to it
NOW = datetime.now(UTC).replace(microsecond=0)


# -- times ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("7d", NOW - timedelta(days=7)),
    ("12h", NOW - timedelta(hours=12)),
    ("30m", NOW - timedelta(minutes=30)),
    ("2w", NOW - timedelta(weeks=2)),
    ("1d12h", NOW - timedelta(days=1, hours=12)),
    ("2026-05-01", datetime(2026, 5, 1, tzinfo=UTC)),
    ("2026-05-01T08:30", datetime(2026, 5, 1, 8, 30, tzinfo=UTC)),
    ("2026-05-01T08:30+07:00", datetime(2026, 5, 1, 1, 30, tzinfo=UTC)),
    ("2026-05-01T08:30Z", datetime(2026, 5, 1, 8, 30, tzinfo=UTC)),
    ("now", NOW),
])
def test_since_and_until_take_durations_and_iso_times(value, expected):
    assert parse_when(value, now=NOW) == expected


@pytest.mark.parametrize("value", ["7x", "yesterday", "2026-13-01", "", "d7", "-7d"])
def test_bad_times_are_config_errors(value):
    with pytest.raises(ConfigError, match="not a duration"):
        parse_when(value, now=NOW, option="--since")


def test_bad_times_are_one_line_errors_from_the_cli(tmp_path):
    done = invoke("changes", "--db", str(tmp_path / "a.db"), "--since", "7x", check=2)
    assert done.stderr == ("xdd-archive: error: --since '7x': not a duration (7d, 12h, 30m, 2w) or an ISO "
                           "date/time (2026-11-20, 2026-11-20T08:00, 2026-11-20T08:00+07:00)\n")
    done = invoke("changes", "--db", str(tmp_path / "a.db"), "--since", "1d", "--until", "2d", check=2)
    assert "must be before --until" in done.stderr and done.stderr.count("\n") == 1


# -- the rules, on captures recorded directly -------------------------------------------------------------

URL = "http://127.0.0.1:8000/ly-luan-thuc-tien/bai-viet-12001"


def capture(archive, *, at: datetime, body: str | None = "Thân bài.", modified: datetime | None = None,
            status: int = 200) -> None:
    content = Content(title="Tiêu đề", body_text=body, modified_at=modified) if body is not None else None
    with archive.write() as session:
        record_capture(
            session, site="replica", urls=[URL], keys=["12001"], canonical_url=URL, now=at,
            fetched=Fetched(requested_url=URL, final_url=URL, fetched_at=at, status=status, body=b"<html/>"),
            extracted=Extracted(content=content) if content else None,
        )


@pytest.fixture
def archive(tmp_path):
    a = open_archive(str(tmp_path / "a.db"))
    yield a
    a.dispose()


def report(archive, **kwargs):
    with archive.read() as session:
        return changes_report(session, since=NOW - timedelta(days=30), until=NOW, **kwargs)


def test_a_silent_edit_is_yes_no_or_unknown_when_the_page_declares_no_modified_date(archive):
    t = NOW - timedelta(days=3)
    capture(archive, at=t, body="Một.")
    capture(archive, at=t + timedelta(hours=1), body="Hai.")  # neither declares a date: cannot tell
    modified = datetime(2026, 5, 1, tzinfo=UTC)
    capture(archive, at=t + timedelta(hours=2), body="Ba.", modified=modified)  # one does not: cannot tell
    capture(archive, at=t + timedelta(hours=3), body="Bốn.", modified=modified)  # the date stayed: silent
    capture(archive, at=t + timedelta(hours=4), body="Năm.", modified=modified + timedelta(days=1))  # it moved
    events = [(c.kind, c.revision, c.silent) for c in report(archive).changes]
    assert events == [("new", 1, None), ("changed", 2, "unknown"), ("changed", 3, "unknown"),
                      ("changed", 4, "yes"), ("changed", 5, "no")]
    counts = report(archive).counts
    assert (counts["silent"], counts["silent_unknown"]) == (1, 2)
    assert [(c.revision, c.silent) for c in report(archive, kinds=("silent",)).changes] == [(4, "yes")]


def test_short_fields_show_old_and_new_and_prose_an_excerpt_of_its_first_change(archive):
    t = NOW - timedelta(days=3)
    long_body = ("Ban Tổ chức Trung ương đã tham mưu xây dựng Đảng, nhằm nâng cao chất lượng đội ngũ cán bộ, "
                 "đảng viên ở cơ sở trong toàn Ngành và cả nước.")
    capture(archive, at=t, body=long_body)
    capture(archive, at=t + timedelta(hours=1), body=long_body.replace("tham mưu", "đề xuất"))
    (change,) = report(archive, include_new=False).changes
    (body,) = change.fields
    assert body.name == "body"
    assert [(op.kind, op.text) for op in body.excerpt] == [
        ("equal", "Ban Tổ chức Trung ương đã "), ("delete", "tham mưu"), ("insert", "đề xuất"),
        ("equal", " xây dựng Đảng, nhằm nâng cao chất lượng…")]  # eight words either side
    data = change.to_dict()
    assert data["fields"][0]["excerpt"][1] == {"op": "delete", "text": "tham mưu"}


def test_new_articles_are_counted_and_listed_only_when_asked(archive):
    t = NOW - timedelta(days=3)
    capture(archive, at=t)
    capture(archive, at=t + timedelta(hours=1), body="Khác.")
    quiet = report(archive, include_new=False)
    assert [c.kind for c in quiet.changes] == ["changed"] and (quiet.counts["new"], quiet.hidden_new) == (1, 1)
    assert [c.kind for c in report(archive, include_new=False, kinds=("new",)).changes] == ["new"]


def test_reverts_name_the_revision_they_restore(archive):
    t = NOW - timedelta(days=3)
    for n, body in enumerate(["A", "B", "A", "B", "C"]):
        capture(archive, at=t + timedelta(hours=n), body=f"Nội dung {body}.")
    events = [(c.kind, c.revision, c.reverts_to) for c in report(archive).changes]
    assert events == [("new", 1, None), ("changed", 2, None), ("revert", 3, 1), ("revert", 4, 2),
                      ("changed", 5, None)]


def test_gone_is_reported_once_until_the_article_comes_back(archive):
    t = NOW - timedelta(days=3)
    capture(archive, at=t)
    capture(archive, at=t + timedelta(hours=1), body=None, status=404)
    capture(archive, at=t + timedelta(hours=2), body=None, status=410)  # checked again: still gone
    capture(archive, at=t + timedelta(hours=3), body="Thân bài mới.")  # back, and different
    capture(archive, at=t + timedelta(hours=4), body=None, status=404)
    events = [(c.kind, c.revision, c.reason) for c in report(archive).changes]
    assert events == [("new", 1, None), ("gone", None, "HTTP 404"), ("republished", 2, None),
                      ("changed", 2, None), ("gone", None, "HTTP 404")]
    assert [c.kind for c in report(archive, kinds=("gone",)).changes] == ["gone", "gone"]


def test_the_window_is_since_inclusive_until_exclusive(archive):
    t = NOW - timedelta(days=3)
    capture(archive, at=t)
    capture(archive, at=t + timedelta(hours=1), body="Khác.")
    with archive.read() as session:
        inside = changes_report(session, since=t, until=t + timedelta(hours=1))
    assert [c.kind for c in inside.changes] == ["new"]


# -- the scripted history of the replica ------------------------------------------------------------------

T0, T1, T2 = (NOW - timedelta(days=d) for d in (10, 5, 4))


def when(moment: datetime) -> dict[str, str]:
    return {"XDD_NOW": moment.isoformat()}


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Crawled at T0 (10 days ago); at T1 an article added, one really edited, one edited trivially, one
    edited silently, one deleted, one served in NFD; at T2 the real edit reverted and the deleted one
    restored. Crawls are real (child processes), each at its moment."""
    db = tmp_path_factory.mktemp("changes") / "archive.db"
    with Replica(articles=8, seed=11, theme="new") as site:
        def crawl(at: datetime) -> dict:
            done = run_cli("crawl", "--site", "replica", "--base-url", site.base_url, "--db", str(db), "--json",
                           "--full", env=when(at))
            return json.loads(done.stdout)

        crawl(T0)
        real, trivial, silent, deleted, nfd = site.ids[:5]
        paragraph = site.article(real).paragraphs[0]
        edited = paragraph.replace(paragraph.split()[4], "ĐÃSỬA", 1)
        site.edit(real, replace={paragraph: edited})
        site.edit(trivial, replace=tone_edit(" ".join(site.article(trivial).paragraphs)))
        quiet = site.article(silent).paragraphs[-1]
        site.edit(silent, replace={quiet: quiet + " Câu được thêm lặng lẽ."}, touch_modified=False)
        site.delete(deleted, status=410)
        site.edit(nfd, unicode_form="NFD")
        added = site.add_article(title="Bài mới về Đà Nẵng")
        first = crawl(T1)
        site.edit(real, replace={edited: paragraph})
        site.restore(deleted)
        second = crawl(T2)
        urls = {name: site.article_url(i) for name, i in
                (("real", real), ("trivial", trivial), ("silent", silent), ("deleted", deleted), ("nfd", nfd),
                 ("added", added.id))}
    archive = open_archive(str(db))
    with archive.read() as session:
        from xdd_archive.cli.read import find_article

        ids = {name: find_article(session, url).id for name, url in urls.items()}
    archive.dispose()
    yield {"db": str(db), "ids": ids, "crawls": (first, second)}


def events(data: dict) -> list[tuple]:
    return [(c["kind"], c["article_id"], c["revision"]) for c in data["changes"]]


def test_the_crawls_saw_what_was_scripted(history):
    first, second = history["crawls"]
    assert (first["stats"]["new_articles"], first["stats"]["new_revisions"], first["stats"]["gone"]) == (1, 3, 1)
    assert (second["stats"]["new_revisions"], second["stats"]["republished"]) == (1, 1)


def test_changes_lists_each_event_of_the_history(history):
    ids = history["ids"]
    data = json.loads(invoke("changes", "--db", history["db"], "--since", "7d", "--new", "--json").stdout)
    assert sorted(events(data)) == sorted([
        ("new", ids["added"], 1),
        ("changed", ids["real"], 2),
        ("changed", ids["silent"], 2),
        ("gone", ids["deleted"], None),
        ("revert", ids["real"], 3),
        ("republished", ids["deleted"], 1),
    ])
    by = {(c["kind"], c["article_id"]): c for c in data["changes"]}
    real = by[("changed", ids["real"])]
    assert (real["changed_fields"], real["trivial"], real["silent"]) == (["body"], False, "no")
    # the modified date moved with the edit: old -> new, both in the JSON
    (moved,) = [f for f in real["fields"] if f["field"] == "modified_at"]
    assert moved["old"] < moved["new"]
    assert "ĐÃSỬA" in "".join(op["text"] for f in real["fields"] if f["field"] == "body"
                               for op in f["excerpt"] if op["op"] == "insert")
    silent = by[("changed", ids["silent"])]
    assert (silent["changed_fields"], silent["silent"]) == (["body"], "yes")
    assert silent["modified_at"] == silent["previous_modified_at"] is not None
    revert = by[("revert", ids["real"])]
    assert (revert["reverts_to"], revert["previous"], revert["silent"]) == (1, 2, "no")
    assert by[("gone", ids["deleted"])]["reason"] == "HTTP 410"
    assert data["hidden_trivial"] == 1
    assert data["counts"] == {"new": 1, "changed": 2, "revert": 1, "gone": 1, "republished": 1,
                              "silent": 1, "silent_unknown": 0, "trivial": 0}
    assert ids["nfd"] not in {c["article_id"] for c in data["changes"]}  # NFD made no revision
    # in time order, the T1 events before the T2 ones
    kinds = [c["kind"] for c in data["changes"]]
    assert set(kinds[-2:]) == {"revert", "republished"}


def test_all_shows_the_trivial_edit(history):
    ids = history["ids"]
    data = json.loads(invoke("changes", "--db", history["db"], "--since", "7d", "--all", "--json").stdout)
    trivial = [c for c in data["changes"] if c["trivial"]]
    assert [(c["kind"], c["article_id"], c["revision"], c["changed_fields"]) for c in trivial] == \
        [("changed", ids["trivial"], 2, ["body"])]
    assert data["hidden_trivial"] == 0 and len(data["changes"]) == 6 and data["hidden_new"] == 1


def test_the_period_and_the_kinds_narrow_the_report(history):
    ids = history["ids"]
    since_t2 = (T2 - timedelta(hours=1)).isoformat()
    data = json.loads(invoke("changes", "--db", history["db"], "--since", since_t2, "--json").stdout)
    assert sorted(events(data)) == [("republished", ids["deleted"], 1), ("revert", ids["real"], 3)]
    data = json.loads(invoke("changes", "--db", history["db"], "--since", "30d", "--until",
                             (T1 - timedelta(hours=1)).isoformat(), "--new", "--json").stdout)
    assert {c["kind"] for c in data["changes"]} == {"new"} and len(data["changes"]) == 8  # the first crawl
    data = json.loads(invoke("changes", "--db", history["db"], "--since", "7d", "--kind", "gone", "--kind",
                             "republished", "--json").stdout)
    assert sorted(events(data)) == [("gone", ids["deleted"], None), ("republished", ids["deleted"], 1)]
    data = json.loads(invoke("changes", "--db", history["db"], "--since", "7d", "--site", "xaydungdang",
                             "--json").stdout)
    assert data["changes"] == []


def test_the_human_report_leads_with_edits_and_counts_new_articles(history):
    ids = history["ids"]
    out = invoke("changes", "--db", history["db"], "--since", "7d").stdout
    assert ("2 edits (1 silent), 1 revert, 1 removed, 1 back online, 1 new article; 1 trivial change hidden "
            "(--all shows it); new articles counted, not listed (--new lists them)") in out
    headings = [line for line in out.splitlines() if line and not line.startswith(" ")][2:]
    assert headings == ["Silent edits: the content changed, the declared modified date did not (1)", "Edits (1)",
                        "Reverts: back to an earlier text (1)", "Removed (1)", "Back online (1)"]
    assert "Silent edit: the modified date the page declares did not move (" in out
    assert "Revert: back to the text of revision 1" in out and "Why: HTTP 410" in out
    assert f"see: xdd-archive diff {ids['real']} 1 2" in out
    assert "Bài mới về Đà Nẵng" not in out
    assert "Bài mới về Đà Nẵng" in invoke("changes", "--db", history["db"], "--since", "7d", "--new").stdout


# -- the weekly report a journalist sends -------------------------------------------------------------------


def test_the_html_report_is_one_self_contained_page_in_the_order_people_read(history):
    from .test_diff import assert_self_contained, page_links

    page = invoke("changes", "--db", history["db"], "--since", "7d", "--format", "html").stdout
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert_self_contained(page)
    order = [page.index(h) for h in ("Silent edits", "<h2>Edits", "Reverts", "Removed", "Back online")]
    assert order == sorted(order)
    assert "<del>" in page and "<ins>" in page and "Silent edit</strong>" in page
    assert all(href.startswith("http://127.0.0.1:") for href, _ in page_links(page))  # the articles, clickable
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d \+07", page) and not re.search(r"\d\d:\d\d:\d\d\.\d", page)


def test_the_markdown_report_lists_each_event_with_the_command_that_shows_it(history):
    ids = history["ids"]
    text = invoke("changes", "--db", history["db"], "--since", "7d", "--format", "markdown").stdout
    assert text.startswith("# Changes in the archive: ")
    assert "## Silent edits: the content changed, the declared modified date did not (1)" in text
    assert f"- See it: `xdd-archive diff {ids['silent']} 1 2`" in text
    assert "- **Why**: HTTP 410" in text


def test_reports_escape_what_the_site_wrote():
    from storage.changes import Change, ChangesReport, FieldChange
    from storage.diff import Op
    from storage.report import render_html, render_markdown

    nasty = '<script>alert("x")</script> & [link](javascript:1) *bold*'
    change = Change("changed", at=NOW, article_id=1, site="replica", key="1", url='http://e.invalid/a"b<c>',
                    title=nasty, revision=2, previous=1, changed_fields=("title", "body"),
                    fields=(FieldChange("title", old="x", new=nasty),
                            FieldChange("body", excerpt=(Op("equal", "a "), Op("insert", nasty)))),
                    silent="unknown")
    report = ChangesReport(since=NOW - timedelta(days=7), until=NOW, site=None, include_trivial=False,
                           changes=[change])
    page = render_html(report)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert 'href="http://e.invalid/a&quot;b&lt;c&gt;"' in page
    text = render_markdown(report)
    assert "<script>" not in text and "\\[link\\]" in text and "\\*bold\\*" in text
