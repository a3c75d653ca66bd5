"""Drills in ``drills`` and their runs in ``drill_runs`` (migration 0016).

A run's incident is opened by the ingest pipeline itself (:meth:`SqlIngestStore.apply_in`),
inside the run's transaction: the event goes to the drill's service (and component) as a
router decision would send it, so the same dedup, frozen policy, escalation and outbox apply;
the new incident is marked ``drill`` and its timeline says so before anything is committed,
so the engine never sees it unmarked.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ownit.adapters.db import tables as t
from ownit.adapters.db.audit_log import record
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.adapters.db.one_route import OneRoute
from ownit.adapters.db.wakeup import WorkBell
from ownit.app.drills import ContactUse, DrillInfo, DrillRefused, DrillStillOpen, Run
from ownit.domain.catalog import Drill, from_spec
from ownit.domain.catalog.routers import components_from
from ownit.domain.drills import next_run, parse_schedule
from ownit.domain.events import Action, Event, Severity

FORMAT = "drill"
PAGE_TYPES = ("incident.triggered", "incident.escalated", "incident.fallback")
_d, _r, _i, _s, _tm, _ep = (
    t.drills,
    t.drill_runs,
    t.incidents,
    t.services,
    t.teams,
    t.escalation_policies,
)


def routing_key(name: str) -> str:
    return f"drill/{name}"


def _info(row: Any) -> DrillInfo:
    drill = from_spec("Drill", row.name, row.spec or {})
    assert isinstance(drill, Drill)
    policy = row.policy
    if drill.component is not None:
        chosen = {c.name: c for c in components_from((row.service_spec or {}).get("components"))}
        component = chosen.get(drill.component)
        if component is not None and component.escalation_policy is not None:
            policy = component.escalation_policy
    return DrillInfo(drill, row.team, policy, row.next_run_at)


def _drill_select() -> Any:
    return (
        select(
            _d.c.id,
            _d.c.name,
            _d.c.spec,
            _d.c.next_run_at,
            _s.c.spec.label("service_spec"),
            _tm.c.name.label("team"),
            _ep.c.name.label("policy"),
        )
        .join(_s, _s.c.id == _d.c.service_id)
        .outerjoin(_tm, _tm.c.id == _s.c.owner_team_id)
        .outerjoin(_ep, _ep.c.id == _s.c.escalation_policy_id)
    )


# Built once: building and keying it for the compiled cache on each call cost more than
# the query.
_DRILLS = _drill_select().order_by(_d.c.name)


def _person(actor: str | None) -> str | None:
    return actor.removeprefix("user/") if actor else None


class SqlDrillStore:
    """:class:`ownit.app.drills.DrillStore` on SQLAlchemy Core."""

    def __init__(self, engine: Engine, *, bell: WorkBell | None = None) -> None:
        self._engine = engine
        self._bell = bell

    # --- drills ---------------------------------------------------------------------------

    def drills(self, team: str | None = None) -> list[DrillInfo]:
        query = _DRILLS  # every drill: the standards' read (a service page's badge)
        if team is not None:
            query = query.where(_tm.c.name == team)
        with self._engine.connect() as conn:
            return [_info(r) for r in conn.execute(query)]

    def drill(self, name: str) -> DrillInfo | None:
        with self._engine.connect() as conn:
            row = conn.execute(_drill_select().where(_d.c.name == name)).first()
        return _info(row) if row is not None else None

    def claim_due(self, now: datetime, limit: int) -> list[DrillInfo]:
        with self._engine.begin() as conn:
            query = (
                _drill_select()
                .where(_d.c.next_run_at.is_not(None), _d.c.next_run_at <= now)
                .order_by(_d.c.next_run_at)
                .limit(limit)
            )
            if conn.dialect.name == "postgresql":  # SQLite: BEGIN IMMEDIATE (make_engine)
                query = query.with_for_update(of=_d, skip_locked=True)
            claimed = []
            for row in conn.execute(query).all():
                info = _info(row)
                schedule = info.drill.schedule
                following = (
                    next_run(parse_schedule(schedule), ZoneInfo(info.drill.timezone), now)
                    if schedule is not None
                    else None
                )
                done = conn.execute(
                    update(_d)
                    .where(_d.c.id == row.id, _d.c.next_run_at == row.next_run_at)
                    .values(next_run_at=following, updated_at=now)
                )
                if done.rowcount == 1:
                    claimed.append(info)
        return claimed

    # --- runs -----------------------------------------------------------------------------

    def start(
        self,
        info: DrillInfo,
        *,
        by: str,
        now: datetime,
        summary: str | None = None,
        severity: str = "critical",
        gameday_run: int | None = None,
        label: str | None = None,
        audit: Mapping[str, Any] | None = None,
    ) -> Run:
        drill = info.drill
        shown = label or drill.name
        ingest = SqlIngestStore(
            self._engine,
            routers=OneRoute(routing_key(drill.name), drill.service, drill.component),
            bell=self._bell,
        )
        try:
            with self._engine.begin() as conn:
                self._refuse_if_open(conn, drill.name)
                if gameday_run is not None:  # a step runs once, open or ended (decision 0061)
                    self._refuse_if_ran(conn, drill.name)
                run_id = int(
                    conn.execute(
                        insert(_r)
                        .values(
                            drill=drill.name,
                            open_drill=drill.name,
                            started_at=now,
                            started_by=by,
                            ack_target_seconds=int(drill.ack_target.total_seconds()),
                            auto_resolve_at=now + drill.auto_resolve,
                            gameday_run_id=gameday_run,
                        )
                        .returning(_r.c.id)
                    ).scalar_one()
                )
                event = _event(drill, run_id, now, summary, severity, shown)
                results = ingest.apply_in(conn, [[event]], now)
                incident_id = conn.execute(
                    select(_i.c.id).where(
                        _i.c.dedup_key == event.dedup_key, _i.c.status != "resolved"
                    )
                ).scalar()
                if incident_id is None:
                    outcome = "; ".join(o for r in results for o in r.outcomes) or "not paged"
                    raise DrillRefused(
                        "service",
                        f"the drill's event paged nobody ({outcome}): is {drill.service} in a "
                        "maintenance window?",
                    )
                conn.execute(update(_i).where(_i.c.id == incident_id).values(drill=True))
                conn.execute(update(_r).where(_r.c.id == run_id).values(incident_id=incident_id))
                conn.execute(
                    insert(t.log_entries).values(
                        incident_id=incident_id,
                        at=now,
                        kind="drill",
                        actor=by,
                        message=(
                            f"this is a DRILL ({shown}), started by {by}: practice, not a "
                            "real problem; acknowledge it to score the drill"
                        ),
                        data={"drill": drill.name, "run": run_id},
                    )
                )
                if audit is not None:
                    number = conn.execute(
                        select(_i.c.number).where(_i.c.id == incident_id)
                    ).scalar_one()
                    record(
                        conn,
                        at=now,
                        kind="service",
                        name=drill.service,
                        action="test-event",
                        after={**audit, "incident": f"#{number}"},
                    )
        except IntegrityError:
            raise DrillStillOpen(drill.name, None) from None
        ingest.ring()
        found = self._runs(_r.c.id == run_id, limit=1)
        return found[0]

    def _refuse_if_open(self, conn: Connection, name: str) -> None:
        row = conn.execute(
            select(_i.c.number)
            .select_from(_r)
            .outerjoin(_i, _i.c.id == _r.c.incident_id)
            .where(_r.c.open_drill == name)
        ).first()
        if row is not None:
            raise DrillStillOpen(name, row.number)

    def _refuse_if_ran(self, conn: Connection, name: str) -> None:
        row = conn.execute(
            select(_i.c.number)
            .select_from(_r)
            .outerjoin(_i, _i.c.id == _r.c.incident_id)
            .where(_r.c.drill == name)
            .limit(1)
        ).first()
        if row is not None:
            raise DrillStillOpen(name, row.number)

    def runs(self, name: str, limit: int = 100) -> list[Run]:
        return self._runs(_r.c.drill == name, limit=limit)

    def open_runs(self, limit: int) -> list[Run]:
        return self._runs(_r.c.ended_at.is_(None), limit=limit, oldest_first=True)

    def end(self, run_id: int, now: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(_r)
                .where(_r.c.id == run_id, _r.c.ended_at.is_(None))
                .values(ended_at=now, open_drill=None, auto_resolve_at=None)
            )

    def _runs(self, where: Any, *, limit: int, oldest_first: bool = False) -> list[Run]:
        query = (
            select(
                _r,
                _i.c.number,
                _i.c.status,
                _i.c.acknowledged_at,
                _i.c.acknowledged_by,
            )
            .outerjoin(_i, _i.c.id == _r.c.incident_id)
            .where(where)
            .order_by(_r.c.started_at if oldest_first else _r.c.started_at.desc(), _r.c.id)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
            ids = [r.incident_id for r in rows if r.incident_id is not None]
            levels, never = _responses(conn, ids)
            contacts = _contacts(conn, ids)
        return [
            Run(
                id=r.id,
                drill=r.drill,
                incident_id=r.incident_id,
                incident_number=r.number,
                started_at=r.started_at,
                started_by=r.started_by,
                ack_target=timedelta(seconds=r.ack_target_seconds),
                status=r.status or "resolved",
                acknowledged_at=r.acknowledged_at,
                acknowledged_by=_person(r.acknowledged_by),
                ended_at=r.ended_at,
                auto_resolve_at=r.auto_resolve_at,
                levels_reached=levels.get(r.incident_id, 0),
                contacts=tuple(contacts.get(r.incident_id, ())),
                never_acknowledged=tuple(never.get(r.incident_id, ())),
            )
            for r in rows
        ]


def _event(
    drill: Drill, run_id: int, now: datetime, summary: str | None, severity: str, shown: str
) -> Event:
    text = summary or f"practice page for {drill.service}"
    title = f"[DRILL] {shown}: {text}"
    return Event(
        format=FORMAT,
        routing_key=routing_key(drill.name),
        action=Action.TRIGGER,
        dedup_key=f"drill/{drill.name}/{run_id}",
        summary=title,
        source=f"drill/{drill.name}",
        severity=Severity(severity),
        timestamp=now,
        custom_details={"drill": drill.name, "run": run_id},
        raw={"drill": drill.name, "run": run_id, "summary": title},
    )


def _responses(conn: Connection, ids: list[str]) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Per incident: the highest escalation level that paged someone, and who was paged and
    never acknowledged."""
    if not ids:
        return {}, {}
    resp = t.incident_responses
    levels: dict[str, int] = {}
    never: dict[str, list[str]] = {}
    query = select(
        resp.c.incident_id, resp.c.user_name, resp.c.highest_level, resp.c.acknowledged_at
    ).where(resp.c.incident_id.in_(ids), resp.c.first_paged_at.is_not(None))
    for incident_id, user, level, acked in conn.execute(query.order_by(resp.c.user_name)):
        levels[incident_id] = max(levels.get(incident_id, 0), int(level or 1))
        if acked is None:
            never.setdefault(incident_id, []).append(user)
    return levels, never


def _contacts(conn: Connection, ids: list[str]) -> dict[str, list[ContactUse]]:
    """The pages of these incidents (people, not team channels), in order."""
    if not ids:
        return {}
    n = t.notifications
    query = (
        select(n.c.incident_id, n.c.user_name, n.c.contact, n.c.channel, n.c.sent_at, n.c.status)
        .where(n.c.incident_id.in_(ids), n.c.event_type.in_(PAGE_TYPES))
        .order_by(func.coalesce(n.c.sent_at, n.c.due_at), n.c.id)
    )
    out: dict[str, list[ContactUse]] = {}
    for incident_id, user, contact, channel, sent_at, status in conn.execute(query):
        if user.startswith("team/"):
            continue
        out.setdefault(incident_id, []).append(
            ContactUse(user, contact, channel, sent_at, status == "sent")
        )
    return out
