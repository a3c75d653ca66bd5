"""Ingest batch benchmark: one batch of the ingest store in process, without HTTP or wrk.

Run with ``.venv/bin/python benchmarks/ingest_batch.py [--batches 300] [--size 16]``.

The store ``ownit serve`` writes with (:class:`~ownit.adapters.db.ingest_store.SqlIngestStore`,
the engine's bell on) takes batches of Events v2 triggers, each with its own dedup key, for
the ``ingest.py`` benchmark's service (a policy paging a person: every event opens an
incident), on a fresh SQLite file and a fresh PostgreSQL database. Per batch it reports:

- ``statements``: statements sent through SQLAlchemy (``before_cursor_execute``; an
  ``executemany`` counts once; transaction control, pool pings and the reads PostgreSQL gets
  together on psycopg's own cursors, ``Sql.together``, not at all, nor the writes SQLite gets
  from ``Sql.insert`` / ``Sql.run`` straight at sqlite3's ``executemany``, decision 0071);
- ``round trips`` (PostgreSQL): the times the client waited for the server, counted in
  libpq's protocol trace (a frontend message followed by a backend one), BEGIN, COMMIT and
  the pool's ping included;
- ``CPU ms``: the benchmark process's CPU time per batch (``time.process_time``, median of
  ``--repeat`` runs of ``--batches`` batches, measured without the trace), which is what the
  ingest writer spends in Python and the driver; the server's own CPU is not in it;
- ``server CPU ms`` (PostgreSQL, same runs): the CPU time of the server process serving the
  store's one connection (``/proc/<pid>/stat``; the server must run on this machine).

It measures and prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # benchmarks._support

from sqlalchemy import Engine, event

from benchmarks._support import PG_ADMIN_URL, postgres_database
from benchmarks.ingest import prepare_database
from ownit.adapters.db.engine import ingest_writer, make_engine
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.adapters.db.wakeup import WorkBell
from ownit.domain.events import Action, Event, Severity


def batch(routing_key: str, tag: str, size: int) -> list[list[Event]]:
    """``size`` requests of one trigger each, as ``ingest.py``'s distinct case sends them."""
    items = []
    for n in range(size):
        dedup = f"{tag}-{n}"
        raw = {
            "routing_key": routing_key,
            "event_action": "trigger",
            "dedup_key": dedup,
            "payload": {
                "summary": f"ownit benchmark event {dedup}",
                "source": "bench-1",
                "severity": "error",
                "component": "ingest",
                "custom_details": {"n": n},
            },
        }
        items.append(
            [
                Event(
                    format="events-v2",
                    routing_key=routing_key,
                    action=Action.TRIGGER,
                    dedup_key=dedup,
                    summary=f"ownit benchmark event {dedup}",
                    source="bench-1",
                    severity=Severity.ERROR,
                    component="ingest",
                    custom_details={"n": n},
                    labels={"severity": "error", "source": "bench-1", "component": "ingest"},
                    raw=raw,
                )
            ]
        )
    return items


class Counter:
    """Statements through SQLAlchemy, and (PostgreSQL) round trips in libpq's trace files."""

    def __init__(self, engine: Engine, trace_dir: Path | None) -> None:
        self.statements = 0
        self._traces: list[Path] = []
        self._files: list[Any] = []

        @event.listens_for(engine, "before_cursor_execute")
        def _count(*_: Any) -> None:
            self.statements += 1

        if trace_dir is not None:

            @event.listens_for(engine, "connect")
            def _trace(dbapi_connection: Any, _record: Any) -> None:
                from psycopg import pq

                path = trace_dir / f"conn-{len(self._traces)}.trace"
                handle = path.open("w")
                self._files.append(handle)
                self._traces.append(path)
                dbapi_connection.pgconn.trace(handle.fileno())
                dbapi_connection.pgconn.set_trace_flags(
                    pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE
                )

    def round_trips(self) -> int:
        """Frontend messages followed by a backend message, over every connection so far."""
        for handle in self._files:
            handle.flush()
        trips = 0
        for path in self._traces:
            last = ""
            for line in path.read_text().splitlines():
                side = line[:1]
                if side == "B" and last == "F":
                    trips += 1
                if side in ("F", "B"):
                    last = side
        return trips


def measure(url: str, *, batches: int, size: int, repeat: int, backend: str) -> dict[str, float]:
    """Prepare ``url`` and measure: statements, round trips (PostgreSQL), CPU per batch."""
    routing_key = uuid.uuid4().hex
    with tempfile.TemporaryDirectory(prefix="ownit-batch-") as tmp:
        prepare_database(url, routing_key, "http://127.0.0.1:9/hook", Path(tmp))
        figures: dict[str, float] = {}
        # Counted, traced: a few batches (after two to warm the caches and the pool).
        traced = make_engine(url)
        counter = Counter(traced, Path(tmp) if backend == "postgresql" else None)
        store = SqlIngestStore(ingest_writer(traced), bell=WorkBell(traced))
        now = datetime.now(UTC)
        for n in range(2):
            store.apply_batch(batch(routing_key, f"warm-{n}", size), now)
        statements, trips = counter.statements, counter.round_trips()
        counted = 20
        for n in range(counted):
            store.apply_batch(batch(routing_key, f"count-{n}", size), now)
        figures["statements"] = (counter.statements - statements) / counted
        if backend == "postgresql":
            figures["round_trips"] = (counter.round_trips() - trips) / counted
        traced.dispose()
        # Timed, without the trace, on one connection (its server process is measured).
        engine = make_engine(url, pool_size=1)
        store = SqlIngestStore(ingest_writer(engine), bell=WorkBell(engine))
        for n in range(5):
            store.apply_batch(batch(routing_key, f"warm2-{n}", size), now)
        backend_pid = None
        if backend == "postgresql":
            with engine.connect() as conn:
                backend_pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        cpu: list[float] = []
        wall: list[float] = []
        server: list[float] = []
        for r in range(repeat):
            prepared = [batch(routing_key, f"t{r}-{n}", size) for n in range(batches)]
            started_server = _process_cpu_s(backend_pid)
            started, started_wall = time.process_time(), time.perf_counter()
            for items in prepared:
                store.apply_batch(items, now)
            cpu.append((time.process_time() - started) / batches)
            wall.append((time.perf_counter() - started_wall) / batches)
            server.append((_process_cpu_s(backend_pid) - started_server) / batches)
        engine.dispose()
        figures["cpu_ms"] = 1000 * statistics.median(cpu)
        figures["wall_ms"] = 1000 * statistics.median(wall)
        if backend_pid is not None:
            figures["server_cpu_ms"] = 1000 * statistics.median(server)
        return figures


def _process_cpu_s(pid: int | None) -> float:
    """User and system CPU seconds of a process on this machine (0 without one)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="ownit-batch-db-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--batches", type=int, default=300, help="batches per timed run")
    parser.add_argument("--size", type=int, default=16, help="requests per batch")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs (median reported)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), action="append")
    parser.add_argument(
        "--pg-admin-url", default=os.environ.get("OWNIT_BENCH_PG_ADMIN_URL", PG_ADMIN_URL)
    )
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min)")
    for backend in args.only or ("sqlite", "postgresql"):
        databases = (
            sqlite_database() if backend == "sqlite" else postgres_database(args.pg_admin_url)
        )
        with databases as url:
            f = measure(
                url, batches=args.batches, size=args.size, repeat=args.repeat, backend=backend
            )
        trips = f"{f['round_trips']:.1f}" if "round_trips" in f else "n/a"
        server = f"{f['server_cpu_ms']:.3f}" if "server_cpu_ms" in f else "n/a"
        print(
            f"RESULT backend={backend} size={args.size} statements={f['statements']:.1f} "
            f"round_trips={trips} cpu_ms={f['cpu_ms']:.3f} server_cpu_ms={server} "
            f"wall_ms={f['wall_ms']:.3f}"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f} (1 min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
