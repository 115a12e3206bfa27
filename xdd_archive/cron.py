"""Crontab lines as cron means them, turned into APScheduler 3 triggers.

Its own small module so that the settings (which check a ``schedule.cron`` value) and the scheduler
(which runs it) both use it without importing each other.

Example::

    crontab_trigger("0 6 * * 1-5", "Asia/Ho_Chi_Minh")   # 06:00 on weekdays, Monday to Friday
"""

from __future__ import annotations

from datetime import tzinfo

from apscheduler.triggers.cron import CronTrigger

__all__ = ["check_crontab", "crontab_trigger", "crontab_weekdays"]

_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _cron_day(token: str) -> int:
    if token in _CRON_DAYS:
        return _CRON_DAYS.index(token)
    if token.isdigit() and 0 <= int(token) <= 7:
        return int(token)
    raise ValueError(f"bad day of week {token!r}")


def crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field (0 or 7 = Sunday) as APScheduler 3 day names: APScheduler 3
    numbers weekdays from Monday = 0, so ``1-5`` would silently mean Tuesday to Saturday."""
    field = field.strip().lower()
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"bad step in day of week {part!r}")
        if body == "*":
            low, high = 0, 6
        elif "-" in body:
            first, _, last = body.partition("-")
            low, high = _cron_day(first), _cron_day(last)
        else:
            low = high = _cron_day(body)
            if step_text:
                high = 6
        if high < low:
            raise ValueError(f"bad range in day of week {part!r}")
        days.update(day % 7 for day in range(low, high + 1, step))
    return ",".join(_CRON_DAYS[day] for day in sorted(days))


def crontab_trigger(line: str, timezone: tzinfo | str | None = None) -> CronTrigger:
    """A trigger from a standard crontab line (minute hour day month day-of-week), weekdays as
    cron means them (0 or 7 = Sunday). Raises ValueError for a bad line."""
    fields = line.split()
    if len(fields) != 5:
        raise ValueError(f"a crontab line has 5 fields (minute hour day month day-of-week), not {len(fields)}")
    minute, hour, day, month, weekday = fields
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=crontab_weekdays(weekday),
                       timezone=timezone)


def check_crontab(line: str) -> str:
    """``line`` stripped, when it is a crontab line a trigger can be made of; else ValueError."""
    text = line.strip()
    crontab_trigger(text, "UTC")
    return text
