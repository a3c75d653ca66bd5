"""The catalog in the database (SQLAlchemy Core): a snapshot to read, changes written at once.

Each catalog object keeps its normalised spec as JSON plus the core columns other parts
query (names, owner team, escalation policy, tier, urgency, a schedule's team and zone…).
A schedule's overrides made through the API (``schedule_overrides``) are not the catalog's:
apply never touches them (deleting a schedule deletes them with it). Integration keys live only in
the ``integrations`` table and router keys in ``routers.key``, never in a spec, and only as
SHA-256 digests beside a short hint (decision 0035): the snapshot's keys are digests.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from ownit.adapters.db.audit_log import record
from ownit.adapters.db.catalog_snapshot import SnapshotBuilder, StoredRows, read_rows
from ownit.adapters.db.catalog_writer import CatalogWriter, audit_fields
from ownit.adapters.db.engine import read_only
from ownit.adapters.db.secret_box import SecretBox
from ownit.app.catalog import CatalogConflict, ChangeSet
from ownit.domain.catalog import Snapshot


class SqlCatalogStore:
    """:class:`ownit.app.catalog.CatalogStore` over the tables in ``tables.py``."""

    def __init__(self, engine: Engine, *, box: SecretBox | None = None) -> None:
        self._engine = engine
        self._box = box  # webhook secrets sealed at rest when set (decision 0031)
        self._builder = SnapshotBuilder(box)
        # The last rows read and the snapshot built from them (:meth:`snapshot`).
        self._kept: tuple[StoredRows, Snapshot] | None = None

    # --- reading ---------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """What the database holds now. Built again only when what was read differs from the
        previous read (the stored text, not a clock: an edit by any process shows on the
        very next call); otherwise the snapshot built from it before (decision 0067)."""
        # Only reads: on SQLite they must not queue for the write lock (a service page's
        # badge reads the catalog while ingest writes).
        with read_only(self._engine).connect() as conn:
            stored = read_rows(conn)
        kept = self._kept
        if kept is not None and kept[0] == stored:
            return kept[1]
        built = self._builder.build(stored)
        self._kept = (stored, built)  # one assignment: threads see the old pair or the new
        return built

    # --- writing ---------------------------------------------------------------------------

    def write(self, changes: ChangeSet, *, source: str, now: datetime) -> None:
        try:
            with self._engine.begin() as conn:
                CatalogWriter(conn, source, now, self._box).write(changes)
                for change in changes.changes:
                    before, after = audit_fields(change)
                    record(
                        conn,
                        at=now,
                        kind="catalog",
                        name=f"{change.kind}/{change.name}",
                        action=f"{change.action}d",
                        before=before,
                        after=after,
                    )
        except IntegrityError as exc:
            raise CatalogConflict(
                f"the database refused the change, nothing was applied: {exc.orig}"
            ) from None
