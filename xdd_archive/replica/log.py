"""The request log: every site request the replica answered, in the order the answers were decided.

Control requests (``/_control/``) are never logged. Tests read the log to see what a crawl asked for
(paths, conditional headers, User-Agent) and which misbehaviour each answer got.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from email.message import Message
from typing import Any

__all__ = ["LoggedRequest", "RequestLog"]


@dataclass(frozen=True)
class LoggedRequest:
    """One request the replica served (control requests are never logged).

    ``time`` is the epoch time the response was decided; ``path`` includes the query string; ``status``
    is what was sent (0 for a ``reset`` connection); ``article_id`` is set when the path is one of an
    article's URLs; ``misbehaviour`` names the misbehaviour applied, if any.
    """

    time: float
    method: str
    path: str
    status: int
    headers: dict[str, str]
    user_agent: str | None
    article_id: int | None = None
    misbehaviour: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


class RequestLog:
    """A thread-safe list of :class:`LoggedRequest`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def record(
        self, method: str, target: str, status: int, headers: Message, article_id: int | None,
        misbehaviour: str | None,
    ) -> None:
        """Append one answered request (``target``: path and query, as asked)."""
        entry = LoggedRequest(
            time=time.time(),
            method=method,
            path=target,
            status=status,
            headers=dict(headers.items()),
            user_agent=headers.get("User-Agent"),
            article_id=article_id,
            misbehaviour=misbehaviour,
        )
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LoggedRequest]:
        """A copy of the log, oldest first."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Empty the log."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
