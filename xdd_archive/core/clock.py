"""The clock every part reads: the current time in UTC, which ``$XDD_NOW`` can freeze."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from xdd_archive.errors import ConfigError

__all__ = ["utcnow"]


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC.

    ``$XDD_NOW`` (ISO 8601) freezes it, for reproducible runs: a crawl started with it records its
    captures and computes due revisits as if it were that moment.
    """
    frozen = os.environ.get("XDD_NOW")
    if frozen:
        try:
            value = datetime.fromisoformat(frozen.replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(f"XDD_NOW is not an ISO 8601 time: {frozen!r}") from None
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.now(UTC)
