"""A local, scriptable replica of the magazine site, for the demo, the tests and the benchmarks.

``Replica`` serves deterministic articles in one of three themes (``old``, ``new``, ``portal``; see
``replica/THEMES.md``) on 127.0.0.1 and can be told to edit, delete, redirect or move articles and to
misbehave; ``serve`` runs one in the foreground (``xdd-archive replica serve``).
"""

from xdd_archive.replica.content import Article
from xdd_archive.replica.server import LoggedRequest, Replica, serve

__all__ = ["Article", "LoggedRequest", "Replica", "serve"]
