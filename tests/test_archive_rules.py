"""The versioning rules of storage.archive, recorded directly (no crawl): DESIGN.md "Versioning rules"."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from storage.archive import Content, Extracted, Fetched, RevisitPolicy, load_blob, record_capture
from storage.db import open_archive
from storage.models import Article, ArticleUrl, Capture, Revision

T0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
URL = "http://127.0.0.1:8000/ly-luan-thuc-tien/bai-viet-12001"
BODY = "\n\n".join(
    f"Đoạn {i}: Ban Tổ chức Trung ương đã tham mưu xây dựng Đảng, hoà hợp và thống nhất trong toàn Ngành."
    for i in range(1, 9)
)


@pytest.fixture
def archive(tmp_path):
    a = open_archive(str(tmp_path / "a.db"))
    yield a
    a.dispose()


def content(**changes) -> Content:
    fields = dict(
        title="5 điểm nhấn của Ngành Tổ chức xây dựng Đảng",
        lead="Là người đứng đầu Ngành Tổ chức xây dựng Đảng.",
        body_text=BODY,
        author="Nguyễn Bá Thắng",
        source="http://www.xaydungdang.org.vn",
        published_at=datetime(2019, 10, 15, 0, 7, tzinfo=UTC),
        category="ly-luan-thuc-tien",
        tags=["xây dựng Đảng"],
    )
    fields.update(changes)
    return Content(**fields)


def capture(archive, c: Content | None = None, *, at: datetime = T0, status: int = 200, views: int | None = 10,
            not_article: str | None = None, url: str = URL, urls=None, keys=("12001",), **fetched):
    with archive.write() as session:
        return record_capture(
            session,
            site="replica",
            urls=urls or [url],
            keys=list(keys),
            canonical_url=url,
            fetched=Fetched(requested_url=url, final_url=url, fetched_at=at, status=status,
                            body=f"<html>{at.isoformat()}</html>".encode(), **fetched),
            extracted=Extracted(content=c, views=views, not_article=not_article, extractor_version="t"),
            now=at,
        )


def count(archive, model) -> int:
    with archive.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_first_capture_makes_revision_one(archive):
    r = capture(archive, content())
    assert (r.outcome, r.revision_number) == ("new", 1)


def test_same_content_again_is_unchanged_and_records_views(archive):
    capture(archive, content(), views=10)
    r = capture(archive, content(), at=T0 + timedelta(hours=1), views=11)
    assert r.outcome == "unchanged"
    assert count(archive, Revision) == 1
    with archive.read() as s:
        assert s.scalars(select(Capture.views).order_by(Capture.id)).all() == [10, 11]


def test_body_edit_makes_one_revision_with_changed_field_body(archive):
    capture(archive, content())
    r = capture(archive, content(body_text=BODY.replace("thống nhất", "đoàn kết", 1)), at=T0 + timedelta(hours=1))
    assert (r.outcome, r.revision_number, r.changed_fields) == ("changed", 2, ("body",))


def test_revert_makes_revision_three(archive):
    capture(archive, content())
    capture(archive, content(body_text=BODY + "\n\nThêm một đoạn."), at=T0 + timedelta(hours=1))
    r = capture(archive, content(), at=T0 + timedelta(hours=2))
    assert (r.outcome, r.revision_number) == ("changed", 3)
    with archive.read() as s:
        hashes = s.scalars(select(Revision.content_hash).order_by(Revision.number)).all()
    assert hashes[0] == hashes[2] != hashes[1]


def test_nfd_and_rewrapped_text_is_no_change(archive):
    capture(archive, content())
    nfd = unicodedata.normalize("NFD", BODY).replace(" Ban ", "\nBan ").replace("Đảng,", "Đảng,\u200b")
    r = capture(archive, content(body_text=nfd, title=unicodedata.normalize("NFD", content().title)),
                at=T0 + timedelta(hours=1))
    assert r.outcome == "unchanged"


def test_tone_mark_placement_is_a_trivial_revision(archive):
    capture(archive, content())
    r = capture(archive, content(body_text=BODY.replace("hoà hợp", "hòa hợp")), at=T0 + timedelta(hours=1))
    assert (r.outcome, r.trivial) == ("changed", True)


def test_punctuation_only_is_trivial_but_a_word_is_not(archive):
    capture(archive, content())
    r = capture(archive, content(body_text=BODY.replace("Đảng, hoà", "Đảng hoà")), at=T0 + timedelta(hours=1))
    assert r.trivial is True
    r = capture(archive, content(body_text=BODY.replace("hoà hợp", "hóa hợp")), at=T0 + timedelta(hours=2))
    assert r.trivial is False


def test_tag_order_is_not_content(archive):
    capture(archive, content(tags=["a", "b"]))
    assert capture(archive, content(tags=["b", "a"]), at=T0 + timedelta(hours=1)).outcome == "unchanged"


def test_not_an_article_is_rejected_with_raw_body_and_no_revision(archive):
    capture(archive, content())
    r = capture(archive, None, not_article="maintenance page", at=T0 + timedelta(hours=1))
    assert (r.outcome, r.reason) == ("rejected", "maintenance page")
    assert count(archive, Revision) == 1
    with archive.read() as s:
        digest = s.scalar(select(Capture.body_digest).where(Capture.id == r.capture_id))
        assert load_blob(s, digest) == f"<html>{(T0 + timedelta(hours=1)).isoformat()}</html>".encode()


def test_truncated_response_is_rejected(archive):
    r = capture(archive, content(), defect="truncated body (connection closed early)")
    assert r.outcome == "rejected" and "truncated" in r.reason
    assert count(archive, Article) == 0  # a URL whose only fetch failed is not an article yet


def test_suspect_cut_is_held_then_confirmed(archive):
    capture(archive, content())
    cut = content(body_text=BODY.split("\n\n")[0])
    first = capture(archive, cut, at=T0 + timedelta(hours=1))
    assert first.outcome == "rejected" and first.reason.startswith("suspect")
    second = capture(archive, cut, at=T0 + timedelta(hours=2))
    assert (second.outcome, second.revision_number) == ("changed", 2)


def test_suspect_glitch_that_goes_away_makes_no_revision(archive):
    capture(archive, content())
    capture(archive, content(body_text=BODY.split("\n\n")[0]), at=T0 + timedelta(hours=1))
    r = capture(archive, content(), at=T0 + timedelta(hours=2))
    assert r.outcome == "unchanged"
    assert count(archive, Revision) == 1


def test_gone_then_republished(archive):
    capture(archive, content())
    gone = capture(archive, None, status=410, at=T0 + timedelta(hours=1))
    assert gone.outcome == "gone"
    with archive.read() as s:
        assert s.scalar(select(Article.status)) == "gone"
    back = capture(archive, content(), at=T0 + timedelta(hours=2))
    assert (back.outcome, back.republished) == ("unchanged", True)
    with archive.read() as s:
        assert s.scalar(select(Article.status)) == "live"


def test_aliases_and_keys_keep_one_article(archive):
    capture(archive, content(), url="http://127.0.0.1:8000/ly-luan-thuc-tien/bai-viet-12001")
    capture(archive, content(), url="http://localhost:8000/ly-luan-thuc-tien/bai-viet-12001",
            at=T0 + timedelta(hours=1))
    # a redirect from the old URL to a new-site URL joins the new URL to the same article
    capture(archive, content(), url="http://127.0.0.1:8000/ly-luan-thuc-tien/bai-viet.html",
            urls=["http://127.0.0.1:8000/ly-luan-thuc-tien/bai-viet-12001",
                  "http://127.0.0.1:8000/ly-luan-thuc-tien/bai-viet.html"],
            keys=("12001", "/ly-luan-thuc-tien/bai-viet.html"), at=T0 + timedelta(hours=2))
    assert count(archive, Article) == 1
    assert count(archive, ArticleUrl) == 3


def test_redirect_merges_an_article_first_found_under_its_new_url(archive):
    capture(archive, content())
    new_url = "http://127.0.0.1:8000/ly-luan-thuc-tien/bai-viet.html"
    # the new URL is found in a listing first and looks like a new article...
    capture(archive, content(), url=new_url, keys=("/ly-luan-thuc-tien/bai-viet.html",), at=T0 + timedelta(hours=1))
    assert count(archive, Article) == 2
    # ...until the old URL answers with a redirect to it: the two are one article again
    r = capture(archive, content(), url=new_url, urls=[URL, new_url],
                keys=("12001", "/ly-luan-thuc-tien/bai-viet.html"), at=T0 + timedelta(hours=2))
    assert (r.outcome, r.article_id) == ("unchanged", 1)
    with archive.read() as s:
        assert s.execute(select(Article.id, Article.status)).all() == [(1, "live")]
        assert set(s.scalars(select(ArticleUrl.article_id))) == {1}
        assert s.scalars(select(Revision.number)).all() == [1]
        assert set(s.scalars(select(Capture.article_id))) == {1}


def test_merge_keeps_a_different_version_as_a_new_revision(archive):
    capture(archive, content())
    new_url = "http://127.0.0.1:8000/ly-luan-thuc-tien/bai-viet.html"
    moved = content(body_text="XDĐ - " + BODY)
    capture(archive, moved, url=new_url, keys=("/ly-luan-thuc-tien/bai-viet.html",), at=T0 + timedelta(hours=1))
    r = capture(archive, moved, url=new_url, urls=[URL, new_url],
                keys=("12001", "/ly-luan-thuc-tien/bai-viet.html"), at=T0 + timedelta(hours=2))
    assert (r.outcome, r.article_id, r.revision_number) == ("unchanged", 1, 2)
    with archive.read() as s:
        assert s.execute(select(Revision.number, Revision.changed_fields)).all() == [(1, []), (2, ["body"])]


def test_revisit_interval_grows_with_age_and_tightens_after_change(archive):
    policy = RevisitPolicy(jitter=0)
    young = datetime(2025, 12, 31, tzinfo=UTC)  # one day old at T0
    with archive.write() as s:
        record_capture(s, site="replica", urls=[URL], keys=["12001"], canonical_url=URL, policy=policy, now=T0,
                       fetched=Fetched(requested_url=URL, final_url=URL, fetched_at=T0, status=200, body=b"x"),
                       extracted=Extracted(content=content(published_at=young)))
    with archive.read() as s:
        assert s.scalar(select(Article.next_check_at)) == T0 + timedelta(hours=1)
    later = T0 + timedelta(days=30)
    with archive.write() as s:
        record_capture(s, site="replica", urls=[URL], keys=["12001"], canonical_url=URL, policy=policy, now=later,
                       fetched=Fetched(requested_url=URL, final_url=URL, fetched_at=later, status=200, body=b"x"),
                       extracted=Extracted(content=content(published_at=young)))
    with archive.read() as s:
        assert s.scalar(select(Article.next_check_at)) == later + timedelta(days=1)
    changed = later + timedelta(days=1)
    with archive.write() as s:
        record_capture(s, site="replica", urls=[URL], keys=["12001"], canonical_url=URL, policy=policy, now=changed,
                       fetched=Fetched(requested_url=URL, final_url=URL, fetched_at=changed, status=200, body=b"y"),
                       extracted=Extracted(content=content(published_at=young, title="Tiêu đề mới")))
    with archive.read() as s:
        assert s.scalar(select(Article.next_check_at)) == changed + timedelta(hours=1)


def test_a_failed_transaction_leaves_nothing_behind(archive):
    with pytest.raises(RuntimeError), archive.write() as s:
        record_capture(s, site="replica", urls=[URL], keys=["12001"], canonical_url=URL,
                       fetched=Fetched(requested_url=URL, final_url=URL, fetched_at=T0, status=200, body=b"x"),
                       extracted=Extracted(content=content()))
        raise RuntimeError("crash in the middle")
    assert count(archive, Article) == count(archive, Revision) == count(archive, Capture) == 0


def test_a_redirect_to_a_different_known_article_is_a_redirect_not_an_edit(archive):
    other_url = "http://127.0.0.1:8000/ly-luan-thuc-tien/bai-khac-12002"
    capture(archive, content())
    capture(archive, content(title="Một bài viết khác hẳn", body_text=BODY + "\n\nKhác."), url=other_url,
            keys=("12002",), at=T0 + timedelta(minutes=5))
    # article 1's URL now answers 301 to article 2
    r = capture(archive, content(title="Một bài viết khác hẳn", body_text=BODY + "\n\nKhác."), url=other_url,
                urls=[URL, other_url], keys=("12001", "12002"), at=T0 + timedelta(hours=1))
    assert (r.outcome, r.article_id) == ("unchanged", 2)
    with archive.read() as s:
        assert s.execute(select(Article.id, Article.status, Article.redirect_article_id)).all() == [
            (1, "redirected", 2), (2, "live", None)]
        assert s.scalars(select(Revision.number).where(Revision.article_id == 1)).all() == [1]
        tomb = s.scalars(select(Capture).where(Capture.article_id == 1).order_by(Capture.id.desc())).first()
        assert (tomb.outcome, tomb.reason.startswith("redirected to another article")) == ("gone", True)
        assert s.scalar(select(ArticleUrl.article_id).where(ArticleUrl.url == URL)) == 1


def test_a_redirect_to_an_unseen_different_article_makes_it_an_article_of_its_own(archive):
    capture(archive, content())
    target = "http://127.0.0.1:8000/nhip-cau-ban-doc/tin-moi.html"
    r = capture(archive, content(title="Tin mới hoàn toàn"), url=target, urls=[URL, target],
                keys=("12001", "/nhip-cau-ban-doc/tin-moi.html"), at=T0 + timedelta(hours=1))
    assert (r.outcome, r.article_id) == ("new", 2)
    with archive.read() as s:
        assert s.execute(select(Article.key, Article.status)).all() == [
            ("12001", "redirected"), ("/nhip-cau-ban-doc/tin-moi.html", "live")]


def test_a_merge_interleaves_the_two_histories_by_time(archive):
    new_url = "http://127.0.0.1:8000/ly-luan-thuc-tien/bai-viet.html"
    new_key = ("/ly-luan-thuc-tien/bai-viet.html",)
    a, b, c = content(), content(body_text=BODY + "\n\nB."), content(body_text=BODY + "\n\nC.")
    capture(archive, a)  # day 0, old URL
    capture(archive, b, url=new_url, keys=new_key, at=T0 + timedelta(days=5))  # new URL, seen as new
    capture(archive, c, at=T0 + timedelta(days=10))  # old URL again
    r = capture(archive, c, url=new_url, urls=[URL, new_url], keys=("12001", *new_key), at=T0 + timedelta(days=11))
    assert r.outcome == "unchanged"
    with archive.read() as s:
        bodies = [b.rsplit("\n\n", 1)[-1] for b in s.scalars(select(Revision.body_text).order_by(Revision.number))]
        assert bodies == [BODY.rsplit("\n\n", 1)[-1], "B.", "C."]
        assert s.scalars(select(Article.id)).all() == [1]


def test_a_304_after_gone_brings_the_article_back(archive):
    capture(archive, content())
    capture(archive, None, status=404, at=T0 + timedelta(hours=1))
    r = capture(archive, None, status=304, at=T0 + timedelta(hours=2))
    assert (r.outcome, r.republished) == ("not_modified", True)
    with archive.read() as s:
        assert s.scalar(select(Article.status)) == "live"
        assert s.scalar(select(Revision.last_seen_capture_id)) == r.capture_id


def test_failures_in_a_row_back_off(archive):
    policy = RevisitPolicy(jitter=0)
    with archive.write() as s:
        record_capture(s, site="replica", urls=[URL], keys=["12001"], canonical_url=URL, policy=policy, now=T0,
                       fetched=Fetched(requested_url=URL, final_url=URL, fetched_at=T0, status=200, body=b"x"),
                       extracted=Extracted(content=content()))
    waits = []
    for n in range(1, 5):
        at = T0 + timedelta(days=n)
        with archive.write() as s:
            record_capture(s, site="replica", urls=[URL], keys=["12001"], canonical_url=URL, policy=policy,
                           now=at, fetched=Fetched(requested_url=URL, final_url=URL, fetched_at=at, error="HTTP 503"))
        with archive.read() as s:
            waits.append(s.scalar(select(Article.next_check_at)) - at)
    assert waits == [timedelta(hours=1), timedelta(hours=2), timedelta(hours=4), timedelta(hours=8)]
