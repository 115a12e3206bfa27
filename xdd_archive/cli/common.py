"""What every command shares: the ``--db`` and ``--json`` options, output helpers, the console."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

import click
from rich.console import Console

from storage.timespec import display_zone, human_time, iso, parse_when, zone_label
from xdd_archive.cli.options import config_option
from xdd_archive.config import load_config

F = TypeVar("F", bound=Callable[..., Any])

# Human output goes to stdout; progress, warnings and errors to stderr. Rich styles only on a terminal.
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False)


def db_option(func: F) -> F:
    """``--db PATH|URL`` and ``--config PATH``: the archive, resolved like every setting
    (flag > ``$XDD_DB`` > the config file's ``database`` > ``./xdd-archive.db``); hands ``db`` on."""

    @functools.wraps(func)
    def wrapper(*args: Any, db: str | None, config_path: str | None, **kwargs: Any) -> Any:
        kwargs["db"] = load_config(config_path, flags={"database": db})["database"]
        return func(*args, **kwargs)

    wrapper = click.option(
        "--db",
        metavar="PATH|URL",
        default=None,
        help="Archive database: a file path or a SQLAlchemy URL. Default: $XDD_DB, else the config "
        "file's database, else ./xdd-archive.db.",
    )(wrapper)
    return config_option(wrapper)  # type: ignore[return-value]


def json_option(func: F) -> F:
    """``--json``: print machine-readable JSON instead of the human view."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of the human view.")(func)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(data: Any) -> None:
    """Pretty JSON on stdout, Vietnamese kept readable (no \\u escapes)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_default) + "\n")


# --utc: shown times in UTC rather than the site's local time (one process runs one command)
_SHOW_UTC = [False]


def _set_utc(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    _SHOW_UTC[0] = bool(value)


def utc_option(func: F) -> F:
    """``--utc``: show times in UTC instead of the site's local time (Asia/Ho_Chi_Minh, ``+07``)."""
    return click.option(
        "--utc", is_flag=True, expose_value=False, callback=_set_utc, envvar="XDD_UTC",
        help="Show times in UTC instead of the site's local time (Asia/Ho_Chi_Minh, +07); "
             "times typed without an offset are read in UTC too. [env XDD_UTC=1]",
    )(func)


def show_utc() -> bool:
    """Whether this command shows (and reads) times in UTC (``--utc``) rather than the site's zone."""
    return _SHOW_UTC[0]


def short_time(value: str | datetime | None, *, seconds: bool = False, label: bool = True) -> str:
    """``2026-11-28 15:35 +07`` (the site's zone, or UTC with ``--utc``) from an ISO string or
    datetime; ``-`` for nothing. ``label=False`` leaves the zone to a column header (:func:`zone_name`)."""
    return human_time(value, utc=show_utc(), seconds=seconds, label=label)


def zone_name() -> str:
    """The zone shown times are in, for a header: ``+07`` or ``UTC``."""
    return zone_label(show_utc())


def when(value: str | None, option: str, *, end: bool = False, now: datetime | None = None) -> datetime | None:
    """A ``--since`` / ``--until`` value read as :func:`storage.timespec.parse_when` reads it, a date
    or time without an offset being in the zone times are shown in; None for no value."""
    if value is None:
        return None
    return parse_when(value, option=option, end=end, now=now, zone=display_zone(show_utc()))


def is_terminal() -> bool:
    return sys.stderr.isatty()
