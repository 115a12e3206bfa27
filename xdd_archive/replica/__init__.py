"""A local, scriptable replica of the magazine site, for the demo, the tests and the benchmarks.

``Replica`` serves deterministic articles in one of four themes (``old``, ``new``, ``portal``,
``redesign``; see ``replica/THEMES.md``) on 127.0.0.1 and its ``localhost`` twin, and can be told to
edit, delete, redirect or move articles, to add a hostile one, to change theme at runtime and to
misbehave (one fault at a time or a seeded random mix); ``serve`` runs one in the foreground
(``xdd-archive replica serve``).
"""

from xdd_archive.replica.content import Article
from xdd_archive.replica.faults import MISBEHAVIOURS
from xdd_archive.replica.log import LoggedRequest
from xdd_archive.replica.server import Replica, serve
from xdd_archive.replica.state import UnknownArticle

__all__ = ["MISBEHAVIOURS", "Article", "LoggedRequest", "Replica", "UnknownArticle", "serve"]
