"""Alembic environment for the archive. ``storage.db.upgrade()`` hands us an open connection.

``render_as_batch`` lets migrations alter SQLite tables (by copying them). A batch rebuild drops
triggers on the rebuilt table, so after every migration run ``storage.search.ensure_index`` recreates
the full-text index's triggers on ``revisions`` if they are gone (and re-indexes). The index's own
tables are not in the models' metadata: ``include_name`` keeps autogenerate from dropping them.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from storage.models import Base
from storage.search import FTS_TABLE, ensure_index

config = context.config
target_metadata = Base.metadata

# Tables in the archive database that other code owns (APScheduler's job store creates and
# migrates its own): autogenerate and `alembic check` must neither drop nor diff them.
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})


def include_name(name, type_, parent_names) -> bool:  # type: ignore[no-untyped-def]
    """Leave the full-text index (an FTS5 table and its shadow tables) and the FOREIGN_TABLES (with
    their indexes) out of autogenerate."""
    if type_ != "table":
        return parent_names.get("table_name") not in FOREIGN_TABLES
    return not (name is not None and (name.startswith(FTS_TABLE) or name in FOREIGN_TABLES))


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url"))
        with engine.begin() as conn:
            _run(conn)
        return
    _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()
        # a batch rebuild of ``revisions`` in any migration just run dropped the index's triggers
        ensure_index(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
