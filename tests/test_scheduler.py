"""Unattended crawling: persistent schedules, the daemon and its child crawls, the crawl lock, status.

The daemon tests run the real thing: ``xdd-archive schedule run`` as a process, launching real crawl
processes against the replica, stopped with real signals."""

from __future__ import annotations

import json
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scheduler import (
    JOB_FUNC,
    Schedule,
    add_schedule,
    crontab_trigger,
    list_schedules,
    needs_full_pass,
    remove_schedule,
    status_report,
)
from storage.db import open_archive
from storage.runs import STALE_AFTER, finish_run, start_run
from xdd_archive.cli import cli
from xdd_archive.errors import ConfigError, CrawlLocked, NotFound
from xdd_archive.replica import Replica

from .conftest import ROOT, run_cli

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
# commands run in this process must not see the user's archive, clock or config file
CLEAN = {"XDD_DB": None, "XDD_NOW": None, "XDD_CONFIG": None}


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("XDD_DB", "XDD_NOW", "XDD_CONFIG")}
    env.update(extra or {})
    return env


def wait_for(condition: Callable[[], Any], timeout: float, what: str, daemon: Daemon | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    log = f"\ndaemon output:\n{daemon.log()}" if daemon is not None else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}{log}")


def query(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    if not db.exists():
        return []
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:  # the schema is not there yet
        return []
    finally:
        conn.close()


def schedule(db: Path, **fields: Any) -> None:
    """Store a schedule (as `schedule add` does) in the archive at ``db``."""
    archive = open_archive(str(db))
    try:
        add_schedule(archive, Schedule(**fields))
    finally:
        archive.dispose()


@pytest.fixture
def small_replica() -> Iterator[Replica]:
    """A 12-article replica: crawls that take a second or two, even on a busy machine."""
    with Replica(articles=12, seed=5, theme="old") as site:
        yield site


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Any]:
    a = open_archive(str(tmp_path / "archive.db"))
    yield a
    a.dispose()


class Daemon:
    """``xdd-archive schedule run`` in a child process, its output in a file."""

    def __init__(self, db: Path, *args: str) -> None:
        self.output = db.parent / "daemon-output.txt"
        with open(self.output, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "xdd_archive.cli", "schedule", "run", "--db", str(db), *args],
                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=clean_env(),
            )

    def stop(self, timeout: float = 60) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def log(self) -> str:
        return self.output.read_text(errors="replace")

    def __enter__(self) -> Daemon:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


# -- schedules in the job store --------------------------------------------------------------------


def test_a_schedule_is_one_job_per_site_replaced_never_duplicated(archive):
    replica_every_6h = Schedule(site="replica", base_url="http://127.0.0.1:8765", every=timedelta(hours=6),
                                full_every=timedelta(days=7))
    info, outcome = add_schedule(archive, replica_every_6h)
    assert (info.id, outcome, info.schedule, info.interval) == ("crawl:replica", "added", "every 6h",
                                                                 timedelta(hours=6))
    assert info.full_every == timedelta(days=7) and info.base_url == "http://127.0.0.1:8765"
    first_run = info.next_run_time
    assert first_run is not None and abs((first_run - datetime.now(UTC)).total_seconds()) < 60

    time.sleep(0.05)
    again, outcome = add_schedule(archive, replica_every_6h)
    assert outcome == "unchanged" and again.next_run_time == first_run  # no extra run from re-adding

    _, outcome = add_schedule(archive, Schedule(site="replica", every=timedelta(minutes=30)))
    assert outcome == "replaced"
    add_schedule(archive, Schedule(site="xaydungdang", cron="0 */6 * * *", timezone="Asia/Ho_Chi_Minh"))
    jobs = {j.id: j for j in list_schedules(archive)}
    assert sorted(jobs) == ["crawl:replica", "crawl:xaydungdang"]
    assert jobs["crawl:replica"].schedule == "every 30m"
    assert jobs["crawl:xaydungdang"].schedule == "cron 0 */6 * * * (Asia/Ho_Chi_Minh)"
    assert jobs["crawl:xaydungdang"].interval == timedelta(hours=6)

    # what is stored: a textual function reference and plain arguments, readable by any later version
    with archive.engine.connect() as conn:
        (state,) = conn.exec_driver_sql("select job_state from apscheduler_jobs where id = 'crawl:replica'").one()
    job = pickle.loads(state)
    assert job["func"] == JOB_FUNC == "scheduler:run_scheduled_crawl"
    assert job["max_instances"] == 1 and job["coalesce"] is True and job["misfire_grace_time"] == 86400
    assert all(v is None or type(v) in (str, int, float, bool) for v in job["kwargs"].values())

    assert remove_schedule(archive, "replica") == "crawl:replica"
    assert [j.id for j in list_schedules(archive)] == ["crawl:xaydungdang"]
    with pytest.raises(NotFound, match="no schedule 'replica'"):
        remove_schedule(archive, "replica")


def test_cron_weekdays_mean_what_crontab_means():
    # APScheduler 3 counts weekdays from Monday = 0; a crontab's 1-5 is Monday to Friday
    trigger = crontab_trigger("0 9 * * 1-5", "UTC")
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, saturday) == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday
    sunday_night = crontab_trigger("30 23 * * 0", "UTC")
    assert sunday_night.get_next_fire_time(None, saturday).weekday() == 6
    assert crontab_trigger("0 0 * * 7", "UTC").get_next_fire_time(None, saturday).weekday() == 6
    with pytest.raises(ValueError):
        crontab_trigger("0 0 * *", "UTC")


def cli_json(*args: str) -> Any:
    """Run a command in this process (CliRunner) and parse its JSON output."""
    result = CliRunner().invoke(cli, [*args, "--json"], env=CLEAN)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_schedule_commands_add_list_remove_and_status(tmp_path):
    db = str(tmp_path / "a.db")
    added = cli_json("schedule", "add", "--db", db, "--site", "replica", "--every", "6h", "--full-every", "7d")
    assert (added["id"], added["outcome"], added["full_every"]) == ("crawl:replica", "added", "7d")
    listed = cli_json("schedule", "list", "--db", db)
    assert [(j["id"], j["schedule"]) for j in listed] == [("crawl:replica", "every 6h")]
    missing = CliRunner().invoke(cli, ["schedule", "add", "--db", db, "--site", "replica"], env=CLEAN)
    assert isinstance(missing.exception, ConfigError) and "give --every DURATION" in str(missing.exception)

    status = cli_json("status", "--db", db)
    assert (status["articles"], status["due"], status["runs"], status["daemon"]) == (
        0, 0, [], {"running": False, "pid": None})
    assert status["next_run"] == status["schedules"][0]["next_run_time"]
    assert [w["code"] for w in status["warnings"]] == ["no-daemon"]
    human = CliRunner().invoke(cli, ["status", "--db", db], env=CLEAN).stdout
    assert "Scheduler daemon: not running" in human and "crawl:replica" in human

    assert cli_json("schedule", "remove", "--db", db, "replica") == {"removed": "crawl:replica"}
    assert cli_json("schedule", "list", "--db", db) == []


def test_every_command_here_has_help_with_examples():
    for args in (["schedule"], ["schedule", "add"], ["schedule", "list"], ["schedule", "remove"],
                 ["schedule", "run"], ["status"], ["config"]):
        result = CliRunner().invoke(cli, [*args, "--help"])
        assert result.exit_code == 0 and "Examples:" in result.stdout, args


# -- full passes, status ---------------------------------------------------------------------------------


def _run(archive, monkeypatch, *, at: datetime, status: str = "ok", full: bool = False, site: str = "replica",
         seconds: float = 60) -> int:
    run_id = start_run(archive, site=site, options={"full": full}, now=at)
    monkeypatch.setenv("XDD_NOW", (at + timedelta(seconds=seconds)).isoformat())
    finish_run(archive, run_id, status=status)
    monkeypatch.delenv("XDD_NOW")
    return run_id


def test_a_scheduled_crawl_is_a_full_pass_when_the_last_successful_full_one_is_older_than_full_every(
        archive, monkeypatch):
    week = timedelta(days=7)
    assert needs_full_pass(archive, "replica", week, NOW)  # never had one
    assert not needs_full_pass(archive, "replica", None, NOW)
    _run(archive, monkeypatch, at=NOW - timedelta(days=3), full=True)
    _run(archive, monkeypatch, at=NOW - timedelta(days=1), full=True, status="failed")  # does not count
    _run(archive, monkeypatch, at=NOW - timedelta(hours=1))  # incremental: does not count
    assert not needs_full_pass(archive, "replica", week, NOW)
    assert needs_full_pass(archive, "replica", week, NOW + timedelta(days=4, minutes=1))
    assert needs_full_pass(archive, "replica", timedelta(days=2), NOW)


def test_status_warns_when_runs_have_stopped(archive, monkeypatch):
    add_schedule(archive, Schedule(site="replica", every=timedelta(hours=1)))
    _run(archive, monkeypatch, at=NOW - timedelta(hours=5))
    report = status_report(archive, now=NOW)
    stopped = [w for w in report.warnings if w["code"] == "stopped"]
    assert len(stopped) == 1 and stopped[0]["site"] == "replica"
    assert "finished 4h59m ago, more than twice the schedule's interval (every 1h)" in stopped[0]["message"]
    assert {w["code"] for w in report.warnings} == {"stopped", "no-daemon"}

    _run(archive, monkeypatch, at=NOW - timedelta(minutes=70))  # within two intervals: all is well
    assert [w["code"] for w in status_report(archive, now=NOW).warnings] == ["no-daemon"]
    assert [r.status for r in status_report(archive, now=NOW).runs] == ["ok", "ok"]


def test_status_warns_about_a_schedule_that_never_succeeded_and_a_run_that_stopped_beating(archive, monkeypatch):
    add_schedule(archive, Schedule(site="replica", every=timedelta(hours=1)))
    _run(archive, monkeypatch, at=NOW - timedelta(hours=3), status="failed")
    start_run(archive, site="replica", now=NOW - timedelta(minutes=30))  # our own pid: alive, but silent
    codes = [w["code"] for w in status_report(archive, now=NOW).warnings]
    assert codes == ["stopped", "dead-run", "no-daemon"]


# -- the crawl lock -----------------------------------------------------------------------------------------


def test_a_lock_whose_heartbeat_is_stale_is_taken_over(archive):
    holder = start_run(archive, site="replica", now=NOW)  # this very process: alive
    with pytest.raises(CrawlLocked, match=r"another crawl of 'replica' is running \(run 1"):
        start_run(archive, site="replica", now=NOW + STALE_AFTER - timedelta(seconds=1))
    start_run(archive, site="replica", now=NOW + STALE_AFTER + timedelta(seconds=1))
    with archive.engine.connect() as conn:
        status, error = conn.exec_driver_sql(f"select status, error from crawl_runs where id = {holder}").one()
    assert status == "interrupted" and "heartbeat is 121 s old" in error


@pytest.mark.slow
def test_two_crawls_at_once_one_runs_the_other_reports_the_lock_and_a_killed_holder_is_taken_over(
        small_replica, db_path, sql):
    replica = small_replica
    args = [sys.executable, "-m", "xdd_archive.cli", "crawl", "--site", "replica", "--base-url", replica.base_url,
            "--db", str(db_path), "--json"]
    open_archive(str(db_path)).dispose()  # the schema exists: both start from the same state
    replica.misbehave("slow", times=1)  # the winner's first request takes 3 s: the two surely overlap
    both = [subprocess.Popen(args, cwd=ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    results = [(p.wait(120), *p.communicate()) for p in both]
    assert sorted(code for code, _, _ in results) == [0, 75]
    _, _, stderr = next(r for r in results if r[0] == 75)
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("xdd-archive: error: another crawl of 'replica' is running (run 1,")
    assert sql("select id, status from crawl_runs") == [(1, "ok")]

    replica.SLOW_SECONDS = 1.0
    replica.misbehave("slow", times=None)
    holder = subprocess.Popen(args, cwd=ROOT, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: sql("select count(*) from crawl_runs where status = 'running'")[0][0], 30, "the crawl to start")
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    replica.clear_misbehaviour()
    report = json.loads(run_cli(*args[3:]).stdout)
    assert report["status"] == "ok"
    assert sql("select status, error from crawl_runs where id = 2") == [
        ("interrupted", f"lock taken over by a later crawl: its process {holder.pid} is gone")]


# -- the daemon ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_schedule_every_two_seconds_runs_real_crawls_and_survives_a_daemon_restart_once(tmp_path):
    db = tmp_path / "archive.db"
    with Replica(articles=6, seed=2, theme="new") as site:
        schedule(db, site="replica", base_url=site.base_url, every=timedelta(seconds=2))
        schedule(db, site="xaydungdang", cron="0 0 1 1 *")

        with Daemon(db) as daemon:
            # the clock starts once the daemon is up (starting Python is not the scheduler's business)
            wait_for(lambda: "scheduler daemon started" in daemon.log(), 30, "the daemon to start", daemon)
            started = time.monotonic()
            wait_for(lambda: query(db, "select count(*) from crawl_runs where status = 'ok'")[0][0] >= 2, 10,
                     "two scheduled crawls", daemon)
            assert time.monotonic() - started <= 10
            archive = open_archive(str(db))
            report = status_report(archive)
            archive.dispose()
            assert report.daemon_pid == daemon.process.pid and report.articles == 6
            assert "no-daemon" not in {w["code"] for w in report.warnings}
            # one daemon per archive
            second = run_cli("schedule", "run", "--db", str(db), check=75)
            assert second.stderr.strip() == (f"xdd-archive: error: a scheduler daemon (pid {daemon.process.pid}) "
                                             f"already runs on {db}; not starting a second one")
            assert daemon.stop() == 0

        runs = query(db, "select trigger, status from crawl_runs order by id")
        assert len(runs) >= 2 and {t for t, _ in runs} == {"schedule"}
        assert {s for _, s in runs} <= {"ok", "interrupted"}
        assert query(db, "select count(*) from articles") == [(6,)]

        # the same schedule given again to a restarted daemon changes nothing, and it carries on
        before = len(runs)
        with Daemon(db, "--site", "replica", "--base-url", site.base_url, "--every", "2s") as daemon:
            wait_for(lambda: query(db, "select count(*) from crawl_runs")[0][0] > before, 15,
                     "a crawl after the restart")
            assert sorted(query(db, "select id from apscheduler_jobs")) == [("crawl:replica",),
                                                                             ("crawl:xaydungdang",)]
            assert daemon.stop() == 0
        assert "schedule from flag --every: crawl:replica unchanged" in daemon.log()
    log_file = db.parent / (db.name + ".log")
    assert "crawl of replica: run 1 ok" in log_file.read_text()
    assert query(db, "select count(*) from crawl_runs where status = 'running'") == [(0,)]


@pytest.mark.slow
def test_sigterm_to_the_daemon_during_a_crawl_marks_it_interrupted_and_the_next_run_completes(
        small_replica, db_path, sql):
    replica = small_replica
    schedule(db_path, site="replica", base_url=replica.base_url, every=timedelta(hours=1))
    replica.SLOW_SECONDS = 1.0
    replica.misbehave("slow", times=None)  # every answer takes a second: the crawl is surely under way
    with Daemon(db_path) as daemon:
        wait_for(lambda: query(db_path, "select count(*) from crawl_runs where status = 'running'")[0][0]
                 and replica.requests, 30, "the scheduled crawl to be fetching")
        stopping = time.monotonic()
        assert daemon.stop() == 0
        assert time.monotonic() - stopping < 20
    assert sql("select status, error, trigger from crawl_runs") == [("interrupted", "crawl closed: shutdown",
                                                                     "schedule")]
    assert "stopping the crawl of replica" in daemon.log()
    # consistent: nothing half-written
    assert sql("pragma integrity_check") == [("ok",)]
    assert sql("pragma foreign_key_check") == []
    assert sql("select count(*) from articles where current_revision_id is null and status = 'live'") == [(0,)]

    replica.clear_misbehaviour()
    report = json.loads(run_cli("crawl", "--site", "replica", "--base-url", replica.base_url, "--db",
                                str(db_path), "--json").stdout)
    assert report["status"] == "ok"
    assert sql("select count(*), count(distinct key) from articles") == [(12, 12)]
    assert sql("select count(*) from revisions") == [(12,)]


@pytest.mark.slow
def test_a_crawl_over_its_time_limit_is_stopped_and_one_that_will_not_stop_is_killed(small_replica, db_path, sql):
    replica = small_replica
    schedule(db_path, site="replica", base_url=replica.base_url, every=timedelta(hours=1))
    replica.misbehave("slow", times=None)
    # 6 s to crawl (Scrapy is under way by then), 1 s to stop: Scrapy waits for its 3-second
    # requests to finish, so the daemon kills it
    with Daemon(db_path, "--time-limit", "6s", "--stop-timeout", "1s") as daemon:
        wait_for(lambda: query(db_path, "select status from crawl_runs") == [("interrupted",)], 30,
                 "the crawl to be stopped")
        assert daemon.process.poll() is None  # the daemon itself goes on
        assert daemon.stop() == 0
    (error,), = sql("select error from crawl_runs")
    assert "without closing its run; the scheduler stopped it: time limit of 6s reached" in error
    assert "did not stop; killing it" in daemon.log()


def test_a_cron_schedule_that_pauses_overnight_is_not_reported_stopped_at_night(archive, monkeypatch):
    # office hours, every 5 minutes; the last crawl ended at 17:56 and it is now 02:52 the next day
    add_schedule(archive, Schedule(site="replica", cron="*/5 8-17 * * *", timezone="UTC"))
    evening = datetime(2026, 6, 1, 17, 56, tzinfo=UTC)
    _run(archive, monkeypatch, at=evening)
    night = datetime(2026, 6, 2, 2, 52, tzinfo=UTC)
    assert "stopped" not in [w["code"] for w in status_report(archive, now=night).warnings]
    # by 08:10 the schedule has come round twice without a crawl: that is worth a warning
    morning = datetime(2026, 6, 2, 8, 11, tzinfo=UTC)
    assert "stopped" in [w["code"] for w in status_report(archive, now=morning).warnings]
