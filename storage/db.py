"""Engine and sessions for an archive database, chosen by URL or path.

``open_archive()`` is the one way in: it resolves ``--db`` / ``XDD_DB`` / the default path, makes the
engine (SQLite: WAL, busy timeout, foreign keys; writes take the write lock up front with
``BEGIN IMMEDIATE`` so two writers wait for each other instead of failing), and brings the schema to the
newest Alembic revision on first use.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from xdd_archive.errors import StorageError

__all__ = ["DEFAULT_DB", "Archive", "open_archive", "resolve_db_url"]

log = logging.getLogger(__name__)

DEFAULT_DB = "xdd-archive.db"
ENV_DB = "XDD_DB"
BUSY_TIMEOUT_MS = 30_000


def resolve_db_url(db: str | None = None) -> str:
    """A SQLAlchemy URL from a flag value, ``$XDD_DB`` or the default ``./xdd-archive.db``.

    A value containing ``://`` is taken as a SQLAlchemy URL; anything else is a file path.
    """
    value = db or os.environ.get(ENV_DB) or DEFAULT_DB
    if "://" in value:
        try:
            make_url(value)
        except ArgumentError as exc:
            raise StorageError(f"not a valid database URL: {value!r} ({exc})") from None
        return value
    path = Path(value).expanduser()
    if path.is_dir():
        raise StorageError(f"--db {value!r} is a directory; give a file path such as {value}/archive.db")
    return f"sqlite:///{path.resolve()}"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event (below) emit BEGIN itself: pysqlite's own implicit
        # transactions would start writes as DEFERRED and fail with SQLITE_BUSY under contention.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        mode = cur.execute("PRAGMA journal_mode = WAL").fetchone()
        if mode and str(mode[0]).lower() not in ("wal", "memory"):
            log.warning("SQLite journal mode is %s, not WAL", mode[0])
        # WAL with synchronous=NORMAL is durable against process crashes (SIGKILL); only an OS
        # crash can lose the last transactions, never corrupt the file.
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


@dataclass
class Archive:
    """An open archive database: the engine and two session factories.

    ``read()`` sessions start a plain transaction; ``write()`` sessions take the write lock at once,
    commit on success and roll back on any exception, so a write is all or nothing.
    """

    url: str
    engine: Engine
    _read: sessionmaker[Session]
    _write: sessionmaker[Session]

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def path(self) -> Path | None:
        """The database file, for SQLite files (the log file and lock files live beside it)."""
        if not self.is_sqlite:
            return None
        database = self.engine.url.database
        return Path(database) if database and database != ":memory:" else None

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        with self._write() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


def open_archive(db: str | None = None, *, migrate: bool = True, create: bool = True) -> Archive:
    """Open (creating and migrating if needed) the archive at ``db`` (path or SQLAlchemy URL).

    ``create=False`` is for commands that only read: a SQLite file that does not exist is then an
    error (a mistyped --db), not a new empty archive.
    """
    url = resolve_db_url(db)
    if not create and url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            raise StorageError(f"no archive at {path} (crawl first, or point --db / XDD_DB at one)")
    try:
        engine = create_engine(url, future=True)
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        raise StorageError(f"cannot open database {url!r}: {exc}") from None
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:":
            parent = Path(database).parent
            if not parent.exists():
                raise StorageError(f"cannot create the archive: directory {parent} does not exist")
        _configure_sqlite(engine)
        write_engine = engine.execution_options(sqlite_begin="IMMEDIATE")
    else:
        write_engine = engine
    archive = Archive(
        url=url,
        engine=engine,
        _read=sessionmaker(engine, expire_on_commit=False),
        _write=sessionmaker(write_engine, expire_on_commit=False),
    )
    if migrate:
        try:
            upgrade(archive)
        except OperationalError as exc:
            raise StorageError(f"cannot open archive {url}: {exc.orig}") from None
    return archive


def _alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@functools.lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest schema revision this code knows."""
    from alembic.script import ScriptDirectory

    cfg = _alembic_config("sqlite://")
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def current_revision(archive: Archive) -> str | None:
    """The schema revision the database is at (None for an empty database)."""
    with archive.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


@contextlib.contextmanager
def _migration_lock(archive: Archive) -> Iterator[None]:
    """Serialise schema upgrades between processes opening the same new SQLite file at once."""
    path = archive.path
    if path is None:
        yield
        return
    lock_path = path.with_name(path.name + ".migrate-lock")
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(archive: Archive) -> None:
    """Bring the schema to head (a no-op when it is there already)."""
    head = head_revision()
    if current_revision(archive) == head:
        return
    from alembic import command

    with _migration_lock(archive):
        current = current_revision(archive)
        if current == head:
            return
        log.info("migrating archive %s from %s to %s", archive.url, current, head)
        cfg = _alembic_config(archive.url)
        with archive.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            if archive.is_sqlite:
                # A batch migration rebuilds a table by copy-and-drop, which foreign keys pointing at
                # it would refuse; SQLite only lets this be switched outside a transaction. The
                # foreign_key_check below proves the migration left every reference intact.
                raw.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
            try:
                with conn.begin():
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
                    if archive.is_sqlite:
                        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        if broken:
                            raise StorageError(f"the migration to {head} broke foreign keys: {broken[:5]}")
            finally:
                if archive.is_sqlite:
                    raw.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]
