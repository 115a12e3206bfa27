"""The Vietnamese text patterns of crawler.vntext: views, dates, bylines, furniture lines."""

from __future__ import annotations

import doctest
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest

from crawler import decoding, vntext
from crawler.vntext import (
    AuthorLine,
    clean_text,
    find_dates,
    fold,
    is_end_marker,
    is_furniture_line,
    is_meta_line,
    is_slogan,
    is_stats_line,
    is_views_line,
    looks_like_person,
    parse_author_line,
    parse_date,
    parse_iso_datetime,
    parse_source_line,
    parse_tag_line,
    parse_views,
    remove_cms_tokens,
    to_hour24,
)

ICT = timezone(timedelta(hours=7))


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=ICT)


def test_doctests() -> None:
    for module in (vntext, decoding):
        result = doctest.testmod(module)
        assert result.failed == 0, module.__name__


# -- normalisation --------------------------------------------------------------------------------


def test_clean_text_nfc_spaces_zero_width() -> None:
    assert clean_text("Ho\u0300a  bi\u0300nh\u00a0\u00a0\u200bmo\u031b\u0301i ") == "Hòa bình mới"
    assert clean_text("a\r\n\n\n\nb", keep_newlines=True) == "a\n\nb"
    assert clean_text("a\nb") == "a b"
    assert clean_text(None) == ""


def test_fold_ignores_case_marks_and_d() -> None:
    assert fold("Đảng Cộng sản") == fold("dang cong san") == "dang cong san"
    assert fold("hoà") == fold("hòa")


# -- views ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "views"),
    [
        ("Lượt xem: 1.091", 1091),
        ("Lượt xem:1.091", 1091),
        ("LƯỢT XEM: 1.091", 1091),
        ("Lượt đọc: 12.345", 12345),
        ("1.091 lượt xem", 1091),
        ("1.234.567 lượt xem", 1234567),
        ("Số lượt xem: 87", 87),
        ("Lượt xem: 1,091", 1091),
        ("Views: 2,048", 2048),
        ("15/10/2019 07:07 SA | Lượt xem: 3.002", 3002),
        ("Lượt xem\n1.091", 1091),
        ("Không có bộ đếm", None),
        ("Đang online: 172", None),
        ("Tổng lượt truy cập: 2.962.630", None),
        ("", None),
    ],
)
def test_parse_views(text: str, views: int | None) -> None:
    assert parse_views(text) == views


def test_views_line() -> None:
    assert is_views_line("Lượt xem: 1.091")
    assert is_views_line("(1.091 lượt xem)")
    assert not is_views_line("Bài viết có 1.091 lượt xem trong ngày đầu tiên đăng tải trên Tạp chí.")


# -- dates ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/10/2019 07:07 SA", at(2019, 10, 15, 7, 7)),
        ("15/10/2019 07:07 CH", at(2019, 10, 15, 19, 7)),
        ("08/06/2021 03:15 CH", at(2021, 6, 8, 15, 15)),
        ("15/10/2019 12:05 SA", at(2019, 10, 15, 0, 5)),
        ("15/10/2019 12:05 CH", at(2019, 10, 15, 12, 5)),
        ("15/10/2019 11:59 CH", at(2019, 10, 15, 23, 59)),
        ("15/10/2019 10:20:35 SA", at(2019, 10, 15, 10, 20, 35)),
        ("15/10/2019 10:20 AM", at(2019, 10, 15, 10, 20)),
        ("15/10/2019 10:20 PM", at(2019, 10, 15, 22, 20)),
        ("Thứ ba, 15/10/2019 - 07:07", at(2019, 10, 15, 7, 7)),
        ("Thứ Ba, 15/10/2019, 07:07 (GMT+7)", at(2019, 10, 15, 7, 7)),
        ("15/10/2019 | 07:07", at(2019, 10, 15, 7, 7)),
        ("15-10-2019 7h07", at(2019, 10, 15, 7, 7)),
        ("15.10.2019 lúc 07:07", at(2019, 10, 15, 7, 7)),
        ("07:07 SA, 15/10/2019", at(2019, 10, 15, 7, 7)),
        ("10:35 ngày 15/10/2019", at(2019, 10, 15, 10, 35)),
        ("07:07 - Thứ ba, 15/10/2019", at(2019, 10, 15, 7, 7)),
        ("Ngày 15 tháng 10 năm 2019", at(2019, 10, 15)),
        ("Thứ Năm, ngày 03 tháng 12 năm 2020, 08:15", at(2020, 12, 3, 8, 15)),
        ("Cập nhật: 5/3/2025", at(2025, 3, 5)),
        ("2019-10-15T07:07:00+07:00", at(2019, 10, 15, 7, 7)),
        ("2019-10-15T00:07:00Z", datetime(2019, 10, 15, 0, 7, tzinfo=UTC)),
        ("không có ngày", None),
        ("31/02/2019", None),  # no such day
        ("15/13/2019", None),  # day first: no 13th month
    ],
)
def test_parse_date(text: str, expected: datetime | None) -> None:
    value = parse_date(text)
    assert value == expected
    if value is not None:
        assert value.tzinfo is not None


def test_parse_date_local_offset_is_seven_hours() -> None:
    value = parse_date("15/10/2019 07:07 SA")
    assert value is not None and value.utcoffset() == timedelta(hours=7)
    assert value.isoformat() == "2019-10-15T07:07:00+07:00"


def test_find_dates_keeps_time_with_date_and_orders() -> None:
    dates = find_dates("Quy định ngày 25-10-2018 và Chỉ thị ngày 30-5-2019; đăng 15/10/2019 07:07 SA", ICT)
    assert [d.value for d in dates] == [at(2018, 10, 25), at(2019, 5, 30), at(2019, 10, 15, 7, 7)]
    assert [d.has_time for d in dates] == [False, False, True]


def test_date_range_in_a_slogan() -> None:
    dates = find_dates("(14/10/1930-14/10/2020)", ICT)
    assert [d.value for d in dates] == [at(1930, 10, 14), at(2020, 10, 14)]


@pytest.mark.parametrize(
    ("hour", "marker", "expected"),
    [(12, "SA", 0), (1, "SA", 1), (11, "SA", 11), (12, "CH", 12), (1, "CH", 13), (11, "CH", 23),
     (15, "CH", 15), (7, None, 7), (23, None, 23), (24, None, None), (10, "tối", 22), (12, "đêm", 0)],
)
def test_to_hour24(hour: int, marker: str | None, expected: int | None) -> None:
    assert to_hour24(hour, marker) == expected


def test_parse_iso_datetime() -> None:
    assert parse_iso_datetime("2025-03-12T08:30:00+07:00", ICT) == (at(2025, 3, 12, 8, 30), True)
    assert parse_iso_datetime("2025-03-12", ICT) == (at(2025, 3, 12), False)
    assert parse_iso_datetime("2025-03-12 08:30", ICT) == (at(2025, 3, 12, 8, 30), True)
    assert parse_iso_datetime("", ICT) is None
    assert parse_iso_datetime("garbage", ICT) is None


# -- bylines ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "author", "source"),
    [
        ("Nguyễn Bá Thắng (http://www.xaydungdang.org.vn)", "Nguyễn Bá Thắng", "http://www.xaydungdang.org.vn"),
        ("TS. Nguyễn Văn Hùng", "TS. Nguyễn Văn Hùng", None),
        ("PGS.TS. Trần Thị Lan", "PGS.TS. Trần Thị Lan", None),
        ("PGS, TS NGUYỄN VĂN GIANG", "PGS, TS NGUYỄN VĂN GIANG", None),
        ("ThS. Lê Minh", "ThS. Lê Minh", None),
        ("Thiếu tướng, PGS, TS Nguyễn Văn D", "Thiếu tướng, PGS, TS Nguyễn Văn D", None),
        ("Hồng Hạnh (TTXVN)", "Hồng Hạnh", "TTXVN"),
        ("Hồng Hạnh (Theo Báo Nhân Dân)", "Hồng Hạnh", "Báo Nhân Dân"),
        ("Minh Khôi - Báo Chính phủ", "Minh Khôi", "Báo Chính phủ"),
        ("Nguyễn Văn A và Trần Thị B", "Nguyễn Văn A và Trần Thị B", None),
        ("TS. Nguyễn Văn A - ThS. Trần Văn C", "TS. Nguyễn Văn A - ThS. Trần Văn C", None),
        ("Tác giả: Lê Văn E", "Lê Văn E", None),
        ("Bài và ảnh: Quang Huy", "Quang Huy", None),
        ("PV", "PV", None),
        ("Nhóm PV", "Nhóm PV", None),
        ("Theo TTXVN", None, "TTXVN"),
        ("(Theo Báo Lâm Đồng)", None, "Báo Lâm Đồng"),
        ("Nguồn: xaydungdang.org.vn", None, "xaydungdang.org.vn"),
        ("(Nguồn: Báo Nhân Dân)", None, "Báo Nhân Dân"),
    ],
)
def test_parse_author_line(line: str, author: str | None, source: str | None) -> None:
    assert parse_author_line(line) == AuthorLine(author, source)


@pytest.mark.parametrize(
    "line",
    [
        "Sắp xếp, tinh gọn bộ máy, biên chế",
        "Tăng cường hợp tác quốc tế",
        "Trường Đào tạo công chức của Xin-ga-po.",
        "Theo đó, mỗi đảng viên đăng ký ít nhất một việc làm cụ thể.",
        "Lượt xem: 1.091",
        "15/10/2019 07:07 SA",
        "Hà",  # a single bare word is too often a heading or a place
        "",
    ],
)
def test_not_an_author_line(line: str) -> None:
    assert parse_author_line(line) is None


def test_single_word_name_needs_markup_evidence() -> None:
    assert parse_author_line("Thắng") is None
    assert parse_author_line("Thắng", strong=True) == AuthorLine("Thắng", None)


def test_looks_like_person() -> None:
    assert looks_like_person("Nguyễn Bá Thắng")
    assert looks_like_person("Y-Ngông Niê Kđăm")
    assert not looks_like_person("Cổng TTĐT Đảng bộ tỉnh Lâm Đồng")
    assert not looks_like_person("Nghị quyết số 26")


def test_parse_source_line_refuses_sentences() -> None:
    assert parse_source_line("Theo kế hoạch, đến năm 2021, các đơn vị phải tinh giản 10% biên chế.") is None
    assert parse_source_line("Theo Báo Lâm Đồng") == "Báo Lâm Đồng"
    assert parse_source_line("Theo Bộ trưởng, kết quả này rất đáng khích lệ.") is None
    assert parse_source_line("(Theo Tạp chí Cộng sản số 925, tháng 10/2019)") == "Tạp chí Cộng sản số 925, tháng 10/2019"


# -- furniture ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line", ["In trang", "In trang | Gửi email | Chia sẻ", "Bản in", "Chia sẻ", "Facebook Zalo", "Về đầu trang"]
)
def test_furniture_lines(line: str) -> None:
    assert is_furniture_line(line)


def test_furniture_line_is_not_prose() -> None:
    assert not is_furniture_line("In trang này, chúng tôi giới thiệu ba kinh nghiệm.")


@pytest.mark.parametrize(
    "line", ["Thống kê truy cập", "Đang online: 172", "Trong tuần: 172", "Trong tháng: 51.751", "Trong năm: 801.765", "002962630", "Hôm nay: 12.034"]
)
def test_stats_lines(line: str) -> None:
    assert is_stats_line(line)


def test_stats_line_is_not_prose() -> None:
    assert not is_stats_line("Trong tháng 4-2019, Ban Tổ chức Tỉnh ủy tiếp tục sáp nhập Phòng Tổ chức đảng.")


@pytest.mark.parametrize(
    "line", ["Tin liên quan", "Các tin khác", "Bài viết liên quan", "Tin cùng chuyên mục", "Xem thêm:", "Ý kiến bạn đọc", "Có thể bạn quan tâm"]
)
def test_end_markers(line: str) -> None:
    assert is_end_marker(line)


def test_end_marker_is_not_prose() -> None:
    assert not is_end_marker("Tin liên quan đến vụ việc đã được báo cáo lên cấp trên.")


def test_meta_lines() -> None:
    assert is_meta_line("15/10/2019 07:07 SA", ICT)
    assert is_meta_line("Thứ ba, 15/10/2019 - 07:07 | Lượt xem: 1.091", ICT)
    assert is_meta_line("12/03/2025 | 08:30 1.091 lượt xem", ICT)
    assert not is_meta_line("Ngày 25-10-2018, Ban Chấp hành Trung ương ban hành Quy định số 08.", ICT)


def test_slogans() -> None:
    assert is_slogan("Thiết thực lập thành tích chào mừng kỷ niệm 90 năm ngày thành lập Ngành Tổ chức xây dựng Đảng (14/10/1930-14/10/2020)")
    assert is_slogan("Chào mừng Đại hội đại biểu Đảng bộ tỉnh Lâm Đồng lần thứ XI, nhiệm kỳ 2020-2025")
    assert not is_slogan("Đẩy mạnh nghiên cứu khoa học, tổng kết thực tiễn, phát triển lý luận")


def test_cms_tokens() -> None:
    assert remove_cms_tokens("{image id =1}") == ("", ["{image id =1}"])
    text, tokens = remove_cms_tokens("Đoạn văn {gallery 12} tiếp theo")
    assert text == "Đoạn văn tiếp theo" and tokens == ["{gallery 12}"]
    assert remove_cms_tokens("Không có {gì} cả") == ("Không có {gì} cả", [])


def test_tag_line() -> None:
    assert parse_tag_line("Từ khóa: Nghị quyết 26, cán bộ; công chức | pháp luật") == ["Nghị quyết 26", "cán bộ", "công chức", "pháp luật"]
    assert parse_tag_line("Tags: a, a, b") == ["a", "b"]
    assert parse_tag_line("Nội dung bình thường") is None


# -- charset ------------------------------------------------------------------------------------------


def test_decode_utf8_declared_windows_1252() -> None:
    raw = "<html><body><p>Lượt xem: 1.091 — Đảng</p></body></html>".encode()
    text, encoding, warnings = decoding.decode_html(raw, {"Content-Type": "text/html; charset=windows-1252"})
    assert "Lượt xem" in text and encoding == "utf-8"
    assert any("UTF-8" in w for w in warnings)


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def cp1258(text: str) -> bytes:
    """``text`` as Vietnamese Windows encodes it: precomposed base letters, combining tone marks."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
            out += base.encode("cp1258") + "".join(c for c in parts if c in _TONES).encode("cp1258")
    return out


def mis_decoded(raw: bytes) -> str:
    """UTF-8 bytes read as windows-1252 the way browsers do (undefined bytes become C1 controls)."""
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in raw)


def test_decode_real_cp1258_and_cp1252() -> None:
    raw = cp1258("<html><head><meta charset='windows-1258'></head><body>Đảng viên</body></html>")
    text, encoding, _ = decoding.decode_html(raw)
    assert clean_text(text).endswith("Đảng viên</body></html>") and encoding == "cp1258"
    raw = "<p>café déjà vu</p>".encode("cp1252")
    text, encoding, _ = decoding.decode_html(raw, {"content-type": "text/html; charset=ISO-8859-1"})
    assert text == "<p>café déjà vu</p>" and encoding == "cp1252"


def test_decode_undeclared_legacy_bytes_fall_back() -> None:
    raw = cp1258("<p>Đảng viên gương mẫu</p>")
    text, encoding, warnings = decoding.decode_html(raw)
    assert clean_text(text) == "<p>Đảng viên gương mẫu</p>" and encoding == "cp1258" and warnings


def test_decode_bom_and_str_mojibake() -> None:
    text, encoding, _ = decoding.decode_html(b"\xef\xbb\xbf<p>\xc4\x90\xe1\xba\xa3ng</p>")
    assert text == "<p>Đảng</p>" and encoding == "utf-8"
    broken = mis_decoded("<p>Lượt xem của Đảng bộ tỉnh Lâm Đồng</p>".encode())
    text, _, warnings = decoding.decode_html(broken)
    assert text == "<p>Lượt xem của Đảng bộ tỉnh Lâm Đồng</p>" and warnings
