"""``xdd-archive export`` (JSONL, CSV, Markdown, WARC) and ``xdd-archive import-warc``."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from storage.db import open_archive
from storage.export import FORMATS, ExportFilter, ExportReport, default_revisions, export
from storage.status import RUN_STATS
from storage.timespec import parse_when
from xdd_archive.cli.common import console, db_option, err_console, is_terminal, json_option, print_json
from xdd_archive.errors import ConfigError


@contextlib.contextmanager
def progress_bar(enabled: bool, label: str) -> Iterator[Any]:
    """A progress bar on stderr (None when stderr is not a terminal): callback(done, total)."""
    if not enabled:
        yield None
        return
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err_console, transient=True) as bar:
        task_id = bar.add_task(label, total=None)
        last = -1

        def update(done: int, total: int) -> None:
            nonlocal last
            # redrawing on every record would cost more than writing it
            if done == total or done - last >= 25 or done == 0:
                bar.update(task_id, completed=done, total=total)
                last = done

        yield update


@contextlib.contextmanager
def sigterm_as_exit() -> Iterator[None]:
    """Let SIGTERM unwind like Ctrl-C (so temporary files are removed), then restore the handler."""

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _user_agent() -> str:
    from crawler.settings import USER_AGENT

    return USER_AGENT


def print_export(report: ExportReport) -> None:
    where = "stdout" if report.out == "-" else report.out
    if report.format == "warc":
        err_console.print(
            f"Wrote {report.warc_records} WARC records for {report.records} captures to {where}: "
            f"{report.responses} with their raw body (request, response, metadata), "
            f"{report.skipped_no_raw} without a kept raw body (metadata record only).",
            markup=False, highlight=False, soft_wrap=True,
        )
        return
    unit = "files" if report.format == "markdown" else "rows" if report.format == "csv" else "lines"
    count = report.files if report.format == "markdown" else report.records
    err_console.print(f"Exported {report.records} revisions of {report.articles} articles to {where} "
                      f"({count} {unit}, {report.bytes:,} bytes, {report.seconds:.1f} s).",
                      markup=False, highlight=False, soft_wrap=True)


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="Output format.")
@click.option("--out", required=True, metavar="PATH|-",
              help="Output file (markdown: a directory, or a .zip); - writes to stdout (not markdown).")
@click.option("--since", default=None, metavar="WHEN",
              help="Only revisions first captured at or after WHEN (WARC: captures): 7d, 12h, 2w, or an "
                   "ISO date/time (UTC unless it has an offset).")
@click.option("--until", default=None, metavar="WHEN",
              help="Only those captured before WHEN; a date alone includes that whole day.")
@click.option("--site", default=None, metavar="NAME", help="Only this site's articles.")
@click.option("--category", default=None, metavar="SLUG", help="Only articles of this category.")
@click.option("--revisions", type=click.Choice(["latest", "all"]), default=None,
              help="latest: each article's current revision (gone ones included, with their status); "
                   "all: every revision. Default: all for jsonl/csv, latest for markdown. Not for warc.")
@click.option("--gzip", "use_gzip", is_flag=True,
              help="Gzip the JSONL/CSV output (WARC records are always gzipped one by one).")
@click.option("--excel", is_flag=True, help="CSV: start with a UTF-8 BOM so Excel shows Vietnamese correctly.")
@db_option
@json_option
def export_command(fmt: str, out: str, since: str | None, until: str | None, site: str | None,
                   category: str | None, revisions: str | None, use_gzip: bool, excel: bool,
                   db: str | None, as_json: bool) -> None:
    """Export the archive as JSONL, CSV, Markdown or WARC, streaming (memory stays flat however large
    the archive is). The file appears under its name only when complete: it is written as
    PATH.part-PID and renamed at the end, so an interrupted export never leaves a half-written PATH.

    \b
    jsonl     one JSON object per revision: article identity (id, key, canonical
              URL, aliases, status), every extracted field, the capture it came
              from and the view count at that capture, the last capture that saw it
    csv       the same flattened, one row per revision (RFC 4180; lists as JSON)
    markdown  a directory or .zip with one file per article (YAML front matter,
              then the text) and an index.md; names like 12-tieu-de-bai-viet.md
    warc      WARC/1.1, gzip per record, for any web-archive tool (pywb, the
              Wayback Machine, warcio...): see below

    \b
    WARC holds captures, not revisions. For every capture whose raw body is kept
    it has a reconstructed request, the response with the bytes as fetched
    (decoded; Content-Length recomputed, no stale Content-Encoding or
    Transfer-Encoding) and a metadata record with the extracted fields. A capture
    whose body was not kept (by default only a digest is kept of pages that had
    not changed; crawl --keep-raw all keeps every body) gets no response record,
    since its bytes are gone and are not invented: it gets a metadata record with
    its time, status, outcome, view count and body digest, counted in the summary.
    import-warc restores those as captures without a body, so an archive exported
    and imported again has the same articles, revisions (same content hashes, same
    order) and view counts (import re-extracts every kept body: the same
    extractor version gives the same revisions). --since/--until filter on
    capture time, --category on the article's category.

    \b
    Examples:
      xdd-archive export --format jsonl --out archive.jsonl
      xdd-archive export --format csv --excel --since 7d --out last-week.csv
      xdd-archive export --format markdown --site xaydungdang --out articles.zip
      xdd-archive export --format warc --out archive.warc.gz
      xdd-archive export --format jsonl --revisions latest --out - | jq .revision.title
    """
    if fmt == "warc" and revisions is not None:
        raise ConfigError("--revisions does not apply to warc: a WARC holds every capture (filter with --since/--until)")
    if as_json and out == "-":
        raise ConfigError("--json prints the report on stdout; it cannot be used with --out -")
    flt = ExportFilter(
        site=site,
        category=category,
        since=parse_when(since, option="--since") if since else None,
        until=parse_when(until, option="--until", end=True) if until else None,
        revisions=revisions or default_revisions(fmt),
    )
    archive = open_archive(db, create=False)
    try:
        with sigterm_as_exit(), progress_bar(is_terminal(), f"export {fmt}") as update:
            report = export(archive, fmt=fmt, out=out, flt=flt, gzip=use_gzip, excel=excel,
                            user_agent=_user_agent(), progress=update)
    finally:
        archive.dispose()
    if as_json:
        print_json(report.to_dict())
    else:
        print_export(report)


IMPORT_LINES = (
    ("records", "WARC records read"),
    ("imported", "captures imported"),
    *((key, label) for key, label, _short in RUN_STATS if key not in ("requests", "listing_pages")),
    ("restored_from_metadata", "without a body (metadata)"),
    ("already_imported", "already in the archive"),
    ("out_of_order", "older than the archive"),
    ("not_article", "not article URLs"),
    ("redirects", "redirects followed"),
    ("unresolved", "unresolved"),
    ("other_records", "other records"),
)


@click.command("import-warc")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False), metavar="FILE...")
@click.option("--site", default="xaydungdang", show_default=True, metavar="NAME",
              help="Site profile whose article URLs are imported (xaydungdang, replica).")
@click.option("--base-url", default=None, metavar="URL",
              help="The WARC was made from a mirror of the site at this URL (e.g. a replica's port).")
@click.option("--keep-raw", type=click.Choice(["changes", "all"]), default="all", show_default=True,
              help="Keep every imported body (all), or only those of new revisions and rejections.")
@db_option
@json_option
def import_warc_command(files: tuple[str, ...], site: str, base_url: str | None, keep_raw: str,
                        db: str | None, as_json: bool) -> int:
    """Import WARC files: each response for one of the site's article URLs goes through the same
    extraction and versioning as a crawl, in capture-date order, with the capture's own date.

    Reads WARCs from xdd-archive export, wget --warc-file, Heritrix or browsertrix, gzipped per
    record or not; chunked or gzip-encoded bodies are decoded first. Listings, robots.txt, images and
    other URLs are skipped and counted. A record the archive already has (same URL, time and body)
    is skipped, so importing a WARC twice adds no article, revision or capture; so is a record older
    than the latest capture of its article (history only moves forward). Each import, a repeated
    one too, is recorded as a run (trigger "import"; status ignores imports when it checks that
    crawls still happen) and holds the site's crawl lock while it runs.

    \b
    Examples:
      xdd-archive import-warc crawl.warc.gz
      xdd-archive import-warc export.warc.gz --site replica --base-url http://127.0.0.1:8765 --db new.db
      xdd-archive import-warc a.warc b.warc.gz --json
    """
    from crawler.warc_import import ImportOptions, import_warcs

    options = ImportOptions(files=list(files), site=site, base_url=base_url, db=db, keep_raw=keep_raw)
    with sigterm_as_exit(), progress_bar(is_terminal() and not as_json, "import") as update:
        report = import_warcs(options, progress=update)
    if as_json:
        print_json(report.to_dict())
    else:
        colour = "green" if report.status == "ok" else "red"
        console.print(f"Import into [bold]{report.site}[/bold]: run {report.run_id} "
                      f"[{colour}]{report.status}[/{colour}] in {report.seconds or 0:.1f} s")
        for key, label in IMPORT_LINES:
            console.print(f"  {label:<28} {report.stats.get(key, 0):>7}", markup=False)
    stats = report.stats
    if report.status == "ok" and not stats.get("imported") and not stats.get("already_imported") \
            and stats.get("not_article"):
        # every response was for URLs that are not this site's articles: most likely the wrong --site
        raise ConfigError(
            f"none of the {stats['not_article']} responses is an article URL of site {report.site!r}; "
            "is it the right --site (and --base-url for a replica's WARC)?"
        )
    return 0 if report.status == "ok" else 1


COMMANDS = [export_command, import_warc_command]
