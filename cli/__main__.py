"""``python -m cli`` runs the same command line as ``xdd-archive``."""

from cli import main

main()
