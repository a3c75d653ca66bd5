"""Migrations build exactly the schema the code declares, on both databases, and go back."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from ownit.adapters.db.migrate import current_revision, head_revision, is_current, upgrade
from ownit.adapters.db.tables import metadata


def test_migrated_schema_matches_the_tables(engine: Engine) -> None:
    assert is_current(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    assert current_revision(engine) == head_revision()
