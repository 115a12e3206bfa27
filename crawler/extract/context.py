"""The page context: a page parsed once and frozen, with what every later stage reads.

Built from the raw bytes (or str): decoded (:mod:`crawler.decoding`), invisible characters removed, NFC,
parsed by lxml, scripts and styles and the profile's ``remove`` elements dropped, meta tags and JSON-LD
collected, the names the site goes by gathered. No later stage changes this tree; the body stage works
on its own copy.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from crawler import markup as S
from crawler import vntext as V
from crawler.decoding import decode_html
from crawler.extract.dom import Element, drop, find_all, html_parser, select, strip_drop_tags, text_of
from crawler.extract.options import DEFAULT_OPTIONS, ExtractOptions
from xdd_archive.core.text import strip_invisible

if TYPE_CHECKING:
    from crawler.sites import ExtractionHints, SiteProfile

__all__ = ["PageContext", "build_context", "jsonld_names", "jsonld_types"]

_CLOSING_TAG_RE = re.compile(r"(?i)</(?:html|body)\s*>")


@dataclass(frozen=True)
class PageContext:
    """One page, parsed and frozen: the tree, its text, the profile and its hints, the options."""

    url: str
    profile: SiteProfile | None
    hints: ExtractionHints
    options: ExtractOptions
    bylines: V.Bylines
    tz: tzinfo
    # the page as text (decoded, invisible characters removed, NFC): the body's fallback re-parses it
    source_text: str
    doc: Element  # <html>
    body: Element  # <body>, or <html> for a fragment without one
    meta: Mapping[str, tuple[str, ...]]
    jsonld: tuple[dict[str, Any], ...]
    article_ld: dict[str, Any] | None  # the JSON-LD item that describes the article, if any
    site_names: frozenset[str]  # folded: the profile's title, og:site_name, publisher, the host
    page_typed_article: bool  # og:type article or article:published_time: the page says it is one
    base_url: str  # what relative URLs resolve against

    def meta_first(self, names: Iterable[str]) -> str | None:
        """The first non-empty value of the meta tags ``names``, in that order."""
        for name in names:
            for value in self.meta.get(name, ()):
                if value:
                    return value
        return None

    def selected(self, selectors: Iterable[str]) -> list[Element]:
        """Elements matching the profile's CSS ``selectors`` (hints), in selector order."""
        return select(self.doc, selectors) if selectors else []


def build_context(url: str, raw: bytes | str, profile: SiteProfile | None,
                  headers: Mapping[str, str] | None, warnings: list[str]) -> PageContext | None:
    """The page context of ``raw``, or None when there is no page at all (empty, unparsable).

    Warnings about the input (charset trouble, a truncated document, broken JSON-LD) go to ``warnings``."""
    text, _encoding, decode_warnings = decode_html(raw, headers)
    warnings.extend(decode_warnings)
    if text.strip() and not _CLOSING_TAG_RE.search(text[-4096:]):
        # CMS pages always close their document: a body cut short is a truncated transfer, and the
        # archive should not take the shorter text for an edit
        warnings.append("page looks truncated (no closing </body> or </html>)")
    source_text = _normalise(text)
    doc = _parse(source_text)
    if doc is None:
        return None
    hints = _hints_of(profile)
    meta = _collect_meta(doc)
    jsonld = _collect_jsonld(doc, warnings)
    strip_drop_tags(doc)
    for el in select(doc, hints.remove) if hints.remove else ():
        drop(el)
    body = doc.find("body")
    article_ld = _jsonld_article(jsonld)
    og_type = _first(meta, ("og:type",))
    return PageContext(
        url=url, profile=profile, hints=hints, options=hints.options or DEFAULT_OPTIONS,
        bylines=_bylines(hints), tz=V.local_zone(profile.timezone if profile else None),
        source_text=source_text, doc=doc, body=body if body is not None else doc, meta=meta,
        jsonld=jsonld, article_ld=article_ld, site_names=_site_names(url, profile, meta, jsonld),
        page_typed_article=bool((og_type and og_type.lower() in S.ARTICLE_OG_TYPES)
                                or _first(meta, ("article:published_time",))),
        base_url=_base_url(url, doc),
    )


# -- decoding and parsing ------------------------------------------------------------------------


def _normalise(text: str) -> str:
    text = strip_invisible(text)
    if "\x0b" in text or "\x0c" in text:
        # vertical tab and form feed are line breaks to a reader, and characters XML (trafilatura's output
        # tree) refuses: lxml raises on setting such text
        text = text.replace("\x0b", "\n").replace("\x0c", "\n")
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    # lxml refuses str input with an XML declaration ("Unicode strings with encoding declaration")
    return re.sub(r"^\s*<\?xml[^>]*\?>", "", text)


def _parse(text: str) -> Element | None:
    if not text.strip():
        return None
    try:
        doc = lxml.html.document_fromstring(text, parser=html_parser())
    except (etree.ParserError, ValueError):
        return None
    return doc if doc is not None and len(doc) > 0 else None


def parse_again(ctx: PageContext) -> Element | None:
    """A fresh tree of the whole page (scripts and styles dropped), for a stage that must change one."""
    doc = _parse(ctx.source_text)
    if doc is not None:
        strip_drop_tags(doc)
    return doc


@lru_cache(maxsize=1)
def _default_hints() -> ExtractionHints:
    from crawler.sites import ExtractionHints  # crawler.sites imports this package's options: import late

    return ExtractionHints()


def _hints_of(profile: SiteProfile | None) -> ExtractionHints:
    return profile.hints if profile is not None else _default_hints()


@lru_cache(maxsize=32)
def _bylines(hints: ExtractionHints) -> V.Bylines:
    """The unsigned bylines a profile's hints name (built once per profile: they are compared folded)."""
    return V.Bylines(institutions=hints.institutional_bylines, agencies=hints.agency_bylines)


def _base_url(url: str, doc: Element) -> str:
    base = doc.find(".//base")
    href = base.get("href") if base is not None else None
    if href:
        try:
            return urljoin(url, str(href))
        except ValueError:  # `<base href="http://[bad">`: relative URLs resolve against the page
            pass
    return url


# -- meta tags and JSON-LD ----------------------------------------------------------------------------


def _first(meta: Mapping[str, tuple[str, ...]], names: Iterable[str]) -> str | None:
    return next((v for name in names for v in meta.get(name, ()) if v), None)


def _collect_meta(doc: Element) -> dict[str, tuple[str, ...]]:
    """Meta tags by lower-cased name/property/itemprop/http-equiv, and the article's own itemprops."""
    found: dict[str, list[str]] = {}
    for el in doc.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv") or "").strip().lower()
        content = el.get("content")
        if key and content and content.strip():
            found.setdefault(key, []).append(V.clean_text(content))
    for el in find_all(doc, "//*[@itemprop and not(self::meta)]"):
        key = el.get("itemprop", "").strip().lower()
        if key in ("datepublished", "datemodified", "author", "headline", "articlesection"):
            value = el.get("content") or el.get("datetime") or text_of(el)
            if value:
                found.setdefault(key, []).append(V.clean_text(value))
    return {key: tuple(values) for key, values in found.items()}


def _collect_jsonld(doc: Element, warnings: list[str]) -> tuple[dict[str, Any], ...]:
    """Every JSON-LD object of the page, ``@graph`` members and list items flattened, in order."""
    items: list[dict[str, Any]] = []
    for script in find_all(doc, "//script[@type='application/ld+json']"):
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            try:  # CMSs leave trailing commas and raw newlines in strings
                data = json.loads(re.sub(r",\s*([}\]])", r"\1", raw.replace("\n", " ")), strict=False)
            except ValueError:
                warnings.append("unparsable JSON-LD ignored")
                continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                if "@graph" in item:
                    stack.extend(item["@graph"] if isinstance(item["@graph"], list) else [item["@graph"]])
                items.append(item)
    return tuple(items)


def jsonld_types(item: Mapping[str, Any]) -> set[str]:
    """The lower-cased ``@type`` values of a JSON-LD object."""
    t = item.get("@type")
    types = t if isinstance(t, list) else [t]
    return {str(x).lower() for x in types if x}


def jsonld_names(value: Any) -> list[str]:
    """The names a JSON-LD value gives: a string, an object's ``name``, or a list of either."""
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        if isinstance(v, dict):
            v = v.get("name")
        if isinstance(v, str) and V.clean_text(v):
            out.append(V.clean_text(v))
    return out


def _jsonld_article(items: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    items = list(items)
    for item in items:
        if jsonld_types(item) & (S.JSONLD_ARTICLE_TYPES - {"webpage"}):
            return item
    for item in items:
        if "webpage" in jsonld_types(item) and (item.get("headline") or item.get("datePublished")):
            return item
    return None


def _site_names(url: str, profile: SiteProfile | None, meta: Mapping[str, tuple[str, ...]],
                jsonld: Iterable[dict[str, Any]]) -> frozenset[str]:
    """Folded names the site goes by: never a title, a category or an author of one of its articles."""
    names = {profile.title} if profile else set()
    names.update(meta.get("og:site_name", ()))
    names.update(meta.get("application-name", ()))
    for item in jsonld:
        if jsonld_types(item) & {"website", "organization", "newsmediaorganization"}:
            names.update(jsonld_names(item.get("name")))
        names.update(jsonld_names(item.get("publisher")))
    host = urlsplit(url).hostname or ""
    if host:
        names.add(host)
        names.add(host.removeprefix("www."))
    return frozenset(V.fold(n) for n in names if n and V.fold(n))
