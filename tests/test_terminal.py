"""The main job the way people run it: in an interactive terminal (a real pseudo-terminal, so the live
progress display is on), in a pipe, and from cron (no TERM, no HOME). Each command must give the same
result in all three; only the decoration differs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.terminal import command, cron_env, run_in_terminal, run_piped, user_env
from xdd_archive.replica import Replica

pytestmark = pytest.mark.slow


def archive_counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return {
            "articles": conn.execute("select count(*) from articles").fetchone()[0],
            "revisions": conn.execute("select count(*) from revisions").fetchone()[0],
            "failed_runs": conn.execute("select count(*) from crawl_runs where status != 'ok'").fetchone()[0],
        }
    finally:
        conn.close()


@pytest.fixture(scope="module")
def site():
    with Replica(articles=15, seed=7, theme="old") as replica:
        yield replica


def crawl_args(site: Replica, db: Path, *extra: str) -> list[str]:
    return command("crawl", "--site", "replica", "--base-url", site.base_url, "--db", str(db), *extra)


def test_a_crawl_in_a_terminal_shows_live_progress_and_archives_every_article(site, tmp_path):
    db = tmp_path / "tty.db"
    ran = run_in_terminal(crawl_args(site, db))
    assert ran.returncode == 0, ran.screen
    assert "Traceback" not in ran.screen and "reactor" not in ran.screen
    # the live display drew its counters before the summary replaced it
    assert "requests" in ran.screen and "\x1b[" in ran.output
    assert "Crawl of replica: run 1 ok" in ran.screen
    assert archive_counts(db) == {"articles": 15, "revisions": 15, "failed_runs": 0}


@pytest.mark.parametrize("how", ["terminal", "pipe", "cron"])
def test_the_same_crawl_gives_the_same_archive_in_a_terminal_a_pipe_and_cron(site, tmp_path, how):
    db = tmp_path / f"{how}.db"
    args = crawl_args(site, db, "--json")
    if how == "terminal":
        ran = run_in_terminal(args)
    elif how == "pipe":
        ran = run_piped(args)
    else:
        ran = run_piped(args, env=cron_env(), cwd=tmp_path)
    assert ran.returncode == 0, ran.screen
    assert archive_counts(db) == {"articles": 15, "revisions": 15, "failed_runs": 0}


def test_export_and_import_warc_in_a_terminal_match_their_piped_twins(site, tmp_path):
    db = tmp_path / "source.db"
    assert run_piped(crawl_args(site, db, "--json")).returncode == 0
    warcs = {}
    for how, runner in (("terminal", run_in_terminal), ("pipe", run_piped)):
        out = tmp_path / f"{how}.warc.gz"
        ran = runner(command("export", "--db", str(db), "--format", "warc", "--out", str(out)))
        assert ran.returncode == 0 and "Traceback" not in ran.screen, ran.screen
        warcs[how] = out
        target = tmp_path / f"imported-{how}.db"
        ran = runner(command("import-warc", str(out), "--site", "replica", "--base-url", site.base_url,
                             "--db", str(target)))
        assert ran.returncode == 0 and "Traceback" not in ran.screen, ran.screen
        assert archive_counts(target)["articles"] == 15
    assert warcs["terminal"].stat().st_size > 0 and warcs["pipe"].stat().st_size > 0


def test_the_demo_runs_in_a_terminal_and_under_cron(tmp_path):
    ran = run_in_terminal(command("demo", "--articles", "6", "--db", str(tmp_path / "demo.db")))
    assert ran.returncode == 0, ran.screen
    assert "What changed" in ran.screen and "Traceback" not in ran.screen
    quiet = run_piped(command("demo", "--articles", "6", "--db", str(tmp_path / "cron-demo.db"), "--json"),
                      env=cron_env(), cwd=tmp_path)
    assert quiet.returncode == 0, quiet.output
    report = json.loads(quiet.output[quiet.output.index("{"):])
    assert report["second_crawl"]["status"] == "ok"


def test_the_scheduler_daemon_runs_its_crawls_in_a_terminal(site, tmp_path):
    db = tmp_path / "daemon.db"
    ran = run_in_terminal(
        command("schedule", "run", "--db", str(db), "--site", "replica", "--base-url", site.base_url,
                "--every", "1h"),
        env=user_env(),
        timeout=120,
        until=lambda screen: "crawl of replica: run 1 ok" in screen,
    )
    assert "crawl of replica: run 1 ok" in ran.screen, ran.screen
    assert ran.returncode == 0 and "Traceback" not in ran.screen, ran.screen
    assert archive_counts(db) == {"articles": 15, "revisions": 15, "failed_runs": 0}
