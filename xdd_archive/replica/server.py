"""The replica: a scriptable local copy of the magazine site on 127.0.0.1.

:class:`Replica` serves generated articles (``replica/content.py``) in one theme (``replica/themes/``) over
HTTP/1.1 from a daemon thread, with keep-alive, correct ``Content-Length``, weak ETags,
``Last-Modified`` and 304s. Tests, the demo and benchmarks drive it from Python (or over HTTP under
``/_control/``, see ``replica/control.py``) to edit, delete, redirect or move articles, to add a hostile
one, to switch theme at runtime and to make the site misbehave, and read back the log of the requests a
crawl made::

    with Replica(articles=40, theme="old") as site:
        url = site.article_url(site.ids[0])
        site.edit(site.ids[0], replace={"Đảng": "Đảng ta"})
        site.misbehave("503", times=2)
        site.misbehave_mix(rate=0.3, modes=["cut-honest", "stale-edge", "offhost-302"], seed=7)
        ...                                  # crawl site.base_url
        assert site.article_hits(site.ids[0]) >= 1

``Replica`` is a facade over modules of one job each: ``state`` (the articles and every change to them),
``pages`` (routing and rendering), ``faults`` (the misbehaviours), ``control`` (the control API),
``httpd`` (the HTTP server) and ``log`` (the request log). Everything the replica knows is guarded by one
reentrant lock; handlers render under it (pages are small), and only sleeping (the ``slow``
misbehaviour) and socket I/O happen outside it.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Mapping
from email.message import Message
from types import MappingProxyType
from typing import Any

from xdd_archive.errors import ConfigError
from xdd_archive.replica.content import THEME_NAMES, Article, UnicodeForm, hostile_fields
from xdd_archive.replica.control import ControlAPI
from xdd_archive.replica.faults import BODY_MODES, MISBEHAVIOURS, Fault, FaultBook, shape
from xdd_archive.replica.httpd import HTTPServer
from xdd_archive.replica.log import LoggedRequest, RequestLog
from xdd_archive.replica.pages import Pages, Route, SiteRequest
from xdd_archive.replica.response import Response
from xdd_archive.replica.state import SiteState, UnknownArticle
from xdd_archive.replica.themes import THEMES, Theme

__all__ = ["MISBEHAVIOURS", "LoggedRequest", "Replica", "UnknownArticle", "serve"]

logger = logging.getLogger(__name__)


def _check_options(articles: object, theme: object, per_page: object, port: object) -> None:
    if theme not in THEMES:
        raise ConfigError(f"unknown theme {theme!r} (known: {', '.join(THEMES)})")
    if isinstance(articles, bool) or not isinstance(articles, int) or articles < 0:
        raise ConfigError(f"articles must be an integer >= 0, not {articles!r}")
    if isinstance(per_page, bool) or not isinstance(per_page, int) or per_page < 1:
        raise ConfigError(f"per_page must be an integer >= 1, not {per_page!r}")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError(f"port must be 0..65535, not {port!r}")


class Replica:
    """A local, scriptable replica of the magazine site.

    Example::

        with Replica(articles=60, seed=1, theme="portal") as site:
            print(site.base_url)                 # http://127.0.0.1:54321
            first = site.ids[-1]                 # the newest article
            site.misbehave("truncate", article_id=first)

    ``articles`` are generated deterministically from ``seed`` (same seed, same site); ``theme`` is one of
    ``old``, ``new``, ``portal``, ``redesign`` (``replica/THEMES.md``); it also fixes the URL scheme
    (``redesign`` uses the 2025 site's); ``per_page`` is the category listings' page size; ``port=0``
    picks a free port when the server starts. Bad options raise ConfigError.
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
        _check_options(articles, theme, per_page, port)
        self.seed = seed
        self.per_page = per_page
        self.host = host
        self._port = port
        #: the URL scheme and content style (``old``, ``new`` or ``portal``), fixed for the replica's life
        self.scheme = theme if theme in THEME_NAMES else "new"
        self._state = SiteState(articles, seed, self.scheme)
        self._pages = Pages(
            self._state, theme, per_page=per_page, home_items=self.HOME_ITEMS, feed_items=self.FEED_ITEMS
        )
        self._faults = FaultBook(seed)
        self._log = RequestLog()
        self._control = ControlAPI(self)
        self._server: HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ---------------------------------------------------------------------------------

    def start(self) -> Replica:
        """Bind and serve from a daemon thread; returns self. Starting again after stop() reuses the port."""
        with self.lock:
            if self._server is not None:
                return self
            try:
                server = HTTPServer((self.host, self._port), self)
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
        with self.lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
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
        return f"<Replica {self.theme_name} theme, {len(self._state.articles)} articles, {where}>"

    # -- reading ------------------------------------------------------------------------------------

    @property
    def lock(self) -> threading.RLock:
        """The replica's one lock: hold it to read several things consistently."""
        return self._state.lock

    @property
    def theme(self) -> Theme:
        """The theme pages are rendered in now."""
        return self._pages.theme

    @property
    def theme_name(self) -> str:
        """The current theme's name (``set_theme`` changes it)."""
        return self._pages.theme_name

    @property
    def articles(self) -> Mapping[int, Article]:
        """All articles by id (a live read-only view; mutate through the control methods)."""
        return MappingProxyType(self._state.articles)

    @property
    def ids(self) -> list[int]:
        """Article ids, oldest first (gone and redirected articles included)."""
        with self.lock:
            return sorted(self._state.articles)

    def article(self, id: int) -> Article:
        """The article with ``id``; UnknownArticle (a ConfigError) if there is none."""
        return self._state.article(id)

    def article_path(self, id: int) -> str:
        """The article's current path (its new-style path once moved)."""
        return self._state.path(self.article(id))

    def article_url(self, id: int, host: str | None = None) -> str:
        """Absolute URL of the article's current path; ``host="localhost"`` gives the twin URL."""
        base = self.base_url if host is None else f"http://{host}:{self._port}"
        return base + self.article_path(id)

    def listed_ids(self, category: str | None = None) -> list[int]:
        """Ids of the articles listings show (live, not redirected), newest first."""
        return [a.id for a in self._state.listed(category)]

    def status(self) -> dict[str, Any]:
        """JSON-ready: base URL, theme, URL scheme, counts, misbehaviour rules and mix."""
        with self.lock:
            return {
                "base_url": self.base_url,
                "theme": self.theme_name,
                "scheme": self.scheme,
                "articles": len(self._state.articles),
                "per_page": self.per_page,
                **self._faults.describe(),
                "requests": len(self._log),
            }

    # -- control ------------------------------------------------------------------------------------

    def add_article(self, **fields: Any) -> Article:
        """Publish a new article, the newest of the site (top of the home page and of its category).

        Fields not given are generated: ``title``, ``slug``, ``category``, ``lead``, ``body`` (a list of
        blocks or a string with blank-line separated blocks), ``author``, ``source``, ``tags``,
        ``published_at`` (default: now, and after every other article), ``views``, ``show_views``,
        ``id`` (default: the highest id + 1).
        """
        return self._state.add(**fields)

    def add_hostile_article(self, **fields: Any) -> Article:
        """Publish an article whose every text field attacks whoever displays it (fields given win).

        Title, lead, author, source, tags and body carry ``<script>alert(1)</script>``,
        ``"><img src=x onerror=alert(1)>``, ``javascript:`` links, Rich markup (``[bold]``, ``[/bold]``,
        ``[trực tuyến]``), Markdown, spreadsheet formulas (``=HYPERLINK(...)``, ``+cmd``, ``@SUM``),
        ANSI escapes, control characters and a NUL (``content.hostile_fields``). The pages escape them
        as a real CMS does, so an extractor reads them as text; the body's link paragraphs are real links
        (one to ``javascript:``). The slug is the title's (``sitemap``, listings and feed link it).
        """
        return self._state.add(**{**hostile_fields(self.seed), **fields})

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
        (``article:modified_time``, Last-Modified) stays as it was. The version before the edit is kept
        for the ``stale-edge`` misbehaviour.
        """
        return self._state.edit(
            id, title=title, lead=lead, body=body, author=author, source=source, tags=tags, replace=replace,
            unicode_form=unicode_form, touch_modified=touch_modified,
        )

    def touch(self, id: int) -> Article:
        """Re-save an article without changing its content: new version, ETag and Last-Modified."""
        return self._state.touch(id)

    def delete(self, id: int, *, status: int = 404) -> Article:
        """Take an article down: its URLs answer ``status`` (404 or 410) with the error page."""
        return self._state.delete(id, status)

    def restore(self, id: int) -> Article:
        """Put a deleted or redirected article back, live at the same URL."""
        return self._state.restore(id)

    def redirect(self, id: int, *, to: str) -> Article:
        """Make every URL of the article answer ``301`` to ``to`` (a path such as ``/`` or a URL)."""
        return self._state.redirect(id, to)

    def move(self, id: int) -> str:
        """The 2025 move: the article now lives at ``/<category>/<slug>.html``; its old URL answers 301.

        Listings, the sitemap and the feed link the new URL. Returns the new path (idempotent).
        """
        return self._state.move(id)

    def set_theme(self, name: str) -> None:
        """Redesign the site now: every page is rendered in theme ``name`` from the next request on.

        Titles, bodies, URLs and validators stay; the markup (and with ``redesign`` where the byline,
        the date and time and the view counter are) changes. ConfigError for an unknown theme.
        """
        with self.lock:
            self._pages.set_theme(name)

    # -- misbehaviour -------------------------------------------------------------------------------

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
          ``http://bao-tri.xaydungdang.invalid/bao-tri``, with the asked path as ``?url=``; a rule's
          requests take turns), which a crawler must not follow.

        A fault that has nothing to act on (a cut of a HEAD answer or a 304, a stale edge for a page that
        is not an article) still consumes its rule but is logged as no misbehaviour. Cut points come from
        a stream seeded by the replica's seed. See also :meth:`misbehave_mix` and ``replica/THEMES.md``.
        """
        with self.lock:
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
        with self.lock:
            if article_id is not None:
                self.article(article_id)
            self._faults.set_mix(rate, modes, self.seed if seed is None else seed, article_id, articles_only)

    def clear_misbehaviour(self) -> None:
        """Forget every misbehaviour rule and the random mix: the site behaves again."""
        with self.lock:
            self._faults.clear()

    # -- request log --------------------------------------------------------------------------------

    @property
    def requests(self) -> list[LoggedRequest]:
        """A copy of the request log, in the order responses were decided."""
        return self._log.entries()

    def clear_requests(self) -> None:
        """Empty the request log."""
        self._log.clear()

    def article_hits(self, id: int) -> int:
        """How many logged requests were for one of the article's URLs (any status, 304 and 301 too)."""
        return sum(1 for r in self._log.entries() if r.article_id == id)

    def paths(self) -> list[str]:
        """The logged requests' paths (with query), in order."""
        return [r.path for r in self._log.entries()]

    # -- serving (what the HTTP server calls) -------------------------------------------------------

    @property
    def server_header(self) -> str:
        """The ``Server`` header of the current theme's web server."""
        return self._pages.theme.server_header

    def control(self, method: str, path: str, raw: bytes) -> tuple[int, Any]:
        """Answer ``/_control/...`` (``replica/control.py``): (status, JSON-ready payload)."""
        return self._control.handle(method, path, raw)

    def answer(self, method: str, target: str, path: str, query: str, headers: Message, http11: bool) -> Response | None:
        """Answer one site request (from a handler's thread); None: reset the connection."""
        if method not in ("GET", "HEAD"):
            with self.lock:
                resp = Response(405, b"method not allowed", [("Allow", "GET, HEAD"), ("Content-Type", "text/plain")])
                self._log.record(method, target, resp.status, headers, self._pages.route(path).article_id, None)
            return resp
        with self.lock:
            fault = self._faults.take(self._pages.route(path).article_id)
        mode = fault.mode if fault is not None else None
        if mode == "slow":
            time.sleep(self.SLOW_SECONDS)
        with self.lock:
            # route again: the state may have changed while this request slept
            route = self._pages.route(path)
            if mode == "reset":
                self._log.record(method, target, 0, headers, route.article_id, mode)
                return None
            req = SiteRequest(method, path, query, headers, self._base_for(headers.get("Host")), self._port)
            resp = self._pages.respond(req, route, fault)
            applied = self._applied(fault, resp, route, head=method == "HEAD", http11=http11)
            self._pages.served += 1
            self._log.record(method, target, resp.status, headers, route.article_id, mode if applied else None)
        return resp

    def _applied(self, fault: Fault | None, resp: Response, route: Route, *, head: bool, http11: bool) -> bool:
        """Apply a body fault to ``resp``; True when the request's fault took effect at all."""
        if fault is None:
            return False
        if fault.mode in BODY_MODES:
            return shape(resp, fault, head=head, chunked=http11, truncate_fraction=self.TRUNCATE_FRACTION)
        if fault.mode == "stale-edge":
            # a stale edge only caches articles: any other answer is the origin's
            return route.kind == "article" and resp.status in (200, 304)
        return True

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


def serve(
    articles: int = 200,
    *,
    port: int = 8765,
    theme: str = "old",
    seed: int = 1,
    host: str = "127.0.0.1",
    per_page: int = 10,
    faults: float = 0.0,
    fault_modes: list[str] | None = None,
    fault_seed: int | None = None,
) -> None:
    """Serve a replica in the foreground until Ctrl+C (or SIGTERM); prints its base URL once on stdout.

    ``faults`` > 0 starts a random mix of misbehaviours at that rate (``Replica.misbehave_mix`` with
    ``fault_modes`` and ``fault_seed``). ConfigError for bad options, before anything listens.
    """
    replica = Replica(articles=articles, seed=seed, theme=theme, per_page=per_page, host=host, port=port)
    if faults:
        replica.misbehave_mix(faults, fault_modes, fault_seed)
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
        mix = replica.status()["mix"]
        chaos = f"; faults at rate {mix['rate']} ({', '.join(mix['modes'])})" if mix else ""
        print(
            f"replica: {articles} articles, {theme} theme, seed {seed}{chaos}; control API at "
            f"{replica.base_url}/_control/; Ctrl+C to stop",
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
