"""Deterministic article content for the replica, drawn from the seed page's text.

Everything here is pure data: :func:`generate_articles` turns ``(n, seed, theme)`` into the same list of
:class:`Article` objects every time (``random.Random(seed)``, no clock, no global state), so tests and
benchmarks can name an article by id and know what it says. The server (``replica/server.py``) owns the
articles afterwards and mutates them under its lock (edits, deletes, moves, view counts).

Body convention
---------------
``Article.body`` is a list of blocks, each one string, in page order:

- ``"## Sắp xếp, tinh gọn bộ máy"``: a section heading,
- ``"![Quang cảnh hội nghị (Ảnh: TTXVN)](/Uploads/Images/2019/10/15/07/a.jpg)"``: an image and its caption,
- ``"{image id =1}"``: a leftover CMS token (portal theme), furniture that is never body text,
- ``"[Xem thêm](https://example.invalid/)"``: a paragraph that is one link (the whole block; a link
  inside a paragraph's text stays text),
- anything else: a paragraph.

:attr:`Article.body_text` is what a perfect extractor should return as the body: headings, paragraphs
and link paragraphs' text, separated by blank lines, without images, tokens, the author line or the view
counter. :func:`hostile_fields` gives an article whose every field attacks whoever displays it.

Example::

    >>> arts = generate_articles(3, seed=1)
    >>> [a.id for a in arts] == sorted(a.id for a in arts)
    True
    >>> slugify("Đổi mới công tác cán bộ: Nghị quyết số 26-NQ/TW")
    'doi-moi-cong-tac-can-bo-nghi-quyet-so-26-nq-tw'
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from importlib import resources
from typing import Literal
from urllib.parse import quote

from xdd_archive.errors import ConfigError

__all__ = [
    "CATEGORIES",
    "CATEGORY_NAMES",
    "SITE_TZ",
    "THEME_NAMES",
    "Article",
    "Block",
    "Image",
    "Seed",
    "UnicodeForm",
    "first_id",
    "generate_article",
    "generate_articles",
    "hostile_fields",
    "load_seed",
    "parse_block",
    "slugify",
]

# Vietnam has kept UTC+7 without daylight saving since 1975, so a fixed offset is exact and needs no
# tz database.
SITE_TZ = timezone(timedelta(hours=7), "ICT")

THEME_NAMES = ("old", "new", "portal")

#: how an article's text is served: composed (the norm) or decomposed (the same text, other bytes)
UnicodeForm = Literal["NFC", "NFD"]

# slug -> display name, in menu order (THEMES.md)
CATEGORY_NAMES: dict[str, str] = {
    "ly-luan-thuc-tien": "Lý luận - Thực tiễn - Kinh nghiệm",
    "nhip-cau-ban-doc": "Nhịp cầu bạn đọc",
    "hoat-dong-cua-lanh-dao-dang-va-nha-nuoc": "Hoạt động của lãnh đạo Đảng và Nhà nước",
    "hoat-dong-cua-dia-phuong-co-so": "Hoạt động của địa phương, cơ sở",
}
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_NAMES)

_TOKEN_RE = re.compile(r"\{image id =\d+\}")
_IMAGE_RE = re.compile(r"!\[(?P<caption>.*)\]\((?P<url>\S+)\)", re.S)
_LINK_RE = re.compile(r"\[(?P<text>[^\]\n]+)\]\((?P<url>\S+)\)")


# -- the seed page ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seed:
    """The parts of the seed page (``replica/data/seed.txt``) that content is drawn from."""

    slogans: tuple[str, ...]
    title: str
    headings: tuple[str, ...]
    paragraphs: tuple[str, ...]
    sentences: tuple[str, ...]
    author: str
    source: str | None


def _split_sentences(paragraph: str) -> list[str]:
    """Split on sentence ends followed by a capital letter (Vietnamese capitals included)."""
    out: list[str] = []
    start = 0
    for m in re.finditer(r"[.…!?]\s+", paragraph):
        nxt = paragraph[m.end() : m.end() + 1]
        if nxt and (nxt.isupper() or nxt in "“\""):
            out.append(paragraph[start : m.end()].strip())
            start = m.end()
    tail = paragraph[start:].strip()
    if tail:
        out.append(tail)
    return out


@lru_cache(maxsize=1)
def load_seed() -> Seed:
    """Parse the seed page's text once: slogans, title, section headings, paragraphs, author line."""
    raw = resources.files(__package__).joinpath("data/seed.txt").read_text(encoding="utf-8")
    text = unicodedata.normalize("NFC", raw)
    lines = text.split("\n")
    # line 1: the banner's slogans, separated on the page by runs of (non-breaking) spaces
    slogans = tuple(s.strip() for s in re.split(r"[\s\u00a0]{3,}", lines[0]) if s.strip())
    title = re.sub(r"\s*In trang\s*$", "", lines[1]).strip()
    # one paragraph, heading, token or author line per line; blank (or non-breaking space) lines between
    blocks = [line.strip(" \u00a0\t") for line in lines[3:]]
    headings: list[str] = []
    paragraphs: list[str] = []
    author, source = "Nguyễn Bá Thắng", None
    for block in blocks:
        if not block or _TOKEN_RE.fullmatch(block):
            continue
        if block.startswith(("Lượt xem", "Thống kê truy cập")):
            break
        m = re.fullmatch(r"(?P<author>[^()\n]{3,60}) \((?P<source>https?://\S+)\)", block)
        if m:
            author, source = m["author"], m["source"]
            continue
        # headings are short and carry no sentence-final punctuation
        if len(block) < 120 and not block.endswith((".", "…", ":", ";")):
            headings.append(block)
        else:
            paragraphs.append(block)
    sentences = tuple(s for p in paragraphs for s in _split_sentences(p) if 40 <= len(s) <= 320)
    return Seed(
        slogans=slogans,
        title=title,
        headings=tuple(headings),
        paragraphs=tuple(paragraphs),
        sentences=sentences,
        author=author,
        source=source,
    )


# -- small helpers ----------------------------------------------------------------------------------


def slugify(text: str, *, max_length: int = 120) -> str:
    """An ASCII URL slug: diacritics stripped, ``đ`` -> ``d``, lower case, words joined by hyphens.

    Cut at a word boundary to at most ``max_length`` characters, as the real CMS does with long titles.
    """
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(text) > max_length:
        text = text[:max_length].rsplit("-", 1)[0]
    return text or "bai-viet"


@dataclass(frozen=True)
class Image:
    """An image of an article: its URL (a site path, or absolute) and its caption (credit included)."""

    url: str
    caption: str | None = None


@dataclass(frozen=True)
class Block:
    """One parsed body block: ``kind`` is ``p`` (paragraph), ``h`` (heading), ``img``, ``a`` (a paragraph
    that is one link) or ``token``."""

    kind: str
    text: str
    url: str | None = None


def parse_block(block: str) -> Block:
    """Parse one body string by the body convention of this module's docstring."""
    if block.startswith("## "):
        return Block("h", block[3:].strip())
    if _TOKEN_RE.fullmatch(block.strip()):
        return Block("token", block.strip())
    m = _IMAGE_RE.fullmatch(block.strip())
    if m:
        return Block("img", m["caption"].strip(), m["url"])
    m = _LINK_RE.fullmatch(block.strip())
    if m:
        return Block("a", m["text"].strip(), m["url"])
    return Block("p", block)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


# -- the article ------------------------------------------------------------------------------------


@dataclass(eq=False)
class Article:
    """One article of the replica: its content and its mutable serving state.

    Content fields (``title`` ... ``images`` in ``body``) are what an archive should record; ``version``
    counts content edits (1 = as generated) and ``modified_at`` moves with every edit. Serving state:
    ``views`` (ticks on every 200 response), ``show_views`` (False: the page shows no counter),
    ``status`` (``live`` / ``gone``), ``gone_status`` (404 / 410), ``redirect_to`` (a path or URL the
    article's URLs answer 301 to), ``moved`` (lives at ``/<category>/<slug>.html``) and
    ``unicode_form`` (``NFC`` / ``NFD``: how the text is served; not a content change).
    """

    id: int
    title: str
    slug: str
    category: str
    lead: str
    body: list[str]
    author: str | None
    source: str | None
    tags: list[str]
    published_at: datetime
    modified_at: datetime
    views: int = 0
    show_views: bool = True
    version: int = 1
    status: str = "live"
    gone_status: int = 404
    redirect_to: str | None = None
    moved: bool = False
    unicode_form: UnicodeForm = "NFC"

    # -- derived content ---------------------------------------------------------------------------

    @property
    def category_name(self) -> str:
        """The category's display name (``Nhịp cầu bạn đọc``)."""
        return CATEGORY_NAMES[self.category]

    @property
    def blocks(self) -> list[Block]:
        """The body parsed into :class:`Block` objects."""
        return [parse_block(b) for b in self.body]

    @property
    def paragraphs(self) -> list[str]:
        """The body's paragraphs (no headings, images or tokens)."""
        return [b.text for b in self.blocks if b.kind == "p"]

    @property
    def headings(self) -> list[str]:
        """The body's section headings."""
        return [b.text for b in self.blocks if b.kind == "h"]

    @property
    def images(self) -> list[Image]:
        """The body's images with their captions, in page order."""
        return [Image(b.url or "", b.text or None) for b in self.blocks if b.kind == "img"]

    @property
    def links(self) -> list[tuple[str, str]]:
        """The body's link paragraphs as (text, url), in page order."""
        return [(b.text, b.url or "") for b in self.blocks if b.kind == "a"]

    @property
    def body_text(self) -> str:
        """Headings, paragraphs and link paragraphs joined by blank lines: what a perfect extractor returns."""
        return "\n\n".join(b.text for b in self.blocks if b.kind in ("p", "h", "a"))

    @property
    def author_line(self) -> str | None:
        """The author line as printed: ``Nguyễn Bá Thắng (http://www.xaydungdang.org.vn)``."""
        if not self.author:
            return None
        return f"{self.author} ({self.source})" if self.source else self.author

    @property
    def listed(self) -> bool:
        """True when the article appears in listings, the sitemap and the feed."""
        return self.status == "live" and self.redirect_to is None

    # -- URLs --------------------------------------------------------------------------------------

    def new_path(self) -> str:
        """The 2025-style path ``/<category>/<slug>.html``."""
        return f"/{self.category}/{self.slug}.html"

    def original_path(self, theme: str) -> str:
        """The path the article had before any move, in ``theme``'s URL scheme."""
        if theme == "new":
            return self.new_path()
        if theme == "portal":
            return f"/{self.category}/{self.slug}-{self.id}.aspx"
        return f"/{self.category}/{self.slug}-{self.id}"

    def path(self, theme: str) -> str:
        """The article's current path in ``theme``'s URL scheme (the new-style path once moved)."""
        return self.new_path() if self.moved else self.original_path(theme)

    def to_dict(self, *, full: bool = True) -> dict[str, object]:
        """A JSON-ready dict (datetimes as ISO 8601 with ``+07:00``); ``full=False`` omits the body."""
        d: dict[str, object] = {
            "id": self.id,
            "title": self.title,
            "slug": self.slug,
            "category": self.category,
            "lead": self.lead,
            "author": self.author,
            "source": self.source,
            "tags": list(self.tags),
            "published_at": self.published_at.isoformat(),
            "modified_at": self.modified_at.isoformat(),
            "views": self.views,
            "show_views": self.show_views,
            "version": self.version,
            "status": self.status,
            "gone_status": self.gone_status,
            "redirect_to": self.redirect_to,
            "moved": self.moved,
            "unicode_form": self.unicode_form,
        }
        if full:
            d["body"] = list(self.body)
            d["body_text"] = self.body_text
            d["images"] = [{"url": i.url, "caption": i.caption} for i in self.images]
            d["links"] = [{"text": text, "url": url} for text, url in self.links]
        return d


# -- vocabularies (the seed supplies the body; these supply variety in titles, names and tags) -------

_TOPICS = (
    "Nâng cao chất lượng sinh hoạt chi bộ",
    "Đổi mới công tác kiểm tra, giám sát của Đảng",
    "Công tác phát triển đảng viên trong doanh nghiệp tư nhân",
    "Xây dựng đội ngũ cán bộ cấp chiến lược",
    "Phát huy vai trò nêu gương của cán bộ, đảng viên",
    "Bảo vệ nền tảng tư tưởng của Đảng",
    "Đấu tranh phòng, chống tham nhũng, tiêu cực",
    "Tinh gọn tổ chức bộ máy của hệ thống chính trị",
    "Chuẩn bị nhân sự đại hội đảng bộ các cấp",
    "Thực hiện quy chế dân chủ ở cơ sở",
    "Công tác dân vận trong tình hình mới",
    "Chuyển đổi số trong công tác tổ chức xây dựng Đảng",
    "Đánh giá, xếp loại chất lượng tổ chức cơ sở đảng",
    "Luân chuyển, điều động cán bộ lãnh đạo, quản lý",
    "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "Kiểm soát quyền lực trong công tác cán bộ",
    "Đào tạo, bồi dưỡng cán bộ trẻ",
    "Củng cố tổ chức đảng ở vùng đồng bào dân tộc thiểu số",
    "Tổng kết thực tiễn, phát triển lý luận về xây dựng Đảng",
    "Nâng cao năng lực lãnh đạo và sức chiến đấu của tổ chức đảng",
)

_PLACES = (
    "Lâm Đồng", "Nghệ An", "Yên Bái", "Hà Giang", "Quảng Ninh", "Thừa Thiên Huế", "Quảng Nam",
    "Bình Thuận", "Đồng Tháp", "Long An", "Hải Phòng", "Hà Nội", "Thành phố Hồ Chí Minh", "Đà Nẵng",
    "Cần Thơ", "Thái Bình", "Nam Định", "Thanh Hóa", "Hà Tĩnh", "Quảng Bình", "Quảng Trị", "Bình Định",
    "Phú Yên", "Khánh Hòa", "Gia Lai", "Đắk Lắk", "Kon Tum", "Đồng Nai", "Bình Dương", "Tây Ninh",
    "An Giang", "Kiên Giang", "Cà Mau", "Bắc Ninh", "Hưng Yên", "Điện Biên", "Lào Cai", "Sơn La",
)

_SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý")
_MIDDLE = ("Văn", "Thị", "Bá", "Đức", "Minh", "Thanh", "Quang", "Ngọc", "Hữu", "Xuân", "Thu", "Hồng")
_GIVEN = (
    "Thắng", "Hùng", "Lan", "Hương", "Dũng", "Tuấn", "Hà", "Nam", "Phương", "Sơn", "Hải", "Thảo",
    "Long", "Trung", "Hiếu", "Quân", "Mai", "Cường", "Bình", "Khánh",
)
_HONORIFICS = ("", "", "", "", "TS. ", "PGS.TS. ", "ThS. ", "GS.TS. ", "NCS. ")
_SOURCES = ("http://www.xaydungdang.org.vn", "http://www.xaydungdang.org.vn", "https://www.tapchicongsan.org.vn")

_TAGS = (
    "xây dựng Đảng", "công tác cán bộ", "tổ chức bộ máy", "tinh giản biên chế", "kiểm tra giám sát",
    "nêu gương", "chi bộ", "đảng viên", "Nghị quyết Trung ương 4", "Ban Tổ chức Trung ương",
    "cải cách hành chính", "chuyển đổi số", "Búa liềm vàng", "đại hội đảng", "hợp tác quốc tế",
    "dân vận", "phòng chống tham nhũng",
)

_CAPTIONS = (
    "Quang cảnh hội nghị",
    "Các đại biểu dự hội nghị",
    "Đồng chí Trưởng Ban Tổ chức Trung ương phát biểu tại hội nghị",
    "Trao Giải báo chí toàn quốc về xây dựng Đảng",
    "Đoàn công tác làm việc với Ban Thường vụ Tỉnh ủy",
    "Lễ kết nạp đảng viên mới",
    "Hội nghị giao ban trực tuyến",
    "Ảnh minh họa",
)
_CREDITS = ("TTXVN", "TTXVN", "Tư liệu", "XDĐ")


def _title_candidates(seed: Seed) -> tuple[str, ...]:
    return (seed.title, *seed.headings, *_TOPICS)


def _make_title(rng: random.Random, seed: Seed, year: int) -> str:
    topic = rng.choice(_title_candidates(seed))
    place = rng.choice(_PLACES)
    y0 = rng.choice((2015, 2020, 2021, 2025, 2026))
    variant = rng.randrange(9)
    if variant == 0:
        return topic
    if variant == 1:
        return f"{topic} ở {place}"
    if variant == 2:
        return f"{topic}: kinh nghiệm từ {place}"
    if variant == 3:
        return f"{place}: {_lower_first(topic)}"
    if variant == 4:
        return f"{topic} giai đoạn {y0}-{y0 + 5}"
    if variant == 5:
        return f"{topic} theo tinh thần Nghị quyết số {rng.randint(4, 58)}-NQ/TW"
    if variant == 6:
        return f"Kỳ {rng.randint(1, 5)}: {_lower_first(topic)}"
    if variant == 7:
        return f"{topic} năm {year}"
    return f"{place} {_lower_first(topic)} trong tình hình mới"


def _make_author(rng: random.Random, theme: str) -> tuple[str | None, str | None]:
    if rng.random() < 1 / 8:
        return None, None
    name = f"{rng.choice(_SURNAMES)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}"
    author = rng.choice(_HONORIFICS) + name
    # the portal reposts the magazine and names its source; the magazine itself rarely does
    p_source = {"portal": 0.8, "old": 0.2, "new": 0.1}[theme]
    source = rng.choice(_SOURCES) if rng.random() < p_source else None
    return author, source


def _image_url(rng: random.Random, theme: str, when: datetime, slug: str, n: int) -> str:
    d = when
    if theme == "portal":
        return f"/Portals/0/media/newsimage/{d:%Y}/{d:%m}/{slug[:40]}-{n}.jpg"
    if theme == "new":
        return f"/uploads/images/{d:%Y}/{d:%m}/{d:%d}/{slug[:40]}-{n}.jpg"
    # old site: upload folders per day and hour, original (Vietnamese, spaced) file names URL-encoded
    name = quote(f"{rng.choice(_CAPTIONS).split(' ')[0].lower()} {slug[:12]} {n}.jpg")
    return f"/Uploads/Images/{d:%Y}/{d:%m}/{d:%d}/{d:%H}/{name}"


def _make_body(rng: random.Random, seed: Seed, theme: str, when: datetime, slug: str) -> list[str]:
    paragraphs = rng.sample(seed.paragraphs, rng.randint(4, 10))
    if theme == "new":
        # 2025 bodies open with the magazine's dateline
        paragraphs[0] = "XDĐ - " + paragraphs[0]
    blocks: list[str] = list(paragraphs)
    # headings go before paragraphs 1..n-1 (never first); insert from the back so indexes hold
    n_head = rng.randint(1, min(3, len(paragraphs) - 1))
    positions = sorted(rng.sample(range(1, len(paragraphs)), n_head), reverse=True)
    headings = rng.sample(seed.headings, n_head)
    for pos, heading in zip(positions, headings, strict=False):
        blocks.insert(pos, f"## {heading}")
    n_img = rng.choice((0, 0, 1, 1, 1, 2))
    for k in range(1, n_img + 1):
        pos = rng.randint(1, len(blocks) - 1)
        if theme == "portal" and rng.random() < 0.5:
            # the portal's CMS sometimes leaves the image placeholder instead of the image
            blocks.insert(pos, f"{{image id ={k}}}")
            continue
        caption = rng.choice(_CAPTIONS)
        if theme == "new":
            caption += f" (Ảnh: {rng.choice(_CREDITS)})"
        blocks.insert(pos, f"![{caption}]({_image_url(rng, theme, when, slug, k)})")
    return blocks


def _make_lead(rng: random.Random, seed: Seed) -> str:
    first = rng.randrange(len(seed.sentences))
    count = rng.choice((1, 2))
    return " ".join(seed.sentences[first : first + count])


def _make_views(rng: random.Random) -> int:
    # a few very popular articles exercise counters with two separators (1.234.567)
    if rng.random() < 0.01:
        return rng.randint(1_000_000, 3_000_000)
    return rng.randint(100, 25_000)


def generate_article(
    rng: random.Random,
    *,
    id: int,
    published_at: datetime,
    category: str,
    theme: str = "old",
    taken_titles: set[str] | None = None,
    taken_slugs: set[str] | None = None,
) -> Article:
    """One article with content drawn from ``rng``; titles and slugs are kept unique in the sets."""
    seed = load_seed()
    taken_titles = taken_titles if taken_titles is not None else set()
    taken_slugs = taken_slugs if taken_slugs is not None else set()
    title = _make_title(rng, seed, published_at.year)
    for _ in range(20):
        if title not in taken_titles and slugify(title) not in taken_slugs:
            break
        title = _make_title(rng, seed, published_at.year)
    else:
        n = 2
        while f"{title} (phần {n})" in taken_titles or slugify(f"{title} (phần {n})") in taken_slugs:
            n += 1
        title = f"{title} (phần {n})"
    slug = slugify(title)
    taken_titles.add(title)
    taken_slugs.add(slug)
    author, source = _make_author(rng, theme)
    body = _make_body(rng, seed, theme, published_at, slug)
    modified = published_at
    if rng.random() < 0.2:
        modified = published_at + timedelta(minutes=rng.randint(5, 4 * 24 * 60))
    return Article(
        id=id,
        title=title,
        slug=slug,
        category=category,
        lead=_make_lead(rng, seed),
        body=body,
        author=author,
        source=source,
        tags=rng.sample(_TAGS, rng.randint(2, 4)),
        published_at=published_at,
        modified_at=modified,
        views=_make_views(rng),
        show_views=rng.random() >= 0.1,
        moved=theme == "new",
    )


# publication eras: (first date, last date, first id, last id)
_ERAS: dict[str, tuple[datetime, datetime, int, int]] = {
    "old": (datetime(2013, 1, 2, tzinfo=SITE_TZ), datetime(2024, 11, 28, tzinfo=SITE_TZ), 6000, 22000),
    "new": (datetime(2025, 1, 6, tzinfo=SITE_TZ), datetime(2026, 10, 30, tzinfo=SITE_TZ), 22100, 26000),
}


def _era(theme: str) -> tuple[datetime, datetime, int, int]:
    return _ERAS["new" if theme == "new" else "old"]


def generate_articles(n: int, seed: int = 1, *, theme: str = "old") -> list[Article]:
    """``n`` articles, oldest first, the same for the same ``(n, seed, theme)``.

    Ids rise with publication time (about 6,000 in 2013 to 22,000 in late 2024 for the old and portal
    themes; the new theme's articles date from 2025-2026); categories are spread evenly; titles and
    slugs are unique.
    """
    if theme not in THEME_NAMES:
        raise ConfigError(f"unknown theme {theme!r} (known: {', '.join(THEME_NAMES)})")
    if n < 0:
        raise ConfigError(f"the number of articles must be >= 0, not {n}")
    rng = random.Random(seed)
    start, end, id_lo, id_hi = _era(theme)
    span = (end - start).total_seconds()
    # publication times: n evenly spread slots, jittered inside each slot, at plausible office hours
    times: list[datetime] = []
    for i in range(n):
        frac = (i + rng.random() * 0.9) / max(n, 1)
        day = start + timedelta(seconds=span * frac)
        times.append(day.replace(hour=rng.randint(6, 21), minute=rng.randint(0, 59), second=0, microsecond=0))
    times.sort()
    # categories evenly: a shuffled round of the four for every four articles
    cats: list[str] = []
    while len(cats) < n:
        round_ = list(CATEGORIES)
        rng.shuffle(round_)
        cats.extend(round_)
    titles: set[str] = set()
    slugs: set[str] = set()
    articles: list[Article] = []
    prev_id = id_lo - 1
    for i, when in enumerate(times):
        frac = (when - start).total_seconds() / span
        art_id = max(prev_id + 1, id_lo + round((id_hi - id_lo) * frac))
        prev_id = art_id
        articles.append(
            generate_article(
                rng,
                id=art_id,
                published_at=when,
                category=cats[i],
                theme=theme,
                taken_titles=titles,
                taken_slugs=slugs,
            )
        )
    return articles


def first_id(theme: str) -> int:
    """The id an empty replica gives its first added article."""
    return _era(theme)[2]


# -- the hostile article ----------------------------------------------------------------------------

#: strings that attack whoever shows archived text: a browser (script, event handlers, ``javascript:``),
#: a terminal (Rich markup, ANSI escapes and control characters), a Markdown renderer, a spreadsheet
#: (formulas), C strings (NUL)
HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_ATTRIBUTE = '"><img src=x onerror=alert(1)>'
HOSTILE_JS_URL = "javascript:alert(document.domain)"
HOSTILE_RICH = ("[bold]", "[/bold]", "[trực tuyến]", "[link=https://example.invalid]bấm[/link]")
HOSTILE_FORMULAS = ('=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3")
HOSTILE_ANSI = "\x1b[31mđỏ\x1b[0m \x1b]8;;https://example.invalid\x1b\\liên kết\x1b]8;;\x1b\\ \x1b[2J"
HOSTILE_CONTROLS = "chuông\x07 lùi\x08 về đầu dòng\r NUL\x00 giữa câu"


def hostile_fields(seed: int = 1) -> dict[str, object]:
    """The fields of an article whose title, lead, author, source, tags and body carry hostile text.

    A real CMS escapes what editors type, so the served HTML shows all of it as text (``<script>`` as
    ``&lt;script&gt;``); only the link paragraphs are real links (one to a ``javascript:`` URL, one whose
    URL carries the attribute break-out). Control characters and a NUL are served raw, as a CMS stores
    them. Enough ordinary paragraphs follow for the page to read as an article.
    """
    rng = random.Random(f"hostile-{seed}")
    ordinary = rng.sample(load_seed().paragraphs, 3)
    formula, command, at_sum, minus = HOSTILE_FORMULAS
    return {
        "title": f"{formula} {HOSTILE_SCRIPT} {HOSTILE_ATTRIBUTE} [bold]Xây dựng Đảng[/bold] [trực tuyến] "
                 f"**đậm** \x1b[31mđỏ\x1b[0m",
        "lead": f"{command} Sapo có {HOSTILE_SCRIPT}, [/bold], _nghiêng_ và &amp; thực thể.",
        "author": f"{at_sum} [bold]Tác giả[/bold] <b>Nguyễn Văn A</b>",
        "source": HOSTILE_JS_URL,
        "tags": ["=1+1", HOSTILE_SCRIPT, "[bold]thẻ[/bold]", minus],
        "body": [
            f"Đoạn mở đầu có {HOSTILE_SCRIPT} và {HOSTILE_ATTRIBUTE} ngay trong văn bản. {ordinary[0]}",
            "## [bold]Mục[/bold] # không phải tiêu đề Markdown " + HOSTILE_SCRIPT,
            "Markdown: **in đậm**, _nghiêng_, [liên kết](http://example.invalid), ![ảnh](x.png), `mã`, "
            "| cột | cột |, > trích dẫn. Rich: " + " ".join(HOSTILE_RICH) + ".",
            "Công thức: " + " ; ".join(HOSTILE_FORMULAS),
            f"[Xem thêm {HOSTILE_SCRIPT}]({HOSTILE_JS_URL})",
            f'[Liên kết phá thuộc tính](https://example.invalid/a{HOSTILE_ATTRIBUTE.replace(" ", "%20")})',
            f"Điều khiển: {HOSTILE_ANSI} {HOSTILE_CONTROLS}.",
            *ordinary[1:],
        ],
    }
