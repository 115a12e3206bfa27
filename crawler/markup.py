"""Markup-level constants of the extractor: tags, class/id patterns, known portal ids, meta names.

(Named ``markup`` rather than ``selectors``: a module called ``selectors`` would shadow the standard
library's, which asyncio and Twisted import, whenever a script runs from inside ``crawler/``.)

Kept in one module (as trafilatura keeps its XPaths) so a reader can see every assumption the
extractor makes about markup, and a profile's ``ExtractionHints`` can add to them for a known theme.
None of them names a class that only the local replica uses: they are habits of Vietnamese CMSs
(DotNetNuke, SharePoint, WordPress, the common news CMSs) and of HTML in general.
"""

from __future__ import annotations

import re

# Elements that never hold article text. Removed before anything reads the tree. (`form` is NOT here:
# DotNetNuke and ASP.NET wrap the whole page in one <form>.)
DROP_TAGS: tuple[str, ...] = (
    "script", "style", "noscript", "template", "svg", "canvas", "object", "embed", "applet",
    "select", "option", "button", "input", "textarea", "marquee", "map", "dialog",
)

# Block-level tags: their text is separated by a newline when a region's text is read.
BLOCK_TAGS: frozenset[str] = frozenset(
    ["address", "article", "aside", "blockquote", "body", "br", "dd", "details", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"]
)

# Title candidates in the DOM, in order of trust: headings, then elements whose class/id says title.
TITLE_TAGS: tuple[str, ...] = ("h1", "h2", "h3")
TITLE_CLASS_RE = re.compile(r"title|tieu-?de|tieude|headline|heading|ten-?bai", re.IGNORECASE)

# class/id of elements holding the author, the date, the lead (sapo), tags, the breadcrumb.
AUTHOR_CLASS_RE = re.compile(r"author|tac-?gia|tacgia|byline|signature|writer|nguoi-?viet|butdanh", re.IGNORECASE)
DATE_CLASS_RE = re.compile(r"date|time|ngay|publish|posted|thoi-?gian|datetime|created", re.IGNORECASE)
# Not "desc": DotNetNuke's body div is `..._divArticleDescription`.
LEAD_CLASS_RE = re.compile(r"sapo|chapeau|\blead\b|lead-?text|summary|tom-?tat|tomtat|\bintro|excerpt|abstract|teaser-?text", re.IGNORECASE)
TAGS_CLASS_RE = re.compile(r"\btags?\b|tag-?list|tags-?box|box-?tags?|keyword|tu-?khoa|tukhoa|\bthe-?tag", re.IGNORECASE)
BREADCRUMB_CLASS_RE = re.compile(r"breadcrumb|duong-?dan|bread-?crumb|crumbs", re.IGNORECASE)
# rel="category tag" / rel="tag" links (WordPress and the CMSs that copied it).
CATEGORY_LINK_XPATH = ".//a[contains(concat(' ', normalize-space(@rel), ' '), ' category ')]"
TAG_LINK_XPATH = ".//a[normalize-space(@rel)='tag']"

# class/id of page furniture inside the content region: share/print toolbars, related lists, comment
# boxes, counters, ads. An element matching this is removed before trafilatura runs, unless it holds
# a large share of the page's prose (a theme that names its body `main-content-share` must not lose it).
FURNITURE_CLASS_RE = re.compile(
    r"share|social|sharing|addthis|sharethis|print-?(?:button|link|icon)|\bprint\b|toolbar|tool-?bar|"
    r"related|lien-?quan|lienquan|tin-?khac|tinkhac|other-?news|othernews|news-?other|same-?cat|"
    r"comment|binh-?luan|binhluan|disqus|fb-(?:comments|like|share)|"
    r"counter|thong-?ke|thongke|visitor|online-?count|"
    r"advert|quang-?cao|quangcao|\bads?\b|banner|sponsor|popup|modal|cookie|newsletter|subscribe|"
    r"pagination|paging|phan-?trang|next-?prev|prev-?next|"
    r"rating|vote|poll|font-?size|text-?size|breadcrumb|\bnav\b|navbar|menu|sidebar|widget|footer|header",
    re.IGNORECASE,
)
# Semantic elements that are page furniture wherever they sit inside the content region.
FURNITURE_TAGS: tuple[str, ...] = ("nav", "aside", "footer", "header", "iframe", "form")

# Known body / date containers of portal CMSs (SITE.md): SharePoint ministry portals use
# `divArticleDescription2` and `txtDateString`; DotNetNuke article modules `..._divArticleDescription`
# and `..._lblDate`. Used after the profile's own hints, before generic rules.
KNOWN_BODY_XPATHS: tuple[str, ...] = (
    "//*[contains(@id, 'divArticleDescription')]",
    "//*[@itemprop='articleBody']",
)
KNOWN_DATE_XPATHS: tuple[str, ...] = (
    "//*[contains(@id, 'txtDateString')]",
    "//*[contains(@id, 'lblDate') or contains(@id, 'lblNgay')]",
)

# Meta tags read for metadata, by lower-cased name/property/itemprop; first non-empty wins.
META_TITLE: tuple[str, ...] = ("og:title", "twitter:title", "dc.title", "title")
META_DESCRIPTION: tuple[str, ...] = ("og:description", "description", "twitter:description", "dc.description")
META_PUBLISHED: tuple[str, ...] = (
    "article:published_time", "og:published_time", "datepublished", "published_time", "pubdate",
    "publishdate", "dc.date.issued", "dc.date", "date", "dcterms.created", "sailthru.date", "parsely-pub-date",
)
META_MODIFIED: tuple[str, ...] = ("article:modified_time", "og:updated_time", "datemodified", "modified_time", "dcterms.modified", "last-modified")
META_AUTHOR: tuple[str, ...] = ("article:author", "author", "dc.creator", "parsely-author", "sailthru.author")
META_SECTION: tuple[str, ...] = ("article:section", "section", "parsely-section", "category")
META_TAG: tuple[str, ...] = ("article:tag", "news_keywords", "parsely-tags")
META_SITE_NAME: tuple[str, ...] = ("og:site_name", "application-name", "publisher")
META_LOCALE: tuple[str, ...] = ("og:locale", "content-language", "language", "dc.language")
# og:type values that say "this page is one article".
ARTICLE_OG_TYPES: frozenset[str] = frozenset({"article", "news", "newsarticle", "blogposting"})
# JSON-LD @type values of an article.
JSONLD_ARTICLE_TYPES: frozenset[str] = frozenset(
    {"article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
     "blogposting", "scholarlyarticle", "webpage", "report", "socialmediaposting", "videoobject"}
)

# Image URLs that are page furniture, not photos: icons, buttons, spacers, counters, logos.
ICON_SRC_RE = re.compile(
    r"(?:^data:|/(?:icons?|images/(?:icon|btn|button)|DesktopModules/[^/]+/images|skins?/|themes?/[^/]+/(?:img|images)/)|"
    r"(?:icon|print|email|mail|share|facebook|twitter|zalo|logo|spacer|blank|pixel|button|btn|arrow|"
    r"bullet|rss|loading|loader|avatar|counter)[^/]*\.(?:gif|png|svg|jpe?g|webp)(?:$|\?))",
    re.IGNORECASE,
)
# Images smaller than this (width or height attribute, px) are icons.
MIN_IMAGE_PX = 60
# Text nodes that may hold a view counter (`Lượt xem`, `lượt đọc`, `Views`, `Lần xem`, `Đã xem`):
# a cheap pre-filter before the patterns of vntext.VIEWS_PATTERNS run on their element's text.
VIEWS_TEXT_XPATH = (
    ".//text()[contains(., 'ượt') or contains(., 'ƯỢT') or contains(., 'iew') or contains(., 'IEW')"
    " or contains(., 'ần xem') or contains(., 'ã xem')]"
)
# Lazy-loading attributes that hold the real image URL.
IMAGE_SRC_ATTRS: tuple[str, ...] = ("data-src", "data-original", "data-lazy-src", "data-lazy", "data-url", "src")

# class/id or inline style of an image caption next to (not around) the image.
CAPTION_CLASS_RE = re.compile(r"caption|chu-?thich|chuthich|desc|image-?note|img-?note|photo-?note|credit|legend", re.IGNORECASE)
RIGHT_ALIGN_RE = re.compile(r"text-align\s*:\s*right", re.IGNORECASE)
CENTER_ALIGN_RE = re.compile(r"text-align\s*:\s*center", re.IGNORECASE)
