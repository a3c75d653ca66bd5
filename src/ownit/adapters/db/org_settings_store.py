"""The organisation's settings (``organisations``), each change in the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select, update

from ownit.adapters.db import tables as t
from ownit.adapters.db.audit_log import record

_o = t.organisations


class SqlOrgSettings:
    """:class:`ownit.app.org_settings.OrgSettingsStore`."""

    def __init__(self, engine: Engine, *, org_id: int = 1) -> None:
        self._engine = engine
        self._org_id = org_id

    def responding(self) -> str:
        with self._engine.connect() as conn:
            found = conn.execute(select(_o.c.responding).where(_o.c.id == self._org_id)).scalar()
        return str(found or "anyone")

    def set_responding(self, value: str, at: datetime) -> None:
        with self._engine.begin() as conn:
            before = conn.execute(
                select(_o.c.responding).where(_o.c.id == self._org_id).with_for_update()
            ).scalar()
            conn.execute(update(_o).where(_o.c.id == self._org_id).values(responding=value))
            record(
                conn,
                at=at,
                kind="settings",
                name="organisation",
                action="updated",
                before={"responding": before},
                after={"responding": value},
            )
