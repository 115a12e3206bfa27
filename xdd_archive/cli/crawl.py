"""``xdd-archive crawl``: one crawl of a site, with progress on a terminal and a summary at the end."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from storage.status import RUN_STATS
from xdd_archive.cli.common import console, err_console, is_terminal, json_option, print_json, short_time, utc_option
from xdd_archive.cli.options import with_settings
from xdd_archive.config import Config
from xdd_archive.crawljob import CRAWL_SETTINGS, crawl_options, exit_status, report_dict

if TYPE_CHECKING:
    from crawler.runner import CrawlReport


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


def print_report(report: CrawlReport, data: dict[str, Any]) -> None:
    """The crawl's summary: its counters, then what it did not check and when that falls due."""
    seconds = f" in {report.seconds:.1f} s" if report.seconds is not None else ""
    colour = {"ok": "green", "interrupted": "yellow"}.get(report.status, "red")
    console.print(f"Crawl of [bold]{report.site}[/bold]: run {report.run_id} "
                  f"[{colour}]{report.status}[/{colour}]{seconds}")
    for key, label, _short in RUN_STATS:
        console.print(f"  {label:<20} {report.stats.get(key, 0):>6}")
    discovery = report.stats.get("discovery")
    if discovery:
        console.print(f"  {'discovery':<20} {discovery:>6}")
    if report.stats.get("budget_exhausted"):
        console.print("  stopped at --max-requests; the next crawl goes on from here")
    left = data.get("not_checked") or {}
    if left.get("not_due"):
        n = left["not_due"]
        console.print(f"  not checked: {n} known article{'s' if n > 1 else ''} not due yet (next due "
                      f"{short_time(left.get('next_due_at'))}); `xdd-archive crawl --full` rechecks every article",
                      markup=False)
    if left.get("left_due"):
        console.print(f"  not reached: {left['left_due']} article(s) due; the next crawl fetches them first",
                      markup=False)
    if report.error and report.status != "ok":
        console.print(f"  [red]{escape(report.error)}[/red]")


def crawl_flags(func: Any) -> Any:
    """The crawl flags that are not settings (settings come from ``cli.options.with_settings``)."""
    for option in reversed(
        [
            click.option("--allow-private", is_flag=True,
                         help="Allow loopback/private addresses (the replica profile allows them itself)."),
            click.option("--full", is_flag=True,
                         help="Page through every listing and re-fetch every known article (a backfill)."),
        ]
    ):
        func = option(func)
    return func


@click.command("crawl")
@crawl_flags
@click.option("--trigger", type=click.Choice(["manual", "schedule", "demo"]), default="manual", hidden=True)
@with_settings(*CRAWL_SETTINGS)
@utc_option
@json_option
def crawl_command(allow_private: bool, full: bool, trigger: str, as_json: bool, settings: Config) -> int:
    """Crawl a site once: find new articles, revisit the due ones, record every change.

    Known articles are revisited when due: hourly while young, monthly once old, sooner again after
    a change (see `xdd-archive config`). The summary says how many known articles were not due and
    when the next are; --full rechecks every article (and pages through every listing).

    Politeness by default: robots.txt obeyed, 1 request/s, 2 at once per host, AutoThrottle. Ctrl-C
    stops cleanly (the run is marked interrupted). Every setting below can also come from the
    environment or the config file (flags > environment > file > defaults; see `xdd-archive config`).
    Exit status: 0 ok, 1 failed, 75 another crawl of the site is running, 130 interrupted.

    \b
    Examples:
      xdd-archive crawl                                   # the magazine, incremental
      xdd-archive crawl --full --max-requests 500         # a backfill, 500 requests at a time
      xdd-archive crawl --site replica --base-url http://127.0.0.1:8765 --json
      XDD_REVISIT_JITTER=0 xdd-archive crawl --download-delay 2 --revisit-tiers "2d=30m, 30d=1d"
    """
    options = crawl_options(settings, full=full, allow_private=allow_private, trigger=trigger)
    with crawl_progress(is_terminal() and not as_json) as update:
        from crawler.runner import run_crawl

        report = run_crawl(options, progress=update)
    data = report_dict(report, options.db)
    if as_json:
        print_json(data)
    else:
        print_report(report, data)
    return exit_status(report)


COMMANDS = [crawl_command]
