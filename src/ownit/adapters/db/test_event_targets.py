"""What a test event to a service needs (:class:`ownit.app.test_events.TargetStore`): its
owner team, its escalation policy, and whether the organisation responds by team."""

from __future__ import annotations

from sqlalchemy import Engine, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.incident_owners import team_and_policy
from ownit.app.test_events import Target


class SqlTestEventTargets:
    def __init__(self, engine: Engine, *, org_id: int = 1) -> None:
        self._engine = engine
        self._org_id = org_id

    def target(self, service: str) -> Target | None:
        o = t.organisations
        with self._engine.connect() as conn:
            found = team_and_policy(conn, service)
            responding = conn.execute(select(o.c.responding).where(o.c.id == self._org_id)).scalar()
        if found is None:
            return None
        team, policy = found
        return Target(team, policy, responding == "team")
