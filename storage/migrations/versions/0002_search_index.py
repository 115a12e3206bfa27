"""full-text search index over revisions (SQLite FTS5), folded for Vietnamese

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

A contentless FTS5 table ``revision_search`` (rowid = revisions.id) over the folded title, lead, body,
author and tags, kept right by triggers on ``revisions`` (storage/search.py has the definitions). The
triggers are created, and the existing revisions indexed, by ``storage.search.ensure_index``, which the
migration environment also runs after every later migration: an Alembic batch rebuild of ``revisions``
drops the triggers, and that call puts them back and re-indexes.

On other databases this revision does nothing: PostgreSQL will get its own ``tsvector`` index.
"""

from __future__ import annotations

from alembic import op

from storage.search import CREATE_TABLE, FTS_TABLE, TRIGGERS, ensure_index

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    op.execute(CREATE_TABLE)
    ensure_index(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
