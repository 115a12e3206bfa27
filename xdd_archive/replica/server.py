"""The replica server: a scriptable local copy of the magazine site on 127.0.0.1.

:class:`Replica` holds generated articles (``replica/content.py``), renders them in one theme
(``replica/themes.py``) and serves them over HTTP/1.1 from a daemon thread, with keep-alive, correct
``Content-Length``, weak ETags, ``Last-Modified`` and 304s. Tests, the demo and benchmarks drive it from
Python (or over HTTP under ``/_control/``) to edit, delete, redirect or move articles and to make the site
misbehave, and read back the log of the requests a crawl made::

    with Replica(articles=40, theme="old") as site:
        url = site.article_url(site.ids[0])
        site.edit(site.ids[0], replace={"Đảng": "Đảng ta"})
        site.misbehave("503", times=2)
        site.misbehave_mix(rate=0.3, modes=["cut-honest", "stale-edge", "offhost-302"], seed=7)
        ...                                  # crawl site.base_url
        assert site.article_hits(site.ids[0]) >= 1

Everything the replica knows is guarded by one lock; handlers render under it (pages are small), and only
sleeping (the ``slow`` misbehaviour) and socket I/O happen outside it.

The HTTP control API (JSON in and out; never logged, never misbehaves; robots.txt disallows it)::

    GET  /_control/status                      base URL, theme, counts, misbehaviour rules and mix
    GET  /_control/articles                    every article (without bodies)
    POST /_control/articles                    add one: {"title": ..., "category": ...} -> 201 + article
    GET  /_control/articles/<id>               one article, body included
    POST /_control/articles/<id>/edit          {"title", "lead", "body", "author", "source", "tags",
                                                "replace": {old: new}, "unicode_form": "NFD"}
    POST /_control/articles/<id>/touch         new version and validators, same content
    POST /_control/articles/<id>/delete        {"status": 404 | 410}
    POST /_control/articles/<id>/restore
    POST /_control/articles/<id>/redirect      {"to": "/"}
    POST /_control/articles/<id>/move          -> {"path": ..., "url": ...}
    POST /_control/misbehave                   {"mode": "503", "article_id": null, "times": 1 | null}
    POST /_control/misbehave-mix               {"rate": 0.3, "modes": [...] | null, "seed": 7 | null,
                                                "article_id": null, "articles_only": true}
    POST /_control/clear-misbehaviour          rules and mix
    GET  /_control/requests                    the request log
    POST /_control/requests/clear

Bad JSON or a bad value answers 400, an unknown id or path 404, a wrong method 405, each with
``{"error": "..."}``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from hashlib import sha1
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from xdd_archive.errors import ConfigError
from xdd_archive.replica.content import (
    CATEGORIES,
    SITE_TZ,
    THEME_NAMES,
    Article,
    Block,
    UnicodeForm,
    first_id,
    generate_article,
    generate_articles,
    slugify,
)
from xdd_archive.replica.faults import (
    BODY_MODES,
    MISBEHAVIOURS,
    Fault,
    FaultBook,
    chunks,
    offhost_location,
    shape,
)
from xdd_archive.replica.response import Response
from xdd_archive.replica.themes import (
    ArticlePage,
    Link,
    ListingPage,
    PageContext,
    SiteStats,
    get_theme,
    robots_txt,
    rss_xml,
    sitemap_xml,
)

__all__ = ["MISBEHAVIOURS", "LoggedRequest", "Replica", "UnknownArticle", "serve"]

logger = logging.getLogger(__name__)

_HTML = "text/html; charset=utf-8"
_IMAGE_RE = re.compile(r"/(?:Uploads|uploads|Portals|images)/.+\.(?:jpe?g|png|gif|webp)", re.I)
_STATIC_RE = re.compile(r"/(?:App_Themes|assets|Portals)/.+\.css", re.I)
# the smallest valid GIF (1x1, transparent): every image URL of the site answers with it
_GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")

_EDIT_FIELDS = frozenset({"title", "lead", "body", "author", "source", "tags", "replace", "unicode_form"})
_ADD_FIELDS = frozenset(
    {"id", "title", "slug", "category", "lead", "body", "author", "source", "tags", "published_at", "views",
     "show_views"}
)


class UnknownArticle(ConfigError):
    """No article of the replica has the id that was asked for."""


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


@dataclass(frozen=True)
class _Route:
    kind: str  # home, listing, article, robots, sitemap, rss, image, css, notfound
    category: str | None = None
    article_id: int | None = None


def _as_body(body: str | list[str]) -> list[str]:
    """A body given as a list of blocks, or as one string with blocks separated by blank lines."""
    if isinstance(body, str):
        return [b.strip() for b in re.split(r"\n[ \t]*\n", body.strip()) if b.strip()]
    if isinstance(body, (list, tuple)) and all(isinstance(b, str) for b in body):
        return list(body)
    raise ConfigError("body must be a string or a list of strings")


def _http_date(dt: datetime) -> str:
    return format_datetime(dt.astimezone(UTC), usegmt=True)


def _now() -> datetime:
    return datetime.now(SITE_TZ).replace(microsecond=0)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    replica: Replica

    def __init__(self, address: tuple[str, int], replica: Replica) -> None:
        self.replica = replica
        # open connections, so that stop() can end idle keep-alive connections too
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # clients that hang up mid-response are normal in tests of failures; never print tracebacks
        logger.debug("replica: error on a connection from %s", client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # idle keep-alive connections are closed after this many seconds
    timeout = 30
    server: _Server
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
        return self.server.replica.theme.server_header

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
        replica = self.server.replica
        target = self.path
        parts = urlsplit(target)
        if not target.startswith("/"):
            # absolute-form request target (as sent to proxies): keep only path and query
            target = parts.path + (f"?{parts.query}" if parts.query else "")
        path = parts.path or "/"
        try:
            if path == "/_control" or path.startswith("/_control/"):
                status, payload = replica._control(method, path, self._read_body())
                body = json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8")
                self._write(Response(status, body, [("Content-Type", "application/json; charset=utf-8")]))
                return
            if method not in ("GET", "HEAD"):
                self._read_body()
            replica._serve(self, method, target, path, parts.query)
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


class Replica:
    """A local, scriptable replica of the magazine site.

    Example::

        with Replica(articles=60, seed=1, theme="portal") as site:
            print(site.base_url)                 # http://127.0.0.1:54321
            first = site.ids[-1]                 # the newest article
            site.misbehave("truncate", article_id=first)

    ``articles`` are generated deterministically from ``seed`` (same seed, same site); ``theme`` is one of
    ``old``, ``new``, ``portal`` (``replica/THEMES.md``); ``per_page`` is the category listings' page
    size; ``port=0`` picks a free port when the server starts. Bad options raise ConfigError.
    """

    #: seconds the ``slow`` misbehaviour waits before answering
    SLOW_SECONDS = 3.0
    #: share of the body the ``truncate`` misbehaviour sends
    TRUNCATE_FRACTION = 0.4
    #: articles on the home page
    HOME_ITEMS = 10
    #: items in the RSS feed
    FEED_ITEMS = 20

    def __init__(
        self,
        articles: int = 60,
        seed: int = 1,
        theme: str = "old",
        per_page: int = 10,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if theme not in THEME_NAMES:
            raise ConfigError(f"unknown theme {theme!r} (known: {', '.join(THEME_NAMES)})")
        if not isinstance(articles, int) or articles < 0:
            raise ConfigError(f"articles must be an integer >= 0, not {articles!r}")
        if not isinstance(per_page, int) or per_page < 1:
            raise ConfigError(f"per_page must be an integer >= 1, not {per_page!r}")
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ConfigError(f"port must be 0..65535, not {port!r}")
        self.theme_name = theme
        self.theme = get_theme(theme)
        self.seed = seed
        self.per_page = per_page
        self.host = host
        self._port = port
        self._lock = threading.RLock()
        self._articles: dict[int, Article] = {}
        self._routes: dict[str, int] = {}
        self._titles: set[str] = set()
        self._slugs: set[str] = set()
        for article in generate_articles(articles, seed, theme=theme):
            self._register(article)
        # defaults for add_article() come from their own stream, so the generated site never shifts
        self._add_rng = random.Random(f"replica-add-{seed}")
        self._faults = FaultBook(seed)
        # each article's version before its last edit or touch: what the stale edge serves
        self._previous: dict[int, Article] = {}
        self._log: list[LoggedRequest] = []
        self._served = 0
        self._cache: dict[str, bytes] = {}
        self._index_dirty = True
        self._listed: list[Article] = []
        self._by_category: dict[str, list[Article]] = {}
        self._position: dict[int, int] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ---------------------------------------------------------------------------------

    def start(self) -> Replica:
        """Bind and serve from a daemon thread; returns self. Starting again after stop() reuses the port."""
        with self._lock:
            if self._server is not None:
                return self
            try:
                server = _Server((self.host, self._port), self)
            except OSError as exc:
                raise ConfigError(f"cannot listen on {self.host}:{self._port}: {exc}") from None
            self._port = server.server_address[1]
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},  # stop() returns within 0.1 s
                name=f"replica-{self._port}",
                daemon=True,
            )
            self._thread.start()
        logger.debug("replica: serving %s", self.base_url)
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection (idle keep-alive ones included)."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with server.connections_lock:
            conns = list(server.connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Replica:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """True while the server is serving."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The port (the bound one once started; 0 means "a free port, when started")."""
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``; known once started (or when a fixed port was given)."""
        if self._port == 0:
            raise RuntimeError("the replica has no port yet: call start() first")
        return f"http://{self.host}:{self._port}"

    def __repr__(self) -> str:
        where = self.base_url if self._port else "not started"
        return f"<Replica {self.theme_name} theme, {len(self._articles)} articles, {where}>"

    # -- articles -----------------------------------------------------------------------------------

    @property
    def articles(self) -> Mapping[int, Article]:
        """All articles by id (a live read-only view; mutate through the control methods)."""
        return MappingProxyType(self._articles)

    @property
    def ids(self) -> list[int]:
        """Article ids, oldest first (gone and redirected articles included)."""
        with self._lock:
            return sorted(self._articles)

    def article(self, id: int) -> Article:
        """The article with ``id``; UnknownArticle (a ConfigError) if there is none."""
        try:
            return self._articles[id]
        except (KeyError, TypeError):
            raise UnknownArticle(f"the replica has no article with id {id!r}") from None

    def article_path(self, id: int) -> str:
        """The article's current path (its new-style path once moved)."""
        return self.article(id).path(self.theme_name)

    def article_url(self, id: int, host: str | None = None) -> str:
        """Absolute URL of the article's current path; ``host="localhost"`` gives the twin URL."""
        base = self.base_url
        if host is not None:
            base = f"http://{host}:{self._port}"
        return base + self.article_path(id)

    def listed_ids(self, category: str | None = None) -> list[int]:
        """Ids of the articles listings show (live, not redirected), newest first."""
        with self._lock:
            self._reindex()
            items = self._listed if category is None else self._by_category.get(category, [])
            return [a.id for a in items]

    # -- control ------------------------------------------------------------------------------------

    def add_article(self, **fields: Any) -> Article:
        """Publish a new article, the newest of the site (top of the home page and of its category).

        Fields not given are generated: ``title``, ``slug``, ``category``, ``lead``, ``body`` (a list of
        blocks or a string with blank-line separated blocks), ``author``, ``source``, ``tags``,
        ``published_at`` (default: now, and after every other article), ``views``, ``show_views``,
        ``id`` (default: the highest id + 1).
        """
        unknown = set(fields) - _ADD_FIELDS
        if unknown:
            raise ConfigError(f"unknown article fields: {', '.join(sorted(unknown))}")
        if "category" in fields and fields["category"] not in CATEGORIES:
            raise ConfigError(f"unknown category {fields['category']!r} (known: {', '.join(CATEGORIES)})")
        with self._lock:
            art_id = fields.get("id")
            if art_id is None:
                art_id = max(self._articles, default=first_id(self.theme_name) - 1) + 1
            elif not isinstance(art_id, int) or art_id in self._articles:
                raise ConfigError(f"id {art_id!r} is taken or not an integer")
            published = fields.get("published_at")
            if published is None:
                newest = max((a.published_at for a in self._articles.values()), default=None)
                published = _now()
                if newest is not None and published <= newest:
                    published = newest + timedelta(minutes=1)
            elif isinstance(published, str):
                published = datetime.fromisoformat(published)
            if published.tzinfo is None:
                published = published.replace(tzinfo=SITE_TZ)
            rng = self._add_rng
            category = fields.get("category") or rng.choice(CATEGORIES)
            titles = set(self._titles) if "title" in fields else self._titles
            art = generate_article(
                rng,
                id=art_id,
                published_at=published,
                category=category,
                theme=self.theme_name,
                taken_titles=titles,
                taken_slugs=set(self._slugs),
            )
            if "title" in fields:
                art.title = str(fields["title"])
            slug = fields.get("slug") or slugify(art.title)
            if slug in self._slugs:
                n = 2
                while f"{slug}-{n}" in self._slugs:
                    n += 1
                slug = f"{slug}-{n}"
            art.slug = slug
            if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug):
                raise ConfigError(f"a slug is lower-case ASCII words joined by hyphens, not {slug!r}")
            if "lead" in fields:
                art.lead = str(fields["lead"])
            if "body" in fields:
                art.body = _as_body(fields["body"])
            if "author" in fields:
                art.author = fields["author"] or None
            if "source" in fields:
                art.source = fields["source"] or None
            if "tags" in fields:
                art.tags = [str(t) for t in fields["tags"]]
            if "views" in fields:
                art.views = int(fields["views"])
            if "show_views" in fields:
                art.show_views = bool(fields["show_views"])
            art.modified_at = art.published_at
            self._register(art)
            self._changed(reindex=True)
            return art

    def edit(
        self,
        id: int,
        *,
        title: str | None = None,
        lead: str | None = None,
        body: str | list[str] | None = None,
        author: str | None = None,
        source: str | None = None,
        tags: list[str] | None = None,
        replace: dict[str, str] | None = None,
        unicode_form: UnicodeForm | None = None,
        touch_modified: bool = True,
    ) -> Article:
        """Edit an article's content, or change how its text is encoded.

        ``None`` leaves a field as it is; ``author=""`` / ``source=""`` remove them. ``body`` replaces the
        whole body (list of blocks, or blocks separated by blank lines; ``## `` marks a heading).
        ``replace`` substitutes substrings in title, lead and body. A call that changes content bumps
        ``version`` and ``modified_at`` (so the ETag and Last-Modified change); one that changes nothing
        changes nothing. ``unicode_form="NFD"`` serves the same text decomposed: the bytes, ETag and
        Last-Modified change but ``version`` does not, as it is no content change.
        ``touch_modified=False`` makes a silent edit: the content (and ETag) change, but ``modified_at``
        (``article:modified_time``, Last-Modified) stays as it was.
        """
        if unicode_form is not None and unicode_form not in ("NFC", "NFD"):
            raise ConfigError(f"unicode_form must be 'NFC' or 'NFD', not {unicode_form!r}")
        if replace is not None and not (
            isinstance(replace, dict)
            and all(isinstance(k, str) and k and isinstance(v, str) for k, v in replace.items())
        ):
            raise ConfigError("replace must map non-empty strings to strings")
        with self._lock:
            art = self.article(id)
            new_title = art.title if title is None else str(title)
            new_lead = art.lead if lead is None else str(lead)
            new_body = list(art.body) if body is None else _as_body(body)
            for old, new in (replace or {}).items():
                new_title = new_title.replace(old, new)
                new_lead = new_lead.replace(old, new)
                new_body = [b.replace(old, new) for b in new_body]
            new_author = art.author if author is None else (author or None)
            new_source = art.source if source is None else (source or None)
            new_tags = list(art.tags) if tags is None else [str(t) for t in tags]
            before = (art.title, art.lead, art.body, art.author, art.source, art.tags)
            after = (new_title, new_lead, new_body, new_author, new_source, new_tags)
            new_form = art.unicode_form if unicode_form is None else unicode_form
            touched = after != before or new_form != art.unicode_form
            if touched:
                self._remember(art)
            if after != before:
                art.title, art.lead, art.body, art.author, art.source, art.tags = after
                art.version += 1
            art.unicode_form = new_form
            if touched:
                if touch_modified:
                    art.modified_at = self._next_modified(art)
                self._changed()
            return art

    def touch(self, id: int) -> Article:
        """Re-save an article without changing its content: new version, ETag and Last-Modified."""
        with self._lock:
            art = self.article(id)
            self._remember(art)
            art.version += 1
            art.modified_at = self._next_modified(art)
            self._changed()
            return art

    def delete(self, id: int, *, status: int = 404) -> Article:
        """Take an article down: its URLs answer ``status`` (404 or 410) with the error page."""
        if status not in (404, 410):
            raise ConfigError(f"a deleted article answers 404 or 410, not {status!r}")
        with self._lock:
            art = self.article(id)
            art.status, art.gone_status, art.redirect_to = "gone", status, None
            self._changed(reindex=True)
            return art

    def restore(self, id: int) -> Article:
        """Put a deleted or redirected article back, live at the same URL."""
        with self._lock:
            art = self.article(id)
            art.status, art.redirect_to = "live", None
            self._changed(reindex=True)
            return art

    def redirect(self, id: int, *, to: str) -> Article:
        """Make every URL of the article answer ``301`` to ``to`` (a path such as ``/`` or a URL)."""
        if not isinstance(to, str) or not (to.startswith("/") or re.match(r"https?://", to)):
            raise ConfigError(f"redirect target must be a path or an http(s) URL, not {to!r}")
        with self._lock:
            art = self.article(id)
            art.status, art.redirect_to = "live", to
            self._changed(reindex=True)
            return art

    def move(self, id: int) -> str:
        """The 2025 move: the article now lives at ``/<category>/<slug>.html``; its old URL answers 301.

        Listings, the sitemap and the feed link the new URL. Returns the new path (idempotent).
        """
        with self._lock:
            art = self.article(id)
            if not art.moved:
                art.moved = True
                self._routes[art.new_path()] = art.id
                self._changed()
            return art.new_path()

    def misbehave(self, mode: str, *, article_id: int | None = None, times: int | None = 1) -> None:
        """Make the next ``times`` requests misbehave (``times=None``: until clear_misbehaviour()).

        ``article_id=None`` applies to every path but ``/_control/``; otherwise to that article's URLs.
        Rules apply in the order given; each request consumes at most one. Modes:

        - ``500``; ``503`` and ``429`` (with ``Retry-After: 1``): that error page;
        - ``slow``: the answer after ``SLOW_SECONDS`` (3 s);
        - ``reset``: the connection closed with a TCP reset, no response (logged with status 0);
        - ``truncate``: ``Content-Length`` of the whole page, then ~40 % of its bytes and a closed connection;
        - ``maintenance``: the maintenance page with status 200;
        - ``wrong-charset``: UTF-8 bytes declared as windows-1252, no meta charset;
        - ``cut-honest``: status 200, the HTML cut at a random point inside the article body (anywhere in
          other pages), ``Content-Length`` equal to the bytes sent, the connection kept alive: a complete,
          well-formed response whose HTML simply stops (no ``</html>``);
        - ``drop-no-length``: no ``Content-Length``, not chunked (``Connection: close``), the connection
          closed normally mid-body, at a random byte inside the article body: to HTTP, a complete response;
        - ``chunked-cut``: ``Transfer-Encoding: chunked``, the connection dropped after the chunks of a
          random share of the page and before the terminating zero-length chunk (close-delimited for an
          HTTP/1.0 client);
        - ``stale-edge``: two edges alternate per article, the stale one first: it serves the article's
          previous version (its content before its last edit, with that version's ETag and
          Last-Modified, and the view count it had then), the other the current one; an article never
          edited serves the same either way;
        - ``offhost-302``: ``302 Found`` to another host (``http://127.0.0.2:<port>/bao-tri`` or
          ``http://bao-tri.xaydungdang.invalid/bao-tri``, with the asked path as ``?url=``), which a
          crawler must not follow.

        A fault that has nothing to act on (a cut of a HEAD answer or a 304, a stale edge for a page that
        is not an article) still consumes its rule but is logged as no misbehaviour. Cut points come from
        a stream seeded by the replica's seed. See also :meth:`misbehave_mix` and ``replica/THEMES.md``.
        """
        with self._lock:
            if article_id is not None:
                self.article(article_id)
            self._faults.add(mode, article_id, times)

    def misbehave_mix(
        self,
        rate: float,
        modes: list[str] | tuple[str, ...] | None = None,
        seed: int | None = None,
        *,
        article_id: int | None = None,
        articles_only: bool = True,
    ) -> None:
        """Make a random share ``rate`` (0..1) of requests misbehave, until clear_misbehaviour().

        Each eligible request draws from ``random.Random(seed)`` (``seed=None``: the replica's seed)
        whether it misbehaves and in which of ``modes`` (default: every mode of :meth:`misbehave` but
        ``slow``; a mode listed twice is drawn twice as often), and where a cut lands: the same seed and
        the same order of requests give the same faults. ``stale-edge`` drawn by the mix means "this
        request reached the stale edge". Eligible: requests for one of an article's URLs
        (``articles_only=False``: every path but ``/_control/``; ``article_id``: that article's only).
        Rules set with :meth:`misbehave` take precedence; a request they answer draws nothing.
        A new mix replaces the previous one. ConfigError for a bad rate, mode or seed.
        """
        with self._lock:
            if article_id is not None:
                self.article(article_id)
            self._faults.set_mix(rate, modes, self.seed if seed is None else seed, article_id, articles_only)

    def clear_misbehaviour(self) -> None:
        """Forget every misbehaviour rule and the random mix: the site behaves again."""
        with self._lock:
            self._faults.clear()

    # -- request log --------------------------------------------------------------------------------

    @property
    def requests(self) -> list[LoggedRequest]:
        """A copy of the request log, in the order responses were decided."""
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Empty the request log."""
        with self._lock:
            self._log.clear()

    def article_hits(self, id: int) -> int:
        """How many logged requests were for one of the article's URLs (any status, 304 and 301 too)."""
        with self._lock:
            return sum(1 for r in self._log if r.article_id == id)

    def paths(self) -> list[str]:
        """The logged requests' paths (with query), in order."""
        with self._lock:
            return [r.path for r in self._log]

    # -- internals: state ---------------------------------------------------------------------------

    def _register(self, art: Article) -> None:
        self._articles[art.id] = art
        self._titles.add(art.title)
        self._slugs.add(art.slug)
        self._routes[art.original_path(self.theme_name)] = art.id
        if art.moved:
            self._routes[art.new_path()] = art.id

    def _remember(self, art: Article) -> None:
        """Keep the article as it is now, before an edit: the stale edge serves this copy."""
        self._previous[art.id] = dataclasses.replace(art, body=list(art.body), tags=list(art.tags))

    def _changed(self, *, reindex: bool = False) -> None:
        self._cache.clear()
        if reindex:
            self._index_dirty = True

    def _next_modified(self, art: Article) -> datetime:
        # strictly later than before, so that a client's If-Modified-Since never hides the change
        return max(_now(), art.modified_at.astimezone(SITE_TZ) + timedelta(seconds=1))

    def _reindex(self) -> None:
        """Rebuild the newest-first listings (only after a change of what is listed)."""
        if not self._index_dirty:
            return
        listed = sorted(
            (a for a in self._articles.values() if a.listed), key=lambda a: (a.published_at, a.id), reverse=True
        )
        by_cat: dict[str, list[Article]] = {c: [] for c in CATEGORIES}
        for a in listed:
            by_cat.setdefault(a.category, []).append(a)
        self._listed = listed
        self._by_category = by_cat
        self._position = {a.id: i for items in by_cat.values() for i, a in enumerate(items)}
        self._index_dirty = False

    # -- internals: routing and pages ---------------------------------------------------------------

    def _route(self, path: str) -> _Route:
        path = re.sub(r"/{2,}", "/", unquote(path))
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        if path == "/":
            return _Route("home")
        if path == "/robots.txt":
            return _Route("robots")
        if path == "/sitemap.xml":
            return _Route("sitemap")
        if path in ("/rss", "/rss.xml"):
            return _Route("rss")
        if path[1:] in CATEGORIES:
            return _Route("listing", category=path[1:])
        art_id = self._routes.get(path)
        if art_id is not None:
            return _Route("article", article_id=art_id)
        if _IMAGE_RE.fullmatch(path):
            return _Route("image")
        if _STATIC_RE.fullmatch(path):
            return _Route("css")
        return _Route("notfound")

    def _context(self, *, meta_charset: bool = True, base_url: str | None = None) -> PageContext:
        n = self._served
        stats = SiteStats(
            online=120 + (n * 7) % 97,
            week=1_000 + n,
            month=51_751 + n,
            year=801_765 + n,
            total=2_962_630 + n,
        )
        return PageContext(base_url=base_url or self.base_url, stats=stats, meta_charset=meta_charset)

    def _base_for(self, host: str | None) -> str:
        """The base URL a request's pages link with: its twin host (127.0.0.1 or localhost), else ours.

        The real site answers under ``www.`` and the bare name and writes absolute URLs with the host it
        was asked for; an unknown Host header gets the canonical base.
        """
        if host:
            name, _, port = host.strip().lower().rpartition(":")
            if name in {self.host, "127.0.0.1", "localhost"} and port == str(self._port):
                return f"http://{name}:{port}"
        return self.base_url

    @staticmethod
    def _link(a: Article, theme: str, *, lead: bool = False) -> Link:
        title = unicodedata.normalize(a.unicode_form, a.title)
        text = unicodedata.normalize(a.unicode_form, a.lead) if lead else None
        return Link(title, a.path(theme), a.published_at, text, a.category)

    def _article_page(self, art: Article, path: str) -> ArticlePage:
        form = art.unicode_form

        def nf(text: str) -> str:
            return unicodedata.normalize(form, text)

        self._reindex()
        theme = self.theme_name
        siblings = self._by_category.get(art.category, [])
        pos = self._position.get(art.id)
        if pos is None:
            related: list[Article] = []
            others = [a for a in self._listed[:6] if a.id != art.id][:5]
        else:
            related = siblings[pos + 1 : pos + 6]
            others = siblings[max(0, pos - 5) : pos] or [a for a in self._listed[:6] if a.id != art.id][:5]
        return ArticlePage(
            id=art.id,
            title=nf(art.title),
            lead=nf(art.lead),
            blocks=[Block(b.kind, nf(b.text), b.url) for b in art.blocks],
            author_line=nf(art.author_line) if art.author_line else None,
            tags=[nf(t) for t in art.tags],
            category=art.category,
            published_at=art.published_at,
            modified_at=art.modified_at,
            views=art.views if art.show_views else None,
            path=path,
            related=[self._link(a, theme) for a in related],
            others=[self._link(a, theme) for a in others],
        )

    def _listing(self, category: str | None, query: str, ctx: PageContext) -> Response:
        self._reindex()
        if category is None:
            items = self._listed[: self.HOME_ITEMS]
            page = ListingPage(None, [self._link(a, self.theme_name, lead=True) for a in items])
            return Response(200, self.theme.listing(page, ctx).encode("utf-8"))
        params = parse_qs(query)
        raw = (params.get("page") or params.get("Page") or ["1"])[0]
        articles = self._by_category.get(category, [])
        pages = max(1, math.ceil(len(articles) / self.per_page))
        try:
            number = int(raw)
        except ValueError:
            number = 0
        if not 1 <= number <= pages:
            return self._error(404, ctx)
        chunk = articles[(number - 1) * self.per_page : number * self.per_page]
        page = ListingPage(category, [self._link(a, self.theme_name, lead=True) for a in chunk], number, pages)
        return Response(200, self.theme.listing(page, ctx).encode("utf-8"))

    def _error(self, status: int, ctx: PageContext) -> Response:
        return Response(status, self.theme.error(status, ctx).encode("utf-8"))

    def _redirect(self, location: str, base: str, status: int = 301) -> Response:
        if location.startswith("/"):
            # stay on the host the client used (127.0.0.1 or its localhost twin)
            location = base + location
        body = (
            "<html><head><title>Object moved</title></head><body>"
            f'<h2>Object moved to <a href="{escape(location)}">here</a>.</h2></body></html>'
        ).encode()
        return Response(status, body, [("Location", location)])

    def _article(
        self, art: Article, path: str, method: str, headers: Any, ctx: PageContext, *, stale: bool = False
    ) -> Response:
        """An article's page; ``stale``: as the stale edge has it (its version before the last edit)."""
        if art.redirect_to is not None:
            return self._redirect(art.redirect_to, ctx.base_url)
        if art.status == "gone":
            return self._error(art.gone_status, ctx)
        current = art.path(self.theme_name)
        if path != current:
            return self._redirect(current, ctx.base_url)
        shown = self._previous.get(art.id, art) if stale else art
        digest = sha1(f"{shown.id}:{shown.version}:{shown.unicode_form}".encode()).hexdigest()[:20]
        etag = f'W/"{digest}"'
        validators = [("ETag", etag), ("Last-Modified", _http_date(shown.modified_at))]
        if self._not_modified(headers, etag, shown.modified_at):
            return Response(304, b"", validators)
        if method == "GET" and shown is art:
            # the stale edge answers from its cache: the origin's counter never sees the request
            art.views += 1
        html = self.theme.article(self._article_page(shown, current), ctx)
        span = self.theme.body_span(html)
        body = html.encode("utf-8")
        if span is not None:
            # character offsets to byte offsets (Vietnamese text takes 1 to 3 bytes a character)
            start = len(html[: span[0]].encode("utf-8"))
            span = (start, start + len(html[span[0] : span[1]].encode("utf-8")))
        return Response(200, body, validators, body_span=span)

    @staticmethod
    def _not_modified(headers: Any, etag: str, modified: datetime) -> bool:
        inm = headers.get("If-None-Match")
        if inm is not None:
            # weak comparison (RFC 9110 13.1.2); If-None-Match wins over If-Modified-Since
            wanted = {t.strip().removeprefix("W/") for t in inm.split(",")}
            return "*" in wanted or etag.removeprefix("W/") in wanted
        ims = headers.get("If-Modified-Since")
        if ims:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError, IndexError):
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            return since >= modified
        return False

    def _respond(
        self, method: str, route: _Route, path: str, query: str, headers: Any, fault: Fault | None, base: str
    ) -> Response:
        """The response to a site request (under the lock), before any body fault; ``base``: the host's."""
        mode = fault.mode if fault is not None else None
        ctx = self._context(meta_charset=mode != "wrong-charset", base_url=base)
        if mode in ("500", "503", "429"):
            resp = self._error(int(mode), ctx)
            if mode != "500":
                resp.headers.append(("Retry-After", "1"))
            resp.headers.append(("Content-Type", _HTML))
            return resp
        if mode == "maintenance":
            return Response(200, self.theme.maintenance(ctx).encode("utf-8"), [("Content-Type", _HTML)])
        if fault is not None and mode == "offhost-302":
            resp = self._redirect(offhost_location(fault, self._port, path), base, status=302)
            resp.headers.append(("Content-Type", _HTML))
            return resp
        if route.kind == "article" and route.article_id is not None:
            norm = re.sub(r"/{2,}", "/", unquote(path)).rstrip("/") or "/"
            stale = fault is not None and mode == "stale-edge" and fault.stale
            resp = self._article(self._articles[route.article_id], norm, method, headers, ctx, stale=stale)
            content_type = _HTML
        elif route.kind in ("home", "listing"):
            resp = self._listing(route.category, query, ctx)
            content_type = _HTML
        elif route.kind == "robots":
            resp = Response(200, robots_txt(base).encode("utf-8"))
            content_type = "text/plain; charset=utf-8"
        elif route.kind == "sitemap":
            resp = Response(200, self._cached(f"sitemap {base}", lambda: self._sitemap(base)))
            content_type = "application/xml; charset=utf-8"
        elif route.kind == "rss":
            resp = Response(200, self._cached(f"rss {base}", lambda: self._rss(base)))
            content_type = "application/rss+xml; charset=utf-8"
        elif route.kind == "image":
            resp = Response(200, _GIF, [("Cache-Control", "max-age=86400")])
            content_type = "image/gif"
        elif route.kind == "css":
            resp = Response(200, b"/* replica */\n")
            content_type = "text/css; charset=utf-8"
        else:
            resp = self._error(404, ctx)
            content_type = _HTML
        if mode == "wrong-charset":
            content_type = content_type.replace("charset=utf-8", "charset=windows-1252")
        if resp.status != 304:
            resp.headers.append(("Content-Type", content_type))
        if content_type.startswith("text/html"):
            resp.headers.extend(self.theme.extra_headers)
        return resp

    def _cached(self, key: str, make: Callable[[], str]) -> bytes:
        body = self._cache.get(key)
        if body is None:
            body = self._cache[key] = make().encode("utf-8")
        return body

    def _sitemap(self, base: str) -> str:
        self._reindex()
        return sitemap_xml([(a.path(self.theme_name), a.modified_at) for a in self._listed], base)

    def _rss(self, base: str) -> str:
        self._reindex()
        items = [self._link(a, self.theme_name, lead=True) for a in self._listed[: self.FEED_ITEMS]]
        return rss_xml(items, base)

    def _serve(self, handler: _Handler, method: str, target: str, path: str, query: str) -> None:
        """Answer one site request on ``handler`` (called from the handler's thread)."""
        headers = handler.headers
        if method not in ("GET", "HEAD"):
            with self._lock:
                resp = Response(405, b"method not allowed", [("Allow", "GET, HEAD"), ("Content-Type", "text/plain")])
                self._record(method, target, resp.status, headers, self._route(path).article_id, None)
            handler._write(resp)
            return
        with self._lock:
            route = self._route(path)
            fault = self._faults.take(route.article_id)
        mode = fault.mode if fault is not None else None
        if mode == "slow":
            time.sleep(self.SLOW_SECONDS)
        if mode == "reset":
            with self._lock:
                self._record(method, target, 0, headers, route.article_id, mode)
            handler._reset()
            return
        with self._lock:
            # route again: the state may have changed while this request slept
            route = self._route(path)
            resp = self._respond(method, route, path, query, headers, fault, self._base_for(headers.get("Host")))
            if mode in BODY_MODES:
                applied = shape(
                    resp, fault, head=method == "HEAD", chunked=handler.request_version == "HTTP/1.1",
                    truncate_fraction=self.TRUNCATE_FRACTION,
                )
            else:
                # a stale edge only caches articles: any other answer is the origin's
                applied = mode != "stale-edge" or (route.kind == "article" and resp.status in (200, 304))
            self._served += 1
            self._record(method, target, resp.status, headers, route.article_id, mode if applied else None)
        handler._write(resp, head=method == "HEAD")

    def _record(
        self, method: str, target: str, status: int, headers: Any, article_id: int | None, mode: str | None
    ) -> None:
        self._log.append(
            LoggedRequest(
                time=time.time(),
                method=method,
                path=target,
                status=status,
                headers=dict(headers.items()),
                user_agent=headers.get("User-Agent"),
                article_id=article_id,
                misbehaviour=mode,
            )
        )

    # -- internals: the HTTP control API ------------------------------------------------------------

    def _control(self, method: str, path: str, raw: bytes) -> tuple[int, Any]:
        """Answer ``/_control/...``: (status, JSON-ready payload). Never logged, never misbehaves."""
        parts = [p for p in path.split("/") if p][1:]
        try:
            data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except (UnicodeDecodeError, ValueError) as exc:
            return 400, {"error": f"bad JSON: {exc}"}
        if not isinstance(data, dict):
            return 400, {"error": "the request body must be a JSON object"}
        try:
            return self._control_route(method, parts, data)
        except UnknownArticle as exc:
            return 404, {"error": str(exc)}
        except ConfigError as exc:
            return 400, {"error": str(exc)}
        except (TypeError, ValueError) as exc:
            return 400, {"error": f"bad request: {exc}"}

    def _control_route(self, method: str, parts: list[str], data: dict[str, Any]) -> tuple[int, Any]:
        def need(expected: str) -> tuple[int, Any] | None:
            return None if method == expected else (405, {"error": f"use {expected} for /_control/{'/'.join(parts)}"})

        if not parts or parts == ["status"]:
            if err := need("GET"):
                return err
            with self._lock:
                return 200, {
                    "base_url": self.base_url,
                    "theme": self.theme_name,
                    "articles": len(self._articles),
                    "per_page": self.per_page,
                    **self._faults.describe(),
                    "requests": len(self._log),
                }
        head = parts[0]
        if head == "articles" and len(parts) == 1:
            if method == "GET":
                with self._lock:
                    return 200, [self._article_json(a, full=False) for a in self._articles.values()]
            if err := need("POST"):
                return err
            art = self.add_article(**data)
            return 201, self._article_json(art)
        if head == "articles" and len(parts) in (2, 3):
            try:
                art_id = int(parts[1])
            except ValueError:
                raise UnknownArticle(f"the replica has no article with id {parts[1]!r}") from None
            self.article(art_id)
            if len(parts) == 2:
                if err := need("GET"):
                    return err
                return 200, self._article_json(self.article(art_id))
            if err := need("POST"):
                return err
            action = parts[2]
            if action == "edit":
                unknown = set(data) - _EDIT_FIELDS
                if unknown:
                    raise ConfigError(f"unknown edit fields: {', '.join(sorted(unknown))}")
                return 200, self._article_json(self.edit(art_id, **data))
            if action == "touch":
                return 200, self._article_json(self.touch(art_id))
            if action == "delete":
                return 200, self._article_json(self.delete(art_id, status=int(data.get("status", 404))))
            if action == "restore":
                return 200, self._article_json(self.restore(art_id))
            if action == "redirect":
                if "to" not in data:
                    raise ConfigError("redirect needs 'to'")
                return 200, self._article_json(self.redirect(art_id, to=data["to"]))
            if action == "move":
                path = self.move(art_id)
                return 200, {"path": path, "url": self.base_url + path}
            return 404, {"error": f"unknown article action {action!r}"}
        if parts == ["misbehave"]:
            if err := need("POST"):
                return err
            if "mode" not in data:
                raise ConfigError("misbehave needs 'mode'")
            self.misbehave(str(data["mode"]), article_id=data.get("article_id"), times=data.get("times", 1))
            return 200, {"ok": True}
        if parts == ["misbehave-mix"]:
            if err := need("POST"):
                return err
            unknown = set(data) - {"rate", "modes", "seed", "article_id", "articles_only"}
            if unknown or "rate" not in data:
                raise ConfigError(f"misbehave-mix takes rate (required), modes, seed, article_id, articles_only; "
                                  f"not {', '.join(sorted(unknown)) or 'nothing'}")
            self.misbehave_mix(
                data["rate"], data.get("modes"), data.get("seed"), article_id=data.get("article_id"),
                articles_only=data.get("articles_only", True),
            )
            with self._lock:
                return 200, {"ok": True, **self._faults.describe()}
        if parts in (["clear-misbehaviour"], ["clear-misbehavior"]):
            if err := need("POST"):
                return err
            self.clear_misbehaviour()
            return 200, {"ok": True}
        if parts == ["requests"]:
            if err := need("GET"):
                return err
            return 200, [r.to_dict() for r in self.requests]
        if parts == ["requests", "clear"]:
            if err := need("POST"):
                return err
            self.clear_requests()
            return 200, {"ok": True}
        return 404, {"error": f"unknown control path /_control/{'/'.join(parts)}"}

    def _article_json(self, art: Article, *, full: bool = True) -> dict[str, Any]:
        with self._lock:
            d = art.to_dict(full=full)
            path = art.path(self.theme_name)
            d["path"], d["url"] = path, self.base_url + path
            return d


def serve(
    articles: int = 200,
    *,
    port: int = 8765,
    theme: str = "old",
    seed: int = 1,
    host: str = "127.0.0.1",
    per_page: int = 10,
) -> None:
    """Serve a replica in the foreground until Ctrl+C (or SIGTERM); prints its base URL once on stdout."""
    replica = Replica(articles=articles, seed=seed, theme=theme, per_page=per_page, host=host, port=port)
    replica.start()
    previous = None

    def _terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:
        pass  # not the main thread: Ctrl+C only
    try:
        # inside the try: a signal right after the URL is printed must still stop cleanly
        print(replica.base_url, flush=True)
        print(
            f"replica: {articles} articles, {theme} theme, seed {seed}; control API at {replica.base_url}/_control/; "
            "Ctrl+C to stop",
            file=sys.stderr,
            flush=True,
        )
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        replica.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
