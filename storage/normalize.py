"""Text normalisation for versioning and search: what counts as "the same text".

Three strengths, from weakest to strongest:

- :func:`clean`: Unicode NFC, zero-width characters and soft hyphens removed, whitespace collapsed
  (paragraph breaks kept). Two texts equal after ``clean`` are the same content: re-encoding,
  NFC vs NFD, re-wrapping make no revision.
- :func:`trivial_fold`: additionally ignores punctuation, spacing around it, and Vietnamese tone-mark
  placement (``hoà`` / ``hòa``, ``thuý`` / ``thúy``). Texts equal after this fold but not after ``clean``
  differ trivially: a revision, marked trivial.
- :func:`search_fold`: lower case, every diacritic removed and ``đ``/``Đ`` -> ``d`` (SQLite's unicode61
  tokenizer does not fold ``đ``), for full-text search: ``xay dung dang`` finds ``xây dựng Đảng``.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "CONTENT_FIELDS",
    "clean",
    "clean_paragraphs",
    "content_hash",
    "search_fold",
    "tone_canonical",
    "trivial_fold",
]

# The fields a revision's hash covers, in a fixed order (DESIGN.md, "Versioning rules").
# ``body`` is the body text; ``images`` are the image URLs only (captions are body furniture).
CONTENT_FIELDS = ("title", "lead", "body", "author", "source", "published_at", "category", "tags", "images")

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[^\S\n]+")  # any whitespace but newline (NBSP, tabs, thin spaces...)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")

# Vietnamese tone marks as combining characters (NFD). The vowel-quality marks (circumflex U+0302,
# breve U+0306, horn U+031B) are part of the letter and stay where they are.
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
_WORD = re.compile(r"\w+")


def clean(text: str | None) -> str:
    """NFC, invisible characters removed, whitespace collapsed; paragraphs (blank-line separated) kept."""
    if not text:
        return ""
    return "\n\n".join(clean_paragraphs(text))


def clean_paragraphs(text: str | None) -> list[str]:
    """The non-empty paragraphs of ``text`` after :func:`clean`'s rules; a single line break inside a
    paragraph is re-wrapping, not structure, so it becomes a space."""
    if not text:
        return []
    text = unicodedata.normalize("NFC", text.translate(_INVISIBLE)).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = []
    for chunk in _PARAGRAPH_BREAK.split(text):
        para = " ".join(_SPACES.sub(" ", chunk).split())
        if para:
            paragraphs.append(para)
    return paragraphs


def tone_canonical(word: str) -> str:
    """``word`` with its tone mark moved to the end of the word (in NFD), so that the old and new
    placements (``hoà`` / ``hòa``) compare equal while different tones (``hòa`` / ``hóa``) do not."""
    decomposed = unicodedata.normalize("NFD", word)
    tones = [c for c in decomposed if c in _TONES]
    if not tones:
        return unicodedata.normalize("NFC", word)
    base = "".join(c for c in decomposed if c not in _TONES)
    return base + "".join(tones)


def trivial_fold(text: str | None) -> str:
    """``text`` reduced to its words with canonical tone placement: punctuation and spacing ignored."""
    cleaned = unicodedata.normalize("NFC", (text or "").translate(_INVISIBLE))
    return " ".join(tone_canonical(w) for w in _WORD.findall(cleaned))


def search_fold(text: str | None) -> str:
    """Lower case, no diacritics, ``đ`` -> ``d``: the form both documents and queries are indexed in."""
    if not text:
        return ""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped).lower()


def _normal_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def normal_fields(content: Mapping[str, Any]) -> dict[str, Any]:
    """The content fields in the exact form the hash and the change detection compare.

    ``content`` has keys ``title, lead, body, author, source, published_at, category, tags, images``
    (images as dicts with ``url``, or as URL strings). Tags are a set: their order is not content.
    """
    images = content.get("images") or []
    image_urls = [(img.get("url") if isinstance(img, Mapping) else str(img)) or "" for img in images]
    return {
        "title": clean(content.get("title")),
        "lead": clean(content.get("lead")),
        "body": clean(content.get("body")),
        "author": clean(content.get("author")),
        "source": clean(content.get("source")),
        "published_at": _normal_datetime(content.get("published_at")),
        "category": clean(content.get("category")),
        "tags": sorted({clean(t) for t in content.get("tags") or [] if clean(t)}),
        "images": [u.strip() for u in image_urls if u.strip()],
    }


def content_hash(content: Mapping[str, Any]) -> str:
    """sha256 over the normalised content fields; never covers views, fetch time or furniture."""
    normal = normal_fields(content)
    payload = json.dumps([normal[f] for f in CONTENT_FIELDS], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The content fields whose normalised values differ, in CONTENT_FIELDS order."""
    a, b = normal_fields(old), normal_fields(new)
    return [f for f in CONTENT_FIELDS if a[f] != b[f]]


def is_trivial_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """True when every difference between two contents is punctuation, spacing or tone placement."""
    a, b = normal_fields(old), normal_fields(new)
    for field in CONTENT_FIELDS:
        if a[field] == b[field]:
            continue
        if field == "tags":
            # a set, sorted for the hash: moving a tone mark can move a tag in that order, so compare
            # the folded tags as sorted anew ("hoà bình" sorts before "hoạt động", "hòa bình" after)
            if sorted(map(trivial_fold, a[field])) != sorted(map(trivial_fold, b[field])):
                return False
            continue
        if not _trivially_equal(a[field], b[field]):
            return False
    return True


def _trivially_equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return trivial_fold(a) == trivial_fold(b)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return all(_trivially_equal(x, y) for x, y in zip(a, b, strict=True))
    return False


def fold_all(values: Iterable[str | None]) -> str:
    """:func:`search_fold` of several fields joined by blank lines (for one search document)."""
    return "\n\n".join(search_fold(v) for v in values if v)
