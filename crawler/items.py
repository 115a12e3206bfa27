"""The one item the spider yields: the raw facts of one fetch of an article URL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class PageItem:
    """One fetch of an article URL, as it came back; the pipeline extracts and archives it.

    ``urls`` lists every URL the fetch touched: requested first, then each redirect hop, final last.
    """

    requested_url: str
    final_url: str | None
    fetched_at: datetime
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    urls: list[str] = field(default_factory=list)
    error: str | None = None
    defect: str | None = None
    gone_reason: str | None = None
    revisit: bool = False
