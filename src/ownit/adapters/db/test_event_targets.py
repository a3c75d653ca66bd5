"""What a test event to a service needs (:class:`ownit.app.test_events.TargetStore`): its
owner team, its escalation policy, and whether the organisation responds by team."""

from __future__ import annotations

from sqlalchemy import Engine, select

from ownit.adapters.db import tables as t
from ownit.app.test_events import Target


class SqlTestEventTargets:
    def __init__(self, engine: Engine, *, org_id: int = 1) -> None:
        self._engine = engine
        self._org_id = org_id

    def target(self, service: str) -> Target | None:
        s, tm, ep, o = t.services, t.teams, t.escalation_policies, t.organisations
        query = (
            select(tm.c.name.label("team"), ep.c.name.label("policy"))
            .select_from(s)
            .outerjoin(tm, tm.c.id == s.c.owner_team_id)
            .outerjoin(ep, ep.c.id == s.c.escalation_policy_id)
            .where(s.c.name == service)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
            responding = conn.execute(select(o.c.responding).where(o.c.id == self._org_id)).scalar()
        if row is None:
            return None
        return Target(row.team, row.policy, responding == "team")
