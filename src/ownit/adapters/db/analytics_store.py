"""What analytics reads (``app/analytics.py`` ``AnalyticsStore``): incident histories with
their pages and acknowledgements (``incident_responses``, migration 0011), delivered
notifications, time zones and team members."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, select

from ownit.adapters.db import tables as t
from ownit.domain.analytics.history import (
    Acknowledgement,
    IncidentHistory,
    Page,
    Resolution,
    resolution_of,
)
from ownit.domain.analytics.responders import Message

_i, _s, _tm, _r = t.incidents, t.services, t.teams, t.incident_responses
_CHUNK = 900  # ids per IN (...): under SQLite's bound-parameter limit


def _resolution(row: Any) -> Resolution | None:
    if row.resolved_at is None:
        return None
    return resolution_of(row.resolved_by, alert_count=row.alert_count, dedup_key=row.dedup_key)


def _is_person(actor: str | None) -> bool:
    return bool(actor) and not (actor or "").startswith(("integration/", "heartbeat/"))


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


class SqlAnalyticsStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _incidents(
        self,
        since: datetime,
        until: datetime,
        service: str | None,
        team: str | None,
        urgency: str | None,
    ) -> Select[Any]:
        query = (
            select(
                _i.c.id,
                _i.c.created_at,
                _i.c.urgency,
                _i.c.component,
                _i.c.dedup_key,
                _i.c.alert_count,
                _i.c.acknowledged_at,
                _i.c.acknowledged_by,
                _i.c.resolved_at,
                _i.c.resolved_by,
                _i.c.drill,
                _s.c.name.label("service"),
                _tm.c.name.label("team"),
            )
            .join(_s, _s.c.id == _i.c.service_id)
            .outerjoin(_tm, _tm.c.id == _s.c.owner_team_id)
            .where(_i.c.created_at >= since, _i.c.created_at < until)
        )
        if service is not None:
            query = query.where(_s.c.name == service)
        if team is not None:
            query = query.where(_tm.c.name == team)
        if urgency is not None:
            query = query.where(_i.c.urgency == urgency)
        return query

    def histories(
        self,
        since: datetime,
        until: datetime,
        *,
        service: str | None = None,
        team: str | None = None,
        urgency: str | None = None,
        alert_keys: bool = False,
    ) -> list[IncidentHistory]:
        chosen = self._incidents(since, until, service, team, urgency)
        # The responses of the same incidents, in one statement (joined on the same filter).
        responses = chosen.with_only_columns(
            _r.c.incident_id,
            _r.c.user_name,
            _r.c.first_paged_at,
            _r.c.highest_level,
            _r.c.acknowledged_at,
            _r.c.acknowledged_via,
        ).join(_r, _r.c.incident_id == _i.c.id)
        with self._engine.connect() as conn:
            rows = conn.execute(chosen).all()
            ids = [r.id for r in rows]
            pages: dict[str, list[Page]] = {}
            acks: dict[str, list[Acknowledgement]] = {}
            for incident_id, user, paged_at, level, acked_at, via in conn.execute(responses):
                if paged_at is not None:
                    pages.setdefault(incident_id, []).append(Page(user, paged_at, level or 1))
                if acked_at is not None:
                    acks.setdefault(incident_id, []).append(
                        Acknowledgement(user, acked_at, via or "person")
                    )
            merged = self._merged_into(conn, [r.id for r in rows if r.alert_count == 0])
            names = self._alert_names(conn, ids) if alert_keys else {}
        found = []
        for r in rows:
            acknowledged = acks.get(r.id, [])
            if not acknowledged and r.acknowledged_at is not None and _is_person(r.acknowledged_by):
                # Acknowledged before migration 0011 recorded how: a person did it.
                acknowledged = [
                    Acknowledgement(
                        r.acknowledged_by.removeprefix("user/"), r.acknowledged_at, "person"
                    )
                ]
            found.append(
                IncidentHistory(
                    id=r.id,
                    service=r.service,
                    created_at=r.created_at,
                    urgency=r.urgency,
                    team=r.team,
                    component=r.component,
                    alert_key=names.get(r.id) or r.dedup_key,
                    acknowledgements=tuple(acknowledged),
                    pages=tuple(pages.get(r.id, ())),
                    resolved_at=r.resolved_at,
                    resolved_by=_resolution(r),
                    merged_into=merged.get(r.id),
                    drill=bool(r.drill),
                )
            )
        return found

    @staticmethod
    def _merged_into(conn: Any, ids: list[str]) -> dict[str, str]:
        le = t.log_entries
        into: dict[str, str] = {}
        for chunk in _chunks(ids):
            query = select(le.c.incident_id, le.c.data).where(
                le.c.incident_id.in_(chunk), le.c.kind == "merged"
            )
            for incident_id, data in conn.execute(query):
                if isinstance(data, dict) and isinstance(data.get("into"), str):
                    into[incident_id] = data["into"]
        return into

    @staticmethod
    def _alert_names(conn: Any, ids: list[str]) -> dict[str, str]:
        """The Alertmanager ``alertname`` of each incident's first alert, where it has one."""
        a = t.alerts
        names: dict[str, str] = {}
        for chunk in _chunks(ids):
            query = (
                select(a.c.incident_id, a.c.labels)
                .where(a.c.incident_id.in_(chunk), a.c.labels.is_not(None))
                .order_by(a.c.created_at.desc())
            )
            for incident_id, labels in conn.execute(query):
                name = labels.get("alertname") if isinstance(labels, dict) else None
                if isinstance(name, str) and name:
                    names[incident_id] = name  # the oldest alert's wins (ordered newest first)
        return names

    def messages(self, since: datetime, until: datetime) -> list[Message]:
        n = t.notifications
        query = select(n.c.user_name, n.c.contact, n.c.sent_at).where(
            n.c.status == "sent", n.c.sent_at >= since, n.c.sent_at < until
        )
        with self._engine.connect() as conn:
            return [Message(u, c, at) for u, c, at in conn.execute(query)]

    def zones(self) -> dict[str, str]:
        with self._engine.connect() as conn:
            return dict(conn.execute(select(t.users.c.name, t.users.c.timezone)).all())

    def service_exists(self, name: str) -> bool:
        with self._engine.connect() as conn:
            return conn.execute(select(_s.c.id).where(_s.c.name == name)).first() is not None

    def team_members(self, team: str) -> list[str] | None:
        m, u = t.team_members, t.users
        with self._engine.connect() as conn:
            found = conn.execute(select(_tm.c.id).where(_tm.c.name == team)).scalar()
            if found is None:
                return None
            query = (
                select(u.c.name)
                .join(m, m.c.user_id == u.c.id)
                .where(m.c.team_id == found)
                .order_by(u.c.name)
            )
            return list(conn.execute(query).scalars())
