"""Vietnamese text patterns of the magazine and the portals that repost it: pure functions on strings.

Everything here works on text, never on markup, so it holds whatever the page's HTML looks like:
view counters (``Lượt xem: 1.091``), dates and times (``15/10/2019 07:07 SA``, ``Thứ ba, 15/10/2019 -
07:07``, ``Ngày 15 tháng 10 năm 2019``), author/source lines (``Nguyễn Bá Thắng
(http://www.xaydungdang.org.vn)``, ``Theo TTXVN``), and the lines of page furniture that are never body
text (``In trang``, ``Thống kê truy cập``, ``Tin liên quan``...). Every pattern comes from a real page;
the comment next to it says which habit it covers.

Conventions of the site: dates are day first; ``.`` separates thousands; ``SA`` / ``CH`` are AM / PM
(sáng / chiều); local time is Asia/Ho_Chi_Minh (UTC+7).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

from xdd_archive.core.text import clean_line, compare_fold, strip_invisible

__all__ = [
    "Bylines",
    "DateMatch",
    "clean_text",
    "error_page_code",
    "find_dates",
    "fold",
    "is_end_marker",
    "is_furniture_line",
    "is_maintenance_text",
    "is_meta_line",
    "is_slogan",
    "is_stats_line",
    "is_views_line",
    "looks_like_person",
    "parse_author_line",
    "parse_date",
    "parse_iso_datetime",
    "parse_source_line",
    "parse_tag_line",
    "parse_views",
    "remove_cms_tokens",
    "split_tags",
    "to_hour24",
    "vietnamese_ratio",
]

# -- normalisation --------------------------------------------------------------------------------

# Every kind of horizontal space (nbsp from `&nbsp;` runs, thin spaces, ideographic space) is a space.
SPACES_RE = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
# Line breaks of any flavour, with the spaces around them.
NEWLINES_RE = re.compile(r"[ ]*(?:\r\n|\r|\n|\u2028|\u2029|\x0b|\x0c)[ ]*")


def clean_text(text: str | None, *, keep_newlines: bool = False) -> str:
    """``text`` in NFC with invisible characters removed and whitespace tidied
    (:mod:`xdd_archive.core.text` holds the one table of invisible characters).

    Runs of spaces (nbsp included) become one space; with ``keep_newlines`` single line breaks are kept
    (and runs of blank lines collapse to one), otherwise every line break becomes a space.

    >>> clean_text("  Lượt\u00a0\u00a0xem\u200b: 1.091 "), clean_text("Ho\u0300a") == "Hòa"
    ('Lượt xem: 1.091', True)
    """
    if not keep_newlines:
        return clean_line(text)
    if not text:
        return ""
    text = unicodedata.normalize("NFC", strip_invisible(text))
    text = SPACES_RE.sub(" ", text)
    text = NEWLINES_RE.sub("\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# A comparison key (case, diacritics, đ and punctuation folded): one definition, in the leaf layer.
fold = compare_fold


# Letters only Vietnamese uses among Latin scripts (ă â đ ê ô ơ ư, and the tone-marked vowels).
_VI_LETTERS_RE = re.compile(
    "[ăâđêôơưĂÂĐÊÔƠƯàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
    "ÀÁẢÃẠẰẮẲẴẶẦẤẨẪẬÈÉẺẼẸỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌỒỐỔỖỘỜỚỞỠỢÙÚỦŨỤỪỨỬỮỰỲÝỶỸỴ]"
)


def vietnamese_ratio(text: str) -> float:
    """Share of letters that are Vietnamese-only letters: ~0.15-0.3 for Vietnamese prose, ~0 for English."""
    letters = sum(map(str.isalpha, text))
    if not letters:
        return 0.0
    return len(_VI_LETTERS_RE.findall(text)) / letters


# -- view counters ---------------------------------------------------------------------------------

# A count: `1.091`, `1,091`, `1.234.567` (dot or comma = thousands, never decimals in a view counter),
# or plain digits.
_COUNT = r"(?P<n>\d{1,3}(?:[.,\u00a0\u202f]\d{3})+|\d+)"
VIEWS_PATTERNS: tuple[re.Pattern[str], ...] = (
    # `Lượt xem: 1.091`, `Lượt đọc: 12.345`, `Số lượt xem 1091` (old site, portals)
    re.compile(r"(?:số\s+)?lượt\s+(?:xem|đọc|views?)\s*[:：]?\s*" + _COUNT, re.IGNORECASE),
    # `1.091 lượt xem` (2025 site)
    re.compile(_COUNT + r"\s*lượt\s+(?:xem|đọc)", re.IGNORECASE),
    # `Views: 1,091`, `Lần xem: 12`, `Đã xem: 12`
    re.compile(r"(?:views?|lần\s+xem|đã\s+xem)\s*[:：]\s*" + _COUNT, re.IGNORECASE),
    # `1,091 views`
    re.compile(_COUNT + r"\s+views?\b", re.IGNORECASE),
)


def _count(raw: str) -> int:
    return int(re.sub(r"[.,\u00a0\u202f]", "", raw))


def parse_views(text: str | None) -> int | None:
    """The view count written in ``text``, or None.

    >>> parse_views("Lượt xem: 1.091"), parse_views("1.234.567 lượt xem"), parse_views("Lượt đọc: 12")
    (1091, 1234567, 12)
    """
    found = find_views(text)
    return found[0] if found else None


def find_views(text: str | None) -> tuple[int, int, int] | None:
    """(count, start, end) of the first view counter in ``text``, or None."""
    if not text:
        return None
    best: tuple[int, int, int] | None = None
    for pattern in VIEWS_PATTERNS:
        m = pattern.search(text)
        if m and (best is None or m.start() < best[1]):
            best = (_count(m.group("n")), m.start(), m.end())
    return best


# -- dates -----------------------------------------------------------------------------------------

# Day first, always: `15/10/2019`, `15-10-2019`, `15.10.2019`.
_DMY = r"(?<!\d)(?P<d>\d{1,2})\s?[/.\-]\s?(?P<m>\d{1,2})\s?[/.\-]\s?(?P<y>(?:19|20)\d{2})(?!\d)"
# `07:07`, `07:07:31`, `7h07`, `07g07`, optionally followed by the 12-hour marker:
# SA/CH (sáng/chiều = AM/PM, the DotNetNuke portals), AM/PM, or the words themselves.
_HM = (
    r"(?<![\d:])(?P<H>\d{1,2})\s?[:hHg]\s?(?P<M>[0-5]\d)(?:\s?:\s?(?P<S>[0-5]\d))?"
    r"(?:\s*(?P<ap>SA|CH|AM|PM|A\.M\.|P\.M\.|sáng|chiều|tối|trưa|đêm)(?![\w]))?"
)
# An explicit offset after the time: `(GMT+7)`, `GMT+07:00`, `UTC+7`.
_TZ = r"(?:\s*\(?\s*(?:GMT|UTC)\s?(?P<tz>[+-]\d{1,2}(?::?\d{2})?)\s*\)?)?"
# Separators between date and time: `15/10/2019 07:07`, `15/10/2019 - 07:07`, `15/10/2019 | 07:07`,
# `15/10/2019, 07:07`, `15/10/2019 lúc 07:07`.
_SEP = r"\s*(?:[-|,–—•·]|lúc|vào\s+lúc)?\s*"
# Weekday names that may sit between a time and a date: `07:07 Thứ ba, 15/10/2019`.
_WEEKDAY = r"(?:(?:Thứ\s+(?:hai|ba|tư|năm|sáu|bảy|bẩy|[2-7])|Chủ\s+nhật|CN|T[2-7])\s*,?\s*)?"

DATE_PATTERNS: tuple[re.Pattern[str], ...] = (
    # `15/10/2019 07:07 SA`, `Thứ ba, 15/10/2019 - 07:07`, `15/10/2019 | 07:07 (GMT+7)`
    re.compile(_DMY + r"(?:" + _SEP + _HM + r")?" + _TZ, re.IGNORECASE),
    # `07:07 SA, 15/10/2019`, `07:07 - Thứ ba, 15/10/2019`, `10:35 ngày 15/10/2019`
    re.compile(_HM + _TZ + r"\s*(?:[-|,–—•·]|ngày)?\s*" + _WEEKDAY + _DMY, re.IGNORECASE),
    # `Ngày 15 tháng 10 năm 2019` (documents, print edition), optionally `lúc 07:07` / `, 07:07`
    re.compile(
        r"(?<!\w)(?:ngày\s+)?(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})\s*(?:,\s*)?năm\s+(?P<y>(?:19|20)\d{2})"
        r"(?:" + _SEP + _HM + r")?",
        re.IGNORECASE,
    ),
    # ISO 8601 (meta tags, `<time datetime>`, JSON-LD): `2019-10-15T07:07:00+07:00`, `2019-10-15 07:07`
    re.compile(
        r"(?<!\d)(?P<iso>(?P<y>(?:19|20)\d{2})-(?P<m>\d{2})-(?P<d>\d{2})"
        r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?(?P<isotz>Z|[+-]\d{2}:?\d{2})?)?)(?!\d)"
    ),
)


@dataclass(frozen=True)
class DateMatch:
    """A date found in text: where, the moment (aware when the text or ``tz`` gives an offset), and
    whether the text had a time of day."""

    start: int
    end: int
    value: datetime
    has_time: bool


def to_hour24(hour: int, marker: str | None) -> int | None:
    """The 24-hour hour for ``hour`` written with a 12-hour ``marker``; None if impossible.

    SA/AM/sáng: 12 -> 0, 1-11 unchanged. CH/PM/chiều/tối: 12 -> 12, 1-11 -> +12. A 24-hour value
    (13-23) with a marker is kept as written (``15:15 CH`` means 15:15).

    >>> to_hour24(12, "SA"), to_hour24(7, "SA"), to_hour24(12, "CH"), to_hour24(3, "CH"), to_hour24(15, "CH")
    (0, 7, 12, 15, 15)
    """
    if hour > 23:
        return None
    if not marker:
        return hour
    m = marker.lower().replace(".", "")
    if hour > 12:
        return hour
    if m in ("sa", "am", "sáng"):
        return 0 if hour == 12 else hour
    if m in ("ch", "pm", "chiều", "tối"):
        return hour if hour == 12 else hour + 12
    if m == "trưa":  # noon-ish: 11 trưa = 11:00, 12 trưa = 12:00, 1 trưa = 13:00
        return hour if hour >= 11 else hour + 12
    if m == "đêm":  # night: 10 đêm = 22:00, 12 đêm = 00:00, 2 đêm = 02:00
        if hour == 12:
            return 0
        return hour + 12 if hour >= 6 else hour
    return hour


def _offset(raw: str | None) -> tzinfo | None:
    if not raw:
        return None
    if raw == "Z":
        return UTC
    m = re.fullmatch(r"([+-])(\d{1,2}):?(\d{2})?", raw)
    if not m:
        return None
    minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
    if minutes > 14 * 60:
        return None
    return timezone(timedelta(minutes=minutes if m.group(1) == "+" else -minutes))


@lru_cache(maxsize=16)
def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except Exception:  # an unknown zone name in a profile: the site's own offset is the safe guess
        return timezone(timedelta(hours=7))


def local_zone(name: str | None) -> tzinfo:
    """The tzinfo for a profile's timezone name (Asia/Ho_Chi_Minh when None)."""
    return _zone(name or "Asia/Ho_Chi_Minh")


def _match_to_date(m: re.Match[str], tz: tzinfo | None) -> DateMatch | None:
    g = m.groupdict()
    try:
        year, month, day = int(g["y"]), int(g["m"]), int(g["d"])
        has_time = g.get("H") is not None
        hour = minute = second = 0
        if has_time:
            hour24 = to_hour24(int(g["H"]), g.get("ap"))
            if hour24 is None:
                return None
            hour, minute, second = hour24, int(g["M"]), int(g.get("S") or 0)
        value = datetime(year, month, day, hour, minute, second)
    except (TypeError, ValueError):
        return None
    offset = _offset(g.get("isotz") or g.get("tz"))
    if offset is not None:
        value = value.replace(tzinfo=offset)
    elif tz is not None:
        value = value.replace(tzinfo=tz)
    return DateMatch(m.start(), m.end(), value, has_time)


def find_dates(text: str | None, tz: tzinfo | None = None) -> list[DateMatch]:
    """Every date in ``text``, in order, overlapping candidates resolved to the longest.

    Naive dates get ``tz`` (the site's zone) when given; an offset written in the text wins.
    """
    if not text:
        return []
    found: list[DateMatch] = []
    for pattern in DATE_PATTERNS:
        for m in pattern.finditer(text):
            dm = _match_to_date(m, tz)
            if dm is not None:
                found.append(dm)
    found.sort(key=lambda d: (d.start, -(d.end - d.start)))
    result: list[DateMatch] = []
    for dm in found:
        if result and dm.start < result[-1].end:
            # overlapping: keep the longer (a date with its time beats the bare date)
            if dm.end - dm.start > result[-1].end - result[-1].start:
                result[-1] = dm
            continue
        result.append(dm)
    return result


def parse_date(text: str | None, tz: tzinfo | str | None = "Asia/Ho_Chi_Minh") -> datetime | None:
    """The first date (with its time, if written) in ``text``, aware in ``tz`` unless the text has an
    offset; None when there is none.

    >>> parse_date("15/10/2019 07:07 SA").isoformat()
    '2019-10-15T07:07:00+07:00'
    >>> parse_date("Thứ ba, 15/10/2019 - 03:15 CH").isoformat()
    '2019-10-15T15:15:00+07:00'
    """
    zone = local_zone(tz) if isinstance(tz, str) else tz
    dates = find_dates(text, zone)
    return dates[0].value if dates else None


def parse_iso_datetime(value: str | None, tz: tzinfo | None = None) -> tuple[datetime, bool] | None:
    """(moment, has_time) for an ISO-8601-ish string from a meta tag or JSON-LD; naive values get ``tz``.

    Accepts what CMSs write: ``2019-10-15T07:07:00+07:00``, ``2019-10-15T00:07:00Z``,
    ``2019-10-15 07:07``, ``2019-10-15``, and day-first ``15/10/2019 07:07`` for good measure.
    """
    if not value:
        return None
    value = value.strip()
    m = DATE_PATTERNS[3].match(value)
    if m is None:
        dates = find_dates(value, tz)
        return (dates[0].value, dates[0].has_time) if dates else None
    dm = _match_to_date(m, tz)
    return (dm.value, dm.has_time) if dm else None


# -- author and source lines -----------------------------------------------------------------------

# Academic and professional titles written before a name, kept as written in the author field:
# `TS.`, `PGS.TS.`, `PGS, TS.`, `GS.TSKH.`, `ThS`, `NCS.`, and titles spelled out (military ranks,
# `Nhà báo`, `Đồng chí`...). Only used to recognise a name, never to rewrite it.
_ABBR_TITLE = r"(?:GS|PGS|TS|TSKH|ThS|Ths|THS|NCS|CN|KS|BS|LS|NB|NNC|NSƯT|NSND|TTƯT|Th\.S|PGS\.TS|GS\.TS)"
_WORD_TITLE = (
    r"(?:Đại\s+tá|Thượng\s+tá|Trung\s+tá|Thiếu\s+tá|Đại\s+úy|Thượng\s+úy|Trung\s+úy|Thiếu\s+úy|"
    r"Đại\s+tướng|Thượng\s+tướng|Trung\s+tướng|Thiếu\s+tướng|Nhà\s+báo|Nhà\s+văn|Nhà\s+thơ|"
    r"Nhà\s+nghiên\s+cứu|Luật\s+sư|Giáo\s+sư|Phó\s+giáo\s+sư|Tiến\s+sĩ|Thạc\s+sĩ|Cử\s+nhân|Kỹ\s+sư|"
    r"Bác\s+sĩ|Đồng\s+chí|Nhạc\s+sĩ|Họa\s+sĩ|Nghệ\s+sĩ|Cựu\s+chiến\s+binh|Đại\s+biểu|Linh\s+mục|"
    r"Thượng\s+tọa|Hòa\s+thượng|Đại\s+đức|Mục\s+sư)"
)
TITLE_PREFIX_RE = re.compile(
    r"^(?:(?:" + _ABBR_TITLE + r")\s*\.?\s*[,.\-]?\s*|" + _WORD_TITLE + r"\s*,?\s+)+", re.IGNORECASE
)
# Labels before an author: `Tác giả: ...`, `Bài và ảnh: ...`, `Bài, ảnh: ...`, `Thực hiện: ...`.
AUTHOR_LABEL_RE = re.compile(
    r"^\s*(?:Tác\s+giả|Người\s+viết|Bài\s+(?:và\s+|,\s*|\s*/\s*|\s*-\s*)?ảnh|Bài\s+viết|Bài|Ảnh|"
    r"Tin(?:\s*,\s*ảnh|\s+và\s+ảnh)?|Thực\s+hiện|Nhóm\s+phóng\s+viên|Biên\s+tập|Author|By)\s*[:：]\s*",
    re.IGNORECASE,
)
# Source lines: `Theo TTXVN`, `(Theo Báo Nhân Dân)`, `Nguồn: xaydungdang.org.vn`, `(Nguồn: ...)`.
SOURCE_LINE_RE = re.compile(
    r"^\s*[(\[]?\s*(?:(?:Theo|Nguồn(?:\s+tin)?|Trích\s+nguồn|Source)\s*[:：]?\s+|(?:Nguồn(?:\s+tin)?|Source)\s*[:：]\s*)"
    r"(?P<src>.+?)\s*[)\]]?\s*\.?\s*$",
    re.IGNORECASE,
)
# Words that make the right part of `Name - X` a source rather than a second author.
ORG_WORD_RE = re.compile(
    r"^(?:Báo|Tạp\s+chí|Đài|Cổng|Trang|Thông\s+tấn|Tạp\s+chí|Ban|Sở|Bộ|Tỉnh\s+ủy|Thành\s+ủy|Huyện\s+ủy|"
    r"Đảng\s+ủy|Học\s+viện|Trường|Viện|Trung\s+tâm|Hội|Ủy\s+ban|Văn\s+phòng|TTXVN|VNA|VOV|VTV|TTX|"
    r"Nhân\s+Dân|Quân\s+đội\s+nhân\s+dân|QĐND|CAND)\b",
    re.IGNORECASE,
)
DOMAIN_RE = re.compile(r"^(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)+(?:/\S*)?$", re.IGNORECASE)
# Abbreviated collective bylines: `PV`, `CTV`, `Nhóm PV`, `PV TTXVN`.
COLLECTIVE_RE = re.compile(r"^(?:Nhóm\s+)?(?:PV|CTV|BTV|P\.V|PVTT|Phóng\s+viên|Cộng\s+tác\s+viên)\b", re.IGNORECASE)
# How several authors are joined on one line.
AUTHORS_SPLIT_RE = re.compile(r"\s*(?:,|;|\s+và\s+|\s+-\s+|\s+–\s+|\s*/\s*|\s*&\s*)\s*")


# Words that may follow an unsigned byline to say what the signer did: `PV tổng hợp`, `BBT lược dịch`.
_BYLINE_ROLE_RE = re.compile(r"^\(?\s*(?:tổng\s+hợp|thực\s+hiện|lược\s+dịch|biên\s+dịch|dịch|biên\s+soạn)\s*\)?$", re.IGNORECASE)
# How a byline line separates an author from a source: `Ban Biên tập - Báo Lâm Đồng`, `PV, TTXVN`.
_BYLINE_SEPARATOR_RE = re.compile(r"\s[-–—]\s|,|/")
# Sentence punctuation: a line holding it is prose, not a byline (dots inside a domain are fine).
_SENTENCE_PUNCT_RE = re.compile(r"[!?;:]|[.,]\s")


@dataclass(frozen=True)
class Bylines:
    """The unsigned bylines a site prints instead of a person's name, as data (a site profile's
    ``ExtractionHints`` holds them; see :mod:`crawler.sites` for the defaults).

    ``institutions`` are editorial units and roles (``Ban Biên tập``, ``BBT``, ``PV``, ``Nhóm phóng viên``,
    ``CTV``): they sign alone or followed by their organisation (``PV Báo Lâm Đồng``, ``Ban Biên tập Tạp
    chí Xây dựng Đảng``) or their part in the work (``PV tổng hợp``). ``agencies`` are news agencies and
    papers that sign a byline alone (``TTXVN``). Either way the line is the article's author. An agency
    *credited* (``Theo TTXVN``, ``(Theo TTXVN)``, ``Nguồn: TTXVN``) is its source instead: see
    :func:`parse_source_line`. Names are compared folded (case, diacritics, punctuation ignored).

    >>> b = Bylines(institutions=("Ban Biên tập", "PV"), agencies=("TTXVN",))
    >>> b.match("Ban biên tập."), b.match("PV Báo Lâm Đồng"), b.match("TTXVN"), b.match("PV đã ghi nhận")
    ('Ban biên tập', 'PV Báo Lâm Đồng', 'TTXVN', None)
    """

    institutions: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()

    @cached_property
    def _institution_keys(self) -> tuple[str, ...]:
        # longest first: `Nhóm phóng viên` before `Phóng viên`
        return tuple(sorted({k for k in map(fold, self.institutions) if k}, key=len, reverse=True))

    @cached_property
    def _agency_keys(self) -> frozenset[str]:
        return frozenset(k for k in map(fold, self.agencies) if k)

    def match(self, line: str) -> str | None:
        """``line`` tidied when it is an unsigned byline standing alone, else None."""
        text = clean_text(line).strip(" .;:-–—")
        if not text or len(text) > 80 or _SENTENCE_PUNCT_RE.search(text) or not (self.institutions or self.agencies):
            return None
        key = fold(text)
        if key in self._agency_keys or key in self._institution_keys:
            return text
        if _BYLINE_SEPARATOR_RE.search(text):
            return None  # `Ban Biên tập - Báo Lâm Đồng`: author and source, parse_author_line splits them
        for name in self._institution_keys:
            if key.startswith(name + " "):
                n_rest = len(key.split()) - len(name.split())
                rest = " ".join(text.split()[-n_rest:])
                return text if self._names_an_organisation(rest) else None
        return None

    def _names_an_organisation(self, rest: str) -> bool:
        """What may follow an institution in a byline: its organisation, an agency, a site, its role."""
        if _BYLINE_ROLE_RE.match(rest):
            return True
        if len(rest.split()) > 8 or not rest[0].isupper():
            return False
        if ORG_WORD_RE.match(rest) or DOMAIN_RE.match(rest) or fold(rest) in self._agency_keys:
            return True
        return all(_is_name_word(w) for w in rest.split())  # a place or a proper name: `... Huyện ủy Lạc Dương`


def _is_name_word(word: str) -> bool:
    word = word.strip(".,'’")
    if not word:
        return False
    first = word[0]
    if not first.isalpha() or not first.isupper():
        return False
    # `Nguyễn`, `Y-Ngông`, `T.`, `Kđăm`, `H'Hen`: letters, hyphens, apostrophes, inner dots for initials
    return all(c.isalpha() or c in "-'’." for c in word)


def looks_like_person(text: str, *, strict: bool = True) -> bool:
    """True when ``text`` reads as a person's name (with an optional title prefix) or a collective
    byline (``PV``, ``Nhóm PV``): 1-7 capitalised words, no digits, short.

    ``strict`` refuses a single bare word (``Hà``), which is too often a heading or a place.

    >>> looks_like_person("PGS.TS. Nguyễn Văn A"), looks_like_person("Sắp xếp, tinh gọn bộ máy")
    (True, False)
    """
    text = clean_text(text).strip(" .,:;")
    if not text or len(text) > 70 or any(c.isdigit() for c in text):
        return False
    if COLLECTIVE_RE.match(text) and len(text.split()) <= 4:
        return True
    stripped = TITLE_PREFIX_RE.sub("", text).strip()
    had_title = stripped != text
    if not stripped:
        return False
    words = stripped.split()
    if not 1 <= len(words) <= 7:
        return False
    if strict and len(words) == 1 and not had_title and not stripped.isupper():
        return False
    return all(_is_name_word(w) for w in words)


def _looks_like_authors(text: str, *, strict: bool = True) -> bool:
    parts: list[str] = []
    carry = ""
    for part in (p for p in AUTHORS_SPLIT_RE.split(text) if p.strip()):
        if not TITLE_PREFIX_RE.sub("", part + " ").strip():
            carry += part + ", "  # `PGS, TS NGUYỄN VĂN A`: a title split off by the comma
            continue
        parts.append(carry + part)
        carry = ""
    if carry or not parts or len(parts) > 6:
        return False
    return all(looks_like_person(p, strict=strict) for p in parts)


def _looks_like_source(text: str) -> bool:
    text = text.strip()
    if not text or len(text) > 120:
        return False
    if DOMAIN_RE.match(text) or ORG_WORD_RE.match(text):
        return True
    # `TTXVN`, `VNA`, `Reuters`, `Nhân Dân điện tử`: short, starts with a capital, no sentence inside
    return len(text) <= 60 and text[0].isupper() and not re.search(r"[.!?]\s", text)


def _clean_source(text: str) -> str:
    text = clean_text(text).strip(" .;")
    m = re.match(r"^(?:Theo|Nguồn(?:\s+tin)?|Source)\s*[:：]?\s*(.+)$", text, re.IGNORECASE)
    if m:
        text = m.group(1).strip(" .;")
    return text


def parse_source_line(line: str) -> str | None:
    """The source named by a `Theo ...` / `Nguồn: ...` line, or None.

    >>> parse_source_line("(Theo Báo Nhân Dân)"), parse_source_line("Nguồn: xaydungdang.org.vn")
    ('Báo Nhân Dân', 'xaydungdang.org.vn')
    >>> parse_source_line("Theo đó, tỉnh đã ...") is None
    True
    """
    text = clean_text(line)
    m = SOURCE_LINE_RE.match(text)
    if not m:
        return None
    src = m.group("src").strip(" .;")
    # `Theo đó, ...`, `Theo kế hoạch, ...`: a sentence, not a source (sources start with a capital or
    # are a domain)
    if not src or len(src) > 120 or not (src[0].isupper() or src[0].isdigit() or DOMAIN_RE.match(src)):
        return None
    wrapped = text.startswith(("(", "[")) and text.rstrip(" .").endswith((")", "]"))
    labelled = re.match(r"^[(\[]?\s*(?:Nguồn|Source)", text, re.IGNORECASE) is not None
    if not (wrapped or labelled):
        # a bare `Theo ...` line is a source only when it reads like a name, not like a sentence
        # (`Theo Bộ trưởng, kết quả này rất đáng khích lệ.`)
        if len(src.split()) > 8 or re.search(r",\s+[a-zà-ỹđ]", src) or (text.rstrip().endswith((".", "!", "?")) and len(src.split()) > 4):
            return None
    return src


@dataclass(frozen=True)
class AuthorLine:
    """What an author/source line says: either may be None, never both."""

    author: str | None
    source: str | None


def parse_author_line(line: str, *, strong: bool = False, bylines: Bylines | None = None) -> AuthorLine | None:
    """Read a byline: ``Nguyễn Bá Thắng (http://www.xaydungdang.org.vn)``, ``TS. Trần Văn B``,
    ``Hồng Hạnh (TTXVN)``, ``Tác giả: Nguyễn Văn A``, ``Theo TTXVN``. None when ``line`` is not one.

    ``strong`` says the markup already marks the line as a byline (bold, right-aligned, an author
    element): single-word names are then accepted too. ``bylines`` adds the site's unsigned bylines
    (``Ban Biên tập``, ``PV``, ``TTXVN``), which are authors like a person's name.

    >>> parse_author_line("Nguyễn Bá Thắng (http://www.xaydungdang.org.vn)")
    AuthorLine(author='Nguyễn Bá Thắng', source='http://www.xaydungdang.org.vn')
    """
    text = clean_text(line).strip()
    if not text or len(text) > 160:
        return None
    labelled = AUTHOR_LABEL_RE.match(text)
    if labelled:
        text = text[labelled.end():].strip()
        strong = True
    src_only = parse_source_line(text)
    if src_only is not None and not labelled:
        return AuthorLine(None, src_only)
    text = text.rstrip(" .;") if not re.search(r"\b(?:" + _ABBR_TITLE + r")\.$", text) else text.rstrip(" ;")
    strict = not strong
    unsigned = bylines.match(text) if bylines is not None else None
    if unsigned:
        return AuthorLine(unsigned, None)
    # `Name (source)` / `Name (Theo source)` / `Name [source]`
    m = re.match(r"^(?P<name>[^()\[\]]+?)\s*[(\[]\s*(?P<src>[^()\[\]]+?)\s*[)\]]$", text)
    if m and (_looks_like_authors(m.group("name"), strict=strict) or _is_unsigned(m.group("name"), bylines)):
        src = _clean_source(m.group("src"))
        return AuthorLine(clean_text(m.group("name")), src or None)
    # `Name - Báo Lâm Đồng`, `Name, TTXVN`: the right part is an organisation or a domain
    m = re.match(r"^(?P<name>.+?)\s*(?:\s[-–—]\s|,\s*|\s*/\s*)(?P<src>[^,/]+)$", text)
    if m and (looks_like_person(m.group("name"), strict=strict) or _is_unsigned(m.group("name"), bylines)):
        src = m.group("src").strip()
        if (ORG_WORD_RE.match(src) or DOMAIN_RE.match(src)) and not looks_like_person(src):
            return AuthorLine(clean_text(m.group("name")), _clean_source(src))
    if _looks_like_authors(text, strict=strict):
        return AuthorLine(text, None)
    if labelled and text and len(text) <= 100:
        return AuthorLine(text, None)
    return None


def _is_unsigned(name: str, bylines: Bylines | None) -> bool:
    return bylines is not None and bylines.match(name) is not None


# -- furniture lines -------------------------------------------------------------------------------

# Words of the print/share/navigation toolbars (`In trang | Gửi email | Chia sẻ`), compared folded.
FURNITURE_WORDS = frozenset(
    fold(w)
    for w in (
        "In trang", "In bài", "In bài viết", "Bản in", "Bản để in", "In", "Gửi email", "Gửi mail",
        "Gửi cho bạn bè", "Gửi bài viết", "Gửi bài", "Email", "E-mail", "Chia sẻ", "Chia sẻ bài viết",
        "Share", "Tweet", "Like", "Thích", "Facebook", "Twitter", "Zalo", "Lưu", "Lưu bài", "Lưu bài viết",
        "Quay lại", "Trở về", "Trở lại", "Về đầu trang", "Lên đầu trang", "Đầu trang", "Back", "Top",
        "Print", "Cỡ chữ", "Font size", "A+", "A-", "Phản hồi", "Góp ý", "Ý kiến", "Bình luận",
        "Nghe đọc bài", "Nghe bài viết", "Đọc bài", "Tải về", "Sao chép liên kết", "Copy link",
        "Theo dõi", "Theo dõi chúng tôi", "Xem bản in", "Xem thêm", "Trang chủ",
    )
)
_FURNITURE_SPLIT_RE = re.compile(r"\s*(?:[|•·/»›>]|\s-\s|\s{2,})\s*")


def is_furniture_line(text: str) -> bool:
    """True for a toolbar line: every piece is a print/share/navigation word (``In trang``,
    ``In trang | Gửi email | Chia sẻ``)."""
    if len(text) > 160:
        return False
    text = clean_text(text)
    if not text or len(text) > 120:
        return False
    pieces = [p for p in _FURNITURE_SPLIT_RE.split(text) if p.strip()]
    return bool(pieces) and all(_is_furniture_words(fold(p)) for p in pieces)


@lru_cache(maxsize=2048)
def _is_furniture_words(key: str) -> bool:
    """True when the folded ``key`` is a run of toolbar phrases (``facebook zalo sao chep lien ket``)."""
    if key in FURNITURE_WORDS:
        return True
    words = key.split()
    if len(words) > 12:
        return False
    reach = [True] + [False] * len(words)
    for i in range(len(words)):
        if reach[i]:
            for j in range(i + 1, min(len(words), i + 5) + 1):
                if " ".join(words[i:j]) in FURNITURE_WORDS:
                    reach[j] = True
    return reach[-1]


# Site-wide visitor counters: `Thống kê truy cập`, `Đang online: 172`, `Trong tuần: 172`, `Trong
# tháng: 51.751`, `Hôm nay: 12`, `Tổng lượt truy cập: ...`, and the bare odometer `002962630`.
STATS_LINE_RE = re.compile(
    r"^(?:Thống\s+kê\s+truy\s+cập|Thống\s+kê|Bộ\s+đếm(?:\s+truy\s+cập)?|"
    r"(?:Đang|Số\s+người\s+đang|Người\s+đang)\s+(?:online|trực\s+tuyến|truy\s+cập|xem)"
    r"|Trong\s+(?:ngày|tuần|tháng|năm)|Hôm\s+(?:nay|qua)|Tuần\s+(?:này|trước)|Tháng\s+(?:này|trước)|"
    r"Năm\s+nay|Tổng(?:\s+số)?(?:\s+lượt)?\s+(?:truy\s+cập|người\s+truy\s+cập|lượt\s+xem)|Lượt\s+truy\s+cập|"
    r"Số\s+lượt\s+truy\s+cập|Khách\s+(?:online|trực\s+tuyến)|Thành\s+viên(?:\s+online)?|Online|Visitors?"
    r"|Total|Today|Yesterday)\s*[:：]?\s*(?:\d[\d.,\s]*)?$"
    r"|^\d{5,}$",
    re.IGNORECASE,
)


def is_stats_line(text: str) -> bool:
    """True for a line of a site visitor-counter widget (never article text)."""
    return len(text) <= 80 and bool(STATS_LINE_RE.match(clean_text(text)))


def is_views_line(text: str) -> bool:
    """True for a line that is only a view counter: ``Lượt xem: 1.091``, ``1.091 lượt xem``."""
    if len(text) > 80:
        return False
    text = clean_text(text).strip(" |-–•·()[]")
    found = find_views(text)
    if not found:
        return False
    rest = (text[: found[1]] + text[found[2]:]).strip(" |-–•·:()[]")
    return not rest


# Headings that open the related-articles, comments or counter widgets: everything from such a block
# on is page furniture (`Tin liên quan`, `Các tin khác`, `Bài viết liên quan`...).
END_MARKER_RE = re.compile(
    r"^(?:Tin\s+liên\s+quan|Tin\s+bài\s+liên\s+quan|Bài\s+viết\s+liên\s+quan|Bài\s+liên\s+quan|"
    r"Các\s+tin\s+(?:khác|đã\s+đưa|cùng\s+chuyên\s+mục|mới|liên\s+quan)|Các\s+bài\s+(?:viết\s+)?(?:khác|liên\s+quan|cùng\s+chuyên\s+mục)|"
    r"Tin\s+khác|Bài\s+khác|Tin\s+cùng\s+chuyên\s+mục|Bài\s+cùng\s+chuyên\s+mục|Tin\s+cùng\s+chủ\s+đề|"
    r"Tin\s+mới\s+hơn|Tin\s+cũ\s+hơn|Tin\s+đã\s+đưa|Tin\s+mới(?:\s+nhất)?|Tin\s+đọc\s+nhiều(?:\s+nhất)?|"
    r"Bài\s+đọc\s+nhiều(?:\s+nhất)?|Đọc\s+nhiều(?:\s+nhất)?|Xem\s+nhiều(?:\s+nhất)?|Có\s+thể\s+bạn\s+quan\s+tâm|"
    r"Xem\s+thêm|Đọc\s+thêm|Ý\s+kiến\s+bạn\s+đọc|Ý\s+kiến\s+của\s+bạn|Bình\s+luận(?:\s+\(\d+\))?|Gửi\s+(?:ý\s+kiến|bình\s+luận)(?:\s+của\s+bạn)?|"
    r"Viết\s+bình\s+luận|Thống\s+kê\s+truy\s+cập|Related(?:\s+(?:articles|news|posts))?|Read\s+more)"
    r"\s*[:：»>.]*$",
    re.IGNORECASE,
)


def is_end_marker(text: str) -> bool:
    """True for the heading of a related-articles/comments/counter widget (``Tin liên quan``)."""
    return len(text) <= 80 and bool(END_MARKER_RE.match(clean_text(text)))


# Banner slogans of party portals: `Thiết thực lập thành tích chào mừng ...`, `Chào mừng Đại hội ...`,
# `Nhiệt liệt chào mừng ...`, `Mừng Đảng, mừng Xuân`, `Đảng Cộng sản Việt Nam quang vinh muôn năm`.
SLOGAN_RE = re.compile(
    r"^(?:Nhiệt\s+liệt\s+)?(?:Chào\s+mừng|Thiết\s+thực\s+lập\s+thành\s+tích|Lập\s+thành\s+tích\s+chào\s+mừng|"
    r"Mừng\s+Đảng|Kỷ\s+niệm\s+\d+\s+năm|Đảng\s+Cộng\s+sản\s+Việt\s+Nam\s+quang\s+vinh|"
    r"Chủ\s+tịch\s+Hồ\s+Chí\s+Minh\s+vĩ\s+đại|Nước\s+Cộng\s+hòa\s+xã\s+hội\s+chủ\s+nghĩa\s+Việt\s+Nam\s+muôn\s+năm)",
    re.IGNORECASE,
)


def is_slogan(text: str) -> bool:
    """True for a banner slogan line (only meaningful before the article starts)."""
    text = clean_text(text)
    return len(text) <= 400 and bool(SLOGAN_RE.match(text)) and not text.endswith(("…", "..."))


# Leftover CMS placeholders that were never expanded: `{image id =1}`, `{gallery 12}`, `[image id=3]`.
CMS_TOKEN_RE = re.compile(
    r"[{\[]\s*(?:image|img|images|gallery|video|audio|photo|picture|media|box|embed|quote|related|"
    r"ads?|banner|poll|map)\b[^{}\[\]\n]{0,60}[}\]]",
    re.IGNORECASE,
)


def remove_cms_tokens(text: str) -> tuple[str, list[str]]:
    """``text`` without CMS placeholders, and the placeholders removed."""
    tokens = CMS_TOKEN_RE.findall(text)
    if not tokens:
        return text, []
    return clean_text(CMS_TOKEN_RE.sub(" ", text), keep_newlines=True), tokens


# Tag lists: `Từ khóa: a, b, c`, `Tags: a | b`, `Thẻ: a; b`.
TAG_LINE_RE = re.compile(r"^\s*(?:Từ\s+khóa|Từ\s+khoá|Tags?|Thẻ|Keywords?|Chủ\s+đề)\s*[:：]\s*(?P<tags>.*)$", re.IGNORECASE)
TAG_LABEL_RE = re.compile(r"^\s*(?:Từ\s+khóa|Từ\s+khoá|Tags?|Thẻ|Keywords?)\s*[:：]?\s*$", re.IGNORECASE)


def split_tags(text: str) -> list[str]:
    """Tags from a separated list (``a, b; c | d``), cleaned, de-duplicated, in order."""
    out: list[str] = []
    seen: set[str] = set()
    for piece in re.split(r"\s*(?:[,;|•·]|\s{2,}|\n)\s*", text):
        tag = clean_text(piece).strip(" #.:")
        key = tag.casefold()
        if tag and len(tag) <= 80 and key not in seen:
            seen.add(key)
            out.append(tag)
    return out


def parse_tag_line(text: str) -> list[str] | None:
    """The tags of a ``Từ khóa: ...`` line, or None when ``text`` is not one."""
    m = TAG_LINE_RE.match(clean_text(text))
    if not m:
        return None
    return split_tags(m.group("tags"))


# A header meta line holds only dates, a view counter, toolbar words and separators
# (`15/10/2019 07:07 SA | Lượt xem: 1.091 | In trang`).
_META_LEFTOVER_RE = re.compile(
    r"(?:Cập\s+nhật(?:\s+lúc|\s+ngày)?|Ngày\s+(?:đăng|cập\s+nhật|xuất\s+bản)|Đăng\s+(?:lúc|ngày)|Đăng|"
    r"Thời\s+gian(?:\s+đăng)?|Ngày|lúc|GMT\s?\+?\d*|UTC\s?\+?\d*|"
    r"Thứ\s+(?:hai|ba|tư|năm|sáu|bảy|bẩy|[2-7])|Chủ\s+nhật|Posted|Published|Updated)",
    re.IGNORECASE,
)


def is_meta_line(text: str, tz: tzinfo | None = None) -> bool:
    """True for a line made only of dates, a view counter, toolbar words and separators."""
    if len(text) > 200:
        return False
    text = clean_text(text)
    if not text or len(text) > 160:
        return False
    dates = find_dates(text, tz)
    views = find_views(text)
    if not dates and not views and not is_furniture_line(text):
        return False
    spans = [(d.start, d.end) for d in dates]
    if views:
        spans.append((views[1], views[2]))
    rest = text
    for start, end in sorted(spans, reverse=True):
        rest = rest[:start] + " " + rest[end:]
    rest = _META_LEFTOVER_RE.sub(" ", rest)
    pieces = [p for p in _FURNITURE_SPLIT_RE.split(rest) if p.strip(" :,-–()|")]
    return all(_is_furniture_words(fold(p)) for p in pieces)


# -- error and maintenance pages ---------------------------------------------------------------------

# Words of an error page (soft 404s served with 200, or the body of a real 404/410/500). Phrased so
# that an article merely *mentioning* them does not match: `Quyết định số 404/QĐ-UBND` is no error code,
# `không tìm thấy dấu hiệu sai phạm` is no missing page.
ERROR_TEXT_RE = re.compile(
    r"(?i)page\s+not\s+found|\b404\s+not\s+found|(?:lỗi|error|mã\s+lỗi)\s*:?\s*(?:404|410|403|500|503)\b|"
    r"trang\s+(?:bạn\s+(?:tìm|tìm\s+kiếm|yêu\s+cầu|truy\s+cập)\s+)?không\s+tồn\s+tại|"
    r"không\s+tìm\s+thấy\s+(?:trang|nội\s+dung|bài\s+viết|tin\s+bài|đường\s+dẫn|liên\s+kết|yêu\s+cầu|dữ\s+liệu)(?!\s+[a-zà-ỹđ])|"
    r"(?:bài\s+viết|nội\s+dung|trang|đường\s+dẫn|liên\s+kết|tin\s+bài)\s+(?:này\s+|bạn\s+(?:tìm|yêu\s+cầu|truy\s+cập)\s+)?"
    r"(?:không\s+tồn\s+tại|đã\s+bị\s+(?:xóa|xoá|gỡ(?:\s+bỏ)?))|"
    r"server\s+error\s+in|internal\s+server\s+error|an\s+error\s+(?:has\s+)?occurred|đã\s+có\s+lỗi\s+xảy\s+ra|"
    r"runtime\s+error|the\s+requested\s+url\s+was\s+not\s+found|\b(?:403\s+)?forbidden\b|\bbad\s+request\b"
)
# A title (or <h1>) that *is* an error: `404`, `404 - Không tìm thấy trang`, `Not Found`, `Lỗi`.
ERROR_TITLE_RE = re.compile(
    r"(?i)^\s*(?:(?:lỗi|error|http)\s*)?(?:404|410|403|500|502|503)\b|^\s*(?:page\s+)?not\s+found\s*$|"
    r"^\s*(?:lỗi|error|thông\s+báo\s+lỗi)\s*$|^\s*không\s+tìm\s+thấy(?:\s+(?:trang|nội\s+dung|bài\s+viết|dữ\s+liệu))?\s*[.!]?\s*$|"
    r"^\s*(?:trang|bài\s+viết|nội\s+dung)\s+không\s+tồn\s+tại\s*[.!]?\s*$"
)
# Words of a maintenance page: the *site* is down (`Hệ thống đang bảo trì`), not a road being upgraded
# (`tuyến đường đang được nâng cấp`) or a plant stopping (`nhà máy tạm ngừng hoạt động`).
MAINTENANCE_TEXT_RE = re.compile(
    r"(?i)(?:hệ\s+thống|website|trang\s+web|trang\s+tin|cổng\s+thông\s+tin|máy\s+chủ|server|trang)\s+(?:\S+\s+){0,2}?"
    r"(?:đang\s+(?:được\s+)?(?:bảo\s+trì|nâng\s+cấp)|tạm\s+(?:ngừng|dừng)\s+(?:hoạt\s+động|truy\s+cập|phục\s+vụ))|"
    r"bảo\s+trì\s+(?:hệ\s+thống|website|trang\s+web)(?!\s+[a-zà-ỹđ])|nâng\s+cấp\s+(?:hệ\s+thống|website)(?!\s+[a-zà-ỹđ])|"
    r"under\s+maintenance|maintenance\s+mode|scheduled\s+maintenance|site\s+maintenance|down\s+for\s+maintenance|"
    r"temporarily\s+unavailable|service\s+unavailable"
)
MAINTENANCE_TITLE_RE = re.compile(r"(?i)^\s*(?:thông\s+báo\s+)?(?:bảo\s+trì|maintenance)(?:\s+hệ\s+thống)?\s*[.!]?\s*$")


def error_code(text: str) -> str:
    """The HTTP status an error page's text names (404 when it names none but says "not found")."""
    m = re.search(r"\b(404|410|403|500|502|503)\b", text)
    if m:
        return m.group(1)
    if re.search(r"(?i)đã\s+bị\s+(?:xóa|xoá|gỡ)|\bgone\b", text):
        return "410"
    if re.search(r"(?i)server\s+error|lỗi\s+hệ\s+thống|an\s+error|runtime\s+error|đã\s+có\s+lỗi", text):
        return "500"
    return "404"


def error_page_code(text: str, *, title: bool = False) -> str | None:
    """The status an error page shows in ``text`` (a title when ``title``), or None."""
    text = clean_text(text)
    if not text:
        return None
    if (title and ERROR_TITLE_RE.search(text)) or ERROR_TEXT_RE.search(text):
        return error_code(text)
    return None


def is_maintenance_text(text: str, *, title: bool = False) -> bool:
    """True when ``text`` says the site is down for maintenance (a title when ``title``)."""
    text = clean_text(text)
    return bool(MAINTENANCE_TEXT_RE.search(text) or (title and MAINTENANCE_TITLE_RE.search(text)))


# -- labels and separators the extractor reads around the title ----------------------------------------

# A date labelled as an update (`Cập nhật: 16/10/2019 09:30`, `Sửa đổi lúc ...`): the modified date, and
# the publication date only when the page shows no other.
UPDATED_LABEL_RE = re.compile(r"(?i)cập\s+nhật|sửa\s+đổi|updated|modified")
UPDATED_PREFIX_RE = re.compile(r"(?i)(?:cập\s+nhật|sửa\s+đổi|updated|modified)(?:\s+lúc|\s+ngày)?\s*[:：]?\s*")
# Separators between a headline and the site name in <title>/og:title. Not ":" (headlines use it).
TITLE_SEPARATOR_RE = re.compile(r"\s+(?:[|–—»]|-{1,2}|::)\s+")
# A trailing <title> part that names a publication or a host, not part of the headline.
SITE_NAME_PART_RE = re.compile(
    r"^(?:Tạp\s+chí\s+[A-ZĐ]|Báo\s+(?:điện\s+tử\s+)?[A-ZĐ]|Cổng\s+thông\s+tin|Cổng\s+TTĐT|Trang\s+thông\s+tin|"
    r"Trang\s+tin\s+điện\s+tử|Website|XDĐ$|TCCS$|[\w.-]+\.(?:vn|com|org|net)$)",
)
# Breadcrumb separators (`Trang chủ » Lý luận - Thực tiễn`), and a line that is a breadcrumb.
BREADCRUMB_SEPARATOR_RE = re.compile(r"\s*[»›>/|]\s*|\n")
BREADCRUMB_LINE_RE = re.compile(r"(?i)^(?:trang\s+chủ|home)\s*[»›>/|]")
# A related-list item ending with its date: `Tiêu đề bài (14/10/2019)`.
DATED_ITEM_RE = re.compile(r"\(\s*\d{1,2}/\d{1,2}/\d{4}\s*\)\s*$")
# alt/title text that is a file name or a camera/default name, not a caption (`DSC_0012`, `anh 1.jpg`).
FILENAME_TEXT_RE = re.compile(r"(?i)\.(?:jpe?g|png|gif|webp)$|^(?:img|image|dsc|anh|ảnh)[\s_-]*\d+$")
