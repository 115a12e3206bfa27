"""Site profiles: everything site-specific, as data.

A profile says which hosts belong to a site, which URLs are articles and how to turn one into a stable
article key, where the listings are and how they paginate, and optional selector hints for extraction.
Code elsewhere (spider, extractor, storage) is generic and reads these profiles.

Identity rules (DESIGN.md, "Identity of an article"): the key of an old-site URL
``/<category>/<slug>-<id>`` is the numeric id; the key of a 2025-site URL ``/<category>/<slug>.html`` is
its path. Hosts (www or bare, http or https, old or new domain), query strings (``?preview=1``,
tracking parameters) and fragments never enter the key, so every URL of one article maps to one key.

Example::

    >>> p = get_profile("xaydungdang")
    >>> p.article_key("http://www.xaydungdang.org.vn/nhip-cau-ban-doc/kip-thoi-6501?utm_source=fb")
    '6501'
    >>> p.article_key("https://xaydungdang.tapchicongsan.org.vn/hoat-dong/bai-viet.html?preview=1")
    '/hoat-dong/bai-viet.html'
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from xdd_archive.errors import ConfigError

if TYPE_CHECKING:  # the extractor imports this module: its options are named here for type checkers only
    from crawler.extract.options import ExtractOptions

__all__ = [
    "AGENCY_BYLINES",
    "INSTITUTIONAL_BYLINES",
    "PROFILES",
    "ExtractionHints",
    "SiteProfile",
    "UrlRule",
    "get_profile",
    "normalize_url",
    "reference_forms",
    "split_host",
    "strip_tracking",
    "twin_hosts",
]

# Query parameters that never identify content; stripped from canonical URLs (aliases keep them).
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "zarsrc", "zarsrc_id", "_ga", "ref", "preview", "amp"}
)
TRACKING_PREFIXES = ("utm_",)

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, kw_only=True)
class UrlRule:
    """One shape of article URL.

    ``pattern`` is a regular expression matched (``fullmatch``) against the URL's unquoted path; its named
    groups (``id``, ``category``, ``slug``) fill ``key``, a ``str.format`` template that may also use
    ``{path}``. Rules are tried in order; the first that matches wins.
    """

    pattern: str
    key: str
    kind: str = "article"

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)


# Unsigned bylines of the Vietnamese press: editorial units and roles that sign instead of a person, alone
# (`Ban Biên tập`) or followed by their organisation (`PV Báo Lâm Đồng`) or their part (`PV tổng hợp`).
# Such a line is the article's author (a swap from a person to `Ban Biên tập` is an author change, never
# a new last line of the body). Compared folded: case and diacritics do not matter.
INSTITUTIONAL_BYLINES: tuple[str, ...] = (
    "Ban Biên tập", "BBT", "Ban Thư ký tòa soạn", "Thư ký tòa soạn", "Tòa soạn", "Tổ biên tập", "Nhóm biên tập",
    "Biên tập viên", "BTV", "Phóng viên", "PV", "P.V", "Nhóm phóng viên", "Nhóm PV", "Phóng viên thường trú",
    "PVTT", "Cộng tác viên", "CTV", "Nhóm CTV", "Nhóm tác giả", "Ban Thời sự", "Ban Điện tử",
)
# News agencies and national papers. Signing alone (`TTXVN`) they are the author, like an institution;
# credited (`Theo TTXVN`, `(Theo TTXVN)`, `Nguồn: TTXVN`) they are the source, whoever wrote the piece.
AGENCY_BYLINES: tuple[str, ...] = (
    "TTXVN", "VNA", "Thông tấn xã Việt Nam", "TTXVN/Vietnam+", "Vietnam+", "Báo Nhân Dân", "Nhân Dân",
    "Báo Quân đội nhân dân", "QĐND", "Báo Công an nhân dân", "CAND", "VOV", "Đài Tiếng nói Việt Nam", "VTV",
    "Đài Truyền hình Việt Nam", "Tạp chí Cộng sản", "Báo Điện tử Chính phủ", "Chinhphu.vn",
    "Báo Điện tử Đảng Cộng sản Việt Nam", "Dangcongsan.vn",
)


@dataclass(frozen=True, kw_only=True)
class ExtractionHints:
    """Optional CSS selectors that help the extractor on a known theme; each is tried in order. Also the
    site's unsigned bylines (institutions and agencies), as names.

    The extractor works without hints (generic rules, meta tags, JSON-LD, Vietnamese text patterns);
    hints only make it more precise on markup we know.
    """

    title: tuple[str, ...] = ()
    lead: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    date: tuple[str, ...] = ()
    author: tuple[str, ...] = ()
    views: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    # elements that are never body: banners, share/print links, widgets, related lists
    remove: tuple[str, ...] = ()
    # unsigned bylines that are authors (not CSS selectors: names, compared folded); a profile extends
    # the defaults with its own (`INSTITUTIONAL_BYLINES + ("Ban Tuyên giáo Tỉnh ủy",)`)
    institutional_bylines: tuple[str, ...] = INSTITUTIONAL_BYLINES
    agency_bylines: tuple[str, ...] = AGENCY_BYLINES
    # the extractor's tunables for this site (None: the defaults of crawler.extract.options)
    options: ExtractOptions | None = None


@dataclass(frozen=True, kw_only=True)
class Politeness:
    """How hard a crawl may press on the site: Scrapy's delay, concurrency and AutoThrottle."""

    download_delay: float = 1.0
    concurrency_per_host: int = 2
    autothrottle: bool = True
    obey_robots: bool = True


@dataclass(frozen=True, kw_only=True)
class SiteProfile:
    """A site as data. ``hosts`` entries without a port match the host on any port."""

    name: str
    title: str
    base_url: str
    hosts: tuple[str, ...]
    article_rules: tuple[UrlRule, ...]
    # listing pages: category listings and their pagination (regexes fullmatched on the path)
    listing_patterns: tuple[str, ...] = ()
    start_paths: tuple[str, ...] = ("/",)
    category_paths: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    # paths that are never worth fetching (search, print views, media)
    deny_patterns: tuple[str, ...] = ()
    hints: ExtractionHints = field(default_factory=ExtractionHints)
    timezone: str = "Asia/Ho_Chi_Minh"
    language: str = "vi"
    politeness: Politeness = field(default_factory=Politeness)
    # loopback/private addresses are refused unless this is set (only the replica sets it)
    allow_private: bool = False
    # set by with_base_url(): every fetch then goes to the mirror, never to the real hosts
    mirror: str | None = None

    # -- hosts ---------------------------------------------------------------------------------

    @cached_property
    def _host_entries(self) -> tuple[tuple[str, int | None], ...]:
        base_host = split_host(self.base_url)
        entries = {split_host_entry(h) for h in self.hosts}
        entries.add(base_host)
        return tuple(sorted(entries, key=lambda e: (e[0], e[1] or 0)))

    @cached_property
    def _fetch_entries(self) -> tuple[tuple[str, int | None], ...]:
        if self.mirror is None:
            return self._host_entries
        host, port = split_host(self.mirror)
        return tuple((twin, port) for twin in twin_hosts(host))

    def owns(self, url: str) -> bool:
        """True when ``url`` is on one of this site's hosts (any scheme): it names the site's pages."""
        return _host_in(url, self._host_entries)

    def may_fetch(self, url: str) -> bool:
        """True when a crawl may request ``url``: on the site's hosts, or only on the mirror if set."""
        return _host_in(url, self._fetch_entries)

    @property
    def base_netloc(self) -> str:
        return urlsplit(self.base_url).netloc.lower()

    def with_base_url(self, base_url: str) -> SiteProfile:
        """The same profile pointed at a mirror (a replica on another port, an archive proxy)."""
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"--base-url must be an http(s) URL with a host, not {base_url!r}")
        base = urlunsplit((parts.scheme, parts.netloc.lower(), "", "", ""))
        netloc = parts.netloc.lower()
        return dataclasses.replace(self, base_url=base, hosts=(*self.hosts, netloc), mirror=base)

    def url(self, path_or_url: str) -> str:
        """An absolute URL for a site path; absolute URLs are kept, or moved onto the mirror if set."""
        if "://" in path_or_url:
            if self.mirror is None:
                return path_or_url
            parts = urlsplit(path_or_url)
            path_or_url = urlunsplit(("", "", parts.path, parts.query, ""))
        return self.base_url.rstrip("/") + "/" + path_or_url.lstrip("/")

    # -- identity ------------------------------------------------------------------------------

    def match_article(self, url: str) -> tuple[UrlRule, dict[str, str]] | None:
        """The first article rule matching ``url`` and its groups, or None (not an article URL)."""
        if not self.owns(url):
            return None
        path = _path_of(url)
        for rule in self.article_rules:
            m = rule.regex.fullmatch(path)
            if m:
                groups = {k: v for k, v in m.groupdict().items() if v is not None}
                groups["path"] = path
                return rule, groups
        return None

    def article_key(self, url: str) -> str | None:
        """The stable key of the article at ``url``, or None when ``url`` is not an article URL."""
        found = self.match_article(url)
        if found is None:
            return None
        rule, groups = found
        return rule.key.format(**groups)

    def is_article_url(self, url: str) -> bool:
        return self.match_article(url) is not None

    def category_of(self, url: str) -> str | None:
        """The category slug an article URL carries, if its rule names one."""
        found = self.match_article(url)
        return found[1].get("category") if found else None

    def canonical_url(self, url: str) -> str:
        """``url`` on the profile's base host and scheme, without query or fragment."""
        parts = urlsplit(url)
        base = urlsplit(self.base_url)
        return urlunsplit((base.scheme, base.netloc, parts.path or "/", "", ""))

    def is_listing_url(self, url: str) -> bool:
        if not self.owns(url):
            return False
        path = _path_of(url)
        query = urlsplit(url).query
        target = f"{path}?{query}" if query else path
        return any(re.fullmatch(p, target) or re.fullmatch(p, path) for p in self.listing_patterns)

    def is_denied(self, url: str) -> bool:
        path = _path_of(url)
        return any(re.search(p, path) for p in self.deny_patterns)

    def is_home(self, url: str) -> bool:
        """True for the site's home page (``/``, ``/index.html``, ``/default.aspx``...)."""
        return self.owns(url) and _path_of(url).lower() in ("/", "", "/index.html", "/default.aspx", "/home")


def _host_in(url: str, entries: tuple[tuple[str, int | None], ...]) -> bool:
    try:
        host, port = split_host(url)
    except ConfigError:
        return False
    return any(h == host and (p is None or p == port) for h, p in entries)


_LOOPBACK_TWINS = ("127.0.0.1", "localhost")


def twin_hosts(host: str) -> tuple[str, ...]:
    """The host names that serve the same site as ``host``: with and without ``www.``; for a local
    mirror, ``127.0.0.1`` and ``localhost`` (the replica's stand-ins for the two)."""
    if host in _LOOPBACK_TWINS:
        return _LOOPBACK_TWINS
    bare = host[4:] if host.startswith("www.") else host
    return (bare, f"www.{bare}")


def _path_of(url: str) -> str:
    path = unquote(urlsplit(url).path) or "/"
    # collapse duplicate slashes and a trailing slash, which the sites treat as the same page
    path = re.sub(r"/{2,}", "/", path)
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path


def split_host(url: str) -> tuple[str, int]:
    """(lower-case host, port) of an absolute http(s) URL; ConfigError for anything else."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
    except ValueError as exc:
        raise ConfigError(f"not a valid URL: {url!r} ({exc})") from None
    if parts.scheme not in _DEFAULT_PORTS or not host:
        raise ConfigError(f"not an absolute http(s) URL: {url!r}")
    return host, port


def split_host_entry(entry: str) -> tuple[str, int | None]:
    """A profile host entry: ``example.org`` (any port) or ``127.0.0.1:8765``."""
    host, _, port = entry.lower().rpartition(":") if ":" in entry else (entry.lower(), "", "")
    return (host, int(port)) if port else (host, None)


def normalize_url(url: str) -> str:
    """The form in which a URL is stored as an alias: lower-case scheme and host, no default port,
    no fragment, tracking parameters kept (they are part of the URL that was seen) but sorted."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    netloc = host
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{parts.port}"
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def strip_tracking(url: str) -> str:
    """``url`` without tracking parameters and fragment (used for requests we make ourselves)."""
    parts = urlsplit(url)
    kept = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), ""))


# -- the profiles ----------------------------------------------------------------------------------

# Shared by the magazine and its replica: the URL schemes of the old site and of the 2025 site.
_MAGAZINE_RULES = (
    # 2025 site videos: /videos/<slug>-<id>.html (their ids are not old-site article ids)
    UrlRule(pattern=r"/videos/(?P<slug>[^/]+)-(?P<id>\d+)\.html", key="video:{id}", kind="video"),
    # 2025 site articles: /<category>/<slug>.html, no id: the path is the key
    UrlRule(pattern=r"/(?P<category>[a-z0-9-]+)/(?P<slug>[^/]+)\.html", key="{path}"),
    # old site: /<category>/<slug>-<id>, no extension: the id is the key (but /<category>/page-2 and
    # /<category>/trang-2 are a listing's pages, not article 2)
    UrlRule(
        pattern=r"/(?P<category>[a-z0-9-]+)/(?!(?:page|trang)-?\d+$)(?P<slug>[a-z0-9-]+)-(?P<id>\d+)",
        key="{id}",
    ),
)

_MAGAZINE_LISTINGS = (
    r"/(?P<category>[a-z0-9-]+)",
    r"/(?P<category>[a-z0-9-]+)\?(?:page|Page|trang)=\d+",
    r"/(?P<category>[a-z0-9-]+)/(?:page|trang)-?\d+",
    r"/(?P<category>[a-z0-9-]+)/p\d+",
)

_MAGAZINE_DENY = (
    r"^/(?:tim-kiem|search|Uploads|Portals|images|media|print|in-trang)(?:/|$)",
    r"\.(?:jpe?g|png|gif|webp|svg|pdf|docx?|xlsx?|mp4|mp3|zip|rar)$",
)

XAYDUNGDANG = SiteProfile(
    name="xaydungdang",
    title="Tạp chí Xây dựng Đảng",
    base_url="https://xaydungdang.tapchicongsan.org.vn",
    hosts=(
        "xaydungdang.tapchicongsan.org.vn",
        "www.xaydungdang.tapchicongsan.org.vn",
        "xaydungdang.org.vn",
        "www.xaydungdang.org.vn",
    ),
    article_rules=_MAGAZINE_RULES,
    listing_patterns=_MAGAZINE_LISTINGS,
    start_paths=("/", "https://www.xaydungdang.org.vn/"),
    category_paths=(
        "/hoat-dong-cua-lanh-dao-dang-va-nha-nuoc",
        "/hoat-dong-cua-dia-phuong-co-so",
        "https://www.xaydungdang.org.vn/nhip-cau-ban-doc",
        "https://www.xaydungdang.org.vn/ly-luan-thuc-tien",
    ),
    sitemaps=("/sitemap.xml",),
    feeds=("/rss",),
    deny_patterns=_MAGAZINE_DENY,
    hints=ExtractionHints(
        remove=(".share", ".print", ".social", ".related", ".tin-lien-quan", ".box-thong-ke"),
    ),
)

REPLICA = SiteProfile(
    name="replica",
    title="Local replica of the magazine (tests, demo, benchmarks)",
    base_url="http://127.0.0.1:8765",
    hosts=("127.0.0.1", "localhost"),
    article_rules=(
        # the provincial-portal theme (DotNetNuke-like): /<category>/<slug>-<id>.aspx
        UrlRule(pattern=r"/(?P<category>[a-z0-9-]+)/(?P<slug>[a-z0-9-]+)-(?P<id>\d+)\.aspx", key="{id}"),
        *_MAGAZINE_RULES,
    ),
    listing_patterns=_MAGAZINE_LISTINGS,
    sitemaps=("/sitemap.xml",),
    feeds=("/rss",),
    deny_patterns=(r"^/_control(?:/|$)", *_MAGAZINE_DENY),
    politeness=Politeness(download_delay=0.0, concurrency_per_host=8, autothrottle=False),
    allow_private=True,
)

PROFILES: dict[str, SiteProfile] = {p.name: p for p in (XAYDUNGDANG, REPLICA)}


def reference_forms(ref: str, site: str | None = None) -> tuple[list[str], list[str]]:
    """For an article reference that is a URL: its alias spelling and the article keys every profile
    (or ``site``'s) derives from it, so that an unseen variant of a known URL finds its article."""
    if "://" not in ref:
        return [], []
    keys = [key for profile in PROFILES.values()
            if (site is None or profile.name == site) and (key := profile.article_key(ref))]
    return [normalize_url(ref)], keys


def get_profile(name: str, base_url: str | None = None) -> SiteProfile:
    """The profile called ``name``, pointed at ``base_url`` when one is given."""
    try:
        profile = PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ConfigError(f"unknown site {name!r} (known sites: {known})") from None
    return profile.with_base_url(base_url) if base_url else profile
