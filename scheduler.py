"""Unattended periodic crawling: persistent APScheduler jobs that launch crawls as child processes.

The jobs live in the archive database itself (APScheduler 3's SQLAlchemy job store, table
``apscheduler_jobs``), so schedules survive restarts and upgrades. A job names its function by text
(``scheduler:run_scheduled_crawl``) and carries plain keyword arguments only (site, base URL, request
cap, full-pass period), so code can change under a stored job. One job per site, id ``crawl:<site>``:
adding a schedule for a site again replaces its job (or leaves it alone when nothing changed).

The daemon (:func:`run_daemon`, ``xdd-archive schedule run``) is one ``BlockingScheduler`` in the
foreground, at most one per database (a lock file beside it). Each crawl is a child process
(:class:`xdd_archive.crawljob.CrawlJob`: ``python -m xdd_archive.crawljob JOB``, which builds its options
with the same function as ``xdd-archive crawl``): Twisted's reactor cannot restart, and a child can be
stopped. Jobs run with ``max_instances=1`` and ``coalesce=True``; a run missed while the daemon was
down happens once on restart if it is at most ``schedule.misfire_grace`` late. A child that outlives
``schedule.time_limit`` is stopped. SIGTERM or SIGINT to the daemon sends SIGTERM to the running
children (Scrapy then closes the spider and its run is recorded ``interrupted``), waits up to
``schedule.stop_timeout``, kills what is left, marks their runs interrupted, and exits 0.

Full passes (``--full-every 7d``): before each scheduled crawl, the job looks for the last full crawl
of the site in ``crawl_runs`` (scheduled or manual) that ran to its end or until it was stopped; when
there is none, or it started longer ago than the period, this crawl runs with ``--full`` (every
listing page, every known article, those checked longest ago first).

Example::

    archive = open_archive("archive.db")
    add_schedule(archive, Schedule(site="replica", base_url="http://127.0.0.1:8765",
                                   every=timedelta(hours=6), full_every=timedelta(days=7)))
    list_schedules(archive)[0].next_run_time
    status_report(archive).warnings
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import itertools
import json
import logging
import os
import pickle
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import inspect, text

from crawler.sites import get_profile
from storage.db import Archive
from storage.models import utcnow
from storage.runs import STALE_AFTER, interrupt_runs_of
from storage.status import (
    RunSummary,
    article_count,
    due_count,
    first_started_at,
    last_run,
    recent_runs,
    summary_line,
)
from xdd_archive.config import BY_NAME, Config, format_duration
from xdd_archive.crawljob import CrawlJob
from xdd_archive.cron import crontab_trigger
from xdd_archive.errors import ConfigError, CrawlLocked, DaemonRunning, NotFound
from xdd_archive.logs import level_of_line

__all__ = [
    "JOB_FUNC",
    "DaemonRunning",
    "JobInfo",
    "Schedule",
    "StatusReport",
    "add_schedule",
    "crontab_trigger",
    "daemon_pid",
    "list_schedules",
    "log_file_for",
    "needs_full_pass",
    "remove_schedule",
    "run_daemon",
    "run_scheduled_crawl",
    "schedule_from_config",
    "status_report",
]

log = logging.getLogger(__name__)
crawl_log = logging.getLogger(__name__ + ".crawl")

JOB_FUNC = "scheduler:run_scheduled_crawl"
JOB_PREFIX = "crawl:"
JOBS_TABLE = "apscheduler_jobs"
LOG_FILE = "xdd-archive.log"
# How often the daemon looks at the job store for jobs added, changed or removed by other processes.
POLL_SECONDS = 5.0


# -- schedules ------------------------------------------------------------------------------------


def _local_zone() -> tzinfo:
    try:
        from tzlocal import get_localzone

        return get_localzone()
    except Exception:  # no usable local zone (a bare container): UTC is a fine default for intervals
        return UTC


def _zone(name: str | None) -> tzinfo:
    if not name:
        return _local_zone()
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def describe_trigger(trigger: Any) -> str:
    """``every 6h``, ``cron 0 */6 * * * (Asia/Ho_Chi_Minh)``, or APScheduler's own text."""
    if isinstance(trigger, IntervalTrigger):
        return f"every {format_duration(trigger.interval)}"
    if isinstance(trigger, CronTrigger):
        fields = {f.name: str(f) for f in trigger.fields}
        line = " ".join(fields[name] for name in ("minute", "hour", "day", "month", "day_of_week"))
        return f"cron {line} ({trigger.timezone})"
    return str(trigger)


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """A periodic crawl of one site: ``every`` (an interval) or ``cron`` (a crontab line), not both."""

    site: str
    base_url: str | None = None
    every: timedelta | None = None
    cron: str | None = None
    timezone: str | None = None
    full_every: timedelta | None = None
    max_requests: int | None = None
    allow_private: bool = False
    misfire_grace: timedelta = timedelta(days=1)

    def __post_init__(self) -> None:
        if (self.every is None) == (self.cron is None):
            raise ConfigError("a schedule needs either --every DURATION or --cron CRONTAB (one of them)")
        if self.every is not None and self.every < timedelta(seconds=1):
            raise ConfigError(f"--every {format_duration(self.every)} is shorter than a second")
        try:
            self.trigger()
        except (ValueError, LookupError) as exc:  # a bad crontab line or time zone name
            raise ConfigError(f"bad schedule: {exc}") from None

    @property
    def id(self) -> str:
        return JOB_PREFIX + self.site

    @property
    def description(self) -> str:
        """``every 6h`` or ``cron 0 */6 * * * (Asia/Ho_Chi_Minh)``; shown by ``schedule list``."""
        return describe_trigger(self.trigger())

    def trigger(self) -> BaseTrigger:
        zone = _zone(self.timezone)
        if self.every is not None:
            return IntervalTrigger(seconds=self.every.total_seconds(), timezone=zone)
        assert self.cron is not None
        return crontab_trigger(self.cron, zone)

    def job_kwargs(self) -> dict[str, Any]:
        """What the stored job hands :func:`run_scheduled_crawl`: plain values only, so the job
        store unpickles them whatever the code looks like by then."""
        return {
            "site": self.site,
            "base_url": self.base_url,
            "max_requests": self.max_requests,
            "allow_private": self.allow_private,
            "full_every": self.full_every.total_seconds() if self.full_every else None,
        }


def schedule_from_config(settings: Config, *, allow_private: bool = False) -> Schedule | None:
    """The schedule the settings describe (``schedule.every`` or ``schedule.cron``), or None.

    When both are set, the one from the stronger source wins (a ``--cron`` flag over an ``every`` in
    the file); both from the same source is an error.
    """
    every, cron = settings["schedule.every"], settings["schedule.cron"]
    if every is not None and cron is not None:
        if settings.rank("schedule.every") == settings.rank("schedule.cron"):
            raise ConfigError(
                f"both schedule.every ({settings.origin('schedule.every')}) and schedule.cron "
                f"({settings.origin('schedule.cron')}) are set; give one of them"
            )
        if settings.rank("schedule.every") > settings.rank("schedule.cron"):
            cron = None
        else:
            every = None
    if every is None and cron is None:
        shaping = ("site", "base_url", "schedule.full_every", "crawl.max_requests", "schedule.timezone",
                   "schedule.misfire_grace")
        given = [BY_NAME[name].flag for name in shaping if settings.source(name) == "flag"]
        if given:
            raise ConfigError(f"{', '.join(given)} describe a schedule: give --every or --cron with them")
        return None
    return Schedule(
        site=settings["site"],
        base_url=settings["base_url"],
        every=every,
        cron=cron,
        timezone=settings["schedule.timezone"],
        full_every=settings["schedule.full_every"],
        max_requests=settings["crawl.max_requests"],
        allow_private=allow_private,
        misfire_grace=settings["schedule.misfire_grace"],
    )


@dataclass(frozen=True)
class JobInfo:
    """A stored job as ``schedule list`` and ``status`` show it."""

    id: str
    site: str | None
    schedule: str
    next_run_time: datetime | None
    # the longest gap between two runs (for "the archive has silently stopped"); None if unknown
    interval: timedelta | None
    base_url: str | None = None
    full_every: timedelta | None = None
    max_requests: int | None = None
    allow_private: bool = False
    misfire_grace: timedelta | None = None
    error: str | None = None
    # the job's trigger, to tell when the next runs are due (not shown)
    trigger: BaseTrigger | None = field(default=None, repr=False, compare=False)

    def overdue(self, since: datetime, now: datetime) -> bool:
        """True when the schedule should have run at least twice since ``since`` (a crawl's end):
        the second fire time after it is past. Follows the trigger itself, so a weekday-only or
        office-hours cron does not raise alarms over a weekend or a night."""
        if self.trigger is None or isinstance(self.trigger, IntervalTrigger):
            return self.interval is not None and now - since > 2 * self.interval
        first = self.trigger.get_next_fire_time(None, since)
        if first is None:
            return False
        second = self.trigger.get_next_fire_time(first, first + timedelta(microseconds=1))
        return second is not None and second < now

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("trigger")
        for key in ("interval", "full_every", "misfire_grace"):
            data[key] = format_duration(data[key]) if data[key] is not None else None
        return data


def _longest_gap(trigger: BaseTrigger, now: datetime) -> timedelta | None:
    if isinstance(trigger, IntervalTrigger):
        return trigger.interval
    fires: list[datetime] = []
    previous: datetime | None = None
    moment = now
    for _ in range(24):  # for display: the longest gap over the next runs (status uses the trigger itself)
        fire = trigger.get_next_fire_time(previous, moment)
        if fire is None:
            break
        fires.append(fire)
        previous, moment = fire, fire + timedelta(microseconds=1)
    gaps = [b - a for a, b in itertools.pairwise(fires)]
    return max(gaps) if gaps else None


def _job_info(job_id: str, next_run: float | None, state_bytes: bytes, now: datetime) -> JobInfo:
    when = datetime.fromtimestamp(next_run, UTC) if next_run is not None else None
    try:
        # the stored state (a dict), not a Job: reading must never need, or alter, a running scheduler
        state = pickle.loads(state_bytes)
    except Exception as exc:
        return JobInfo(job_id, None, "?", when, None, error=f"unreadable job: {type(exc).__name__}: {exc}")
    kwargs = state.get("kwargs") or {}
    trigger = state.get("trigger")
    full_every = kwargs.get("full_every")
    grace = state.get("misfire_grace_time")
    return JobInfo(
        id=job_id,
        site=kwargs.get("site"),
        schedule=describe_trigger(trigger),
        next_run_time=when,
        interval=_longest_gap(trigger, now) if isinstance(trigger, BaseTrigger) else None,
        base_url=kwargs.get("base_url"),
        full_every=timedelta(seconds=full_every) if full_every else None,
        max_requests=kwargs.get("max_requests"),
        allow_private=bool(kwargs.get("allow_private")),
        misfire_grace=timedelta(seconds=grace) if grace is not None else None,
        error=None if state.get("func") == JOB_FUNC else f"not a crawl job ({state.get('func')})",
        trigger=trigger if isinstance(trigger, BaseTrigger) else None,
    )


def list_schedules(archive: Archive) -> list[JobInfo]:
    """Every stored job, soonest first (paused jobs last), read straight from the job store table."""
    with archive.engine.connect() as conn:
        if not inspect(conn).has_table(JOBS_TABLE):
            return []
        rows = conn.execute(
            text(f"SELECT id, next_run_time, job_state FROM {JOBS_TABLE} ORDER BY next_run_time IS NULL, next_run_time, id")
        ).all()
    now = datetime.now(UTC)
    return [_job_info(row.id, row.next_run_time, row.job_state, now) for row in rows]


class _JobStoreEditor(BaseScheduler):
    """A scheduler that never runs anything: no loop, no thread. It only adds and removes jobs in
    the store, from any process (a paused BackgroundScheduler would, on shutdown, still process
    the due jobs once and move their next run time)."""

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait=False)

    def wakeup(self) -> None:
        pass


@contextlib.contextmanager
def _job_store_session(archive: Archive, zone: tzinfo | None = None) -> Iterator[BaseScheduler]:
    """A job store editor on the archive's job store; the daemon picks changes up within POLL_SECONDS."""
    store = SQLAlchemyJobStore(engine=archive.engine, tablename=JOBS_TABLE)
    session = _JobStoreEditor(jobstores={"default": store}, timezone=zone or _local_zone())
    session.start(paused=True)
    try:
        yield session
    finally:
        session.shutdown(wait=False)


def add_schedule(archive: Archive, schedule: Schedule) -> tuple[JobInfo, str]:
    """Store ``schedule`` as the job ``crawl:<site>``; returns its info and what happened:
    ``added``, ``replaced`` (a different schedule of the site was there) or ``unchanged``.

    A new or changed interval schedule runs first as soon as the daemon runs; a cron one at its
    next time. An unchanged one keeps its next run time (so re-adding, or a daemon restart, never
    makes an extra run).
    """
    get_profile(schedule.site, schedule.base_url)  # an unknown site or a bad URL fails now, not at 3 am
    with _job_store_session(archive, _zone(schedule.timezone)) as session:
        existing = session.get_job(schedule.id)
        grace = int(schedule.misfire_grace.total_seconds())
        name = f"crawl of {schedule.site} ({schedule.description})"
        if existing is not None and (existing.name, existing.kwargs, existing.misfire_grace_time) == (
            name, schedule.job_kwargs(), grace
        ):
            outcome = "unchanged"
        else:
            options: dict[str, Any] = {}
            if schedule.every is not None:
                options["next_run_time"] = datetime.now(UTC)
            session.add_job(
                JOB_FUNC,
                trigger=schedule.trigger(),
                id=schedule.id,
                name=name,
                kwargs=schedule.job_kwargs(),
                max_instances=1,
                coalesce=True,
                misfire_grace_time=grace,
                replace_existing=True,
                **options,
            )
            outcome = "added" if existing is None else "replaced"
    info = next(j for j in list_schedules(archive) if j.id == schedule.id)
    log.info("schedule %s %s: %s", schedule.id, outcome, schedule.description)
    return info, outcome


def remove_schedule(archive: Archive, job: str) -> str:
    """Remove the job ``job`` (its id ``crawl:SITE``, or just the site's name); returns its id.

    Raises :class:`errors.NotFound` when there is no such job. A crawl it started goes on to its end.
    """
    ids = {j.id for j in list_schedules(archive)}
    job_id = job if job in ids else JOB_PREFIX + job
    if job_id not in ids:
        known = ", ".join(sorted(ids)) or "none"
        raise NotFound(f"no schedule {job!r} (schedules: {known})")
    with _job_store_session(archive) as session:
        try:
            session.remove_job(job_id)
        except JobLookupError:  # removed by someone else meanwhile: the wish is fulfilled
            pass
    return job_id


# -- the daemon's lock and log -------------------------------------------------------------------


def _beside_database(archive: Archive, suffix: str) -> Path:
    """A file next to a SQLite archive; for a server database, a per-URL file in the temp directory
    (which then guards this machine only)."""
    path = archive.path
    if path is not None:
        return path.with_name(path.name + suffix)
    digest = hashlib.sha256(archive.url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"xdd-archive-{digest}{suffix}"


def daemon_lock_path(archive: Archive) -> Path:
    return _beside_database(archive, ".scheduler-lock")


def log_file_for(archive: Archive) -> Path:
    """Where the daemon logs: ``<archive file>.log`` beside a SQLite archive (one log per archive, as
    two daemons rotating one file would clash), else ``xdd-archive.log`` in the current directory."""
    path = archive.path
    return path.with_name(path.name + ".log") if path is not None else Path(LOG_FILE).resolve()


@contextlib.contextmanager
def _daemon_lock(archive: Archive) -> Iterator[Path]:
    path = daemon_lock_path(archive)
    handle = open(path, "a+")  # noqa: SIM115 - held for the daemon's lifetime, closed in finally
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise DaemonRunning(
                f"a scheduler daemon (pid {holder}) already runs on {archive.path or archive.url}; "
                "not starting a second one"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield path
    finally:
        handle.close()  # closing releases the flock


def daemon_pid(archive: Archive) -> int | None:
    """The pid of the daemon serving this archive (this machine), or None when none runs."""
    path = daemon_lock_path(archive)
    if not path.exists():
        return None
    with open(path) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            content = handle.read().strip()
            return int(content) if content.isdigit() else -1
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


# -- running a scheduled crawl ----------------------------------------------------------------------


def needs_full_pass(archive: Archive, site: str, full_every: timedelta | None, now: datetime | None = None) -> bool:
    """Whether a scheduled crawl of ``site`` should be a full pass: no full crawl has run in the last
    ``full_every``. One that ran to its end or until it was stopped (its time limit, SIGTERM) counts:
    restarting a pass too big for the time limit on every run would starve the incremental crawls,
    and the next pass revisits the articles checked longest ago first. A crashed one does not count."""
    if not full_every:
        return False
    with archive.read() as session:
        runs = [last_run(session, site, status=status, full=True) for status in ("ok", "interrupted")]
    started = [run.started_at for run in runs if run is not None]
    return not started or (now or utcnow()) - max(started) >= full_every


@dataclass(eq=False)
class _Child:
    """A running crawl child process and its stop protocol (SIGTERM once, then SIGKILL)."""

    job_id: str
    site: str
    process: subprocess.Popen[bytes]
    started: float = field(default_factory=time.monotonic)
    stdout: list[bytes] = field(default_factory=list)
    stop_reason: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def request_stop(self, reason: str) -> None:
        """SIGTERM, once: a second SIGTERM would make Scrapy stop uncleanly."""
        with self._lock:
            if self.stop_reason is not None:
                return
            self.stop_reason = reason
        if self.process.poll() is None:
            log.warning("stopping the crawl of %s (pid %s): %s", self.site, self.process.pid, reason)
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        if self.process.poll() is None:
            log.error("the crawl of %s (pid %s) did not stop; killing it", self.site, self.process.pid)
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()

    def stop(self, reason: str, timeout: float) -> None:
        """Ask the child to stop, wait up to ``timeout`` seconds, then kill it."""
        self.request_stop(reason)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.process.wait()


@dataclass
class _Daemon:
    """What the job function needs from the running daemon (set by :func:`run_daemon`)."""

    archive: Archive
    config_path: Path | None
    time_limit: timedelta
    stop_timeout: timedelta
    children: set[_Child] = field(default_factory=set)
    stopping: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def spawn(self, job_id: str, site: str, command: list[str]) -> _Child | None:
        """Start a crawl child, unless the daemon is stopping."""
        with self.lock:
            if self.stopping:
                return None
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                # its own session: a Ctrl-C in the daemon's terminal must not reach the child too
                # (a second SIGINT makes Scrapy stop uncleanly); the daemon relays one SIGTERM
                start_new_session=True,
            )
            child = _Child(job_id, site, process)
            self.children.add(child)
            return child

    def stop_all(self, reason: str) -> None:
        """Stop accepting work; stop every running child (in parallel), killing the stubborn ones."""
        with self.lock:
            self.stopping = True
            children = list(self.children)
        for child in children:
            child.request_stop(reason)
        deadline = time.monotonic() + self.stop_timeout.total_seconds()
        for child in children:
            try:
                child.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.process.wait()

    def kill_all(self) -> None:
        with self.lock:
            children = list(self.children)
        for child in children:
            child.kill()


_DAEMON: _Daemon | None = None


def _pump(stream: Any, sink: list[bytes] | None, site: str, pid: int) -> None:
    """Read a child's pipe to its end: keep stdout (its JSON report); log stderr lines as they come,
    its warnings and errors as such, its chatter (Scrapy's start-up banner) at DEBUG."""
    level = logging.WARNING
    for line in iter(stream.readline, b""):
        if sink is not None:
            sink.append(line)
            continue
        message = line.decode("utf-8", "replace").rstrip()
        found = level_of_line(message)  # None: the line continues the previous record
        if found is not None:
            level = logging.DEBUG if found <= logging.INFO else found
        if message:
            crawl_log.log(level, "[%s pid %s] %s", site, pid, message)
    stream.close()


def _report_line(report: dict[str, Any]) -> str:
    stats = report.get("stats") or {}
    seconds = report.get("seconds")
    took = f" in {seconds:.1f} s" if isinstance(seconds, (int, float)) else ""
    counts = summary_line(stats)
    return f"run {report.get('run_id')} {report.get('status')}{took}: {counts}"


def run_scheduled_crawl(
    site: str,
    base_url: str | None = None,
    max_requests: int | None = None,
    allow_private: bool = False,
    full_every: float | None = None,
    **unknown: Any,
) -> dict[str, Any] | None:
    """The job: one crawl of ``site`` in a child process, within the daemon's time limit.

    Returns the child's JSON report (None when it was skipped or produced none). Runs only inside
    :func:`run_daemon` (it needs the daemon's database, settings and children registry).
    """
    daemon = _DAEMON
    if daemon is None:
        raise RuntimeError("run_scheduled_crawl runs inside the scheduler daemon (xdd-archive schedule run)")
    if unknown:
        log.warning("schedule of %s: ignoring job arguments this version does not know: %s", site, sorted(unknown))
    job_id = JOB_PREFIX + site
    full = needs_full_pass(daemon.archive, site, timedelta(seconds=full_every) if full_every else None)
    job = CrawlJob(
        site=site,
        db=daemon.archive.url,
        base_url=base_url,
        config_path=str(daemon.config_path) if daemon.config_path else None,
        full=full,
        max_requests=max_requests,
        allow_private=allow_private,
        trigger="schedule",
    )
    child = daemon.spawn(job_id, site, job.command())
    if child is None:
        log.info("not starting a crawl of %s: the daemon is stopping", site)
        return None
    pid = child.process.pid
    log.info("crawl of %s started (pid %s%s)", site, pid, ", full pass" if full else "")
    pumps = [
        threading.Thread(target=_pump, args=(child.process.stdout, child.stdout, site, pid), daemon=True),
        threading.Thread(target=_pump, args=(child.process.stderr, None, site, pid), daemon=True),
    ]
    for pump in pumps:
        pump.start()
    try:
        try:
            child.process.wait(daemon.time_limit.total_seconds())
        except subprocess.TimeoutExpired:
            child.stop(f"time limit of {format_duration(daemon.time_limit)} reached",
                       daemon.stop_timeout.total_seconds())
        for pump in pumps:
            pump.join(timeout=10)
        return _after_child(daemon, child)
    finally:
        with daemon.lock:
            daemon.children.discard(child)


def _after_child(daemon: _Daemon, child: _Child) -> dict[str, Any] | None:
    code = child.process.returncode
    pid = child.process.pid
    how = f"exit status {code}" if code is not None and code >= 0 else f"signal {-(code or 0)}"
    # a child that died without closing its run (killed, or stopped before Scrapy started) would
    # hold the lock until the next crawl noticed its pid is gone: release it now
    error = f"crawl process {pid} ended ({how}) without closing its run"
    if child.stop_reason:
        error += f"; the scheduler stopped it: {child.stop_reason}"
    released = interrupt_runs_of(daemon.archive, pid, error=error)
    if released:
        log.warning("run %s of %s marked interrupted (the crawl process ended with %s)",
                    ", ".join(map(str, released)), child.site, how)
    report: dict[str, Any] | None = None
    output = b"".join(child.stdout).decode("utf-8", "replace").strip()
    if output:
        try:
            report = json.loads(output)
        except ValueError:
            log.warning("crawl of %s: unreadable report: %s", child.site, output[:200])
    if code == CrawlLocked.exit_code:
        log.warning("crawl of %s skipped: another crawl of the site is running", child.site)
    elif report is not None:
        level = logging.INFO if report.get("status") == "ok" else logging.WARNING
        log.log(level, "crawl of %s: %s", child.site, _report_line(report))
    else:
        log.error("crawl of %s failed (%s)", child.site, how)
    return report


def _on_missed(event: JobExecutionEvent) -> None:
    log.warning("the run of %s due at %s was missed (the daemon was down longer than the misfire grace)",
                event.job_id, event.scheduled_run_time)


class _Stop(BaseException):
    """Raised in the main thread by SIGTERM / SIGINT to leave the scheduler's loop."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def run_daemon(archive: Archive, settings: Config, *, on_start: Callable[[], None] | None = None) -> int:
    """Run the scheduler in the foreground until SIGTERM / SIGINT; returns the exit status (0).

    Raises :class:`DaemonRunning` when another daemon serves this archive. ``on_start`` runs once
    this daemon holds the archive (the CLI sets up logging there: a refused daemon prints only its
    one-line error); logging itself is the caller's business.
    """
    global _DAEMON
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("the scheduler daemon must run in the main thread (it handles signals)")
    with _daemon_lock(archive) as lock_path:
        if on_start is not None:
            on_start()
        configured = schedule_from_config(settings)
        if configured is not None:
            info, outcome = add_schedule(archive, configured)
            log.info("schedule from %s: %s %s (%s)", settings.origin("schedule.every")
                     if configured.every else settings.origin("schedule.cron"), info.id, outcome, info.schedule)
        zone = _zone(settings["schedule.timezone"])
        scheduler = BlockingScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=archive.engine, tablename=JOBS_TABLE)},
            executors={"default": ThreadPoolExecutor(max_workers=8)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(settings["schedule.misfire_grace"].total_seconds()),
            },
            timezone=zone,
        )
        scheduler.add_listener(_on_missed, EVENT_JOB_MISSED)
        _DAEMON = daemon = _Daemon(
            archive=archive,
            config_path=settings.path,
            time_limit=settings["schedule.time_limit"],
            stop_timeout=settings["schedule.stop_timeout"],
        )
        stopped = threading.Event()

        def poll() -> None:
            # other processes add and remove jobs in the store; look again now and then
            while not stopped.wait(POLL_SECONDS):
                if scheduler.running:
                    scheduler.wakeup()

        def on_signal(signum: int, _frame: Any) -> None:
            raise _Stop(signum)

        def on_second_signal(signum: int, _frame: Any) -> None:
            log.warning("%s again: killing the running crawls", signal.Signals(signum).name)
            daemon.kill_all()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        poller = threading.Thread(target=poll, name="xdd-scheduler-poll", daemon=True)
        jobs = list_schedules(archive)
        log.info("scheduler daemon started (pid %s, lock %s): %d schedule(s)%s", os.getpid(), lock_path, len(jobs),
                 "".join(f"; {j.id} {j.schedule}" for j in jobs))
        try:
            poller.start()
            scheduler.start()
        except _Stop as stop:
            for signum in previous:
                signal.signal(signum, on_second_signal)
            log.info("%s: stopping", stop)
            daemon.stop_all(f"the scheduler daemon received {stop}")
        finally:
            stopped.set()
            for signum in previous:
                signal.signal(signum, on_second_signal)
            if scheduler.running:
                daemon.stop_all("the scheduler daemon is stopping")
                scheduler.shutdown(wait=True)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            _DAEMON = None
            log.info("scheduler daemon stopped")
    return 0


# -- status ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusReport:
    """What ``xdd-archive status`` shows."""

    database: str
    now: datetime
    articles: int
    due: int
    daemon_pid: int | None
    schedules: list[JobInfo]
    runs: list[RunSummary]
    warnings: list[dict[str, str]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "now": self.now,
            "articles": self.articles,
            "due": self.due,
            "daemon": {"running": self.daemon_pid is not None, "pid": self.daemon_pid},
            "next_run": min((j.next_run_time for j in self.schedules if j.next_run_time), default=None),
            "schedules": [j.to_dict() for j in self.schedules],
            "runs": [r.to_dict() for r in self.runs],
            "warnings": self.warnings,
        }


def _ago(delta: timedelta) -> str:
    return format_duration(timedelta(seconds=int(delta.total_seconds())))


def status_report(archive: Archive, *, now: datetime | None = None, site: str | None = None,
                  runs: int = 10) -> StatusReport:
    """The last runs, the schedules and their next run, the articles due, and warnings: a schedule
    whose last successful crawl is older than twice its interval (the archive has silently stopped),
    schedules without a daemon, a running crawl whose heartbeat stopped."""
    now = now or utcnow()
    schedules = [j for j in list_schedules(archive) if site is None or j.site == site]
    warnings: list[dict[str, str]] = []
    with archive.read() as session:
        last = recent_runs(session, site=site, limit=runs)
        for job in schedules:
            if job.site is None or job.interval is None:
                continue
            limit = 2 * job.interval
            ok = last_run(session, job.site, status="ok", triggers=("manual", "schedule"))
            if ok is not None and job.overdue(ok.finished_at or ok.started_at, now):
                warnings.append({
                    "code": "stopped",
                    "site": job.site,
                    "message": f"the last successful crawl of {job.site} finished "
                               f"{_ago(now - (ok.finished_at or ok.started_at))} ago, "
                               + (f"more than twice the schedule's interval ({job.schedule})"
                                  if isinstance(job.trigger, IntervalTrigger) or job.trigger is None
                                  else f"and the schedule ({job.schedule}) has come round twice since")
                               + ": the archive may have silently stopped",
                })
            elif ok is None:
                first_at = first_started_at(session, job.site)
                if first_at is not None and now - first_at > limit:
                    warnings.append({
                        "code": "stopped",
                        "site": job.site,
                        "message": f"no crawl of {job.site} has succeeded yet, and the first started "
                                   f"{_ago(now - first_at)} ago ({job.schedule})",
                    })
        for run in last:
            beat = run.heartbeat_at or run.started_at
            if run.status == "running" and now - beat > STALE_AFTER:
                warnings.append({
                    "code": "dead-run",
                    "site": run.site,
                    "message": f"run {run.id} of {run.site} is marked running but its heartbeat is "
                               f"{_ago(now - beat)} old; the next crawl will take its lock over",
                })
        articles = article_count(session, site=site)
        due = due_count(session, now=now, site=site)
    pid = daemon_pid(archive)
    if schedules and pid is None:
        warnings.append({
            "code": "no-daemon",
            "site": site or "",
            "message": "schedules are set but no scheduler daemon runs on this archive "
                       "(start one with: xdd-archive schedule run)",
        })
    return StatusReport(
        database=str(archive.path or archive.url),
        now=now,
        articles=articles,
        due=due,
        daemon_pid=pid,
        schedules=schedules,
        runs=last,
        warnings=warnings,
    )
