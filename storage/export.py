"""Exports people can hand on: JSONL, CSV, Markdown and WARC, streamed out of the archive.

- **JSONL**: one object per revision: the article's identity (id, key, canonical URL, aliases, status),
  every extracted field, the capture the revision came from and the view count at that capture, and the
  last capture that still saw it (with its view count).
- **CSV**: the same, flattened to one row per revision (RFC 4180; list fields as JSON arrays). With
  ``excel=True`` the file starts with a UTF-8 BOM so Excel shows Vietnamese correctly.
- **Markdown**: a directory (or a ``.zip``) with one file per article (per revision with
  ``revisions="all"``): YAML front matter and the body. File names are ASCII slugs of the titles,
  prefixed with the article id so they are unique and can never be ``.``, ``..``, a reserved device
  name or contain a path separator.
- **WARC/1.1**, gzip per record: a ``warcinfo`` record; for every capture whose raw body is kept, a
  reconstructed ``request``, the ``response`` with the bytes as fetched (headers made consistent with
  them) and a ``metadata`` record (``application/json``, ``WARC-Concurrent-To`` the response) with the
  extracted fields. A capture whose raw body was not kept (``keep_raw="changes"`` keeps only a digest of
  unchanged pages) gets no response record, since we do not have its bytes and will not invent them: it
  gets a standalone ``metadata`` record with what we know (time, status, outcome, view count, digest of
  the body that was fetched, the revision it saw), which ``import-warc`` restores as a capture without
  a body.

Every writer streams: rows are read in batches of article ids or capture keys, never all at once, so
memory does not grow with the archive. Output to a path is atomic: it is written under
``<name>.part-<pid>`` and renamed at the end, and removed on error or interrupt.

This module knows nothing of Scrapy, the crawler or the CLI.
"""

from __future__ import annotations

import contextlib
import csv
import gzip as gzip_module
import http
import io
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from storage.archive import TRUNCATED, load_blob
from storage.db import Archive
from storage.models import Article, ArticleUrl, Capture, CrawlRun, Revision
from storage.normalize import search_fold
from storage.query import revision_dict
from xdd_archive.errors import ConfigError

__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "METADATA_SCHEMA",
    "ExportFilter",
    "ExportReport",
    "atomic_path",
    "count_captures",
    "count_revisions",
    "csv_row",
    "default_revisions",
    "export",
    "iter_captures",
    "iter_revisions",
    "markdown_document",
    "markdown_name",
    "slugify",
    "warc_date",
    "yaml_scalar",
]

log = logging.getLogger(__name__)

FORMATS = ("jsonl", "csv", "markdown", "warc")

# The ``schema`` of the JSON in our WARC metadata records; import-warc recognises its own records by it.
METADATA_SCHEMA = "xdd-archive/capture/1"

# The start of the reason the crawler gives a capture whose body arrived cut short (crawler/spiders).

# How many articles (revision exports) or captures (WARC) are read per query.
BATCH_SIZE = 200

# What a title slug may be cut to, before the id prefix and extension are added.
SLUG_MAX = 80

Progress = Callable[[int, int], None]


# -- filters -------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class ExportFilter:
    """Which part of the archive to export.

    ``since`` (inclusive) and ``until`` (exclusive) bound the revision's capture time (the fetch that
    first saw it) for JSONL/CSV/Markdown, and the capture time for WARC. ``revisions`` is ``"latest"``
    (each article's current revision, gone and redirected articles included with their status) or
    ``"all"`` (every revision).

    Example::

        ExportFilter(site="xaydungdang", since=parse_when("7d"), revisions="all")
    """

    site: str | None = None
    category: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    revisions: str = "all"

    def __post_init__(self) -> None:
        if self.revisions not in ("latest", "all"):
            raise ConfigError(f"--revisions must be latest or all, not {self.revisions!r}")
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise ConfigError("--since must be before --until")

    def describe(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "category": self.category,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "revisions": self.revisions,
        }


# -- revisions, streamed ---------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _article_filters(flt: ExportFilter) -> list[Any]:
    where: list[Any] = []
    if flt.site:
        where.append(Article.site == flt.site)
    if flt.category:
        where.append(Article.category == flt.category)
    return where


def _revision_query(flt: ExportFilter):  # type: ignore[no-untyped-def]
    """Revisions joined with their article and the first and last captures that saw them."""
    first = aliased(Capture)
    last = aliased(Capture)
    captured_at = func.coalesce(first.fetched_at, Revision.created_at)
    stmt = (
        select(Revision, first, last)
        .join(Article, Article.id == Revision.article_id)
        .outerjoin(first, first.id == Revision.first_capture_id)
        .outerjoin(last, last.id == Revision.last_seen_capture_id)
        .where(*_article_filters(flt))
    )
    if flt.revisions == "latest":
        stmt = stmt.where(Revision.id == Article.current_revision_id)
    if flt.since is not None:
        stmt = stmt.where(captured_at >= flt.since.astimezone(UTC).replace(tzinfo=None))
    if flt.until is not None:
        stmt = stmt.where(captured_at < flt.until.astimezone(UTC).replace(tzinfo=None))
    return stmt


def count_revisions(session: Session, flt: ExportFilter) -> int:
    """How many revision records :func:`iter_revisions` yields for ``flt`` (for a progress bar)."""
    sub = _revision_query(flt).with_only_columns(Revision.id).subquery()
    return session.scalar(select(func.count()).select_from(sub)) or 0


def iter_revisions(session: Session, flt: ExportFilter, *, batch_size: int = BATCH_SIZE) -> Iterator[dict[str, Any]]:
    """One record per revision matching ``flt``, by article id then revision number.

    Reads ``batch_size`` articles at a time (keyset on the article id), so memory holds one batch, never
    the archive. Each record is ``{"article": {...}, "revision": {...}, "capture": {...},
    "last_seen": {...}}``; ``capture`` is the fetch that first saw the revision (with the view count at
    that moment), ``last_seen`` the latest fetch that still saw it.
    """
    last_id = 0
    while True:
        articles = session.execute(
            select(Article.id, Article.site, Article.key, Article.canonical_url, Article.status,
                   Article.category, Article.current_revision_id, Article.redirect_article_id)
            .where(Article.id > last_id, *_article_filters(flt))
            .order_by(Article.id)
            .limit(batch_size)
        ).all()
        if not articles:
            return
        last_id = articles[-1].id
        by_id = {a.id: a for a in articles}
        aliases: dict[int, list[str]] = defaultdict(list)
        for article_id, url in session.execute(
            select(ArticleUrl.article_id, ArticleUrl.url)
            .where(ArticleUrl.article_id.in_(list(by_id)))
            .order_by(ArticleUrl.id)
        ):
            aliases[article_id].append(url)
        rows = session.execute(
            _revision_query(flt).where(Revision.article_id.in_(list(by_id))).order_by(Revision.article_id, Revision.number)
        )
        for rev, first, last in rows:
            a = by_id[rev.article_id]
            yield {
                "article": {
                    "id": a.id,
                    "site": a.site,
                    "key": a.key,
                    "canonical_url": a.canonical_url,
                    "aliases": aliases.get(a.id, []),
                    "status": a.status,
                    "category": a.category,
                    "redirect_article_id": a.redirect_article_id,
                },
                "revision": {**revision_dict(rev), "current": rev.id == a.current_revision_id},
                "capture": {
                    "id": first.id if first else None,
                    "fetched_at": _iso(first.fetched_at if first else rev.created_at),
                    "url": (first.final_url or first.requested_url) if first else None,
                    "http_status": first.http_status if first else None,
                    "views": first.views if first else None,
                },
                "last_seen": {
                    "capture_id": last.id if last else None,
                    "fetched_at": _iso(last.fetched_at) if last else None,
                    "views": last.views if last else None,
                },
            }
        # ORM objects of this batch are not needed again; let them go
        session.expunge_all()


# -- JSONL and CSV ----------------------------------------------------------------------------------

# (column, section, field) in order: the flattened form of one revision record.
_CSV_LAYOUT: tuple[tuple[str, str, str], ...] = (
    ("article_id", "article", "id"),
    ("site", "article", "site"),
    ("key", "article", "key"),
    ("canonical_url", "article", "canonical_url"),
    ("aliases", "article", "aliases"),
    ("status", "article", "status"),
    ("revision", "revision", "number"),
    ("current", "revision", "current"),
    ("content_hash", "revision", "content_hash"),
    ("title", "revision", "title"),
    ("lead", "revision", "lead"),
    ("body_text", "revision", "body_text"),
    ("body_markdown", "revision", "body_markdown"),
    ("author", "revision", "author"),
    ("source", "revision", "source"),
    ("published_at", "revision", "published_at"),
    ("modified_at", "revision", "modified_at"),
    ("category", "revision", "category"),
    ("tags", "revision", "tags"),
    ("images", "revision", "images"),
    ("changed_fields", "revision", "changed_fields"),
    ("trivial", "revision", "trivial"),
    ("extractor_version", "revision", "extractor_version"),
    ("capture_id", "capture", "id"),
    ("captured_at", "capture", "fetched_at"),
    ("capture_url", "capture", "url"),
    ("http_status", "capture", "http_status"),
    ("views", "capture", "views"),
    ("last_seen_capture_id", "last_seen", "capture_id"),
    ("last_seen_at", "last_seen", "fetched_at"),
    ("last_seen_views", "last_seen", "views"),
    ("redirect_article_id", "article", "redirect_article_id"),
)
CSV_COLUMNS = tuple(column for column, _, _ in _CSV_LAYOUT)


def csv_row(record: dict[str, Any]) -> list[str]:
    """A revision record flattened to :data:`CSV_COLUMNS`: lists and dicts as JSON, booleans as
    ``true``/``false``, nothing as an empty field."""
    row = []
    for _, section, name in _CSV_LAYOUT:
        value = record[section][name]
        if value is None:
            row.append("")
        elif isinstance(value, bool):
            row.append("true" if value else "false")
        elif isinstance(value, (list, dict)):
            row.append(json.dumps(value, ensure_ascii=False))
        else:
            row.append(str(value))
    return row


# -- Markdown ---------------------------------------------------------------------------------------

_SAFE_NAME = re.compile(r"[0-9]+-[a-z0-9][a-z0-9.-]*\.md")


def slugify(text: str | None, *, max_length: int = SLUG_MAX) -> str:
    """An ASCII slug of ``text``: Vietnamese diacritics stripped and ``đ`` -> ``d``, lower case, runs of
    anything else turned into one ``-``, cut at a word boundary to ``max_length``; ``article`` when
    nothing is left (a title in another script, or only punctuation)."""
    folded = search_fold(unicodedata.normalize("NFKC", text or ""))
    ascii_text = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug or "article"


def markdown_name(article_id: int, title: str | None, revision: int | None = None) -> str:
    """The file name of an article (or of one revision): ``12-5-diem-nhan-cua-nganh-to-chuc.md`` or
    ``12-r2-5-diem-nhan-cua-nganh-to-chuc.md``.

    The id prefix makes names unique and keeps them from ever being ``.``, ``..``, empty or a reserved
    device name (``NUL``, ``CON``...); only ``[a-z0-9.-]`` remain, so no separator can escape the
    output directory, whatever the title or URL held.
    """
    prefix = f"{int(article_id)}-" if revision is None else f"{int(article_id)}-r{int(revision)}-"
    name = f"{prefix}{slugify(title)}.md"
    if not _SAFE_NAME.fullmatch(name):  # cannot happen by construction; a guard, not a branch
        raise ValueError(f"unsafe markdown file name {name!r}")
    return name


# Characters that are fine in JSON strings but not in YAML double-quoted scalars: C1 controls and DEL
# (not printable in YAML), NEL / LINE SEPARATOR / PARAGRAPH SEPARATOR (YAML line breaks), the BOM and
# the non-characters, lone surrogates (not encodable in UTF-8).
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def _yaml_escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if 0xD800 <= ord(char) <= 0xDFFF:
        return "\\ufffd"
    return f"\\u{ord(char):04x}"


def yaml_scalar(value: Any) -> str:
    """``value`` as YAML, in flow style: strings double-quoted with JSON-style escapes (which YAML
    accepts), plus escapes for the few characters JSON leaves raw but YAML forbids or treats as line
    breaks. Lists and dicts become flow sequences and mappings."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json.dumps(value)
    if isinstance(value, datetime):
        value = value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(yaml_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{yaml_scalar(str(k))}: {yaml_scalar(v)}" for k, v in value.items()) + "}"
    return _YAML_UNSAFE.sub(_yaml_escape, json.dumps(str(value), ensure_ascii=False))


def markdown_document(record: dict[str, Any]) -> str:
    """One revision record as a Markdown file: YAML front matter, the title, the lead, the body."""
    a, r, c, last = record["article"], record["revision"], record["capture"], record["last_seen"]
    front = {
        "id": a["id"],
        "site": a["site"],
        "key": a["key"],
        "title": r["title"],
        "canonical_url": a["canonical_url"],
        "aliases": a["aliases"],
        "status": a["status"],
        "revision": r["number"],
        "current": r["current"],
        "content_hash": r["content_hash"],
        "published_at": r["published_at"],
        "modified_at": r["modified_at"],
        "author": r["author"],
        "source": r["source"],
        "category": r["category"],
        "tags": r["tags"],
        "images": r["images"],
        "changed_fields": r["changed_fields"],
        "trivial": r["trivial"],
        "captured_at": c["fetched_at"],
        "capture_url": c["url"],
        "views": c["views"],
        "last_seen_at": last["fetched_at"],
        "last_seen_views": last["views"],
    }
    lines = ["---", *(f"{key}: {yaml_scalar(value)}" for key, value in front.items()), "---", ""]
    title = " ".join((r["title"] or "").split())
    if title:
        lines += [f"# {title}", ""]
    if r["lead"]:
        lines += [r["lead"].strip(), ""]
    body = r["body_markdown"] or r["body_text"] or ""
    if body.strip():
        lines += [body.strip(), ""]
    return "\n".join(lines)


# -- WARC -------------------------------------------------------------------------------------------


def warc_date(moment: datetime) -> str:
    """``WARC-Date`` for an aware (or naive UTC) datetime: UTC, microseconds kept (WARC/1.1 allows them,
    and import-warc needs them to tell captures apart and to spot already imported ones)."""
    from warcio.timeutils import datetime_to_iso_date

    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    # warcio wants a naive UTC datetime
    return datetime_to_iso_date(moment, use_micros=True)


def capture_target(capture: Capture) -> str:
    """The URL the capture's bytes came from. For a 3xx, the URL that answered with the redirect
    (``final_url`` is then where it pointed); else the final URL after followed redirects."""
    if capture.http_status is not None and 300 <= capture.http_status < 400:
        return capture.requested_url
    return capture.final_url or capture.requested_url


def _capture_filters(flt: ExportFilter) -> list[Any]:
    where: list[Any] = []
    if flt.site:
        where.append(func.coalesce(Article.site, CrawlRun.site) == flt.site)
    if flt.category:
        where.append(Article.category == flt.category)
    if flt.since is not None:
        where.append(Capture.fetched_at >= flt.since)
    if flt.until is not None:
        where.append(Capture.fetched_at < flt.until)
    return where


def _capture_query():  # type: ignore[no-untyped-def]
    return (
        select(Capture, Article, Revision, CrawlRun.site)
        .outerjoin(Article, Article.id == Capture.article_id)
        .outerjoin(Revision, Revision.id == Capture.revision_id)
        .outerjoin(CrawlRun, CrawlRun.id == Capture.crawl_run_id)
    )


def count_captures(session: Session, flt: ExportFilter) -> int:
    """How many captures :func:`iter_captures` yields for ``flt``."""
    sub = _capture_query().with_only_columns(Capture.id).where(*_capture_filters(flt)).subquery()
    return session.scalar(select(func.count()).select_from(sub)) or 0


def iter_captures(
    session: Session, flt: ExportFilter, *, batch_size: int = BATCH_SIZE
) -> Iterator[tuple[Capture, Article | None, Revision | None, str | None]]:
    """Every capture matching ``flt`` in capture order (fetch time, then id), with its article, the
    revision it saw and the site (the article's, else its crawl run's); keyset-paged by batches."""
    after: tuple[datetime, int] | None = None
    while True:
        stmt = _capture_query().where(*_capture_filters(flt))
        if after is not None:
            at, cid = after
            stmt = stmt.where(or_(Capture.fetched_at > at, and_(Capture.fetched_at == at, Capture.id > cid)))
        rows = session.execute(stmt.order_by(Capture.fetched_at, Capture.id).limit(batch_size)).all()
        if not rows:
            return
        after = (rows[-1][0].fetched_at, rows[-1][0].id)
        for capture, article, revision, run_site in rows:
            yield capture, article, revision, (article.site if article is not None else run_site)
        session.expunge_all()


# Headers the bytes we hold no longer match: Scrapy has decoded the body already, and Content-Length is
# recomputed for the bytes we write.
_STALE_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})
_HEADER_CASE = {"etag": "ETag", "www-authenticate": "WWW-Authenticate", "content-md5": "Content-MD5",
                "x-xss-protection": "X-XSS-Protection", "p3p": "P3P"}


def _header_name(name: str) -> str:
    lower = name.lower()
    return _HEADER_CASE.get(lower) or "-".join(part.capitalize() for part in lower.split("-"))


def response_headers(stored: dict[str, str], body_length: int) -> list[tuple[str, str]]:
    """HTTP response headers consistent with the body we write: stored headers (lower-cased by the
    crawler) in their usual capitalisation, without Content-Encoding / Transfer-Encoding, and with a
    Content-Length recomputed for the bytes."""
    headers = [
        (_header_name(k), v)
        for k, v in (stored or {}).items()
        if k.lower() not in _STALE_HEADERS and "\r" not in v and "\n" not in v
    ]
    headers.append(("Content-Length", str(body_length)))
    return headers


def _request_target(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return path, parts.netloc


def _reason_phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _metadata_json(capture: Capture, article: Article | None, revision: Revision | None, site: str | None,
                   *, body_kept: bool) -> bytes:
    """The JSON of a capture's metadata record: the capture as recorded, its article, the revision it
    saw, and (for a capture whose body is in the WARC and that saw a revision) the extracted fields."""
    data: dict[str, Any] = {
        "schema": METADATA_SCHEMA,
        "site": site,
        "capture": {
            "id": capture.id,
            "crawl_run_id": capture.crawl_run_id,
            "requested_url": capture.requested_url,
            "final_url": capture.final_url,
            "fetched_at": _iso(capture.fetched_at),
            "http_status": capture.http_status,
            "outcome": capture.outcome,
            "reason": capture.reason,
            "views": capture.views,
            "body_digest": capture.body_digest,
            "body_kept": body_kept,
            "content_hash": capture.content_hash,
            "headers": dict(capture.headers or {}),
        },
        "article": None if article is None else {
            "id": article.id,
            "key": article.key,
            "canonical_url": article.canonical_url,
            "status": article.status,
        },
        "revision": None if revision is None else {
            "number": revision.number,
            "content_hash": revision.content_hash,
            "made_by_this_capture": revision.first_capture_id == capture.id,
        },
        "extracted": None,
    }
    if body_kept and revision is not None:
        data["extracted"] = {**revision_dict(revision), "views": capture.views}
    return json.dumps(data, ensure_ascii=False, sort_keys=False).encode("utf-8")


def _software() -> str:
    try:
        version = importlib_metadata.version("xdd-archive")
    except importlib_metadata.PackageNotFoundError:
        version = "dev"
    try:
        warcio_version = importlib_metadata.version("warcio")
    except importlib_metadata.PackageNotFoundError:
        warcio_version = "?"
    return f"xdd-archive/{version} (warcio/{warcio_version})"


WARC_NOTES = (
    "Response records hold the body bytes as the crawler received them after HTTP decoding "
    "(Content-Encoding and Transfer-Encoding removed, Content-Length recomputed for these bytes). "
    "Request records are reconstructed (method, target, Host, User-Agent): the crawler does not store "
    "the request headers it sent, so Accept*, cookies and conditional-GET validators are not shown. "
    "Each response has a metadata record (application/json, WARC-Concurrent-To it) with the capture "
    "and the extracted article fields. A capture whose raw body was not kept has no request/response "
    "records, only a standalone metadata record with its time, status, outcome, view count and the "
    "sha256 of the body that was fetched; xdd-archive import-warc restores it as a capture without a "
    "body."
)


class _WarcExport:
    """Writes the records of one WARC file: warcinfo, then each capture's records."""

    def __init__(self, out: IO[bytes], *, filename: str | None, user_agent: str | None,
                 flt: ExportFilter, total: int) -> None:
        from warcio.warcwriter import WARCWriter

        self.writer = WARCWriter(out, gzip=True, warc_version="1.1")
        self.user_agent = user_agent
        self.responses = 0
        self.metadata_only = 0
        self.records = 0
        info = {
            "software": _software(),
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "description": "Captures exported from an xdd-archive archive",
            "isPartOf": flt.site or "all sites",
            "http-header-user-agent": user_agent or "",
            "xdd-filter": json.dumps(flt.describe(), ensure_ascii=False),
            "xdd-captures": str(total),
            "xdd-notes": WARC_NOTES,
        }
        self._write(self.writer.create_warcinfo_record(filename, info))

    def _write(self, record: Any) -> None:
        self.writer.write_record(record)
        self.records += 1

    def capture(self, capture: Capture, article: Article | None, revision: Revision | None,
                site: str | None, body: bytes | None) -> None:
        from warcio.statusandheaders import StatusAndHeaders

        url = capture_target(capture)
        when = warc_date(capture.fetched_at)
        if body is None or capture.http_status is None:
            self.metadata_only += 1
            payload = _metadata_json(capture, article, revision, site, body_kept=False)
            self._write(self.writer.create_warc_record(
                url, "metadata", payload=io.BytesIO(payload), length=len(payload),
                warc_content_type="application/json", warc_headers_dict={"WARC-Date": when},
            ))
            return
        status = capture.http_status
        http_headers = StatusAndHeaders(f"{status} {_reason_phrase(status)}",
                                        response_headers(capture.headers, len(body)), protocol="HTTP/1.1")
        warc_headers = {"WARC-Date": when}
        if capture.outcome == "rejected" and (capture.reason or "").startswith(TRUNCATED):
            # the crawler saw the connection close early: say so the way WARC does
            warc_headers["WARC-Truncated"] = "disconnect"
        response = self.writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        path, host = _request_target(url)
        request_headers = [("Host", host)]
        if self.user_agent:
            request_headers.append(("User-Agent", self.user_agent))
        request = self.writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""), length=0,
            http_headers=StatusAndHeaders(f"GET {path} HTTP/1.1", request_headers, is_http_request=True),
            warc_headers_dict={"WARC-Date": when, "WARC-Concurrent-To": response_id},
        )
        payload = _metadata_json(capture, article, revision, site, body_kept=True)
        meta = self.writer.create_warc_record(
            url, "metadata", payload=io.BytesIO(payload), length=len(payload),
            warc_content_type="application/json",
            warc_headers_dict={"WARC-Date": when, "WARC-Concurrent-To": response_id},
        )
        self._write(request)
        self._write(response)
        self._write(meta)
        self.responses += 1


# -- atomic output ----------------------------------------------------------------------------------


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


@contextlib.contextmanager
def atomic_path(final: Path, *, directory: bool = False) -> Iterator[Path]:
    """A temporary path beside ``final`` (``<name>.part-<pid>``) to write into; renamed to ``final``
    when the block ends normally, removed when it raises (KeyboardInterrupt and SystemExit included).
    A killed process leaves at most the ``.part-<pid>`` file, never a half-written ``final``.

    ``directory=True`` makes the temporary a directory; ``final`` must then not exist or be empty.
    """
    final = Path(final)
    if not final.parent.is_dir():
        raise ConfigError(f"--out {final}: directory {final.parent} does not exist")
    if directory:
        if final.exists() and (not final.is_dir() or any(final.iterdir())):
            raise ConfigError(f"--out {final} exists and is not an empty directory; remove it or choose another")
    elif final.is_dir():
        raise ConfigError(f"--out {final} is a directory; give a file path")
    tmp = final.with_name(f"{final.name}.part-{os.getpid()}")
    _remove(tmp)
    if directory:
        tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        _remove(tmp)
        raise
    try:
        if directory:
            if final.is_dir():
                final.rmdir()  # empty, checked above; rename() cannot replace a directory otherwise
            os.rename(tmp, final)
        else:
            os.replace(tmp, final)
    except OSError:
        _remove(tmp)
        raise


def _fsync(handle: IO[bytes]) -> None:
    handle.flush()
    with contextlib.suppress(OSError, io.UnsupportedOperation):
        os.fsync(handle.fileno())


# -- the one entry point ----------------------------------------------------------------------------


@dataclass
class ExportReport:
    """What an export wrote. ``records`` counts revisions (JSONL/CSV/Markdown) or captures (WARC)."""

    format: str
    out: str
    records: int = 0
    articles: int = 0
    files: int = 0
    warc_records: int = 0
    responses: int = 0
    # captures whose raw body was not kept: no request/response records, only a metadata record
    skipped_no_raw: int = 0
    bytes: int = 0
    seconds: float = 0.0
    filter: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_revisions(fmt: str) -> str:
    """``latest`` for Markdown (one readable file per article), ``all`` for JSONL and CSV."""
    return "latest" if fmt == "markdown" else "all"


def export(
    archive: Archive,
    *,
    fmt: str,
    out: str | Path,
    flt: ExportFilter | None = None,
    gzip: bool = False,
    excel: bool = False,
    user_agent: str | None = None,
    progress: Progress | None = None,
    stdout: IO[bytes] | None = None,
) -> ExportReport:
    """Export the part of ``archive`` that ``flt`` selects as ``fmt`` to ``out`` (a path, or ``-`` for
    ``stdout``), streaming; ``progress(done, total)`` is called as records are written.

    ``gzip`` compresses JSONL/CSV as a whole (WARC records are always gzipped one by one); ``excel``
    starts a CSV with a UTF-8 BOM. ``user_agent`` is the one named in reconstructed WARC requests.

    Example::

        export(open_archive("a.db"), fmt="jsonl", out="a.jsonl", flt=ExportFilter(revisions="latest"))
    """
    flt = flt or ExportFilter(revisions=default_revisions(fmt))
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
    if excel and fmt != "csv":
        raise ConfigError("--excel applies to --format csv only")
    if gzip and fmt == "markdown":
        raise ConfigError("--gzip does not apply to markdown; give an --out path ending in .zip for one file")
    to_stdout = str(out) == "-"
    if to_stdout and fmt == "markdown":
        raise ConfigError("markdown is a directory or a .zip: give --out PATH, not -")
    report = ExportReport(format=fmt, out=str(out), filter=flt.describe())
    started = time.monotonic()
    path = Path(out) if not to_stdout else None
    with archive.read() as session:
        if fmt == "warc":
            total = count_captures(session, flt)
        else:
            total = count_revisions(session, flt)
        tick = _ticker(progress, total)
        if fmt == "markdown":
            assert path is not None
            _export_markdown(session, flt, path, report, tick)
        elif to_stdout:
            sink = stdout or sys.stdout.buffer
            _export_stream(session, flt, fmt, sink, report, tick, gzip=gzip, excel=excel,
                           user_agent=user_agent, filename=None, total=total)
            sink.flush()
        else:
            assert path is not None
            with atomic_path(path) as tmp, open(tmp, "wb") as handle:
                _export_stream(session, flt, fmt, handle, report, tick, gzip=gzip, excel=excel,
                               user_agent=user_agent, filename=path.name, total=total)
                _fsync(handle)
    if path is not None and fmt != "markdown":
        report.bytes = path.stat().st_size
        report.files = 1
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _ticker(progress: Progress | None, total: int) -> Callable[[], None]:
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    if progress is not None:
        progress(0, total)
    return tick


class _CountingWriter(io.RawIOBase):
    """A binary sink that counts bytes on their way to ``target`` (for stdout, which has no size)."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.count = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        n = self.target.write(data)
        n = len(data) if n is None else n
        self.count += n
        return n

    def flush(self) -> None:
        self.target.flush()


def _export_stream(session: Session, flt: ExportFilter, fmt: str, sink: IO[bytes], report: ExportReport,
                   tick: Callable[[], None], *, gzip: bool, excel: bool, user_agent: str | None,
                   filename: str | None, total: int) -> None:
    counter = _CountingWriter(sink)
    if fmt == "warc":
        warc = _WarcExport(counter, filename=filename, user_agent=user_agent, flt=flt, total=total)
        for capture, article, revision, site in iter_captures(session, flt):
            body = load_blob(session, capture.body_digest) if capture.body_digest else None
            warc.capture(capture, article, revision, site, body)
            report.records += 1
            tick()
        report.warc_records = warc.records
        report.responses = warc.responses
        report.skipped_no_raw = warc.metadata_only
        report.bytes = counter.count
        return
    binary: IO[bytes] = counter  # type: ignore[assignment]
    zipped = None
    if gzip:
        # mtime=0: the same archive exports to the same bytes
        zipped = gzip_module.GzipFile(fileobj=counter, mode="wb", mtime=0)  # type: ignore[arg-type]
        binary = zipped  # type: ignore[assignment]
    text = io.TextIOWrapper(binary, encoding="utf-8-sig" if excel else "utf-8", newline="")  # type: ignore[arg-type]
    articles: set[int] = set()
    try:
        if fmt == "jsonl":
            for record in iter_revisions(session, flt):
                text.write(json.dumps(record, ensure_ascii=False) + "\n")
                articles.add(record["article"]["id"])
                report.records += 1
                tick()
        else:
            writer = csv.writer(text, lineterminator="\r\n")  # RFC 4180: CRLF, quotes doubled
            writer.writerow(CSV_COLUMNS)
            for record in iter_revisions(session, flt):
                writer.writerow(csv_row(record))
                articles.add(record["article"]["id"])
                report.records += 1
                tick()
        text.flush()
    finally:
        text.detach()
    if zipped is not None:
        zipped.close()
    report.articles = len(articles)
    report.bytes = counter.count


def _export_markdown(session: Session, flt: ExportFilter, path: Path, report: ExportReport,
                     tick: Callable[[], None]) -> None:
    per_revision = flt.revisions == "all"
    as_zip = path.suffix.lower() == ".zip"
    index = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+", encoding="utf-8")  # noqa: SIM115 - closed below
    index.write("# Articles\n\n")
    articles: set[int] = set()

    def entries() -> Iterator[tuple[str, str]]:
        for record in iter_revisions(session, flt):
            a, r = record["article"], record["revision"]
            name = markdown_name(a["id"], r["title"], r["number"] if per_revision else None)
            title = " ".join((r["title"] or "(untitled)").split()).replace("[", "\\[").replace("]", "\\]")
            when = (r["published_at"] or "")[:10]
            label = f"revision {r['number']}, " if per_revision else ""
            index.write(f"- [{title}]({name}) ({label}{a['status']}{', ' + when if when else ''})\n")
            articles.add(a["id"])
            yield name, markdown_document(record)

    try:
        if as_zip:
            folder = slugify(path.stem, max_length=60)
            with atomic_path(path) as tmp, open(tmp, "wb") as handle:
                with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive_zip:
                    for name, text in entries():
                        archive_zip.writestr(f"{folder}/{name}", text.encode("utf-8"))
                        report.records += 1
                        tick()
                    index.seek(0)
                    archive_zip.writestr(f"{folder}/index.md", index.read().encode("utf-8"))
                _fsync(handle)
            report.files = report.records + 1
            report.bytes = path.stat().st_size
        else:
            with atomic_path(path, directory=True) as tmp:
                for name, text in entries():
                    # "x": a name is never written twice; a clash would be a bug, not an overwrite
                    with open(tmp / name, "x", encoding="utf-8", newline="\n") as handle:
                        handle.write(text)
                    report.records += 1
                    tick()
                index.seek(0)
                with open(tmp / "index.md", "x", encoding="utf-8", newline="\n") as handle:
                    shutil.copyfileobj(index, handle)
            report.files = report.records + 1
            report.bytes = sum(p.stat().st_size for p in path.iterdir())
    finally:
        index.close()
    report.articles = len(articles)
