"""Import WARC files: archived responses go through the same extraction and versioning path as a crawl.

Any WARC works: one written by ``xdd-archive export --format warc``, by ``wget --warc-file``, Heritrix or
browsertrix; gzip per record or uncompressed. Only ``response`` (and ``revisit``) records for the
profile's article URLs are imported; listings, robots.txt, images and other records are skipped and
counted. Bodies stored with ``Transfer-Encoding: chunked`` or ``Content-Encoding: gzip/deflate/br`` are
decoded first, as Scrapy does during a crawl.

How it works:

1. Index every file (no bodies kept in memory): the date, place and kind of each useful record, and
   which metadata record describes which response (``WARC-Concurrent-To`` / ``WARC-Refers-To``).
2. Take the crawl lock for the site and record the import as a crawl run (trigger ``import``), so every
   capture it makes has a ``crawl_run_id``, and no crawl of the site writes at the same time.
3. Replay the records in capture-date order (``WARC-Date``; file order breaks ties), each one write
   transaction through :func:`crawler.pipelines.capture_page` with the record's own date as "now".
   Revision numbers and content hashes come out as a crawl at those moments would have made them.

A record is skipped when the archive already has a capture of the same URL at the same moment with
the same body digest, so importing a WARC twice (or into the archive it came from) changes nothing.
A record older than the latest capture of its article is skipped too (``out_of_order``): the
versioning rules only move forward, and slotting an old page into the middle of a history would make
false edits.

Our own metadata records carry what the bytes alone cannot say: the URL first requested before a
redirect, a fetch error, a truncated body, a redirect to the home page (gone). A capture exported
without its raw body (only a metadata record) is restored as a capture without a body: an
``unchanged`` one against the article's current revision when its content hash matches (its view count
kept), a 304, an error, a tombstone or a rejection with its recorded reason.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from crawler.items import PageItem
from crawler.pipelines import capture_page, page_identity
from crawler.sites import SiteProfile, get_profile, normalize_url
from storage.archive import DEFAULT_POLICY, TRUNCATED, Content, Extracted, RevisitPolicy, find_article
from storage.db import Archive, open_archive
from storage.export import METADATA_SCHEMA
from storage.models import OUTCOME_STATS, Capture, CaptureOutcome, CrawlRun
from storage.normalize import content_hash
from storage.runs import HEARTBEAT_EVERY, finish_run, heartbeat, start_run
from xdd_archive.errors import ConfigError, FetchError

__all__ = ["IMPORT_STAT_KEYS", "ImportOptions", "ImportReport", "import_warcs"]

log = logging.getLogger(__name__)

IMPORT_STAT_KEYS = (
    "records",  # every record read, of any type
    "imported",  # captures recorded
    *OUTCOME_STATS.values(),  # what each capture came to, as in a crawl
    "republished",
    "restored_from_metadata",  # of the imported: captures without a body, restored from metadata records
    "already_imported",  # the archive has this capture already (same URL, time and body digest)
    "out_of_order",  # older than the latest capture of its article
    "not_article",  # responses for URLs that are not the profile's articles (listings, images...)
    "redirects",  # 3xx to another article URL: folded into the target's capture as its requested URL
    "unresolved",  # a revisit whose original is not in the files; a body-less capture with no revision to match
    "other_records",  # warcinfo, request, resource, foreign metadata...
)

_IDENTICAL_PAYLOAD = "/revisit/identical-payload-digest"
_NOT_MODIFIED = "/revisit/server-not-modified"
# Headers that no longer describe the body once it is decoded (Scrapy drops/ignores them the same way).
_DECODING_HEADERS = ("content-encoding", "transfer-encoding")


@dataclass(frozen=True, kw_only=True)
class ImportOptions:
    """What to import and into which archive.

    ``site`` picks the profile whose article URLs are imported; ``base_url`` maps a mirror (a replica
    on any port) onto it. ``keep_raw`` is ``"all"`` by default: the bytes are in the WARC, so every
    imported capture keeps them (``"changes"`` keeps them as a crawl does, for new revisions,
    rejections and tombstones only).

    Example::

        import_warcs(ImportOptions(files=["crawl.warc.gz"], site="xaydungdang", db="archive.db"))
    """

    files: Sequence[str | Path]
    site: str = "xaydungdang"
    base_url: str | None = None
    db: str | None = None
    keep_raw: str = "all"
    policy: RevisitPolicy = DEFAULT_POLICY


@dataclass
class ImportReport:
    """How an import ended: its crawl run, status and counts (see :data:`IMPORT_STAT_KEYS`)."""

    run_id: int
    site: str
    status: str
    stats: dict[str, Any]
    files: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class _Entry:
    """One record to replay: where it is and what it is (its body is read only when replayed)."""

    when: datetime
    file: int
    offset: int
    kind: str  # response / revisit / metadata
    url: str
    record_id: str | None = None
    meta_offset: int | None = None
    refers_to: str | None = None
    payload_digest: str | None = None
    profile: str | None = None


@dataclass
class _Loaded:
    """A record read back: its WARC headers, HTTP status and headers, and decoded body."""

    status: int | None
    headers: dict[str, str]
    body: bytes | None
    truncated: str | None
    decode_error: str | None = None


def _warc_time(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        from warcio.timeutils import iso_date_to_datetime

        try:
            moment = iso_date_to_datetime(value.strip())
        except Exception:  # warcio raises various errors for malformed dates
            return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _http_headers(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """HTTP headers as the crawler stores them: lower-case names, repeated headers joined by ``, ``."""
    headers: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


class _Importer:
    def __init__(self, options: ImportOptions, profile: SiteProfile, archive: Archive,
                 progress: Callable[[int, int], None] | None) -> None:
        self.options = options
        self.profile = profile
        self.archive = archive
        self.progress = progress
        self.paths = [Path(p) for p in options.files]
        self.handles: list[IO[bytes]] = []
        self.stats: Counter[str] = Counter({k: 0 for k in IMPORT_STAT_KEYS})
        self.entries: list[_Entry] = []
        # response records of article URLs, for revisit records to find their original
        self.by_id: dict[str, tuple[int, int]] = {}
        self.by_digest: dict[str, tuple[int, int]] = {}
        # normalised redirect target -> the URL first requested (a 3xx seen earlier in the files)
        self.redirected_from: dict[str, str] = {}
        self.run_id: int | None = None

    # -- pass 1: the index ---------------------------------------------------------------------

    def open(self) -> None:
        for path in self.paths:
            try:
                self.handles.append(open(path, "rb"))  # noqa: SIM115 - closed in close()
            except OSError as exc:
                self.close()
                raise FetchError(f"cannot read {path}: {exc.strerror or exc}") from None

    def close(self) -> None:
        for handle in self.handles:
            handle.close()
        self.handles = []

    def index(self) -> None:
        for number, (path, handle) in enumerate(zip(self.paths, self.handles, strict=True)):
            try:
                self._index_file(number, handle)
            except ArchiveLoadFailed as exc:
                reason = " ".join(str(exc).split())[:300]
                raise FetchError(f"{path} is not a readable WARC: {reason}") from None
        self.entries.sort(key=lambda e: (e.when, e.file, e.offset))

    def _index_file(self, number: int, handle: IO[bytes]) -> None:
        links: dict[str, int] = {}
        entries: list[_Entry] = []
        iterator = ArchiveIterator(handle)
        for record in iterator:
            self.stats["records"] += 1
            headers = record.rec_headers
            kind = record.rec_type
            url = headers.get_header("WARC-Target-URI") or ""
            when = _warc_time(headers.get_header("WARC-Date"))
            offset = iterator.get_record_offset()
            if kind == "metadata" and (headers.get_header("Content-Type") or "").startswith("application/json"):
                linked = headers.get_header("WARC-Concurrent-To") or headers.get_header("WARC-Refers-To")
                if linked:
                    links[linked.strip()] = offset
                    continue
                if when is not None and url and self.profile.is_article_url(url):
                    entries.append(_Entry(when=when, file=number, offset=offset, kind="metadata", url=url))
                else:
                    self.stats["other_records"] += 1
                continue
            if kind not in ("response", "revisit") or when is None or not url.startswith(("http://", "https://")):
                self.stats["other_records"] += 1
                continue
            if not self.profile.is_article_url(url):
                self.stats["not_article"] += 1
                continue
            record_id = (headers.get_header("WARC-Record-ID") or "").strip() or None
            digest = headers.get_header("WARC-Payload-Digest")
            entry = _Entry(when=when, file=number, offset=offset, kind=kind, url=url, record_id=record_id,
                           refers_to=(headers.get_header("WARC-Refers-To") or "").strip() or None,
                           payload_digest=digest, profile=headers.get_header("WARC-Profile"))
            if kind == "response":
                if record_id:
                    self.by_id[record_id] = (number, offset)
                if digest:
                    self.by_digest.setdefault(digest, (number, offset))
            entries.append(entry)
        for entry in entries:
            if entry.record_id and entry.record_id in links:
                entry.meta_offset = links[entry.record_id]
            # a metadata record whose response is absent (or not an article) is simply not used
        self.entries.extend(entries)

    # -- reading records back --------------------------------------------------------------------

    def _record_at(self, file: int, offset: int) -> Any:
        handle = self.handles[file]
        handle.seek(offset)
        return next(iter(ArchiveIterator(handle)))

    def _load(self, file: int, offset: int) -> _Loaded:
        record = self._record_at(file, offset)
        truncated = record.rec_headers.get_header("WARC-Truncated")
        if record.http_headers is None:
            return _Loaded(status=None, headers={}, body=None, truncated=truncated)
        try:
            status: int | None = int(record.http_headers.get_statuscode())
        except (TypeError, ValueError):
            status = None
        headers = _http_headers(record.http_headers.headers)
        decode_error = None
        try:
            body = record.content_stream().read()
        except Exception as exc:  # a corrupt gzip or chunked body: keep what can be read raw
            decode_error = f"cannot decode the archived body ({type(exc).__name__}: {exc})"
            handle_record = self._record_at(file, offset)
            body = handle_record.raw_stream.read()
        if any(h in headers for h in _DECODING_HEADERS) and decode_error is None:
            for h in _DECODING_HEADERS:
                headers.pop(h, None)
            headers["content-length"] = str(len(body))
        return _Loaded(status=status, headers=headers, body=body or None, truncated=truncated,
                       decode_error=decode_error)

    def _metadata(self, file: int, offset: int | None) -> dict[str, Any] | None:
        if offset is None:
            return None
        record = self._record_at(file, offset)
        try:
            data = json.loads(record.content_stream().read().decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(data, dict) or data.get("schema") != METADATA_SCHEMA:
            return None
        return data

    # -- pass 2: replay ----------------------------------------------------------------------------

    def run(self) -> None:
        total = len(self.entries)
        if self.progress:
            self.progress(0, total)
        last_beat = time.monotonic()
        for done, entry in enumerate(self.entries, start=1):
            with self.archive.write() as session:
                self._replay(session, entry)
            if self.progress:
                self.progress(done, total)
            if time.monotonic() - last_beat > HEARTBEAT_EVERY.total_seconds():
                heartbeat(self.archive, self.run_id, dict(self.stats))  # type: ignore[arg-type]
                last_beat = time.monotonic()

    def _replay(self, session: Session, entry: _Entry) -> None:
        if entry.kind == "metadata":
            meta = self._metadata(entry.file, entry.offset)
            if meta is None:
                self.stats["other_records"] += 1
                return
            self._restore(session, entry, meta)
            return
        if entry.kind == "revisit":
            loaded = self._revisit(entry)
            if loaded is None:
                self.stats["unresolved"] += 1
                return
        else:
            loaded = self._load(entry.file, entry.offset)
        meta = self._metadata(entry.file, entry.meta_offset)
        page = self._page(entry, loaded, meta)
        if page is None:
            return
        digest = hashlib.sha256(page.body).hexdigest() if page.body else None
        if self._skip(session, entry, page, digest):
            return
        self._record(session, page)

    def _revisit(self, entry: _Entry) -> _Loaded | None:
        """A revisit record as a response: its own status and headers, the original's body."""
        profile = entry.profile or ""
        own = self._load(entry.file, entry.offset)
        if profile.endswith(_NOT_MODIFIED):
            return _Loaded(status=own.status or 304, headers=own.headers, body=None, truncated=None)
        if not profile.endswith(_IDENTICAL_PAYLOAD):
            return None
        where = self.by_id.get(entry.refers_to or "") or self.by_digest.get(entry.payload_digest or "")
        if where is None:
            return None
        original = self._load(*where)
        headers = dict(own.headers or original.headers)
        if original.body is not None and "content-length" in headers:
            headers["content-length"] = str(len(original.body))  # the revisit's own length is of no body
        return _Loaded(status=own.status or original.status, headers=headers, body=original.body, truncated=None)

    def _page(self, entry: _Entry, loaded: _Loaded, meta: dict[str, Any] | None) -> PageItem | None:
        """The page a crawl would have handed to the pipeline for this record (None: nothing to record)."""
        status = loaded.status
        url = entry.url
        error = defect = gone_reason = None
        if meta is not None:
            cap = meta["capture"]
            requested = cap.get("requested_url") or url
            final = cap.get("final_url") or url
            outcome, reason = cap.get("outcome"), cap.get("reason")
            is_redirect = status is not None and 300 <= status < 400
            urls = [requested] if is_redirect else [requested, final]
            if outcome == CaptureOutcome.ERROR:
                error = reason or f"HTTP {status}"
            if outcome == CaptureOutcome.GONE and status not in (404, 410):
                gone_reason = reason
            if loaded.truncated:
                defect = reason if outcome == CaptureOutcome.REJECTED and reason else \
                    f"{TRUNCATED} (WARC-Truncated: {loaded.truncated})"
        else:
            requested = self.redirected_from.pop(normalize_url(url), url)
            final = url
            urls = [requested, url]
            if status is not None and 300 <= status < 400 and status != 304:
                location = loaded.headers.get("location")
                if not location:
                    error = f"HTTP {status} without a Location"
                else:
                    target = urljoin(url, location.strip()).split("#", 1)[0]
                    if self.profile.is_article_url(target) and target != url:
                        # the crawl would have followed it: the target's capture carries this URL
                        self.redirected_from[normalize_url(target)] = requested
                        self.stats["redirects"] += 1
                        return None
                    final = target
                    urls = [requested] if requested == url else [requested, url]
                    if not self.profile.owns(target):
                        gone_reason = f"redirected off the site to {target}"
                    else:
                        gone_reason = f"redirected to {target}, which is not an article"
            elif status is not None and (status >= 500 or status == 429):
                error = f"HTTP {status} (archived)"
            if loaded.truncated:
                defect = f"{TRUNCATED} (WARC-Truncated: {loaded.truncated})"
        if loaded.decode_error and defect is None and error is None:
            defect = loaded.decode_error
        return PageItem(
            requested_url=requested,
            final_url=final,
            fetched_at=entry.when,
            status=status,
            headers=loaded.headers,
            body=loaded.body,
            urls=list(dict.fromkeys(urls)),
            error=error,
            defect=defect,
            gone_reason=gone_reason,
        )

    def _skip(self, session: Session, entry: _Entry, page: PageItem, digest: str | None) -> bool:
        """True (and counted) when the archive has this capture already, or a later one of its article."""
        same = select(Capture.id).where(
            Capture.fetched_at == page.fetched_at,
            or_(Capture.requested_url == entry.url, Capture.final_url == entry.url),
        )
        if digest is not None:
            same = same.where(Capture.body_digest == digest)
        if session.scalar(same.limit(1)) is not None:
            self.stats["already_imported"] += 1
            return True
        identity = page_identity(self.profile, page)
        articles = find_article(session, self.profile.name, identity.spellings, identity.keys)
        if articles:
            latest = session.scalar(
                select(func.max(Capture.fetched_at)).where(Capture.article_id.in_([a.id for a in articles]))
            )
            if latest is not None and latest > page.fetched_at:
                log.info("%s at %s is older than the archive's latest capture of its article (%s); skipped",
                         entry.url, page.fetched_at, latest)
                self.stats["out_of_order"] += 1
                return True
        return False

    def _record(self, session: Session, page: PageItem, extracted: Extracted | None = None) -> int:
        result = capture_page(session, self.profile, page, crawl_run_id=self.run_id, policy=self.options.policy,
                              keep_raw=self.options.keep_raw, extracted=extracted)
        self.stats["imported"] += 1
        self.stats[OUTCOME_STATS[result.outcome]] += 1
        if result.republished:
            self.stats["republished"] += 1
        return result.capture_id

    def _restore(self, session: Session, entry: _Entry, meta: dict[str, Any]) -> None:
        """A capture exported without its raw body: recorded again without one, from what we know."""
        cap = meta["capture"]
        outcome, reason, status = cap.get("outcome"), cap.get("reason"), cap.get("http_status")
        page = PageItem(
            requested_url=cap.get("requested_url") or entry.url,
            final_url=cap.get("final_url"),
            fetched_at=entry.when,
            status=status,
            headers=dict(cap.get("headers") or {}),
            body=None,
            urls=[u for u in dict.fromkeys([cap.get("requested_url"), cap.get("final_url")]) if u]
            if not (status and 300 <= status < 400) else [cap.get("requested_url") or entry.url],
        )
        extracted = None
        if outcome == CaptureOutcome.ERROR:
            page.error = reason or "fetch error"
        elif outcome == CaptureOutcome.GONE:
            page.gone_reason = reason if status not in (404, 410) else None
        elif outcome == CaptureOutcome.REJECTED:
            page.defect = reason or "rejected"
        elif outcome == CaptureOutcome.NOT_MODIFIED:
            page.status = 304
        elif outcome == CaptureOutcome.UNCHANGED:
            pass
        else:  # new/changed without a body: the export lost the blob; nothing honest to record
            self.stats["unresolved"] += 1
            return
        if self._skip(session, entry, page, None):
            return
        if outcome == CaptureOutcome.UNCHANGED:
            extracted = self._unchanged_verdict(session, page, cap, meta)
            if extracted is None:
                self.stats["unresolved"] += 1
                return
        capture_id = self._record(session, page, extracted)
        self.stats["restored_from_metadata"] += 1
        digest = cap.get("body_digest")
        if digest:
            # the digest of the body that was fetched but not kept: a fact of that fetch, kept with it
            capture = session.get(Capture, capture_id)
            if capture is not None and capture.body_digest is None:
                capture.body_digest = digest

    def _unchanged_verdict(self, session: Session, page: PageItem, cap: dict[str, Any],
                           meta: dict[str, Any]) -> Extracted | None:
        """The content an ``unchanged`` capture saw: the article's current revision, if its hash is the
        one recorded (else the history in this archive differs, and we will not guess)."""
        want = cap.get("content_hash") or (meta.get("revision") or {}).get("content_hash")
        identity = page_identity(self.profile, page)
        articles = find_article(session, self.profile.name, identity.spellings, identity.keys)
        current = articles[0].current_revision if articles else None
        if not want or current is None or current.content_hash != want:
            return None
        content = Content.of_revision(current)
        if content_hash(content.hashed_fields()) != want:
            return None
        return Extracted(content=content, views=cap.get("views"), extractor_version=current.extractor_version)


def import_warcs(options: ImportOptions, *, archive: Archive | None = None,
                 progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import the WARC files of ``options`` into the archive (see the module docstring); returns the
    report of the import's crawl run. Raises :class:`errors.FetchError` for a file that cannot be read
    as a WARC, :class:`errors.CrawlLocked` when a crawl of the site is running."""
    if options.keep_raw not in ("changes", "all"):
        raise ConfigError(f"--keep-raw must be changes or all, not {options.keep_raw!r}")
    if not options.files:
        raise ConfigError("give at least one WARC file")
    profile = get_profile(options.site, options.base_url)
    own_archive = archive is None
    archive = archive or open_archive(options.db)
    importer = _Importer(options, profile, archive, progress)
    started = time.monotonic()
    try:
        importer.open()
        importer.index()
        importer.run_id = start_run(
            archive, site=profile.name, trigger="import",
            options={"files": [str(p) for p in importer.paths], "base_url": profile.base_url,
                     "keep_raw": options.keep_raw},
        )
        try:
            importer.run()
        except BaseException as exc:
            interrupted = isinstance(exc, KeyboardInterrupt | SystemExit)
            finish_run(archive, importer.run_id, status="interrupted" if interrupted else "failed",
                       stats=dict(importer.stats), error=f"{type(exc).__name__}: {exc}")
            raise
        finish_run(archive, importer.run_id, status="ok", stats=dict(importer.stats))
        with archive.read() as session:
            run = session.get(CrawlRun, importer.run_id)
            assert run is not None
            return ImportReport(run_id=run.id, site=run.site, status=run.status, stats=dict(run.stats or {}),
                                files=[str(p) for p in importer.paths], error=run.error,
                                seconds=round(time.monotonic() - started, 3))
    finally:
        importer.close()
        if own_archive:
            archive.dispose()
