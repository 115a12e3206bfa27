"""Crawl runs: their records in ``crawl_runs``, and the crawl lock built on them.

A run that is ``running`` holds the lock for its site. Another crawl of the same site may start only
when that holder is dead: its process is gone (same host), or its heartbeat is older than
``stale_after``. A taken-over run is marked ``interrupted``. Taking the lock is one ``BEGIN IMMEDIATE``
transaction, so two crawls starting at the same moment cannot both get it.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from storage.db import Archive
from storage.models import CrawlRun, utcnow
from xdd_archive.errors import CrawlLocked, NotFound

__all__ = ["HEARTBEAT_EVERY", "STALE_AFTER", "finish_run", "heartbeat", "interrupt_runs_of", "start_run"]

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = timedelta(seconds=10)
STALE_AFTER = timedelta(minutes=2)


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists on this host (zombies count as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _holder_is_dead(run: CrawlRun, now: datetime, stale_after: timedelta) -> str | None:
    """Why a running run no longer holds the lock, or None when it still does."""
    if run.hostname == socket.gethostname() and run.pid is not None and not pid_alive(run.pid):
        return f"its process {run.pid} is gone"
    beat = run.heartbeat_at or run.started_at
    if now - beat > stale_after:
        return f"its heartbeat is {int((now - beat).total_seconds())} s old"
    return None


def start_run(
    archive: Archive,
    *,
    site: str,
    trigger: str = "manual",
    options: dict[str, Any] | None = None,
    pid: int | None = None,
    stale_after: timedelta = STALE_AFTER,
    now: datetime | None = None,
) -> int:
    """Take the crawl lock for ``site`` and record a new running run; returns its id.

    Raises :class:`CrawlLocked` when a live crawl of the site holds the lock.
    """
    now = now or utcnow()
    with archive.write() as session:
        for run in session.scalars(select(CrawlRun).where(CrawlRun.site == site, CrawlRun.status == "running")):
            why = _holder_is_dead(run, now, stale_after)
            if why is None:
                raise CrawlLocked(
                    f"another crawl of {site!r} is running (run {run.id}, pid {run.pid} on {run.hostname}, "
                    f"started {run.started_at:%Y-%m-%d %H:%M:%S} UTC); not starting a second one"
                )
            log.warning("taking over the crawl lock of run %s: %s", run.id, why)
            run.status = "interrupted"
            run.finished_at = now
            run.error = f"lock taken over by a later crawl: {why}"
        run = CrawlRun(
            site=site,
            trigger=trigger,
            status="running",
            started_at=now,
            heartbeat_at=now,
            pid=pid if pid is not None else os.getpid(),
            hostname=socket.gethostname(),
            options=options or {},
            stats={},
        )
        session.add(run)
        session.flush()
        return run.id


def heartbeat(archive: Archive, run_id: int, stats: dict[str, Any] | None = None) -> bool:
    """Refresh the lock's heartbeat (and the run's running stats). False when the run no longer holds
    the lock (a later crawl took it over, thinking this one dead): the caller must stop."""
    with archive.write() as session:
        run = session.get(CrawlRun, run_id)
        if run is None:
            raise NotFound(f"no crawl run {run_id}")
        if run.status != "running":
            return False
        run.heartbeat_at = utcnow()
        if stats is not None:
            run.stats = dict(stats)
        return True


def interrupt_runs_of(archive: Archive, pid: int, *, error: str, hostname: str | None = None) -> list[int]:
    """Mark the runs still ``running`` under process ``pid`` (on this host) interrupted; returns their ids.

    For a supervisor (the scheduler daemon) whose child crawl died without closing its run, e.g. killed
    after it would not stop: the lock is released at once instead of waiting for the next crawl to
    find the dead pid. The caller must know the process is gone.
    """
    host = hostname or socket.gethostname()
    now = utcnow()
    with archive.write() as session:
        runs = list(session.scalars(
            select(CrawlRun).where(CrawlRun.status == "running", CrawlRun.pid == pid, CrawlRun.hostname == host)
        ))
        for run in runs:
            run.status = "interrupted"
            run.finished_at = now
            run.heartbeat_at = now
            run.error = error
        return [run.id for run in runs]


def finish_run(
    archive: Archive,
    run_id: int,
    *,
    status: str,
    stats: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Mark a run ok / failed / interrupted with its final stats; this releases the lock.

    A run whose lock was taken over meanwhile keeps the status it was given then (interrupted): it
    did not finish as the only crawl of its site, whatever it thinks."""
    with archive.write() as session:
        run = session.get(CrawlRun, run_id)
        if run is None:
            raise NotFound(f"no crawl run {run_id}")
        if run.status != "running":
            log.warning("run %s lost its lock before it ended (%s); keeping that status", run_id, run.status)
            if stats is not None:
                run.stats = dict(stats)
            return
        run.status = status
        run.finished_at = utcnow()
        run.heartbeat_at = run.finished_at
        if stats is not None:
            run.stats = dict(stats)
        if error is not None:
            run.error = error
