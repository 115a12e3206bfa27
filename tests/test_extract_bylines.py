"""Unsigned, institutional and agency bylines (``Ban Biên tập``, ``PV``, ``TTXVN``, ``Theo TTXVN``).

The rule (crawler.sites, INSTITUTIONAL_BYLINES / AGENCY_BYLINES): an unsigned byline, institutional or an
agency signing alone, is the article's author; an agency *credited* (``Theo X``, ``(Theo X)``, ``Nguồn:
X``) is its source. Either way the line leaves the body. Each form is also a golden case (``byline-*``).
"""

from __future__ import annotations

import dataclasses

import pytest

from crawler.extract import Extraction, extract
from crawler.sites import INSTITUTIONAL_BYLINES, ExtractionHints, get_profile
from crawler.vntext import Bylines, parse_author_line

URL = "https://www.xaydungdang.org.vn/ly-luan-thuc-tien/bai-viet-thu-12346"
PARAS = [
    "Ban Tổ chức Tỉnh ủy đã tổ chức hội nghị sơ kết công tác xây dựng Đảng sáu tháng đầu năm, đánh giá kết quả "
    "thực hiện các nghị quyết và chỉ ra những hạn chế cần khắc phục trong thời gian tới.",
    "Các đại biểu thống nhất cao với báo cáo, đồng thời đề xuất nhiều giải pháp nâng cao chất lượng sinh hoạt chi "
    "bộ, phát triển đảng viên và kiểm tra, giám sát ở cơ sở.",
    "Kết luận hội nghị, đồng chí Trưởng Ban Tổ chức Tỉnh ủy đề nghị các cấp ủy tập trung hoàn thành các chỉ tiêu "
    "đề ra trong năm.",
]


def with_byline(*lines: str, marked: bool = False) -> str:
    wrap = "<p style='text-align:right'><strong>{}</strong></p>" if marked else "<p>{}</p>"
    body = "".join(f"<p>{p}</p>" for p in PARAS) + "".join(wrap.format(line) for line in lines)
    return (f"<html><head><title>Hội nghị sơ kết</title></head><body><h1>Hội nghị sơ kết</h1>"
            f"<div>15/10/2019 07:07 SA</div><div class='content'>{body}</div></body></html>")


def run(html: str, profile_name: str | None = None, **hints: tuple[str, ...]) -> Extraction:
    profile = get_profile(profile_name or "xaydungdang")
    if hints:
        profile = dataclasses.replace(profile, hints=dataclasses.replace(profile.hints, **hints))
    return extract(URL, html, profile)


@pytest.mark.parametrize("marked", [False, True], ids=["plain", "bold-right"])
@pytest.mark.parametrize(
    ("line", "author", "source"),
    [
        ("Ban Biên tập", "Ban Biên tập", None),
        ("BAN BIÊN TẬP", "BAN BIÊN TẬP", None),
        ("Ban biên tập.", "Ban biên tập", None),
        ("BBT", "BBT", None),
        ("PV", "PV", None),
        ("Nhóm PV", "Nhóm PV", None),
        ("Phóng viên", "Phóng viên", None),
        ("Nhóm phóng viên", "Nhóm phóng viên", None),
        ("CTV", "CTV", None),
        ("PV tổng hợp", "PV tổng hợp", None),
        ("PV Báo Lâm Đồng", "PV Báo Lâm Đồng", None),
        ("Ban Biên tập Tạp chí Xây dựng Đảng", "Ban Biên tập Tạp chí Xây dựng Đảng", None),
        ("TTXVN", "TTXVN", None),
        ("Báo Nhân Dân", "Báo Nhân Dân", None),
        ("Theo TTXVN", None, "TTXVN"),
        ("(Theo TTXVN)", None, "TTXVN"),
        ("Theo Báo Nhân Dân", None, "Báo Nhân Dân"),
        ("Nguồn: TTXVN", None, "TTXVN"),
        ("Ban Biên tập (Theo TTXVN)", "Ban Biên tập", "TTXVN"),
        ("Thu Hằng (Theo TTXVN)", "Thu Hằng", "TTXVN"),
    ],
)
def test_an_unsigned_byline_is_the_author_and_an_agency_credit_the_source(
        line: str, author: str | None, source: str | None, marked: bool) -> None:
    ex = run(with_byline(line, marked=marked))
    assert (ex.author, ex.source) == (author, source)
    assert ex.body_text == "\n\n".join(PARAS), "the byline never stays as the body's last line"


def test_a_person_then_an_agency_credit_are_author_and_source() -> None:
    ex = run(with_byline("Thu Hằng", "(Theo TTXVN)", marked=True))
    assert (ex.author, ex.source) == ("Thu Hằng", "TTXVN")
    assert ex.body_text == "\n\n".join(PARAS)


def test_a_byline_swapped_to_ban_bien_tap_changes_the_author_and_nothing_else() -> None:
    before = run(with_byline("Nguyễn Văn An", marked=True))
    after = run(with_byline("Ban Biên tập", marked=True))
    assert (before.author, after.author) == ("Nguyễn Văn An", "Ban Biên tập")
    for name in ("title", "lead", "body_text", "body_markdown", "source", "published_at", "images", "tags"):
        assert getattr(before, name) == getattr(after, name), name


def test_a_profile_names_its_own_institutions() -> None:
    html = with_byline("Ban Tuyên giáo Huyện ủy Lạc Dương")
    assert run(html).body_text is not None and run(html).body_text.endswith("Ban Tuyên giáo Huyện ủy Lạc Dương")
    ex = run(html, institutional_bylines=(*INSTITUTIONAL_BYLINES, "Ban Tuyên giáo Huyện ủy"))
    assert ex.author == "Ban Tuyên giáo Huyện ủy Lạc Dương"
    assert ex.body_text == "\n\n".join(PARAS)


def test_without_a_profile_the_default_bylines_apply() -> None:
    assert extract(URL, with_byline("Ban Biên tập")).author == "Ban Biên tập"


def test_a_last_paragraph_that_opens_with_a_role_is_still_body() -> None:
    last = "Phóng viên Báo Lâm Đồng ghi nhận tại hội nghị, nhiều ý kiến đề xuất sát thực tế của cơ sở."
    ex = run(with_byline(last))
    assert ex.author is None
    assert ex.body_text is not None and ex.body_text.endswith(last)


def test_hints_default_to_the_shared_lists() -> None:
    hints = ExtractionHints()
    assert "Ban Biên tập" in hints.institutional_bylines and "TTXVN" in hints.agency_bylines


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Ban Biên tập", "Ban Biên tập"),
        ("ban bien tap", "ban bien tap"),
        ("Nhóm phóng viên", "Nhóm phóng viên"),
        ("PV TTXVN", "PV TTXVN"),
        ("PV (tổng hợp)", "PV (tổng hợp)"),
        ("TTXVN", "TTXVN"),
        ("PV đã ghi nhận tại hiện trường", None),
        ("Ban Biên tập cho biết: năm nay có nhiều đổi mới", None),
        ("Theo TTXVN", None),
        ("Hội nghị", None),
        ("", None),
    ],
)
def test_bylines_match(line: str, expected: str | None) -> None:
    bylines = Bylines(institutions=INSTITUTIONAL_BYLINES, agencies=("TTXVN",))
    assert bylines.match(line) == expected


def test_parse_author_line_knows_unsigned_bylines_only_when_told() -> None:
    bylines = Bylines(institutions=("Ban Biên tập",))
    assert parse_author_line("Ban Biên tập") is None
    parsed = parse_author_line("Ban Biên tập", bylines=bylines)
    assert parsed is not None and (parsed.author, parsed.source) == ("Ban Biên tập", None)
    parsed = parse_author_line("Ban Biên tập - xaydungdang.org.vn", bylines=bylines)
    assert parsed is not None and (parsed.author, parsed.source) == ("Ban Biên tập", "xaydungdang.org.vn")
