"""HTML (and robots / sitemap / RSS) rendering for the replica's three themes.

The themes imitate three kinds of real pages (``replica/THEMES.md``): ``old`` (xaydungdang.org.vn,
ASP.NET tables and divs), ``new`` (the 2025 site, semantic HTML5 with ``article:*`` meta) and ``portal``
(a DotNetNuke provincial portal reposting the magazine, like the seed page). They are deliberately
different in tags, classes, date formats, heading and image markup, so that the extractor is exercised on
generic rules rather than on one template.

Rendering is pure: the server hands over plain page objects (:class:`ArticlePage`, :class:`ListingPage`)
and a :class:`PageContext`; nothing here reads the replica's state or the clock. All text is HTML-escaped.

Example::

    >>> get_theme("portal").date_text(datetime(2019, 10, 15, 19, 7, tzinfo=SITE_TZ))
    '15/10/2019 07:07 CH'
    >>> format_thousands(1234567)
    '1.234.567'
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

from xdd_archive.errors import ConfigError
from xdd_archive.replica.content import CATEGORY_NAMES, SITE_TZ, THEME_NAMES, Block, load_seed

__all__ = [
    "ArticlePage",
    "Link",
    "ListingPage",
    "PageContext",
    "SiteStats",
    "Theme",
    "format_thousands",
    "get_theme",
    "robots_txt",
    "rss_xml",
    "sitemap_xml",
]

MAGAZINE = "Tạp chí Xây dựng Đảng"
MAGAZINE_TAGLINE = "Cơ quan của Ban Chấp hành Trung ương Đảng Cộng sản Việt Nam"
PORTAL = "Cổng thông tin điện tử Đảng bộ tỉnh Lâm Đồng"

# Monday first, as datetime.weekday() counts
_WEEKDAYS = ("Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật")

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


def _category_path(slug: str, page: int = 1) -> str:
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
    def _meta_charset(ctx: PageContext) -> str:
        return '<meta charset="utf-8">' if ctx.meta_charset else ""

    @staticmethod
    def _pagination_links(page: ListingPage) -> list[tuple[str, str, str]]:
        """(css-ish role, href, label) for the numbered links, ``Trang trước`` and ``Trang sau``."""
        assert page.category is not None
        out: list[tuple[str, str, str]] = []
        if page.page > 1:
            out.append(("prev", _category_path(page.category, page.page - 1), "Trang trước"))
        for n in _page_numbers(page.page, page.pages):
            if n is None:
                out.append(("gap", "", "…"))
            elif n == page.page:
                out.append(("current", "", str(n)))
            else:
                out.append(("page", _category_path(page.category, n), str(n)))
        if page.page < page.pages:
            out.append(("next", _category_path(page.category, page.page + 1), "Trang sau"))
        return out


class OldTheme(Theme):
    """xaydungdang.org.vn (2013-2024): tables and divs, no ``article:*`` meta, no JSON-LD."""

    name = "old"
    body_open = '<div class="news-content">\n'

    def date_text(self, dt: datetime) -> str:
        dt = dt.astimezone(SITE_TZ)
        return f"{_WEEKDAYS[dt.weekday()]}, {dt:%d/%m/%Y - %H:%M}"

    def _head(self, title: str, ctx: PageContext, extra: str = "") -> str:
        return (
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
            '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
            '<html xmlns="http://www.w3.org/1999/xhtml">\n<head>\n'
            f"{self._meta_charset(ctx)}\n"
            f"<title>{esc(title)}</title>\n"
            f"{extra}"
            '<link href="/App_Themes/XDD/style.css" rel="stylesheet" type="text/css" />\n'
            "</head>\n"
        )

    def _top(self, ctx: PageContext, *, current: str | None = None) -> str:
        menu = ['<li><a href="/">Trang chủ</a></li>']
        for slug, name in CATEGORY_NAMES.items():
            cls = ' class="active"' if slug == current else ""
            menu.append(f'<li{cls}><a href="/{slug}">{esc(name)}</a></li>')
        return (
            '<body>\n<form name="aspnetForm" method="post" action="" id="aspnetForm">\n'
            '<div><input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="/wEPDwUKMTY1NDU2MTA1MmRk" /></div>\n'
            '<div id="wrapper">\n'
            '<table class="banner" width="100%" cellpadding="0" cellspacing="0"><tr>\n'
            f'<td class="logo"><a href="/"><img src="/images/logo-xdd.png" alt="{esc(MAGAZINE)}" /></a></td>\n'
            f'<td class="slogan">{esc(MAGAZINE)} - {esc(MAGAZINE_TAGLINE)}</td>\n'
            "</tr></table>\n"
            f'<div class="menu-top"><ul>{"".join(menu)}</ul></div>\n'
            '<div class="search-box"><input type="text" name="q" /> <a href="/tim-kiem">Tìm kiếm</a></div>\n'
            '<table class="main" width="100%" cellpadding="0" cellspacing="0"><tr>\n'
            '<td class="col-main" valign="top">\n'
        )

    def _bottom(self, ctx: PageContext, side: str = "") -> str:
        s = ctx.stats
        return (
            "</td>\n"
            f'<td class="col-right" valign="top" width="300">{side}\n'
            '<div class="box-thong-ke"><div class="box-title">Thống kê truy cập</div><ul>\n'
            f"<li>Đang online: {format_thousands(s.online)}</li>\n"
            f"<li>Trong tuần: {format_thousands(s.week)}</li>\n"
            f"<li>Trong tháng: {format_thousands(s.month)}</li>\n"
            f"<li>Tổng số: {format_thousands(s.total)}</li>\n"
            "</ul></div>\n</td>\n</tr></table>\n"
            '<div class="footer"><p>' + esc(MAGAZINE) + " - " + esc(MAGAZINE_TAGLINE) + "</p>\n"
            "<p>Giấy phép số 1616/GP-BTTTT. Tòa soạn: 41 Phố Hàng Bài, Hoàn Kiếm, Hà Nội. "
            "Điện thoại: 080.48216</p>\n"
            "<p>Ghi rõ nguồn &quot;Tạp chí Xây dựng Đảng&quot; khi phát hành lại thông tin từ website này.</p></div>\n"
            "</div>\n</form>\n</body>\n</html>\n"
        )

    @staticmethod
    def _list(heading: str, links: list[Link]) -> str:
        if not links:
            return ""
        items = "".join(f'<li><a href="{esc(x.path)}">{esc(x.title)}</a></li>' for x in links)
        return f'<div class="other-news"><div class="other-title">{esc(heading)}</div><ul>{items}</ul></div>\n'

    def article(self, page: ArticlePage, ctx: PageContext) -> str:
        head = self._head(
            f"{page.title} - {MAGAZINE}",
            ctx,
            f'<meta name="description" content="{esc(page.lead)}" />\n'
            f'<meta name="keywords" content="{esc(", ".join(page.tags))}" />\n'
            f'<meta property="og:title" content="{esc(page.title)}" />\n',
        )
        body: list[str] = []
        # headings alternate between the two markups editors used on the old site
        use_h3 = page.id % 2 == 0
        for b in page.blocks:
            if b.kind == "h":
                body.append(f"<h3>{esc(b.text)}</h3>" if use_h3 else f"<p><strong>{esc(b.text)}</strong></p>")
            elif b.kind == "img":
                body.append(f'<p style="text-align: center;"><img src="{esc(b.url)}" alt="" border="0" /></p>')
                if b.text:
                    body.append(f'<p style="text-align: center;"><em>{esc(b.text)}</em></p>')
            else:
                body.append(f'<p style="text-align: justify;">{esc(b.text)}</p>')
        if page.author_line:
            body.append(f'<p style="text-align: right;"><strong>{esc(page.author_line)}</strong></p>')
        url = ctx.base_url + page.path
        views = f'<div class="news-view">{esc(self.views_text(page.views))}</div>\n' if page.views is not None else ""
        tags = ", ".join(f'<a href="/tim-kiem?q={quote(t)}">{esc(t)}</a>' for t in page.tags)
        cat = page.category
        return (
            head
            + self._top(ctx, current=cat)
            + '<div class="breadcrumb"><a href="/">Trang chủ</a> » '
            + f'<a href="/{cat}">{esc(CATEGORY_NAMES[cat])}</a></div>\n'
            + '<div class="news-detail">\n'
            + f'<h1 class="title">{esc(page.title)}</h1>\n'
            + f'<div class="news-date">{esc(self.date_text(page.published_at))}</div>\n'
            + '<div class="news-tools"><a href="javascript:window.print();" class="print">In trang</a> | '
            + f'<a href="mailto:?subject={quote(page.title)}&amp;body={quote(url)}" class="email">Gửi email</a> | '
            + f'<a href="https://www.facebook.com/sharer/sharer.php?u={quote(url)}" class="share" '
            + 'target="_blank">Chia sẻ</a></div>\n'
            + f'<div class="news-sapo"><strong>{esc(page.lead)}</strong></div>\n'
            + self.body_open
            + "\n".join(body)
            + "\n</div>\n"
            + views
            + f'<div class="news-tags">Từ khóa: {tags}</div>\n'
            + self._list("Tin liên quan", page.related)
            + self._list("Các tin khác", page.others)
            + "</div>\n"
            + self._bottom(ctx)
        )

    def listing(self, page: ListingPage, ctx: PageContext) -> str:
        if page.category is None:
            title, heading = f"{MAGAZINE} - {MAGAZINE_TAGLINE}", "Tin mới"
        else:
            name = CATEGORY_NAMES[page.category]
            suffix = f" - Trang {page.page}" if page.page > 1 else ""
            title, heading = f"{name}{suffix} - {MAGAZINE}", name
        rows = []
        for x in page.items:
            day = f"{x.published_at.astimezone(SITE_TZ):%d/%m/%Y}" if x.published_at else ""
            date = f'<span class="date">({day})</span>' if day else ""
            rows.append(
                f'<div class="item-news"><a class="title-news" href="{esc(x.path)}">{esc(x.title)}</a> {date}'
                f'<div class="sapo">{esc(x.lead or "")}</div></div>'
            )
        pager = ""
        if page.category is not None and page.pages > 1:
            parts = []
            for role, href, label in self._pagination_links(page):
                if role == "current":
                    parts.append(f"<span class=\"current\">{label}</span>")
                elif role == "gap":
                    parts.append("<span>…</span>")
                else:
                    rel = f' rel="{role}"' if role in ("next", "prev") else ""
                    parts.append(f'<a href="{esc(href)}"{rel}>{esc(label)}</a>')
            pager = '<div class="paging">' + " ".join(parts) + "</div>\n"
        crumb = (
            f'<div class="breadcrumb"><a href="/">Trang chủ</a> » {esc(heading)}</div>\n'
            if page.category is not None
            else ""
        )
        return (
            self._head(title, ctx)
            + self._top(ctx, current=page.category)
            + crumb
            + f'<div class="list-news"><div class="cat-title">{esc(heading)}</div>\n'
            + "\n".join(rows)
            + "\n</div>\n"
            + pager
            + self._bottom(ctx)
        )

    def message(self, heading: str, text: str, ctx: PageContext, *, title: str | None = None) -> str:
        return (
            self._head(f"{title or heading} - {MAGAZINE}", ctx)
            + self._top(ctx)
            + f'<div class="message"><h2>{esc(heading)}</h2><p>{esc(text)}</p>'
            + '<p><a href="/">Quay về trang chủ</a></p></div>\n'
            + self._bottom(ctx)
        )


class NewTheme(Theme):
    """xaydungdang.tapchicongsan.org.vn (2025-): HTML5, ``og:*`` and ``article:*`` meta, figures."""

    name = "new"
    server_header = "nginx"
    extra_headers = ()
    body_open = '<div class="article__body">\n'

    def date_text(self, dt: datetime) -> str:
        return f"{dt.astimezone(SITE_TZ):%d/%m/%Y | %H:%M}"

    def views_text(self, views: int) -> str:
        return f"{format_thousands(views)} lượt xem"

    def _head(self, title: str, ctx: PageContext, meta: str = "") -> str:
        return (
            '<!doctype html>\n<html lang="vi">\n<head>\n'
            f"{self._meta_charset(ctx)}\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n"
            f"{meta}"
            '<link rel="stylesheet" href="/assets/css/main.css">\n'
            "</head>\n"
        )

    def _header(self, current: str | None = None) -> str:
        nav = "".join(
            f'<li class="nav__item{" is-active" if slug == current else ""}"><a href="/{slug}">{esc(name)}</a></li>'
            for slug, name in CATEGORY_NAMES.items()
        )
        return (
            '<body>\n<header class="site-header">\n'
            f'<a class="site-header__logo" href="/">{esc(MAGAZINE)}</a>\n'
            f'<p class="site-header__tagline">{esc(MAGAZINE_TAGLINE)}</p>\n'
            f'<nav class="site-nav" aria-label="Chuyên mục"><ul>{nav}</ul></nav>\n'
            '<form class="site-search" action="/tim-kiem"><input name="q" placeholder="Tìm kiếm"></form>\n'
            "</header>\n"
        )

    def _footer(self, ctx: PageContext) -> str:
        s = ctx.stats
        return (
            '<footer class="site-footer">\n'
            f"<p>{esc(MAGAZINE)} - {esc(MAGAZINE_TAGLINE)}</p>\n"
            "<p>Giấy phép số 1616/GP-BTTTT. Bản quyền thuộc Tạp chí Xây dựng Đảng.</p>\n"
            '<aside class="site-stats"><h2>Thống kê truy cập</h2>\n'
            f"<span>Đang online: {format_thousands(s.online)}</span> "
            f"<span>Hôm nay: {format_thousands(s.week // 7 + 1)}</span> "
            f"<span>Tổng lượt truy cập: {format_thousands(s.total)}</span></aside>\n"
            "</footer>\n</body>\n</html>\n"
        )

    def article(self, page: ArticlePage, ctx: PageContext) -> str:
        url = ctx.base_url + page.path
        images = [b for b in page.blocks if b.kind == "img"]
        og_image = ctx.base_url + (images[0].url if images and images[0].url else "/images/og-default.jpg")
        published = page.published_at.astimezone(SITE_TZ).isoformat()
        modified = page.modified_at.astimezone(SITE_TZ).isoformat()
        meta = [
            f'<meta name="description" content="{esc(page.lead)}">',
            f'<link rel="canonical" href="{esc(url)}">',
            '<meta property="og:type" content="article">',
            f'<meta property="og:title" content="{esc(page.title)}">',
            f'<meta property="og:description" content="{esc(page.lead)}">',
            f'<meta property="og:image" content="{esc(og_image)}">',
            f'<meta property="og:url" content="{esc(url)}">',
            f'<meta property="article:published_time" content="{published}">',
            f'<meta property="article:modified_time" content="{modified}">',
            f'<meta property="article:section" content="{esc(CATEGORY_NAMES[page.category])}">',
            *(f'<meta property="article:tag" content="{esc(t)}">' for t in page.tags),
        ]
        body: list[str] = []
        for b in page.blocks:
            if b.kind == "h":
                body.append(f"<h2>{esc(b.text)}</h2>")
            elif b.kind == "img":
                cap = f"<figcaption>{esc(b.text)}</figcaption>" if b.text else ""
                # the 2025 CMS writes absolute image URLs, with the host the page was asked under
                src = ctx.base_url + b.url if b.url and b.url.startswith("/") else b.url
                img = f'<img src="{esc(src)}" alt="{esc(b.text)}" loading="lazy">'
                body.append(f'<figure class="image">{img}{cap}</figure>')
            else:
                body.append(f"<p>{esc(b.text)}</p>")
        if page.author_line:
            body.append(f'<p style="text-align:right"><b>{esc(page.author_line)}</b></p>')
        views = (
            f'<div class="article__views">{esc(self.views_text(page.views))}</div>\n' if page.views is not None else ""
        )
        tags = "".join(f'<li><a href="/tim-kiem?q={quote(t)}" rel="tag">{esc(t)}</a></li>' for t in page.tags)
        related = "".join(
            f'<li><a href="{esc(x.path)}">{esc(x.title)}</a></li>' for x in page.related + page.others
        )
        cat = page.category
        return (
            self._head(f"{page.title} | {MAGAZINE}", ctx, "\n".join(meta) + "\n")
            + self._header(cat)
            + '<main class="container">\n'
            + '<nav class="breadcrumbs" aria-label="breadcrumb"><ol><li><a href="/">Trang chủ</a></li>'
            + f'<li><a href="/{cat}">{esc(CATEGORY_NAMES[cat])}</a></li></ol></nav>\n'
            + '<article class="article">\n<header class="article__header">\n'
            + f'<h1 class="article__title">{esc(page.title)}</h1>\n'
            + f'<div class="article__meta"><time datetime="{published}">'
            + f"{esc(self.date_text(page.published_at))}</time></div>\n"
            + '<div class="article__share"><a class="share-fb" href="https://www.facebook.com/sharer/sharer.php?u='
            + f'{quote(url)}">Facebook</a> <a class="share-zalo" href="https://zalo.me/share?u={quote(url)}">Zalo</a> '
            + '<a class="share-print" href="javascript:window.print()">In trang</a></div>\n'
            + "</header>\n"
            + f'<div class="article__sapo">{esc(page.lead)}</div>\n'
            + self.body_open
            + "\n".join(body)
            + "\n</div>\n"
            + views
            + f'<div class="article__tags"><span>Từ khóa</span><ul>{tags}</ul></div>\n'
            + "</article>\n"
            + (f'<section class="related"><h2>Bài viết liên quan</h2><ul>{related}</ul></section>\n' if related else "")
            + "</main>\n"
            + self._footer(ctx)
        )

    def listing(self, page: ListingPage, ctx: PageContext) -> str:
        meta = ""
        if page.category is None:
            title, heading = MAGAZINE, "Tin mới nhất"
        else:
            name = CATEGORY_NAMES[page.category]
            title = f"{name} | {MAGAZINE}" + (f" | Trang {page.page}" if page.page > 1 else "")
            heading = name
            if page.page > 1:
                meta += f'<link rel="prev" href="{esc(_category_path(page.category, page.page - 1))}">\n'
            if page.page < page.pages:
                meta += f'<link rel="next" href="{esc(_category_path(page.category, page.page + 1))}">\n'
        stories = []
        for x in page.items:
            when = f'<time>{esc(self.date_text(x.published_at))}</time>' if x.published_at else ""
            stories.append(
                f'<article class="story"><h3 class="story__title"><a href="{esc(x.path)}">{esc(x.title)}</a></h3>'
                f'{when}<p class="story__sapo">{esc(x.lead or "")}</p></article>'
            )
        pager = ""
        if page.category is not None and page.pages > 1:
            items = []
            for role, href, label in self._pagination_links(page):
                if role == "current":
                    items.append(f'<li class="is-current"><span aria-current="page">{label}</span></li>')
                elif role == "gap":
                    items.append("<li>…</li>")
                else:
                    rel = f' rel="{role}"' if role in ("next", "prev") else ""
                    items.append(f'<li><a href="{esc(href)}"{rel}>{esc(label)}</a></li>')
            pager = f'<nav class="pagination"><ul>{"".join(items)}</ul></nav>\n'
        return (
            self._head(title, ctx, meta)
            + self._header(page.category)
            + '<main class="container">\n'
            + f'<section class="story-list"><h1 class="section-title">{esc(heading)}</h1>\n'
            + "\n".join(stories)
            + "\n</section>\n"
            + pager
            + "</main>\n"
            + self._footer(ctx)
        )

    def message(self, heading: str, text: str, ctx: PageContext, *, title: str | None = None) -> str:
        return (
            self._head(f"{title or heading} | {MAGAZINE}", ctx)
            + self._header()
            + f'<main class="container notice"><h1>{esc(heading)}</h1><p>{esc(text)}</p>'
            + '<p><a href="/">Về trang chủ</a></p></main>\n'
            + self._footer(ctx)
        )


class PortalTheme(Theme):
    """A DotNetNuke provincial portal reposting the magazine (the seed page's look)."""

    name = "portal"
    # DNN module container id, as in dnn_ctr1453_ArticleDetail_...
    module = "dnn_ctr1453_ArticleDetail"
    body_open = f'<div id="{module}_divArticleDescription" class="ArticleContent">\n'

    def date_text(self, dt: datetime) -> str:
        dt = dt.astimezone(SITE_TZ)
        hour = dt.hour % 12 or 12
        return f"{dt:%d/%m/%Y} {hour:02d}:{dt:%M} {'SA' if dt.hour < 12 else 'CH'}"

    def _head(self, title: str, ctx: PageContext, meta: str = "") -> str:
        return (
            '<!DOCTYPE html>\n<html lang="vi-VN">\n<head id="Head">\n'
            f"{self._meta_charset(ctx)}\n"
            f"<title>{esc(title)}</title>\n"
            f"{meta}"
            '<link href="/Portals/_default/default.css" rel="stylesheet" type="text/css" />\n'
            '<link href="/Portals/0/portal.css" rel="stylesheet" type="text/css" />\n'
            "</head>\n"
        )

    def _top(self, current: str | None = None) -> str:
        slogans = "&nbsp;" * 40
        slogans = slogans.join(esc(s) for s in load_seed().slogans)
        menu = ['<li><a href="/">Trang chủ</a></li>']
        for slug, name in CATEGORY_NAMES.items():
            sel = ' class="selected"' if slug == current else ""
            menu.append(f'<li{sel}><a href="/{slug}">{esc(name)}</a></li>')
        return (
            '<body id="Body">\n<form method="post" action="" id="Form" enctype="multipart/form-data">\n'
            '<div class="aspNetHidden"><input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" '
            'value="/wEPDwUKLTEyMDM5NDY2Mw9kFgYCAw" /></div>\n'
            '<div id="dnn_BannerPane" class="BannerPane">\n'
            f'<div class="Logo"><a href="/"><img src="/Portals/0/logo.png" alt="{esc(PORTAL)}" /></a></div>\n'
            f'<div class="Slogan"><marquee scrollamount="3">{slogans}</marquee></div>\n'
            "</div>\n"
            f'<div id="dnn_MenuPane"><ul class="dnnmenu">{"".join(menu)}</ul></div>\n'
            '<table id="dnn_Layout" width="100%"><tr>\n<td id="dnn_ContentPane" valign="top">\n'
        )

    def _bottom(self, ctx: PageContext) -> str:
        s = ctx.stats
        return (
            "</td>\n"
            '<td id="dnn_RightPane" valign="top" width="260">\n'
            '<div class="DnnModule DnnModule-ThongKe">'
            '<div class="c_head"><span class="Head">Thống kê truy cập</span></div>\n'
            '<ul class="thongke">\n'
            f'<li><span class="counter">{s.total:09d}</span></li>\n'
            f"<li>&nbsp;Đang online: {format_thousands(s.online)}</li>\n"
            f"<li>&nbsp;Trong tuần: {format_thousands(s.week)}</li>\n"
            f"<li>&nbsp;Trong tháng: {format_thousands(s.month)}</li>\n"
            f"<li>&nbsp;Trong năm: {format_thousands(s.year)}</li>\n"
            "</ul></div>\n</td>\n</tr></table>\n"
            f'<div id="dnn_FooterPane" class="FooterPane"><p>{esc(PORTAL)}</p>\n'
            "<p>Cơ quan chủ quản: Tỉnh ủy Lâm Đồng. Địa chỉ: 02 Trần Hưng Đạo, Đà Lạt.</p></div>\n"
            "</form>\n</body>\n</html>\n"
        )

    def article(self, page: ArticlePage, ctx: PageContext) -> str:
        m = self.module
        body: list[str] = []
        for b in page.blocks:
            if b.kind == "h":
                body.append(f"<p><strong>{esc(b.text)}</strong></p>")
            elif b.kind == "img":
                body.append(f'<p style="text-align:center"><img src="{esc(b.url)}" alt="" /></p>')
                if b.text:
                    body.append(f'<p style="text-align:center"><em>{esc(b.text)}</em></p>')
            else:
                # token blocks ({image id =N}) are printed as is: the CMS left them in the text
                body.append(f"<p>{esc(b.text)}</p>")
        body.append("<p>&nbsp;</p>")
        if page.author_line:
            body.append(f'<p align="right"><strong>{esc(page.author_line)}</strong></p>')
        views = (
            f'<div class="ArticleViews"><span id="{m}_lblViews">{esc(self.views_text(page.views))}</span></div>\n'
            if page.views is not None
            else ""
        )
        others = "".join(
            f'<li><a href="{esc(x.path)}">{esc(x.title)}</a>'
            + (f' <span class="date">({x.published_at.astimezone(SITE_TZ):%d/%m/%Y})</span>' if x.published_at else "")
            + "</li>"
            for x in page.related + page.others
        )
        meta = (
            f'<meta name="DESCRIPTION" content="{esc(page.lead)}" />\n'
            f'<meta name="KEYWORDS" content="{esc(", ".join(page.tags))}" />\n'
        )
        return (
            self._head(f"{page.title} - {PORTAL}", ctx, meta)
            + self._top(page.category)
            + '<div class="DnnModule DnnModule-ArticleDetail"><div id="dnn_ctr1453_ContentPane">\n'
            + '<div id="dnn_ctr1453_ModuleContent">\n<table class="tblArticle" width="100%">\n'
            + f'<tr><td><span id="{m}_lblTitle" class="ArticleTitle">{esc(page.title)}</span> '
            + f'<a id="{m}_hlPrint" class="PrintLink" href="javascript:window.print()">In trang</a></td></tr>\n'
            + f'<tr><td><span id="{m}_lblDate" class="ArticleDate">'
            + f"{esc(self.date_text(page.published_at))}</span></td></tr>\n"
            + f'<tr><td><div id="{m}_divArticleLead" class="ArticleLead"><b>{esc(page.lead)}</b></div>\n'
            + self.body_open
            + "\n".join(body)
            + "\n</div>\n"
            + views
            + "</td></tr>\n</table>\n"
            + (
                f'<div class="OtherArticles"><span class="Head">Các tin khác</span><ul>{others}</ul></div>\n'
                if others
                else ""
            )
            + "</div></div></div>\n"
            + self._bottom(ctx)
        )

    def listing(self, page: ListingPage, ctx: PageContext) -> str:
        if page.category is None:
            title, heading = PORTAL, "Tin tức - Sự kiện"
        else:
            heading = CATEGORY_NAMES[page.category]
            title = f"{heading} - {PORTAL}"
        rows = []
        for x in page.items:
            when = f'<span class="ArticleDate">{esc(self.date_text(x.published_at))}</span>' if x.published_at else ""
            rows.append(
                f'<tr><td><a class="ArticleTitle" href="{esc(x.path)}">{esc(x.title)}</a> {when}'
                f'<div class="ArticleLead">{esc(x.lead or "")}</div></td></tr>'
            )
        pager = ""
        if page.category is not None and page.pages > 1:
            parts = []
            for role, href, label in self._pagination_links(page):
                if role == "current":
                    parts.append(f'<span class="CommandButtonDisabled">{label}</span>')
                elif role == "gap":
                    parts.append("<span>…</span>")
                else:
                    rel = f' rel="{role}"' if role in ("next", "prev") else ""
                    parts.append(f'<a class="CommandButton" href="{esc(href)}"{rel}>{esc(label)}</a>')
            pager = f'<div class="PagingTable">{" ".join(parts)}</div>\n'
        return (
            self._head(title, ctx)
            + self._top(page.category)
            + '<div class="DnnModule DnnModule-ArticleList">'
            + f'<div class="c_head"><span class="Head">{esc(heading)}</span></div>\n'
            + '<table class="tblListArticle" width="100%">\n'
            + "\n".join(rows)
            + "\n</table>\n"
            + pager
            + "</div>\n"
            + self._bottom(ctx)
        )

    def message(self, heading: str, text: str, ctx: PageContext, *, title: str | None = None) -> str:
        return (
            self._head(f"{title or heading} - {PORTAL}", ctx)
            + self._top()
            + f'<div class="dnnFormMessage dnnFormWarning"><h2>{esc(heading)}</h2><p>{esc(text)}</p></div>\n'
            + self._bottom(ctx)
        )


_THEMES: dict[str, Theme] = {t.name: t for t in (OldTheme(), NewTheme(), PortalTheme())}
assert tuple(_THEMES) == THEME_NAMES


def get_theme(name: str) -> Theme:
    """The theme called ``name`` (``old``, ``new`` or ``portal``); ConfigError for any other."""
    try:
        return _THEMES[name]
    except KeyError:
        raise ConfigError(f"unknown theme {name!r} (known: {', '.join(THEME_NAMES)})") from None


# -- robots, sitemap, feed (the same for every theme) ----------------------------------------------


def robots_txt(base_url: str) -> str:
    """robots.txt: the control API and search are off limits; the sitemap is named."""
    return (
        "User-agent: *\n"
        "Disallow: /_control/\n"
        "Disallow: /tim-kiem\n"
        "\n"
        f"Sitemap: {base_url}/sitemap.xml\n"
    )


def sitemap_xml(entries: list[tuple[str, datetime]], base_url: str) -> str:
    """A sitemap of ``(path, lastmod)`` entries."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for path, lastmod in entries:
        out.append(
            f"<url><loc>{xml_escape(base_url + path)}</loc>"
            f"<lastmod>{lastmod.astimezone(SITE_TZ).isoformat()}</lastmod></url>"
        )
    out.append("</urlset>\n")
    return "\n".join(out)


def rss_xml(items: list[Link], base_url: str, *, title: str = MAGAZINE) -> str:
    """An RSS 2.0 feed of ``items`` (newest first)."""
    build = items[0].published_at if items and items[0].published_at else datetime(2013, 1, 1, tzinfo=SITE_TZ)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0">',
        "<channel>",
        f"<title>{xml_escape(title)}</title>",
        f"<link>{xml_escape(base_url)}/</link>",
        f"<description>{xml_escape(MAGAZINE_TAGLINE)}</description>",
        "<language>vi</language>",
        f"<lastBuildDate>{format_datetime(build.astimezone(SITE_TZ))}</lastBuildDate>",
    ]
    for x in items:
        url = xml_escape(base_url + x.path)
        out.append("<item>")
        out.append(f"<title>{xml_escape(x.title)}</title>")
        out.append(f"<link>{url}</link>")
        out.append(f'<guid isPermaLink="true">{url}</guid>')
        if x.category:
            out.append(f"<category>{xml_escape(CATEGORY_NAMES.get(x.category, x.category))}</category>")
        if x.lead:
            out.append(f"<description>{xml_escape(x.lead)}</description>")
        if x.published_at:
            out.append(f"<pubDate>{format_datetime(x.published_at.astimezone(SITE_TZ))}</pubDate>")
        out.append("</item>")
    out.append("</channel>\n</rss>\n")
    return "\n".join(out)
