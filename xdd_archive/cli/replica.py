"""``xdd-archive replica serve``: the local replica of the site, in the foreground."""

from __future__ import annotations

import click

from xdd_archive.replica import MISBEHAVIOURS, serve
from xdd_archive.replica.themes import THEMES


def _fault_modes(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    """``--fault-modes 500,cut-honest``: a comma-separated list of misbehaviours."""
    if value is None:
        return None
    modes = [m.strip() for m in value.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MISBEHAVIOURS]
    if not modes or unknown:
        raise click.BadParameter(f"{', '.join(unknown) or 'nothing'} (known: {', '.join(MISBEHAVIOURS)})")
    return modes


@click.group("replica")
def replica_group() -> None:
    """The local, scriptable replica of the magazine site (for trying things offline)."""


@replica_group.command("serve")
@click.option("--articles", type=click.IntRange(min=0), default=200, show_default=True, help="How many articles.")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8765, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--theme", type=click.Choice(THEMES), default="old", show_default=True,
              help="Which site the pages look like: the old site, the 2025 site, a provincial portal, a redesign.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the generated articles.")
@click.option("--faults", "fault_rate", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              metavar="RATE", help="Share of article requests that misbehave, at random (0 to 1).")
@click.option("--fault-modes", callback=_fault_modes, metavar="MODE,...",
              help="Misbehaviours the random faults draw from (default: all but slow).")
@click.option("--fault-seed", type=int, default=None, help="Seed of the random faults (default: --seed).")
def serve_command(articles: int, port: int, theme: str, seed: int, fault_rate: float,
                  fault_modes: list[str] | None, fault_seed: int | None) -> None:
    """Serve a replica of the site on 127.0.0.1 (and as localhost) until Ctrl-C.

    Its control API lives under /_control/ (add, edit, delete, redirect, move, theme, misbehave; the
    request log). Crawl it from another terminal with the replica profile. With --faults, that share of
    article requests misbehaves: cut pages, dropped connections, stale copies, off-host redirects,
    errors (the modes are listed in xdd_archive/replica/THEMES.md); the same seed gives the same faults
    for the same order of requests.

    \b
    Example:
      xdd-archive replica serve --articles 200 --port 8765
      xdd-archive replica serve --faults 0.3 --fault-modes cut-honest,stale-edge,offhost-302
      xdd-archive crawl --site replica --base-url http://127.0.0.1:8765 --db replica.db
    """
    serve(articles, port=port, theme=theme, seed=seed, faults=fault_rate, fault_modes=fault_modes,
          fault_seed=fault_seed)


COMMANDS = [replica_group]
