"""Reading the archive: ``articles``, ``show``, ``history``."""

from __future__ import annotations

from typing import Any

import click
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.sites import reference_forms
from storage.db import open_archive
from storage.models import Article, Revision
from storage.query import article_history, article_summary, list_articles, resolve_article, revision_dict
from xdd_archive.cli.common import console, db_option, json_option, print_json, short_time, utc_option, zone_name
from xdd_archive.errors import NotFound


def find_article(session: Session, ref: str, site: str | None = None) -> Article:
    """The article ARTICLE names: an id, a key, or any URL of it (profiles derive keys from URLs)."""
    urls, keys = reference_forms(ref, site)
    return resolve_article(session, ref, site=site, urls=urls, keys=keys)


ARTICLE_ARG = click.argument("article", metavar="ARTICLE")


def gone_line(a: dict[str, Any]) -> str | None:
    """``gone since 2026-11-28 15:35 +07 (HTTP 410)`` / ``redirected since ...: its URL now leads to
    article 15 (URL)`` for an article that is no longer live (``a``: :func:`storage.query.article_summary`)."""
    if a["status"] == "live":
        return None
    since = f" since {short_time(a['status_since'])}" if a.get("status_since") else ""
    if a["status"] == "redirected" and a.get("redirect_article_id") is not None:
        return (f"redirected{since}: its URL now leads to article {a['redirect_article_id']} "
                f"({a.get('redirect_url') or '?'}); see `xdd-archive show {a['redirect_article_id']}`")
    reason = f" ({a['status_reason']})" if a.get("status_reason") else ""
    return f"{a['status']}{since}{reason}"


def print_article_head(a: dict[str, Any]) -> None:
    """The lines that say which article this is, where it lives, and whether it is still there."""
    state = gone_line(a)
    status = f"[bold red]{escape(state)}[/bold red]" if state else "[bold]live[/bold]"
    console.print(f"[bold]article {a['id']}[/bold]  {escape(a['site'])}  key {escape(a['key'])}  {status}")
    console.print(a["canonical_url"], markup=False)


@click.command("articles")
@click.option("--site", default=None, metavar="NAME", help="Only this site's articles.")
@click.option("--category", default=None, metavar="SLUG", help="Only this category.")
@click.option("--status", type=click.Choice(["live", "gone", "redirected"]), default=None,
              help="Only articles with this status (redirected: the URL now leads to another article).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="How many to list.")
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Skip this many first.")
@db_option
@utc_option
@json_option
def articles_command(site: str | None, category: str | None, status: str | None, limit: int, offset: int,
                     db: str | None, as_json: bool) -> None:
    """List archived articles, newest first.

    \b
    Examples:
      xdd-archive articles --limit 20
      xdd-archive articles --status gone --json
      xdd-archive articles --db xdd-demo.db --category nhip-cau-ban-doc
    """
    archive = open_archive(db, create=False)
    with archive.read() as session:
        rows = list_articles(session, site=site, category=category, status=status, limit=limit, offset=offset)
    if as_json:
        print_json([r.to_dict() for r in rows])
        return
    if not rows:
        console.print("No articles match.")
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    # id: the archive's; key: the site's own (the old site's numeric id, the new site's path)
    for column in ("id", "key", f"published ({zone_name()})", "status", "revs", "views", "title"):
        table.add_column(column, justify="right" if column in ("id", "key", "revs", "views") else "left",
                         overflow="fold" if column == "title" else "ellipsis", no_wrap=column != "title",
                         max_width=24 if column == "key" else None)
    for r in rows:
        table.add_row(str(r.id), r.key, short_time(r.published_at, label=False), r.status, str(r.revisions),
                      str(r.views) if r.views is not None else "-", r.title or "(no revision yet)",
                      style=None if r.status == "live" else "dim")
    console.print(table)


@click.command("show")
@ARTICLE_ARG
@click.option("--revision", "number", type=int, default=None, metavar="N", help="Show revision N (default: current).")
@click.option("--site", default=None, metavar="NAME", help="Look ARTICLE up in this site only.")
@db_option
@utc_option
@json_option
def show_command(article: str, number: int | None, site: str | None, db: str | None, as_json: bool) -> None:
    """Show an article's current revision (or revision N).

    ARTICLE is an article id, a key (the old site's numeric id, the new site's path), or any URL that
    reached the article.

    \b
    Examples:
      xdd-archive show 12
      xdd-archive show https://www.xaydungdang.org.vn/nhip-cau-ban-doc/kip-thoi-6501 --json
    """
    archive = open_archive(db, create=False)
    with archive.read() as session:
        found = find_article(session, article, site)
        if number is None:
            rev = found.current_revision
        else:
            rev = session.scalar(select(Revision).where(Revision.article_id == found.id, Revision.number == number))
            if rev is None:
                raise NotFound(f"article {found.id} has no revision {number}")
        data: dict[str, Any] = {"article": article_summary(session, found), "revision": revision_dict(rev) if rev else None}
    if as_json:
        print_json(data)
        return
    a, r = data["article"], data["revision"]
    print_article_head(a)
    if r is None:
        console.print("(no revision yet: every capture so far was rejected)")
        return
    if a["status"] != "live" and number is None:
        console.print(f"Its last text (revision {r['number']}), as archived before it went away:", markup=False)
    modified = f"  modified {short_time(r['modified_at'])}" if r["modified_at"] else ""
    console.print(f"revision {r['number']}  published {short_time(r['published_at'])}{modified}  "
                  f"author {r['author'] or '-'}  source {r['source'] or '-'}", markup=False)
    console.print()
    if r["title"]:
        console.print(f"[bold]{r['title']}[/bold]")
    if r["lead"]:
        console.print(f"[italic]{r['lead']}[/italic]")
    console.print()
    console.print(r["body_text"] or "", markup=False)


@click.command("history")
@ARTICLE_ARG
@click.option("--site", default=None, metavar="NAME", help="Look ARTICLE up in this site only.")
@db_option
@utc_option
@json_option
def history_command(article: str, site: str | None, db: str | None, as_json: bool) -> None:
    """Show an article's revisions (with their changed fields) and every capture (with its view count).

    \b
    Examples:
      xdd-archive history 12
      xdd-archive history 3 --db xdd-demo.db --json
    """
    archive = open_archive(db, create=False)
    with archive.read() as session:
        data = article_history(session, find_article(session, article, site))
    if as_json:
        print_json(data)
        return
    a = data["article"]
    print_article_head(a)
    zone = zone_name()
    console.print(f"\n[bold]revisions[/bold] (first seen at, {zone})")
    for r in data["revisions"]:
        changed = ", ".join(r["changed_fields"]) or ("first version" if r["number"] == 1 else "-")
        trivial = " (trivial)" if r["trivial"] else ""
        current = "  <- current" if r["number"] == a["current_revision"] else ""
        console.print(f"  {r['number']:>3}  {short_time(r['captured_at'], label=False)}  {changed}{trivial}{current}",
                      markup=False)
    if not data["revisions"]:
        console.print("  none yet: every capture so far was rejected")
    console.print(f"\n[bold]captures[/bold] (fetched at, {zone})")
    for c in data["captures"]:
        views = c["views"] if c["views"] is not None else "-"
        rev = f"rev {c['revision']}" if c["revision"] else ""
        reason = f"  ({c['reason']})" if c["reason"] else ""
        console.print(f"  {short_time(c['fetched_at'], label=False)}  {c['outcome']:<12} "
                      f"{c['http_status'] or '-'!s:>4}  views {views:>7}  {rev}{reason}", markup=False)


COMMANDS = [articles_command, show_command, history_command]
