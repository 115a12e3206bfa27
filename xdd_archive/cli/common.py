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

from xdd_archive.config import config_option, load_config

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
