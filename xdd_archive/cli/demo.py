"""``xdd-archive demo``: the whole loop offline, against the replica, in well under a minute."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import click

from storage.db import open_archive
from storage.diff import diff_revisions, pick_revisions, render_inline
from storage.query import article_history, resolve_article
from storage.status import summary_line
from xdd_archive.cli.common import console, json_option, print_json
from xdd_archive.cli.history import print_inline_colour
from xdd_archive.crawljob import CrawlJob
from xdd_archive.errors import ArchiveError
from xdd_archive.replica import Replica

DEMO_DB = "xdd-demo.db"


def demo_crawl(db: Path, base_url: str, *, full: bool) -> dict[str, Any]:
    """One crawl in a child process (Twisted's reactor runs once per process); its JSON report."""
    job = CrawlJob(site="replica", base_url=base_url, db=str(db), full=full, trigger="demo")
    done = subprocess.run(job.command(), stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode not in (0, 1):
        raise ArchiveError(f"the demo crawl failed (exit {done.returncode})")
    return json.loads(done.stdout)


def _holds_only_demo_runs(db: Path) -> bool:
    """True when the file is an archive the demo made (every run in it a demo run)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            triggers = {t for (t,) in conn.execute("SELECT DISTINCT \"trigger\" FROM crawl_runs")}
        finally:
            conn.close()
    except sqlite3.Error:
        return False  # not an archive at all: not ours to replace either
    return triggers <= {"demo"}


def _summary(report: dict[str, Any]) -> str:
    return f"{summary_line(report['stats'])} ({report['seconds']:.1f} s)"


@click.command("demo")
@click.option("--articles", type=click.IntRange(min=2), default=30, show_default=True,
              help="How many articles the replica serves.")
@click.option("--db", "db_path", default=DEMO_DB, show_default=True, metavar="PATH",
              help="Where the demo archive goes (replaced on each run; never your real archive).")
@json_option
def demo_command(articles: int, db_path: str, as_json: bool) -> None:
    """Crawl a local replica, edit and delete articles on it, crawl again, show what changed.

    Offline, in well under a minute. It leaves the demo archive (./xdd-demo.db) to explore further.

    \b
    Example:
      xdd-archive demo
      xdd-archive articles --db xdd-demo.db
    """
    db = Path(db_path).resolve()
    if db.name == "xdd-archive.db" or (os.environ.get("XDD_DB") and Path(os.environ["XDD_DB"]).resolve() == db):
        raise ArchiveError(f"the demo never writes to your real archive ({db}); choose another --db")
    if db.exists() and not _holds_only_demo_runs(db):
        raise ArchiveError(f"{db} holds crawls that are not the demo's; the demo replaces its archive, so "
                           "choose another --db")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    say = (lambda *a, **k: None) if as_json else console.print

    with Replica(articles=articles, seed=2026, theme="old") as site:
        say(f"[bold]1.[/bold] A replica of the magazine with {articles} articles is serving at {site.base_url}")
        first = demo_crawl(db, site.base_url, full=False)
        say(f"[bold]2.[/bold] First crawl: {_summary(first)}")

        # the newest article that shows a view counter is edited, the next newest is deleted
        ids = site.ids
        edited = next(i for i in reversed(ids) if site.article(i).show_views)
        deleted = next(i for i in reversed(ids) if i != edited)
        paragraph = site.article(edited).paragraphs[0]
        words = paragraph.split()
        old_words = " ".join(words[2:5])
        new_words = "đã nhanh chóng " + " ".join(words[3:5])
        site.edit(edited, replace={old_words: new_words})
        site.delete(deleted, status=410)
        say(f"[bold]3.[/bold] On the replica: edited article {edited} (\"{old_words}\" -> \"{new_words}\"), "
            f"deleted article {deleted} (410 Gone)")

        second = demo_crawl(db, site.base_url, full=True)
        say(f"[bold]4.[/bold] Second crawl: {_summary(second)}")
        edited_url, deleted_url = site.article_url(edited), site.article_url(deleted)

    archive = open_archive(str(db))
    with archive.read() as session:
        edited_article = resolve_article(session, edited_url)
        changed = article_history(session, edited_article)
        gone = article_history(session, resolve_article(session, deleted_url))
        old, new = pick_revisions(session, edited_article, None, None)
        edit_diff = diff_revisions(old, new, old_captured_at=None, new_captured_at=None)
    archive.dispose()
    result = {"db": str(db), "first_crawl": first, "second_crawl": second, "edited": changed, "deleted": gone}
    if as_json:
        print_json(result)
        return
    latest = changed["revisions"][-1]
    console.print("\n[bold]What changed[/bold]")
    console.print(f"  article {changed['article']['id']} \"{latest['title']}\"")
    console.print(f"    revision {latest['number']}: changed fields {latest['changed_fields']}")
    if console.is_terminal and not console.no_color:
        print_inline_colour(edit_diff, all_fields=False, context=0)
    else:
        console.print(render_inline(edit_diff, context=0), markup=False, end="")
    views = [c["views"] for c in changed["captures"] if c["views"] is not None]
    console.print(f"    view counts per capture: {views}")
    tomb = gone["captures"][-1]
    console.print(f"  article {gone['article']['id']} is [bold]{gone['article']['status']}[/bold] "
                  f"(capture: {tomb['outcome']}, HTTP {tomb['http_status']})")
    n = changed["article"]["id"]
    where = db_path if Path(db_path).resolve() == db and not Path(db_path).is_absolute() else str(db)
    console.print(f"\nThe demo archive is {db}. Explore it:")
    console.print(f"  xdd-archive articles --db {where}")
    console.print(f"  xdd-archive diff {n} --db {where}")
    console.print(f"  xdd-archive history {n} --db {where}")
    console.print(f"  xdd-archive history {gone['article']['id']} --db {where} --json")


COMMANDS = [demo_command]
