"""What a postmortem reads from the rest of the database: its incident (and whether it was
merged into another), the incident's log, the changes on services, the dependency graph and
each service's ``postmortem`` policy override."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, select

from ownit.adapters.db import tables as t
from ownit.app.postmortems import IncidentFacts
from ownit.domain.durations import parse_duration
from ownit.domain.ids import MAX_ROW_ID
from ownit.domain.postmortems.policy import PolicyOverride
from ownit.domain.postmortems.timeline import Source

_i, _s, _tm = t.incidents, t.services, t.teams
_FACTS = (
    select(
        _i.c.id,
        _i.c.number,
        _i.c.title,
        _i.c.urgency,
        _s.c.name.label("service"),
        _tm.c.name.label("team"),
        _i.c.created_at,
        _i.c.acknowledged_at,
        _i.c.resolved_at,
    )
    .join(_s, _s.c.id == _i.c.service_id)
    .outerjoin(_tm, _tm.c.id == _s.c.owner_team_id)
)

# The standards' reads (a service page's badge runs them), built once: building and keying
# a statement for the compiled cache on each call costs more than SQLite's answer.
_RESOLVED = _FACTS.where(
    _i.c.org_id == bindparam("org"),
    _i.c.created_at >= bindparam("since"),
    _i.c.resolved_at.is_not(None),
    _i.c.drill.is_(False),  # practice: a drill's incident is not one to learn from
)
_RESOLVED_SINCE = _RESOLVED.order_by(_i.c.created_at)
_RESOLVED_SINCE_OF = _RESOLVED.where(_s.c.name == bindparam("service")).order_by(_i.c.created_at)
_POLICY_OVERRIDES = select(_s.c.name, _s.c.spec["postmortem"].label("postmortem")).where(
    _s.c.name.in_(bindparam("names", expanding=True))
)


def facts_of(row: Any) -> IncidentFacts:
    return IncidentFacts(
        id=row.id,
        number=row.number,
        title=row.title,
        urgency=row.urgency,
        service=row.service,
        team=row.team,
        created_at=row.created_at,
        acknowledged_at=row.acknowledged_at,
        resolved_at=row.resolved_at,
    )


def incident_facts(conn: Connection, incident_id: str) -> IncidentFacts | None:
    row = conn.execute(_FACTS.where(_i.c.id == incident_id)).first()
    return None if row is None else facts_of(row)


def _override(found: object) -> PolicyOverride | None:
    """A service's ``postmortem`` field as stored (``None``: it has none)."""
    if not isinstance(found, dict):
        return None
    minimum = found.get("minDuration")
    return PolicyOverride(
        required=found.get("required"),
        urgency=found.get("urgency"),
        min_duration=parse_duration(minimum) if isinstance(minimum, str) else None,
        days=found.get("days"),
    )


def incidents_facts(conn: Connection, incident_ids: list[str]) -> dict[str, IncidentFacts]:
    """The facts of these incidents by id, in one query."""
    return {r.id: facts_of(r) for r in conn.execute(_FACTS.where(_i.c.id.in_(incident_ids)))}


class PostmortemReads:
    def __init__(self, engine: Engine, *, org_id: int = 1) -> None:
        self._engine = engine
        self._org_id = org_id

    def incident(self, ref: str) -> IncidentFacts | None:
        ref = ref.strip().lstrip("#")
        if len(ref) > 40 or "\x00" in ref:
            return None
        if ref.isascii() and ref.isdigit():
            if int(ref) > MAX_ROW_ID:
                return None
            cond = and_(_i.c.org_id == self._org_id, _i.c.number == int(ref))
        else:
            cond = and_(_i.c.org_id == self._org_id, _i.c.id == ref)
        with self._engine.connect() as conn:
            row = conn.execute(_FACTS.where(cond)).first()
        return None if row is None else facts_of(row)

    def merged_into(self, incident_id: str) -> str | None:
        le = t.log_entries
        query = select(le.c.data).where(le.c.incident_id == incident_id, le.c.kind == "merged")
        with self._engine.connect() as conn:
            for (data,) in conn.execute(query):
                if isinstance(data, dict) and isinstance(data.get("into"), str):
                    return str(data["into"])
        return None

    def log(self, incident_id: str) -> list[Source]:
        le = t.log_entries
        query = (
            select(le.c.id, le.c.at, le.c.kind, le.c.actor, le.c.message)
            .where(le.c.incident_id == incident_id)
            .order_by(le.c.at, le.c.id)
        )
        with self._engine.connect() as conn:
            return [
                Source(f"log:{r.id}", r.at, r.kind, r.message, actor=r.actor)
                for r in conn.execute(query)
            ]

    def changes(self, services: Sequence[str], since: datetime, until: datetime) -> list[Source]:
        c = t.change_events
        query = (
            select(c.c.id, c.c.received_at, c.c.timestamp, c.c.summary, c.c.source, _s.c.name)
            .join(_s, _s.c.id == c.c.service_id)
            .where(
                _s.c.name.in_(list(services)),
                c.c.received_at >= since - timedelta(days=1),
                c.c.received_at <= until + timedelta(days=1),
            )
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        # A change's own time (when it happened) when it gave one, else when it arrived.
        return [
            Source(
                f"change:{r.id}",
                r.timestamp or r.received_at,
                "change",
                r.summary,
                actor=r.source,
                service=r.name,
            )
            for r in rows
        ]

    def dependency_graph(self) -> dict[str, tuple[str, ...]]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(_s.c.name, _s.c.spec["dependsOn"])).all()
        return {name: tuple(found or ()) for name, found in rows}

    def policy_override(self, service: str) -> PolicyOverride | None:
        return self.policy_overrides({service}).get(service)

    def policy_overrides(self, services: set[str]) -> dict[str, PolicyOverride | None]:
        with self._engine.connect() as conn:
            rows = conn.execute(_POLICY_OVERRIDES, {"names": sorted(services)})
            return {row.name: _override(row.postmortem) for row in rows}

    def user_exists(self, name: str) -> bool:
        u = t.users
        with self._engine.connect() as conn:
            return conn.execute(select(u.c.id).where(u.c.name == name)).first() is not None

    def team_exists(self, name: str) -> bool:
        with self._engine.connect() as conn:
            return conn.execute(select(_tm.c.id).where(_tm.c.name == name)).first() is not None

    def incidents_since(self, since: datetime, service: str | None) -> list[IncidentFacts]:
        query = _RESOLVED_SINCE if service is None else _RESOLVED_SINCE_OF
        values = {"org": self._org_id, "since": since, "service": service}
        with self._engine.connect() as conn:
            return [facts_of(r) for r in conn.execute(query, values)]
