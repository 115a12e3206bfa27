"""A DotNetNuke provincial portal reposting the magazine (the seed page's look)."""

from __future__ import annotations

from datetime import datetime

from xdd_archive.replica.content import CATEGORY_NAMES, SITE_TZ, load_seed
from xdd_archive.replica.themes.base import (
    PORTAL,
    ArticlePage,
    ListingPage,
    PageContext,
    Theme,
    esc,
    format_thousands,
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
            elif b.kind == "a":
                body.append(self.link_paragraph(b))
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
