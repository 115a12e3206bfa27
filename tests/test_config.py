"""Settings: declared once, read from flags > environment > file > defaults, each saying where it came
from; bad values are one-line errors naming the setting and the file or variable."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from scheduler import schedule_from_config
from xdd_archive.cli import cli, main
from xdd_archive.config import BY_NAME, SETTINGS, format_duration, load_config, parse_duration, parse_tiers
from xdd_archive.errors import ConfigError
from xdd_archive.replica import Replica

from .conftest import run_cli

TOML = """\
site = "replica"
database = "data/archive.db"

[politeness]
download_delay = 2.5

[revisit]
tiers = "1d=10m, 30d=2h"
jitter = 0

[schedule]
every = "6h"
full_every = "7d"
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "xdd-archive.toml"
    path.write_text(TOML)
    return path


def test_every_setting_is_declared_once_with_a_default_help_and_env_var():
    assert len({s.name for s in SETTINGS}) == len(SETTINGS)
    assert len({s.env for s in SETTINGS}) == len(SETTINGS)
    assert len({s.flag for s in SETTINGS}) == len(SETTINGS)
    for setting in SETTINGS:
        assert setting.help and setting.env.startswith("XDD_") and setting.flag.startswith("--")
    defaults = load_config(env={})
    assert all(defaults.source(s.name) == "default" for s in SETTINGS)
    assert defaults["site"] == "xaydungdang"
    assert defaults["schedule.every"] is None
    assert defaults.revisit_policy().interval(timedelta(hours=1)) == timedelta(hours=1)
    assert defaults.revisit_policy().oldest == timedelta(days=30)


def test_flags_beat_environment_beat_file_beat_defaults(config_file):
    env = {"XDD_DOWNLOAD_DELAY": "4", "XDD_SITE": "xaydungdang"}
    settings = load_config(config_file, env=env, flags={"site": "replica", "politeness.download_delay": None})
    assert (settings["site"], settings.origin("site")) == ("replica", "flag --site")
    assert (settings["politeness.download_delay"], settings.origin("politeness.download_delay")) == (
        4.0, "env XDD_DOWNLOAD_DELAY")
    assert settings["schedule.every"] == timedelta(hours=6)
    assert settings.origin("schedule.every") == f"file {config_file}"
    assert (settings["crawl.keep_raw"], settings.source("crawl.keep_raw")) == ("changes", "default")
    # a relative database path in the file lives beside the file
    assert settings["database"] == str(config_file.parent / "data" / "archive.db")
    policy = settings.revisit_policy()
    assert policy.jitter == 0
    assert policy.interval(timedelta(hours=3)) == timedelta(minutes=10)
    assert policy.interval(timedelta(days=3)) == timedelta(hours=2)


def test_the_config_file_is_found_by_flag_then_env_then_current_directory(config_file, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert load_config(env={}).path is None
    assert load_config(env={"XDD_CONFIG": str(config_file)}).path == config_file
    monkeypatch.chdir(config_file.parent)
    assert load_config(env={}).path == config_file
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml", env={})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[politeness]\ndownload_delay = 'fast'\n", "politeness.download_delay: expected a number"),
        ("[revisit]\njitter = 0.9\n", "revisit.jitter: expected a number between 0 and 0.5"),
        ("[revisit]\ntiers = '14d=6h, 2d=1h'\n", "revisit.tiers: ages must increase"),
        ("[schedule]\nevery = 'often'\n", "schedule.every: expected a duration"),
        ("[schedule]\ncron = '0 */6 * *'\n", "schedule.cron: expected a crontab line"),
        ("[schedule]\ntimezone = 'Mars/Olympus'\n", "schedule.timezone: expected a time zone"),
        ("[politness]\ndownload_delay = 1\n", "unknown setting 'politness.download_delay'; did you mean "
                                              "'politeness.download_delay'"),
        ("site = \n", "not valid TOML"),
    ],
)
def test_a_bad_file_is_a_one_line_error_naming_the_file_and_the_setting(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_bad_environment_variable_or_flag_names_itself():
    with pytest.raises(ConfigError, match=r"^environment variable XDD_MAX_REQUESTS: crawl.max_requests: "):
        load_config(env={"XDD_MAX_REQUESTS": "0"})
    with pytest.raises(ConfigError, match=r"^flag --time-limit: schedule.time_limit: "):
        load_config(env={}, flags={"schedule.time_limit": "soon"})
    # an empty variable means "not set"
    assert load_config(env={"XDD_BASE_URL": ""})["base_url"] is None


def test_durations_and_revisit_tiers_read_and_print_back():
    assert parse_duration("2s") == timedelta(seconds=2)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("2w") == timedelta(days=14)
    assert parse_duration(90) == timedelta(seconds=90)
    assert parse_duration("45") == timedelta(seconds=45)
    for bad in ("", "6 hours", "h", "1x", True):
        with pytest.raises(ValueError):
            parse_duration(bad)
    assert [format_duration(parse_duration(t)) for t in ("7d", "1h30m", "2s", "1d6h")] == ["7d", "1h30m", "2s", "1d6h"]
    tiers = parse_tiers("2d=1h, 14d=6h")
    assert tiers == ((timedelta(days=2), timedelta(hours=1)), (timedelta(days=14), timedelta(hours=6)))
    assert parse_tiers({"2d": "1h", "14d": "6h"}) == tiers
    assert BY_NAME["revisit.tiers"].show(tiers) == "2d=1h, 14d=6h"


def test_a_schedule_is_every_or_cron_and_the_stronger_source_wins(config_file):
    from_file = schedule_from_config(load_config(config_file, env={}))
    assert from_file is not None
    assert (from_file.site, from_file.every, from_file.full_every) == ("replica", timedelta(hours=6), timedelta(days=7))
    flag_cron = schedule_from_config(load_config(config_file, env={}, flags={"schedule.cron": "0 3 * * *"}))
    assert flag_cron is not None and (flag_cron.every, flag_cron.cron) == (None, "0 3 * * *")
    with pytest.raises(ConfigError, match="give one of them"):
        schedule_from_config(load_config(env={}, flags={"schedule.every": "1h", "schedule.cron": "0 3 * * *"}))
    assert schedule_from_config(load_config(env={})) is None


def test_config_command_prints_each_setting_and_where_it_came_from(config_file):
    env = {"XDD_REVISIT_OLDEST": "60d", "XDD_DB": None, "XDD_CONFIG": None}
    result = CliRunner().invoke(cli, ["config", "--json", "--config", str(config_file), "--every", "2h"], env=env)
    data = json.loads(result.stdout)
    assert data["file"] == str(config_file)
    rows = {row["name"]: row for row in data["settings"]}
    assert set(rows) == set(BY_NAME)
    assert (rows["schedule.every"]["value"], rows["schedule.every"]["origin"]) == ("2h", "flag --every")
    assert (rows["revisit.oldest"]["value"], rows["revisit.oldest"]["origin"]) == ("60d", "env XDD_REVISIT_OLDEST")
    assert (rows["site"]["value"], rows["site"]["source"]) == ("replica", "file")
    assert (rows["crawl.keep_raw"]["value"], rows["crawl.keep_raw"]["source"]) == ("changes", "default")
    human = CliRunner().invoke(cli, ["config", "--config", str(config_file)], env=env).stdout
    assert re.search(r"^politeness\.download_delay +2\.5 +file$", human, re.MULTILINE)


def test_a_bad_flag_value_is_one_line_and_exit_status_2(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["crawl", "--site", "replica", "--download-delay", "fast"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == ("xdd-archive: error: flag --download-delay: politeness.download_delay: "
                                       "expected a number, got 'fast'\n")


@pytest.mark.slow
def test_a_crawl_takes_site_database_and_revisit_policy_from_the_file_and_flags_override(tmp_path):
    config = tmp_path / "conf" / "xdd-archive.toml"
    config.parent.mkdir()
    now = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    with Replica(articles=10, seed=6, theme="portal") as site:
        config.write_text(f'site = "replica"\nbase_url = "{site.base_url}"\ndatabase = "archive.db"\n'
                          '[revisit]\ntiers = "100000d=5h"\njitter = 0\n[crawl]\nmax_requests = 3\n')
        done = run_cli("crawl", "--json", "--max-requests", "100000",
                       env={"XDD_CONFIG": str(config), "XDD_NOW": now.isoformat(), "XDD_MAX_REQUESTS": "5"})
    report = json.loads(done.stdout)
    assert report["status"] == "ok" and report["stats"]["new_articles"] == 10  # the flag beat env and file
    db = sqlite3.connect(config.parent / "archive.db")  # where the file said, beside it
    try:
        checks = {row[0] for row in db.execute("select next_check_at from articles")}
    finally:
        db.close()
    assert checks == {(now + timedelta(hours=5)).replace(tzinfo=None).isoformat(" ", "microseconds")}
