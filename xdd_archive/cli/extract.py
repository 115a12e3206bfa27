"""``xdd-archive extract``: run the extractor on one saved page, to check what it makes of it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from crawler.extract import Extraction, extract
from crawler.sites import PROFILES, SiteProfile, get_profile
from xdd_archive.cli.common import console, json_option, print_json
from xdd_archive.errors import FetchError, NotAnArticle


def profile_for(url: str, site: str | None) -> SiteProfile | None:
    """The named profile, else the one whose hosts serve ``url``, else none (generic rules only)."""
    if site:
        return get_profile(site)
    for profile in PROFILES.values():
        if profile.owns(url):
            return profile
    return None


def _show(record: Extraction) -> None:
    fields = [
        ("title", record.title),
        ("published", record.published_at.isoformat() if record.published_at else None),
        ("modified", record.modified_at.isoformat() if record.modified_at else None),
        ("author", record.author),
        ("source", record.source),
        ("category", record.category),
        ("tags", ", ".join(record.tags) or None),
        ("views", record.views),
        ("images", len(record.images) or None),
        ("lead", record.lead),
    ]
    for name, value in fields:
        console.print(f"[bold]{name:>9}[/bold]  {value if value is not None else '-'}", markup=True)
    console.print()
    console.print(record.body_text or "", markup=False)
    for warning in record.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", markup=True)


@click.command("extract")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--url", required=True, help="The URL the page was fetched from (for links, the site and the key).")
@click.option("--site", default=None, metavar="NAME", help="Site profile to use. Default: the one serving --url.")
@json_option
def extract_command(file: str, url: str, site: str | None, as_json: bool) -> None:
    """Extract the article in FILE (saved HTML; - reads stdin) and print its record.

    On a page that is not an article (a listing, an error or maintenance page) it prints the reason
    and exits with status 4.

    \b
    Example:
      xdd-archive extract page.html --url https://www.xaydungdang.org.vn/ly-luan-thuc-tien/bai-12346 --json
      curl -s URL | xdd-archive extract - --url URL
    """
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        raise FetchError(f"cannot read {file}: {exc.strerror}") from None
    record = extract(url, data, profile_for(url, site))
    if as_json:
        print_json(record.to_dict())
    elif record.is_article:
        _show(record)
    if not record.is_article:
        raise NotAnArticle(record.not_article or "unknown reason")


COMMANDS = [extract_command]
