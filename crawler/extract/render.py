"""Rendering: the body's blocks as plain text and as Markdown.

``body_text`` is the paragraphs, headings, list items and quotes separated by blank lines (a data table
is one paragraph, a line per row, cells joined by `` | ``); images are not text. ``body_markdown`` keeps
the structure: ``##`` headings (and bold short lines that work as headings), lists, quotes, code, Markdown
tables, and ``![caption](url)`` image markers where the images stand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from crawler.extract.blocks import Block
from crawler.extract.dom import ends_sentence

__all__ = ["render"]

_MD_ESCAPE_RE = re.compile(r"^(\s*)([#>+*-]|\d+[.)])(\s)")


def render(blocks: Sequence[Block], max_heading_chars: int) -> tuple[str | None, str | None]:
    """(body_text, body_markdown) of ``blocks``; None for an empty body."""
    text_parts: list[str] = []
    md_parts: list[str] = []
    prev: Block | None = None
    for b in blocks:
        if b.kind == "img":
            alt = (b.caption or "").replace("[", "\\[").replace("]", "\\]")
            md_parts.append(f"![{alt}]({b.src})")
            prev = b
            continue
        text_parts.append(b.text)
        if b.kind == "li" and prev is not None and prev.kind == "li" and prev.group == b.group:
            md_parts[-1] += "\n" + _list_item(b)  # the next item of the same list
        else:
            md_parts.append(_markdown(b, max_heading_chars))
        prev = b
    return "\n\n".join(text_parts) or None, "\n\n".join(md_parts) or None


def is_heading(b: Block, max_heading_chars: int) -> bool:
    """A heading, or a short bold paragraph without final punctuation (how many CMSs set headings)."""
    if b.kind == "h":
        return True
    return (b.kind == "p" and b.bold and len(b.text) <= max_heading_chars and not ends_sentence(b.text)
            and b.link_ratio < 0.5)


def _markdown(b: Block, max_heading_chars: int) -> str:
    if is_heading(b, max_heading_chars):
        return "## " + b.text
    if b.kind == "li":
        return _list_item(b)
    if b.kind == "quote":
        return "> " + b.text
    if b.kind == "pre":
        return "```\n" + b.text + "\n```"
    if b.kind == "table" and b.rows:
        return _table(b.rows)
    return _MD_ESCAPE_RE.sub(lambda m: m.group(1) + "\\" + m.group(2) + m.group(3), b.text)


def _list_item(b: Block) -> str:
    return f"{'1.' if b.ordered else '-'} {b.text}"


def _table(rows: tuple[tuple[str, ...], ...]) -> str:
    """A Markdown table: the first row is its header; pipes inside cells are escaped."""
    width = max(len(r) for r in rows)
    padded = [list(r) + [""] * (width - len(r)) for r in rows]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(padded[0]), "|" + " --- |" * width, *(line(r) for r in padded[1:])])
