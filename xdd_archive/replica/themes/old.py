"""The old site: xaydungdang.org.vn (2013-2024), ASP.NET tables and divs."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from xdd_archive.replica.content import CATEGORY_NAMES, SITE_TZ
from xdd_archive.replica.themes.base import (
    MAGAZINE,
    MAGAZINE_TAGLINE,
    WEEKDAYS,
    ArticlePage,
    Link,
    ListingPage,
    PageContext,
    Theme,
    esc,
    format_thousands,
)


class OldTheme(Theme):
    """xaydungdang.org.vn (2013-2024): tables and divs, no ``article:*`` meta, no JSON-LD."""

    name = "old"
    body_open = '<div class="news-content">\n'

    def date_text(self, dt: datetime) -> str:
        dt = dt.astimezone(SITE_TZ)
        return f"{WEEKDAYS[dt.weekday()]}, {dt:%d/%m/%Y - %H:%M}"

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
            elif b.kind == "a":
                body.append(self.link_paragraph(b, ' style="text-align: justify;"'))
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
