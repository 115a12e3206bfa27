"""HTML (and robots / sitemap / RSS) rendering for the replica's themes.

The themes imitate four kinds of real pages (``replica/THEMES.md``): ``old`` (xaydungdang.org.vn,
ASP.NET tables and divs), ``new`` (the 2025 site, semantic HTML5 with ``article:*`` meta), ``portal``
(a DotNetNuke provincial portal reposting the magazine, like the seed page) and ``redesign`` (a next
redesign that moves the byline, the date and time and the view counter where no extractor looked yet).
They are deliberately different in tags, classes, date formats, heading and image markup, so that the
extractor is exercised on generic rules rather than on one template.

One module per theme; ``base`` holds the page objects and the base class, ``feeds`` robots.txt, the
sitemap and the feed. Rendering is pure: nothing here reads the replica's state or the clock.

Example::

    >>> get_theme("portal").date_text(datetime(2019, 10, 15, 19, 7, tzinfo=SITE_TZ))
    '15/10/2019 07:07 CH'
    >>> format_thousands(1234567)
    '1.234.567'
"""

from __future__ import annotations

from xdd_archive.errors import ConfigError
from xdd_archive.replica.themes.base import (
    ArticlePage,
    Link,
    ListingPage,
    PageContext,
    SiteStats,
    Theme,
    format_thousands,
)
from xdd_archive.replica.themes.feeds import robots_txt, rss_xml, sitemap_xml
from xdd_archive.replica.themes.new import NewTheme
from xdd_archive.replica.themes.old import OldTheme
from xdd_archive.replica.themes.portal import PortalTheme
from xdd_archive.replica.themes.redesign import RedesignTheme

__all__ = [
    "THEMES",
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

_THEMES: dict[str, Theme] = {t.name: t for t in (OldTheme(), NewTheme(), PortalTheme(), RedesignTheme())}
#: every theme's name, in the order the CLI lists them
THEMES: tuple[str, ...] = tuple(_THEMES)


def get_theme(name: str) -> Theme:
    """The theme called ``name`` (``old``, ``new``, ``portal`` or ``redesign``); ConfigError for any other."""
    try:
        return _THEMES[name]
    except KeyError:
        raise ConfigError(f"unknown theme {name!r} (known: {', '.join(THEMES)})") from None
