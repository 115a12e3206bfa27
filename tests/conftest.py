"""Shared fixtures: a replica on a free port, crawls as real child processes, the archive as SQLite."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from xdd_archive.replica import Replica

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 180,
            check: int | None = 0) -> subprocess.CompletedProcess[str]:
    """``xdd-archive ARGS`` in a child process (as a user runs it); asserts the exit status if given."""
    # a test never inherits the user's archive or a frozen clock
    full_env = {k: v for k, v in os.environ.items() if k not in ("XDD_DB", "XDD_NOW")}
    full_env.update(env or {})
    done = subprocess.run([sys.executable, "-m", "xdd_archive.cli", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=ROOT)
    if check is not None:
        assert done.returncode == check, f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "archive.db"


@pytest.fixture
def replica() -> Iterator[Replica]:
    """A 60-article replica in the old site's theme, on a free port."""
    with Replica(articles=60, seed=1, theme="old") as site:
        yield site


@pytest.fixture
def crawl(db_path: Path):
    """Run one real crawl of a replica into ``db_path`` in a child process; returns its JSON report."""

    def _crawl(site: Replica, *extra: str, expect: int = 0, env: dict[str, str] | None = None) -> dict[str, Any]:
        done = run_cli("crawl", "--site", "replica", "--base-url", site.base_url, "--db", str(db_path),
                       "--json", *extra, env=env, check=expect)
        return json.loads(done.stdout)

    return _crawl


@pytest.fixture
def sql(db_path: Path):
    """Query the archive file directly with sqlite3: ``sql("select ...", *params)`` -> list of rows."""

    def _sql(query: str, *params: Any) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(db_path)
        try:
            return conn.execute(query, params).fetchall()
        finally:
            conn.close()

    return _sql
