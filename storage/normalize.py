"""Normalised content for versioning and search: what counts as "the same content".

The text rules live in :mod:`xdd_archive.core.text` (re-exported here); three strengths matter here:

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
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from xdd_archive.core.text import clean, clean_paragraphs, search_fold, tone_canonical, trivial_fold

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
