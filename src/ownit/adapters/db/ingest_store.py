"""The hot path's store: one transaction per batch of events, SQLAlchemy Core.

Each batch reads what its events need (:mod:`.ingest_reads`), hands it to the pure domain
(:mod:`ownit.domain.ingest`: where each event goes, then the plan), and writes the plan
(:mod:`.ingest_writes`); a lost race for an open-alert slot runs the batch again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import psycopg
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from ownit.adapters.db.ingest_reads import BatchReader, ParsedServices
from ownit.adapters.db.ingest_writes import new_id, write_plan
from ownit.adapters.db.wakeup import WorkBell
from ownit.app.ingest import ItemResult
from ownit.app.routing import RouterBook
from ownit.domain.events import Event
from ownit.domain.ingest.dedup import BatchPlan
from ownit.domain.ingest.planning import (
    paged_services,
    plan_batch,
    wanted_alerts,
    wanted_groups,
)
from ownit.domain.ingest.resolution import resolve_batch, route_events, routed_services

# Conflicts between concurrent writers that a fresh attempt resolves.
_TRANSIENT = (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)


class SqlIngestStore:
    """Applies batches of events; on a lost race for an open-alert slot, retries the batch."""

    def __init__(
        self,
        engine: Engine,
        *,
        org_id: int = 1,
        routers: RouterBook | None = None,
        bell: WorkBell | None = None,
    ) -> None:
        self._engine = engine
        self._bell = bell  # wakes the engine when a batch leaves it work
        self._org_id = org_id
        self._routers = routers
        self._parsed = ParsedServices()
        self._woke = False  # services parsed once, kept while unchanged

    def apply_batch(self, items: Sequence[Sequence[Event]], now: datetime) -> list[ItemResult]:
        for attempt in range(5):
            try:
                self._woke = False
                with self._engine.begin() as conn:
                    results = self._apply(conn, items, now)
                if self._woke and self._bell is not None:
                    self._bell.rung()
                return results
            except (IntegrityError, psycopg.IntegrityError, *_TRANSIENT):
                # Another process opened an alert for one of our keys between our read and
                # our insert (PostgreSQL, several servers): read again and redo the batch.
                # (Inside a pipeline the driver's own error surfaces, not SQLAlchemy's.)
                if attempt == 4:
                    raise
            except OperationalError as exc:
                if not isinstance(exc.orig, _TRANSIENT) or attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def _apply(
        self, conn: Connection, items: Sequence[Sequence[Event]], now: datetime
    ) -> list[ItemResult]:
        reads = BatchReader(conn, self._parsed)
        sources = reads.sources({event.routing_key for item in items for event in item})
        routed = route_events(items, sources, self._routers)
        reads.read_services(routed_services(routed))  # every routed event's: one query
        resolved = resolve_batch(
            items,
            sources=sources,
            routed=routed,
            services=reads.services,
            policies=reads.policies,
        )
        open_alerts, open_counts = reads.open_alerts(wanted_alerts(items, resolved))
        maintenance = reads.maintenance(paged_services(resolved), now)
        groups, group_counts = reads.groups(wanted_groups(items, resolved))
        open_counts.update(group_counts)
        planned = plan_batch(
            items=items,
            resolutions=resolved,
            open_alerts=open_alerts,
            open_counts=open_counts,
            maintenance=maintenance,
            groups=groups,
            now=now,
            new_id=lambda prefix: new_id(prefix, now),
        )
        self._write(conn, planned.plan)
        return [ItemResult(a.accepted, a.outcomes, a.error) for a in planned.answers]

    def _write(self, conn: Connection, plan: BatchPlan) -> None:
        """Write the plan (everything the batch read is read by now)."""
        write_plan(conn, plan, self._org_id)
        if self._bell is not None and _leaves_work(plan):
            self._bell.within(conn)
            self._woke = True


def _leaves_work(plan: BatchPlan) -> bool:
    """A new incident with a policy (a first page due now), or an escalation woken by an
    acknowledgement or a resolution."""
    return (
        any(inc.policy is not None for inc in plan.new_incidents.values())
        or bool(plan.incident_acks)
        or bool(plan.incident_resolves)
    )
