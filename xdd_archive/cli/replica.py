"""``xdd-archive replica serve``: the local replica of the site, in the foreground."""

from __future__ import annotations

import click

from xdd_archive.replica import serve


@click.group("replica")
def replica_group() -> None:
    """The local, scriptable replica of the magazine site (for trying things offline)."""


@replica_group.command("serve")
@click.option("--articles", type=click.IntRange(min=0), default=200, show_default=True, help="How many articles.")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8765, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--theme", type=click.Choice(["old", "new", "portal"]), default="old", show_default=True,
              help="Which site the pages look like: the old site, the 2025 site, a provincial portal.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the generated articles.")
def serve_command(articles: int, port: int, theme: str, seed: int) -> None:
    """Serve a replica of the site on 127.0.0.1 until Ctrl-C.

    Its control API lives under /_control/ (add, edit, delete, redirect, move, misbehave; the request
    log). Crawl it from another terminal with the replica profile.

    \b
    Example:
      xdd-archive replica serve --articles 200 --port 8765
      xdd-archive crawl --site replica --base-url http://127.0.0.1:8765 --db replica.db
    """
    serve(articles, port=port, theme=theme, seed=seed)


COMMANDS = [replica_group]
