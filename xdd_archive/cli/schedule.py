"""Unattended crawling: ``schedule add|list|remove|run``, ``status`` and ``config``.

Thin commands over :mod:`scheduler` (jobs, daemon, status report) and :mod:`config` (settings).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from logging.handlers import RotatingFileHandler
from pathlib import Path

import click
from rich.table import Table

from scheduler import (
    JobInfo,
    StatusReport,
    add_schedule,
    list_schedules,
    log_file_for,
    remove_schedule,
    run_daemon,
    schedule_from_config,
    status_report,
)
from storage.db import open_archive
from storage.models import utcnow
from storage.status import summary_line
from xdd_archive.cli.common import console, err_console, json_option, print_json, short_time
from xdd_archive.cli.options import with_settings
from xdd_archive.config import SETTINGS, Config, format_duration
from xdd_archive.errors import ConfigError
from xdd_archive.logs import LOG_FORMAT

LOG_MAX_BYTES = 10 * 1024 * 1024
LOG_BACKUPS = 5

# what a schedule is made of; `schedule add` and `schedule run` both take them
SCHEDULE_SETTINGS = (
    "site",
    "base_url",
    "database",
    "schedule.every",
    "schedule.cron",
    "schedule.full_every",
    "crawl.max_requests",
    "schedule.timezone",
    "schedule.misfire_grace",
)


def _whole(delta: timedelta) -> timedelta:
    """The length of ``delta`` in whole seconds (for display)."""
    return timedelta(seconds=int(abs(delta.total_seconds())))


def _in(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "paused"
    delta = when - now
    if timedelta(seconds=-60) < delta <= timedelta(0):
        return f"{short_time(when)} (due now)"
    if delta < timedelta(0):
        return f"{short_time(when)} (overdue by {format_duration(_whole(delta))})"
    return f"{short_time(when)} (in {format_duration(_whole(delta))})"


def _schedule_table(jobs: list[JobInfo], now: datetime) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("id", "schedule", "next run", "full pass", "site URL"):
        table.add_column(column)
    for job in jobs:
        table.add_row(
            job.id,
            job.schedule if job.error is None else f"{job.schedule} [red]({job.error})[/red]",
            _in(job.next_run_time, now),
            f"every {format_duration(job.full_every)}" if job.full_every else "-",
            job.base_url or "(the profile's)",
        )
    return table


# -- schedule ---------------------------------------------------------------------------------------


@click.group("schedule")
def schedule_group() -> None:
    """Periodic crawls: add, list and remove schedules, and run the scheduler daemon.

    Schedules are stored in the archive database, one per site (id crawl:SITE), so they survive
    restarts; `schedule run` is the daemon that carries them out, each crawl in its own process.

    \b
    Examples:
      xdd-archive schedule add --every 6h --full-every 7d
      xdd-archive schedule add --site replica --base-url http://127.0.0.1:8765 --cron "*/30 * * * *"
      xdd-archive schedule list
      xdd-archive schedule run            # the daemon, in the foreground
      xdd-archive schedule remove crawl:replica
    """


@schedule_group.command("add")
@click.option("--allow-private", is_flag=True, help="Allow loopback/private addresses for this site's crawls.")
@with_settings(*SCHEDULE_SETTINGS)
@json_option
def schedule_add_command(allow_private: bool, as_json: bool, settings: Config) -> None:
    """Schedule periodic crawls of a site (replacing its schedule if it had one).

    --every takes 6h, 30m, 1h30m, 2s...; --cron a crontab line (in --timezone, default this
    machine's). An interval schedule first runs as soon as the daemon runs. With --full-every 7d, a
    scheduled crawl is a full pass (--full) whenever the last full crawl of the site (run to its end
    or to its time limit) started more than 7 days ago. Adding the same schedule again changes
    nothing.

    \b
    Examples:
      xdd-archive schedule add --every 6h --full-every 7d
      xdd-archive schedule add --cron "0 */6 * * *" --timezone Asia/Ho_Chi_Minh
      xdd-archive schedule add --site replica --base-url http://127.0.0.1:8765 --every 2s --db demo.db
    """
    if settings["schedule.every"] is None and settings["schedule.cron"] is None:
        raise ConfigError("give --every DURATION (e.g. 6h) or --cron CRONTAB (e.g. '0 */6 * * *')")
    schedule = schedule_from_config(settings, allow_private=allow_private)
    assert schedule is not None
    archive = open_archive(settings["database"])
    info, outcome = add_schedule(archive, schedule)
    archive.dispose()
    if as_json:
        print_json({"outcome": outcome, **info.to_dict()})
        return
    now = datetime.now(UTC)
    console.print(f"Schedule {info.id} {outcome}: {info.schedule}; next run {_in(info.next_run_time, now)}")
    if info.full_every:
        console.print(f"  full pass every {format_duration(info.full_every)}")


@schedule_group.command("list")
@with_settings("database")
@json_option
def schedule_list_command(as_json: bool, settings: Config) -> None:
    """List the schedules stored in the archive, with their next run.

    \b
    Examples:
      xdd-archive schedule list
      xdd-archive schedule list --db archive.db --json
    """
    archive = open_archive(settings["database"], create=False)
    jobs = list_schedules(archive)
    archive.dispose()
    if as_json:
        print_json([j.to_dict() for j in jobs])
        return
    if not jobs:
        console.print("No schedules. Add one with: xdd-archive schedule add --every 6h")
        return
    console.print(_schedule_table(jobs, datetime.now(UTC)))


@schedule_group.command("remove")
@click.argument("job_id", metavar="ID")
@with_settings("database")
@json_option
def schedule_remove_command(job_id: str, as_json: bool, settings: Config) -> None:
    """Remove a schedule: its id (crawl:SITE, see `schedule list`) or just the site's name.

    A crawl it already started runs to its end.

    \b
    Examples:
      xdd-archive schedule remove crawl:xaydungdang
      xdd-archive schedule remove replica
    """
    archive = open_archive(settings["database"], create=False)
    removed = remove_schedule(archive, job_id)
    archive.dispose()
    if as_json:
        print_json({"removed": removed})
    else:
        console.print(f"Schedule {removed} removed.")


def _daemon_logging(log_file: Path) -> None:
    """The daemon logs its own work at INFO, to stderr (set up by the command group) and to a
    rotating file beside the database."""
    handler = RotatingFileHandler(log_file, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    if not any(isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)
               for h in root.handlers):
        root.addHandler(logging.StreamHandler())
    for existing in root.handlers:
        # the command group's stderr handler passes warnings only; the daemon reports its work too
        # (no crawl runs in this process, so Scrapy's chatter never reaches these handlers)
        if existing.level > logging.INFO:
            existing.setLevel(logging.INFO)
    for name in ("scheduler", "apscheduler"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)


@schedule_group.command("run")
@with_settings(*SCHEDULE_SETTINGS, "schedule.time_limit", "schedule.stop_timeout")
def schedule_run_command(settings: Config) -> int:
    """Run the scheduler daemon in the foreground: carry out the stored schedules until stopped.

    One daemon per archive (a second one exits at once, status 75). Each crawl runs in its own
    process, stopped after --time-limit. SIGTERM or Ctrl-C stops the running crawl cleanly (its run
    is marked interrupted) and exits 0. Logs go to stderr and to <database>.log beside the
    database (rotated at 10 MB). A schedule given here (--every / --cron, or in the config file) is
    added first, as `schedule add` would.

    \b
    Examples:
      xdd-archive schedule run
      xdd-archive schedule run --db /srv/xdd/archive.db --time-limit 2h
      xdd-archive schedule run --site replica --base-url http://127.0.0.1:8765 --every 10m
    """
    archive = open_archive(settings["database"])
    log_file = log_file_for(archive)

    def started() -> None:
        _daemon_logging(log_file)
        err_console.print(f"scheduler daemon on {archive.path or archive.url}; log {log_file}; Ctrl-C stops it",
                          markup=False, highlight=False)

    try:
        return run_daemon(archive, settings, on_start=started)
    finally:
        archive.dispose()


# -- status -----------------------------------------------------------------------------------------


def _print_status(report: StatusReport) -> None:
    now = report.now
    console.print(f"Archive [bold]{report.database}[/bold]: {report.articles} articles, "
                  f"{report.due} due for a revisit now")
    daemon = f"running (pid {report.daemon_pid})" if report.daemon_pid is not None else "not running"
    console.print(f"Scheduler daemon: {daemon}")
    if report.schedules:
        console.print("\n[bold]Schedules[/bold]")
        console.print(_schedule_table(report.schedules, now))
    else:
        console.print("No schedules (add one with: xdd-archive schedule add --every 6h).")
    if report.runs:
        console.print("\n[bold]Last runs[/bold]")
        table = Table(box=None, pad_edge=False, header_style="bold")
        for column in ("run", "site", "started", "took", "status", "what it did"):
            table.add_column(column, justify="right" if column in ("run", "took") else "left",
                             overflow="fold")
        colours = {"ok": "green", "interrupted": "yellow", "running": "cyan"}
        for run in report.runs:
            colour = colours.get(run.status, "red")
            status = f"[{colour}]{run.status}[/{colour}]" + (" full" if run.full else "")
            if run.trigger != "manual":
                status += f" ({run.trigger})"
            took = format_duration(timedelta(seconds=round(run.seconds))) if run.seconds is not None else "-"
            table.add_row(str(run.id), run.site, short_time(run.started_at), took, status, summary_line(run.stats, zeros=False))
        console.print(table)
    else:
        console.print("No crawls yet.")
    for warning in report.warnings:
        console.print(f"[bold red]warning:[/bold red] {warning['message']}")


@click.command("status")
@click.option("--site", "only_site", default=None, metavar="NAME", help="Only this site's schedules and runs.")
@click.option("--runs", type=click.IntRange(min=1), default=10, show_default=True, help="How many last runs to show.")
@with_settings("database")
@json_option
def status_command(only_site: str | None, runs: int, as_json: bool, settings: Config) -> None:
    """How the archive is doing: the last runs, the next scheduled run, the articles due, warnings.

    Warns when the last successful crawl of a scheduled site is older than twice its schedule's
    interval (the archive has silently stopped), when schedules exist but no daemon runs, and when
    a crawl marked running has stopped beating.

    \b
    Examples:
      xdd-archive status
      xdd-archive status --db archive.db --json | jq .warnings
    """
    archive = open_archive(settings["database"], create=False)
    report = status_report(archive, now=utcnow(), site=only_site, runs=runs)
    archive.dispose()
    if as_json:
        print_json(report.to_dict())
    else:
        _print_status(report)


# -- config -----------------------------------------------------------------------------------------


@click.command("config")
@with_settings(*(s.name for s in SETTINGS))
@json_option
def config_command(as_json: bool, settings: Config) -> None:
    """Print the effective settings and where each came from (flag, environment, file, default).

    Precedence: flags > environment variables > the config file > defaults. The file is --config
    PATH, else $XDD_CONFIG, else ./xdd-archive.toml; its keys are the names below, e.g.

    \b
      site = "xaydungdang"
      database = "archive.db"        # relative to the file
      [politeness]
      download_delay = 2.0
      [revisit]
      tiers = "2d=1h, 14d=6h, 91d=1d, 365d=7d"
      [schedule]
      every = "6h"
      full_every = "7d"

    \b
    Examples:
      xdd-archive config
      XDD_DOWNLOAD_DELAY=3 xdd-archive config --json
    """
    rows = settings.rows()
    if as_json:
        print_json({"file": str(settings.path) if settings.path else None, "settings": rows})
        return
    console.print(f"Config file: {settings.path or '(none)'}", markup=False)
    # plain aligned lines, never folded: settings are read, copied and grepped
    name_width = max(len(row["name"]) for row in rows)
    value_width = max(len(row["value"]) for row in rows)
    for row in rows:
        origin = "file" if row["source"] == "file" else row["origin"]
        console.print(f"{row['name']:<{name_width}}  {row['value']:<{value_width}}  {origin}", markup=False)


COMMANDS = [schedule_group, status_command, config_command]
