"""What analytics reads (``app/analytics.py`` ``AnalyticsStore``): incident histories with
their pages and acknowledgements (``incident_responses``, migration 0011), delivered
notifications, time zones and team members."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, String, and_, bindparam, select, type_coerce

from ownit.adapters.db import tables as t
from ownit.adapters.db.analytics_figures import is_stale, read_fresh
from ownit.adapters.db.analytics_histories import histories_of, incident_rows
from ownit.adapters.db.engine import read_only
from ownit.domain.analytics.history import EXPLICIT, Drills, Facts, IncidentHistory
from ownit.domain.analytics.records import IncidentRecord
from ownit.domain.analytics.responders import NOT_LOAD, Message, Response

_i, _s, _tm, _f, _r = t.incidents, t.services, t.teams, t.incident_figures, t.incident_responses
# Whether an incident is a drill (decision 0032.8): drills are left out unless asked for.
_DRILL: ColumnElement[bool] = _i.c.drill


def _raw(column: Any) -> Any:
    """The column as the driver gives it (SQLite: the stored text), parsed by
    :func:`_instant`: thousands of times faster together than the general conversion."""
    return type_coerce(column, String)


def _instant(value: Any) -> Any:
    """An aware UTC datetime from what :func:`_raw` read (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:  # SQLite: naive UTC text; parsed with its offset, ten times cheaper than replace
            return datetime.fromisoformat(value + "+00:00")
        except ValueError:  # text that carries an offset of its own
            return datetime.fromisoformat(value).astimezone(UTC)
    if value.tzinfo is UTC:
        return value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _figures_in(since: datetime | Any, until: datetime | Any) -> ColumnElement[bool]:
    """The outer join to the incident's figures, with the window on both sides: read as a
    range of ``ix_incident_figures_created_at``, which holds every figure (decision 0063).
    The figures' ``created_at`` is the incident's: equal to it, each incident's figures are one
    seek in that covering index (SQLite: not a primary-key probe, then the row); figures
    that somehow differ read as stale, computed afresh (decision 0066)."""
    return and_(
        _f.c.incident_id == _i.c.id,
        _f.c.created_at == _i.c.created_at,
        _f.c.created_at >= since,
        _f.c.created_at < until,
    )


def _filtered(query: Select[Any], service: Any, team: Any, urgency: Any) -> Select[Any]:
    """``query`` narrowed to a service, a team and an urgency: each a value, a parameter
    (``bindparam``) or ``None`` (not narrowed)."""
    if service is not None:
        query = query.where(_s.c.name == service)
    if team is not None:
        query = query.where(_tm.c.name == team)
    if urgency is not None:
        query = query.where(_i.c.urgency == urgency)
    return query


@functools.cache
def _records_query(service: bool, team: bool, urgency: bool) -> Select[Any]:
    """:meth:`SqlAnalyticsStore.records`' statement for one shape of filter, built once with
    its values as parameters (``since``, ``until``, ``service``, ``team``, ``urgency``): built
    and keyed for the compiled cache on each call it cost more than a service page's answer
    (its badge's 30-day TTA)."""
    since: Any = bindparam("since")
    until: Any = bindparam("until")
    query = (
        select(
            is_stale(),
            _i.c.id,
            _raw(_i.c.created_at),
            _i.c.urgency,
            _i.c.component,
            _s.c.name,
            _tm.c.name,
            _f.c.alert_key,
            _f.c.merged_into,
            _f.c.tta,
            _f.c.ttr,
            _f.c.escalated,
            _f.c.auto_resolved,
            _f.c.noise,
            _DRILL,
        )
        .select_from(
            _i.join(_s, _s.c.id == _i.c.service_id)
            .outerjoin(_tm, _tm.c.id == _s.c.owner_team_id)
            .outerjoin(_f, _figures_in(since, until))
        )
        .where(_i.c.created_at >= since, _i.c.created_at < until)
    )
    return _filtered(
        query,
        bindparam("service") if service else None,
        bindparam("team") if team else None,
        bindparam("urgency") if urgency else None,
    )


class SqlAnalyticsStore:
    """Only reads (decision 0062): on SQLite its transactions never take the write lock, on
    PostgreSQL they are ``READ ONLY`` (a write would fail, not happen)."""

    def __init__(self, engine: Engine) -> None:
        reader = read_only(engine)
        if engine.dialect.name == "postgresql":
            reader = reader.execution_options(postgresql_readonly=True)
        self._engine = reader

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
        chosen = _filtered(
            incident_rows().where(_i.c.created_at >= since, _i.c.created_at < until),
            service,
            team,
            urgency,
        )
        with self._engine.connect() as conn:
            return [h for _, h in histories_of(conn, chosen, alert_keys=alert_keys)]

    def records(
        self,
        since: datetime,
        until: datetime,
        *,
        service: str | None = None,
        team: str | None = None,
        urgency: str | None = None,
    ) -> list[IncidentRecord]:
        """The stored figures of the incidents created in ``[since, until)``; a stale one's
        computed from its history instead, in memory (decisions 0038, 0062)."""
        query = _records_query(service is not None, team is not None, urgency is not None)
        values = {
            "since": since,
            "until": until,
            "service": service,
            "team": team,
            "urgency": urgency,
        }
        with self._engine.connect() as conn:  # only reads (decision 0062)
            rows = read_fresh(conn, query, values)
        return [
            IncidentRecord(
                id,
                service,
                _instant(created),
                Facts(tta, ttr, bool(escalated), bool(auto), bool(noise)),
                urgency,
                team,
                component,
                alert_key,
                merged,
                bool(drill),
            )
            for (
                _,
                id,
                created,
                urgency,
                component,
                service,
                team,
                alert_key,
                merged,
                tta,
                ttr,
                escalated,
                auto,
                noise,
                drill,
            ) in rows
        ]

    def responses(self, since: datetime, until: datetime, *, drills: Drills) -> list[Response]:
        """Each person's response to each counted incident created in ``[since, until)``:
        their first page and first explicit acknowledgement, the incident row's
        acknowledgement standing in where none was recorded with how (before migration
        0011: decision 0032.9; the stored TTA says it counted)."""
        # Filtered on the stored figures once they are fresh (merged, drill): in Python.
        query = (
            select(
                is_stale(),
                _i.c.id,
                _f.c.merged_into,
                _DRILL,
                _f.c.tta,
                _i.c.acknowledged_by,
                _raw(_i.c.acknowledged_at),
                _r.c.user_name,
                _raw(_r.c.first_paged_at),
                _raw(_r.c.acknowledged_at),
                _r.c.acknowledged_via,
            )
            .select_from(
                _i.outerjoin(_f, _figures_in(since, until)).outerjoin(
                    _r, _r.c.incident_id == _i.c.id
                )
            )
            .where(_i.c.created_at >= since, _i.c.created_at < until)
        )
        with self._engine.connect() as conn:  # only reads (decision 0062)
            rows = read_fresh(conn, query)
        found: dict[tuple[str, str], list[Any]] = {}
        recorded_acks: set[str] = set()
        by_row: dict[str, tuple[str, Any]] = {}
        for _, incident, merged, drill, tta, by, row_acked, user, paged, acked, via in rows:
            if merged is not None or not drills.admits(bool(drill)):
                continue
            if acked is not None:
                recorded_acks.add(incident)
            if tta is not None and by:
                by_row[incident] = (by, row_acked)
            if user is None:
                continue
            explicit = acked is not None and (via is None or via in EXPLICIT)
            found[(incident, user)] = [_instant(paged), _instant(acked) if explicit else None]
        for incident, (by, row_acked) in by_row.items():
            if incident not in recorded_acks:
                # Acknowledged before migration 0011 recorded how (decision 0032.9).
                mine = found.setdefault((incident, by.removeprefix("user/")), [None, None])
                mine[1] = _instant(row_acked)
        return [Response(i, u, paged, acked) for (i, u), (paged, acked) in found.items()]

    def messages(self, since: datetime, until: datetime) -> list[Message]:
        n = t.notifications
        query = select(n.c.user_name, n.c.contact, _raw(n.c.sent_at)).where(
            n.c.status == "sent",
            n.c.sent_at >= since,
            n.c.sent_at < until,
            n.c.event_type.not_in(NOT_LOAD),  # reminders are not pages
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [Message(u, c, _instant(at)) for u, c, at in rows]

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
