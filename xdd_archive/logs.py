"""Logging as the command line sets it up, in one place: the format of a log line, the handler on
stderr, and the pattern that reads a line back (the scheduler relays its crawl processes' lines with
their level). Library code only calls ``logging.getLogger(__name__)``."""

from __future__ import annotations

import logging
import re
import sys

__all__ = ["LOG_FORMAT", "LOG_LINE", "configure_logging", "level_of_line"]

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: the start of a line written with :data:`LOG_FORMAT` (``2026-11-28 08:35:00,123 WARNING ``)
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")

# chatty at INFO; their warnings still show unless -vv asks for everything
_CHATTY = ("scrapy", "twisted", "py.warnings", "protego", "trafilatura", "htmldate", "courlan")


def configure_logging(verbose: int = 0) -> None:
    """Log to stderr: warnings (``verbose=0``), info (1) or everything (2)."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    # the level sits on the handler too: Scrapy resets its own loggers to DEBUG when a crawl starts
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    if verbose < 2:
        for name in _CHATTY:
            logging.getLogger(name).setLevel(max(level, logging.WARNING))


def level_of_line(line: str) -> int | None:
    """The level of a line written with :data:`LOG_FORMAT`; None for a line that continues a record."""
    found = LOG_LINE.match(line)
    return getattr(logging, found.group(1)) if found else None
