"""``xdd-archive crawl``: one crawl of a site, with progress on a terminal and a summary at the end."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import click
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from cli.common import console, db_option, err_console, is_terminal, json_option, print_json
from crawler.runner import CrawlOptions, CrawlReport, run_crawl

SUMMARY_LINES = (
    ("requests", "requests"),
    ("listing_pages", "listing pages"),
    ("new_articles", "new articles"),
    ("new_revisions", "new revisions"),
    ("unchanged", "unchanged"),
    ("not_modified", "not modified (304)"),
    ("gone", "gone"),
    ("rejected", "rejected"),
    ("errors", "errors"),
)


@contextlib.contextmanager
def crawl_progress(enabled: bool) -> Iterator[Any]:
    """A live one-line progress display on stderr (a no-op callback when not on a terminal)."""
    if not enabled:
        yield None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task_id = progress.add_task("starting...", total=None)

        def update(stats: dict[str, Any]) -> None:
            get = stats.get
            progress.update(
                task_id,
                description=(
                    f"requests {get('downloader/request_count', 0)}  "
                    f"new {get('xdd/new', 0)}  changed {get('xdd/changed', 0)}  "
                    f"unchanged {get('xdd/unchanged', 0) + get('xdd/not_modified', 0)}  "
                    f"gone {get('xdd/gone', 0)}  rejected {get('xdd/rejected', 0)}  errors {get('xdd/error', 0)}"
                ),
            )

        yield update


def print_report(report: CrawlReport) -> None:
    seconds = f" in {report.seconds:.1f} s" if report.seconds is not None else ""
    colour = {"ok": "green", "interrupted": "yellow"}.get(report.status, "red")
    console.print(f"Crawl of [bold]{report.site}[/bold]: run {report.run_id} "
                  f"[{colour}]{report.status}[/{colour}]{seconds}")
    for key, label in SUMMARY_LINES:
        console.print(f"  {label:<20} {report.stats.get(key, 0):>6}")
    discovery = report.stats.get("discovery")
    if discovery:
        console.print(f"  {'discovery':<20} {discovery:>6}")
    if report.stats.get("budget_exhausted"):
        console.print("  stopped at --max-requests; the next crawl goes on from here")
    if report.error and report.status != "ok":
        console.print(f"  [red]{report.error}[/red]")


def crawl_options(func: Any) -> Any:
    """The options shared by ``crawl`` and ``schedule add``."""
    for option in reversed(
        [
            click.option("--site", default="xaydungdang", show_default=True, metavar="NAME",
                         help="Site profile to crawl (xaydungdang, replica)."),
            click.option("--base-url", default=None, metavar="URL",
                         help="Crawl a mirror of the site instead (e.g. a replica on any port)."),
            click.option("--allow-private", is_flag=True,
                         help="Allow loopback/private addresses (the replica profile allows them itself)."),
            click.option("--full", is_flag=True,
                         help="Page through every listing and re-fetch every known article (a backfill)."),
            click.option("--max-requests", type=click.IntRange(min=1), default=None, metavar="N",
                         help="Stop after N requests; the next crawl carries on."),
        ]
    ):
        func = option(func)
    return func


@click.command("crawl")
@crawl_options
@click.option("--keep-raw", type=click.Choice(["changes", "all"]), default="changes", show_default=True,
              help="Keep raw HTML for new revisions and rejections only, or for every capture.")
@click.option("--trigger", type=click.Choice(["manual", "schedule", "demo"]), default="manual", hidden=True)
@db_option
@json_option
def crawl_command(site: str, base_url: str | None, allow_private: bool, full: bool, max_requests: int | None,
                  keep_raw: str, trigger: str, db: str | None, as_json: bool) -> int:
    """Crawl a site once: find new articles, revisit the due ones, record every change.

    Politeness by default: robots.txt obeyed, 1 request/s, 2 at once per host, AutoThrottle. Ctrl-C
    stops cleanly (the run is marked interrupted). Exit status: 0 ok, 1 failed, 75 another crawl of
    the site is running, 130 interrupted.

    \b
    Examples:
      xdd-archive crawl                                   # the magazine, incremental
      xdd-archive crawl --full --max-requests 500         # a backfill, 500 requests at a time
      xdd-archive crawl --site replica --base-url http://127.0.0.1:8765 --json
    """
    options = CrawlOptions(site=site, base_url=base_url, db=db, full=full, max_requests=max_requests,
                           allow_private=allow_private, keep_raw=keep_raw, trigger=trigger)
    with crawl_progress(is_terminal() and not as_json) as update:
        report = run_crawl(options, progress=update)
    if as_json:
        print_json(report.to_dict())
    else:
        print_report(report)
    return {"ok": 0, "interrupted": 130}.get(report.status, 1)


COMMANDS = [crawl_command]
