"""Where the article is on the page: the text in reading order, facts read from the markup, the region.

* the body's text in document order, with every element's offsets (for "near the title" searches);
* facts the markup gives before anything is pruned: link texts and repeated teaser lines (is this a
  listing?), right-aligned and author-classed texts (is this line a byline?), small images (icons),
  image captions;
* the content region: the title's nearest ancestor holding most of the page's prose (a profile's body
  selector or a known portal container narrows it).

All of it is read once into the frozen :class:`Layout` that the later stages share.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from lxml import etree

from crawler import markup as S
from crawler import vntext as V
from crawler.extract.context import PageContext
from crawler.extract.dom import (
    Element,
    abs_url,
    classid,
    common_ancestor,
    contains,
    find_all,
    img_src,
    is_icon,
    text_of,
    text_upto,
)

__all__ = ["DomFacts", "Layout", "build_layout", "html_table_is_data", "in_teaser"]


@dataclass(frozen=True)
class DomFacts:
    """What the markup says about lines of text, read before the body is cut out of the page."""

    anchor_texts: frozenset[str]  # folded link texts of 20+ characters (listing test)
    teaser_texts: frozenset[str]  # folded lines of repeated link-bearing items (a listing's teasers)
    right_texts: frozenset[str]  # folded right-aligned texts and their lines (a byline's mark)
    byline_texts: tuple[str, ...]  # author-classed texts, shortest first
    byline_keys: frozenset[str]  # folded author-classed texts and their lines
    small_images: frozenset[str]  # absolute URLs of icons and tiny images
    captions: Mapping[str, str]  # absolute image URL -> its caption on the page


@dataclass(frozen=True)
class Layout:
    """The page's text with offsets, the title element, the content region and the prose weights."""

    doc_text: str
    spans: Mapping[Element, tuple[int, int]]
    title_el: Element | None
    region: Element  # the body itself when no narrower region was found
    weights: Mapping[Element, int]  # characters of prose under every element
    facts: DomFacts

    def span(self, el: Element | None) -> tuple[int, int] | None:
        """(start, end) offsets of ``el``'s text in :attr:`doc_text`."""
        return self.spans.get(el) if el is not None else None

    def in_region(self, el: Element) -> bool:
        return contains(self.region, el)

    def region_text(self) -> str:
        """The region's part of :attr:`doc_text`."""
        start, end = self.span(self.region) or (0, len(self.doc_text))
        return self.doc_text[start:end]

    @cached_property
    def region_key(self) -> str:
        """The region's text folded (computed once: it is long)."""
        return V.fold(self.region_text())

    def near_title(self, after: int, before: int, body: Element) -> tuple[str, str]:
        """(``after`` characters of text after the title, ``before`` characters before it, inside the
        content region); without a title element, the start of the region's text and nothing."""
        span = self.span(self.title_el)
        if span is None:
            rspan = self.span(self.region) or (0, len(self.doc_text))
            return self.doc_text[rspan[0]: rspan[0] + after + 400], ""
        start, end = span
        # above the title, only inside the content region: the page header's "today is ..." bar is not
        # the article's date
        rstart = (self.span(self.region) or (0, 0))[0] if self.region is not body else start
        return self.doc_text[end: end + after], self.doc_text[max(0, rstart, start - before): start]


def build_layout(ctx: PageContext, title: str | None, title_el: Element | None) -> Layout:
    """Index the page's text, read the DOM facts and find the content region."""
    doc_text, spans = _index_text(ctx.body)
    facts = _dom_facts(ctx, title)
    weights = _prose_weights(ctx.body, ctx.options.min_prose_run)
    region = _find_region(ctx, title_el, weights)
    return Layout(doc_text=doc_text, spans=spans, title_el=title_el, region=region, weights=weights, facts=facts)


def in_teaser(el: Element) -> bool:
    """True when ``el`` belongs to a teaser of another article (a list item or box with a headline link)."""
    holder: Element | None = el
    for _ in range(3):
        if holder is None:
            break
        if holder.tag == "li" or holder is el:
            for a in holder.iter("a"):
                if len(V.clean_text(a.text_content())) >= 20:
                    return True
        holder = holder.getparent()
    return False


# -- the page's text in order --------------------------------------------------------------------


def _index_text(body: Element) -> tuple[str, dict[Element, tuple[int, int]]]:
    """The body's text in document order and every element's (start, end) offsets in it."""
    parts: list[str] = []
    pos = 0
    spans: dict[Element, tuple[int, int]] = {}
    starts: dict[Element, int] = {}
    block_tags = S.BLOCK_TAGS
    for event, node in etree.iterwalk(body, events=("start", "end")):  # lxml walks the tree in C
        tag = node.tag if isinstance(node.tag, str) else ""
        if event == "start":
            if tag in block_tags:
                parts.append("\n")
                pos += 1
            starts[node] = pos
            if tag and node.text:
                parts.append(node.text)
                pos += len(node.text)
            continue
        if tag in block_tags:
            parts.append("\n")
            pos += 1
        spans[node] = (starts[node], pos)
        if node is not body and node.tail:
            parts.append(node.tail)
            pos += len(node.tail)
    return "".join(parts), spans


# -- DOM facts ------------------------------------------------------------------------------------


def _dom_facts(ctx: PageContext, title: str | None) -> DomFacts:
    anchors = set()
    for a in ctx.body.iter("a"):
        raw = a.text_content()
        if len(raw) >= 20:
            text = V.fold(raw)
            if len(text) >= 20:
                anchors.add(text)
    right, byline_texts, byline_keys = _marked_texts(ctx.body)
    small, captions = _images(ctx, title)
    return DomFacts(anchor_texts=frozenset(anchors), teaser_texts=_teaser_texts(ctx.body, ctx.options.listing_min_teasers),
                    right_texts=frozenset(right), byline_texts=tuple(sorted(byline_texts, key=lambda t: (len(t), t))),
                    byline_keys=frozenset(byline_keys), small_images=frozenset(small), captions=captions)


def _marked_texts(body: Element) -> tuple[set[str], set[str], set[str]]:
    """Right-aligned texts (folded, with their lines), author-classed texts and their folded lines."""
    right: set[str] = set()
    bylines: set[str] = set()
    keys: set[str] = set()
    for el in body.iter():
        if not isinstance(el.tag, str):
            continue
        style = el.get("style") or ""
        if (el.get("align") or "").lower() == "right" or S.RIGHT_ALIGN_RE.search(style):
            text = text_upto(el, 300)
            if text:
                right.update(V.fold(line) for line in [text, *text.split("\n")])
        cid = classid(el)
        if cid.strip() and S.AUTHOR_CLASS_RE.search(cid):
            text = text_upto(el, 300)
            if text:
                bylines.add(text)
                keys.update(V.fold(line) for line in [text, *text.split("\n")])
    return right, bylines, keys


def _images(ctx: PageContext, title: str | None) -> tuple[set[str], dict[str, str]]:
    """Icons (absolute URLs) and captions (absolute URL -> caption) of the page's images."""
    small: set[str] = set()
    captions: dict[str, str] = {}
    for img in ctx.body.iter("img"):
        src = img_src(img)
        if not src:
            continue
        url = abs_url(ctx.base_url, src)
        if is_icon(img, url):
            small.add(url)
            continue
        caption = _caption_for(img, title, ctx.options.layout_cell_chars)
        if caption:
            captions.setdefault(url, caption)
    return small, captions


def _teaser_texts(body: Element, min_teasers: int) -> frozenset[str]:
    """Lines of repeated link-bearing siblings (the items of a listing: title link, date, sapo).

    A listing's prose is its items' sapos; an article's prose sits outside any repeated group (related
    lists hold links, not prose). The not-an-article test compares the body with these."""
    found: set[str] = set()
    for parent in body.iter():
        if not isinstance(parent.tag, str) or len(parent) < min_teasers:
            continue
        groups: dict[tuple[str, str], list[Element]] = {}
        for child in parent:
            if isinstance(child.tag, str):
                groups.setdefault((child.tag, child.get("class") or ""), []).append(child)
        for members in groups.values():
            if len(members) < min_teasers:
                continue
            linked = [m for m in members if any(len(a.text_content().strip()) >= 15 for a in m.iter("a"))]
            if len(linked) < min_teasers or len(linked) < 0.7 * len(members):
                continue
            for m in linked:
                # menus and link lists hold only anchors (already in anchor_texts): the lines that matter
                # are a teaser's date and sapo
                if len(m.text_content()) < 60:
                    continue
                found.update(V.fold(line) for line in text_of(m).split("\n") if len(line) >= 10)
    return frozenset(found)


# -- captions -------------------------------------------------------------------------------------


def _caption_for(img: Element, title: str | None, layout_cell_chars: int) -> str | None:
    """The caption of ``img``: its <figure>'s <figcaption>, the other row of a one-image table, the
    short centred/italic/caption-classed block right after it, else a meaningful alt/title."""
    el: Element | None = img
    for _ in range(4):
        el = el.getparent() if el is not None else None
        if el is None:
            break
        if el.tag == "figure":
            cap = el.find(".//figcaption")
            if cap is not None and text_of(cap):
                return V.clean_text(text_of(cap))
            break
        if el.tag == "table":
            # an image with its caption row; in a table of data the other cells are data, not a caption
            if len(find_all(el, ".//img")) == 1 and not html_table_is_data(el, layout_cell_chars):
                text = V.clean_text(text_of(el))
                if 0 < len(text) <= 400:
                    return text
            break
    return _caption_beside(img, layout_cell_chars) or _caption_attribute(img, title)


def _caption_beside(img: Element, layout_cell_chars: int) -> str | None:
    """A caption in the image's own paragraph, or in the short set-apart block right after it."""
    block = img
    while block.getparent() is not None and block.tag not in ("p", "div", "figure", "td", "center") and block.getparent().tag != "body":
        block = block.getparent()
    own = _one_line_upto(block)
    if own and len(own) <= 300 and block.tag != "td" and len(find_all(block, ".//img")) == 1:
        # the caption shares the image's paragraph (`<p><img><br><em>caption</em></p>`)
        if _caption_like(block, own) and not V.is_furniture_line(own):
            return own
    nxt = block.getnext()
    if block.tag in ("td", "th") and html_table_is_data(next(block.iterancestors("table"), block), layout_cell_chars):
        nxt = None  # the next cell of a data table is the next column, not a caption
    if nxt is not None and isinstance(nxt.tag, str) and not find_all(nxt, ".//img"):
        text = _one_line_upto(nxt)
        if text and len(text) <= 300 and _caption_like(nxt, text):
            return text
    return None


def _one_line_upto(el: Element) -> str | None:
    """``el``'s text on one line when it may be a caption (up to 300 characters), else None. On one line
    a text keeps at least half its length (its breaks are at most two characters), so reading up to 1000
    characters decides."""
    text = text_upto(el, 1000)
    return V.clean_text(text) if text is not None else None


def _caption_attribute(img: Element, title: str | None) -> str | None:
    for attr in ("title", "alt"):
        text = V.clean_text(img.get(attr) or "")
        if len(text) >= 8 and not V.FILENAME_TEXT_RE.search(text) and V.fold(text) != V.fold(title or ""):
            return text
    return None


def _caption_like(el: Element, text: str) -> bool:
    """Centred, italic or caption-classed: how editors set a caption apart from body paragraphs."""
    if S.CENTER_ALIGN_RE.search(el.get("style") or "") or (el.get("align") or "").lower() == "center" or el.tag == "center":
        return True
    if S.CAPTION_CLASS_RE.search(classid(el)):
        return True
    italic = "".join(x.text_content() for x in find_all(el, ".//em|.//i"))
    return len(V.clean_text(italic)) >= 0.8 * len(text)


def html_table_is_data(table: Element, layout_cell_chars: int) -> bool:
    """True for a table of data in the page's markup: two or more rows with two or more filled cells, no
    headings, no cell long enough to be prose, fewer pictures than filled cells (else a gallery). The
    body stage applies the same test to trafilatura's rendering of tables."""
    filled = multi = 0
    for tr in find_all(table, "./tr|./thead/tr|./tbody/tr|./tfoot/tr"):
        n = 0
        for cell in tr:
            if cell.tag in ("td", "th"):
                text = cell.text_content().strip()
                if len(text) > layout_cell_chars:
                    return False
                n += bool(text)
        filled += n
        multi += n >= 2
    if multi < 2 or find_all(table, ".//h1|.//h2|.//h3|.//h4|.//h5|.//h6"):
        return False
    return len(find_all(table, ".//img")) * 2 < filled


# -- the content region --------------------------------------------------------------------------------


def _prose_weights(top: Element, min_run: int) -> dict[Element, int]:
    """Characters of prose (non-link text runs of ``min_run``+) under every element of ``top``."""
    weights: dict[Element, int] = {}
    # per open element: (characters of prose so far, whether it is inside a link)
    stack: list[list[int]] = []
    for event, node in etree.iterwalk(top, events=("start", "end")):
        if event == "end":
            total = stack.pop()[0]
            if total:
                weights[node] = total
                if stack:
                    stack[-1][0] += total
            continue
        tag = node.tag if isinstance(node.tag, str) else ""
        link = (stack[-1][1] if stack else 0) or tag == "a"
        own = 0
        if not link:
            if tag and node.text:
                n = len(node.text.strip())
                own += n if n >= min_run else 0
            # the children's tails are this element's text, between its children
            for child in node:
                if child.tail:
                    n = len(child.tail.strip())
                    own += n if n >= min_run else 0
        stack.append([own, int(link)])
    return weights


def _find_region(ctx: PageContext, title_el: Element | None, weights: Mapping[Element, int]) -> Element:
    """The element holding the article: the title's nearest ancestor with most of the prose."""
    body, opts = ctx.body, ctx.options
    total = weights.get(body, 0)
    if total == 0:
        return body
    known = ctx.selected(ctx.hints.body) or [el for xp in S.KNOWN_BODY_XPATHS for el in find_all(ctx.doc, xp)]
    known = [el for el in known if weights.get(el, 0) >= 0.3 * total]
    body_hint = max(known, key=lambda e: weights.get(e, 0)) if known else None
    region = None
    if title_el is not None:
        el: Element | None = title_el
        while el is not None and el is not body:
            w = weights.get(el, 0)
            if w >= opts.region_prose_share * total and w >= min(total, 300):
                if body_hint is None or contains(el, body_hint) or contains(body_hint, el):
                    region = el
                    break
            el = el.getparent()
        if region is None and body_hint is not None:
            region = common_ancestor(title_el, body_hint, body)
    if region is None or region is body:
        root = body_hint if body_hint is not None else _prose_root(body, weights, opts.prose_root_share * total)
        if root is not None and root is not body:
            parent = root.getparent()
            region = parent if parent is not None and parent is not body else root
    return region if region is not None else body


def _prose_root(body: Element, weights: Mapping[Element, int], share: float) -> Element:
    """The deepest element holding ``share`` characters of prose (following the heaviest child)."""
    el = body
    while True:
        best = next((child for child in el if weights.get(child, 0) >= share), None)
        if best is None:
            return el
        el = best

