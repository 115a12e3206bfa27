"""The next redesign of the 2025 site: same titles, bodies and URLs, byline, time and counter moved.

The magazine has moved its markup before (2025) and will again. This theme keeps what an article *is*
(title in ``<h1>``, the sapo, the body's paragraphs, headings and figures, tags, the ``og:*`` meta) and
moves the three things extractors find by habit to places and markup none of ours has seen:

- the date near the title carries no time of day (``15/10/2019``), and there is no
  ``article:published_time``, no JSON-LD and no ``<time>`` element; the full moment is written out in
  words after the article (``7 giờ 07 phút, ngày 15 tháng 10 năm 2019``) with ISO 8601 only in an
  ``<abbr title>``;
- the view counter is a bare number beside an eye icon (``aria-label="Lượt xem"`` is an attribute, not
  text);
- the author is not the body's last line but a "Bài viết của" card after the tags.

A profile that knows the theme finds them all with three selectors (see ``replica/THEMES.md``):
``.ho-so__ten`` (author and source), ``.ho-so abbr.dang-luc`` (date and time, in ``title``) and
``.fact--reads .so`` (views).
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from xdd_archive.replica.content import CATEGORY_NAMES, SITE_TZ
from xdd_archive.replica.themes.base import (
    MAGAZINE,
    MAGAZINE_TAGLINE,
    ArticlePage,
    PageContext,
    esc,
    format_thousands,
)
from xdd_archive.replica.themes.new import NewTheme

__all__ = ["RedesignTheme"]


class RedesignTheme(NewTheme):
    """The redesign: NewTheme's listings and head, its own chrome and article markup."""

    name = "redesign"
    server_header = "cloudflare"
    extra_headers = (("X-Frame-Options", "SAMEORIGIN"),)
    body_open = '<div class="post__content">\n'

    def date_text(self, dt: datetime) -> str:
        """Only the day: the time of day moved to the article's foot."""
        return f"{dt.astimezone(SITE_TZ):%d/%m/%Y}"

    @staticmethod
    def moment_text(dt: datetime) -> str:
        """The full moment in words: ``7 giờ 07 phút, ngày 15 tháng 10 năm 2019``."""
        dt = dt.astimezone(SITE_TZ)
        return f"{dt.hour} giờ {dt:%M} phút, ngày {dt.day} tháng {dt.month} năm {dt.year}"

    def views_text(self, views: int) -> str:
        """A bare number: the icon beside it says what it counts."""
        return format_thousands(views)

    def _header(self, current: str | None = None) -> str:
        nav = "".join(
            f'<a class="menu-v3__link{" menu-v3__link--on" if slug == current else ""}" href="/{slug}">{esc(name)}</a>'
            for slug, name in CATEGORY_NAMES.items()
        )
        return (
            '<body class="v3">\n<div class="topbar">\n'
            f'<a class="topbar__brand" href="/">{esc(MAGAZINE)}</a>\n'
            f'<span class="topbar__sub">{esc(MAGAZINE_TAGLINE)}</span>\n'
            f'<div class="menu-v3">{nav}</div>\n'
            '<form class="topbar__search" action="/tim-kiem"><input name="q" aria-label="Tìm kiếm"></form>\n'
            "</div>\n"
        )

    def _footer(self, ctx: PageContext) -> str:
        s = ctx.stats
        return (
            '<div class="chan-trang">\n'
            f"<p>© {esc(MAGAZINE)}. Giấy phép số 1616/GP-BTTTT.</p>\n"
            f'<p class="chan-trang__so">Đang truy cập: {format_thousands(s.online)} · '
            f"Tổng: {format_thousands(s.total)}</p>\n"
            "</div>\n</body>\n</html>\n"
        )

    def _meta(self, page: ArticlePage, url: str, og_image: str) -> str:
        # og:* only: no article:* times, no JSON-LD
        return (
            f'<meta name="description" content="{esc(page.lead)}">\n'
            f'<link rel="canonical" href="{esc(url)}">\n'
            '<meta property="og:type" content="article">\n'
            f'<meta property="og:title" content="{esc(page.title)}">\n'
            f'<meta property="og:description" content="{esc(page.lead)}">\n'
            f'<meta property="og:image" content="{esc(og_image)}">\n'
            f'<meta property="og:url" content="{esc(url)}">\n'
        )

    def _body(self, page: ArticlePage, ctx: PageContext) -> list[str]:
        body: list[str] = []
        for b in page.blocks:
            if b.kind == "h":
                body.append(f'<h2 class="post__h">{esc(b.text)}</h2>')
            elif b.kind == "img":
                src = ctx.base_url + b.url if b.url and b.url.startswith("/") else b.url
                cap = f'<figcaption class="post__cap">{esc(b.text)}</figcaption>' if b.text else ""
                body.append(f'<figure class="post__fig"><img src="{esc(src)}" alt="{esc(b.text)}">{cap}</figure>')
            elif b.kind == "a":
                body.append(self.link_paragraph(b))
            else:
                body.append(f"<p>{esc(b.text)}</p>")
        return body

    def _facts(self, page: ArticlePage) -> str:
        reads = (
            '<li class="fact fact--reads" aria-label="Lượt xem"><span class="icon icon-eye" aria-hidden="true">'
            f'</span><span class="so">{esc(self.views_text(page.views))}</span></li>'
            if page.views is not None
            else ""
        )
        day = f'<li class="fact fact--day">{esc(self.date_text(page.published_at))}</li>'
        return f'<aside class="post__facts"><ul>{day}{reads}</ul></aside>\n'

    def _card(self, page: ArticlePage) -> str:
        moment = page.published_at.astimezone(SITE_TZ).isoformat()
        writer = f'<p class="ho-so__ten">{esc(page.author_line)}</p>' if page.author_line else ""
        return (
            f'<aside class="ho-so"><h2 class="ho-so__nhan">Bài viết của</h2>{writer}'
            f'<p class="ho-so__luc">Đăng <abbr class="dang-luc" title="{moment}">'
            f"{esc(self.moment_text(page.published_at))}</abbr></p></aside>\n"
        )

    def article(self, page: ArticlePage, ctx: PageContext) -> str:
        url = ctx.base_url + page.path
        first_image = next((b.url for b in page.blocks if b.kind == "img" and b.url), "/images/og-default.jpg")
        og_image = ctx.base_url + first_image if first_image.startswith("/") else first_image
        topics = " ".join(f'<a class="chip" href="/tim-kiem?q={quote(t)}">{esc(t)}</a>' for t in page.tags)
        related = "".join(f'<a class="more__item" href="{esc(x.path)}">{esc(x.title)}</a>'
                          for x in page.related + page.others)
        cat = page.category
        return (
            self._head(f"{page.title} | {MAGAZINE}", ctx, self._meta(page, url, og_image))
            + self._header(cat)
            + '<main id="noi-dung">\n'
            + f'<div class="duong-dan"><a href="/">Trang chủ</a> / <a href="/{cat}">{esc(CATEGORY_NAMES[cat])}</a></div>\n'
            + '<div class="post">\n<div class="post__head">\n'
            + f'<h1 class="post__title">{esc(page.title)}</h1>\n'
            + self._facts(page)
            + "</div>\n"
            + f'<div class="post__sapo">{esc(page.lead)}</div>\n'
            + self.body_open
            + "\n".join(self._body(page, ctx))
            + "\n</div>\n"
            + f'<div class="post__tags">Từ khóa: {topics}</div>\n'
            + self._card(page)
            + (f'<div class="more"><h2>Đọc thêm</h2>{related}</div>\n' if related else "")
            + "</div>\n</main>\n"
            + self._footer(ctx)
        )
