"""Durations and moments as people type them: ``6h``, ``1h30m``, ``7d``, ``2w``; ``2026-11-20``,
``2026-11-20T08:00+07:00``. One parser for every ``--since`` / ``--until`` / ``--every`` in the project.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from storage.models import utcnow
from xdd_archive.errors import ConfigError

__all__ = ["format_duration", "parse_duration", "parse_when"]

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhms])", re.IGNORECASE)
_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_duration(value: Any) -> timedelta:
    """``"6h"``, ``"1h30m"``, ``"7d"``, ``"2w"``, ``"90s"``, ``"1.5h"``, or a number of seconds.

    Raises ValueError for anything else (callers say which option or setting it was).
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as 6h, got {value!r}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(f"expected a duration such as 6h, got {value!r}")
        return timedelta(seconds=value)
    text = str(value).strip().replace(" ", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return timedelta(seconds=float(text))
    if not text or _PART.sub("", text):
        raise ValueError(f"expected a duration such as 90s, 30m, 6h, 1h30m, 7d or 2w, got {value!r}")
    return timedelta(seconds=sum(float(n) * _SECONDS[u.lower()] for n, u in _PART.findall(text)))


def format_duration(value: timedelta | None) -> str:
    """The shortest ``7d`` / ``1h30m`` / ``2s`` spelling of a duration (``-`` for none)."""
    if value is None:
        return "-"
    total = value.total_seconds()
    if total == 0:
        return "0s"
    if total != int(total):
        return f"{total:g}s"
    parts = []
    rest = int(total)
    for unit in ("d", "h", "m", "s"):
        size = _SECONDS[unit]
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(parts)


def parse_when(value: str, *, option: str = "--since", end: bool = False, now: datetime | None = None) -> datetime:
    """A moment: a duration back from ``now`` (``7d``, ``12h``, ``1d12h``), ``now``, an ISO date, or an
    ISO date and time (UTC unless it carries an offset). Returned in UTC.

    A bare date is its midnight (UTC); with ``end=True`` (an exclusive ``--until``) it is the next
    midnight, so ``--until 2026-01-31`` includes all of the 31st. Bad input raises ConfigError naming
    ``option``.

    >>> parse_when("2d", now=datetime(2026, 1, 3, tzinfo=UTC)).isoformat()
    '2026-01-01T00:00:00+00:00'
    """
    now = now or utcnow()
    text = (value or "").strip()
    if text.lower() == "now":
        return now
    if text and not re.fullmatch(r"\d+(?:\.\d+)?", text):
        try:
            return now - parse_duration(text)
        except ValueError:
            pass
    try:
        if _DATE.fullmatch(text):
            day = date.fromisoformat(text)
            midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return midnight + timedelta(days=1) if end else midnight
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"{option} {value!r}: not a duration (7d, 12h, 30m, 2w) or an ISO date/time (2026-11-20, "
            "2026-11-20T08:00, 2026-11-20T08:00+07:00)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
