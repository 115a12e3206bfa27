"""The ``xdd-archive`` command line: a thin layer over crawler/, storage/, replica/ and scheduler.

Every command has ``--help`` with an example; commands that print data take ``--json``. Errors a user
can cause (bad flags, unknown article, locked crawl...) print one line and exit with the code of their
class in :mod:`errors`; only a bug prints a traceback.
"""

from __future__ import annotations

import sys

import click
from sqlalchemy.exc import SQLAlchemyError

from xdd_archive.errors import ArchiveError
from xdd_archive.logs import configure_logging

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="xdd-archive", prog_name="xdd-archive")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-v: info, -vv: debug).")
def cli(verbose: int) -> None:
    """Archive the Party Building Magazine (Tạp chí Xây dựng Đảng): crawl it, keep every version of
    every article, see what changed, export it.

    \b
    Try it offline first:   xdd-archive demo
    Crawl the real site:    xdd-archive crawl --site xaydungdang
    Read the archive:       xdd-archive articles / show ARTICLE / history ARTICLE
    """
    configure_logging(verbose)


def _register() -> None:
    from xdd_archive.cli import crawl, demo, export, extract, history, read, replica, schedule

    for module in (extract, crawl, read, history, export, schedule, replica, demo):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``xdd-archive`` console script."""
    try:
        result = cli.main(args=argv, prog_name="xdd-archive", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("xdd-archive: aborted", err=True)
        sys.exit(130)
    except ArchiveError as exc:
        click.echo(f"xdd-archive: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("xdd-archive: interrupted", err=True)
        sys.exit(130)
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        click.echo(f"xdd-archive: error: database: {reason}", err=True)
        sys.exit(5)
    sys.exit(result if isinstance(result, int) else 0)
