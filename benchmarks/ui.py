"""Web UI benchmark: the incidents page, an incident page and a service page on a full SQLite.

Run with ``.venv/bin/python benchmarks/ui.py [--incidents 10000] [--services 200]
[--duration 10] [--connections 4]``.

Seeds a fresh SQLite database: a catalog of ``--services`` services (10 a team, each with an
escalation policy on the team's schedule, each depending on two services of its team,
applied through ``ownit catalog apply``'s use case), then ``--incidents`` incidents spread
over the services and the last 90 days (10 % triggered, 10 % acknowledged, the rest
resolved), each with one alert and three timeline entries, and a change event per service,
all in bulk inserts, then the incidents' analytics figures (as acknowledging and resolving
store them). Makes a login (``create_login``, as ``ownit user create`` does), starts
``ownit serve --no-engine``, signs in through the login form and, after a warm-up, drives
each page with ``wrk`` (``--threads`` threads, ``--connections`` connections, the session
cookie as a header) for ``--duration`` seconds:

- ``incidents``: ``GET /incidents`` (the first page of 25, open first);
- ``incident``: ``GET /incidents/<n>``, ``n`` random among all incidents;
- ``service``: ``GET /services/<name>``, a random service.

Prints requests/s, p50 and p99 per page and ``RESULT name=ui-<page> rate=… p99_ms=…``, and
whether p99 met the target (< 100 ms). It measures and prints; it asserts nothing (except
that every answer was a 200). Needs ``wrk`` (``apt-get install wrk``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from benchmarks._support import (
    HOST,
    WRK_DONE_LUA,
    BenchError,
    Server,
    WrkFigures,
    free_port,
    log,
    run_wrk,
    serve_env,
    warn_if_busy,
)

TARGET_P99_MS = 100.0
WARMUP_S = 2
PER_TEAM = 10
EMAIL = "bench@example.com"
PASSWORD = secrets.token_urlsafe(18)  # a throw-away login on a throw-away database
PAGES = ("incidents", "incident", "service")

LUA_SCRIPT = (
    r"""
local mode, count = nil, 0
local names = {}

function init(args)
  wrk.headers["Cookie"] = args[1]
  mode = args[2]
  if mode == "incident" then
    count = tonumber(args[3])
  elseif mode == "service" then
    for name in string.gmatch(args[3], "[^,]+") do table.insert(names, name) end
  end
  math.randomseed(os.time())
end

function request()
  if mode == "incident" then
    return wrk.format("GET", "/incidents/" .. math.random(1, count))
  elseif mode == "service" then
    return wrk.format("GET", "/services/" .. names[math.random(1, #names)])
  end
  return wrk.format("GET", "/incidents")
end
"""
    + WRK_DONE_LUA
)


def catalog_documents(services: int) -> list[dict[str, Any]]:
    """Teams of ``PER_TEAM`` services, each team with three people, a schedule and a policy."""
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "ownit/v1",
            "kind": "User",
            "metadata": {"name": "bench"},
            "spec": {"displayName": "Bench Marker", "email": EMAIL},
        }
    ]
    teams = (services + PER_TEAM - 1) // PER_TEAM
    for t in range(teams):
        team = f"team-{t:02d}"
        people = [f"{team}-u{i}" for i in range(3)]
        for person in people:
            docs.append(
                {
                    "apiVersion": "ownit/v1",
                    "kind": "User",
                    "metadata": {"name": person},
                    "spec": {"email": f"{person}@example.com"},
                }
            )
        docs.append(
            {
                "apiVersion": "ownit/v1",
                "kind": "Team",
                "metadata": {"name": team},
                "spec": {"members": [{"user": p} for p in people]},
            }
        )
        docs.append(
            {
                "apiVersion": "ownit/v1",
                "kind": "Schedule",
                "metadata": {"name": team},
                "spec": {
                    "team": team,
                    "timezone": "Europe/Berlin",
                    "layers": [
                        {
                            "name": "weekly",
                            "start": "2026-01-05T09:00:00",
                            "rotation": "1w",
                            "users": people,
                        }
                    ],
                },
            }
        )
        docs.append(
            {
                "apiVersion": "ownit/v1",
                "kind": "EscalationPolicy",
                "metadata": {"name": team},
                "spec": {
                    "team": team,
                    "levels": [
                        {"after": "10m", "targets": [{"schedule": team}]},
                        {"after": "10m", "targets": [{"user": people[0]}]},
                    ],
                },
            }
        )
        names = [f"{team}-svc-{i:02d}" for i in range(PER_TEAM)]
        for i, name in enumerate(names[: services - t * PER_TEAM]):
            docs.append(
                {
                    "apiVersion": "ownit/v1",
                    "kind": "Service",
                    "metadata": {"name": name, "description": f"Service {i} of {team}"},
                    "spec": {
                        "owner": team,
                        "escalationPolicy": team,
                        "tier": 1 + i % 4,
                        "runbook": f"https://wiki.example.com/{name}/runbook",
                        "dependsOn": names[max(0, i - 2) : i],
                        "integrations": [{"name": "events", "type": "events-v2"}],
                    },
                }
            )
    return docs


def seed(url: str, workdir: Path, services: int, incidents: int) -> list[str]:
    """Migrate, apply the catalog, bulk-insert the incidents; the service names."""
    from sqlalchemy import insert, select, update

    from ownit.adapters.catalog.yaml_source import load_files
    from ownit.adapters.db import tables as t
    from ownit.adapters.db.account_store import SqlAccountStore
    from ownit.adapters.db.analytics_figures import backfill_stale
    from ownit.adapters.db.catalog_store import SqlCatalogStore
    from ownit.adapters.db.engine import make_engine
    from ownit.adapters.db.migrate import upgrade
    from ownit.adapters.passwords import Argon2Hasher
    from ownit.app import catalog
    from ownit.app.accounts import OrgRole, create_login
    from ownit.app.clock import SystemClock

    path = workdir / "catalog.yaml"
    path.write_text("\n---\n".join(json.dumps(d) for d in catalog_documents(services)))
    loaded = load_files([str(path)])
    if loaded.problems:
        raise BenchError(f"the benchmark catalog has problems: {loaded.problems[:5]}")
    engine = make_engine(url)
    rng = random.Random(5)
    now = datetime.now(UTC)
    try:
        upgrade(engine)
        try:
            catalog.apply(
                store=SqlCatalogStore(engine), documents=loaded.documents, clock=SystemClock()
            )
        except catalog.InvalidCatalog as exc:
            raise BenchError(f"the benchmark catalog has problems: {exc.problems[:5]}") from None
        create_login(
            store=SqlAccountStore(engine),
            hasher=Argon2Hasher(),
            clock=SystemClock(),
            email=EMAIL,
            password=PASSWORD,
            org_role=OrgRole.ADMIN,
        )
        with engine.begin() as conn:
            ids = dict(conn.execute(select(t.services.c.name, t.services.c.id)).all())
        names = sorted(ids)
        rows: list[dict[str, Any]] = []
        alerts: list[dict[str, Any]] = []
        entries: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        for n in range(1, incidents + 1):
            created = now - timedelta(seconds=rng.uniform(60, 90 * 86400))
            draw = rng.random()
            status = "triggered" if draw < 0.1 else "acknowledged" if draw < 0.2 else "resolved"
            service = rng.choice(names)
            incident_id = f"inc_bench{n:08d}"
            acked = created + timedelta(minutes=3) if status != "triggered" else None
            resolved = created + timedelta(minutes=40) if status == "resolved" else None
            rows.append(
                {
                    "id": incident_id,
                    "org_id": 1,
                    "number": n,
                    "title": f"High error rate on {service} ({n})",
                    "status": status,
                    "urgency": "high" if n % 3 else "low",
                    "severity": "critical" if n % 3 else "warning",
                    "service_id": ids[service],
                    "component": None,
                    "dedup_key": f"bench-{n}",
                    "alert_count": 1,
                    "created_at": created,
                    "updated_at": resolved or acked or created,
                    "acknowledged_at": acked,
                    "acknowledged_by": "team-00-u0" if acked else None,
                    "resolved_at": resolved,
                    "resolved_by": "team-00-u0" if resolved else None,
                    "group_key": None,
                }
            )
            alerts.append(
                {
                    "id": f"al_bench{n:08d}",
                    "incident_id": incident_id,
                    "service_id": ids[service],
                    "integration_id": None,
                    "dedup_key": f"bench-{n}",
                    "status": "resolved" if resolved else "triggered",
                    "severity": "critical",
                    "summary": f"High error rate on {service}",
                    "source": "prometheus",
                    "details": {"labels": {"alertname": "HighErrorRate", "service": service}},
                    "labels": {"alertname": "HighErrorRate"},
                    "repeat_count": 0,
                    "created_at": created,
                    "last_event_at": created,
                    "acknowledged_at": acked,
                    "resolved_at": resolved,
                }
            )
            for kind, at in (("trigger", created), ("acknowledge", acked), ("resolve", resolved)):
                if at is not None:
                    entries.append(
                        {
                            "incident_id": incident_id,
                            "at": at,
                            "kind": kind,
                            "actor": "team-00-u0" if kind != "trigger" else "integration",
                            "message": f"{kind} by the benchmark",
                            "data": None,
                        }
                    )
        for i, service in enumerate(names):
            changes.append(
                {
                    "id": f"chg_bench{i:06d}",
                    "service_id": ids[service],
                    "received_at": now - timedelta(hours=1),
                    "timestamp": now - timedelta(hours=1),
                    "summary": f"Deployed {service} v{i}",
                    "source": "ci",
                    "details": None,
                    "links": [{"href": "https://ci.example.com/1", "text": "build"}],
                }
            )
        with engine.begin() as conn:
            conn.execute(insert(t.incidents), rows)
            conn.execute(insert(t.alerts), alerts)
            conn.execute(insert(t.log_entries), entries)
            conn.execute(insert(t.change_events), changes)
            conn.execute(update(t.organisations).values(incident_seq=incidents))
        # Each incident's analytics figures, as acknowledging and resolving store them (and
        # the worker's catch-up pass): without them every service page's badge would compute
        # its 30-day TTA from the histories, which a live database never has to.
        with engine.begin() as conn:
            backfill_stale(conn)
    finally:
        engine.dispose()
    return names


def session_cookie(port: int) -> str:
    """Sign in through the login form; the ``Cookie`` header the pages need."""
    import httpx

    with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=30) as client:
        page = client.get("/login")
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        if page.status_code != 200 or found is None:
            raise BenchError(f"no login form (HTTP {page.status_code})")
        done = client.post(
            "/login",
            data={"email": EMAIL, "password": PASSWORD, "csrf": found.group(1), "next": ""},
        )
        if done.status_code != 303 or "ownit_session" not in client.cookies:
            raise BenchError(f"the login failed (HTTP {done.status_code})")
        return f"ownit_session={client.cookies['ownit_session']}"


def check_pages(port: int, cookie: str, paths: list[str]) -> None:
    """Each page answers 200 with the cookie (wrk would count a redirect to /login as fine)."""
    import httpx

    headers = {"Cookie": cookie}
    with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=30, headers=headers) as client:
        for path in paths:
            answer = client.get(path)
            if answer.status_code != 200:
                raise BenchError(f"GET {path} answered {answer.status_code}, not 200")


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks: the server stops


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--duration", type=int, default=10, help="seconds per page")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        log("benchmarks/ui.py needs the wrk load generator: apt-get install wrk")
        return 2
    signal.signal(signal.SIGTERM, _on_sigterm)
    workdir = Path(tempfile.mkdtemp(prefix="ownit-bench-ui-"))
    server: Server | None = None
    figures: dict[str, WrkFigures] = {}
    try:
        busy = warn_if_busy()
        url = f"sqlite:///{workdir / 'bench.db'}"
        started = time.perf_counter()
        names = seed(url, workdir, args.services, args.incidents)
        log(
            f"seeded {len(names)} services and {args.incidents} incidents in "
            f"{time.perf_counter() - started:.1f}s"
        )
        script = workdir / "ui.lua"
        script.write_text(LUA_SCRIPT)
        port = free_port()
        server = Server(
            "ownit",
            [sys.executable, "-m", "ownit", "serve", "--no-engine"],
            serve_env(url, port),
            workdir / "serve.log",
        )
        server.serve(port)
        cookie = session_cookie(port)
        check_pages(port, cookie, ["/incidents", "/incidents/1", f"/services/{names[0]}"])
        page_args = {
            "incidents": [cookie, "incidents"],
            "incident": [cookie, "incident", str(args.incidents)],
            "service": [cookie, "service", ",".join(names)],
        }
        shape = {"threads": args.threads, "connections": args.connections}
        for page in PAGES:
            log(f"warm-up {WARMUP_S}s, then {args.duration}s on the {page} page")
            run_wrk(script, port, WARMUP_S, page_args[page], path="/", **shape)
            figures[page] = run_wrk(script, port, args.duration, page_args[page], path="/", **shape)
        rss = server.measured_rss_mb()
    except BenchError as exc:
        log(f"benchmark stopped: {exc}")
        return 1
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        return 1
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"# ownit serve --no-engine on SQLite, {os.cpu_count()} cpus ({busy:.0f}% busy before), "
        f"{args.services} services, {args.incidents} incidents, wrk -t{args.threads} "
        f"-c{args.connections}, {args.duration}s per page after {WARMUP_S}s warm-up; "
        f"server peak RSS {rss:.0f} MB"
    )
    print(f"{'page':<10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'non-2xx':>9}")
    failed = False
    for page in PAGES:
        f = figures[page]
        print(
            f"{page:<10}{f.rate:>9.1f}{f.p50_ms:>9.2f}{f.p99_ms:>9.2f}{f.max_ms:>9.1f}"
            f"{f.non_2xx:>9}"
        )
        failed |= f.non_2xx > 0 or f.socket_errors > 0
    for page in PAGES:
        f = figures[page]
        met = "met" if f.p99_ms < TARGET_P99_MS else "missed"
        print(f"RESULT name=ui-{page} rate={f.rate:.1f} p99_ms={f.p99_ms:.2f} target={met}")
    if failed:
        log("some answers were not 200: see the non-2xx column")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
