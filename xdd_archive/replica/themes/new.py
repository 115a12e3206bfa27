"""The 2025 site: xaydungdang.tapchicongsan.org.vn, semantic HTML5 with ``og:*`` and ``article:*`` meta."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from xdd_archive.replica.content import CATEGORY_NAMES, SITE_TZ
from xdd_archive.replica.themes.base import (
    MAGAZINE,
    MAGAZINE_TAGLINE,
    ArticlePage,
    ListingPage,
    PageContext,
    Theme,
    category_path,
    esc,
    format_thousands,
)


class NewTheme(Theme):
    """xaydungdang.tapchicongsan.org.vn (2025-): HTML5, ``og:*`` and ``article:*`` meta, figures."""

    name = "new"
    server_header = "nginx"
    extra_headers: tuple[tuple[str, str], ...] = ()
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
            elif b.kind == "a":
                body.append(self.link_paragraph(b))
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
                meta += f'<link rel="prev" href="{esc(category_path(page.category, page.page - 1))}">\n'
            if page.page < page.pages:
                meta += f'<link rel="next" href="{esc(category_path(page.category, page.page + 1))}">\n'
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
