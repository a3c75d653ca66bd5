"""Raised before they bite, in SQL: the daily check's durable timer (``daily_checks``,
migration 0022) and its incidents.

An incident is opened by the ingest pipeline itself (:meth:`SqlIngestStore.apply_in`), like a
drill's: the event goes to the problem's service as a router decision would send it, so
dedup, maintenance windows, the timeline and the outbox apply as to any alert. In the same
transaction the new incident is made low-urgency and the policy frozen onto it becomes the
owning team's managers (:func:`~ownit.domain.standards.raise_early.managers_policy`), so the
engine never sees it otherwise. Resolving sends the resolve event for the same key.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from ownit.adapters.db import tables as t
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.adapters.db.one_route import OneRoute
from ownit.adapters.db.wakeup import WorkBell
from ownit.domain.events import Action, Event, Severity
from ownit.domain.standards.raise_early import PREFIX, URGENCY, Raised, managers_policy

FORMAT = "standards"
ROUTING_KEY = "standards/raise-early"
ACTOR = "standards"
_i, _s, _dc = t.incidents, t.services, t.daily_checks


def _event(action: Action, key: str, summary: str, now: datetime, **details: Any) -> Event:
    return Event(
        format=FORMAT,
        routing_key=ROUTING_KEY,
        action=action,
        dedup_key=key,
        summary=summary,
        source="ownit standards",
        severity=Severity.WARNING,
        timestamp=now,
        custom_details=details,
        raw={"standards": key, "event_action": action.value, "summary": summary},
    )


class SqlRaiseEarlyStore:
    def __init__(self, engine: Engine, *, bell: WorkBell | None = None) -> None:
        self._engine = engine
        self._bell = bell

    # --- the durable daily timer -----------------------------------------------------------

    def claim(self, check: str, now: datetime, lease: timedelta) -> bool:
        with self._engine.begin() as conn:
            moved = conn.execute(
                update(_dc)
                .where(_dc.c.name == check, _dc.c.due_at <= now)
                .values(due_at=now + lease)
            )
            if moved.rowcount == 1:
                return True
            if conn.execute(select(_dc.c.name).where(_dc.c.name == check)).first() is not None:
                return False
        try:  # never run: the first engine to write its row runs it
            with self._engine.begin() as conn:
                conn.execute(insert(_dc).values(name=check, due_at=now + lease))
        except IntegrityError:
            return False
        return True

    def done(self, check: str, now: datetime, next_at: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(_dc).where(_dc.c.name == check).values(due_at=next_at, last_run_at=now)
            )

    # --- the incidents ---------------------------------------------------------------------

    def open_keys(self) -> set[str]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(_i.c.dedup_key).where(
                    _i.c.dedup_key.startswith(PREFIX, autoescape=True), _i.c.status != "resolved"
                )
            )
            return {row.dedup_key for row in rows}

    def open(self, raised: Raised, now: datetime) -> bool:
        ingest = SqlIngestStore(
            self._engine, routers=OneRoute(ROUTING_KEY, raised.service), bell=self._bell
        )
        event = _event(
            Action.TRIGGER,
            raised.dedup_key,
            raised.title,
            now,
            service=raised.service,
            team=raised.team,
            managers=list(raised.managers),
        )
        policy = managers_policy(raised)
        with self._engine.begin() as conn:
            if _open_incident(conn, raised.dedup_key) is not None:
                return False  # never two open for one problem
            ingest.apply_in(conn, [[event]], now)
            incident_id = _open_incident(conn, raised.dedup_key)
            if incident_id is None:  # suppressed (a maintenance window): tomorrow again
                return False
            conn.execute(update(_i).where(_i.c.id == incident_id).values(urgency=URGENCY))
            conn.execute(
                update(t.escalations)
                .where(t.escalations.c.incident_id == incident_id)
                .values(policy=policy.to_json() if policy is not None else None)
            )
            conn.execute(
                insert(t.log_entries).values(
                    incident_id=incident_id,
                    at=now,
                    kind="standards",
                    actor=ACTOR,
                    message=raised.note(),
                    data={"dedup_key": raised.dedup_key, "managers": list(raised.managers)},
                )
            )
        ingest.ring()
        return True

    def resolve(self, dedup_key: str, now: datetime) -> bool:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(_s.c.name)
                .select_from(_i.join(_s, _s.c.id == _i.c.service_id))
                .where(_i.c.dedup_key == dedup_key, _i.c.status != "resolved")
            ).first()
        if row is None:
            return False
        ingest = SqlIngestStore(
            self._engine, routers=OneRoute(ROUTING_KEY, row.name), bell=self._bell
        )
        summary = f"fixed: {dedup_key.removeprefix(PREFIX)} is no longer a problem"
        ingest.apply_batch([[_event(Action.RESOLVE, dedup_key, summary, now)]], now)
        with self._engine.connect() as conn:
            return _open_incident(conn, dedup_key) is None


def _open_incident(conn: Connection, dedup_key: str) -> str | None:
    found = conn.execute(
        select(_i.c.id).where(_i.c.dedup_key == dedup_key, _i.c.status != "resolved")
    ).scalar()
    return str(found) if found is not None else None
