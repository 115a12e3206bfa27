"""``python -m cli`` runs the same command line as ``xdd-archive``."""

from xdd_archive.cli import main

main()
