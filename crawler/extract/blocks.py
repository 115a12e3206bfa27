"""The body as blocks: the content region cut out of the page, trafilatura run on it, its XML read back.

The page context's tree stays as it is: this stage builds its own working tree (the region with its
ancestors, no siblings, furniture-classed elements removed, layout tables that hold tables unwrapped) and
hands that to ``trafilatura.bare_extraction``. trafilatura's XML (``p``, ``head``, ``list``, ``quote``,
``table``, ``graphic``...) becomes :class:`Block` objects: paragraphs, headings, list items, quotes,
images, tables, code. When the region gives no body, the whole page is tried.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from lxml import etree

from crawler import markup as S
from crawler import vntext as V
from crawler.extract.context import PageContext, parse_again
from crawler.extract.dom import Element, abs_url, classid, contains, drop, find_all, text_of
from crawler.extract.options import ExtractOptions, trafilatura_config
from crawler.extract.region import Layout, html_table_is_data

__all__ = ["Block", "BodyBlocks", "body_blocks", "table_text"]

XmlElement = Any  # trafilatura's output: plain lxml.etree elements (no text_content(): use itertext())


@dataclass(frozen=True)
class Block:
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
    rows: tuple[tuple[str, ...], ...] | None = None  # a table's cells

    @cached_property
    def key(self) -> str:
        """The text folded for comparisons (:func:`crawler.vntext.fold`), computed once per block."""
        return V.fold(self.text)

    @cached_property
    def key_start(self) -> str | None:
        """``key[:12]`` read from the text's first 40 characters only, or None when those fold to fewer
        than 12. The fold of a text's start is the start of its fold, so a block whose ``key_start``
        differs from a key's first 12 characters cannot have that key: long paragraphs need not be
        folded whole to tell that they are not a link, a teaser or the lead."""
        head = V.fold(self.text[:40])
        return head[:12] if len(head) >= 12 else None

    def may_have_key(self, key_starts: Collection[str]) -> bool:
        """False when :attr:`key` is surely none of the keys whose first 12 characters are ``key_starts``."""
        start = self.key_start
        return start is None or start in key_starts

    @property
    def link_ratio(self) -> float:
        return self.link_chars / len(self.text) if self.text else 0.0

    @property
    def last_line(self) -> str:
        """The text the page shows last: a table's last filled cell, any other block's text."""
        if self.kind == "table" and self.rows:
            return next((c for c in reversed(self.rows[-1]) if c), self.text)
        return self.text


@dataclass(frozen=True)
class BodyBlocks:
    """The body's blocks, and what the page classification reads from the cut-out region."""

    blocks: tuple[Block, ...]
    shown: Element  # the region as cut out and cleaned (in the working tree)
    h1_texts: tuple[str, ...]  # the first <h1>s left in the working tree
    warnings: tuple[str, ...] = ()

    @cached_property
    def region_text(self) -> str:
        """The cleaned region's text (its first 3,000 characters); read only for small bodies."""
        return text_of(self.shown)[:3000]


def body_blocks(ctx: PageContext, layout: Layout) -> BodyBlocks:
    """The body's blocks from the content region, or from the whole page when the region gives none."""
    pruned = layout.region is not ctx.body
    work_doc, work_region = _working_tree(ctx, layout)
    reader = _BlockReader(ctx.base_url, ctx.options)
    blocks = reader.blocks_of(_run_trafilatura(work_doc, ctx.url))
    work_body = work_doc.find("body")
    work_body = work_body if work_body is not None else work_doc
    shown = work_region if work_region.getparent() is not None else work_body
    facts = dict(shown=shown, h1_texts=tuple(text_of(h) for h in work_body.iter("h1"))[:3])
    chars = sum(len(b.text) for b in blocks)
    if chars >= ctx.options.min_body_chars or not pruned:
        return BodyBlocks(blocks=tuple(blocks), **facts)
    # the region was a bad guess (or trafilatura disliked it): the whole page, recall mode
    whole = parse_again(ctx)
    wider = reader.blocks_of(_run_trafilatura(_unwrap_layout_tables(whole, ctx.options), ctx.url)) if whole is not None else []
    if sum(len(b.text) for b in wider) > chars:
        return BodyBlocks(blocks=tuple(wider), warnings=("content region gave no body; extracted from the whole page",), **facts)
    return BodyBlocks(blocks=tuple(blocks), **facts)


def table_text(rows: tuple[tuple[str, ...], ...]) -> str:
    """A data table in plain text: one line per row, its filled cells joined by `` | ``."""
    return "\n".join(" | ".join(c for c in row if c) for row in rows)


# -- the working tree ------------------------------------------------------------------------------


def _working_tree(ctx: PageContext, layout: Layout) -> tuple[Element, Element]:
    """A copy of the page for trafilatura: the region with its ancestors (their own text and tail, no
    siblings, ``<head>`` kept), furniture removed, layout tables that hold tables unwrapped. Returns the
    copy's root and its region."""
    region = layout.region
    paths = [_path(ctx.doc, el) for el in _furniture(ctx, layout)]
    region_path = _path(ctx.doc, region)
    doc = copy.deepcopy(ctx.doc)  # a fraction of a millisecond; the context's tree stays as it is
    work_region = _follow(doc, region_path)
    doomed = [_follow(doc, path) for path in paths]  # found before anything moves
    if region is not ctx.body:
        _prune_to(work_region, doc)
    for el in doomed:
        if el.getparent() is not None:
            drop(el)
    _unwrap_layout_tables(doc, ctx.options)
    if (region is not ctx.body and work_region.tag in ("div", "td", "section", "main")
            and next(work_region.iterancestors("table"), None) is None):
        # trafilatura keeps the headings of a container it recognises and drops those of others: the
        # region is ours already, so it is handed over as the article
        work_region.tag = "article"
    return doc, work_region


def _prune_to(region: Element, root: Element) -> None:
    """Remove every sibling of the region and of its ancestors (``<head>`` stays)."""
    el = region
    while el is not root:
        parent = el.getparent()
        if parent is None:
            break
        for sib in list(parent):
            if sib is not el and sib.tag != "head":
                parent.remove(sib)
        el = parent


def _furniture(ctx: PageContext, layout: Layout) -> list[Element]:
    """Share/print toolbars, related lists, comment boxes, counters inside the region (by tag or class),
    unless they hold a large share of its prose or hold the title."""
    region = layout.region
    total = max(layout.weights.get(region, 0), 1)
    doomed = []
    for el in region.iter():
        if el is region or not isinstance(el.tag, str):
            continue
        if el.tag in S.FURNITURE_TAGS or S.FURNITURE_CLASS_RE.search(classid(el)):
            if layout.weights.get(el, 0) <= ctx.options.furniture_max_prose_share * total and (
                layout.title_el is None or not contains(el, layout.title_el)
            ):
                doomed.append(el)
    return doomed


def _path(top: Element, el: Element) -> list[int]:
    """Child indexes from ``top`` down to ``el`` (the same element in a copy of ``top``)."""
    path = []
    while el is not top:
        parent = el.getparent()
        path.append(parent.index(el))
        el = parent
    return path[::-1]


def _follow(top: Element, path: list[int]) -> Element:
    el = top
    for i in path:
        el = el[i]
    return el


def _unwrap_layout_tables(root: Element, options: ExtractOptions) -> Element:
    """Layout tables that hold other tables become plain blocks. trafilatura emits a nested table after
    the table holding it, so a data table inside a page laid out with tables would move to the end of
    the body; as blocks, the layout keeps its order and the data table stays where the page shows it."""
    for table in list(root.iter("table")):
        if next(table.iterdescendants("table"), None) is None or html_table_is_data(table, options.layout_cell_chars):
            continue
        for el in find_all(table, "./thead|./tbody|./tfoot|./tr|./*/tr|./tr/td|./tr/th|./*/tr/td|./*/tr/th"):
            el.tag = "div"
        table.tag = "div"
    return root


def _run_trafilatura(tree: Element, url: str) -> XmlElement | None:
    """trafilatura's body (its XML tree) for ``tree``. Recall mode: the tree is already narrowed to the
    content region, and balanced mode drops lists of points from bodies it does not recognise."""
    import trafilatura

    doc = trafilatura.bare_extraction(
        tree, url=url, fast=True, favor_recall=True, include_comments=False, include_tables=True,
        include_images=True, include_formatting=True, include_links=True, deduplicate=False,
        with_metadata=False, config=trafilatura_config(),
        # any format but "python" returns the same body without also rendering it as text (we read the XML)
        output_format="txt",
    )
    return getattr(doc, "body", None) if doc is not None else None


# -- trafilatura's XML -> blocks ---------------------------------------------------------------------

# trafilatura's block elements; anything else in a container is inline (hi, ref, lb, graphic, text)
_XML_BLOCKS = frozenset({"p", "head", "list", "quote", "table", "code", "div"})
# Tags of trafilatura's output that break a table cell's text (a space between their texts).
_CELL_BREAKS = frozenset({"p", "head", "quote", "lb", "list", "table", "row", "cell", "code", "div"})

Run = tuple[Any, ...]  # ("t", text, bold, italic, link) | ("br",) | ("img", element)


class _BlockReader:
    """Reads trafilatura's XML into blocks; numbers the lists it meets (items of one list share a group)."""

    def __init__(self, base_url: str, options: ExtractOptions) -> None:
        self.base_url = base_url
        self.options = options
        self.groups = itertools.count(1)

    def blocks_of(self, body: XmlElement | None) -> list[Block]:
        return list(self._container(body)) if body is not None else []

    def _container(self, container: XmlElement) -> Iterator[Block]:
        """Blocks of a trafilatura container (its <body>, or a layout-table cell): block children one by
        one, runs of inline content between them as paragraphs."""
        inline = etree.Element("p")
        inline.text = container.text
        for el in list(container):
            if el.tag in _XML_BLOCKS or (el.tag == "graphic" and container.tag == "body"):
                if inline.text or len(inline):
                    yield from self._lines(inline, "p")
                    inline = etree.Element("p")
                yield from self._block(el)
                inline.text = el.tail if el.tail and el.tail.strip() else None
            else:
                inline.append(el)  # moves the element, with its tail
        if inline.text or len(inline):
            yield from self._lines(inline, "p")

    def _block(self, el: XmlElement) -> Iterator[Block]:
        tag = el.tag
        if tag == "head":
            rend = el.get("rend") or "h2"
            yield from self._lines(el, "h", level=int(rend[1]) if re.fullmatch(r"h[1-6]", rend) else 2)
        elif tag == "list":
            yield from self._list(el)
        elif tag == "quote":
            yield from self._lines(el, "quote")
        elif tag == "graphic":
            img = self._image(el)
            if img:
                yield img
        elif tag == "table":
            yield from self._table(el)
        elif tag == "code":
            text = V.clean_text("".join(el.itertext()), keep_newlines=True)
            if text:
                yield Block(kind="pre", text=text)
        elif tag == "div":
            yield from self._container(el)
        else:
            yield from self._lines(el, "p")

    def _list(self, el: XmlElement) -> Iterator[Block]:
        group = next(self.groups)
        ordered = (el.get("rend") or "") in ("ol",)
        for item in el.findall("item"):
            blocks = list(self._lines(item, "li", ordered=ordered, group=group))
            texts = [b for b in blocks if b.kind == "li"]
            if texts:
                yield Block(kind="li", text=" ".join(b.text for b in texts), ordered=ordered, group=group,
                            bold=all(b.bold for b in texts), link_chars=sum(b.link_chars for b in texts))
            yield from (b for b in blocks if b.kind == "img")

    def _runs(self, el: XmlElement, bold: bool = False, italic: bool = False, link: bool = False) -> Iterator[Run]:
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

    def _lines(self, el: XmlElement, kind: str, **extra: Any) -> Iterator[Block]:
        """Blocks of one trafilatura paragraph-like element: split at line breaks and images."""
        current: list[Run] = []
        for run in itertools.chain(self._runs(el), [("br",)]):
            if run[0] == "t":
                current.append(run)
                continue
            text = V.clean_text("".join(r[1] for r in current))
            if text:
                visible = [r for r in current if r[1].strip()]
                yield Block(kind=kind, text=text, bold=bool(visible) and all(r[2] for r in visible),
                            link_chars=sum(len(V.clean_text(r[1])) for r in visible if r[4]), **extra)
            current = []
            if run[0] == "img":
                img = self._image(run[1])
                if img:
                    yield img

    def _image(self, graphic: XmlElement) -> Block | None:
        src = graphic.get("src")
        if not src:
            return None
        return Block(kind="img", src=abs_url(self.base_url, src), alt=V.clean_text(graphic.get("alt") or graphic.get("title") or ""))

    def _table(self, table: XmlElement) -> Iterator[Block]:
        """A data table as one ``table`` block (plain cells, its images after it); a layout table (the
        whole article in one cell, an image with its caption row, a gallery) as the blocks of its cells."""
        # direct rows only: trafilatura emits a nested table as a table of its own, after this one
        rows = [[c for c in row if c.tag == "cell"] for row in table if row.tag == "row"]
        if not _is_data_table(rows, self.options.layout_cell_chars):
            for cells in rows:
                for cell in cells:
                    yield from self._container(cell)
            return
        graphics: list[XmlElement] = []
        data = tidy_rows([[_cell_text(c, graphics) for c in cells] for cells in rows])
        if data:
            yield Block(kind="table", text=table_text(data), rows=data)
        for graphic in graphics:
            img = self._image(graphic)
            if img:
                yield img


def _xml_text(el: XmlElement) -> str:
    return "".join(t for t in el.itertext() if isinstance(t, str))


def _is_data_table(rows: list[list[XmlElement]], layout_cell_chars: int) -> bool:
    """True for a table of data: at least two rows with two or more filled cells, no headings inside,
    no cell long enough to be prose, and fewer pictures than filled cells (else it is a gallery)."""
    filled = 0
    multi = 0
    for cells in rows:
        texts = [_xml_text(c).strip() for c in cells]
        if any(c.find(".//head") is not None for c in cells):
            return False
        if any(len(t) > layout_cell_chars for t in texts):
            return False
        n = sum(1 for t in texts if t)
        filled += n
        multi += n >= 2
    graphics = sum(1 for cells in rows for c in cells for _ in c.iter("graphic"))
    return multi >= 2 and graphics * 2 < filled


def _cell_text(cell: XmlElement, graphics: list[XmlElement]) -> str:
    """A table cell's text on one line (paragraphs and line breaks become spaces, list items are joined
    by ``;``); its pictures are appended to ``graphics``. Iterative: cells may nest deeply."""
    out: list[str] = []
    stack: list[tuple[XmlElement, bool]] = [(cell, False)]
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


def tidy_rows(rows: list[list[str]] | tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
    """Rows of a data table without empty rows and columns (colspan/rowspan padding), all one width."""
    kept = [list(r) for r in rows if any(r)]
    width = max((len(r) for r in kept), default=0)
    padded = [r + [""] * (width - len(r)) for r in kept]
    columns = [i for i in range(width) if any(r[i] for r in padded)]
    return tuple(tuple(r[i] for i in columns) for r in padded)
