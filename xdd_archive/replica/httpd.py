"""The replica's HTTP/1.1 server: threads, keep-alive, and putting a response on the wire as framed.

The server knows nothing of articles: it hands each request to a :class:`Site` (the ``Replica``), which
answers control requests with JSON and site requests with a
:class:`~xdd_archive.replica.response.Response` (or None: reset the connection). The handler then writes
the response framed as it says: with its ``Content-Length``, with a longer one (``truncate``),
close-delimited (``drop-no-length``) or chunked without the last chunk (``chunked-cut``).
"""

from __future__ import annotations

import json
import logging
import socket
import struct
import threading
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import urlsplit

from xdd_archive.replica.faults import chunks
from xdd_archive.replica.response import Response

__all__ = ["HTTPServer", "Site"]

logger = logging.getLogger(__name__)


class Site(Protocol):
    """What the server serves."""

    @property
    def server_header(self) -> str:
        """The ``Server`` header to announce."""
        ...

    def control(self, method: str, path: str, raw: bytes) -> tuple[int, Any]:
        """Answer ``/_control/...``: (status, JSON-ready payload)."""
        ...

    def answer(self, method: str, target: str, path: str, query: str, headers: Message, http11: bool) -> Response | None:
        """Answer a site request; None means: reset the connection without a response."""
        ...


class HTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that remembers its open connections, so that stop() can end idle ones."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], site: Site) -> None:
        self.site = site
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # clients that hang up mid-response are normal in tests of failures; never print tracebacks
        logger.debug("replica: error on a connection from %s", client_address)

    def close_connections(self) -> None:
        """Shut every open connection down (idle keep-alive ones included)."""
        with self.connections_lock:
            conns = list(self.connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # idle keep-alive connections are closed after this many seconds
    timeout = 30
    server: HTTPServer
    # BaseHTTPRequestHandler's buffer of header lines (undeclared in typeshed); the body joins it
    _headers_buffer: list[bytes]

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        # quiet: the request log (Replica.requests) is the record
        pass

    def version_string(self) -> str:
        return self.server.site.server_header

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _read_body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self, method: str) -> None:
        site = self.server.site
        target = self.path
        parts = urlsplit(target)
        if not target.startswith("/"):
            # absolute-form request target (as sent to proxies): keep only path and query
            target = parts.path + (f"?{parts.query}" if parts.query else "")
        path = parts.path or "/"
        try:
            if path == "/_control" or path.startswith("/_control/"):
                status, payload = site.control(method, path, self._read_body())
                body = json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8")
                self._write(Response(status, body, [("Content-Type", "application/json; charset=utf-8")]))
                return
            if method not in ("GET", "HEAD"):
                self._read_body()
            resp = site.answer(method, target, path, parts.query, self.headers, self.request_version == "HTTP/1.1")
            if resp is None:
                self._reset()
            else:
                self._write(resp, head=method == "HEAD")
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception:
            logger.exception("replica: failed to answer %s %s", method, target)
            self.close_connection = True
            try:
                self._write(Response(500, b"internal error", [("Content-Type", "text/plain; charset=utf-8")]))
            except OSError:
                pass

    def _write(self, resp: Response, *, head: bool = False) -> None:
        """Send ``resp`` framed as it says (``Response.framing``); a HEAD answer sends the headers only."""
        self.send_response(resp.status)
        for name, value in resp.headers:
            self.send_header(name, value)
        body = b"" if head or resp.status == 304 else resp.body
        if resp.framing == "length":
            if resp.status != 304:
                self.send_header("Content-Length", str(len(resp.body)))
        elif resp.framing == "overdeclared":
            self.send_header("Content-Length", str(resp.declared_length))
            # send_header() also sets close_connection: the connection ends after the partial body
            self.send_header("Connection", "close")
        elif resp.framing == "close":
            # close-delimited: with neither a length nor chunks, the connection's end is the body's end
            self.send_header("Connection", "close")
        else:  # chunked-cut
            self.send_header("Transfer-Encoding", "chunked")
            body = chunks(body)
            # dropped without notice: nothing announces the close, the terminating chunk never comes
            self.close_connection = True
        # headers and body leave in one write: two small writes meet the client's delayed ACK (Nagle)
        # and cost ~40 ms a response on keep-alive connections
        if self.request_version == "HTTP/0.9":  # no headers at all in HTTP/0.9
            self.wfile.write(body)
            return
        self._headers_buffer.append(b"\r\n")
        if body:
            self._headers_buffer.append(body)
        self.flush_headers()

    def _reset(self) -> None:
        """Close the connection with a TCP reset and without any response."""
        self.close_connection = True
        try:
            # linger 0: close() sends RST instead of FIN, as a crashed server or a middlebox would
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
