"""crawler.extract on small synthetic pages: robustness, layering of sources, the not-an-article rules.

The realistic full pages are the golden cases (test_extract_golden.py); these pin single behaviours.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from crawler.extract import EXTRACTOR_VERSION, Extraction, Image, extract
from crawler.sites import ExtractionHints, SiteProfile, UrlRule, get_profile

URL = "https://www.xaydungdang.org.vn/ly-luan-thuc-tien/bai-viet-thu-12346"
ICT = timezone(timedelta(hours=7))

PARAS = [
    "Ban Tổ chức Tỉnh ủy đã tổ chức hội nghị sơ kết công tác xây dựng Đảng sáu tháng đầu năm, đánh giá kết quả "
    "thực hiện các nghị quyết và chỉ ra những hạn chế cần khắc phục trong thời gian tới.",
    "Các đại biểu thống nhất cao với báo cáo, đồng thời đề xuất nhiều giải pháp nâng cao chất lượng sinh hoạt chi "
    "bộ, phát triển đảng viên và kiểm tra, giám sát ở cơ sở.",
    "Kết luận hội nghị, đồng chí Trưởng Ban Tổ chức Tỉnh ủy đề nghị các cấp ủy tập trung hoàn thành các chỉ tiêu "
    "đề ra trong năm.",
]


def page(body: str, *, head: str = "", title: str = "Hội nghị sơ kết công tác xây dựng Đảng") -> str:
    return f"""<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{title}</title>{head}</head>
<body><div class="header"><a href="/">Trang chủ</a> <a href="/ly-luan-thuc-tien">Lý luận</a></div>
<div class="main">{body}</div><div class="footer"><p>Tạp chí Xây dựng Đảng - 105 Quán Thánh, Hà Nội</p></div>
</body></html>"""


def article(*, date: str = "15/10/2019 07:07 SA", extra_top: str = "", extra_bottom: str = "",
            paras: list[str] | None = None, title: str = "Hội nghị sơ kết công tác xây dựng Đảng") -> str:
    ps = "".join(f"<p>{p}</p>" for p in (paras or PARAS))
    return page(f"<h1>{title}</h1><div class='info'>{date}</div>{extra_top}<div class='content'>{ps}</div>{extra_bottom}",
                title=title)


# -- never raises -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   \n  ",
        b"\x00\xff\xfe garbage \x81\x82",
        "<html></html>",
        "just some text without any tag",
        '{"json": "not html"}',
        '<?xml version="1.0" encoding="utf-8"?><html><body><p>xml declaration in a str</p></body></html>',
        "<html><body>" + "<div>" * 3000 + "sâu" + "</div>" * 3000 + "</body></html>",
        "<html><body><p>unclosed <b>bold <i>and <a href='x'>link",
        "<html><head><script type='application/ld+json'>{broken json,,}</script></head><body></body></html>",
        "<html><body><img src='data:image/png;base64,AAAA'><img><img src=''></body></html>",
        "<html><body><p>" + "Lượt xem: " + "9" * 500 + "</p></body></html>",
    ],
)
def test_never_raises_on_bad_input(raw: bytes | str) -> None:
    ex = extract(URL, raw)
    assert isinstance(ex, Extraction)
    assert ex.not_article is not None
    json.dumps(ex.to_dict(), ensure_ascii=False)


def test_bug_inside_becomes_rejection_not_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    import crawler.extract as module

    def boom(*args: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(module.metadata, "find_views", boom)
    ex = extract(URL, article())
    assert ex.not_article == "extraction failed"
    assert any("simulated bug" in w for w in ex.warnings)


# -- the record ----------------------------------------------------------------------------------


def test_short_real_article_is_an_article() -> None:
    ex = extract(URL, article())
    assert ex.not_article is None, ex.not_article
    assert ex.title == "Hội nghị sơ kết công tác xây dựng Đảng"
    assert ex.body_text == "\n\n".join(PARAS)
    assert ex.published_at == datetime(2019, 10, 15, 7, 7, tzinfo=ICT)
    assert ex.extractor_version == EXTRACTOR_VERSION


def test_to_dict_prints_local_offset_even_from_utc_meta() -> None:
    head = '<meta property="article:published_time" content="2019-10-15T00:07:00Z">'
    ex = extract(URL, page("<h1>Tiêu đề bài</h1>" + "".join(f"<p>{p}</p>" for p in PARAS), head=head, title="Tiêu đề bài"))
    data = ex.to_dict()
    assert data["published_at"] == "2019-10-15T07:07:00+07:00"
    assert data["images"] == [] and isinstance(data["tags"], list)


def test_meta_date_without_time_is_completed_by_the_page() -> None:
    head = '<meta property="article:published_time" content="2019-10-15">'
    ex = extract(URL, article(date="Thứ ba, 15/10/2019 - 14:30").replace("</head>", head + "</head>"))
    assert ex.published_at == datetime(2019, 10, 15, 14, 30, tzinfo=ICT)


def test_today_bar_and_cited_dates_are_not_the_publication_date() -> None:
    body = article(date="").replace("<div class=\"header\">", "<div class=\"header\"><span class=\"today\">Thứ Năm, 26/11/2026</span>")
    body = body.replace(PARAS[0], "Ngày 25-10-2018, " + PARAS[0])
    ex = extract(URL, body)
    assert ex.published_at is None
    assert "no publication date found" in ex.warnings


def test_fetched_before_publication_is_warned() -> None:
    ex = extract(URL, article(), fetched_at=datetime(2019, 1, 1, tzinfo=UTC))
    assert any("future" in w for w in ex.warnings)


def test_jsonld_author_and_meta_layers() -> None:
    head = """<meta property="og:title" content="Tiêu đề từ og - Tạp chí Xây dựng Đảng">
<meta property="og:site_name" content="Tạp chí Xây dựng Đảng">
<meta property="article:section" content="Nhịp cầu bạn đọc"><meta property="article:tag" content="chi bộ">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "Tiêu đề từ og", "datePublished": "2021-01-02T03:04:05+07:00",
 "author": [{"@type": "Person", "name": "Trần Văn Bình"}]}</script>"""
    html = page("<h1>Tiêu đề từ og</h1>" + "".join(f"<p>{p}</p>" for p in PARAS), head=head, title="Tiêu đề từ og")
    ex = extract(URL, html)
    assert (ex.title, ex.author, ex.category, ex.tags) == ("Tiêu đề từ og", "Trần Văn Bình", "Nhịp cầu bạn đọc", ["chi bộ"])
    assert ex.published_at == datetime(2021, 1, 2, 3, 4, 5, tzinfo=ICT)


def test_site_wide_meta_author_is_not_an_author() -> None:
    head = '<meta name="author" content="Cổng TTĐT Đảng bộ tỉnh Lâm Đồng">'
    ex = extract(URL, article().replace("</head>", head + "</head>"))
    assert ex.author is None


def test_author_line_and_views_leave_the_body() -> None:
    bottom = ("<p style='text-align:right'><strong>PGS.TS. Lê Văn Cường (Theo Báo Nhân Dân)</strong></p>"
              "<div>Lượt xem: 1.234.567</div><div>In trang | Gửi email | Chia sẻ</div>")
    ex = extract(URL, article(extra_bottom=bottom))
    assert (ex.author, ex.source, ex.views) == ("PGS.TS. Lê Văn Cường", "Báo Nhân Dân", 1234567)
    assert ex.body_text == "\n\n".join(PARAS)


def test_author_with_affiliation_line() -> None:
    paras = PARAS + ["<strong>TS. Nguyễn Văn Hùng</strong><br><em>Học viện Hành chính Quốc gia</em>"]
    html = article(paras=paras).replace("<p><strong>TS.", "<p style='text-align: right;'><strong>TS.")
    ex = extract(URL, html)
    assert ex.author == "TS. Nguyễn Văn Hùng"
    assert ex.body_text == "\n\n".join(PARAS)


def test_related_list_and_counter_widget_are_cut() -> None:
    bottom = """<h3>Tin liên quan</h3><ul><li><a href="/a-1">Một bài viết khác có tiêu đề khá dài</a></li></ul>
<div><b>Thống kê truy cập</b><br>Đang online: 172<br>Trong tuần: 172</div>"""
    ex = extract(URL, article(extra_bottom=bottom))
    assert ex.body_text == "\n\n".join(PARAS)


def test_cms_token_removed_and_warned() -> None:
    ex = extract(URL, article(paras=[PARAS[0], "{image id =1}", PARAS[1], PARAS[2]]))
    assert "{image" not in (ex.body_text or "") and "{image" not in (ex.body_markdown or "")
    assert any("{image id =1}" in w for w in ex.warnings)


def test_figure_caption_and_relative_image_url() -> None:
    fig = "<figure><img src='/Uploads/Images/2019/10/15/7/anh%20hoi%20nghi.jpg' width='600'><figcaption>Toàn cảnh hội nghị. (Ảnh: TTXVN)</figcaption></figure>"
    ex = extract(URL, article(paras=[PARAS[0], PARAS[1]], extra_bottom="").replace(f"<p>{PARAS[1]}</p>", fig + f"<p>{PARAS[1]}</p><p>{PARAS[2]}</p>"))
    assert ex.images == [Image("https://www.xaydungdang.org.vn/Uploads/Images/2019/10/15/7/anh%20hoi%20nghi.jpg", "Toàn cảnh hội nghị. (Ảnh: TTXVN)")]
    assert "![Toàn cảnh hội nghị. (Ảnh: TTXVN)](https://www.xaydungdang.org.vn/Uploads/" in (ex.body_markdown or "")
    assert "Toàn cảnh" not in (ex.body_text or "")


def test_icons_are_not_images() -> None:
    bottom = "<a href='#'><img src='/images/icon_print.gif'> In trang</a><img src='/x/photo.jpg' width='16' height='16'>"
    ex = extract(URL, article(extra_bottom=bottom))
    assert ex.images == []


def test_zero_width_and_nfd_are_normalised() -> None:
    import unicodedata

    html = unicodedata.normalize("NFD", article()).replace("Hội nghị", "Hội\u200b nghị", 1)
    ex = extract(URL, html.encode("utf-8"))
    assert ex.title == "Hội nghị sơ kết công tác xây dựng Đảng"
    assert ex.body_text == "\n\n".join(PARAS)


def test_str_input_mis_decoded_upstream_is_repaired() -> None:
    raw = article().encode("utf-8")
    broken = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in raw)
    ex = extract(URL, broken)
    assert ex.title == "Hội nghị sơ kết công tác xây dựng Đảng"


# -- not an article -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        (page("<h1>Không tìm thấy trang</h1><p>Trang bạn yêu cầu không tồn tại.</p>", title="404 - Không tìm thấy trang"), "error page (404)"),
        (page("<h1>Page not found</h1><p>The requested URL was not found on this server.</p>", title="Not Found"), "error page (404)"),
        (page("<h2>Thông báo</h2><p>Bài viết này đã bị gỡ bỏ khỏi hệ thống.</p>", title="410 - Không tìm thấy trang"), "error page (410)"),
        (page("<h2>Server Error in '/' Application.</h2><p>Runtime Error</p>", title="Runtime Error"), "error page (500)"),
        (page("<p>Hệ thống đang bảo trì, vui lòng quay lại sau.</p>", title="Bảo trì hệ thống"), "maintenance page"),
        (page("<h1>Site under maintenance</h1><p>We will be back soon.</p>", title="Maintenance"), "maintenance page"),
        (page("<p>" + PARAS[0] + "</p>", title=""), "no title"),
        (article(paras=["Nội dung đang được cập nhật."]), "body too short"),
    ],
)
def test_not_articles(html: str, reason: str) -> None:
    assert extract(URL, html).not_article == reason


def test_article_titled_like_an_error_is_still_an_article() -> None:
    paras = PARAS * 3
    title = "Không tìm thấy dấu hiệu sai phạm trong công tác cán bộ tại huyện"
    ex = extract(URL, article(title=title, paras=paras, extra_bottom="<p><strong>Minh Anh</strong></p>"))
    assert ex.not_article is None and ex.title == title


def test_article_about_maintenance_is_still_an_article() -> None:
    paras = ["Công ty điện lực thông báo lịch bảo trì hệ thống lưới điện khu vực trung tâm thành phố trong tuần tới, "
             "người dân cần chủ động sắp xếp sinh hoạt."] + PARAS * 2
    ex = extract(URL, article(title="Bảo trì hệ thống lưới điện khu vực trung tâm", paras=paras))
    assert ex.not_article is None


@pytest.mark.parametrize(
    "sentence",
    [
        "Thực hiện Quyết định số 404/QĐ-UBND của tỉnh, huyện đã hoàn thành việc sắp xếp các thôn.",
        "Tuyến đường liên xã đang được nâng cấp, dự kiến hoàn thành trước mùa mưa năm nay.",
        "Nhà máy tạm ngừng hoạt động để bảo trì hệ thống lò hơi trong hai tuần.",
        "Đoàn kiểm tra không tìm thấy dấu hiệu sai phạm trong công tác cán bộ tại xã.",
    ],
)
def test_short_article_mentioning_error_words_is_an_article(sentence: str) -> None:
    ex = extract(URL, article(paras=[sentence, PARAS[1], PARAS[2]]))
    assert ex.not_article is None, ex.not_article


def test_first_paragraph_opening_like_a_slogan_stays() -> None:
    first = "Chào mừng kỷ niệm 90 năm Ngày thành lập Đảng, sáng 3-2, Tỉnh ủy tổ chức lễ mít tinh trọng thể."
    ex = extract(URL, article(paras=[first, *PARAS]))
    assert ex.body_text is not None and ex.body_text.startswith(first)


def test_profile_listing_url_is_a_listing() -> None:
    profile = get_profile("xaydungdang")
    ex = extract("https://www.xaydungdang.org.vn/ly-luan-thuc-tien", article(), profile)
    assert ex.not_article == "listing page"
    ex = extract("https://www.xaydungdang.org.vn/", article(), profile)
    assert ex.not_article == "listing page (home page)"


# -- profile hints ------------------------------------------------------------------------------------


def test_profile_hints_win() -> None:
    hints = ExtractionHints(
        title=(".tieude",), lead=(".tomtat-x",), body=("#noidung",), date=(".ngay-x",), author=(".but-danh",),
        views=(".so-luot",), category=(".chuyen-muc",), tags=(".the-x",), remove=(".quang-cao-x",),
    )
    profile = SiteProfile(name="t", title="T", base_url="https://t.example.vn", hosts=("t.example.vn",),
                          article_rules=(UrlRule(pattern=r"/a/(?P<id>\d+)", key="{id}"),), hints=hints)
    html = page(f"""<div class="tieude">Tiêu đề theo gợi ý</div><div class="ngay-x">Ngày 02 tháng 09 năm 2020</div>
<div class="tomtat-x">Tóm tắt theo gợi ý của hồ sơ trang, đủ dài để là một sapo thật sự.</div>
<div id="noidung">{''.join(f'<p>{p}</p>' for p in PARAS)}<div class="quang-cao-x">QUẢNG CÁO: mua ngay hôm nay kẻo lỡ cơ hội vàng</div></div>
<span class="but-danh">Lò Văn Páo</span><span class="so-luot">4321</span>
<div class="chuyen-muc"><a href="/">Trang chủ</a> <a href="/c">Dân tộc - Tôn giáo</a></div><div class="the-x"><a>dân tộc</a><a>tôn giáo</a></div>""",
               title="Trang khác")
    ex = extract("https://t.example.vn/a/1", html, profile)
    assert ex.title == "Tiêu đề theo gợi ý"
    assert ex.lead == "Tóm tắt theo gợi ý của hồ sơ trang, đủ dài để là một sapo thật sự."
    assert ex.published_at == datetime(2020, 9, 2, tzinfo=ICT)
    assert (ex.author, ex.views, ex.category, ex.tags) == ("Lò Văn Páo", 4321, "Dân tộc - Tôn giáo", ["dân tộc", "tôn giáo"])
    assert ex.body_text == "\n\n".join(PARAS)


# -- speed --------------------------------------------------------------------------------------------


def test_extraction_speed_on_golden_pages() -> None:
    """A crawl extracts thousands of pages: a typical page must take tens of milliseconds, not hundreds.
    (The bound here is generous for slow CI machines; the measured median is printed with -s.)"""
    golden = Path(__file__).parent / "golden"
    pages = [(d / "url.txt").read_text().strip() for d in sorted(golden.iterdir()) if (d / "page.html").is_file()]
    raws = [(d / "page.html").read_bytes() for d in sorted(golden.iterdir()) if (d / "page.html").is_file()]
    extract(pages[0], raws[0])  # imports and caches
    times = []
    for _ in range(3):
        for url, raw in zip(pages, raws, strict=False):
            start = time.perf_counter()
            extract(url, raw)
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(f"median {median * 1000:.1f} ms, max {max(times) * 1000:.1f} ms over {len(times)} extractions")
    assert median < 0.25
