"""Hand-made incident histories for the analytics tests, and a seeder that writes them into
the tables as ownit itself would have (so the API can be checked against the same cases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, Table, select

from ownit.adapters.db import tables as t
from ownit.domain.analytics.history import Acknowledgement, IncidentHistory, Page, Resolution
from ownit.domain.analytics.period import Period

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
PERIOD = Period(T0 - timedelta(days=1), T0 + timedelta(days=29))  # 30 days


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def ack(minutes: float, by: str = "alice", via: str = "web") -> Acknowledgement:
    return Acknowledgement(by, at(minutes), via)


NEVER_ACKED = IncidentHistory(
    "inc_never",
    "api",
    T0,
    alert_key="disk",
    team="core",
    pages=(Page("alice", at(0)), Page("bob", at(5), 2)),
)
RESOLVED_BY_EVENT = IncidentHistory(
    "inc_event",
    "api",
    T0,
    alert_key="disk",
    team="core",
    resolved_at=at(3),
    resolved_by=Resolution.EVENT,
)
REASSIGN_ONLY = IncidentHistory(
    "inc_reassign",
    "api",
    T0,
    alert_key="cpu",
    team="core",
    acknowledgements=(ack(2, "alice", "reassign"),),
    pages=(Page("alice", at(0)), Page("carol", at(2))),
    resolved_at=at(60),
    resolved_by=Resolution.PERSON,
)
ACKED_BY_EVENT_THEN_PERSON = IncidentHistory(
    "inc_event_ack",
    "web",
    T0,
    alert_key="5xx",
    component="frontend",
    acknowledgements=(ack(1, "integration/prom", "event"), ack(4, "bob", "api")),
    pages=(Page("bob", at(0)),),
    resolved_at=at(30),
    resolved_by=Resolution.PERSON,
)
ACKED_TWICE = IncidentHistory(
    "inc_twice",
    "web",
    T0,
    alert_key="5xx",
    urgency="low",
    acknowledgements=(ack(10, "bob", "cli"), ack(2, "alice", "link")),
    resolved_at=at(20),
    resolved_by=Resolution.EVENT,
)
FLAPPING_HEARTBEAT = IncidentHistory(
    "inc_beat",
    "db",
    T0,
    alert_key="heartbeat/db",
    resolved_at=at(5),
    resolved_by=Resolution.HEARTBEAT,
)
SLOW_EVENT = IncidentHistory(
    "inc_slow",
    "db",
    at(60 * 24 * 7),
    alert_key="slow-query",
    resolved_at=at(60 * 24 * 7 + 6),
    resolved_by=Resolution.EVENT,
)

HAND_MADE = [
    NEVER_ACKED,
    RESOLVED_BY_EVENT,
    REASSIGN_ONLY,
    ACKED_BY_EVENT_THEN_PERSON,
    ACKED_TWICE,
    FLAPPING_HEARTBEAT,
    SLOW_EVENT,
]

MERGE_TARGET = IncidentHistory(
    "inc_target",
    "api",
    at(100),
    alert_key="merge",
    acknowledgements=(ack(104),),
    resolved_at=at(140),
)
MERGE_SOURCE = IncidentHistory(
    "inc_source",
    "api",
    at(101),
    alert_key="merge",
    merged_into="inc_target",
    resolved_at=at(102),
    resolved_by=Resolution.MERGE,
)

# What the hand-made set gives (worked out by hand in docs/analytics.md).
HAND_MADE_TOTAL = {
    "count": 7,
    "acknowledged": 2,
    "unacknowledged": 5,
    "resolved": 6,
    "escalated": 1,
    "auto_resolved": 3,
    "noise": 2,
    # TTA 120, 240: mean 180, p50 rank ceil(1) = 1 → 120, p90 rank ceil(1.8) = 2 → 240
    "tta_seconds": {"mean": 180.0, "p50": 120.0, "p90": 240.0},
    # TTR 180, 300, 360, 1200, 1800, 3600: p50 rank 3 → 360, p90 rank ceil(5.4) = 6 → 3600
    "ttr_seconds": {"mean": 1240.0, "p50": 360.0, "p90": 3600.0},
}

_RESOLVERS = {
    Resolution.PERSON: "alice",
    Resolution.MERGE: "alice",
    Resolution.EVENT: "integration/events",
    Resolution.HEARTBEAT: "integration/events",
}


def _id_of(conn: Connection, table: Table, name: str, **values: object) -> int:
    found = conn.execute(select(table.c.id).where(table.c.name == name)).scalar()
    if found is not None:
        return int(found)
    stamp = {"created_at": T0, "updated_at": T0}
    key = conn.execute(table.insert().values(name=name, spec={}, **stamp, **values))
    assert key.inserted_primary_key is not None
    return int(key.inserted_primary_key[0])


def seed(engine: Engine, histories: list[IncidentHistory], *, first_number: int = 1) -> None:
    """Write ``histories`` as incidents, responses (pages, acknowledgements) and merges."""
    with engine.begin() as conn:
        for number, h in enumerate(histories, start=first_number):
            team_id = None if h.team is None else _id_of(conn, t.teams, h.team)
            service_id = _id_of(conn, t.services, h.service, owner_team_id=team_id)
            # A reassignment never acknowledges; an event or a person does.
            moved = [a for a in h.acknowledgements if a.via != "reassign"]
            first_any = min(moved, key=lambda a: a.at, default=None)
            status = "resolved" if h.resolved_at else "acknowledged" if first_any else "triggered"
            conn.execute(
                t.incidents.insert().values(
                    id=h.id,
                    org_id=1,
                    number=number,
                    title=h.id,
                    status=status,
                    urgency=h.urgency,
                    severity="critical",
                    service_id=service_id,
                    component=h.component,
                    dedup_key=h.alert_key,
                    alert_count=0 if h.merged_into else 1,
                    created_at=h.created_at,
                    updated_at=h.created_at,
                    acknowledged_at=first_any.at if first_any else None,
                    acknowledged_by=first_any.by if first_any else None,
                    resolved_at=h.resolved_at,
                    resolved_by=_RESOLVERS[h.resolved_by] if h.resolved_by else None,
                )
            )
            rows: dict[str, dict[str, object]] = {}
            for p in h.pages:
                row = rows.setdefault(p.user, {"incident_id": h.id, "user_name": p.user})
                row["first_paged_at"] = p.at
                row["highest_level"] = p.level
            for a in h.acknowledgements:
                if a.explicit:  # only people's explicit acknowledgements are recorded
                    row = rows.setdefault(a.by, {"incident_id": h.id, "user_name": a.by})
                    row["acknowledged_at"] = a.at
                    row["acknowledged_via"] = a.via
            for row in rows.values():
                conn.execute(t.incident_responses.insert().values(**row))
            if h.merged_into:
                conn.execute(
                    t.log_entries.insert().values(
                        incident_id=h.id,
                        at=h.resolved_at,
                        kind="merged",
                        actor="alice",
                        message="merged",
                        data={"into": h.merged_into},
                    )
                )
