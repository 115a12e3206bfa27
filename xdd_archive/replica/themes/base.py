"""What every theme shares: the page objects the server hands over, the context, the base class.

Rendering is pure: the server hands over plain page objects (:class:`ArticlePage`, :class:`ListingPage`)
and a :class:`PageContext`; nothing here reads the replica's state or the clock. All text is HTML-escaped.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime

from xdd_archive.replica.content import Block

__all__ = [
    "MAGAZINE",
    "MAGAZINE_TAGLINE",
    "PORTAL",
    "WEEKDAYS",
    "ArticlePage",
    "Link",
    "ListingPage",
    "PageContext",
    "SiteStats",
    "Theme",
    "category_path",
    "esc",
    "format_thousands",
]

MAGAZINE = "Tạp chí Xây dựng Đảng"
MAGAZINE_TAGLINE = "Cơ quan của Ban Chấp hành Trung ương Đảng Cộng sản Việt Nam"
PORTAL = "Cổng thông tin điện tử Đảng bộ tỉnh Lâm Đồng"

# Monday first, as datetime.weekday() counts
WEEKDAYS = ("Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật")

_NOT_FOUND = "Không tìm thấy trang"
_MAINTENANCE = "Hệ thống đang bảo trì, vui lòng quay lại sau"

# status -> (page heading, explanation)
_ERRORS: dict[int, tuple[str, str]] = {
    404: (_NOT_FOUND, "Trang bạn yêu cầu không tồn tại hoặc đã bị xóa."),
    410: (_NOT_FOUND, "Bài viết này đã bị gỡ bỏ khỏi hệ thống."),
    429: ("Quá nhiều yêu cầu", "Bạn đã gửi quá nhiều yêu cầu, vui lòng thử lại sau ít phút."),
    500: ("Lỗi hệ thống", "Đã xảy ra lỗi trong quá trình xử lý, vui lòng thử lại sau."),
    503: ("Dịch vụ tạm thời gián đoạn", "Máy chủ đang quá tải, vui lòng quay lại sau."),
}


def esc(text: object) -> str:
    """HTML-escape text for element content and attribute values alike."""
    return html.escape(str(text), quote=True)


def format_thousands(n: int) -> str:
    """``1234567`` -> ``1.234.567``: Vietnamese thousands separator."""
    return f"{n:,}".replace(",", ".")


def category_path(slug: str, page: int = 1) -> str:
    return f"/{slug}" if page <= 1 else f"/{slug}?page={page}"


# -- page objects ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """An article as it appears in a list: title, path, and optionally its date and lead."""

    title: str
    path: str
    published_at: datetime | None = None
    lead: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class SiteStats:
    """The numbers of the ``Thống kê truy cập`` widget (they change from request to request)."""

    online: int = 172
    week: int = 172
    month: int = 51_751
    year: int = 801_765
    total: int = 2_962_630


@dataclass(frozen=True)
class PageContext:
    """What every page needs besides its content: the canonical base URL and the widget's numbers.

    ``meta_charset=False`` leaves out ``<meta charset="utf-8">`` (the wrong-charset misbehaviour).
    """

    base_url: str
    stats: SiteStats = field(default_factory=SiteStats)
    meta_charset: bool = True


@dataclass(frozen=True)
class ArticlePage:
    """Everything an article page shows, already in the served Unicode form."""

    id: int
    title: str
    lead: str
    blocks: list[Block]
    author_line: str | None
    tags: list[str]
    category: str
    published_at: datetime
    modified_at: datetime
    views: int | None
    path: str
    related: list[Link] = field(default_factory=list)
    others: list[Link] = field(default_factory=list)


@dataclass(frozen=True)
class ListingPage:
    """A category listing page (``category`` set) or the home page (``category=None``)."""

    category: str | None
    items: list[Link]
    page: int = 1
    pages: int = 1


def _page_numbers(page: int, pages: int) -> list[int | None]:
    """Page numbers to link: first, last and a window around ``page``; None marks a gap (``…``)."""
    wanted = {1, pages, *range(max(1, page - 3), min(pages, page + 3) + 1)}
    out: list[int | None] = []
    prev = 0
    for n in sorted(wanted):
        if n - prev > 1:
            out.append(None)
        out.append(n)
        prev = n
    return out


# -- the themes -----------------------------------------------------------------------------------


class Theme:
    """Base class: one site look. Subclasses render every HTML page of the site."""

    name = "base"
    #: the ``Server`` header the site's web server announces
    server_header = "Microsoft-IIS/8.5"
    #: extra response headers on every page
    extra_headers: tuple[tuple[str, str], ...] = (("X-Powered-By", "ASP.NET"),)
    #: the opening tag (and newline) of the element that holds an article's body; the body ends at the
    #: next ``\n</div>`` (escaped text never contains one), so faults can cut inside the article
    body_open = ""

    # formats ---------------------------------------------------------------------------------------

    def date_text(self, dt: datetime) -> str:
        """The article date as the theme prints it."""
        raise NotImplementedError

    def views_text(self, views: int) -> str:
        """The view counter as the theme prints it."""
        return f"Lượt xem: {format_thousands(views)}"

    def body_span(self, page: str) -> tuple[int, int] | None:
        """Character offsets of the article body in an article page this theme rendered (None: none)."""
        start = page.find(self.body_open) if self.body_open else -1
        if start < 0:
            return None
        start += len(self.body_open)
        end = page.find("\n</div>", start)
        return (start, end) if end > start else None

    # pages -----------------------------------------------------------------------------------------

    def article(self, page: ArticlePage, ctx: PageContext) -> str:
        """An article page."""
        raise NotImplementedError

    def listing(self, page: ListingPage, ctx: PageContext) -> str:
        """A category listing page, or the home page when ``page.category`` is None."""
        raise NotImplementedError

    def message(self, heading: str, text: str, ctx: PageContext, *, title: str | None = None) -> str:
        """A page with the site's chrome and one message instead of content."""
        raise NotImplementedError

    def error(self, status: int, ctx: PageContext) -> str:
        """The error page for ``status`` (404, 410, 429, 500, 503)."""
        heading, text = _ERRORS.get(status, ("Lỗi", "Đã xảy ra lỗi."))
        return self.message(heading, text, ctx, title=f"{status} - {heading}")

    def maintenance(self, ctx: PageContext) -> str:
        """The maintenance page, which the site serves with status 200."""
        return self.message("Thông báo", _MAINTENANCE + ".", ctx, title="Bảo trì hệ thống")

    # shared pieces ---------------------------------------------------------------------------------

    @staticmethod
    def link_paragraph(block: Block, attrs: str = "") -> str:
        """A body paragraph that is one link (``Block`` kind ``a``): a real anchor, its text escaped."""
        return f'<p{attrs}><a href="{esc(block.url or "")}">{esc(block.text)}</a></p>'

    @staticmethod
    def _meta_charset(ctx: PageContext) -> str:
        return '<meta charset="utf-8">' if ctx.meta_charset else ""

    @staticmethod
    def _pagination_links(page: ListingPage) -> list[tuple[str, str, str]]:
        """(css-ish role, href, label) for the numbered links, ``Trang trước`` and ``Trang sau``."""
        assert page.category is not None
        out: list[tuple[str, str, str]] = []
        if page.page > 1:
            out.append(("prev", category_path(page.category, page.page - 1), "Trang trước"))
        for n in _page_numbers(page.page, page.pages):
            if n is None:
                out.append(("gap", "", "…"))
            elif n == page.page:
                out.append(("current", "", str(n)))
            else:
                out.append(("page", category_path(page.category, n), str(n)))
        if page.page < page.pages:
            out.append(("next", category_path(page.category, page.page + 1), "Trang sau"))
        return out
