"""Recent first pages (``app.pages.PageStore``) from ``incident_responses``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from ownit.adapters.db import tables as t
from ownit.domain.analytics.history import Drills
from ownit.domain.page_owner import owning_team

_i, _s, _tm, _r = t.incidents, t.services, t.teams, t.incident_responses


class SqlPageStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def pages_since(
        self, since: datetime, service: str | None, drills: Drills = Drills.INCLUDE
    ) -> list[dict[str, Any]]:
        query = (
            select(
                _i.c.id,
                _i.c.number,
                _i.c.title,
                _i.c.component,
                _i.c.drill,
                _s.c.name.label("service"),
                _s.c.spec,
                _tm.c.name.label("service_owner"),
                _r.c.user_name,
                _r.c.first_paged_at,
                _r.c.highest_level,
            )
            .select_from(_r)
            .join(_i, _i.c.id == _r.c.incident_id)
            .join(_s, _s.c.id == _i.c.service_id)
            .outerjoin(_tm, _tm.c.id == _s.c.owner_team_id)
            .where(_r.c.first_paged_at >= since)
            .order_by(_r.c.first_paged_at.desc(), _i.c.number.desc(), _r.c.user_name)
        )
        if service is not None:
            query = query.where(_s.c.name == service)
        if drills is Drills.EXCLUDE:
            query = query.where(_i.c.drill.is_(False))
        elif drills is Drills.ONLY:
            query = query.where(_i.c.drill.is_(True))
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            {
                "incident": r.id,
                "number": r.number,
                "title": r.title,
                "service": r.service,
                "component": r.component,
                "team": owning_team(
                    r.service_owner, r.component, (r.spec or {}).get("components") or ()
                ),
                "user": r.user_name,
                "paged_at": r.first_paged_at,
                "level": r.highest_level,
                "drill": bool(r.drill),
            }
            for r in rows
        ]

    def service_exists(self, name: str) -> bool:
        with self._engine.connect() as conn:
            found = conn.execute(select(_s.c.id).where(_s.c.name == name)).first()
        return found is not None

    def team_exists(self, name: str) -> bool:
        with self._engine.connect() as conn:
            found = conn.execute(select(_tm.c.id).where(_tm.c.name == name)).first()
        return found is not None
