"""Postmortems and their action items in SQL; every change is audited in its transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ownit.adapters.db import tables as t
from ownit.adapters.db.audit_log import record as audit
from ownit.adapters.db.postmortem_reads import PostmortemReads, incident_facts, incidents_facts
from ownit.app.postmortems import IncidentFacts, Record
from ownit.domain.postmortems import model as m
from ownit.domain.postmortems.timeline import Mark

_p, _a = t.postmortems, t.postmortem_actions
_CHUNK = 500  # ids per IN (...): well under every database's limit of bound parameters


def _marks(raw: Any) -> dict[str, Mark]:
    if not isinstance(raw, dict):
        return {}
    return {
        str(key): Mark(bool(v.get("hidden")), v.get("note"))
        for key, v in raw.items()
        if isinstance(v, dict)
    }


def _marks_json(marks: Mapping[str, Mark]) -> dict[str, Any]:
    return {
        key: {"hidden": mark.hidden, "note": mark.note}
        for key, mark in sorted(marks.items())
        if mark.hidden or mark.note
    }


def _built(row: Any, facts: IncidentFacts, items: Sequence[Any]) -> Record:
    pm = m.Postmortem(
        title=row.title,
        owner=row.owner,
        due=row.due,
        status=m.Status(row.status),
        sections={k: str(v) for k, v in (row.sections or {}).items()},
        actions=tuple(_item(i) for i in items),
    )
    return Record(row.id, facts, pm, _marks(row.marks), row.created_at, row.updated_at)


def _item(row: Any) -> m.ActionItem:
    return m.ActionItem(
        row.number, row.title, row.owner, row.due, m.ActionStatus(row.status), row.link
    )


def _fields(pm: m.Postmortem) -> dict[str, Any]:
    return {
        "title": pm.title,
        "status": pm.status.value,
        "owner": pm.owner,
        "due": pm.due.isoformat(),
        "sections": dict(pm.sections),
    }


# Built once (every service page's badge reads every postmortem).
_BY_DUE = select(_p).order_by(_p.c.due, _p.c.id)


class SqlPostmortemStore(PostmortemReads):
    def _record(self, conn: Connection, row: Any) -> Record:
        facts = incident_facts(conn, row.incident_id)
        assert facts is not None  # the foreign key holds it
        items = conn.execute(
            select(_a).where(_a.c.postmortem_id == row.id).order_by(_a.c.number)
        ).all()
        return _built(row, facts, items)

    def _records(self, conn: Connection, rows: list[Any]) -> list[Record]:
        """Many at once: their incidents and action items in one query each (not 2 per
        postmortem: the standards read them all for every report)."""
        facts: dict[str, IncidentFacts] = {}
        items: dict[int, list[Any]] = {}
        for chunk in range(0, len(rows), _CHUNK):
            part = rows[chunk : chunk + _CHUNK]
            facts.update(incidents_facts(conn, [r.incident_id for r in part]))
            query = select(_a).where(_a.c.postmortem_id.in_([r.id for r in part]))
            for item in conn.execute(query.order_by(_a.c.postmortem_id, _a.c.number)):
                items.setdefault(item.postmortem_id, []).append(item)
        return [_built(row, facts[row.incident_id], items.get(row.id, [])) for row in rows]

    def _one(self, conn: Connection, cond: Any) -> Record | None:
        row = conn.execute(select(_p).where(cond)).first()
        return None if row is None else self._record(conn, row)

    def find(self, incident_id: str) -> Record | None:
        with self._engine.connect() as conn:
            return self._one(conn, _p.c.incident_id == incident_id)

    def get(self, postmortem_id: int) -> Record | None:
        with self._engine.connect() as conn:
            return self._one(conn, _p.c.id == postmortem_id)

    def create(self, incident_id: str, postmortem: m.Postmortem, at: datetime) -> Record:
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(_p).values(
                        incident_id=incident_id,
                        title=postmortem.title,
                        status=postmortem.status.value,
                        owner=postmortem.owner,
                        due=postmortem.due,
                        sections=dict(postmortem.sections),
                        marks={},
                        created_at=at,
                        updated_at=at,
                    )
                )
                found = self._one(conn, _p.c.incident_id == incident_id)
                assert found is not None
                audit(
                    conn,
                    at=at,
                    kind="postmortem",
                    name=f"#{found.incident.number}",
                    action="created",
                    after=_fields(postmortem),
                )
                return found
        except IntegrityError:  # another request created it first: answer that one
            existing = self.find(incident_id)
            if existing is None:
                raise
            return existing

    def save(
        self, record: Record, postmortem: m.Postmortem, marks: Mapping[str, Mark], at: datetime
    ) -> Record:
        closing = postmortem.status is m.Status.CLOSED
        with self._engine.begin() as conn:
            conn.execute(
                update(_p)
                .where(_p.c.id == record.id)
                .values(
                    title=postmortem.title,
                    status=postmortem.status.value,
                    owner=postmortem.owner,
                    due=postmortem.due,
                    sections=dict(postmortem.sections),
                    marks=_marks_json(marks),
                    updated_at=at,
                    closed_at=at if closing else None,
                )
            )
            before = _fields(record.postmortem) | {"timeline": _marks_json(record.marks)}
            after = _fields(postmortem) | {"timeline": _marks_json(marks)}
            audit(
                conn,
                at=at,
                kind="postmortem",
                name=f"#{record.incident.number}",
                action="closed" if closing else "updated",
                before=before,
                after=after,
            )
            found = self._one(conn, _p.c.id == record.id)
        assert found is not None
        return found

    def add_action(self, postmortem_id: int, item: m.ActionItem, at: datetime) -> m.ActionItem:
        with self._engine.begin() as conn:
            # Lock the postmortem row (PostgreSQL) so two adds do not take the same number.
            number = conn.execute(
                select(_p.c.incident_id).where(_p.c.id == postmortem_id).with_for_update()
            ).scalar_one()
            last = conn.execute(
                select(func.max(_a.c.number)).where(_a.c.postmortem_id == postmortem_id)
            ).scalar_one()
            added = m.ActionItem(
                (last or 0) + 1, item.title, item.owner, item.due, item.status, item.link
            )
            conn.execute(
                insert(_a).values(
                    postmortem_id=postmortem_id,
                    number=added.number,
                    title=added.title,
                    owner=added.owner,
                    due=added.due,
                    status=added.status.value,
                    link=added.link,
                    created_at=at,
                    updated_at=at,
                )
            )
            facts = incident_facts(conn, number)
            audit(
                conn,
                at=at,
                kind="postmortem",
                name=f"#{facts.number if facts else '?'} action {added.number}",
                action="action-added",
                after=_action_fields(added),
            )
        return added

    def save_action(self, record: Record, item: m.ActionItem, at: datetime) -> None:
        before = next(a for a in record.postmortem.actions if a.number == item.number)
        with self._engine.begin() as conn:
            conn.execute(
                update(_a)
                .where(_a.c.postmortem_id == record.id, _a.c.number == item.number)
                .values(
                    title=item.title,
                    owner=item.owner,
                    due=item.due,
                    status=item.status.value,
                    link=item.link,
                    updated_at=at,
                )
            )
            audit(
                conn,
                at=at,
                kind="postmortem",
                name=f"#{record.incident.number} action {item.number}",
                action="action-updated",
                before=_action_fields(before),
                after=_action_fields(item),
            )

    def search(self, status: m.Status | None, team: str | None) -> list[Record]:
        query = _BY_DUE  # every postmortem: the standards' read (a service page's badge)
        if status is not None:
            query = query.where(_p.c.status == status.value)
        if team is not None:
            i, s, tm = t.incidents, t.services, t.teams
            owned = (
                select(i.c.id)
                .join(s, s.c.id == i.c.service_id)
                .join(tm, tm.c.id == s.c.owner_team_id)
                .where(tm.c.name == team)
            )
            query = query.where(_p.c.incident_id.in_(owned))
        with self._engine.connect() as conn:
            return self._records(conn, list(conn.execute(query).all()))


def _action_fields(item: m.ActionItem) -> dict[str, Any]:
    return {
        "title": item.title,
        "owner": item.owner,
        "due": item.due.isoformat(),
        "status": item.status.value,
        "link": item.link,
    }
