"""The replica (replica/): a local copy of the magazine site that tests, demo and benchmarks crawl.

Real HTTP against a started Replica with urllib, read as a specification of what the replica promises:
deterministic content, three themes, listings, robots/sitemap/RSS, a view counter, conditional GET,
edits, deletes, redirects, moves, misbehaviour on demand, a request log and an HTTP control API.
"""

from __future__ import annotations

import ast
import http.client
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unicodedata
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest

from xdd_archive import replica
from xdd_archive.errors import ConfigError
from xdd_archive.replica import Article, Replica, content, faults, serve
from xdd_archive.replica.content import CATEGORIES, generate_articles, slugify
from xdd_archive.replica.themes import THEMES, format_thousands, get_theme

UA = "xdd-archive-tests/1.0 (+https://example.invalid)"


# -- helpers --------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None  # let 301 surface as the response


_opener = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, *, headers: dict[str, str] | None = None, method: str = "GET", data: bytes | None = None):
    """(status, headers, body) of one request; redirects are not followed; HTTP errors are returned."""
    req = urllib.request.Request(url, headers={"User-Agent": UA, **(headers or {})}, method=method, data=data)
    try:
        with _opener.open(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def text(url: str, **kwargs) -> str:
    status, _, body = fetch(url, **kwargs)
    assert status == 200, (status, url)
    return body.decode("utf-8")


def control(site: Replica, method: str, path: str, payload: object | None = None, raw: bytes | None = None):
    data = raw if raw is not None else (json.dumps(payload).encode() if payload is not None else None)
    status, _, body = fetch(
        site.base_url + "/_control/" + path,
        method=method,
        data=data,
        headers={"Content-Type": "application/json"},
    )
    return status, json.loads(body)


def views_on(html: str) -> int:
    m = re.search(r"Lượt xem: ([\d.]+)|([\d.]+) lượt xem", html)
    assert m, "no view counter on the page"
    return int((m.group(1) or m.group(2)).replace(".", ""))


def article_links(html: str, site: Replica) -> list[str]:
    paths = {site.article_path(i) for i in site.ids}
    return [h for h in re.findall(r'href="([^"]+)"', html) if h in paths]


@pytest.fixture
def site():
    with Replica(articles=40, seed=3, theme="old") as r:
        yield r


def visible(site: Replica, *, show_views: bool = True, author: bool = True) -> Article:
    """A live article that shows a view counter (and has an author, if asked)."""
    for i in site.ids:
        a = site.articles[i]
        if a.show_views == show_views and (a.author is not None) == author:
            return a
    raise AssertionError("no such article")


# -- content --------------------------------------------------------------------------------------


def test_same_seed_same_articles_other_seed_other_articles():
    def fingerprint(arts):
        return [(a.id, a.title, a.slug, a.category, a.lead, a.body, a.author, a.published_at, a.views) for a in arts]

    assert fingerprint(generate_articles(50, 7)) == fingerprint(generate_articles(50, 7))
    assert fingerprint(generate_articles(50, 7)) != fingerprint(generate_articles(50, 8))


def test_generated_articles_look_like_the_magazine():
    arts = generate_articles(400, 1)
    ids = [a.id for a in arts]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert [a.published_at for a in arts] == sorted(a.published_at for a in arts)
    assert 5_500 <= ids[0] <= 7_000 and 21_000 <= ids[-1] <= 22_500
    assert arts[0].published_at.year == 2013 and arts[-1].published_at.year == 2024
    assert all(a.published_at.utcoffset().total_seconds() == 7 * 3600 for a in arts)
    assert len({a.title for a in arts}) == 400 and len({a.slug for a in arts}) == 400
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", a.slug) for a in arts)
    counts = Counter(a.category for a in arts)
    assert set(counts) == set(CATEGORIES) and max(counts.values()) - min(counts.values()) <= 1
    no_author = sum(a.author is None for a in arts)
    assert 0.06 * 400 <= no_author <= 0.2 * 400
    assert any(a.author and a.author.startswith(("TS.", "PGS.TS.", "ThS.")) for a in arts)
    assert any(a.source == "http://www.xaydungdang.org.vn" for a in arts)
    assert 0.04 * 400 <= sum(not a.show_views for a in arts) <= 0.17 * 400
    for a in arts:
        assert 4 <= len(a.paragraphs) <= 10 and 1 <= len(a.headings) <= 3 and len(a.images) <= 2
        assert 2 <= len(a.tags) <= 4 and a.lead
    new = generate_articles(20, 1, theme="new")
    assert all(2025 <= a.published_at.year <= 2026 for a in new)
    assert all(a.paragraphs[0].startswith("XDĐ - ") for a in new)
    portal = generate_articles(200, 1, theme="portal")
    assert any("{image id =" in b for a in portal for b in a.body)


def test_slugs_are_ascii_without_diacritics():
    slug = slugify("Đổi mới công tác cán bộ: Nghị quyết số 26-NQ/TW")
    assert slug == "doi-moi-cong-tac-can-bo-nghi-quyet-so-26-nq-tw"
    assert slugify("Hoà hợp, HÒA HỢP") == "hoa-hop-hoa-hop"


def test_view_counts_use_dots_for_thousands():
    assert format_thousands(999) == "999"
    assert format_thousands(1091) == "1.091"
    assert format_thousands(1_234_567) == "1.234.567"
    assert get_theme("old").views_text(1_234_567) == "Lượt xem: 1.234.567"
    assert get_theme("new").views_text(1091) == "1.091 lượt xem"


def test_public_api():
    assert set(replica.__all__) >= {"Replica", "serve", "Article"}
    assert all(hasattr(replica, name) for name in replica.__all__)
    assert callable(serve)
    with pytest.raises(ConfigError):
        Replica(theme="blue")
    with pytest.raises(ConfigError):
        Replica(per_page=0)


# -- themes ---------------------------------------------------------------------------------------

DATE_PATTERNS = {
    "old": r"(Thứ (hai|ba|tư|năm|sáu|bảy)|Chủ nhật), \d\d/\d\d/\d{4} - \d\d:\d\d",
    "new": r"\d\d/\d\d/\d{4} \| \d\d:\d\d",
    "portal": r"\d\d/\d\d/\d{4} (0\d|1[0-2]):\d\d (SA|CH)",
}


@pytest.mark.parametrize("theme", ["old", "new", "portal"])
def test_each_theme_renders_an_article_page(theme):
    with Replica(articles=24, seed=5, theme=theme) as site:
        art = next(
            site.articles[i] for i in site.ids if site.articles[i].author and site.articles[i].show_views
        )
        status, headers, body = fetch(site.article_url(art.id))
        page = body.decode("utf-8")
        assert status == 200
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert int(headers["Content-Length"]) == len(body)
        assert '<meta charset="utf-8">' in page
        assert escape(art.title) in page and escape(art.lead) in page
        assert escape(art.author_line) in page
        assert re.search(DATE_PATTERNS[theme], page)
        assert views_on(page) == art.views
        assert "Thống kê truy cập" in page and "Đang online" in page and "In trang" in page
        for paragraph in art.paragraphs:
            assert escape(paragraph) in page
        if theme == "new":
            assert re.search(r'property="article:published_time" content="[\d-]+T[\d:]+\+07:00"', page)
        else:
            assert "article:published_time" not in page
        if theme == "portal":
            assert "_divArticleDescription" in page
            assert any(s in page for s in ("Thiết thực lập thành tích",))


def test_themes_are_different_markup():
    pages = {}
    for theme in ("old", "new", "portal"):
        with Replica(articles=8, seed=2, theme=theme) as site:
            pages[theme] = text(site.article_url(site.ids[0]))
    assert "<h1" in pages["old"] and "<article" in pages["new"] and "ArticleTitle" in pages["portal"]
    assert "<article" not in pages["old"] and "<article" not in pages["portal"]


def test_article_without_author_or_counter_shows_neither(site):
    art = visible(site, author=False)
    page = text(site.article_url(art.id))
    assert 'text-align: right;"><strong>' not in page
    hidden = visible(site, show_views=False)
    assert "Lượt xem" not in text(site.article_url(hidden.id))


# -- listings, robots, sitemap, feed ----------------------------------------------------------------


@pytest.mark.parametrize("theme", ["old", "new", "portal"])
def test_listings_paginate_and_link_every_article_once(theme):
    with Replica(articles=45, seed=4, theme=theme, per_page=4) as site:
        seen: list[str] = []
        for category in CATEGORIES:
            url = f"{site.base_url}/{category}"
            pages = 0
            while url:
                page = text(url)
                pages += 1
                links = article_links(page, site)
                assert 0 < len(links) <= 4
                seen.extend(links)
                nxt = re.search(r'<a [^>]*href="([^"]+)"[^>]*rel="next"[^>]*>Trang sau<', page)
                url = site.base_url + nxt.group(1).replace("&amp;", "&") if nxt else None
            assert pages == -(-len(site.listed_ids(category)) // 4)
        assert sorted(seen) == sorted(site.article_path(i) for i in site.ids)
        home = text(site.base_url + "/")
        assert article_links(home, site) == [site.article_path(i) for i in site.listed_ids()[:10]]
        assert all(f'href="/{c}"' in home for c in CATEGORIES)
        assert fetch(f"{site.base_url}/{CATEGORIES[0]}?page=99")[0] == 404


def test_robots_sitemap_and_rss(site):
    robots = text(site.base_url + "/robots.txt")
    assert "Disallow: /_control/" in robots and "Disallow: /tim-kiem" in robots
    assert f"Sitemap: {site.base_url}/sitemap.xml" in robots

    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ET.fromstring(fetch(site.base_url + "/sitemap.xml")[2])
    locs = [u.findtext("s:loc", namespaces=ns) for u in root.findall("s:url", ns)]
    assert sorted(locs) == sorted(site.base_url + site.article_path(i) for i in site.ids)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", u.findtext("s:lastmod", namespaces=ns))
               for u in root.findall("s:url", ns))

    status, headers, body = fetch(site.base_url + "/rss")
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(body).find("channel")
    items = channel.findall("item")
    assert len(items) == 20
    newest = site.articles[site.listed_ids()[0]]
    assert items[0].findtext("title") == newest.title
    assert items[0].findtext("link") == site.article_url(newest.id)
    assert items[0].findtext("pubDate").endswith("+0700")


# -- view counter and conditional GET ------------------------------------------------------------


def test_view_counter_ticks_on_every_200(site):
    art = visible(site)
    url = site.article_url(art.id)
    first = views_on(text(url))
    second = views_on(text(url))
    assert second == first + 1 and site.articles[art.id].views == second


def test_etag_and_last_modified_give_304_without_counting_a_view(site):
    art = visible(site)
    url = site.article_url(art.id)
    status, headers, _ = fetch(url)
    etag, last_modified = headers["ETag"], headers["Last-Modified"]
    assert etag.startswith('W/"') and last_modified.endswith("GMT")
    views = site.articles[art.id].views
    status, headers304, body = fetch(url, headers={"If-None-Match": etag})
    assert (status, body) == (304, b"") and headers304["ETag"] == etag
    assert fetch(url, headers={"If-Modified-Since": last_modified})[0] == 304
    assert fetch(url, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})[0] == 200
    assert fetch(url, headers={"If-None-Match": 'W/"other"'})[0] == 200
    assert site.articles[art.id].views == views + 2
    home_headers = fetch(site.base_url + "/")[1]
    assert "ETag" not in home_headers and "Last-Modified" not in home_headers


def test_edit_changes_content_version_and_validators(site):
    art = visible(site)
    url = site.article_url(art.id)
    _, before, _ = fetch(url)
    word = art.paragraphs[0].split()[0]
    site.edit(art.id, title="Tiêu đề đã sửa", replace={word: "ĐÃ SỬA"})
    assert art.version == 2
    status, after, body = fetch(url, headers={"If-None-Match": before["ETag"]})
    page = body.decode()
    assert status == 200 and after["ETag"] != before["ETag"]
    assert "Tiêu đề đã sửa" in page and "ĐÃ SỬA" in page
    assert fetch(url, headers={"If-Modified-Since": before["Last-Modified"]})[0] == 200
    site.edit(art.id, body="Đoạn một.\n\n## Mục mới\n\nĐoạn hai.", author="")
    assert art.version == 3 and art.paragraphs == ["Đoạn một.", "Đoạn hai."] and art.headings == ["Mục mới"]
    assert art.author is None
    site.edit(art.id, replace={"không có chuỗi này": "x"})
    assert art.version == 3  # nothing changed, nothing bumped


def test_nfd_serves_the_same_text_decomposed(site):
    art = visible(site)
    url = site.article_url(art.id)
    _, before, body = fetch(url)
    assert unicodedata.normalize("NFC", art.title).encode() in body
    site.edit(art.id, unicode_form="NFD")
    _status, after, body = fetch(url)
    assert art.version == 1 and after["ETag"] != before["ETag"]
    nfd_title = escape(unicodedata.normalize("NFD", art.title)).encode()
    assert nfd_title in body and escape(art.title).encode() not in body
    assert escape(art.title) in unicodedata.normalize("NFC", body.decode())


# -- deletes, redirects, moves ----------------------------------------------------------------------


def test_delete_answers_404_or_410_and_restore_brings_it_back(site):
    a, b = site.ids[3], site.ids[4]
    site.delete(a)
    site.delete(b, status=410)
    status, _, body = fetch(site.article_url(a))
    assert status == 404 and "Không tìm thấy trang" in body.decode()
    assert fetch(site.article_url(b))[0] == 410
    assert a not in site.listed_ids()
    assert site.article_path(a) not in text(site.base_url + "/sitemap.xml")
    site.restore(a)
    assert fetch(site.article_url(a))[0] == 200 and a in site.listed_ids()
    assert fetch(site.base_url + "/khong-co-trang-nay")[0] == 404
    with pytest.raises(ConfigError):
        site.delete(a, status=500)


def test_redirect_answers_301(site):
    a = site.ids[5]
    site.redirect(a, to="/")
    status, headers, _ = fetch(site.article_url(a))
    assert status == 301 and headers["Location"] == site.base_url + "/"
    site.redirect(a, to=site.article_path(site.ids[6]))
    assert fetch(site.article_url(a))[1]["Location"] == site.article_url(site.ids[6])


def test_move_puts_the_article_at_a_new_style_url(site):
    a = site.listed_ids(CATEGORIES[0])[0]
    old_url = site.article_url(a)
    new_path = site.move(a)
    assert new_path == f"/{site.articles[a].category}/{site.articles[a].slug}.html"
    status, headers, _ = fetch(old_url)
    assert status == 301 and headers["Location"] == site.base_url + new_path
    assert fetch(site.base_url + new_path)[0] == 200
    assert site.article_url(a) == site.base_url + new_path
    listing = text(f"{site.base_url}/{CATEGORIES[0]}")
    assert new_path in article_links(listing, site) and old_url.split(str(site.port))[1] not in listing
    assert site.base_url + new_path in text(site.base_url + "/sitemap.xml")


def test_new_article_is_on_top(site):
    art = site.add_article(title="Bài mới: đổi mới sinh hoạt chi bộ năm 2026", category="nhip-cau-ban-doc")
    assert art.id == max(site.ids) and art.slug == "bai-moi-doi-moi-sinh-hoat-chi-bo-nam-2026"
    assert site.listed_ids()[0] == art.id and site.listed_ids("nhip-cau-ban-doc")[0] == art.id
    assert article_links(text(site.base_url + "/"), site)[0] == site.article_path(art.id)
    assert escape(art.title) in text(site.article_url(art.id))
    with pytest.raises(ConfigError):
        site.add_article(category="the-thao")


# -- misbehaviour --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode,status", [("500", 500), ("503", 503), ("429", 429)])
def test_error_misbehaviours(site, mode, status):
    url = site.article_url(site.ids[0])
    site.misbehave(mode, times=2)
    first, headers, _ = fetch(url)
    assert first == status and fetch(url)[0] == status
    if mode != "500":
        assert headers["Retry-After"] == "1"
    assert fetch(url)[0] == 200  # times=2 used up


def test_maintenance_page_is_served_with_200(site):
    site.misbehave("maintenance")
    status, _, body = fetch(site.article_url(site.ids[0]))
    page = body.decode()
    assert status == 200 and "Hệ thống đang bảo trì, vui lòng quay lại sau" in page
    assert "Lượt xem" not in page and "Thống kê truy cập" in page


def test_wrong_charset_declares_windows_1252_for_utf8_bytes(site):
    art = visible(site)
    site.misbehave("wrong-charset", article_id=art.id)
    status, headers, body = fetch(site.article_url(art.id))
    assert status == 200 and headers["Content-Type"] == "text/html; charset=windows-1252"
    assert b"<meta charset" not in body and escape(art.title).encode("utf-8") in body


def test_reset_closes_the_connection_without_a_response(site):
    site.misbehave("reset")
    with pytest.raises((ConnectionError, http.client.HTTPException, urllib.error.URLError)):
        fetch(site.article_url(site.ids[0]))
    assert site.requests[-1].status == 0 and site.requests[-1].misbehaviour == "reset"
    assert fetch(site.article_url(site.ids[0]))[0] == 200


def test_truncate_sends_fewer_bytes_than_content_length(site):
    site.misbehave("truncate")
    conn = http.client.HTTPConnection(site.host, site.port, timeout=10)
    conn.request("GET", site.article_path(site.ids[0]))
    resp = conn.getresponse()
    assert resp.status == 200 and int(resp.headers["Content-Length"]) > 1000
    with pytest.raises(http.client.IncompleteRead) as info:
        resp.read()
    assert 0 < len(info.value.partial) < int(resp.headers["Content-Length"])
    conn.close()


def test_slow_answers_after_three_seconds(site):
    site.misbehave("slow", article_id=site.ids[1])
    started = time.monotonic()
    assert fetch(site.article_url(site.ids[0]))[0] == 200  # another article: not slowed
    assert time.monotonic() - started < 1
    started = time.monotonic()
    assert fetch(site.article_url(site.ids[1]))[0] == 200
    assert time.monotonic() - started >= Replica.SLOW_SECONDS - 0.05


def test_misbehaviour_scope_and_duration(site):
    a, b = site.ids[0], site.ids[1]
    site.misbehave("500", article_id=a, times=None)
    for _ in range(3):
        assert fetch(site.article_url(a))[0] == 500
    assert fetch(site.article_url(b))[0] == 200
    assert fetch(site.base_url + "/robots.txt")[0] == 200
    site.clear_misbehaviour()
    assert fetch(site.article_url(a))[0] == 200
    site.misbehave("503")  # site-wide: any path but /_control/
    assert fetch(site.base_url + "/robots.txt")[0] == 503
    assert control(site, "GET", "status")[0] == 200
    with pytest.raises(ConfigError):
        site.misbehave("teapot")
    with pytest.raises(ConfigError):
        site.misbehave("500", article_id=1)


# -- the fault suite: faults real servers, proxies and CDNs make ---------------------------------------


def raw_exchange(
    site: Replica, path: str, *, host: str | None = None, close: bool = False
) -> tuple[dict[str, str], bytes, bytes]:
    """(headers, raw body bytes, status line) of one HTTP/1.1 GET read until the server closes.

    The request asks for keep-alive unless ``close``: only a fault then makes the server close.
    """
    extra = "Connection: close\r\n" if close else ""
    with socket.create_connection((site.host, site.port), timeout=10) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host or f'{site.host}:{site.port}'}\r\nUser-Agent: {UA}\r\n{extra}\r\n"
            .encode()
        )
        data = bytearray()
        while chunk := sock.recv(65536):  # the socket's timeout is the deadline
            data += chunk
    head, _, rest = bytes(data).partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return headers, rest, status_line.encode()


def dechunk(raw: bytes) -> tuple[bytes, bool]:
    """(decoded body, whether the terminating zero-length chunk came) of a chunked body."""
    out = bytearray()
    while raw:
        size_line, _, raw = raw.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return bytes(out), True
        assert raw[size : size + 2] == b"\r\n", "every chunk sent is complete"
        out += raw[:size]
        raw = raw[size + 2 :]
    return bytes(out), False


def body_bytes_span(site: Replica, page: bytes) -> tuple[int, int]:
    """Byte offsets of the article body inside a served page."""
    html = page.decode("utf-8")
    span = site.theme.body_span(html)
    assert span is not None
    start = len(html[: span[0]].encode())
    return start, start + len(html[span[0] : span[1]].encode())


def clean_page(site: Replica, art_id: int) -> tuple[bytes, tuple[int, int]]:
    status, _, page = fetch(site.article_url(art_id))
    assert status == 200
    return page, body_bytes_span(site, page)


@pytest.mark.parametrize("theme", ["old", "new", "portal"])
def test_cut_honest_is_a_complete_response_whose_html_stops_inside_the_article_body(theme):
    with Replica(articles=8, seed=6, theme=theme) as site:
        art = visible(site)
        path = site.article_path(art.id)
        clean, (start, end) = clean_page(site, art.id)
        site.misbehave("cut-honest", article_id=art.id, times=6)
        conn = http.client.HTTPConnection(site.host, site.port, timeout=10)
        lengths = set()
        for _ in range(6):
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()  # no IncompleteRead: as far as HTTP goes the response is whole
            assert resp.status == 200 and int(resp.headers["Content-Length"]) == len(body)
            assert not resp.will_close  # the connection is closed normally, or kept alive
            assert b"</html>" not in body and body == clean[: len(body)]
            assert start <= len(body) < end  # inside the article body, not at a fixed share
            body.decode("utf-8")  # the CMS stopped between characters
            lengths.add(len(body))
        assert len(lengths) > 1
        conn.request("GET", path)  # the six are used up: the same connection gets the whole page
        assert conn.getresponse().read().rstrip().endswith(b"</html>")
        conn.close()
        assert [r.misbehaviour for r in site.requests[-7:]] == ["cut-honest"] * 6 + [None]


def test_drop_no_length_closes_the_connection_mid_body_without_a_length(site):
    art = visible(site)
    clean, (start, end) = clean_page(site, art.id)
    site.misbehave("drop-no-length", article_id=art.id, times=2)
    headers, body, status_line = raw_exchange(site, site.article_path(art.id))
    assert status_line.startswith(b"HTTP/1.1 200")
    assert "content-length" not in headers and "transfer-encoding" not in headers
    assert headers["connection"] == "close"  # close-delimited: the end of the connection ends the body
    assert start <= len(body) < end and body == clean[: len(body)] and b"</html>" not in body
    # a client cannot tell: to HTTP a close-delimited response that ends is a whole response
    conn = http.client.HTTPConnection(site.host, site.port, timeout=10)
    conn.request("GET", site.article_path(art.id))
    resp = conn.getresponse()
    data = resp.read()
    assert resp.status == 200 and resp.will_close and b"</html>" not in data and len(data) < len(clean)
    conn.close()
    assert [r.misbehaviour for r in site.requests[-2:]] == ["drop-no-length"] * 2


def test_chunked_cut_drops_the_connection_before_the_terminating_chunk(site):
    art = visible(site)
    clean, _ = clean_page(site, art.id)
    site.misbehave("chunked-cut", article_id=art.id, times=2)
    headers, raw, status_line = raw_exchange(site, site.article_path(art.id))
    assert status_line.startswith(b"HTTP/1.1 200") and headers["transfer-encoding"] == "chunked"
    assert "content-length" not in headers and "connection" not in headers  # dropped without notice
    body, terminated = dechunk(raw)
    assert not terminated and 0 < len(body) < len(clean)
    assert body == clean[: len(body)] and b"</html>" not in body
    conn = http.client.HTTPConnection(site.host, site.port, timeout=10)
    conn.request("GET", site.article_path(art.id))
    resp = conn.getresponse()
    with pytest.raises(http.client.IncompleteRead) as info:
        resp.read()
    assert 0 < len(info.value.partial) < len(clean)
    conn.close()


def test_stale_edge_serves_the_previous_version_on_alternate_requests(site):
    art = visible(site)
    url = site.article_url(art.id)
    _, before, _ = fetch(url)
    old_title = art.title
    site.edit(art.id, title="Tiêu đề mới sau khi sửa")
    site.misbehave("stale-edge", times=None)
    answers = [fetch(url) for _ in range(4)]
    seen = ["old" if escape(old_title).encode() in body else "new" for _, _, body in answers]
    assert seen == ["old", "new", "old", "new"]
    assert b"Ti\xc3\xaau \xc4\x91\xe1\xbb\x81 m\xe1\xbb\x9bi" in answers[1][2]  # "Tiêu đề mới"
    stale_headers, fresh_headers = answers[0][1], answers[1][1]
    assert stale_headers["ETag"] == before["ETag"] and stale_headers["Last-Modified"] == before["Last-Modified"]
    assert fresh_headers["ETag"] != before["ETag"]
    # each edge answers a conditional request by its own validators
    assert fetch(url, headers={"If-None-Match": before["ETag"]})[0] == 304  # the stale edge
    assert fetch(url, headers={"If-None-Match": before["ETag"]})[0] == 200  # the fresh one
    # an article never edited serves the same content either way
    never = next(i for i in site.ids if i != art.id)
    first, second = fetch(site.article_url(never)), fetch(site.article_url(never))
    assert first[1]["ETag"] == second[1]["ETag"]
    spans = [body_bytes_span(site, page[2]) for page in (first, second)]
    assert first[2][slice(*spans[0])] == second[2][slice(*spans[1])]
    assert {r.misbehaviour for r in site.requests[-8:]} == {"stale-edge"}
    site.clear_misbehaviour()
    assert all(escape(old_title).encode() not in fetch(url)[2] for _ in range(2))


def test_offhost_302_is_a_temporary_redirect_to_another_host(site):
    a = site.ids[0]
    site.misbehave("offhost-302", article_id=a, times=4)
    hosts = set()
    for _ in range(4):
        status, headers, _ = fetch(site.article_url(a))
        location = urlsplit(headers["Location"])
        assert status == 302 and location.hostname not in ("127.0.0.1", "localhost")
        assert location.hostname == "127.0.0.2" or location.hostname.endswith(".invalid")
        hosts.add(location.hostname)
    assert hosts == {"127.0.0.2", "bao-tri.xaydungdang.invalid"}  # both kinds: nothing listens, nothing resolves
    assert fetch(site.article_url(a))[0] == 200
    assert site.requests[-2].misbehaviour == "offhost-302" and site.requests[-1].misbehaviour is None


def test_faults_with_nothing_to_act_on_are_used_up_but_not_logged(site):
    art = visible(site)
    url = site.article_url(art.id)
    etag = fetch(url)[1]["ETag"]
    site.misbehave("cut-honest", article_id=art.id)
    assert fetch(url, headers={"If-None-Match": etag})[0] == 304  # no body to cut
    site.misbehave("stale-edge")
    assert fetch(site.base_url + "/robots.txt")[0] == 200  # the stale edge caches articles only
    assert [r.misbehaviour for r in site.requests[-2:]] == [None, None]
    assert fetch(url)[2].rstrip().endswith(b"</html>") and control(site, "GET", "status")[1]["misbehaviours"] == []


def test_twin_hosts_serve_one_site_with_absolute_urls_of_the_host_asked():
    with Replica(articles=12, seed=2, theme="new") as site:
        art = next(site.articles[i] for i in site.ids if site.articles[i].images)
        twin = f"http://localhost:{site.port}"
        pages = {base: text(base + site.article_path(art.id)) for base in (site.base_url, twin)}
        for base, page in pages.items():
            other = twin if base == site.base_url else site.base_url
            assert f'rel="canonical" href="{base}{site.article_path(art.id)}"' in page
            srcs = re.findall(r'<img src="([^"]+)"', page)
            assert srcs and all(src.startswith(base + "/") for src in srcs) and other not in page
        # the same article: only the host in its URLs differs
        bodies = [page[slice(*site.theme.body_span(page))] for page in pages.values()]
        assert bodies[1].replace(twin, site.base_url) == bodies[0]
        assert f"Sitemap: {twin}/sitemap.xml" in text(twin + "/robots.txt")
        assert f"<loc>{twin}/" in text(twin + "/sitemap.xml") and f"<link>{twin}/" in text(twin + "/rss")
        assert f"<loc>{site.base_url}/" in text(site.base_url + "/sitemap.xml")
        # a Host the site does not answer to gets the canonical URLs
        _, body, _ = raw_exchange(site, "/robots.txt", host="evil.example", close=True)
        assert f"Sitemap: {site.base_url}/sitemap.xml".encode() in body


def lenient_get(url: str) -> tuple[int, int]:
    """(status, bytes received) of one GET, whatever the fault: a reset counts as status 0."""
    try:
        status, _, body = fetch(url)
        return status, len(body)
    except http.client.IncompleteRead as exc:
        return -1, len(exc.partial)
    except (ConnectionError, http.client.HTTPException, urllib.error.URLError):
        return 0, 0


def test_mix_is_deterministic_for_a_seed_and_keeps_to_its_modes_and_rate():
    def run(seed: int) -> list[tuple[str, int, int, str | None]]:
        with Replica(articles=12, seed=4) as site:
            site.misbehave_mix(0.4, seed=seed)  # every mode but slow
            results = [lenient_get(site.article_url(i)) for i in site.ids * 5]
            assert fetch(site.base_url + "/")[0] == 200  # articles only, by default
            log = site.requests
            assert log[-1].misbehaviour is None
            return [(r.path, r.status, n, r.misbehaviour) for r, (_, n) in zip(log, results, strict=False)]

    first = run(7)
    assert run(7) == first  # same seed, same order of requests: same faults, same cut points
    assert run(8) != first
    modes = Counter(m for *_, m in first if m)
    assert 0.2 * 60 <= sum(modes.values()) <= 0.6 * 60
    assert set(modes) <= set(faults.MIX_DEFAULT_MODES) and len(modes) >= 5


def test_mix_by_api_and_by_control_api(site):
    a = site.ids[0]
    site.misbehave_mix(1.0, ["503"], seed=1, article_id=a)
    assert fetch(site.article_url(a))[0] == 503 and fetch(site.article_url(site.ids[1]))[0] == 200
    site.misbehave("500", article_id=a)  # rules come first
    assert fetch(site.article_url(a))[0] == 500 and fetch(site.article_url(a))[0] == 503
    site.clear_misbehaviour()
    assert fetch(site.article_url(a))[0] == 200
    status, payload = control(site, "POST", "misbehave-mix",
                              {"rate": 1, "modes": ["429"], "seed": 2, "articles_only": False})
    assert status == 200 and payload["mix"]["modes"] == ["429"]
    assert fetch(site.base_url + "/")[0] == 429 and fetch(site.article_url(a))[0] == 429
    assert control(site, "GET", "status")[1]["mix"]["fired"] == 2
    for bad in ({"rate": 1.5}, {"rate": 0.5, "modes": ["teapot"]}, {"rate": 0.5, "modes": []},
                {"modes": ["500"]}, {"rate": 0.5, "colour": "red"}, {"rate": "half"}, {"rate": 0.5, "seed": "x"}):
        assert control(site, "POST", "misbehave-mix", bad)[0] == 400, bad
    assert control(site, "POST", "misbehave-mix", {"rate": 0.5, "article_id": 1})[0] == 404
    assert control(site, "POST", "clear-misbehaviour")[0] == 200
    assert control(site, "GET", "status")[1]["mix"] is None and fetch(site.base_url + "/")[0] == 200
    with pytest.raises(ConfigError):
        site.misbehave_mix(-0.1)
    with pytest.raises(ConfigError):
        site.misbehave_mix(0.5, ["slow", "teapot"])


# -- the hostile article, the redesign, the command line ----------------------------------------------


class PageReader(HTMLParser):
    """The tags, attributes and text a browser's parser sees in a page."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.starts: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def urls(self, prefix: str) -> set[str]:
        return {v for _, attrs in self.starts for _, v in attrs if v and v.lower().startswith(prefix)}


@pytest.mark.parametrize("theme", THEMES)
def test_hostile_article_reaches_a_parser_as_text(theme):
    with Replica(articles=4, seed=2, theme=theme) as site:
        art = site.add_hostile_article()
        status, _, body = fetch(site.article_url(art.id))
        page = body.decode("utf-8")
        reader = PageReader(page)
        assert status == 200 and "script" not in {tag for tag, _ in reader.starts}
        assert not any(name.startswith("on") for _, attrs in reader.starts for name, _ in attrs)
        assert content.HOSTILE_SCRIPT not in page and content.HOSTILE_ATTRIBUTE not in page  # never raw
        # the body's link paragraph is a real link, as the CMS kept it; the site's own print links aside
        assert content.HOSTILE_JS_URL in reader.urls("javascript:")
        assert reader.urls("javascript:") <= {content.HOSTILE_JS_URL, "javascript:window.print();",
                                              "javascript:window.print()"}
        text = "".join(reader.text)
        for hostile in (art.title, art.lead, art.author, content.HOSTILE_SCRIPT, content.HOSTILE_ATTRIBUTE,
                        *content.HOSTILE_RICH, *content.HOSTILE_FORMULAS, content.HOSTILE_ANSI, "\x00", "\x07"):
            assert hostile in text, (theme, hostile)
        assert site.article_path(art.id) in text_of_sitemap(site) and art.title.startswith("=HYPERLINK(")


def text_of_sitemap(site: Replica) -> str:
    return text(site.base_url + "/sitemap.xml")


def test_hostile_article_by_control_api(site):
    status, made = control(site, "POST", "articles", {"hostile": True, "category": "nhip-cau-ban-doc"})
    assert status == 201 and made["category"] == "nhip-cau-ban-doc"
    assert made["title"] == content.hostile_fields(site.seed)["title"] and made["source"] == content.HOSTILE_JS_URL
    assert any(i["url"] == content.HOSTILE_JS_URL for i in made["links"])
    assert site.listed_ids()[0] == made["id"]


def test_set_theme_redesigns_the_site_at_runtime_keeping_urls_titles_and_bodies(site):
    art = visible(site)
    url = site.article_url(art.id)
    _, before, _ = fetch(url)
    site.set_theme("redesign")
    status, headers, body = fetch(url, headers={"If-None-Match": before["ETag"]})
    page = body.decode("utf-8")
    assert status == 200  # the bytes changed, so did the ETag; the article did not: same Last-Modified
    assert headers["Last-Modified"] == before["Last-Modified"] and headers["Server"] == "cloudflare"
    assert site.theme_name == "redesign" and site.article_url(art.id) == url
    assert f'<h1 class="post__title">{escape(art.title)}</h1>' in page
    body_html = page[slice(*site.theme.body_span(page))]
    assert all(escape(p) in body_html for p in art.paragraphs)
    # what extractors find by habit has moved: no counter words, no time of day near the title, no
    # article:* meta, <time> or JSON-LD, no byline as the body's last line
    visible_text = "".join(PageReader(page).text)
    when = art.published_at
    assert not re.search(r"lượt\s+(xem|đọc)|\bviews?\b", visible_text, re.I)
    assert f"{when:%H:%M}" not in visible_text and f"{when.hour}h{when:%M}" not in visible_text
    assert f"{when.hour} giờ {when:%M} phút, ngày {when.day} tháng {when.month} năm {when.year}" in visible_text
    assert "article:published_time" not in page and "<time" not in page and "ld+json" not in page
    assert escape(art.author) not in body_html
    # ... where a profile that knows the theme finds them (THEMES.md names the selectors)
    doc = lxml.html.fromstring(page)
    assert doc.xpath('string(//*[@class="ho-so__ten"])') == art.author_line
    assert doc.xpath('//abbr[@class="dang-luc"]/@title') == [when.isoformat()]
    counter = doc.xpath('string(//*[contains(@class, "fact--reads")]/*[@class="so"])')
    assert int(counter.replace(".", "")) == site.articles[art.id].views
    site.set_theme("old")
    assert '<h1 class="title">' in text(url)
    with pytest.raises(ConfigError):
        site.set_theme("blue")


def test_theme_by_control_api_and_a_replica_born_redesigned(site):
    status, payload = control(site, "POST", "theme", {"name": "redesign"})
    assert status == 200 and payload["theme"] == "redesign" and payload["scheme"] == "old"
    assert "post__content" in text(site.article_url(site.ids[0]))
    assert control(site, "POST", "theme", {"name": "blue"})[0] == 400
    assert control(site, "POST", "theme", {})[0] == 400
    assert control(site, "GET", "theme")[0] == 405
    with Replica(articles=4, seed=1, theme="redesign") as born:
        assert born.scheme == "new" and born.article_path(born.ids[0]).endswith(".html")
        assert "post__content" in text(born.article_url(born.ids[0]))


def test_cli_serves_a_replica_with_random_faults():
    child = subprocess.Popen(
        [sys.executable, "-m", "xdd_archive.cli", "replica", "serve", "--port", "0", "--articles", "6",
         "--theme", "redesign", "--faults", "1", "--fault-modes", "503,offhost-302", "--fault-seed", "5"],
        cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        base = child.stdout.readline().strip()
        assert fetch(base + "/robots.txt")[0] == 200  # articles only
        loc = re.search(r"<loc>([^<]+)</loc>", fetch(base + "/sitemap.xml")[2].decode()).group(1)
        # the mix Mix(1.0, ["503", "offhost-302"], seed=5) draws, in any process, in this order
        assert [fetch(loc)[0] for _ in range(4)] == [302, 503, 302, 503]
        status = json.loads(fetch(base + "/_control/status")[2])
        assert status["theme"] == "redesign" and status["mix"]["modes"] == ["503", "offhost-302"]
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=10) == 0
        assert "faults at rate 1.0 (503, offhost-302)" in child.stderr.read()
    finally:
        child.kill()
        child.communicate()
    from click.testing import CliRunner  # here: importing the CLI costs a second every test run would pay

    from xdd_archive.cli.replica import replica_group

    for args in (["--fault-modes", "teapot,500"], ["--fault-modes", ","], ["--faults", "1.5"]):
        bad = CliRunner().invoke(replica_group, ["serve", *args])
        assert bad.exit_code == 2 and "Invalid value" in bad.output and bad.exception is not None, args


def test_replica_modules_have_no_function_over_80_lines():
    root = Path(replica.__file__).parent
    long = [
        f"{path.relative_to(root)}:{node.lineno} {node.name}"
        for path in root.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 80
    ]
    assert long == []


# -- request log, control API, twin host, keep-alive ----------------------------------------------------------


def test_request_log_records_every_site_request_but_not_control(site):
    art = site.ids[2]
    fetch(site.base_url + "/")
    fetch(site.article_url(art))
    fetch(site.article_url(art), headers={"If-None-Match": fetch(site.article_url(art))[1]["ETag"]})
    control(site, "GET", "articles")
    fetch(site.base_url + "/robots.txt")
    log = site.requests
    assert [r.status for r in log] == [200, 200, 200, 304, 200]
    assert site.paths() == ["/", *[site.article_path(art)] * 3, "/robots.txt"]
    assert all(r.user_agent == UA and r.method == "GET" for r in log)
    assert log[3].headers["If-None-Match"].startswith('W/"')
    assert site.article_hits(art) == 3
    site.clear_requests()
    assert site.requests == []


def test_control_api_round_trip(site):
    status, listing = control(site, "GET", "articles")
    assert status == 200 and len(listing) == len(site.ids)
    status, made = control(site, "POST", "articles", {"title": "Bài viết qua API", "category": "ly-luan-thuc-tien"})
    assert status == 201 and made["url"] == site.article_url(made["id"])
    assert "Bài viết qua API" in text(made["url"])
    status, edited = control(site, "POST", f"articles/{made['id']}/edit", {"replace": {"qua API": "đã sửa"}})
    assert status == 200 and edited["version"] == 2 and edited["title"] == "Bài viết đã sửa"
    assert control(site, "POST", f"articles/{made['id']}/delete", {"status": 410})[0] == 200
    assert fetch(made["url"])[0] == 410
    assert control(site, "POST", f"articles/{made['id']}/restore")[0] == 200
    status, moved = control(site, "POST", f"articles/{made['id']}/move")
    assert status == 200 and moved["path"].endswith(".html")
    assert control(site, "POST", f"articles/{made['id']}/redirect", {"to": "/"})[0] == 200
    assert control(site, "POST", "misbehave", {"mode": "500", "times": 1}) == (200, {"ok": True})
    assert fetch(site.base_url + "/")[0] == 500
    assert control(site, "POST", "clear-misbehaviour")[0] == 200
    status, log = control(site, "GET", "requests")
    assert status == 200 and all(not r["path"].startswith("/_control") for r in log) and len(log) == 3
    assert control(site, "POST", "requests/clear")[0] == 200 and site.requests == []
    assert control(site, "POST", "articles", raw=b"{not json")[0] == 400
    assert control(site, "POST", "articles/999999/edit", {"title": "x"})[0] == 404
    assert control(site, "POST", "misbehave", {"mode": "teapot"})[0] == 400
    assert control(site, "POST", f"articles/{made['id']}/edit", {"colour": "red"})[0] == 400


def test_localhost_twin_serves_the_same_site(site):
    a = site.ids[0]
    twin = site.article_url(a, host="localhost")
    assert twin.startswith(f"http://localhost:{site.port}/")
    assert escape(site.articles[a].title) in text(twin)
    site.move(a)
    status, headers, _ = fetch(site.base_url.replace("127.0.0.1", "localhost") + site.articles[a].original_path("old"))
    assert status == 301 and headers["Location"].startswith(f"http://localhost:{site.port}/")


def test_keep_alive_serves_many_requests_on_one_connection(site):
    conn = http.client.HTTPConnection(site.host, site.port, timeout=10)
    etag = None
    for path in ["/", site.article_path(site.ids[0]), "/robots.txt", site.article_path(site.ids[0])]:
        conn.request("GET", path, headers={"If-None-Match": etag} if etag and path != "/" else {})
        resp = conn.getresponse()
        resp.read()
        etag = resp.headers.get("ETag") or etag
        assert resp.status in (200, 304) and not resp.will_close
    assert resp.status == 304
    conn.close()


def test_concurrent_requests_and_edits_are_consistent(site):
    art = visible(site)
    start_views = art.views
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(10):
                assert fetch(site.article_url(art.id))[0] == 200
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(6)]
    for t in threads:
        t.start()
    for n in range(10):
        site.edit(art.id, lead=f"Sapo phiên bản {n}")
    for t in threads:
        t.join()
    assert not errors and art.views == start_views + 60 and art.version == 11


def test_five_thousand_articles_are_fast():
    started = time.monotonic()
    with Replica(articles=5000, seed=1) as big:
        assert time.monotonic() - started < 5
        last = -(-len(big.listed_ids(CATEGORIES[0])) // big.per_page)
        started = time.monotonic()
        assert len(article_links(text(f"{big.base_url}/{CATEGORIES[0]}?page={last}"), big)) > 0
        for i in big.ids[:50]:
            assert fetch(big.article_url(i))[0] == 200
        assert ET.fromstring(fetch(big.base_url + "/sitemap.xml")[2]) is not None
        assert time.monotonic() - started < 5


def test_stop_and_start_again_on_the_same_port():
    site = Replica(articles=5).start()
    url = site.article_url(site.ids[0])
    site.stop()
    with pytest.raises((ConnectionError, urllib.error.URLError)):
        fetch(url)
    site.start()
    try:
        assert fetch(url)[0] == 200
    finally:
        site.stop()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_prints_its_url_and_stops_cleanly(sig):
    child = subprocess.Popen(
        [sys.executable, "-c", "from xdd_archive.replica import serve; serve(12, port=0, theme='portal')"],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = child.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert fetch(url + "/robots.txt")[0] == 200
        child.send_signal(sig)
        assert child.wait(timeout=10) == 0
    finally:
        child.kill()
        child.communicate()
