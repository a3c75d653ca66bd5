"""Schedules, their API overrides, people and calendar feed tokens in the database (Core).

Schedules are read from their normalised catalog spec (``schedules.spec``), through the same
parser the catalog uses.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, bindparam, delete, insert, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.audit_log import record
from ownit.app.oncall import Person, ServicePolicy, StoredOverride
from ownit.domain.catalog import EscalationPolicy, Schedule, from_spec

_s, _o = t.schedules, t.schedule_overrides


def _schedule(name: str, spec: Any) -> Schedule:
    found = from_spec("Schedule", name, spec or {})
    assert isinstance(found, Schedule)
    return found


def _policy(name: str, spec: Any) -> EscalationPolicy:
    found = from_spec("EscalationPolicy", name, spec or {})
    assert isinstance(found, EscalationPolicy)
    return found


_OVERRIDES = (
    select(
        _o.c.id,
        _s.c.name.label("schedule"),
        _o.c.user_name,
        _o.c.start,
        _o.c.end,
        _o.c.created_by,
        _o.c.created_at,
    )
    .join(_s, _s.c.id == _o.c.schedule_id)
    .order_by(_o.c.created_at, _o.c.id)
)
# The statements every service page runs, built once: building and keying one for the
# compiled cache on each call costs more than SQLite's answer.
_OVERRIDES_SINCE = _OVERRIDES.where(_o.c.end > bindparam("since"))
_PEOPLE = select(t.users.c.name, t.users.c.display_name, t.users.c.email).where(
    t.users.c.name.in_(bindparam("names", expanding=True))
)


class SqlScheduleStore:
    """:class:`ownit.app.oncall.ScheduleStore` and
    :class:`ownit.app.calendar_feed.CalendarTokenStore`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # --- schedules ---------------------------------------------------------------------------

    def schedules(self) -> list[Schedule]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(_s.c.name, _s.c.spec).order_by(_s.c.name)).all()
        return [_schedule(r.name, r.spec) for r in rows]

    def schedule(self, name: str) -> Schedule | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(_s.c.name, _s.c.spec).where(_s.c.name == name)).first()
        return None if row is None else _schedule(row.name, row.spec)

    # --- overrides ---------------------------------------------------------------------------

    def _override_query(self) -> Select[Any]:
        return _OVERRIDES

    def overrides(
        self, *, since: datetime, until: datetime | None = None, schedule: str | None = None
    ) -> list[StoredOverride]:
        if until is None and schedule is None:  # every schedule's (a service page's)
            with self._engine.connect() as conn:
                return [_override(row) for row in conn.execute(_OVERRIDES_SINCE, {"since": since})]
        query = self._override_query().where(_o.c.end > since)
        if until is not None:
            query = query.where(_o.c.start < until)
        if schedule is not None:
            query = query.where(_s.c.name == schedule)
        with self._engine.connect() as conn:
            return [_override(row) for row in conn.execute(query)]

    def add_override(
        self,
        *,
        schedule: str,
        user: str,
        start: datetime,
        end: datetime,
        created_by: str,
        created_at: datetime,
    ) -> StoredOverride | None:
        with self._engine.begin() as conn:
            schedule_id = conn.execute(select(_s.c.id).where(_s.c.name == schedule)).scalar()
            if schedule_id is None:
                return None
            new_id = conn.execute(
                insert(_o)
                .values(
                    schedule_id=schedule_id,
                    user_name=user,
                    start=start,
                    end=end,
                    created_by=created_by,
                    created_at=created_at,
                )
                .returning(_o.c.id)
            ).scalar_one()
            row = conn.execute(self._override_query().where(_o.c.id == new_id)).one()
            record(
                conn,
                at=created_at,
                kind="override",
                name=f"{schedule}/{new_id}",
                action="created",
                after={"user": user, "start": start.isoformat(), "end": end.isoformat()},
            )
        return _override(row)

    def delete_override(self, *, schedule: str, override_id: int, at: datetime) -> bool:
        ids = select(_s.c.id).where(_s.c.name == schedule).scalar_subquery()
        with self._engine.begin() as conn:
            gone = conn.execute(
                delete(_o)
                .where(_o.c.id == override_id, _o.c.schedule_id == ids)
                .returning(_o.c.user_name, _o.c.start, _o.c.end)
            ).first()
            if gone is None:
                return False
            record(
                conn,
                at=at,
                kind="override",
                name=f"{schedule}/{override_id}",
                action="deleted",
                before={
                    "user": gone.user_name,
                    "start": gone.start.isoformat(),
                    "end": gone.end.isoformat(),
                },
            )
        return True

    # --- people and services -------------------------------------------------------------------

    def people(self, names: Collection[str]) -> dict[str, Person]:
        if not names:
            return {}
        with self._engine.connect() as conn:
            rows = conn.execute(_PEOPLE, {"names": list(names)}).all()
        return {r.name: Person(r.name, r.display_name or r.name, r.email) for r in rows}

    def service_policies(self, only: Collection[str] | None = None) -> list[ServicePolicy]:
        sv, ep = t.services, t.escalation_policies
        query = (
            select(sv.c.name, sv.c.spec.label("service_spec"), ep.c.name.label("policy"), ep.c.spec)
            .outerjoin(ep, ep.c.id == sv.c.escalation_policy_id)
            .order_by(sv.c.name)
        )
        if only is not None:  # a component "svc/part" needs its service's row
            query = query.where(sv.c.name.in_(sorted({n.partition("/")[0] for n in only})))
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
            parts = {
                part["escalationPolicy"]
                for r in rows
                for part in (r.service_spec or {}).get("components") or ()
                if isinstance(part, dict) and isinstance(part.get("escalationPolicy"), str)
            }
            policies = (
                {
                    r.name: r.spec
                    for r in conn.execute(
                        select(ep.c.name, ep.c.spec).where(ep.c.name.in_(sorted(parts)))
                    )
                }
                if parts
                else {}
            )
        out: list[ServicePolicy] = []
        for r in rows:
            if only is None or r.name in only:
                policy = None if r.policy is None else _policy(r.policy, r.spec)
                out.append(ServicePolicy(r.name, policy))
            for part in (r.service_spec or {}).get("components") or ():
                # a monolith's component with a policy of its own: who that policy pages
                name = part.get("escalationPolicy") if isinstance(part, dict) else None
                label = f"{r.name}/{part.get('name')}" if isinstance(part, dict) else ""
                if not name or name not in policies or (only is not None and label not in only):
                    continue
                out.append(ServicePolicy(label, _policy(name, policies[name])))
        return out

    # --- calendar feed tokens ------------------------------------------------------------------

    def set_calendar_token(self, *, user: str, token_hash: str, at: datetime) -> bool:
        c = t.calendar_tokens
        with self._engine.begin() as conn:
            user_id = conn.execute(select(t.users.c.id).where(t.users.c.name == user)).scalar()
            if user_id is None:
                return False
            conn.execute(delete(c).where(c.c.user_id == user_id))
            conn.execute(insert(c).values(user_id=user_id, token_hash=token_hash, created_at=at))
            record(conn, at=at, kind="calendar-link", name=user, action="made")
        return True

    def calendar_user(self, token_hash: str) -> str | None:
        c = t.calendar_tokens
        with self._engine.connect() as conn:
            name = conn.execute(
                select(t.users.c.name)
                .join(c, c.c.user_id == t.users.c.id)
                .where(c.c.token_hash == token_hash)
            ).scalar()
        return None if name is None else str(name)


def _override(row: Any) -> StoredOverride:
    return StoredOverride(
        id=int(row.id),
        schedule=row.schedule,
        user=row.user_name,
        start=row.start,
        end=row.end,
        created_by=row.created_by,
        created_at=row.created_at,
    )
