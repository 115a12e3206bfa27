"""What extraction returns: the :class:`Extraction` record (DESIGN.md, "Extraction contract")."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["EXTRACTOR_VERSION", "Extraction", "Image"]

EXTRACTOR_VERSION = "0.1.0"


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

    ``field_sources`` says which finder gave each field that has a value (``{"title": "meta-in-page",
    "published_at": "text-after-title", ...}``; the names are those of ``crawler.extract.candidates.PRIORITY``).
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
    field_sources: dict[str, str] = field(default_factory=dict)

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
