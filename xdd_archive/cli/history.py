"""Revision history people can read: ``diff``, ``changes``, ``search``.

Thin: the diffs come from :mod:`storage.diff`, the report from :mod:`storage.changes`, the search from
:mod:`storage.search`; this module picks the revisions, formats and prints.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.text import Text

from storage.changes import KIND_FILTERS, ChangesReport, changes_report
from storage.db import open_archive
from storage.diff import (
    Op,
    RevisionDiff,
    capture_times,
    diff_heading,
    diff_revisions,
    elided,
    item_label,
    mark_ops,
    pick_revisions,
    render_html,
    render_inline,
    render_unified,
    scalar_ops,
    visible_rows,
)
from storage.models import utcnow
from storage.query import article_summary, revision_numbers
from storage.report import command_for, detail_lines, headline, render_markdown, summary_sentence
from storage.report import render_html as render_report_html
from storage.search import SearchHit, TextChange, search, text_changes
from xdd_archive.cli.common import (
    console,
    db_option,
    err_console,
    json_option,
    print_json,
    short_time,
    show_utc,
    utc_option,
    when,
)
from xdd_archive.cli.read import ARTICLE_ARG, find_article, gone_line
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
@utc_option
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
        summary = article_summary(session, found)
        if rev_a is None and rev_b is None and len(revision_numbers(session, found)) < 2:
            _nothing_to_compare(summary, fmt)
            return
        old, new = pick_revisions(session, found, rev_a, rev_b)
        old_at, new_at = capture_times(session, old, new)
        result = diff_revisions(old, new, old_captured_at=old_at, new_captured_at=new_at)
        title, url, found_key = new.title or old.title, found.canonical_url, found.key
    state = gone_line(summary)
    if fmt == "json":
        data = result.to_dict()
        data["url"] = url
        data["article"] = summary
        print_json(data)
        return
    if state and fmt != "side-by-side":
        # said first, where it is seen: the diff below is of the text as it was before it went away
        err_console.print(f"article {summary['id']} is {state}", markup=False, highlight=False)
    if fmt == "unified":
        text = render_unified(result)
        sys.stdout.write(text if text else f"no differences between revisions {old.number} and {new.number}\n")
    elif fmt == "side-by-side":
        page = render_html(result, title=title, url=url, key=found_key, utc=show_utc(), status=state)
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
        sys.stdout.write(render_inline(result, all_fields=all_fields, context=None if full_text else context,
                                       utc=show_utc()))


def _nothing_to_compare(summary: dict[str, Any], fmt: str) -> None:
    """An article with one revision (or none): said plainly, with what there is to see instead."""
    n = summary["current_revision"]
    state = gone_line(summary)
    if n is None:
        message = f"article {summary['id']} has no revision yet: every capture so far was rejected"
    else:
        message = (f"article {summary['id']} has one revision: nothing to compare yet. "
                   f"`xdd-archive show {summary['id']}` shows its text")
        if state:
            message = f"article {summary['id']} is {state}; it had one revision, nothing to compare. " \
                      f"`xdd-archive show {summary['id']}` shows its last text"
    if fmt == "json":
        print_json({"article": summary, "article_id": summary["id"], "from": None,
                    "to": {"revision": n} if n else None, "changed_fields": [], "fields": [], "note": message})
        return
    console.print(message, markup=False, highlight=False)


def print_inline_colour(result: RevisionDiff, *, all_fields: bool, context: int | None) -> None:
    """The inline diff with rich styles: deletions red and struck through, insertions green."""
    heading = diff_heading(result, utc=show_utc())
    console.print(Text(heading, style="bold red" if result.silent == "yes" else "bold"))
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
            _append_ops(text, scalar_ops(f, utc=show_utc()))
        console.print(text)


_STYLES = {"delete": "red strike", "insert": "green underline"}


def _append_ops(text: Text, ops: list[Op] | tuple[Op, ...]) -> None:
    for op in ops:
        text.append(op.text, style=_STYLES.get(op.kind, ""))


@click.command("changes")
@click.option("--since", default="7d", show_default=True, metavar="WHEN",
              help="Start: a duration back from now (7d, 12h, 30m, 2w) or a date / date and time.")
@click.option("--until", default=None, metavar="WHEN",
              help="End (exclusive), same forms as --since; a date alone includes that day. Default: now.")
@click.option("--site", default=None, metavar="NAME", help="Only this site's articles.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KIND_FILTERS),
              help="Only these kinds of change (repeat the option for several); silent: the silent edits.")
@click.option("--new", "include_new", is_flag=True, help="List the new articles too (else only counted).")
@click.option("--all", "include_trivial", is_flag=True,
              help="Include trivial changes (punctuation, spacing, tone-mark placement only).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "html"]), default="text",
              show_default=True, help="text for the terminal; markdown or html: a report to send "
                                      "(one self-contained document on stdout).")
@db_option
@utc_option
@json_option
def changes_command(since: str, until: str | None, site: str | None, kinds: tuple[str, ...],
                    include_new: bool, include_trivial: bool, fmt: str, db: str | None, as_json: bool) -> None:
    """Report what happened in a period: edits first (silent ones at the top), reverts, articles
    removed and back online; new articles as a count (--new lists them).

    \b
    edits        a new revision: old -> new for the title, author, source, category
                 and dates; the first change of the lead or body with a few words
                 around it; "trivial" when only punctuation, spacing or tone-mark
                 placement (hoà / hòa) changed: hidden unless --all
    silent edit  the content changed but the modified date the page declares did
                 not move. Pages that declare none (the old site's) cannot be
                 judged: their edits say "silent? cannot be told"
    revert       a new revision identical to an earlier one: "back to revision N"
    removed      the page went away (404 / 410, a redirect to an unrelated page,
                 or its URL now leads to another article)
    back online  a removed page is back
    new          an article's first revision

    Times are shown in the site's local time (Asia/Ho_Chi_Minh, +07), or UTC with --utc. WHEN is
    a duration back from now (7d, 12h, 30m, 2w, 1d12h), a date (as --until it includes that whole
    day) or a date and time (2026-11-20T08:00, or with an offset: 2026-11-20T08:00+07:00), read in
    the zone times are shown in. "When" is when the archive saw the change.

    \b
    Examples:
      xdd-archive changes                        # the last 7 days
      xdd-archive changes --since 7d --format html > report.html
      xdd-archive changes --kind silent --since 30d
      xdd-archive changes --since 2026-11-01 --until 2026-11-15 --site xaydungdang --new
      xdd-archive changes --since 24h --all --json
    """
    now = utcnow()
    start = when(since, "--since", now=now)
    end = when(until, "--until", end=True, now=now) or now
    assert start is not None
    if start >= end:
        raise ConfigError(f"--since ({short_time(start)}) must be before --until ({short_time(end)})")
    archive = open_archive(db, create=False)
    with archive.read() as session:
        report = changes_report(session, since=start, until=end, site=site, include_trivial=include_trivial,
                                kinds=kinds or None, include_new=include_new)
    if as_json:
        print_json(report.to_dict())
    elif fmt == "markdown":
        sys.stdout.write(render_markdown(report, utc=show_utc()))
    elif fmt == "html":
        sys.stdout.write(render_report_html(report, utc=show_utc()))
    else:
        _print_changes(report)


_COLOURS = {"silent": "bold red", "changed": "yellow", "revert": "magenta", "gone": "red", "republished": "cyan",
            "new": "green"}


def _print_changes(report: ChangesReport) -> None:
    utc = show_utc()
    coloured = _stdout_is_terminal() and not console.no_color
    where = f" on {report.site}" if report.site else ""
    console.print(f"[bold]Changes{escape(where)}[/bold] {short_time(report.since)} -> {short_time(report.until)}")
    console.print(summary_sentence(report), markup=False)
    for name, heading, events in report.sections():
        console.print()
        console.print(Text(f"{heading} ({len(events)})", style=f"bold {_COLOURS.get(name, '')}"))
        for c in events:
            # the headline alone says when, which article, which revision: greppable in a pipe
            line = Text(f"  {headline(c, utc=utc)}  ")
            line.append(c.title or "(no title)", style="bold")
            console.print(line)
            for detail in detail_lines(c, utc=utc):
                text = Text("      ")
                text.append(f"{detail.label}: ", style="bold red" if detail.alarm else "dim")
                if detail.text:
                    text.append(detail.text)
                elif detail.arrow:
                    text.append(detail.ops[0].text, style=_STYLES["delete"])
                    text.append(" -> ")
                    text.append(detail.ops[1].text, style=_STYLES["insert"])
                elif coloured:
                    _append_ops(text, detail.ops)
                else:
                    # no colour to tell them apart: the diff's own markers
                    text.append(" ".join(mark_ops(detail.ops).split()))
                console.print(text)
            command = command_for(c)
            if command and c.kind in ("changed", "revert"):
                console.print(f"      see: {command}", style="dim", markup=False, highlight=False)


@click.command("search")
@click.argument("query", nargs=-1, required=False)
@click.option("--removed", "removed", default=None, metavar="TEXT",
              help="Articles that used to say TEXT (a phrase) and no longer do, with the revision it went.")
@click.option("--added", "added", default=None, metavar="TEXT",
              help="Articles that say TEXT now and did not before, with the revision it came.")
@click.option("--all-revisions", is_flag=True, help="Search every revision, not only the current ones.")
@click.option("--site", default=None, metavar="NAME", help="Only this site's articles.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many results.")
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Skip this many first.")
@db_option
@utc_option
@json_option
def search_command(query: tuple[str, ...], removed: str | None, added: str | None, all_revisions: bool,
                   site: str | None, limit: int, offset: int, db: str | None, as_json: bool) -> None:
    """Full-text search of the archive, with or without Vietnamese diacritics; or the articles whose
    text lost (--removed) or gained (--added) a phrase.

    Searches title, lead, body, author and tags of the current revisions (--all-revisions: of every
    revision), best match first. Diacritics and đ/Đ are folded, so "xay dung dang" finds
    "xây dựng Đảng" and "da nang" finds "Đà Nẵng"; exact Vietnamese works too. Every word must match;
    "quoted words" must match as a phrase; word* matches a prefix; -word excludes.
    Put -- before a query that holds a -word, so it is not read as an option.

    --removed TEXT answers "which articles used to say this and no longer do?": an earlier revision
    holds the phrase, the current one does not. Each answer names the last revision that had it, the
    first without it (with when the archive saw them) and the diff command that shows it go.
    --added TEXT is its twin. The phrase is folded like any search.

    \b
    Examples:
      xdd-archive search xay dung dang
      xdd-archive search '"Đà Nẵng"' --site xaydungdang
      xdd-archive search --removed "tham mưu"
      xdd-archive search --added "Ban Biên tập" --json
      xdd-archive search --all-revisions --json -- nghi quyet 26* -covid
    """
    text = " ".join(query)
    given = [name for name, value in (("QUERY", text), ("--removed", removed), ("--added", added)) if value]
    if len(given) != 1:
        raise ConfigError("give one of QUERY, --removed TEXT or --added TEXT" +
                          (f" (not {' and '.join(given)})" if given else ""))
    archive = open_archive(db, create=False)
    if removed or added:
        mode, phrase = ("removed", removed) if removed else ("added", added)
        assert phrase is not None
        with archive.read() as session:
            changes, total = text_changes(session, phrase, mode=mode, site=site, limit=limit, offset=offset)
        if as_json:
            print_json({"mode": mode, "text": phrase, "total": total, "hits": [c.to_dict() for c in changes]})
        else:
            _print_text_changes(mode, phrase, changes, total, offset)
        return
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


def _print_text_changes(mode: str, phrase: str, changes: list[TextChange], total: int, offset: int) -> None:
    said = (f"used to say {phrase!r} and no longer do" if mode == "removed"
            else f"say {phrase!r} now and did not before")
    if not changes:
        past = f" past --offset {offset}" if total else ""
        console.print(f"No articles {said}{past}.", markup=False)
        return
    console.print(f"{offset + 1}-{offset + len(changes)} of {total} articles {said}", markup=False)
    for n, c in enumerate(changes, start=offset + 1):
        console.print()
        head = Text(f"{n}. ", style="bold")
        head.append(c.title or "(no title)", style="bold")
        if c.status != "live":
            head.append(f"  [{c.status}]", style="red")
        console.print(head)
        console.print(f"   article {c.article_id} (site id {c.key}) · {c.url}", markup=False, style="dim")
        if mode == "removed":
            story = (f"last in revision {c.before} (seen {short_time(c.before_at)}); gone from revision {c.after} "
                     f"(seen {short_time(c.after_at)})")
        else:
            story = (f"not in revision {c.before} (seen {short_time(c.before_at)}); there from revision {c.after} "
                     f"(seen {short_time(c.after_at)})")
        console.print(f"   {story}", markup=False)
        snippet = Text("   ")
        start = len(snippet)
        snippet.append(c.snippet)
        for a, b in c.highlights:
            snippet.stylize("bold red strike" if mode == "removed" else "bold green", start + a, start + b)
        console.print(snippet)
        console.print(f"   see: {c.command}", markup=False, style="dim", highlight=False)


def _print_hit(n: int, hit: SearchHit, all_revisions: bool) -> None:
    head = Text(f"{n}. ", style="bold")
    head.append(hit.title or "(no title)", style="bold")
    if hit.status != "live":
        head.append(f"  [{hit.status}]", style="red")
    console.print(head)
    revision = f"revision {hit.revision}" + (" (current)" if hit.current and all_revisions else "")
    console.print(f"   article {hit.article_id} (site id {hit.key}) · {revision} · published "
                  f"{short_time(hit.published_at)} · {hit.url}",
                  markup=False, style="dim")
    snippet = Text("   ")
    offset = len(snippet)
    snippet.append(hit.snippet)
    for start, end in hit.highlights:
        snippet.stylize("bold yellow", offset + start, offset + end)
    console.print(snippet)


COMMANDS = [diff_command, changes_command, search_command]
