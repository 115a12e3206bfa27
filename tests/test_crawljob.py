"""A crawl built from settings, the same way wherever it starts: ``xdd-archive crawl``, the scheduler's
child process (``python -m xdd_archive.crawljob``) and the demo share one function; settings know
nothing of the command line or the scheduler; a crawl says what it did not check."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

import pytest

from xdd_archive.config import load_config
from xdd_archive.crawljob import CrawlJob, crawl_options
from xdd_archive.replica import Replica

from .conftest import ROOT, run_cli


def imported_by(module: str) -> set[str]:
    """The top-level modules a fresh interpreter has loaded after importing ``module``."""
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return set(done.stdout.split())


def test_settings_import_neither_click_nor_the_scheduler():
    loaded = imported_by("xdd_archive.config")
    assert "click" not in loaded
    assert "scheduler" not in loaded


def test_the_cron_module_imports_neither_settings_nor_the_scheduler():
    loaded = imported_by("xdd_archive.cron")
    assert not {"scheduler", "xdd_archive.config", "click"} & loaded


def test_a_job_builds_the_options_the_crawl_command_builds_from_the_same_flags(tmp_path, monkeypatch):
    config = tmp_path / "xdd-archive.toml"
    config.write_text('[politeness]\ndownload_delay = 3\n[revisit]\noldest = "60d"\n', encoding="utf-8")
    monkeypatch.setenv("XDD_USER_AGENT", "test-agent (me@example.org)")
    job = CrawlJob(site="replica", base_url="http://127.0.0.1:9", db=str(tmp_path / "a.db"),
                   config_path=str(config), full=True, max_requests=7, allow_private=True, trigger="schedule")
    as_flags = load_config(config, flags={"site": "replica", "base_url": "http://127.0.0.1:9",
                                          "database": str(tmp_path / "a.db"), "crawl.max_requests": 7})
    assert job.options() == crawl_options(as_flags, full=True, allow_private=True, trigger="schedule")
    options = job.options()
    assert (options.download_delay, options.policy.oldest.days, options.extra_settings["USER_AGENT"]) == \
        (3.0, 60, "test-agent (me@example.org)")


def test_a_job_travels_as_json_on_the_command_line_and_comes_back_equal():
    job = CrawlJob(site="replica", db="/tmp/x.db", full=True, max_requests=3)
    command = job.command()
    assert command[:4] == [sys.executable, "-P", "-m", "xdd_archive.crawljob"]
    assert CrawlJob.from_json(command[4]) == job


@pytest.mark.parametrize("spec,message", [
    ("not json", "a crawl job is a JSON object"),
    ('{"site": "replica", "colour": "red"}', "a crawl job takes"),
    ('{"site": "nosuchsite"}', "unknown site 'nosuchsite'"),
])
def test_a_bad_job_is_one_line_and_an_exit_status(spec, message):
    done = subprocess.run([sys.executable, "-P", "-m", "xdd_archive.crawljob", spec], capture_output=True,
                          text=True, cwd=ROOT)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("xdd-archive: error:") and message in lines[0], done.stderr


@pytest.mark.slow
def test_a_child_crawl_job_archives_the_site_and_prints_its_report(tmp_path):
    db = tmp_path / "a.db"
    with Replica(articles=5, seed=3, theme="old") as site:
        job = CrawlJob(site="replica", base_url=site.base_url, db=str(db), trigger="schedule")
        done = subprocess.run(job.command(), capture_output=True, text=True, cwd=tmp_path, timeout=180)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["status"], report["stats"]["new_articles"]) == ("ok", 5)


@pytest.mark.slow
def test_a_crawl_says_how_many_known_articles_it_did_not_check_and_when_they_are_due(tmp_path):
    db = tmp_path / "a.db"
    with Replica(articles=6, seed=3, theme="old") as site:
        args = ("crawl", "--site", "replica", "--base-url", site.base_url, "--db", str(db))
        run_cli(*args, "--json")
        # straight after: the replica's articles are years old, so none is due again for weeks
        again = json.loads(run_cli(*args, "--json").stdout)
        human = run_cli(*args).stdout
    left = again["not_checked"]
    assert left["not_due"] == 6 and left["left_due"] == 0
    assert datetime.fromisoformat(left["next_due_at"]).utcoffset() is not None
    assert "not checked: 6 known articles not due yet (next due " in human
    assert "+07); `xdd-archive crawl --full` rechecks every article" in human
