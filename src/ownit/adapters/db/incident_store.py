"""Incidents for people: listing, one incident, its timeline and alerts, status changes, notes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, Row, and_, case, func, select, update

from ownit.adapters.db import tables as t
from ownit.adapters.db.analytics_figures import refresh as refresh_figures
from ownit.adapters.db.analytics_records import record_acknowledgement
from ownit.adapters.db.audit_log import record
from ownit.adapters.db.incident_owners import annotate, team_condition
from ownit.adapters.db.incident_regroup import merge_into, split_off
from ownit.adapters.db.retry import retried
from ownit.adapters.db.rows import row_dict
from ownit.adapters.db.wakeup import WorkBell
from ownit.app.incidents import IncidentFilter
from ownit.domain.ids import MAX_ROW_ID
from ownit.domain.incidents import Status

_i = t.incidents
_COLUMNS = (
    _i.c.id,
    _i.c.number,
    _i.c.title,
    _i.c.status,
    _i.c.urgency,
    _i.c.severity,
    t.services.c.name.label("service"),
    _i.c.component,
    _i.c.dedup_key,
    _i.c.alert_count,
    _i.c.created_at,
    _i.c.updated_at,
    _i.c.acknowledged_at,
    _i.c.acknowledged_by,
    _i.c.resolved_at,
    _i.c.resolved_by,
    _i.c.group_key,
    _i.c.paging,  # never silent: ok | failed | nobody
    _i.c.paging_reason,
    _i.c.drill,  # a practice incident (migration 0016)
)
_BASE = select(*_COLUMNS).join(t.services, t.services.c.id == _i.c.service_id)
_BRIEF = select(
    _i.c.number,
    _i.c.title,
    _i.c.status,
    t.services.c.name.label("service"),
    _i.c.component,
    _i.c.created_at,
).join(t.services, t.services.c.id == _i.c.service_id)


def _as_dict(row: Row[*tuple[Any, ...]]) -> dict[str, Any]:
    return row_dict(row)


def _alert(row: Row[*tuple[Any, ...]]) -> dict[str, Any]:
    """An alert as shown to people: the sender's routing key is a credential (anyone holding
    it can open incidents), so the raw payload is shown without it."""
    found = row_dict(row)
    details = found.get("details")
    if isinstance(details, dict) and "routing_key" in details:
        found["details"] = {k: v for k, v in details.items() if k != "routing_key"}
    return found


class SqlIncidentStore:
    def __init__(self, engine: Engine, *, org_id: int = 1) -> None:
        self._engine = engine
        self._org_id = org_id
        # Acknowledging, resolving, merging and splitting leave the engine work now (stop
        # escalating, cancel or send pages): ring it instead of waiting for its next poll.
        self._bell = WorkBell(engine)

    def search(self, flt: IncidentFilter) -> list[dict[str, Any]]:
        org: ColumnElement[Any] = _i.c.org_id
        if flt.service is not None or flt.services:
            # SQLite without statistics would walk the (org_id, number) index through every
            # incident; "org_id + 0" leaves it the index on (service_id, created_at)
            org = org + 0
        query = (_BRIEF if flt.brief else _BASE).where(org == self._org_id)
        if flt.team is not None:  # the team's services and components, from the catalog
            with self._engine.connect() as conn:
                query = query.where(team_condition(conn, flt.team))
        if flt.statuses:
            query = query.where(_i.c.status.in_([s.value for s in flt.statuses]))
        if flt.service is not None:
            query = query.where(t.services.c.name == flt.service)
        if flt.services:
            query = query.where(t.services.c.name.in_(sorted(set(flt.services))))
        if flt.urgency is not None:
            query = query.where(_i.c.urgency == flt.urgency.value)
        if flt.since is not None:
            query = query.where(_i.c.created_at >= flt.since)
        if flt.until is not None:
            query = query.where(_i.c.created_at < flt.until)
        query = query.order_by(_i.c.created_at.desc(), _i.c.number.desc()).limit(flt.limit)
        with self._engine.connect() as conn:
            found = [_as_dict(r) for r in conn.execute(query)]
            if not flt.brief:
                annotate(conn, found)
            return found

    def open_nearest(
        self, depths: Mapping[str, int], limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """Two small queries: the services' ids, then their open incidents through the
        partial index on open incidents (one probe per service), ordered by depth and number
        in the database and counted there (a window over every match, before the limit):
        a page reads ``limit`` rows however many are open around it (decision 0078)."""
        if not depths:
            return [], 0
        s = t.services
        with self._engine.connect() as conn:
            names = dict(
                conn.execute(select(s.c.id, s.c.name).where(s.c.name.in_(sorted(depths)))).all()
            )
            if not names:
                return [], 0
            # by id, not by a join on the name: SQLite without statistics would otherwise
            # walk every open incident through the index on status
            query = (
                select(
                    _i.c.service_id,
                    _i.c.number,
                    _i.c.title,
                    _i.c.status,
                    func.count().over().label("total"),
                )
                # the index's own words (see ``OPEN_INCIDENT``): SQLite probes it by service
                .where(_i.c.service_id.in_(sorted(names)), t.open_incident())
                .where(_i.c.org_id + 0 == self._org_id)
                .order_by(
                    case({i: depths[n] for i, n in names.items()}, value=_i.c.service_id),
                    _i.c.number,
                )
                .limit(limit)
            )
            rows = conn.execute(query).all()
        found = [
            {
                "service": names[r.service_id],
                "number": r.number,
                "title": r.title,
                "status": r.status,
            }
            for r in rows
        ]
        return found, int(rows[0].total) if rows else 0

    def get(self, ref: str) -> dict[str, Any] | None:
        ref = ref.strip().lstrip("#")
        if len(ref) > 40 or "\x00" in ref:  # no id or number is that long (or holds a NUL)
            return None
        if ref.isascii() and ref.isdigit():
            if int(ref) > MAX_ROW_ID:  # past the column's range: no such incident
                return None
            cond = and_(_i.c.org_id == self._org_id, _i.c.number == int(ref))
        else:
            cond = and_(_i.c.org_id == self._org_id, _i.c.id == ref)
        with self._engine.connect() as conn:
            row = conn.execute(_BASE.where(cond)).first()
            if row is None:
                return None
            found = _as_dict(row)
            annotate(conn, [found])
        return found

    def timeline(self, incident_id: str) -> list[dict[str, Any]]:
        le = t.log_entries
        query = (
            select(le.c.id, le.c.at, le.c.kind, le.c.actor, le.c.message, le.c.data)
            .where(le.c.incident_id == incident_id)
            .order_by(le.c.at, le.c.id)
        )
        with self._engine.connect() as conn:
            return [_as_dict(r) for r in conn.execute(query)]

    def alerts(self, incident_id: str) -> list[dict[str, Any]]:
        a = t.alerts
        query = (
            select(
                a.c.id,
                a.c.dedup_key,
                a.c.status,
                a.c.severity,
                a.c.summary,
                a.c.source,
                a.c.repeat_count,
                a.c.created_at,
                a.c.last_event_at,
                a.c.acknowledged_at,
                a.c.resolved_at,
                a.c.details,
                a.c.labels,
            )
            .where(a.c.incident_id == incident_id)
            .order_by(a.c.created_at, a.c.id)
        )
        with self._engine.connect() as conn:
            return [_alert(r) for r in conn.execute(query)]

    def set_status(
        self,
        incident_id: str,
        status: Status,
        *,
        by: str,
        at: datetime,
        message: str,
        via: str | None = None,
    ) -> dict[str, Any]:
        """Acknowledge (from triggered) or resolve (from open) in one transaction: the
        incident, its open alerts, a timeline entry, and a wake-up for the engine. When the
        incident is no longer in a state it can leave that way (someone else acknowledged or
        resolved it since the caller read it), nothing is written; either way the incident
        is returned as it now is."""
        a = t.alerts
        if status is Status.ACKNOWLEDGED:
            incident_can, alert_can = (
                _i.c.status == Status.TRIGGERED.value,
                a.c.status == Status.TRIGGERED.value,
            )
            incident_values = {"acknowledged_at": at, "acknowledged_by": by}
            alert_values = {"acknowledged_at": at}
        else:
            incident_can, alert_can = (
                _i.c.status != Status.RESOLVED.value,
                a.c.status != Status.RESOLVED.value,
            )
            incident_values = {"resolved_at": at, "resolved_by": by}
            alert_values = {"resolved_at": at}

        def attempt() -> bool:
            with self._engine.begin() as conn:
                old = conn.execute(
                    select(_i.c.number, _i.c.status).where(_i.c.id == incident_id)
                ).first()
                changed = conn.execute(
                    update(_i)
                    .where(_i.c.id == incident_id, incident_can)
                    .values(status=status.value, updated_at=at, **incident_values)
                ).rowcount
                if changed and old is not None:
                    record(
                        conn,
                        at=at,
                        kind="incident",
                        name=f"#{old.number}",
                        action=status.value,
                        before={"status": old.status},
                        after={"status": status.value},
                        actor=by,
                    )
                    conn.execute(
                        update(a)
                        .where(a.c.incident_id == incident_id, alert_can)
                        .values(status=status.value, **alert_values)
                    )
                    conn.execute(
                        t.log_entries.insert().values(
                            incident_id=incident_id,
                            at=at,
                            kind=status.value,
                            actor=by,
                            message=message,
                        )
                    )
                    if status is Status.ACKNOWLEDGED and via is not None:
                        record_acknowledgement(conn, incident_id, by, at, via)
                    refresh_figures(conn, [incident_id])  # its TTA or TTR is known now
                    # Wake the engine: it stops escalation and cancels pending notifications.
                    conn.execute(
                        update(t.escalations)
                        .where(t.escalations.c.incident_id == incident_id)
                        .values(due_at=at, updated_at=at)
                    )
                    self._bell.within(conn)
                return bool(changed and old is not None)

        # A deadlock with an ingest batch (it holds an alert, wants the incident) is
        # undone by PostgreSQL; the whole transaction runs again.
        if retried(attempt):
            self._bell.rung()
        found = self.get(incident_id)
        assert found is not None
        return found

    def merge(
        self, target_id: str, source_ids: Sequence[str], *, by: str, at: datetime
    ) -> dict[str, Any]:
        """Move every alert of the sources into the target, in one transaction. The target
        keeps its status (its triggered newcomers are acknowledged with it if it is); the
        sources are resolved, empty, and their escalation stops."""

        def attempt() -> None:
            with self._engine.begin() as conn:
                merge_into(conn, target_id, source_ids, by=by, at=at)
                self._bell.within(conn)

        # A deadlock with an ingest batch (it holds an alert, wants the incident) is
        # undone by PostgreSQL; the whole transaction runs again.
        retried(attempt)
        self._bell.rung()
        found = self.get(target_id)
        assert found is not None
        return found

    def split(
        self, incident_id: str, alert_ids: Sequence[str], *, by: str, at: datetime
    ) -> dict[str, Any]:
        """Move these alerts into a new incident of the same service, component, urgency and
        escalation policy, in one transaction; returns the new incident. It pages like a
        fresh one when any of its alerts is open; the source resolves if none is left open."""

        def attempt() -> str:
            with self._engine.begin() as conn:
                new_id = split_off(conn, incident_id, alert_ids, by=by, at=at)
                self._bell.within(conn)
                return new_id

        # A deadlock with an ingest batch (it holds an alert, wants the incident) is
        # undone by PostgreSQL; the whole transaction runs again.
        new_id = retried(attempt)
        self._bell.rung()
        found = self.get(new_id)
        assert found is not None
        return found

    def add_note(self, incident_id: str, *, by: str, at: datetime, text: str) -> dict[str, Any]:
        with self._engine.begin() as conn:
            number = conn.execute(select(_i.c.number).where(_i.c.id == incident_id)).scalar()
            record(
                conn,
                at=at,
                kind="incident",
                name=f"#{number}",
                action="noted",
                after={"note": text[:1000]},
                actor=by,
            )
            conn.execute(
                t.log_entries.insert().values(
                    incident_id=incident_id, at=at, kind="note", actor=by, message=text
                )
            )
            conn.execute(update(_i).where(_i.c.id == incident_id).values(updated_at=at))
        return {"incident_id": incident_id, "at": at, "kind": "note", "actor": by, "message": text}

    def responding(self, incident_id: str) -> tuple[bool, str | None]:
        s, tm, o = t.services, t.teams, t.organisations
        with self._engine.connect() as conn:
            row = conn.execute(
                select(o.c.responding, tm.c.name)
                .select_from(_i)
                .join(s, s.c.id == _i.c.service_id)
                .join(o, o.c.id == _i.c.org_id)
                .outerjoin(tm, tm.c.id == s.c.owner_team_id)
                .where(_i.c.id == incident_id)
            ).first()
        if row is None:
            return False, None
        return row.responding == "team", row.name

    def team_exists(self, name: str) -> bool:
        with self._engine.connect() as conn:
            return (
                conn.execute(select(t.teams.c.id).where(t.teams.c.name == name)).first() is not None
            )

    def service_exists(self, name: str) -> bool:
        with self._engine.connect() as conn:
            return (
                conn.execute(select(t.services.c.id).where(t.services.c.name == name)).first()
                is not None
            )

    def open_counts(self) -> dict[tuple[str, str], int]:
        """Open incidents by (status, urgency), for the metrics endpoint."""

        query = (
            select(_i.c.status, _i.c.urgency, func.count())
            .where(_i.c.status != Status.RESOLVED.value)
            .group_by(_i.c.status, _i.c.urgency)
        )
        with self._engine.connect() as conn:
            return {(s, u): n for s, u, n in conn.execute(query)}
