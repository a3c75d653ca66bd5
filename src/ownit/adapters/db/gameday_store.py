"""Game days in ``gamedays`` and their runs in ``gameday_runs`` (migration 0016); a run's
step incidents are the drill runs that name it (``drill_runs.gameday_run_id``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from ownit.adapters.db import tables as t
from ownit.adapters.db.drill_store import PAGE_TYPES
from ownit.adapters.db.incident_owners import team_and_policy
from ownit.app.gamedays import GameDayRun
from ownit.domain.catalog import GameDay, from_spec, to_spec
from ownit.domain.gamedays import StepIncident, plan_steps

_g, _gr, _r, _i, _s, _tm = (
    t.gamedays,
    t.gameday_runs,
    t.drill_runs,
    t.incidents,
    t.services,
    t.teams,
)


def _day(name: str, spec: Any) -> GameDay:
    day = from_spec("GameDay", name, spec or {})
    assert isinstance(day, GameDay)
    return day


def _run(row: Any) -> GameDayRun:
    return GameDayRun(
        id=row.id,
        gameday=_day(row.gameday, row.spec),
        started_at=row.started_at,
        started_by=row.started_by,
        steps=list(row.steps or []),
        findings=list(row.findings or []),
        actions=list(row.actions or []),
    )


class SqlGameDayStore:
    """:class:`ownit.app.gamedays.GameDayStore` on SQLAlchemy Core."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def gameday(self, name: str) -> GameDay | None:
        with self._engine.connect() as conn:
            spec = conn.execute(select(_g.c.spec).where(_g.c.name == name)).first()
        return _day(name, spec.spec) if spec is not None else None

    def target(self, service: str) -> tuple[str | None, str | None]:
        with self._engine.connect() as conn:
            found = team_and_policy(conn, service)
        return found if found is not None else (None, None)

    def create_run(self, day: GameDay, *, by: str, now: datetime) -> int:
        steps = plan_steps(day, now)
        with self._engine.begin() as conn:
            return int(
                conn.execute(
                    insert(_gr)
                    .values(
                        gameday=day.name,
                        spec=to_spec(day),
                        started_at=now,
                        started_by=by,
                        steps=steps,
                        # The first step's timer (the run's start advances those due now).
                        next_step_at=min(now + s.after for s in day.steps) if steps else None,
                        findings=[],
                        actions=[],
                    )
                    .returning(_gr.c.id)
                ).scalar_one()
            )

    def run(self, name: str, run_id: int) -> GameDayRun | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(_gr).where(_gr.c.id == run_id, _gr.c.gameday == name)).first()
        return _run(row) if row is not None else None

    def run_by_id(self, run_id: int) -> GameDayRun | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(_gr).where(_gr.c.id == run_id)).first()
        return _run(row) if row is not None else None

    def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[int]:
        with self._engine.begin() as conn:
            query = (
                select(_gr.c.id, _gr.c.next_step_at)
                .where(_gr.c.next_step_at.is_not(None), _gr.c.next_step_at <= now)
                .order_by(_gr.c.next_step_at)
                .limit(limit)
            )
            if conn.dialect.name == "postgresql":  # SQLite: BEGIN IMMEDIATE (make_engine)
                query = query.with_for_update(skip_locked=True)
            claimed = []
            for row in conn.execute(query).all():
                done = conn.execute(
                    update(_gr)
                    .where(_gr.c.id == row.id, _gr.c.next_step_at == row.next_step_at)
                    .values(next_step_at=now + lease)  # claimed again if we die first
                )
                if done.rowcount == 1:
                    claimed.append(int(row.id))
        return claimed

    def save_steps(
        self, run_id: int, steps: list[dict[str, Any]], next_at: datetime | None
    ) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(_gr).where(_gr.c.id == run_id).values(steps=steps, next_step_at=next_at)
            )

    def save_notes(self, run_id: int, findings: list[str], actions: list[dict[str, Any]]) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(_gr).where(_gr.c.id == run_id).values(findings=findings, actions=actions)
            )

    def incidents(self, run_id: int) -> list[StepIncident]:
        n = t.notifications
        first_page = (
            select(func.min(n.c.sent_at))
            .where(
                n.c.incident_id == _i.c.id,
                n.c.event_type.in_(PAGE_TYPES),
                n.c.status == "sent",
                ~n.c.user_name.startswith("team/"),
            )
            .scalar_subquery()
        )
        query = (
            select(
                _s.c.name.label("service"),
                _tm.c.name.label("team"),
                _r.c.started_at,
                first_page.label("first_page_at"),
                _i.c.acknowledged_at,
            )
            .select_from(_r)
            .join(_i, _i.c.id == _r.c.incident_id)
            .join(_s, _s.c.id == _i.c.service_id)
            .outerjoin(_tm, _tm.c.id == _s.c.owner_team_id)
            .where(_r.c.gameday_run_id == run_id)
        )
        with self._engine.connect() as conn:
            return [
                StepIncident(r.service, r.team, r.started_at, r.first_page_at, r.acknowledged_at)
                for r in conn.execute(query)
            ]

    def timeline(self, run_id: int) -> list[dict[str, Any]]:
        le = t.log_entries
        query = (
            select(le.c.at, _i.c.number, le.c.kind, le.c.actor, le.c.message)
            .select_from(_r)
            .join(_i, _i.c.id == _r.c.incident_id)
            .join(le, le.c.incident_id == _i.c.id)
            .where(_r.c.gameday_run_id == run_id)
            .order_by(le.c.at, le.c.id)
        )
        with self._engine.connect() as conn:
            return [
                {
                    "at": r.at.isoformat(),
                    "incident": r.number,
                    "message": f"{r.kind}: {r.message}" if r.message else r.kind,
                }
                for r in conn.execute(query)
            ]
