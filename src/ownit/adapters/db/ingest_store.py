"""The hot path's store: one transaction per batch of events, SQLAlchemy Core.

Each batch reads what its events need (:mod:`.ingest_reads`), hands it to the pure domain
(:mod:`ownit.domain.ingest`: where each event goes, then the plan), and writes the plan
(:mod:`.ingest_writes`); a lost race for an open-alert slot runs the batch again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial

import psycopg
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from ownit.adapters.db.batch_sql import Sql
from ownit.adapters.db.ingest_reads import BatchReader, Found, KnownSources, ParsedServices
from ownit.adapters.db.ingest_writes import new_id, write_plan
from ownit.adapters.db.retry import retried
from ownit.adapters.db.wakeup import WorkBell
from ownit.app.heartbeats import FORMAT as BEATS
from ownit.app.ingest import ItemResult
from ownit.domain.events import Event
from ownit.domain.ingest.dedup import BatchPlan
from ownit.domain.ingest.planning import (
    paged_services,
    plan_batch,
    resolving_incidents,
    wanted_alerts,
    wanted_groups,
)
from ownit.domain.ingest.resolution import (
    Resolution,
    Routers,
    Source,
    resolve_batch,
    route_events,
    routed_services,
)


class SqlIngestStore:
    """Applies batches of events; on a lost race for an open-alert slot, retries the batch."""

    def __init__(
        self,
        engine: Engine,
        *,
        org_id: int = 1,
        routers: Routers | None = None,
        bell: WorkBell | None = None,
    ) -> None:
        self._engine = engine
        self._bell = bell  # wakes the engine when a batch leaves it work
        self._org_id = org_id
        self._routers = routers
        self._parsed = ParsedServices()  # services parsed once, kept while unchanged
        self._known = KnownSources()  # each key's source as last read: a batch's plan
        self._woke = False  # this attempt's transaction rang the bell

    def apply_batch(self, items: Sequence[Sequence[Event]], now: datetime) -> list[ItemResult]:
        def attempt() -> list[ItemResult]:
            self._woke = False
            if self._engine.dialect.name == "sqlite":
                with self._engine.begin() as conn:
                    return self._apply(conn, items, now, commit=True)
            # PostgreSQL: the connection in autocommit, and the store sends BEGIN with the
            # batch's first reads (one round trip less: the driver would send it alone and
            # wait), COMMIT with its writes, and ROLLBACK if anything fails between.
            with self._engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT")
                try:
                    return self._apply(conn, items, now, commit=True, begin=True)
                except BaseException:
                    with contextlib.suppress(Exception):  # a broken connection is discarded
                        conn.exec_driver_sql("ROLLBACK")
                    raise

        # A lost race for an open-alert slot (another process opened an alert for one of our
        # keys between our read and our insert; inside a pipeline the driver's own error
        # surfaces, not SQLAlchemy's), a deadlock or a serialisation failure: read again and
        # redo the batch.
        results = retried(attempt, also=(IntegrityError, psycopg.IntegrityError))
        if self._woke and self._bell is not None:
            self._bell.rung()
        return results

    def apply_in(
        self, conn: Connection, items: Sequence[Sequence[Event]], now: datetime
    ) -> list[ItemResult]:
        """Apply a batch inside the caller's transaction (a drill marks its incident as
        practice in the same one); call :meth:`ring` once that has committed."""
        self._woke = False
        return self._apply(conn, items, now)

    def ring(self) -> None:
        """After the caller's commit: wake the engine if the batch left it work."""
        if self._woke and self._bell is not None:
            self._bell.rung()

    def _apply(
        self,
        conn: Connection,
        items: Sequence[Sequence[Event]],
        now: datetime,
        *,
        commit: bool = False,
        begin: bool = False,
    ) -> list[ItemResult]:
        keys = {event.routing_key for item in items for event in item}
        beats = {e.routing_key for item in items for e in item if e.format == BEATS}
        reads = BatchReader(conn, self._parsed, begin=begin)
        planned_on = self._known.guess(keys)
        if planned_on is not None:
            # Planned on the sources these keys had in earlier batches, read again with what
            # the plan needs, in one round trip; a catalog change since plans again.
            reads.assume(planned_on)
            resolved, wanted, paged, grouped = self._resolve(items, planned_on, reads)
            sources, found = reads.sources_and_found(keys, beats, wanted, paged, grouped, now)
            self._known.saw(keys, sources)
            if sources != planned_on:
                planned_on = None
                reads = BatchReader(conn, self._parsed)  # the transaction has begun
        if planned_on is None:
            sources = reads.sources(keys, heartbeat_keys=beats)
            self._known.saw(keys, sources)
            resolved, wanted, paged, grouped = self._resolve(items, sources, reads)
            found = reads.found(wanted, paged, grouped, now)
        closing = resolving_incidents(items, resolved, found.open_alerts)
        if closing and conn.dialect.name == "postgresql":
            # Another batch may be closing other alerts of these incidents right now: take
            # the incidents first, then read their alerts as they are (decision 0022), and
            # the rest again with them. SQLite has one writer at a time already.
            found = self._lock_incidents(closing, partial(reads.found, wanted, paged, grouped, now))
        planned = plan_batch(
            items=items,
            resolutions=resolved,
            open_alerts=found.open_alerts,
            open_counts=found.open_counts,
            maintenance=found.maintenance,
            groups=found.groups,
            now=now,
            new_id=lambda prefix: new_id(prefix, now),
        )
        # On PostgreSQL the writes, the engine's NOTIFY and (``commit``: the transaction is
        # this store's) the COMMIT go in one pipeline, one round trip: the organisation's row
        # that reserving incident numbers locks first is held only while the server runs it
        # (decision 0069). The store's own connection is in autocommit, so SQLAlchemy sends
        # no COMMIT of its own. SQLite commits as before, when the caller's block ends.
        sql = Sql(conn)
        with sql.pipeline():
            reads.begin_if_pending()  # a safety net: no read ran, so none carried the BEGIN
            self._write(conn, planned.plan, reads.auto_resolve())
            if commit and not sql.sqlite:
                conn.exec_driver_sql("COMMIT")
        return [ItemResult(a.accepted, a.outcomes, a.error) for a in planned.answers]

    def _resolve(
        self, items: Sequence[Sequence[Event]], sources: Mapping[str, Source], reads: BatchReader
    ) -> tuple[list[list[Resolution | None]], dict[int, set[str]], set[int], dict[int, set[str]]]:
        """Where each event goes (routed, reading the services router decisions name, then
        resolved against the services and policies read), and what the plan needs read for
        it: the open alerts wanted, the services paged, the group keys."""
        routed = route_events(items, sources, self._routers)
        reads.read_services(routed_services(routed))  # every routed event's: one query
        resolved = resolve_batch(
            items,
            sources=sources,
            routed=routed,
            services=reads.services,
            policies=reads.policies,
        )
        return (
            resolved,
            wanted_alerts(items, resolved),
            paged_services(resolved),
            wanted_groups(items, resolved),
        )

    def _lock_incidents(self, incident_ids: set[str], read: Callable[..., Found]) -> Found:
        """Lock these incidents' rows, then ``read`` again what the batch needs, as it is
        after the lock (both in one round trip: :meth:`BatchReader.found`)."""
        return read(lock=incident_ids)

    def _write(
        self, conn: Connection, plan: BatchPlan, auto_resolve: Mapping[int, timedelta]
    ) -> None:
        """Write the plan (everything the batch read is read by now); ``auto_resolve`` is
        each service's ``autoResolve`` by service id (new incidents start their timer)."""
        write_plan(conn, plan, self._org_id, auto_resolve)
        if self._bell is not None and plan.leaves_work():
            self._bell.within(conn)
            self._woke = True
