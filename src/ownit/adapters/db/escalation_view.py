"""An incident's frozen escalation policy and where it stands, read for the incident page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from ownit.adapters.db import tables as t


class SqlEscalationView:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def escalation_of(self, incident_id: str) -> tuple[Any, Any] | None:
        """``(policy, state)`` as stored (JSON), or ``None`` when the incident has no row."""
        e = t.escalations
        with self._engine.connect() as conn:
            row = conn.execute(
                select(e.c.policy, e.c.state).where(e.c.incident_id == incident_id)
            ).first()
        return None if row is None else (row.policy, row.state)
