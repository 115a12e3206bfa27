"""Durations and moments as people type them (``6h``, ``1h30m``, ``7d``, ``2w``; ``2026-11-20``,
``2026-11-20T08:00+07:00``) and as people read them. One parser for every ``--since`` / ``--until`` /
``--every`` in the project, and one way to show a time:

- to a person, in the site's local time with its label, to the minute: ``2026-11-28 15:35 +07``
  (:func:`human_time`; ``utc=True`` gives ``2026-11-28 08:35 UTC``). The archive stores UTC; the
  magazine publishes in Hà Nội (:data:`SITE_ZONE`, Asia/Ho_Chi_Minh, UTC+7 all year);
- in a spreadsheet, ``2026-11-28 15:35:00`` in a zone the column header names
  (:func:`spreadsheet_time`: Excel and LibreOffice read it as a date);
- in JSON, ISO 8601 with its offset (``2026-11-28T08:35:00.123456+00:00``: :func:`iso`).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from storage.models import utcnow
from xdd_archive.errors import ConfigError

__all__ = [
    "SITE_ZONE",
    "display_zone",
    "format_duration",
    "human_time",
    "iso",
    "parse_duration",
    "parse_when",
    "spreadsheet_time",
    "zone_label",
]

#: where the magazine publishes: the zone every time shown to a person is in, unless ``--utc``
SITE_ZONE: tzinfo = ZoneInfo("Asia/Ho_Chi_Minh")

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


def parse_when(value: str, *, option: str = "--since", end: bool = False, now: datetime | None = None,
               zone: tzinfo = UTC) -> datetime:
    """A moment: a duration back from ``now`` (``7d``, ``12h``, ``1d12h``), ``now``, an ISO date, or an
    ISO date and time (in ``zone`` unless it carries an offset). Returned in UTC.

    A bare date is its midnight (in ``zone``); with ``end=True`` (an exclusive ``--until``) it is the
    next midnight, so ``--until 2026-01-31`` includes all of the 31st. Bad input raises ConfigError
    naming ``option``. The command line passes the zone it shows times in (the site's, or UTC).

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
            if end:
                day += timedelta(days=1)
            return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"{option} {value!r}: not a duration (7d, 12h, 30m, 2w) or an ISO date/time (2026-11-20, "
            "2026-11-20T08:00, 2026-11-20T08:00+07:00)"
        ) from None
    return (moment.replace(tzinfo=zone) if moment.tzinfo is None else moment).astimezone(UTC)


# -- showing times ----------------------------------------------------------------------------------


def display_zone(utc: bool = False) -> tzinfo:
    """The zone times are shown in: the site's (Asia/Ho_Chi_Minh), or UTC."""
    return UTC if utc else SITE_ZONE


def zone_label(utc: bool = False) -> str:
    """How a shown time names its zone: ``+07`` (the tz database's own abbreviation) or ``UTC``."""
    if utc:
        return "UTC"
    return datetime(2026, 1, 1, tzinfo=SITE_ZONE).tzname() or "+07"


def _aware(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    # the archive's times are UTC; a naive one is taken as such
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def human_time(value: datetime | str | None, *, utc: bool = False, seconds: bool = False,
               label: bool = True, empty: str = "-") -> str:
    """``2026-11-28 15:35 +07``: a moment for a person, in the site's zone (``utc``: in UTC), to the
    minute (``seconds``: to the second), never with microseconds; ``empty`` for no moment.

    >>> human_time(datetime(2026, 11, 28, 8, 35, 12, 345678, tzinfo=UTC))
    '2026-11-28 15:35 +07'
    >>> human_time("2026-11-28T08:35:12+00:00", utc=True, seconds=True)
    '2026-11-28 08:35:12 UTC'
    """
    if value is None:
        return empty
    local = _aware(value).astimezone(display_zone(utc))
    text = local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{text} {zone_label(utc)}" if label else text


def spreadsheet_time(value: datetime | str | None, *, utc: bool = False) -> str:
    """``2026-11-28 15:35:00``: what Excel and LibreOffice read as a date and time (no zone, no
    microseconds); in the site's zone, or UTC. The column header says which. '' for no moment."""
    return human_time(value, utc=utc, seconds=True, label=False, empty="")


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with the offset, for JSON (UTC, as stored); None stays None."""
    return _aware(value).isoformat() if value is not None else None
