"""One response of the replica as the HTTP layer will put it on the wire.

Pages are rendered into a :class:`Response`; a fault (``replica/faults.py``) may then reshape it (cut its
body, change how it is framed); the HTTP handler writes it. Keeping the framing a
plain field lets the faults say *what* goes wrong without touching sockets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Framing", "Response"]

#: how the body is delimited on the wire:
#: ``length``: ``Content-Length`` equal to the body sent (the normal case, and ``cut-honest``);
#: ``overdeclared``: ``Content-Length`` of the whole body, fewer bytes sent, connection closed (``truncate``);
#: ``close``: no ``Content-Length``, not chunked, the connection closed after the bytes (``drop-no-length``);
#: ``chunked-cut``: ``Transfer-Encoding: chunked``, connection dropped before the last chunk (``chunked-cut``).
Framing = Literal["length", "overdeclared", "close", "chunked-cut"]


@dataclass
class Response:
    """Status, headers and body of one answer, and how to frame it.

    ``body_span`` is the byte range of an article's body inside ``body`` (set for article pages), so a
    fault can cut *inside the article* rather than anywhere; ``declared_length`` is the
    ``Content-Length`` sent with ``overdeclared`` framing.
    """

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    framing: Framing = "length"
    declared_length: int | None = None
    body_span: tuple[int, int] | None = None

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)
