"""Analytics benchmark: the 30-day figures on a year of incidents, on SQLite and PostgreSQL.

Run with ``.venv/bin/python benchmarks/analytics.py [--incidents 100000] [--services 200]
[--users 50] [--repeat 20] [--only sqlite|postgresql] [--default-gc]``.

Seeds a fresh database (SQLite file; PostgreSQL: a database of its own at
``--pg-admin-url``, dropped afterwards) in bulk inserts: ``--services`` services (10 a team),
``--users`` users in four time zones, and ``--incidents`` incidents spread over the last 365
days. Each incident: 85 % acknowledged by a person (TTA exponential, mean 4 min), 95 %
resolved (a fifth of those by their event within 5 minutes: noise), 10 % escalated to a
second person; each page has its ``incident_responses`` row and a delivered notification.
Then, each ``--repeat`` times (after one warm-up):

- ``incidents-by-service``: the use case behind ``GET /api/v1/analytics/incidents?by=service``
  (last 30 days);
- ``responders``: the use case behind ``GET /api/v1/analytics/responders`` (last 30 days);
- ``page``: ``GET /analytics`` through the ASGI app in process (signed in; TestClient), the
  whole page with its three reports, charts and heat map.

All three are timed with the garbage collector set as ``ownit serve`` sets it once its app
is built (:func:`ownit.bootstrap.gc_tuning.tune_gc`: startup objects frozen, young
collections every 50,000 allocations); ``--default-gc`` keeps Python's defaults instead.

Prints p50 and p99 per figure, ``RESULT name=analytics-<db>-<figure> p50_ms=… p99_ms=…`` and
whether the target was met (incidents < 200 ms, responders < 500 ms, page p99 < 300 ms). It
measures and prints; it asserts nothing. Schedules are not seeded: time on call is 0 here.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from benchmarks._support import PG_ADMIN_URL, BenchError, log, postgres_database, warn_if_busy

TARGETS_MS = {"incidents-by-service": 200.0, "responders": 500.0, "page": 300.0}
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC")
PER_TEAM = 10
CHUNK = 5000
PASSWORD = secrets.token_urlsafe(18)  # a throw-away login on a throw-away database


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def seed(engine: Any, *, incidents: int, services: int, users: int, now: datetime) -> None:
    from ownit.adapters.db import tables as t

    rng = random.Random(13)
    started = time.perf_counter()
    with engine.begin() as conn:
        names = [f"user{n:03d}" for n in range(users)]
        conn.execute(
            t.users.insert(),
            [
                {
                    "name": name,
                    "display_name": name,
                    "email": f"{name}@example.com",
                    "timezone": ZONES[n % len(ZONES)],
                    "spec": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for n, name in enumerate(names)
            ],
        )
        teams = math.ceil(services / PER_TEAM)
        conn.execute(
            t.teams.insert(),
            [
                {
                    "id": n + 1,
                    "name": f"team{n:02d}",
                    "spec": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(teams)
            ],
        )
        conn.execute(
            t.services.insert(),
            [
                {
                    "id": n + 1,
                    "name": f"svc{n:03d}",
                    "owner_team_id": n // PER_TEAM + 1,
                    "urgency": "high",
                    "spec": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(services)
            ],
        )
        conn.execute(
            t.organisations.update().where(t.organisations.c.id == 1).values(incident_seq=incidents)
        )
    incident_rows: list[dict[str, Any]] = []
    responses: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []

    def flush() -> None:
        with engine.begin() as conn:
            if incident_rows:
                conn.execute(t.incidents.insert(), incident_rows)
            if responses:
                conn.execute(t.incident_responses.insert(), responses)
            if messages:
                conn.execute(t.notifications.insert(), messages)
        incident_rows.clear()
        responses.clear()
        messages.clear()

    for n in range(incidents):
        iid = f"inc_b{n:07d}"
        created = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
        service = rng.randrange(services)
        first = names[rng.randrange(users)]
        acked = rng.random() < 0.85
        tta = rng.expovariate(1 / 240)
        noise = not acked and rng.random() < 0.6
        ttr = rng.uniform(30, 290) if noise else rng.expovariate(1 / 3600) + tta
        resolved = noise or rng.random() < 0.95
        row = {
            "id": iid,
            "org_id": 1,
            "number": n + 1,
            "title": f"bench incident {n}",
            "status": "resolved" if resolved else "acknowledged" if acked else "triggered",
            "urgency": "high" if rng.random() < 0.8 else "low",
            "severity": "critical",
            "service_id": service + 1,
            "dedup_key": f"alert{rng.randrange(400)}",
            "alert_count": 1,
            "created_at": created,
            "updated_at": created,
            "acknowledged_at": created + timedelta(seconds=tta) if acked else None,
            "acknowledged_by": first if acked else None,
            "resolved_at": created + timedelta(seconds=ttr) if resolved else None,
            "resolved_by": ("integration/events" if noise else first) if resolved else None,
        }
        incident_rows.append(row)
        paged = [(first, 1)]
        if rng.random() < 0.10:
            second = names[rng.randrange(users)]
            if second != first:
                paged.append((second, 2))
        for user, level in paged:
            at = created + timedelta(seconds=0 if level == 1 else 600)
            mine = acked and user == first
            responses.append(
                {
                    "incident_id": iid,
                    "user_name": user,
                    "first_paged_at": at,
                    "highest_level": level,
                    "acknowledged_at": created + timedelta(seconds=tta) if mine else None,
                    "acknowledged_via": "web" if mine else None,
                }
            )
            messages.append(
                {
                    "incident_id": iid,
                    "user_name": user,
                    "contact": "phone",
                    "channel": "webhook",
                    "event_type": "incident.triggered",
                    "idempotency_key": f"{iid}:{user}",
                    "status": "sent",
                    "due_at": at,
                    "created_at": at,
                    "sent_at": at,
                }
            )
        if len(incident_rows) >= CHUNK:
            flush()
    flush()
    log(f"seeded {incidents} incidents in {time.perf_counter() - started:.1f} s")
    # The per-incident figures, as migration 0013 computes them for an existing history
    # (from then on they are written as incidents are acknowledged and resolved).
    from ownit.adapters.db.analytics_figures import backfill_stale

    started = time.perf_counter()
    with engine.begin() as conn:
        backfill_stale(conn)
    log(f"stored figures of {incidents} incidents in {time.perf_counter() - started:.1f} s")
    # Planner statistics, as autovacuum (PostgreSQL) or ``PRAGMA optimize`` (SQLite) keep them
    # on a live database: without them a bulk-seeded table looks empty to the planner.
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def timed(repeat: int, run: Callable[[], object]) -> tuple[list[float], list[float]]:
    """Wall-clock and this process's CPU milliseconds of each run (after one warm-up): the
    machine is shared, so the wall clock includes waiting for a core; the CPU time does not
    (the PostgreSQL server's own CPU is not in it)."""
    run()  # warm-up
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


def measure(url: str, label: str, args: argparse.Namespace) -> list[tuple[str, float, float]]:
    from fastapi.testclient import TestClient

    from ownit.adapters.db.account_store import SqlAccountStore
    from ownit.adapters.db.analytics_store import SqlAnalyticsStore
    from ownit.adapters.db.engine import make_engine
    from ownit.adapters.db.migrate import upgrade
    from ownit.adapters.db.oncall_store import SqlScheduleStore
    from ownit.app import analytics as uc
    from ownit.app.accounts import create_login
    from ownit.app.clock import SystemClock
    from ownit.bootstrap import build_app, password_hasher
    from ownit.bootstrap.gc_tuning import tune_gc
    from ownit.domain.permissions import OrgRole
    from ownit.settings import Settings

    engine = make_engine(url)
    upgrade(engine)
    clock = SystemClock()
    seed(
        engine,
        incidents=args.incidents,
        services=args.services,
        users=args.users,
        now=clock.now(),
    )
    create_login(
        store=SqlAccountStore(engine),
        hasher=password_hasher(),
        clock=clock,
        email="user000@example.com",
        password=PASSWORD,
        org_role=OrgRole.ADMIN,
    )
    store = SqlAnalyticsStore(engine)
    schedules = SqlScheduleStore(engine)
    settings = Settings(database_url=url, events_rate_limit=0)
    with TestClient(build_app(settings, engine, clock=clock)) as client:
        page = client.get("/login")
        token = page.text.split('name="csrf" value="')[1].split('"')[0]
        signed = client.post(
            "/login",
            data={"email": "user000@example.com", "password": PASSWORD, "csrf": token, "next": ""},
            follow_redirects=False,
        )
        if signed.status_code != 303:
            raise BenchError(f"could not sign in: {signed.status_code}")
        if not args.default_gc:
            tune_gc()  # the collector as ``ownit serve`` sets it once its app is built

        def get_page() -> None:
            r = client.get("/analytics")
            if r.status_code != 200:
                raise BenchError(f"/analytics answered {r.status_code}")

        by_service = timed(
            args.repeat,
            lambda: uc.incidents(store=store, clock=clock, query=uc.Query(by="service")),
        )
        responders = timed(
            args.repeat,
            lambda: uc.responders(store=store, schedules=schedules, clock=clock, query=uc.Query()),
        )
        pages = timed(args.repeat, get_page)
    figures: list[tuple[str, float, float]] = []
    engine.dispose()
    for name, (values, cpu) in (
        ("incidents-by-service", by_service),
        ("responders", responders),
        ("page", pages),
    ):
        p50, p99 = _percentile(values, 50), _percentile(values, 99)
        cpu50, cpu99 = _percentile(cpu, 50), _percentile(cpu, 99)
        figures.append((f"{label}-{name}", p50, p99))
        verdict = "met" if p99 < TARGETS_MS[name] else "MISSED"
        print(
            f"{label:10s} {name:22s} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
            f"cpu p50 {cpu50:7.1f} ms  p99 {cpu99:7.1f} ms  "
            f"(target < {TARGETS_MS[name]:.0f} ms: {verdict})"
        )
        print(
            f"RESULT name=analytics-{label}-{name} p50_ms={p50:.1f} p99_ms={p99:.1f} "
            f"cpu_p50_ms={cpu50:.1f} cpu_p99_ms={cpu99:.1f}"
        )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--only", choices=("sqlite", "postgresql"), action="append")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    parser.add_argument(
        "--default-gc",
        action="store_true",
        help="keep Python's default collector settings (ownit serve tunes them: tune_gc)",
    )
    args = parser.parse_args()
    warn_if_busy()
    runs = args.only or ["sqlite", "postgresql"]
    try:
        if "sqlite" in runs:
            with tempfile.TemporaryDirectory() as tmp:
                measure(f"sqlite:///{Path(tmp) / 'bench.db'}", "sqlite", args)
        if "postgresql" in runs:
            with postgres_database(args.pg_admin_url) as url:
                measure(url, "postgresql", args)
    except BenchError as exc:
        print(f"analytics benchmark: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
