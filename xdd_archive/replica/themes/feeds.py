"""robots.txt, the sitemap and the RSS feed: the same for every theme."""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape as xml_escape

from xdd_archive.replica.content import CATEGORY_NAMES, SITE_TZ
from xdd_archive.replica.themes.base import MAGAZINE, MAGAZINE_TAGLINE, Link

__all__ = ["robots_txt", "rss_xml", "sitemap_xml"]


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
