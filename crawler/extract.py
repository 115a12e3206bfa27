"""Extraction: (url, html, profile) -> Extraction. Pure: no Scrapy, no database, no network.

The pipeline (``_Page.run``), one stage per method; ``_Page`` holds what the stages share::

    bytes --decoding.decode_html--> str --NFC, zero-width removed, lxml (parsed once)--> tree
      -> meta tags and JSON-LD                                   _collect_meta, _collect_jsonld
      -> title, and the element that shows it                     _find_title
      -> the page's text in order, with every element's offsets    _index_text
      -> DOM facts read before pruning: anchors, right-aligned and byline texts, image captions,
         repeated teaser items (listings)                          _scan_dom, _scan_teasers
      -> the content region: the title's nearest ancestor holding most of the page's prose
                                                                  _find_region
      -> published/modified, views, tags, category, lead, byline; each layered: profile hints, then
         meta/JSON-LD, then Vietnamese text patterns near the title (crawler.vntext)
      -> prune the tree to the region, drop furniture by class, trafilatura.bare_extraction on it
                                                                  _body_blocks
      -> blocks (paragraphs, headings, lists, images, tables) from trafilatura's XML
      -> block rules: the title/date/toolbar lines out of the head; related boxes, counters, tag
         lines out of the middle and tail; the author/source line and the view counter into their
         fields; captions onto images                              _clean_blocks, _images
      -> body_text / body_markdown                                _render
      -> "is this an article at all": listing, error, maintenance, no title, too short
                                                                  _not_article

Selectors are constants in :mod:`crawler.markup`, text patterns in :mod:`crawler.vntext`, charset
handling in :mod:`crawler.decoding`. ``extract`` never raises for bad markup: oddities become warnings,
a page that is not an article comes back with ``not_article`` set, and an unexpected failure inside
becomes ``not_article="extraction failed"`` with the exception in ``warnings``.

Example::

    >>> ex = extract("https://www.xaydungdang.org.vn/ly-luan-thuc-tien/bai-12346", page_bytes)  # doctest: +SKIP
    >>> ex.title, ex.to_dict()["published_at"], ex.views  # doctest: +SKIP
    ('...', '2019-10-15T07:07:00+07:00', 1091)
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from configparser import ConfigParser
from copy import deepcopy
from dataclasses import asdict, dataclass, field
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import lxml.html
from lxml import etree

from crawler import markup as S
from crawler import vntext as V
from crawler.decoding import decode_html
from crawler.sites import ExtractionHints, SiteProfile
from xdd_archive.core.text import strip_invisible

__all__ = ["EXTRACTOR_VERSION", "Extraction", "Image", "extract"]

EXTRACTOR_VERSION = "0.1.0"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Image:
    """An image of the article body: absolute URL and its caption (credit included), if any."""

    url: str
    caption: str | None = None


@dataclass
class Extraction:
    """Every field of the extraction contract (DESIGN.md). Datetimes are timezone-aware.

    ``not_article`` is None for an article, else the reason the page is not one (a listing, an error
    or maintenance page, no title...). Text fields are Unicode NFC.

    ``author`` is who signs: a person (``TS. Nguyễn Văn Hùng``) or an unsigned byline, institutional or an
    agency signing alone (``Ban Biên tập``, ``PV``, ``TTXVN``: the profile's lists). ``source`` is where
    the piece comes from: an agency credited (``Theo TTXVN`` / ``(Theo TTXVN)`` -> ``TTXVN``) or the site
    named after the author (``Nguyễn Bá Thắng (http://www.xaydungdang.org.vn)``).
    """

    url: str
    title: str | None = None
    lead: str | None = None
    body_text: str | None = None
    body_markdown: str | None = None
    author: str | None = None
    source: str | None = None
    published_at: datetime | None = None
    modified_at: datetime | None = None
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    views: int | None = None
    language: str | None = None
    warnings: list[str] = field(default_factory=list)
    not_article: str | None = None
    extractor_version: str = EXTRACTOR_VERSION

    @property
    def is_article(self) -> bool:
        return self.not_article is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; datetimes as ISO 8601 with their offset."""
        data = asdict(self)
        for key in ("published_at", "modified_at"):
            value = data[key]
            data[key] = value.isoformat() if value is not None else None
        return data


# -- tunables (why each value: see the comment) ---------------------------------------------------

# Below this many characters of body text a page is not an article. Short real articles (three short
# paragraphs, a brief announcement) run to 300+ characters; error and maintenance pages to < 150.
MIN_BODY_CHARS = 150
# A body at least this long, in this many paragraphs, with a date or author, is an article even when
# its title or first lines contain words of an error/maintenance page ("không tìm thấy", "bảo trì").
STRONG_ARTICLE_CHARS = 1200
STRONG_ARTICLE_PARAGRAPHS = 4
# Error and maintenance pages are small: below this many characters of body, their words anywhere on
# the page decide; above it only a title made of those words does.
SMALL_BODY_CHARS = 600
# Window of page text after the title searched for the publication date / views / modified date.
DATE_WINDOW_AFTER = 700
DATE_WINDOW_BEFORE = 160
# After a date labelled "Cập nhật" (updated), how far a plain publication date may still follow
# (`Cập nhật: 16/10/2019 | Đăng: 15/10/2019`); beyond it the updated date is the only one there is.
UPDATED_LOOKAHEAD = 200
# A text run shorter than this counts for nothing when locating the prose (menu items, labels, counters).
MIN_PROSE_RUN = 25
# The content region is the title's first ancestor holding this share of the page's prose.
REGION_PROSE_SHARE = 0.5
# Without a title element: the deepest element holding this share of the prose, then its parent.
PROSE_ROOT_SHARE = 0.8
# Furniture-by-class is not removed when the element holds more than this share of the region's prose.
FURNITURE_MAX_PROSE_SHARE = 0.25
# How far (characters of page text) after the body's last line a byline is looked for in the DOM.
BYLINE_WINDOW = 400
# A related-links box in the middle of an article: the article resumes after it when at least this
# much prose (in two paragraphs of 200+ characters) follows; otherwise the box opens the page's tail.
RESUME_PROSE_CHARS = 400
# How many body blocks the head-of-body cleanup looks at.
HEAD_BLOCKS = 10
# A list is a list of links (related articles) when this share of its text is link text.
LINK_LIST_RATIO = 0.6
# Listing page: this many body blocks that are items of a repeated link list (or anchor texts), and
# with the date lines between them, this share of the body's characters. An article's body is its own
# prose, outside any repeated group, so its share stays near 0 even with related lists around it.
LISTING_MIN_TEASERS = 4
LISTING_TEASER_SHARE = 0.6
# ...or, however few blocks, this share of the body is listing items: the body is a listing's item.
LISTING_WHOLE_BODY_SHARE = 0.8
# A table cell longer than this is prose: the table lays out an article, it does not hold data.
LAYOUT_CELL_CHARS = 600
# A bold paragraph up to this long without final punctuation is a section heading.
MAX_HEADING_CHARS = 200

_TRAFILATURA_CONFIG: ConfigParser | None = None


def _trafilatura_config() -> ConfigParser:
    """trafilatura's defaults, with its extraction timeout off (we run it in-process, per page)."""
    global _TRAFILATURA_CONFIG
    if _TRAFILATURA_CONFIG is None:
        from trafilatura.settings import DEFAULT_CONFIG

        config = deepcopy(DEFAULT_CONFIG)
        config["DEFAULT"]["EXTRACTION_TIMEOUT"] = "0"
        config["DEFAULT"]["MIN_OUTPUT_SIZE"] = "1"
        _TRAFILATURA_CONFIG = config
    return _TRAFILATURA_CONFIG


# -- the public function -------------------------------------------------------------------------


def extract(
    url: str,
    html: bytes | str,
    profile: SiteProfile | None = None,
    *,
    fetched_at: datetime | None = None,
    headers: dict[str, str] | None = None,
) -> Extraction:
    """Extract the article at ``url`` from ``html``. Never raises for bad markup: a page that is not an
    article comes back with ``not_article`` set, and oddities go to ``warnings``."""
    result = Extraction(url=url)
    try:
        _Page(url, html, profile, fetched_at=fetched_at, headers=headers, result=result).run()
    except Exception as exc:  # the contract: bad markup never raises; the capture is then rejected
        logger.exception("extraction failed for %s", url)
        result.warnings.append(f"extraction failed: {type(exc).__name__}: {exc}")
        if result.not_article is None:
            result.not_article = "extraction failed"
    return result


# -- small helpers -------------------------------------------------------------------------------


_DEFAULT_HINTS = ExtractionHints()


@lru_cache(maxsize=32)
def _bylines(hints: ExtractionHints) -> V.Bylines:
    """The unsigned bylines a profile's hints name (built once per profile: they are compared folded)."""
    return V.Bylines(institutions=hints.institutional_bylines, agencies=hints.agency_bylines)


@lru_cache(maxsize=256)
def _css_xpath(css: str) -> str:
    from cssselect import GenericTranslator

    return GenericTranslator().css_to_xpath(css)


def _select(root: Any, selectors: Iterable[str]) -> list[Any]:
    """Elements matching any of the CSS ``selectors`` (profile hints), in selector order."""
    out: list[Any] = []
    for css in selectors:
        try:
            out.extend(root.xpath(_css_xpath(css)))
        except Exception:  # a bad selector in a profile is a warning, not a crash
            logger.warning("bad CSS selector in profile hints: %r", css)
    return out


def _text_of(el: Any) -> str:
    """Visible text of an element, blocks separated by newlines, tidied (NFC, spaces)."""
    if len(el) == 0:  # a leaf: no block boundaries inside
        return V.clean_text(el.text)
    return V.clean_text("".join(_iter_text(el)), keep_newlines=True)


def _iter_text(el: Any) -> Iterator[str]:
    """Text of ``el`` in document order, with newlines at block boundaries (iterative: deep DOMs)."""
    stack: list[tuple[Any, bool]] = [(el, False)]
    while stack:
        node, closing = stack.pop()
        tag = node.tag if isinstance(node.tag, str) else ""
        if closing:
            if tag in S.BLOCK_TAGS:
                yield "\n"
            if node is not el and node.tail:
                yield node.tail
            continue
        if tag in S.BLOCK_TAGS:
            yield "\n"
        if tag and node.text:
            yield node.text
        stack.append((node, True))
        for child in reversed(node):
            stack.append((child, False))


def _classid(el: Any) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}"


def _abs_url(base: str, src: str) -> str:
    """An absolute, safely quoted URL (spaces and non-ASCII percent-encoded, existing %xx kept)."""
    src = src.strip()
    try:
        absolute = urljoin(base, src)
    except ValueError:
        absolute = src
    return quote(absolute, safe=":/?#[]@!$&'()*+,;=%~")


def _lang_code(value: str | None) -> str | None:
    if not value:
        return None
    m = re.match(r"\s*([a-zA-Z]{2,3})(?:[-_][a-zA-Z]+)?\s*$", value)
    return m.group(1).lower() if m else None


def _ends_sentence(text: str) -> bool:
    return text.rstrip().endswith((".", "!", "?", "…", ":", ";", ",", '."', ".”", ".)", "...\""))


_XML_LINE_BREAKS = {0x0B: "\n", 0x0C: "\n"}
# Tags of trafilatura's output that break a table cell's text (a space between their texts).
_CELL_BREAKS = frozenset({"p", "head", "quote", "lb", "list", "table", "row", "cell", "code", "div"})


def _xml_text(el: Any) -> str:
    """All text under an element of trafilatura's output (plain ``lxml.etree``: no ``text_content()``)."""
    return "".join(t for t in el.itertext() if isinstance(t, str))


def _is_data_table(rows: list[list[Any]]) -> bool:
    """True for a table of data: at least two rows with two or more filled cells, no headings inside,
    no cell long enough to be prose, and fewer pictures than filled cells (else it is a gallery)."""
    filled = 0
    multi = 0
    for cells in rows:
        texts = [_xml_text(c).strip() for c in cells]
        if any(c.find(".//head") is not None for c in cells):
            return False
        if any(len(t) > LAYOUT_CELL_CHARS for t in texts):
            return False
        n = sum(1 for t in texts if t)
        filled += n
        multi += n >= 2
    graphics = sum(1 for cells in rows for c in cells for _ in c.iter("graphic"))
    return multi >= 2 and graphics * 2 < filled


def _cell_text(cell: Any, graphics: list[Any]) -> str:
    """A table cell's text on one line (paragraphs and line breaks become spaces, list items are
    joined by ``;``); its pictures are appended to ``graphics``. Iterative: cells may nest deeply."""
    out: list[str] = []
    stack: list[tuple[Any, bool]] = [(cell, False)]
    while stack:
        node, closing = stack.pop()
        tag = node.tag if isinstance(node.tag, str) else ""
        if closing:
            if tag in _CELL_BREAKS:
                out.append(" ")
            if node is not cell and node.tail:
                out.append(node.tail)
            continue
        if tag == "graphic":
            graphics.append(node)
        elif tag == "item" and node.getprevious() is not None and node.getprevious().tag == "item":
            out.append("; ")
        elif tag in _CELL_BREAKS:
            out.append(" ")
        if tag and node.text:
            out.append(node.text)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    return V.clean_text("".join(out))


def _tidy_rows(rows: list[list[str]]) -> list[list[str]]:
    """Rows of a data table without empty rows and columns (colspan/rowspan padding), all one width."""
    rows = [r for r in rows if any(r)]
    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows]
    keep = [i for i in range(width) if any(r[i] for r in rows)]
    return [[r[i] for i in keep] for r in rows]


def _html_table_is_data(table: Any) -> bool:
    """The same test as :func:`_is_data_table` on the page's own markup (before trafilatura)."""
    filled = multi = 0
    for tr in table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr"):
        n = 0
        for cell in tr:
            if cell.tag in ("td", "th"):
                text = cell.text_content().strip()
                if len(text) > LAYOUT_CELL_CHARS:
                    return False
                n += bool(text)
        filled += n
        multi += n >= 2
    if multi < 2 or table.xpath(".//h1|.//h2|.//h3|.//h4|.//h5|.//h6"):
        return False
    return len(table.xpath(".//img")) * 2 < filled


def _unwrap_layout_tables(root: Any) -> None:
    """Layout tables that hold other tables become plain blocks. trafilatura emits a nested table after
    the table holding it, so a data table inside a page laid out with tables would move to the end of
    the body; as blocks, the layout keeps its order and the data table stays where the page shows it."""
    for table in list(root.iter("table")):
        if next(table.iterdescendants("table"), None) is None or _html_table_is_data(table):
            continue
        for el in table.xpath("./thead|./tbody|./tfoot|./tr|./*/tr|./tr/td|./tr/th|./*/tr/td|./*/tr/th"):
            el.tag = "div"
        table.tag = "div"


@dataclass
class _Block:
    """One unit of the body: a paragraph, heading, list item, quote, image, table or code block."""

    kind: str  # "p" | "h" | "li" | "quote" | "img" | "table" | "pre"
    text: str = ""
    bold: bool = False  # the whole block is bold
    level: int = 2
    ordered: bool = False
    group: int = 0  # items of one list share a group
    link_chars: int = 0
    src: str | None = None
    alt: str | None = None
    caption: str | None = None
    rows: list[list[str]] | None = None

    @property
    def last_line(self) -> str:
        """The text the page shows last: a table's last filled cell, any other block's text."""
        if self.kind == "table" and self.rows:
            return next((c for c in reversed(self.rows[-1]) if c), self.text)
        return self.text

    @property
    def link_ratio(self) -> float:
        return self.link_chars / len(self.text) if self.text else 0.0


# -- the page --------------------------------------------------------------------------------------


class _Page:
    """One extraction: holds the tree and what the stages learn about it."""

    def __init__(
        self,
        url: str,
        html: bytes | str,
        profile: SiteProfile | None,
        *,
        fetched_at: datetime | None,
        headers: dict[str, str] | None,
        result: Extraction,
    ) -> None:
        self.url = url
        self.raw = html
        self.profile = profile
        self.fetched_at = fetched_at
        self.headers = headers
        self.r = result
        self.tz: tzinfo = V.local_zone(profile.timezone if profile else None)
        self.hints = profile.hints if profile else None
        self.bylines = _bylines(profile.hints if profile else _DEFAULT_HINTS)
        self.meta: dict[str, list[str]] = {}
        self.jsonld: list[dict[str, Any]] = []
        self.doc: Any = None  # the <html> element
        self.body: Any = None
        self.title_el: Any = None
        self.region: Any = None
        self.doc_text = ""
        self.spans: dict[Any, tuple[int, int]] = {}
        self.anchor_texts: set[str] = set()
        self.teaser_texts: set[str] = set()
        self._group = 0
        self.right_texts: set[str] = set()
        self.byline_texts: set[str] = set()
        self.byline_keys: set[str] = set()
        self.weights: dict[Any, int] = {}
        self._tags_from_body: list[str] = []
        self.text = ""
        self.captions: dict[str, str] = {}
        self.small_images: set[str] = set()
        self._base: str | None = None
        self.site_names: set[str] = set()
        self.page_typed_article = False

    # -- driver --------------------------------------------------------------------------------

    def run(self) -> None:
        r = self.r
        text, _encoding, warnings = decode_html(self.raw, self.headers)
        r.warnings.extend(warnings)
        if text.strip() and not re.search(r"(?i)</(?:html|body)\s*>", text[-4096:]):
            # CMS pages always close their document: a body cut short is a truncated transfer, and the
            # archive should not take the shorter text for an edit
            r.warnings.append("page looks truncated (no closing </body> or </html>)")
        if not self._parse(text):
            r.not_article = "empty page"
            return
        self._collect_meta()
        self._collect_jsonld()
        etree.strip_elements(self.doc, *S.DROP_TAGS, with_tail=False)
        if self.hints and self.hints.remove:
            for el in _select(self.doc, self.hints.remove):
                self._drop(el)
        self.body = self.doc.find("body")
        if self.body is None:
            self.body = self.doc
        self.site_names = self._site_names()

        r.title = self._find_title()
        self._index_text()
        self._scan_dom()
        self._scan_teasers()
        self._find_region()
        r.published_at, r.modified_at = self._find_dates()
        r.views = self._find_views()
        r.tags = self._find_tags()
        r.category = self._find_category()
        lead = self._find_lead()
        r.author, r.source = self._find_byline()

        blocks = self._body_blocks()
        blocks = self._clean_blocks(blocks, lead)
        if (r.author is None or r.source is None) and blocks:
            self._byline_after_body(blocks)
        r.images = self._images(blocks)
        self._render(blocks)
        if r.lead is None and lead:
            r.lead = lead
        if not r.tags and self._tags_from_body:
            r.tags = self._tags_from_body
        r.language = self._language()
        self._finish_dates()
        r.not_article = self._not_article(blocks)

    # -- parsing ---------------------------------------------------------------------------------

    def _parse(self, text: str) -> bool:
        # vertical tab and form feed are line breaks to a reader, and characters XML (trafilatura's
        # output tree) refuses: lxml raises on setting such text
        text = strip_invisible(text).translate(_XML_LINE_BREAKS)
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        # lxml refuses str input with an XML declaration ("Unicode strings with encoding declaration")
        text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
        if not text.strip():
            return False
        self.text = text
        try:
            self.doc = lxml.html.document_fromstring(text, parser=self._parser())
        except (etree.ParserError, ValueError):
            return False
        return self.doc is not None and len(self.doc) > 0

    @staticmethod
    def _parser() -> lxml.html.HTMLParser:
        return lxml.html.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False, default_doctype=False)

    def _drop(self, el: Any) -> None:
        """Remove ``el`` from the tree, keeping its tail text in place."""
        parent = el.getparent()
        if parent is None:
            return
        tail = el.tail
        if tail and tail.strip():
            prev = el.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
        parent.remove(el)

    # -- meta tags and JSON-LD ------------------------------------------------------------------

    def _collect_meta(self) -> None:
        for el in self.doc.iter("meta"):
            key = (el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv") or "").strip().lower()
            content = el.get("content")
            if key and content and content.strip():
                self.meta.setdefault(key, []).append(V.clean_text(content))
        for el in self.doc.xpath("//*[@itemprop and not(self::meta)]"):
            key = el.get("itemprop", "").strip().lower()
            if key in ("datepublished", "datemodified", "author", "headline", "articlesection"):
                value = el.get("content") or el.get("datetime") or _text_of(el)
                if value:
                    self.meta.setdefault(key, []).append(V.clean_text(value))
        og_type = self._meta_first(("og:type",))
        self.page_typed_article = bool(
            (og_type and og_type.lower() in S.ARTICLE_OG_TYPES) or self._meta_first(("article:published_time",))
        )

    def _meta_first(self, names: Iterable[str]) -> str | None:
        for name in names:
            for value in self.meta.get(name, ()):
                if value:
                    return value
        return None

    def _collect_jsonld(self) -> None:
        for script in self.doc.xpath("//script[@type='application/ld+json']"):
            raw = (script.text or "").strip()
            if not raw:
                continue
            try:
                data = json.loads(raw)
            except ValueError:
                try:  # CMSs leave trailing commas and raw newlines in strings
                    data = json.loads(re.sub(r",\s*([}\]])", r"\1", raw.replace("\n", " ")), strict=False)
                except ValueError:
                    self.r.warnings.append("unparsable JSON-LD ignored")
                    continue
            stack = data if isinstance(data, list) else [data]
            while stack:
                item = stack.pop(0)
                if isinstance(item, list):
                    stack.extend(item)
                elif isinstance(item, dict):
                    if "@graph" in item:
                        stack.extend(item["@graph"] if isinstance(item["@graph"], list) else [item["@graph"]])
                    self.jsonld.append(item)

    def _jsonld_types(self, item: dict[str, Any]) -> set[str]:
        t = item.get("@type")
        types = t if isinstance(t, list) else [t]
        return {str(x).lower() for x in types if x}

    def _jsonld_article(self) -> dict[str, Any] | None:
        for item in self.jsonld:
            types = self._jsonld_types(item)
            if types & (S.JSONLD_ARTICLE_TYPES - {"webpage"}):
                return item
        for item in self.jsonld:
            if "webpage" in self._jsonld_types(item) and (item.get("headline") or item.get("datePublished")):
                return item
        return None

    @staticmethod
    def _jsonld_names(value: Any) -> list[str]:
        values = value if isinstance(value, list) else [value]
        out = []
        for v in values:
            if isinstance(v, dict):
                v = v.get("name")
            if isinstance(v, str) and V.clean_text(v):
                out.append(V.clean_text(v))
        return out

    def _site_names(self) -> set[str]:
        names = {self.profile.title} if self.profile else set()
        names.update(self.meta.get("og:site_name", []))
        names.update(self.meta.get("application-name", []))
        for item in self.jsonld:
            if self._jsonld_types(item) & {"website", "organization", "newsmediaorganization"}:
                names.update(self._jsonld_names(item.get("name")))
            names.update(self._jsonld_names(item.get("publisher")))
        host = urlsplit(self.url).hostname or ""
        if host:
            names.add(host)
            names.add(host.removeprefix("www."))
        return {V.fold(n) for n in names if n and V.fold(n)}

    # -- title -----------------------------------------------------------------------------------

    def _strip_site_name(self, title: str) -> str:
        """``title`` without a trailing (or known leading) site name: ``... - Tạp chí Xây dựng Đảng``."""
        for _ in range(2):
            seps = list(V.TITLE_SEPARATOR_RE.finditer(title))
            if not seps:
                break
            last = title[seps[-1].end():]
            first = title[: seps[0].start()]
            if V.fold(last) in self.site_names or (V.SITE_NAME_PART_RE.match(last) and len(last) < len(title) / 2):
                title = title[: seps[-1].start()].strip()
            elif V.fold(first) in self.site_names:
                title = title[seps[0].end():].strip()
            else:
                break
        return title

    @staticmethod
    def _strip_furniture_suffix(text: str) -> str:
        """``5 điểm nhấn ... In trang`` -> ``5 điểm nhấn ...`` (toolbar words glued to a title)."""
        text = V.clean_text(text)
        words = text.split()
        for cut in range(min(4, len(words) - 1), 0, -1):
            tail = " ".join(words[-cut:])
            if V.is_furniture_line(tail):
                return " ".join(words[:-cut]).rstrip(" |-–")
        return text

    def _title_candidates(self) -> Iterator[tuple[Any, str]]:
        seen: set[Any] = set()
        for tag in S.TITLE_TAGS:
            for el in self.body.iter(tag):
                seen.add(el)
                yield el, self._strip_furniture_suffix(_text_of(el))
        for el in self.body.iter():
            if el in seen or not isinstance(el.tag, str):
                continue
            cid = _classid(el)
            if cid.strip() and S.TITLE_CLASS_RE.search(cid):
                text = self._strip_furniture_suffix(_text_of(el))
                if 8 <= len(text) <= 400:
                    yield el, text

    def _find_title(self) -> str | None:
        r = self.r
        hinted = _select(self.doc, self.hints.title) if self.hints else []
        for el in hinted:
            text = self._strip_furniture_suffix(_text_of(el))
            if text:
                self.title_el = el
                return text
        raw_doc_title = V.clean_text(self.doc.findtext(".//title") or "")
        doc_title = self._strip_site_name(raw_doc_title)
        raw_meta = self._meta_first(S.META_TITLE[:3])
        article = self._jsonld_article()
        if not raw_meta and article:
            raw_meta = next(iter(self._jsonld_names(article.get("headline") or article.get("name"))), None)
        if raw_meta and V.fold(raw_meta) in self.site_names:
            raw_meta = None  # og:title set to the site name on every page
        meta_title = self._strip_site_name(raw_meta) if raw_meta else None

        candidates = [(el, t) for el, t in self._title_candidates() if t and V.fold(t) not in self.site_names]
        # (text, is it the meta title) in order of trust; the raw forms in case stripping cut too much
        wanted = [(t, is_meta) for t, is_meta in ((meta_title, True), (raw_meta, True), (doc_title, False), (raw_doc_title, False))
                  if t and len(V.fold(t)) >= 3]
        # 1. a DOM element whose text is the meta/<title> title: the title, and where it sits
        for want, is_meta in wanted:
            key = V.fold(want)
            for el, text in candidates:
                if V.fold(text) == key:
                    self.title_el = el
                    return meta_title if is_meta and meta_title and V.fold(meta_title) == key else text
        # 2. the <title> contains a candidate (`<title>Site > Category > Title</title>`) or the reverse
        for want, _is_meta in wanted:
            key = V.fold(want)
            best = None
            for el, text in candidates:
                ft = V.fold(text)
                if len(ft) >= 10 and (ft in key or key in ft) and len(ft) <= len(key) + 40:
                    if best is None or len(ft) > len(V.fold(best[1])):
                        best = (el, text)
            if best:
                self.title_el = best[0]
                return meta_title if meta_title and V.fold(meta_title) == V.fold(best[1]) else best[1]
        if meta_title:
            self.title_el = self._element_with_text(meta_title)
            return meta_title
        # 3. a part of the <title> (`Đảng bộ huyện - Sơ kết ...`) that some element shows on its own
        parts = sorted({p.strip() for p in V.TITLE_SEPARATOR_RE.split(raw_doc_title) if len(p.strip()) >= 15}, key=len, reverse=True)
        for part in parts:
            el = self._element_with_text(part)
            if el is not None and V.fold(part) not in self.site_names:
                self.title_el = el
                return part
        h1s = [(el, t) for el, t in candidates if el.tag == "h1"]
        if len(h1s) == 1:
            self.title_el = h1s[0][0]
            return h1s[0][1]
        if doc_title and V.fold(doc_title) not in self.site_names:
            r.warnings.append("title taken from <title>")
            self.title_el = self._element_with_text(doc_title)
            return doc_title
        return None

    def _element_with_text(self, text: str) -> Any:
        key = V.fold(text)
        for el in self.body.iter():
            if isinstance(el.tag, str) and el.text and len(el.text) >= len(text) - 5 and V.fold(el.text) == key:
                return el
        return None

    # -- the page's text in order --------------------------------------------------------------

    def _index_text(self) -> None:
        """The body's text in document order with the offsets of the title element (for "near the
        title" searches) and every element's (for region tests)."""
        parts: list[str] = []
        pos = 0
        spans: dict[Any, tuple[int, int]] = {}
        starts: dict[Any, int] = {}
        stack: list[tuple[Any, bool]] = [(self.body, False)]
        while stack:
            node, closing = stack.pop()
            tag = node.tag if isinstance(node.tag, str) else ""
            if closing:
                if tag in S.BLOCK_TAGS:
                    parts.append("\n")
                    pos += 1
                spans[node] = (starts[node], pos)
                if node is not self.body and node.tail:
                    parts.append(node.tail)
                    pos += len(node.tail)
                continue
            if tag in S.BLOCK_TAGS:
                parts.append("\n")
                pos += 1
            starts[node] = pos
            if tag and node.text:
                parts.append(node.text)
                pos += len(node.text)
            stack.append((node, True))
            for child in reversed(node):
                stack.append((child, False))
        self.doc_text = "".join(parts)
        self.spans = spans

    def _span(self, el: Any) -> tuple[int, int] | None:
        return self.spans.get(el) if el is not None else None

    # -- DOM facts gathered before the tree is pruned ------------------------------------------

    def _scan_dom(self) -> None:
        """Anchor texts (listing test), right-aligned and byline texts (author test), image captions."""
        for a in self.body.iter("a"):
            raw = a.text_content()
            if len(raw) >= 20:
                text = V.fold(raw)
                if len(text) >= 20:
                    self.anchor_texts.add(text)
        for el in self.body.iter():
            if not isinstance(el.tag, str):
                continue
            style = el.get("style") or ""
            if (el.get("align") or "").lower() == "right" or S.RIGHT_ALIGN_RE.search(style):
                text = _text_of(el)
                if 0 < len(text) <= 300:
                    for line in [text, *text.split("\n")]:
                        self.right_texts.add(V.fold(line))
            cid = _classid(el)
            if cid.strip() and S.AUTHOR_CLASS_RE.search(cid):
                text = _text_of(el)
                if 0 < len(text) <= 300:
                    self.byline_texts.add(text)
                    self.byline_keys.update(V.fold(line) for line in [text, *text.split("\n")])
        for img in self.body.iter("img"):
            src = self._img_src(img)
            if not src:
                continue
            url = _abs_url(self._base_url(), src)
            if self._is_icon(img, url):
                self.small_images.add(url)
                continue
            caption = self._caption_for(img)
            if caption:
                self.captions.setdefault(url, caption)

    def _scan_teasers(self) -> None:
        """Lines of repeated link-bearing siblings (the items of a listing: title link, date, sapo).

        A listing's prose is its items' sapos; an article's prose sits outside any repeated group
        (related lists hold links, not prose). The not-an-article test compares the body with these."""
        for parent in self.body.iter():
            if not isinstance(parent.tag, str) or len(parent) < LISTING_MIN_TEASERS:
                continue
            groups: dict[tuple[str, str], list[Any]] = {}
            for child in parent:
                if isinstance(child.tag, str):
                    groups.setdefault((child.tag, child.get("class") or ""), []).append(child)
            for members in groups.values():
                if len(members) < LISTING_MIN_TEASERS:
                    continue
                linked = [m for m in members if any(len(a.text_content().strip()) >= 15 for a in m.iter("a"))]
                if len(linked) < LISTING_MIN_TEASERS or len(linked) < 0.7 * len(members):
                    continue
                for m in linked:
                    # menus and link lists hold only anchors (already in anchor_texts): the lines that
                    # matter are a teaser's date and sapo
                    if len(m.text_content()) < 60:
                        continue
                    for line in _text_of(m).split("\n"):
                        if len(line) >= 10:
                            self.teaser_texts.add(V.fold(line))

    def _base_url(self) -> str:
        """What relative URLs resolve against: the page URL, or its <base href>."""
        if self._base is None:
            base = self.doc.find(".//base")
            self._base = self.url
            if base is not None and base.get("href"):
                try:
                    self._base = urljoin(self.url, base.get("href"))
                except ValueError:  # `<base href="http://[bad">`: relative URLs resolve against the page
                    pass
        return self._base

    @staticmethod
    def _img_src(img: Any) -> str | None:
        for attr in S.IMAGE_SRC_ATTRS:
            value = (img.get(attr) or "").strip()
            if value and not value.startswith("data:"):
                return value
        return None

    @staticmethod
    def _is_icon(img: Any, url: str) -> bool:
        if S.ICON_SRC_RE.search(url):
            return True
        for attr in ("width", "height"):
            m = re.match(r"\s*(\d+)", img.get(attr) or "")
            if m and int(m.group(1)) < S.MIN_IMAGE_PX:
                return True
        return False

    def _caption_for(self, img: Any) -> str | None:
        """The caption of ``img``: its <figure>'s <figcaption>, the other row of a one-image table, the
        short centred/italic/caption-classed block right after it, else a meaningful alt/title."""
        el = img
        for _ in range(4):
            el = el.getparent()
            if el is None:
                break
            if el.tag == "figure":
                cap = el.find(".//figcaption")
                if cap is not None and _text_of(cap):
                    return V.clean_text(_text_of(cap))
                break
            if el.tag == "table":
                # an image with its caption row; in a table of data the other cells are data, not a caption
                if len(el.xpath(".//img")) == 1 and not _html_table_is_data(el):
                    text = V.clean_text(_text_of(el))
                    if 0 < len(text) <= 400:
                        return text
                break
        block = img
        while block.getparent() is not None and block.tag not in ("p", "div", "figure", "td", "center") and block.getparent().tag != "body":
            block = block.getparent()
        own = V.clean_text(_text_of(block))
        if own and len(own) <= 300 and block.tag != "td" and len(block.xpath(".//img")) == 1:
            # the caption shares the image's paragraph (`<p><img><br><em>caption</em></p>`)
            if self._caption_like(block, own) and not V.is_furniture_line(own):
                return own
        nxt = block.getnext()
        if block.tag in ("td", "th") and _html_table_is_data(next(block.iterancestors("table"), block)):
            nxt = None  # the next cell of a data table is the next column, not a caption
        if nxt is not None and isinstance(nxt.tag, str) and not nxt.xpath(".//img"):
            text = V.clean_text(_text_of(nxt))
            if 0 < len(text) <= 300 and self._caption_like(nxt, text):
                return text
        for attr in ("title", "alt"):
            text = V.clean_text(img.get(attr) or "")
            if (len(text) >= 8 and not V.FILENAME_TEXT_RE.search(text)
                    and V.fold(text) != V.fold(self.r.title or "")):
                return text
        return None

    @staticmethod
    def _caption_like(el: Any, text: str) -> bool:
        """Centred, italic or caption-classed: how editors set a caption apart from body paragraphs."""
        if S.CENTER_ALIGN_RE.search(el.get("style") or "") or (el.get("align") or "").lower() == "center" or el.tag == "center":
            return True
        if S.CAPTION_CLASS_RE.search(_classid(el)):
            return True
        italic = "".join(x.text_content() for x in el.xpath(".//em|.//i"))
        return len(V.clean_text(italic)) >= 0.8 * len(text)

    # -- the content region ----------------------------------------------------------------------

    def _prose_weights(self, top: Any) -> dict[Any, int]:
        """Characters of prose (non-link text runs of MIN_PROSE_RUN+) under every element of ``top``."""
        weights: dict[Any, int] = {}
        stack: list[tuple[Any, bool]] = [(top, False)]
        path: list[Any] = []
        while stack:
            node, in_link = stack.pop()
            if node is None:
                path.pop()
                continue
            tag = node.tag if isinstance(node.tag, str) else ""
            link = in_link or tag == "a"
            path.append(node)
            stack.append((None, False))
            if tag and node.text and not link:
                n = len(node.text.strip())
                if n >= MIN_PROSE_RUN:
                    for anc in path:
                        weights[anc] = weights.get(anc, 0) + n
            # tails belong to this node's parent context: account for them before descending
            for child in node:
                if child.tail and not in_link and tag != "a":
                    n = len(child.tail.strip())
                    if n >= MIN_PROSE_RUN:
                        for anc in path:
                            weights[anc] = weights.get(anc, 0) + n
            for child in reversed(node):
                stack.append((child, link))
        return weights

    def _find_region(self) -> None:
        """The element holding the article: the title's nearest ancestor with most of the prose."""
        weights = self._prose_weights(self.body)
        total = weights.get(self.body, 0)
        self.weights = weights
        if total == 0:
            self.region = self.body
            return
        body_hint = None
        hinted = _select(self.doc, self.hints.body) if self.hints else []
        known = hinted or [el for xp in S.KNOWN_BODY_XPATHS for el in self.doc.xpath(xp)]
        known = [el for el in known if weights.get(el, 0) >= 0.3 * total]
        if known:
            body_hint = max(known, key=lambda e: weights.get(e, 0))
        region = None
        if self.title_el is not None:
            anchor = self.title_el
            el = anchor
            while el is not None and el is not self.body:
                w = weights.get(el, 0)
                if w >= REGION_PROSE_SHARE * total and w >= min(total, 300):
                    if body_hint is None or self._contains(el, body_hint) or self._contains(body_hint, el):
                        region = el
                        break
                el = el.getparent()
            if region is None and body_hint is not None:
                region = self._common_ancestor(self.title_el, body_hint)
        if region is None or region is self.body:
            root = body_hint if body_hint is not None else self._prose_root(weights, total)
            if root is not None and root is not self.body:
                parent = root.getparent()
                region = parent if parent is not None and parent is not self.body else root
        self.region = region if region is not None else self.body

    def _prose_root(self, weights: dict[Any, int], total: int) -> Any:
        el = self.body
        while True:
            best = None
            for child in el:
                if weights.get(child, 0) >= PROSE_ROOT_SHARE * total:
                    best = child
                    break
            if best is None:
                return el
            el = best

    @staticmethod
    def _contains(outer: Any, inner: Any) -> bool:
        el = inner
        while el is not None:
            if el is outer:
                return True
            el = el.getparent()
        return False

    def _common_ancestor(self, a: Any, b: Any) -> Any:
        ancestors = set()
        el = a
        while el is not None:
            ancestors.add(el)
            el = el.getparent()
        el = b
        while el is not None and el not in ancestors:
            el = el.getparent()
        return el if el is not None else self.body

    def _in_region(self, el: Any) -> bool:
        return self.region is None or self._contains(self.region, el)

    # -- dates ------------------------------------------------------------------------------------

    def _near_title_text(self) -> tuple[str, str]:
        """(text right after the title, text right before it), or the region's text when no title element."""
        span = self._span(self.title_el)
        if span is None:
            rspan = self._span(self.region) or (0, len(self.doc_text))
            return self.doc_text[rspan[0]: rspan[0] + DATE_WINDOW_AFTER + 400], ""
        start, end = span
        # above the title, only inside the content region: the page header's "today is ..." bar is not
        # the article's date
        rstart = (self._span(self.region) or (0, 0))[0] if self.region is not self.body else start
        return (self.doc_text[end: end + DATE_WINDOW_AFTER], self.doc_text[max(0, rstart, start - DATE_WINDOW_BEFORE): start])

    def _date_in(self, text: str, *, short_lines: bool = True) -> V.DateMatch | None:
        """The first date in ``text`` that stands on a short line (a date inside a sentence of the lead
        or body is a date the article cites, not its publication date). A date labelled "Cập nhật"
        (updated) is taken only when there is no other: many CMSs label the publication time so."""
        updated = None
        for dm in V.find_dates(text, self.tz):
            if not short_lines:
                return dm
            if updated is not None and dm.start - updated.end > UPDATED_LOOKAHEAD:
                break
            line_start = text.rfind("\n", 0, dm.start) + 1
            line_end = text.find("\n", dm.end)
            line = V.clean_text(text[line_start: line_end if line_end >= 0 else len(text)])
            if len(line) > 140:
                continue
            if V.UPDATED_LABEL_RE.search(text[line_start:dm.start]):
                updated = updated or dm
                continue
            return dm
        return updated

    def _find_dates(self) -> tuple[datetime | None, datetime | None]:
        candidates: list[tuple[str, datetime, bool]] = []

        def add(label: str, found: tuple[datetime, bool] | V.DateMatch | None) -> None:
            if found is None:
                return
            if isinstance(found, V.DateMatch):
                candidates.append((label, found.value, found.has_time))
            else:
                candidates.append((label, found[0], found[1]))

        if self.hints and self.hints.date:
            for el in _select(self.doc, self.hints.date):
                add("hint", self._date_of_element(el))
        for name in S.META_PUBLISHED:
            for value in self.meta.get(name, ()):
                add("meta", V.parse_iso_datetime(value, self.tz))
        article = self._jsonld_article()
        if article:
            add("jsonld", V.parse_iso_datetime(str(article.get("datePublished") or ""), self.tz))
        for xp in S.KNOWN_DATE_XPATHS:
            for el in self.doc.xpath(xp):
                if self._in_region(el):
                    add("known", self._date_of_element(el))
        after, before = self._near_title_text()
        add("near-title", self._date_in(after))
        for el in (self.region if self.region is not None else self.body).iter("time"):
            add("time", self._date_of_element(el))
        if before:
            dm = self._date_in(before)
            if dm is not None:
                add("before-title", dm)
        title_start = (self._span(self.title_el) or (0, 0))[0]
        for el in (self.region if self.region is not None else self.body).iter():
            if isinstance(el.tag, str) and S.DATE_CLASS_RE.search(_classid(el)):
                # not a "today is ..." bar in the page header, nor the date of a teaser
                if (self._span(el) or (0, 0))[0] < title_start - DATE_WINDOW_BEFORE or self._in_teaser(el):
                    continue
                text = _text_of(el)
                if 6 <= len(text) <= 120:
                    add("date-class", self._date_in(text, short_lines=False))
        published = self._pick_date(candidates)
        if published is None:
            self.r.warnings.append("no publication date found")

        modified_c: list[tuple[str, datetime, bool]] = []
        for name in S.META_MODIFIED:
            for value in self.meta.get(name, ()):
                found = V.parse_iso_datetime(value, self.tz)
                if found:
                    modified_c.append(("meta", found[0], found[1]))
        if article:
            found = V.parse_iso_datetime(str(article.get("dateModified") or ""), self.tz)
            if found:
                modified_c.append(("jsonld", found[0], found[1]))
        m = V.UPDATED_PREFIX_RE.search(after)
        if m:
            dm = V.find_dates(after[m.end(): m.end() + 60], self.tz)
            if dm:
                modified_c.append(("text", dm[0].value, dm[0].has_time))
        modified = self._pick_date(modified_c)
        return published, modified

    def _date_of_element(self, el: Any) -> tuple[datetime, bool] | None:
        for attr in ("datetime", "content", "title"):
            value = el.get(attr)
            if value:
                found = V.parse_iso_datetime(value, self.tz)
                if found:
                    return found
        dm = V.find_dates(_text_of(el), self.tz)
        return (dm[0].value, dm[0].has_time) if dm else None

    def _pick_date(self, candidates: list[tuple[str, datetime, bool]]) -> datetime | None:
        """The first candidate in order of trust; a date without time is completed by a later candidate
        with a time on the same local day (trafilatura-style meta often drops the time of day)."""
        if not candidates:
            return None
        _label, value, has_time = candidates[0]
        if not has_time:
            day = value.astimezone(self.tz).date() if value.tzinfo else value.date()
            for _l, other, other_time in candidates[1:]:
                if other_time and other.astimezone(self.tz).date() == day:
                    return other.astimezone(self.tz)
        return value.astimezone(self.tz) if value.tzinfo else value.replace(tzinfo=self.tz)

    def _finish_dates(self) -> None:
        r = self.r
        if r.published_at and self.fetched_at:
            fetched = self.fetched_at if self.fetched_at.tzinfo else self.fetched_at.replace(tzinfo=self.tz)
            if (r.published_at - fetched).total_seconds() > 86400:
                r.warnings.append("publication date is in the future of the fetch time")
        if r.published_at and r.modified_at and r.modified_at < r.published_at:
            r.warnings.append("modified date is before the publication date")

    # -- views, tags, category ------------------------------------------------------------------

    def _find_views(self) -> int | None:
        """The article's own view counter: the first counter after the title, inside the content region
        if there is one there, that is not part of a teaser (`<li><a>Other article</a> 24.512 lượt xem</li>`
        in a "most read" box)."""
        if self.hints and self.hints.views:
            for el in _select(self.doc, self.hints.views):
                text = _text_of(el)
                n = V.parse_views(text)
                if n is None and re.fullmatch(r"[\d.,\s]+", text or "x"):
                    n = int(re.sub(r"\D", "", text))
                if n is not None:
                    return n
        found: list[tuple[int, Any, int]] = []
        seen: set[Any] = set()
        for node in self.body.xpath(S.VIEWS_TEXT_XPATH):
            el = node.getparent()
            if el is None:
                continue
            if getattr(node, "is_tail", False):
                el = el.getparent()
            for _ in range(3):
                if el is None or el in seen:
                    break
                text = _text_of(el)
                if len(text) > 200:
                    break
                n = V.parse_views(text)
                if n is not None:
                    seen.add(el)
                    if not self._in_teaser(el):
                        found.append(((self._span(el) or (0, 0))[0], el, n))
                    break
                el = el.getparent()
        if not found:
            return None
        found.sort(key=lambda f: f[0])
        title = self._span(self.title_el)
        after = [f for f in found if title is None or f[0] >= title[0]]
        in_region = [f for f in after if self._in_region(f[1])]
        return (in_region or after or found)[0][2]

    def _in_teaser(self, el: Any) -> bool:
        """True when ``el`` belongs to a teaser of another article (a list item or box with a headline link)."""
        holder = el
        for _ in range(3):
            if holder is None:
                break
            if holder.tag == "li" or holder is el:
                for a in holder.iter("a"):
                    if len(V.clean_text(a.text_content())) >= 20:
                        return True
            holder = holder.getparent()
        return False

    def _link_texts(self, el: Any) -> list[str]:
        return [t for t in (V.clean_text(_text_of(a)) for a in el.iter("a")) if t]

    def _find_tags(self) -> list[str]:
        tags: list[str] = []
        if self.hints and self.hints.tags:
            for el in _select(self.doc, self.hints.tags):
                tags += self._link_texts(el) or V.split_tags(_text_of(el))
        if not tags:
            for name in S.META_TAG:
                for value in self.meta.get(name, ()):
                    tags += V.split_tags(value) if name != "article:tag" else [value]
        if not tags:
            article = self._jsonld_article()
            kw = article.get("keywords") if article else None
            if isinstance(kw, str):
                tags += V.split_tags(kw)
            elif isinstance(kw, list):
                tags += [V.clean_text(str(k)) for k in kw]
        if not tags:
            tags = self._tags_from_dom()
        return self._dedupe_tags(tags)

    def _tags_from_dom(self) -> list[str]:
        region = self.region if self.region is not None else self.body
        rel_tags = [V.clean_text(_text_of(a)) for a in region.xpath(S.TAG_LINK_XPATH)]
        if rel_tags:
            return rel_tags
        for el in region.iter():
            if not isinstance(el.tag, str) or not el.text or not el.text.strip():
                continue
            own = el.text.strip()
            if V.TAG_LABEL_RE.match(own) or V.TAG_LINE_RE.match(own):
                holder = el if el.find(".//a") is not None else el.getparent()
                links = self._link_texts(holder) if holder is not None else []
                if links:
                    return [t for t in links if not V.TAG_LABEL_RE.match(t)]
                parsed = V.parse_tag_line(_text_of(el))
                if parsed:
                    return parsed
        for el in region.iter():
            if isinstance(el.tag, str) and el.tag not in ("a", "body") and S.TAGS_CLASS_RE.search(_classid(el)):
                links = self._link_texts(el)
                if links and len(links) <= 30:
                    return [t for t in links if not V.TAG_LABEL_RE.match(t)]
        return []

    @staticmethod
    def _dedupe_tags(tags: Iterable[str]) -> list[str]:
        out: list[str] = []
        seen: set[str] = set()
        for tag in tags:
            tag = V.clean_text(tag).strip(" #,;.")
            tag = re.sub(r"^(?:Từ\s+khó?a|Tags?|Thẻ)\s*[:：]\s*", "", tag, flags=re.IGNORECASE)
            if tag and len(tag) <= 80 and tag.casefold() not in seen:
                seen.add(tag.casefold())
                out.append(tag)
        return out

    def _find_category(self) -> str | None:
        if self.hints and self.hints.category:
            for el in _select(self.doc, self.hints.category):
                items = self._link_texts(el) or [_text_of(el)]
                for item in reversed(items):
                    if self._is_category_name(item):
                        return V.clean_text(item)
        value = self._meta_first(S.META_SECTION[:1])
        if value:
            return value
        article = self._jsonld_article()
        if article and article.get("articleSection"):
            names = self._jsonld_names(article["articleSection"])
            if names:
                return names[0]
        for item in self.jsonld:
            if "breadcrumblist" in self._jsonld_types(item):
                elements = item.get("itemListElement") or []
                names = []
                for entry in elements if isinstance(elements, list) else []:
                    if isinstance(entry, dict):
                        name = entry.get("name") or (entry.get("item") or {}).get("name") if isinstance(entry.get("item"), dict) else entry.get("name")
                        if name:
                            names.append(V.clean_text(str(name)))
                for name in reversed(names):
                    if self._is_category_name(name):
                        return name
        crumbs = [el for el in self.body.iter() if isinstance(el.tag, str) and S.BREADCRUMB_CLASS_RE.search(_classid(el))]
        items: list[str] = []
        menu_items = [el for el in crumbs if el.tag == "li"]
        if len(menu_items) >= 2 and all(el.find(".//li") is not None or el.find("a") is not None for el in menu_items):
            # DotNetNuke-style menus mark the selected path's <li> with "breadcrumb": their own links
            for el in menu_items:
                a = el.find(".//a")
                if a is not None:
                    items.append(_text_of(a))
        elif crumbs:
            items = self._link_texts(crumbs[0])
            text = _text_of(crumbs[0])
            if len(items) < 2:
                items = [p for p in V.BREADCRUMB_SEPARATOR_RE.split(text) if p.strip()]
            else:
                last = V.BREADCRUMB_SEPARATOR_RE.split(text.strip())[-1]
                if last and V.fold(last) != V.fold(items[-1]):
                    items.append(last)  # the current page's crumb is often plain text
        for item in reversed(items):
            if self._is_category_name(item):
                return V.clean_text(item)
        for a in self.body.xpath(S.CATEGORY_LINK_XPATH):
            if self._is_category_name(_text_of(a)):
                return V.clean_text(_text_of(a))
        if self.profile:
            return self.profile.category_of(self.url)
        return None

    def _is_category_name(self, text: str) -> bool:
        key = V.fold(text)
        if not key or len(text) > 80:
            return False
        if key in ("trang chu", "home", "trang nhat") or key in self.site_names:
            return False
        return key != V.fold(self.r.title or "")

    # -- lead ------------------------------------------------------------------------------------

    def _find_lead(self) -> str | None:
        if self.hints and self.hints.lead:
            for el in _select(self.doc, self.hints.lead):
                text = V.clean_text(_text_of(el))
                if text:
                    return text
        region = self.region if self.region is not None else self.body
        total = self.weights.get(region, 0) if hasattr(self, "weights") else 0
        for el in region.iter():
            if not isinstance(el.tag, str) or el.tag in ("body", "html", "a"):
                continue
            if S.LEAD_CLASS_RE.search(_classid(el)):
                text = V.clean_text(_text_of(el))
                if 30 <= len(text) <= 1200 and self.weights.get(el, 0) < 0.6 * max(total, 1):
                    if self.title_el is None or not self._contains(el, self.title_el):
                        return text
        desc = self._meta_first(S.META_DESCRIPTION)
        if desc is None:
            article = self._jsonld_article()
            if article and isinstance(article.get("description"), str):
                desc = V.clean_text(article["description"])
        if desc and len(desc) >= 30 and V.fold(desc) != V.fold(self.r.title or "") and V.fold(desc) not in self.site_names:
            # a site-wide description ("Cổng thông tin điện tử ...") is not a lead: accept the meta
            # description when the page says it is an article, or when the article region shows it
            stem = V.fold(desc.rstrip(".… "))[:60]
            rspan = self._span(self.region) or (0, len(self.doc_text))
            visible = bool(stem) and stem in V.fold(self.doc_text[rspan[0]: rspan[1]])
            if visible or self.page_typed_article or self._jsonld_article():
                return desc
        return None

    # -- byline ------------------------------------------------------------------------------------

    def _find_byline(self) -> tuple[str | None, str | None]:
        """(author, source) from hints, JSON-LD/meta, or byline elements; the body's final line is read
        later (_clean_blocks) and only fills what is still missing."""
        if self.hints and self.hints.author:
            for el in _select(self.doc, self.hints.author):
                text = V.clean_text(_text_of(el))
                if text:
                    parsed = V.parse_author_line(text, strong=True, bylines=self.bylines)
                    if parsed:
                        return parsed.author, parsed.source
                    return text, None
        article = self._jsonld_article()
        names = self._jsonld_names(article.get("author")) if article else []
        for name in names + self.meta.get("author", []) + self.meta.get("article:author", []) + self.meta.get("dc.creator", []):
            if name.startswith("http") or V.fold(name) in self.site_names:
                continue
            if V.looks_like_person(name, strict=False):
                return name, None
        region_key: str | None = None
        for text in sorted(self.byline_texts, key=lambda t: (len(t), t)):  # shortest first, stable
            for line in text.split("\n"):
                parsed = V.parse_author_line(line, strong=True, bylines=self.bylines)
                if parsed and parsed.author:
                    # only a byline inside the article (not a sidebar "featured author" box)
                    if region_key is None:
                        rspan = self._span(self.region) or (0, len(self.doc_text))
                        region_key = V.fold(self.doc_text[rspan[0]: rspan[1]])
                    if V.fold(line) and V.fold(line) in region_key:
                        return parsed.author, parsed.source
        return None, None

    # -- body: prune, trafilatura, blocks ------------------------------------------------------------

    def _prune_to_region(self) -> None:
        region = self.region
        if region is None or region is self.body:
            return
        el = region
        while el is not None and el is not self.doc:
            parent = el.getparent()
            if parent is None:
                break
            for sib in list(parent):
                if sib is not el and sib.tag != "head":
                    parent.remove(sib)
            el = parent

    def _remove_furniture(self) -> None:
        region = self.region if self.region is not None else self.body
        total = max(self.weights.get(region, 0), 1)
        doomed = []
        for el in region.iter():
            if el is region or not isinstance(el.tag, str):
                continue
            if el.tag in S.FURNITURE_TAGS or S.FURNITURE_CLASS_RE.search(_classid(el)):
                if self.weights.get(el, 0) <= FURNITURE_MAX_PROSE_SHARE * total and (
                    self.title_el is None or not self._contains(el, self.title_el)
                ):
                    doomed.append(el)
        for el in doomed:
            if el.getparent() is not None:
                self._drop(el)

    def _run_trafilatura(self, tree: Any) -> Any:
        """trafilatura's body (its XML tree) for ``tree``. Recall mode: the tree is already narrowed to the
        content region, and balanced mode drops lists of points from bodies it does not recognise."""
        import trafilatura

        doc = trafilatura.bare_extraction(
            tree,
            url=self.url,
            fast=True,
            favor_recall=True,
            include_comments=False,
            include_tables=True,
            include_images=True,
            include_formatting=True,
            include_links=True,
            deduplicate=False,
            with_metadata=False,
            config=_trafilatura_config(),
        )
        return getattr(doc, "body", None) if doc is not None else None

    def _body_blocks(self) -> list[_Block]:
        pruned = self.region is not None and self.region is not self.body
        self._prune_to_region()
        self._remove_furniture()
        _unwrap_layout_tables(self.doc)
        if pruned and self.region.tag in ("div", "td", "section", "main") and next(self.region.iterancestors("table"), None) is None:
            self.region.tag = "article"
        body = self._run_trafilatura(self.doc)
        blocks = list(self._blocks_from(body)) if body is not None else []
        chars = sum(len(b.text) for b in blocks)
        if chars < MIN_BODY_CHARS and pruned:
            # the region was a bad guess (or trafilatura disliked it): the whole page, recall mode
            whole = lxml.html.document_fromstring(self.text, parser=self._parser())
            etree.strip_elements(whole, *S.DROP_TAGS, with_tail=False)
            _unwrap_layout_tables(whole)
            body = self._run_trafilatura(whole)
            wider = list(self._blocks_from(body)) if body is not None else []
            if sum(len(b.text) for b in wider) > chars:
                self.r.warnings.append("content region gave no body; extracted from the whole page")
                blocks = wider
        return blocks

    def _runs(self, el: Any, bold: bool = False, italic: bool = False, link: bool = False) -> Iterator[tuple]:
        """Inline content of a trafilatura element: ("t", text, bold, italic, link) | ("br",) | ("img", el)."""
        if el.text:
            yield ("t", el.text, bold, italic, link)
        for child in el:
            tag = child.tag
            if tag == "lb":
                yield ("br",)
            elif tag == "graphic":
                yield ("img", child)
            elif tag == "hi":
                rend = child.get("rend") or ""
                yield from self._runs(child, bold or "#b" in rend, italic or "#i" in rend, link)
            elif tag == "ref":
                yield from self._runs(child, bold, italic, True)
            elif tag in ("p", "head", "list", "item", "quote", "table"):
                yield ("br",)
                yield from self._runs(child, bold, italic, link)
                yield ("br",)
            else:
                yield from self._runs(child, bold, italic, link)
            if child.tail:
                yield ("t", child.tail, bold, italic, link)

    def _lines(self, el: Any, kind: str, **extra: Any) -> Iterator[_Block]:
        """Blocks of one trafilatura paragraph-like element: split at line breaks and images."""
        current: list[tuple] = []

        def flush() -> Iterator[_Block]:
            text = V.clean_text("".join(r[1] for r in current))
            if text:
                visible = [r for r in current if r[1].strip()]
                yield _Block(
                    kind=kind,
                    text=text,
                    bold=bool(visible) and all(r[2] for r in visible),
                    link_chars=sum(len(V.clean_text(r[1])) for r in visible if r[4]),
                    **extra,
                )
            current.clear()

        for run in self._runs(el):
            if run[0] == "t":
                current.append(run)
            elif run[0] == "br":
                yield from flush()
            else:
                yield from flush()
                img = self._image_block(run[1])
                if img:
                    yield img
        yield from flush()

    def _image_block(self, graphic: Any) -> _Block | None:
        src = graphic.get("src")
        if not src:
            return None
        return _Block(kind="img", src=_abs_url(self._base_url(), src), alt=V.clean_text(graphic.get("alt") or graphic.get("title") or ""))

    # trafilatura's block elements; anything else in a container is inline (hi, ref, lb, graphic, text)
    _XML_BLOCKS = frozenset({"p", "head", "list", "quote", "table", "code", "div"})

    def _blocks_from(self, container: Any) -> Iterator[_Block]:
        """Blocks of a trafilatura container (its <body>, or a layout-table cell): block children one
        by one, runs of inline content between them as paragraphs."""
        inline = etree.Element("p")
        inline.text = container.text
        for el in list(container):
            if el.tag in self._XML_BLOCKS or (el.tag == "graphic" and container.tag == "body"):
                if inline.text or len(inline):
                    yield from self._lines(inline, "p")
                    inline = etree.Element("p")
                yield from self._block(el)
                inline.text = el.tail if el.tail and el.tail.strip() else None
            else:
                inline.append(el)  # moves the element, with its tail
        if inline.text or len(inline):
            yield from self._lines(inline, "p")

    def _block(self, el: Any) -> Iterator[_Block]:
        tag = el.tag
        if tag == "head":
            rend = el.get("rend") or "h2"
            level = int(rend[1]) if re.fullmatch(r"h[1-6]", rend) else 2
            for b in self._lines(el, "h", level=level):
                yield b
        elif tag == "list":
            self._group += 1
            group = self._group
            ordered = (el.get("rend") or "") in ("ol",)
            for item in el.findall("item"):
                blocks = list(self._lines(item, "li", ordered=ordered, group=group))
                texts = [b for b in blocks if b.kind == "li"]
                if texts:
                    yield _Block(
                        kind="li", text=" ".join(b.text for b in texts), ordered=ordered, group=group,
                        bold=all(b.bold for b in texts), link_chars=sum(b.link_chars for b in texts),
                    )
                for b in blocks:
                    if b.kind == "img":
                        yield b
        elif tag == "quote":
            yield from self._lines(el, "quote")
        elif tag == "graphic":
            img = self._image_block(el)
            if img:
                yield img
        elif tag == "table":
            yield from self._table_blocks(el)
        elif tag == "code":
            # trafilatura's output is plain lxml.etree: no text_content(), itertext() is the same text
            text = V.clean_text("".join(el.itertext()), keep_newlines=True)
            if text:
                yield _Block(kind="pre", text=text)
        elif tag == "div":
            yield from self._blocks_from(el)
        else:
            yield from self._lines(el, "p")

    def _table_blocks(self, table: Any) -> Iterator[_Block]:
        """A data table as one ``table`` block (plain cells, its images after it); a layout table (the
        whole article in one cell, an image with its caption row, a gallery) as the blocks of its cells."""
        # direct rows only: trafilatura emits a nested table as a table of its own, after this one
        rows = [[c for c in row if c.tag == "cell"] for row in table if row.tag == "row"]
        if not _is_data_table(rows):
            for cells in rows:
                for cell in cells:
                    yield from self._blocks_from(cell)
            return
        graphics: list[Any] = []
        data = _tidy_rows([[_cell_text(c, graphics) for c in cells] for cells in rows])
        if data:
            text = "\n".join(" | ".join(c for c in r if c) for r in data)
            yield _Block(kind="table", text=text, rows=data)
        for graphic in graphics:
            img = self._image_block(graphic)
            if img:
                yield img

    # -- block rules -----------------------------------------------------------------------------

    def _is_title_block(self, text: str) -> bool:
        title = self.r.title
        if not title:
            return False
        key, ft = V.fold(title), V.fold(text)
        if not ft:
            return False
        if ft == key:
            return True
        if ft.startswith(key):
            remainder = V.clean_text(text)[len(V.clean_text(title)):]
            return V.is_furniture_line(remainder) or V.is_meta_line(remainder, self.tz) or not V.fold(remainder)
        return False

    def _is_head_material(self, b: _Block) -> bool:
        """A block that may sit above the title: a banner slogan, a short line, a picture."""
        if b.kind == "img" or len(b.text) <= 160:
            return True
        return V.is_slogan(b.text)

    def _is_strong_byline(self, b: _Block) -> bool:
        key = V.fold(b.text)
        return b.bold or key in self.right_texts or key in self.byline_keys

    def _clean_blocks(self, blocks: list[_Block], lead: str | None) -> list[_Block]:
        r = self.r
        tokens: list[str] = []
        cleaned: list[_Block] = []
        for b in blocks:
            if b.kind == "table" and b.rows:
                found = [t for row in b.rows for cell in row for t in V.remove_cms_tokens(cell)[1]]
                if found:
                    tokens += found
                    b.rows = _tidy_rows([[V.clean_text(V.remove_cms_tokens(c)[0]) for c in row] for row in b.rows])
                    b.text = "\n".join(" | ".join(c for c in r if c) for r in b.rows)
                if not b.text:
                    continue
            elif b.kind != "img":
                text, found = V.remove_cms_tokens(b.text)
                if found:
                    tokens += found
                    b.text = V.clean_text(text)
                if not b.text:
                    continue
            elif b.src in self.small_images or (b.src and S.ICON_SRC_RE.search(b.src)):
                continue
            cleaned.append(b)
        if tokens:
            r.warnings.append("CMS placeholder(s) removed from the body: " + ", ".join(sorted(set(tokens))))
        blocks = cleaned

        # the head: everything up to the title, the title itself, then date/toolbar/slogan lines
        limit = min(HEAD_BLOCKS, len(blocks))
        title_idx = next((i for i in range(limit) if blocks[i].kind != "img" and self._is_title_block(blocks[i].text)), None)
        # only page-head material may precede the title (a body heading can repeat the title: the
        # paragraphs before it are article text, not a banner)
        if title_idx is not None and all(self._is_head_material(b) for b in blocks[:title_idx]):
            blocks = blocks[title_idx + 1:]
        while blocks:
            b = blocks[0]
            if b.kind in ("img", "table"):  # content: the head ends here
                break
            t = b.text
            # a slogan is dropped only as a banner line (no sentence end): a first paragraph may well open
            # with "Chào mừng ..." and end with a full stop
            slogan = V.is_slogan(t) and not _ends_sentence(t)
            if (self._is_title_block(t) or V.is_meta_line(t, self.tz) or V.is_furniture_line(t) or V.is_views_line(t)
                    or V.is_stats_line(t) or slogan or self._is_breadcrumb_line(t)):
                blocks.pop(0)
                continue
            parsed = V.parse_author_line(t, strong=bool(V.AUTHOR_LABEL_RE.match(t)), bylines=self.bylines) if len(t) <= 120 else None
            if parsed and (V.AUTHOR_LABEL_RE.match(t) or self._is_strong_byline(b)) and len(blocks) > 1:
                if r.author is None and parsed.author:
                    r.author = parsed.author
                if r.source is None and parsed.source:
                    r.source = parsed.source
                blocks.pop(0)
                continue
            break

        # the lead, when the body repeats it
        if lead and blocks:
            first = next((i for i, b in enumerate(blocks[:3]) if b.kind != "img"), None)
            # only an exact repeat leaves the body: a meta description that merely begins like the first
            # paragraph (a truncated teaser) must not cost the body its first paragraph
            if first is not None and V.fold(blocks[first].text) == V.fold(lead):
                del blocks[first]
        elif blocks and blocks[0].kind == "p" and blocks[0].bold and len(blocks) > 2:
            first = blocks[0]
            if len(first.text) >= 100 or (len(first.text) >= 60 and _ends_sentence(first.text)):
                lead = first.text
                del blocks[0]
        self.r.lead = lead

        # the middle: toolbar lines, counters, tag lines; cut at the first related/comments widget
        kept: list[_Block] = []
        self._tags_from_body = []
        skip_until = -1
        for i, b in enumerate(blocks):
            if i < skip_until:
                continue
            if b.kind in ("img", "table"):
                kept.append(b)
                continue
            t = b.text
            if V.is_end_marker(t) and b.kind in ("p", "h") and len(t) <= 60:
                resume = self._resume_after_box(blocks, i)
                if resume is None:
                    break
                skip_until = resume  # a "Tin liên quan" box inside the article: drop the box, keep going
                continue
            if V.is_furniture_line(t) or V.is_stats_line(t) or V.is_views_line(t):
                continue
            tags = V.parse_tag_line(t) if len(t) <= 400 else None
            if tags is not None:
                self._tags_from_body = tags
                continue
            if b.kind in ("p", "h") and V.TAG_LABEL_RE.match(t):
                continue
            kept.append(b)
        blocks = kept

        # the tail: link lists, meta lines, then the author/source line(s)
        author_taken = False
        while blocks:
            b = blocks[-1]
            t = b.text
            if b.kind in ("img", "table"):  # content: no byline or furniture line below it is read as one
                break
            if b.kind == "li" and self._is_link_list(blocks, b.group):
                blocks = [x for x in blocks if not (x.kind == "li" and x.group == b.group)]
                continue
            if V.is_meta_line(t, self.tz) or V.is_furniture_line(t) or V.is_stats_line(t) or V.is_views_line(t) or not V.fold(t):
                blocks.pop()
                continue
            if len(t) <= 160:
                src = V.parse_source_line(t)
                if src:
                    if r.source is None:
                        r.source = src
                    blocks.pop()
                    continue
                if not author_taken:
                    parsed = V.parse_author_line(t, strong=self._is_strong_byline(b), bylines=self.bylines)
                    if parsed is None and len(blocks) >= 2 and self._is_strong_byline(b) and b.kind == "p" and len(t) <= 100 and not _ends_sentence(t):
                        # `PGS.TS. Nguyễn Văn A` then `Học viện Chính trị quốc gia Hồ Chí Minh`
                        prev = blocks[-2]
                        above = V.parse_author_line(prev.text, strong=self._is_strong_byline(prev), bylines=self.bylines)
                        if above and above.author and self._is_strong_byline(prev):
                            # the author field is the person (titles kept); the affiliation line is
                            # part of the byline, not of the article text
                            if r.author is None:
                                r.author = above.author
                            if r.source is None and above.source:
                                r.source = above.source
                            del blocks[-2:]
                            author_taken = True
                            continue
                    if parsed:
                        if parsed.author and r.author is None:
                            r.author = parsed.author
                        if parsed.source and r.source is None:
                            r.source = parsed.source
                        blocks.pop()
                        author_taken = author_taken or parsed.author is not None
                        continue
            break
        return blocks

    @staticmethod
    def _resume_after_box(blocks: list[_Block], marker: int) -> int | None:
        """Where the article resumes after a related-links box that opens at ``marker``, or None when
        the marker opens the page's tail (nothing but links, widgets and footer lines follow)."""
        j = marker + 1
        while j < len(blocks) and (blocks[j].kind == "li" or (blocks[j].kind == "p" and blocks[j].link_ratio >= 0.5)):
            j += 1
        prose = 0
        long_paragraphs = 0
        for b in blocks[j:]:
            if b.kind in ("p", "h") and V.is_end_marker(b.text):
                break
            if b.kind in ("p", "quote") and b.link_ratio < 0.3:
                prose += len(b.text)
                long_paragraphs += len(b.text) >= 200
        return j if long_paragraphs >= 2 and prose >= RESUME_PROSE_CHARS else None

    def _byline_after_body(self, blocks: list[_Block]) -> None:
        """The author/source line right after the body when trafilatura left it out (it sits outside the
        body's container: `<div class="content">...</div><p align="right"><b>Name</b></p>`)."""
        last = next((b.last_line for b in reversed(blocks) if b.kind != "img" and len(b.last_line) >= 20), None)
        if last is None:
            return
        words = last[-60:].split()[1:] or last.split()
        pattern = r"\s+".join(re.escape(w) for w in words)
        # the last occurrence: the body's end, not a teaser quoting its start
        m = next(reversed(list(re.finditer(pattern, self.doc_text))), None)
        if m is None:
            return
        start, stop = m.end(), m.end() + BYLINE_WINDOW
        between = self.doc_text[start:stop]
        marker = next((lm.start() for lm in re.finditer(r"[^\n]+", between) if V.is_end_marker(lm.group().strip())), None)
        if marker is not None:
            stop = start + marker
        candidates = []
        for el, (s0, _s1) in self.spans.items():
            if start <= s0 < stop and isinstance(el.tag, str) and el.tag not in ("a", "body", "html"):
                candidates.append((s0, el))
        for _pos, el in sorted(candidates, key=lambda c: c[0]):
            text = V.clean_text(_text_of(el))
            if not 2 <= len(text) <= 160 or self._in_teaser(el):
                continue
            marked = self._marked_as_byline(el, text)
            parsed = V.parse_author_line(text, strong=marked, bylines=self.bylines)
            if parsed is None:
                continue
            if parsed.author and not marked and not V.AUTHOR_LABEL_RE.match(text):
                continue  # an unmarked capitalised line after the body may be anything
            if self.r.author is None and parsed.author:
                self.r.author = parsed.author
            if self.r.source is None and parsed.source:
                self.r.source = parsed.source
            return

    def _marked_as_byline(self, el: Any, text: str) -> bool:
        """Bold, right-aligned or author-classed: how pages set a byline apart."""
        key = V.fold(text)
        if key in self.right_texts or key in self.byline_keys:
            return True
        bold = "".join(x.text_content() for x in el.xpath("self::b|self::strong|.//b|.//strong"))
        return len(V.clean_text(bold)) >= 0.8 * len(text)

    def _is_breadcrumb_line(self, text: str) -> bool:
        if V.BREADCRUMB_LINE_RE.search(text):
            return True
        return bool(self.r.category) and V.fold(text) == V.fold(self.r.category or "")

    @staticmethod
    def _same_text(a: str, b: str) -> bool:
        fa, fb = V.fold(a), V.fold(b.rstrip(".… "))
        if not fa or not fb:
            return False
        if fa == fb:
            return True
        shorter, longer = sorted((fa, fb), key=len)
        return longer.startswith(shorter) and len(shorter) >= 0.85 * len(longer)

    @staticmethod
    def _is_link_list(blocks: list[_Block], group: int) -> bool:
        items = [b for b in blocks if b.kind == "li" and b.group == group]
        chars = sum(len(b.text) for b in items)
        links = sum(b.link_chars for b in items)
        if chars and links / chars >= LINK_LIST_RATIO:
            return True
        # headline lists without links kept: `Tiêu đề bài (14/10/2019)`
        dated = sum(1 for b in items if V.DATED_ITEM_RE.search(b.text))
        return bool(items) and dated >= max(2, len(items) * 0.6)

    # -- images ------------------------------------------------------------------------------------

    def _images(self, blocks: list[_Block]) -> list[Image]:
        images: list[Image] = []
        seen: set[str] = set()
        drop: set[int] = set()
        for i, b in enumerate(blocks):
            if b.kind != "img" or not b.src:
                continue
            caption = self.captions.get(b.src)
            if (caption is None and b.alt and len(b.alt) >= 8 and V.fold(b.alt) != V.fold(self.r.title or "")
                    and not V.FILENAME_TEXT_RE.search(b.alt)):
                caption = b.alt
            if caption:
                # the caption paragraph(s) right after (or before) the image belong to the image
                for j in (i + 1, i + 2, i - 1):
                    if 0 <= j < len(blocks) and blocks[j].kind in ("p", "quote") and j not in drop:
                        if self._same_text(blocks[j].text, caption) or (
                            len(blocks[j].text) <= len(caption) and V.fold(blocks[j].text) in V.fold(caption) and len(blocks[j].text) >= 8
                        ):
                            drop.add(j)
            b.caption = caption
            if b.src not in seen:
                seen.add(b.src)
                images.append(Image(url=b.src, caption=caption))
        if drop:
            blocks[:] = [b for k, b in enumerate(blocks) if k not in drop]
        return images

    # -- rendering -------------------------------------------------------------------------------

    def _is_heading(self, b: _Block) -> bool:
        if b.kind == "h":
            return True
        return (
            b.kind == "p" and b.bold and len(b.text) <= MAX_HEADING_CHARS and not _ends_sentence(b.text)
            and b.link_ratio < 0.5
        )

    _MD_ESCAPE_RE = re.compile(r"^(\s*)([#>+*-]|\d+[.)])(\s)")

    def _md(self, text: str) -> str:
        return self._MD_ESCAPE_RE.sub(lambda m: m.group(1) + "\\" + m.group(2) + m.group(3), text)

    def _render(self, blocks: list[_Block]) -> None:
        text_parts: list[str] = []
        md_parts: list[str] = []
        prev_kind = ""
        prev_group = -1
        for b in blocks:
            if b.kind == "img":
                alt = (b.caption or "").replace("[", "\\[").replace("]", "\\]")
                md_parts.append(f"![{alt}]({b.src})")
                prev_kind = "img"
                continue
            text_parts.append(b.text)
            if self._is_heading(b):
                md_parts.append("## " + b.text)
            elif b.kind == "li":
                bullet = "1." if b.ordered else "-"
                line = f"{bullet} {b.text}"
                if prev_kind == "li" and prev_group == b.group:
                    md_parts[-1] += "\n" + line
                else:
                    md_parts.append(line)
            elif b.kind == "quote":
                md_parts.append("> " + b.text)
            elif b.kind == "pre":
                md_parts.append("```\n" + b.text + "\n```")
            elif b.kind == "table" and b.rows:
                width = max(len(r) for r in b.rows)
                rows = [r + [""] * (width - len(r)) for r in b.rows]
                lines = ["| " + " | ".join(c.replace("|", "\\|") for c in rows[0]) + " |", "|" + " --- |" * width]
                lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows[1:]]
                md_parts.append("\n".join(lines))
            else:
                md_parts.append(self._md(b.text))
            prev_kind, prev_group = b.kind, b.group
        self.r.body_text = "\n\n".join(text_parts) or None
        self.r.body_markdown = "\n\n".join(md_parts) or None

    # -- language and the not-an-article decision --------------------------------------------------

    def _language(self) -> str | None:
        sample = (self.r.body_text or "")[:3000] or (self.r.title or "")
        if sample and V.vietnamese_ratio(sample) >= 0.04:
            return "vi"
        declared = _lang_code(self.doc.get("lang") or self.doc.get("{http://www.w3.org/XML/1998/namespace}lang"))
        declared = declared or _lang_code(self._meta_first(S.META_LOCALE))
        if sample and declared and declared != "vi":
            return declared
        if sample and re.search(r"[a-zA-Z]{3}", sample):
            return declared or "en"
        return declared or (self.profile.language if self.profile else None)

    def _not_article(self, blocks: list[_Block]) -> str | None:
        r = self.r
        profile = self.profile
        body = r.body_text or ""
        paragraphs = sum(1 for b in blocks if b.kind in ("p", "quote", "li") and len(b.text) >= 40)
        strong = len(body) >= STRONG_ARTICLE_CHARS and paragraphs >= STRONG_ARTICLE_PARAGRAPHS and (
            r.published_at is not None or r.author is not None
        )
        if profile is not None and not profile.is_article_url(self.url):
            if profile.is_home(self.url):
                return "listing page (home page)"
            if profile.is_listing_url(self.url):
                return "listing page"
        heads = [r.title or "", V.clean_text(self.doc.findtext(".//title") or "")]
        heads += [_text_of(h) for h in self.body.iter("h1")][:3]
        heads = [self._strip_site_name(h) for h in heads if h and len(h) <= 160]
        small = len(body) < SMALL_BODY_CHARS or paragraphs < 2
        if small:
            # error and maintenance pages are small: their words anywhere on them decide
            region = self.region if self.region is not None and self.region.getparent() is not None else self.body
            texts = [body, _text_of(region)[:3000]]
            if any(V.is_maintenance_text(t, title=True) for t in heads) or any(V.is_maintenance_text(t) for t in texts):
                return "maintenance page"
            for text, is_title in [(h, True) for h in heads] + [(t, False) for t in texts]:
                code = V.error_page_code(text, title=is_title)
                if code:
                    return f"error page ({code})"
        elif not strong:
            # a page with some text (a soft 404 whose sidebar was taken for a body): only a title that is
            # nothing but the error/maintenance words counts; an article *about* maintenance does not
            for text in heads:
                if len(text) <= 60 and V.MAINTENANCE_TITLE_RE.search(text):
                    return "maintenance page"
                if len(text) <= 60 and V.ERROR_TITLE_RE.search(text):
                    return f"error page ({V.error_code(text)})"
        if not r.title:
            return "no title"
        content_blocks = [b for b in blocks if b.kind != "img"]
        teasers = [b for b in content_blocks if V.fold(b.text) in self.anchor_texts or V.fold(b.text) in self.teaser_texts]
        teaser_chars = sum(len(b.text) for b in teasers)
        meta_chars = sum(len(b.text) for b in content_blocks if b not in teasers and V.is_meta_line(b.text, self.tz))
        total_chars = max(1, sum(len(b.text) for b in content_blocks))
        if len(teasers) >= LISTING_MIN_TEASERS and (teaser_chars + meta_chars) >= LISTING_TEASER_SHARE * total_chars:
            return "listing page"
        if teasers and teaser_chars + meta_chars >= LISTING_WHOLE_BODY_SHARE * total_chars:
            # the "body" is one item of a listing (trafilatura took the first <article> of many)
            return "listing page"
        if not strong and urlsplit(self.url).path.lower() in ("", "/", "/index.html", "/index.htm", "/default.aspx", "/home"):
            return "listing page (home page)"
        if len(body) < MIN_BODY_CHARS:
            if self.teaser_texts or (self.title_el is None and len(self.anchor_texts) >= 10):
                return "listing page"
            return "body too short"
        return None
