"""What the catalog use cases need from storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ownit.domain.catalog import Key, Snapshot, StoredObject


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Objects to create or update (kind order; every integration has its key) and to delete."""

    upserts: tuple[StoredObject, ...] = ()
    deletes: tuple[Key, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.upserts and not self.deletes


class CatalogConflict(Exception):
    """The database changed while an apply was being prepared; nothing was written."""


class CatalogStore(Protocol):
    def snapshot(self) -> Snapshot:
        """Every stored user, team, schedule, escalation policy and service (with keys)."""
        ...

    def write(self, changes: ChangeSet, *, source: str, now: datetime) -> None:
        """All of ``changes`` in one transaction, or nothing (raise :class:`CatalogConflict`)."""
        ...
