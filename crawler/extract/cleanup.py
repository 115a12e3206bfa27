"""Block rules: what trafilatura leaves in the body that is not article text, and where it belongs.

In order, each rule a function from blocks to blocks (and what it found):

1. CMS placeholders (``{image id =1}``) and icons out;
2. the head: everything up to the title, the title, the date/toolbar/slogan/breadcrumb lines, and a
   byline there (its author and source are byline candidates);
3. the lead: out of the body when the body repeats the page's lead; else a bold first paragraph may be
   the lead;
4. the middle: toolbar lines, counters, tag lines (the tags are kept); the body stops at the first
   related/comments widget unless the article resumes after it;
5. the tail: link lists, meta lines, then the source and author lines (byline candidates);
6. captions onto their images, caption paragraphs out.

Nothing here decides a field: bylines, the lead and the tags go back as candidates for the resolver.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from crawler import markup as S
from crawler import vntext as V
from crawler.extract.blocks import Block, table_text, tidy_rows
from crawler.extract.candidates import Candidate
from crawler.extract.context import PageContext
from crawler.extract.dom import ends_sentence
from crawler.extract.record import Image
from crawler.extract.region import DomFacts

__all__ = ["Byline", "CleanBody", "attach_images", "clean_body"]

_WORD_RE = re.compile(r"\w")


@dataclass(frozen=True)
class Byline:
    """What a byline line says: an author, a source, or both."""

    author: str | None
    source: str | None


@dataclass(frozen=True)
class CleanBody:
    """The body's blocks after the rules, and what the rules took out that belongs to other fields."""

    blocks: tuple[Block, ...]
    bylines: tuple[Candidate[Byline], ...]  # head lines, then tail lines from the bottom up
    lead: Candidate[str] | None  # a bold first paragraph taken as the lead (only when the page has none)
    tags: list[str]  # a `Từ khóa: ...` line of the body
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class _Rules:
    """What the rules compare lines with."""

    ctx: PageContext
    facts: DomFacts
    title: str | None
    category: str | None

    def strong_byline(self, b: Block) -> bool:
        """Bold, right-aligned or author-classed: a line the markup sets apart as a byline."""
        return b.bold or b.key in self.facts.right_texts or b.key in self.facts.byline_keys

    def byline(self, text: str, *, strong: bool) -> V.AuthorLine | None:
        return V.parse_author_line(text, strong=strong, bylines=self.ctx.bylines)

    def is_title_block(self, b: Block) -> bool:
        title = self.title
        if not title:
            return False
        if len(b.text) > len(title) + 200 and _WORD_RE.search(b.text, len(title)):
            # more words after the title than a toolbar or meta line holds (<= 200 characters): not
            # the title line, whatever its start (and the long block need not be folded)
            return False
        key, ft = V.fold(title), b.key
        if not ft:
            return False
        if ft == key:
            return True
        if ft.startswith(key):
            remainder = V.clean_text(b.text)[len(V.clean_text(title)):]
            return V.is_furniture_line(remainder) or V.is_meta_line(remainder, self.ctx.tz) or not V.fold(remainder)
        return False

    def is_breadcrumb_line(self, text: str) -> bool:
        if V.BREADCRUMB_LINE_RE.search(text):
            return True
        return bool(self.category) and V.fold(text) == V.fold(self.category or "")

    def is_page_line(self, text: str) -> bool:
        """A date/meta line, a toolbar, a counter: never article text."""
        return (V.is_meta_line(text, self.ctx.tz) or V.is_furniture_line(text) or V.is_stats_line(text)
                or V.is_views_line(text))


def clean_body(blocks: Sequence[Block], ctx: PageContext, facts: DomFacts, *, title: str | None,
               category: str | None, page_lead: str | None) -> CleanBody:
    """Apply the block rules 1-5 (captions are :func:`attach_images`, after the bylines are read)."""
    rules = _Rules(ctx, facts, title, category)
    kept, tokens = _without_tokens(blocks, facts)
    warnings = ("CMS placeholder(s) removed from the body: " + ", ".join(sorted(set(tokens))),) if tokens else ()
    kept, head_bylines = _strip_head(kept, rules)
    kept, lead = _split_lead(kept, page_lead)
    kept, tags = _strip_middle(kept, ctx)
    kept, tail_bylines = _strip_tail(kept, rules)
    return CleanBody(blocks=tuple(kept), bylines=tuple(head_bylines + tail_bylines), lead=lead, tags=tags,
                     warnings=warnings)


def _without_tokens(blocks: Sequence[Block], facts: DomFacts) -> tuple[list[Block], list[str]]:
    """Blocks without CMS placeholders (and the placeholders), and without icons."""
    tokens: list[str] = []
    cleaned: list[Block] = []
    for b in blocks:
        if b.kind == "table" and b.rows:
            found = [t for row in b.rows for cell in row for t in V.remove_cms_tokens(cell)[1]]
            if found:
                tokens += found
                rows = tidy_rows([[V.clean_text(V.remove_cms_tokens(c)[0]) for c in row] for row in b.rows])
                b = replace(b, rows=rows, text=table_text(rows))
            if not b.text:
                continue
        elif b.kind != "img":
            text, found = V.remove_cms_tokens(b.text)
            if found:
                tokens += found
                b = replace(b, text=V.clean_text(text))
            if not b.text:
                continue
        elif b.src in facts.small_images or (b.src and S.ICON_SRC_RE.search(b.src)):
            continue
        cleaned.append(b)
    return cleaned, tokens


def _strip_head(blocks: list[Block], rules: _Rules) -> tuple[list[Block], list[Candidate[Byline]]]:
    """Everything up to the title, the title itself, then date/toolbar/slogan lines and a byline."""
    limit = min(rules.ctx.options.head_blocks, len(blocks))
    title_idx = next((i for i in range(limit) if blocks[i].kind != "img" and rules.is_title_block(blocks[i])), None)
    # only page-head material may precede the title (a body heading can repeat the title: the paragraphs
    # before it are article text, not a banner)
    if title_idx is not None and all(_is_head_material(b) for b in blocks[:title_idx]):
        blocks = blocks[title_idx + 1:]
    found: list[Candidate[Byline]] = []
    while blocks:
        b = blocks[0]
        if b.kind in ("img", "table"):  # content: the head ends here
            break
        t = b.text
        # a slogan is dropped only as a banner line (no sentence end): a first paragraph may well open
        # with "Chào mừng ..." and end with a full stop
        slogan = V.is_slogan(t) and not ends_sentence(t)
        if (rules.is_title_block(b) or V.is_meta_line(t, rules.ctx.tz) or V.is_furniture_line(t) or V.is_views_line(t)
                or V.is_stats_line(t) or slogan or rules.is_breadcrumb_line(t)):
            blocks = blocks[1:]
            continue
        labelled = bool(V.AUTHOR_LABEL_RE.match(t))
        parsed = rules.byline(t, strong=labelled) if len(t) <= 120 else None
        if parsed and (labelled or rules.strong_byline(b)) and len(blocks) > 1:
            found.append(Candidate(Byline(parsed.author, parsed.source), "head-line"))
            blocks = blocks[1:]
            continue
        break
    return blocks, found


def _is_head_material(b: Block) -> bool:
    """A block that may sit above the title: a banner slogan, a short line, a picture."""
    if b.kind == "img" or len(b.text) <= 160:
        return True
    return V.is_slogan(b.text)


def _split_lead(blocks: list[Block], page_lead: str | None) -> tuple[list[Block], Candidate[str] | None]:
    """The body without the page's lead when it repeats it; else a bold first paragraph as the lead."""
    if page_lead and blocks:
        first = next((i for i, b in enumerate(blocks[:3]) if b.kind != "img"), None)
        # only an exact repeat leaves the body: a meta description that merely begins like the first
        # paragraph (a truncated teaser) must not cost the body its first paragraph
        lead_key = V.fold(page_lead)
        if first is not None and blocks[first].may_have_key((lead_key[:12],)) and blocks[first].key == lead_key:
            return blocks[:first] + blocks[first + 1:], None
    elif blocks and blocks[0].kind == "p" and blocks[0].bold and len(blocks) > 2:
        first_block = blocks[0]
        if len(first_block.text) >= 100 or (len(first_block.text) >= 60 and ends_sentence(first_block.text)):
            return blocks[1:], Candidate(first_block.text, "bold-first-paragraph")
    return blocks, None


def _strip_middle(blocks: list[Block], ctx: PageContext) -> tuple[list[Block], list[str]]:
    """Toolbar lines, counters and tag lines out; cut at the first related/comments widget."""
    kept: list[Block] = []
    tags: list[str] = []
    skip_until = -1
    for i, b in enumerate(blocks):
        if i < skip_until:
            continue
        if b.kind in ("img", "table"):
            kept.append(b)
            continue
        t = b.text
        if V.is_end_marker(t) and b.kind in ("p", "h") and len(t) <= 60:
            resume = _resume_after_box(blocks, i, ctx.options.resume_prose_chars)
            if resume is None:
                break
            skip_until = resume  # a "Tin liên quan" box inside the article: drop the box, keep going
            continue
        if V.is_furniture_line(t) or V.is_stats_line(t) or V.is_views_line(t):
            continue
        line_tags = V.parse_tag_line(t) if len(t) <= 400 else None
        if line_tags is not None:
            tags = line_tags
            continue
        if b.kind in ("p", "h") and V.TAG_LABEL_RE.match(t):
            continue
        kept.append(b)
    return kept, tags


def _resume_after_box(blocks: Sequence[Block], marker: int, min_prose: int) -> int | None:
    """Where the article resumes after a related-links box that opens at ``marker``, or None when the
    marker opens the page's tail (nothing but links, widgets and footer lines follow)."""
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
    return j if long_paragraphs >= 2 and prose >= min_prose else None


def _strip_tail(blocks: list[Block], rules: _Rules) -> tuple[list[Block], list[Candidate[Byline]]]:
    """Link lists, meta lines, then the source and author lines (from the bottom up)."""
    found: list[Candidate[Byline]] = []
    author_taken = False
    while blocks:
        b = blocks[-1]
        t = b.text
        if b.kind in ("img", "table"):  # content: no byline or furniture line below it is read as one
            break
        if b.kind == "li" and _is_link_list(blocks, b.group, rules.ctx.options.link_list_ratio):
            blocks = [x for x in blocks if not (x.kind == "li" and x.group == b.group)]
            continue
        if rules.is_page_line(t) or not b.key:
            blocks = blocks[:-1]
            continue
        if len(t) > 160:
            break
        source = V.parse_source_line(t)
        if source:
            found.append(Candidate(Byline(None, source), "tail-line"))
            blocks = blocks[:-1]
            continue
        if author_taken:
            break
        taken = _author_lines(blocks, rules)
        if taken is None:
            break
        line, n_lines = taken
        found.append(Candidate(line, "tail-line"))
        blocks = blocks[:-n_lines]
        author_taken = line.author is not None
    return blocks, found


def _author_lines(blocks: list[Block], rules: _Rules) -> tuple[Byline, int] | None:
    """The byline at the end of ``blocks`` and how many lines it takes: the author line, or a person's
    line with an affiliation line under it (`PGS.TS. Nguyễn Văn A` / `Học viện Chính trị ...`)."""
    b = blocks[-1]
    t = b.text
    parsed = rules.byline(t, strong=rules.strong_byline(b))
    if (parsed is None and len(blocks) >= 2 and rules.strong_byline(b) and b.kind == "p" and len(t) <= 100
            and not ends_sentence(t)):
        prev = blocks[-2]
        above = rules.byline(prev.text, strong=rules.strong_byline(prev))
        if above and above.author and rules.strong_byline(prev):
            # the author field is the person (titles kept); the affiliation line is part of the byline,
            # not of the article text
            return Byline(above.author, above.source), 2
    if parsed:
        return Byline(parsed.author, parsed.source), 1
    return None


def _is_link_list(blocks: Sequence[Block], group: int, link_ratio: float) -> bool:
    items = [b for b in blocks if b.kind == "li" and b.group == group]
    chars = sum(len(b.text) for b in items)
    links = sum(b.link_chars for b in items)
    if chars and links / chars >= link_ratio:
        return True
    # headline lists without links kept: `Tiêu đề bài (14/10/2019)`
    dated = sum(1 for b in items if V.DATED_ITEM_RE.search(b.text))
    return bool(items) and dated >= max(2, len(items) * 0.6)


# -- captions onto images ------------------------------------------------------------------------------


def attach_images(blocks: Sequence[Block], page_captions: Mapping[str, str],
                  title: str | None) -> tuple[list[Block], list[Image]]:
    """Images with their captions (the page's, else a meaningful alt text); the caption paragraph(s)
    right after (or before) an image belong to the image and leave the body."""
    images: list[Image] = []
    seen: set[str] = set()
    drop: set[int] = set()
    out = list(blocks)
    for i, b in enumerate(out):
        if b.kind != "img" or not b.src:
            continue
        caption = page_captions.get(b.src)
        if (caption is None and b.alt and len(b.alt) >= 8 and V.fold(b.alt) != V.fold(title or "")
                and not V.FILENAME_TEXT_RE.search(b.alt)):
            caption = b.alt
        if caption:
            drop.update(_caption_paragraphs(out, i, caption, drop))
        out[i] = replace(b, caption=caption)
        if b.src not in seen:
            seen.add(b.src)
            images.append(Image(url=b.src, caption=caption))
    return [b for k, b in enumerate(out) if k not in drop], images


def _caption_paragraphs(blocks: Sequence[Block], i: int, caption: str, taken: set[int]) -> list[int]:
    """The paragraphs next to image ``i`` that repeat its caption."""
    found = []
    same_key, cap_key = V.fold(caption.rstrip(".… ")), V.fold(caption)
    for j in (i + 1, i + 2, i - 1):
        if 0 <= j < len(blocks) and blocks[j].kind in ("p", "quote") and j not in taken and j not in found:
            b = blocks[j]
            # (a paragraph that starts otherwise than the caption is not the caption: no need to fold it all)
            same = (len(same_key) < 12 or b.may_have_key((same_key[:12],))) and _same_text(b.key, same_key)
            if same or (8 <= len(b.text) <= len(caption) and b.key in cap_key):
                found.append(j)
    return found


def _same_text(fa: str, fb: str) -> bool:
    """True when the folded texts are the same, or one starts the other and is 85% of it."""
    if not fa or not fb:
        return False
    if fa == fb:
        return True
    shorter, longer = sorted((fa, fb), key=len)
    return longer.startswith(shorter) and len(shorter) >= 0.85 * len(longer)
