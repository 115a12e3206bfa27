"""What every command shares: the ``--db`` and ``--json`` options, output helpers, the console."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

import click
from rich.console import Console

F = TypeVar("F", bound=Callable[..., Any])

# Human output goes to stdout; progress, warnings and errors to stderr. Rich styles only on a terminal.
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False)


def db_option(func: F) -> F:
    """``--db PATH|URL``: the archive (else ``$XDD_DB``, else ``./xdd-archive.db``)."""
    return click.option(
        "--db",
        metavar="PATH|URL",
        default=None,
        help="Archive database: a file path or a SQLAlchemy URL. Default: $XDD_DB, else ./xdd-archive.db.",
    )(func)


def json_option(func: F) -> F:
    """``--json``: print machine-readable JSON instead of the human view."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of the human view.")(func)


def site_option(func: F) -> F:
    return click.option(
        "--site",
        default=None,
        metavar="NAME",
        help="Site profile name (xaydungdang, replica). Default: every site / xaydungdang for crawls.",
    )(func)


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(data: Any) -> None:
    """Pretty JSON on stdout, Vietnamese kept readable (no \\u escapes)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_default) + "\n")


def short_time(value: str | datetime | None) -> str:
    """``2026-11-26 01:43`` (UTC) from an ISO string or datetime; ``-`` for nothing."""
    if value is None:
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M")


def is_terminal() -> bool:
    return sys.stderr.isatty()
