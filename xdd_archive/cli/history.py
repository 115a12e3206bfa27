"""Revision history people can read: ``diff``, ``changes``, ``search``.

Thin: the diffs come from :mod:`storage.diff`, the report from :mod:`storage.changes`, the search from
:mod:`storage.search`; this module picks the revisions, formats and prints.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.markup import escape
from rich.text import Text

from storage.changes import CHANGE_KINDS, ChangesReport, changes_report
from storage.db import open_archive
from storage.diff import (
    Op,
    RevisionDiff,
    capture_times,
    diff_revisions,
    elided,
    item_label,
    pick_revisions,
    render_html,
    render_inline,
    render_unified,
    visible_rows,
)
from storage.models import utcnow
from storage.search import SearchHit, search
from storage.timespec import parse_when
from xdd_archive.cli.common import console, db_option, json_option, print_json, short_time
from xdd_archive.cli.read import ARTICLE_ARG, find_article
from xdd_archive.errors import ConfigError

FORMATS = ("inline", "unified", "side-by-side", "json")


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


@click.command("diff")
@ARTICLE_ARG
@click.argument("rev_a", metavar="[REV_A]", type=click.IntRange(min=1), required=False)
@click.argument("rev_b", metavar="[REV_B]", type=click.IntRange(min=1), required=False)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="inline", show_default=True,
              help="inline: marked words for the terminal; unified: a unified diff per field; "
                   "side-by-side: one HTML file; json: equal/insert/delete operations per field.")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), default=None, metavar="FILE",
              help="side-by-side: write the HTML here ('-' for stdout). "
                   "Default: diff-<article>-<a>-<b>.html in the current directory.")
@click.option("--all-fields", is_flag=True, help="inline: show the unchanged fields too.")
@click.option("--context", type=click.IntRange(min=0), default=1, show_default=True, metavar="N",
              help="inline: unchanged paragraphs shown around each changed one (the rest are elided).")
@click.option("--full", "full_text", is_flag=True, help="inline: show every paragraph, changed or not.")
@click.option("--site", default=None, metavar="NAME", help="Look ARTICLE up in this site only.")
@db_option
@json_option
def diff_command(article: str, rev_a: int | None, rev_b: int | None, fmt: str, out: str | None,
                 all_fields: bool, context: int, full_text: bool, site: str | None, db: str | None,
                 as_json: bool) -> None:
    """Show what changed in an article between two revisions, field by field, word by word.

    With no REV_A / REV_B: the revision before the current one against the current one. With REV_A
    alone: REV_A against the current one. Prose (title, lead, body) is diffed word by word keeping
    paragraphs; tags and images show the items added and removed; author, source, category and dates
    show old -> new. A field that changed only in punctuation, spacing or tone-mark placement
    (hoà / hòa) is marked trivial.

    inline marks deletions and insertions in colour on a terminal, and as [-deleted-] {+inserted+}
    in a pipe or file. side-by-side writes one self-contained HTML file (no network needed, readable
    on a phone) and prints its path. --json is --format json.

    \b
    Examples:
      xdd-archive diff 12                       # previous revision -> current
      xdd-archive diff 12 1 3 --format unified
      xdd-archive diff 12 --format side-by-side --out diff.html
      xdd-archive diff https://www.xaydungdang.org.vn/nhip-cau-ban-doc/kip-thoi-6501 --json
    """
    if as_json:
        fmt = "json"
    if out is not None and fmt != "side-by-side":
        raise ConfigError("--out is for --format side-by-side")
    archive = open_archive(db, create=False)
    with archive.read() as session:
        found = find_article(session, article, site)
        old, new = pick_revisions(session, found, rev_a, rev_b)
        old_at, new_at = capture_times(session, old, new)
        result = diff_revisions(old, new, old_captured_at=old_at, new_captured_at=new_at)
        title, url = new.title or old.title, found.canonical_url
    if fmt == "json":
        data = result.to_dict()
        data["url"] = url
        print_json(data)
    elif fmt == "unified":
        text = render_unified(result)
        sys.stdout.write(text if text else f"no differences between revisions {old.number} and {new.number}\n")
    elif fmt == "side-by-side":
        page = render_html(result, title=title, url=url)
        if out == "-":
            sys.stdout.write(page)
            return
        path = Path(out or f"diff-{result.article_id}-{result.old_number}-{result.new_number}.html")
        try:
            path.write_text(page, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
        click.echo(str(path))
    elif _stdout_is_terminal() and not console.no_color:
        print_inline_colour(result, all_fields=all_fields, context=None if full_text else context)
    else:
        sys.stdout.write(render_inline(result, all_fields=all_fields, context=None if full_text else context))


def print_inline_colour(result: RevisionDiff, *, all_fields: bool, context: int | None) -> None:
    """The inline diff with rich styles: deletions red and struck through, insertions green."""
    console.print(f"[bold]article {result.article_id}[/bold]: revision {result.old_number} -> {result.new_number}")
    fields = result.fields if all_fields else result.changed
    if not fields:
        console.print("no differences")
    for f in fields:
        console.print()
        console.print(f"[bold cyan]== {f.name}[/bold cyan]" + (" [dim](trivial)[/dim]" if f.trivial else ""))
        text = Text()
        if f.kind == "list" and f.changed:
            lines = [Text(item_label(i), style=_STYLES["delete"]) for i in f.removed]
            lines += [Text(item_label(i), style=_STYLES["insert"]) for i in f.added]
            text = Text("\n").join(lines)
        elif f.kind == "text":
            for k, row in enumerate(visible_rows(f, context)):
                if k:
                    text.append("\n\n")
                if isinstance(row, int):
                    text.append(elided(row), style="dim")
                else:
                    _append_ops(text, row.ops)
        else:
            _append_ops(text, f.ops)
        console.print(text)


_STYLES = {"delete": "red strike", "insert": "green underline"}


def _append_ops(text: Text, ops: list[Op] | tuple[Op, ...]) -> None:
    for op in ops:
        text.append(op.text, style=_STYLES.get(op.kind, ""))


@click.command("changes")
@click.option("--since", default="7d", show_default=True, metavar="WHEN",
              help="Start: a duration back from now (7d, 12h, 30m, 2w) or an ISO date/time.")
@click.option("--until", default=None, metavar="WHEN",
              help="End (exclusive), same forms as --since. Default: now.")
@click.option("--site", default=None, metavar="NAME", help="Only this site's articles.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(CHANGE_KINDS),
              help="Only these kinds of change (repeat the option for several).")
@click.option("--all", "include_trivial", is_flag=True,
              help="Include trivial changes (punctuation, spacing, tone-mark placement only).")
@db_option
@json_option
def changes_command(since: str, until: str | None, site: str | None, kinds: tuple[str, ...],
                    include_trivial: bool, db: str | None, as_json: bool) -> None:
    """Report what happened in a period: new articles, changed ones (which fields), reverts, articles
    gone and republished.

    \b
    new          an article's first revision
    changed      a new revision; the fields that changed; "trivial" when only punctuation,
                 spacing or tone-mark placement (hoà / hòa) changed: hidden unless --all
    revert       a new revision identical to an earlier one (not the previous): "reverts to N"
    gone         the page went away (404 / 410, or a redirect to an unrelated page)
    republished  a gone page is back
    silent       a flag on changed / revert: the content changed but the page's declared modified
                 date did not move. Only pages that declare a modified date can be flagged.

    Times: a duration back from now (7d, 12h, 30m, 2w, 1d12h), an ISO date (UTC; as --until it
    includes that whole day) or an ISO date and time (UTC unless it carries an offset, e.g.
    2026-11-20T08:00+07:00; as --until it is exclusive). "When" is when the archive saw the change
    (the capture's time).

    \b
    Examples:
      xdd-archive changes                        # the last 7 days
      xdd-archive changes --since 2026-11-01 --until 2026-11-15 --site xaydungdang
      xdd-archive changes --since 24h --all --json
      xdd-archive changes --since 30d --kind gone --kind republished
    """
    now = utcnow()
    start = parse_when(since, now=now, option="--since")
    end = parse_when(until, now=now, option="--until", end=True) if until else now
    if start >= end:
        raise ConfigError(f"--since ({start.isoformat()}) must be before --until ({end.isoformat()})")
    archive = open_archive(db, create=False)
    with archive.read() as session:
        report = changes_report(session, since=start, until=end, site=site, include_trivial=include_trivial,
                                kinds=kinds or None)
    if as_json:
        print_json(report.to_dict())
        return
    _print_changes(report)


def _print_changes(report: ChangesReport) -> None:
    where = f" on {report.site}" if report.site else ""
    console.print(f"[bold]Changes{escape(where)}[/bold] {short_time(report.since)} -> {short_time(report.until)}")
    counts = report.counts
    parts = [f"{counts[k]} {k}" for k in ("new", "changed", "revert", "gone", "republished") if counts[k]]
    if counts["silent"]:
        parts.append(f"{counts['silent']} silent")
    summary = ", ".join(parts) or "nothing"
    if report.hidden_trivial:
        many = report.hidden_trivial > 1
        summary += (f"; {report.hidden_trivial} trivial change{'s' if many else ''} hidden "
                    f"(--all shows {'them' if many else 'it'})")
    console.print(summary, markup=False)
    if not report.changes:
        return
    console.print()
    # one line per event (greppable in a pipe): when, what, article id, revision, title, [details]
    colours = {"new": "green", "changed": "yellow", "revert": "magenta", "gone": "red", "republished": "cyan"}
    width = max(len(str(c.article_id)) for c in report.changes)
    for c in report.changes:
        details: list[str] = []
        if c.kind in ("changed", "revert"):
            details.append(", ".join(c.changed_fields) or "-")
            if c.reverts_to is not None:
                details.append(f"reverts to {c.reverts_to}")
            if c.trivial:
                details.append("trivial")
            if c.silent:
                details.append("SILENT: modified date unchanged")
        elif c.kind == "gone" and c.reason:
            details.append(c.reason)
        line = Text(f"{short_time(c.at)}  ")
        line.append(f"{c.kind:<11}", style=colours.get(c.kind, ""))
        rev = f"r{c.revision}" if c.revision is not None else "-"
        line.append(f"  {c.article_id:>{width}} {rev:<4} {c.title or '-'}")
        if details:
            line.append(f"  [{'; '.join(details)}]", style="bold red" if c.silent else "dim")
        console.print(line)


@click.command("search")
@click.argument("query", nargs=-1, required=True)
@click.option("--all-revisions", is_flag=True, help="Search every revision, not only the current ones.")
@click.option("--site", default=None, metavar="NAME", help="Only this site's articles.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many results.")
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Skip this many first.")
@db_option
@json_option
def search_command(query: tuple[str, ...], all_revisions: bool, site: str | None, limit: int, offset: int,
                   db: str | None, as_json: bool) -> None:
    """Full-text search of the archive, with or without Vietnamese diacritics.

    Searches title, lead, body, author and tags of the current revisions (--all-revisions: of every
    revision), best match first. Diacritics and đ/Đ are folded, so "xay dung dang" finds
    "xây dựng Đảng" and "da nang" finds "Đà Nẵng"; exact Vietnamese works too. Every word must match;
    "quoted words" must match as a phrase; word* matches a prefix; -word excludes.
    Put -- before a query that holds a -word, so it is not read as an option.

    \b
    Examples:
      xdd-archive search xay dung dang
      xdd-archive search '"Đà Nẵng"' --site xaydungdang
      xdd-archive search --all-revisions --json -- nghi quyet 26* -covid
    """
    text = " ".join(query)
    archive = open_archive(db, create=False)
    with archive.read() as session:
        results = search(session, text, all_revisions=all_revisions, site=site, limit=limit, offset=offset)
    if as_json:
        print_json(results.to_dict())
        return
    scope = "all revisions" if all_revisions else "current revisions"
    if not results.hits:
        if results.total:
            console.print(f"{results.total} matches in {scope} for {text!r}; none past --offset {offset}.",
                          markup=False)
        else:
            console.print(f"No match for {text!r} in {scope}.", markup=False)
        return
    shown = f"{offset + 1}-{offset + len(results.hits)} of {results.total}"
    console.print(f"{shown} matches in {scope} for {text!r}", markup=False)
    for n, hit in enumerate(results.hits, start=offset + 1):
        console.print()
        _print_hit(n, hit, all_revisions)


def _print_hit(n: int, hit: SearchHit, all_revisions: bool) -> None:
    head = Text(f"{n}. ", style="bold")
    head.append(hit.title or "(no title)", style="bold")
    if hit.status != "live":
        head.append(f"  [{hit.status}]", style="red")
    console.print(head)
    revision = f"revision {hit.revision}" + (" (current)" if hit.current and all_revisions else "")
    console.print(f"   article {hit.article_id} · {revision} · published {short_time(hit.published_at)} · {hit.url}",
                  markup=False, style="dim")
    snippet = Text("   ")
    offset = len(snippet)
    snippet.append(hit.snippet)
    for start, end in hit.highlights:
        snippet.stylize("bold yellow", offset + start, offset + end)
    console.print(snippet)


COMMANDS = [diff_command, changes_command, search_command]
