"""Ingest benchmark: ``ownit serve`` under load on SQLite and PostgreSQL, against a ceiling.

The real path by default: the benchmark service has an escalation policy whose first level
pages a person with a webhook contact on a loopback receiver (``_receiver.py``), and
``ownit serve`` runs its engine as users run it, so every new incident pages someone while
the load goes on. ``--no-policy`` is the old comparison (a service without a policy: runs
named ``<backend>-nopolicy-…``).

Run with ``make bench`` or ``.venv/bin/python benchmarks/ingest.py [--duration 10]``.

Each run starts a fresh server process on loopback, warms it up for two seconds, then
drives ``POST /v2/enqueue`` with ``wrk`` (2 threads, 32 connections) for ``--duration``
seconds and reports accepted events per second (2xx answers / duration), p50 and p99
latency, non-2xx answers and the server's peak resident memory. Runs:

- ``ceiling-validating``: the ratio's reference (``ratio=``): a do-nothing FastAPI endpoint
  validating the same body with a model of the Events v2 fields, as a FastAPI service
  would, and answering the same 202 without any database, under uvicorn as ``ownit serve``
  runs it.
- ``ceiling``: a bare endpoint on the same settings that only reads the body and answers
  (no validation): the most this machine can do with this stack (``ratio_bare=``).
- ``sqlite-distinct`` / ``postgresql-distinct``: every event has its own dedup key, so
  every event opens an alert (and an incident).
- ``sqlite-storm`` / ``postgresql-storm``: every event has the same dedup key: one open
  alert, every other event a counted repeat. Afterwards the database must hold exactly
  one open alert for that key.

It measures and prints; it asserts nothing. ``wrk`` must be installed (``apt-get install wrk``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Literal

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # benchmarks._support

import orjson
import uvicorn
from fastapi import FastAPI, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from benchmarks._receiver import Arrivals, start_receiver
from benchmarks._support import (
    HOST,
    PG_ADMIN_URL,
    WRK_CONNECTIONS,
    WRK_DONE_LUA,
    WRK_THREADS,
    BenchError,
    Server,
    children_cpu_s,
    free_port,
    log,
    machine_cpu_s,
    postgres_database,
    run_wrk,
    serve_env,
    source_revision,
    warn_if_busy,
)

THREADS = WRK_THREADS
CONNECTIONS = WRK_CONNECTIONS
WARMUP_S = 2
RUN_NAMES = ("ceiling", "sqlite", "postgresql")  # "ceiling" runs both ceilings

# The targets on a 2-core machine with the load generator on it. Printed, not asserted.
TARGET_RATE = {"sqlite": 2500.0, "postgresql": 2000.0}
TARGET_RATIO = 0.5
TARGET_P99_MS = 100.0
TARGET_RSS_MB = 250.0

LUA_SCRIPT = (
    r"""
-- Written by benchmarks/ingest.py. args: routing key, mode (distinct|storm), tag.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local key, mode, tag
local n = 0
local body_fmt = '{"routing_key":"%s","event_action":"trigger","dedup_key":"%s",'
  .. '"payload":{"summary":"ownit benchmark event %s","source":"bench-%d",'
  .. '"severity":"error","component":"ingest","custom_details":{"n":%d}}}'
local headers = {["Content-Type"] = "application/json"}

function init(args)
  key = args[1]
  mode = args[2]
  tag = args[3]
end

function request()
  n = n + 1
  local dedup
  if mode == "storm" then
    dedup = tag
  else
    dedup = string.format("%s-%d-%d", tag, tid, n)
  end
  local body = string.format(body_fmt, key, dedup, dedup, tid, n)
  return wrk.format("POST", "/v2/enqueue", headers, body)
end
"""
    + WRK_DONE_LUA
)

# --------------------------------------------------------------------------- ceiling server


class CeilingPayload(BaseModel):
    """The Events v2 ``payload`` fields, as a FastAPI service would declare them."""

    summary: str = Field(min_length=1, max_length=1024)
    source: str = Field(min_length=1)
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: str | None = None
    component: str | None = None
    group: str | None = None
    class_: str | None = Field(default=None, alias="class")
    custom_details: dict[str, Any] | None = None


class CeilingEvent(BaseModel):
    """An Events v2 body, validated."""

    routing_key: str = Field(min_length=32, max_length=32)
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: str | None = Field(default=None, max_length=255)
    payload: CeilingPayload | None = None
    client: str | None = None
    client_url: str | None = None


def ceiling_server(port: int, validating: bool) -> int:
    """A do-nothing ``POST /v2/enqueue`` on the framework and server settings ownit uses:
    validating the body with a model (``validating``) or only reading it."""
    app = FastAPI(title="ownit benchmark ceiling")

    if validating:

        @app.post("/v2/enqueue", status_code=202)
        async def enqueue_validated(event: CeilingEvent) -> dict[str, str]:
            return {
                "status": "success",
                "message": "Event processed",
                "dedup_key": event.dedup_key or "",
            }

    else:

        @app.post("/v2/enqueue", status_code=202)
        async def enqueue(request: Request) -> Response:
            body = await request.body()
            dedup_key = orjson.loads(body).get("dedup_key", "")
            answer = {"status": "success", "message": "Event processed", "dedup_key": dedup_key}
            return Response(orjson.dumps(answer), status_code=202, media_type="application/json")

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response(orjson.dumps({"status": "ok"}), media_type="application/json")

    uvicorn.run(
        app,
        host=HOST,
        port=port,
        log_config=None,
        access_log=False,
        loop="auto",
        http="auto",
        timeout_graceful_shutdown=10,
    )
    return 0


# --------------------------------------------------------------------------- databases


CATALOG = """
apiVersion: ownit/v1
kind: User
metadata: {{name: oncall}}
spec:
  email: oncall@example.com
  contacts:
    - name: hook
      type: webhook
      url: "{hook}/oncall"
      secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: bench}}
spec:
  members: [{{user: oncall}}]
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{name: bench}}
spec:
  team: bench
  levels: [{{after: 30m, targets: [{{user: oncall}}]}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: bench}}
spec:
  owner: bench
  escalationPolicy: bench
  urgency: high
  integrations: [{{name: events, type: events-v2, key: {key}}}]
"""
"""The real case: the service has a policy whose first level pages a person by webhook."""


def prepare_database(url: str, routing_key: str, hook_url: str | None, workdir: Path) -> int:
    """Migrate ``url`` and add the benchmark service ``bench`` with an events-v2 integration:
    with a policy paging a person's webhook at ``hook_url`` (the real case), or with no
    policy at all when ``hook_url`` is None (the old comparison). Returns the service id."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from ownit.adapters.catalog.yaml_source import load_files
    from ownit.adapters.db import tables as t
    from ownit.adapters.db.catalog_store import SqlCatalogStore
    from ownit.adapters.db.engine import make_engine
    from ownit.adapters.db.migrate import upgrade
    from ownit.app import catalog
    from ownit.app.clock import SystemClock
    from ownit.domain.key_digests import key_digest

    now = datetime.now(UTC)
    engine = make_engine(url)
    try:
        upgrade(engine)
        if hook_url is not None:
            path = workdir / "catalog.yaml"
            path.write_text(CATALOG.format(hook=hook_url, key=routing_key))
            loaded = load_files([str(path)])
            if loaded.problems:
                raise BenchError(f"the benchmark catalog has problems: {loaded.problems}")
            catalog.apply(
                store=SqlCatalogStore(engine), documents=loaded.documents, clock=SystemClock()
            )
            with engine.connect() as conn:
                found = conn.execute(
                    select(t.services.c.id).where(t.services.c.name == "bench")
                ).scalar_one()
            return int(found)
        with engine.begin() as conn:
            inserted = conn.execute(
                t.services.insert().values(
                    name="bench",
                    description="ingest benchmark",
                    urgency="severity",
                    spec={"urgency": "severity"},
                    created_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key
            assert inserted is not None
            service_id = int(inserted[0])
            conn.execute(
                t.integrations.insert().values(
                    service_id=service_id,
                    name="events",
                    type="events-v2",
                    key=key_digest(routing_key),  # kept hashed (decision 0035)
                    created_at=now,
                )
            )
    finally:
        engine.dispose()
    return service_id


def count_alerts(
    url: str, service_id: int, *, dedup_key: str | None = None, prefix: str = ""
) -> tuple[int, int]:
    """(open alerts, sum of their repeat counts) for one dedup key or a key prefix."""
    from sqlalchemy import func, select

    from ownit.adapters.db import tables as t
    from ownit.adapters.db.engine import make_engine

    alerts = t.alerts
    query = select(func.count(), func.coalesce(func.sum(alerts.c.repeat_count), 0)).where(
        alerts.c.service_id == service_id, alerts.c.status != "resolved"
    )
    if dedup_key is not None:
        query = query.where(alerts.c.dedup_key == dedup_key)
    else:
        query = query.where(alerts.c.dedup_key.startswith(prefix, autoescape=True))
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(query).one()
    finally:
        engine.dispose()
    return int(row[0]), int(row[1])


# --------------------------------------------------------------------------- runs


@dataclass
class RunResult:
    name: str
    backend: str
    mode: str
    rate: float
    accepted: int
    non_2xx: int
    socket_errors: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    rss_mb: float
    server_cpu_pct: float
    wrk_cpu_pct: float
    other_cpu_pct: float
    steal_pct: float
    ratio: float | None = None  # to the validating ceiling of the same run
    ratio_bare: float | None = None  # to the bare ceiling of the same run
    batch_avg: float | None = None
    commit_ms_avg: float | None = None
    pages: int | None = None  # pages (incident, person) delivered to the receiver in the run
    notes: list[str] = field(default_factory=list)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Bench:
    duration: int
    workdir: Path
    script: Path
    routing_key: str
    run_id: str
    serve_args: list[str] = field(default_factory=list)
    hook_url: str | None = None  # the receiver's URL; None: the no-policy comparison
    arrivals: Arrivals | None = None
    servers: list[Server] = field(default_factory=list)
    results: list[RunResult] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    def server_env(self, database_url: str | None, port: int) -> dict[str, str]:
        return serve_env(database_url, port)

    def measure(
        self,
        name: str,
        backend: str,
        mode: str,
        argv_for: Callable[[int], Sequence[str]],
        database_url: str | None,
    ) -> RunResult:
        """Start a server, warm it up, measure one wrk run, stop the server."""
        port = free_port()
        server = Server(
            name,
            list(argv_for(port)),
            self.server_env(database_url, port),
            self.workdir / f"{name}.log",
        )
        self.servers.append(server)
        try:
            log(f"[{name}] starting server on {HOST}:{port}")
            server.serve(port)
            tag = f"storm-{self.run_id}" if mode == "storm" else f"d-{self.run_id}-{backend}"
            log(f"[{name}] warm-up {WARMUP_S}s")
            run_wrk(self.script, port, WARMUP_S, [self.routing_key, mode, tag + "-warm"])
            before = server.metrics(port)
            log(f"[{name}] measuring {self.duration}s (wrk -t{THREADS} -c{CONNECTIONS})")
            measured_tag = tag if mode == "storm" else tag + "-run"
            server_cpu, wrk_cpu = server.cpu_now_s(), children_cpu_s()
            busy, steal = machine_cpu_s()
            pages_before = self.arrivals.poll() if self.arrivals is not None else 0
            figures = run_wrk(
                self.script, port, self.duration, [self.routing_key, mode, measured_tag]
            )
            server_cpu, wrk_cpu = server.cpu_now_s() - server_cpu, children_cpu_s() - wrk_cpu
            busy_after, steal_after = machine_cpu_s()
            busy, steal = busy_after - busy, steal_after - steal
            after = server.metrics(port)
            pages = self.arrivals.poll() - pages_before if self.arrivals is not None else None
            rss_mb = server.measured_rss_mb()
        finally:
            server.stop()
            self.servers.remove(server)
        result = RunResult(
            name=name,
            backend=backend,
            mode=mode,
            rate=figures.accepted / figures.duration_s,
            accepted=figures.accepted,
            non_2xx=figures.non_2xx,
            socket_errors=figures.socket_errors,
            duration_s=figures.duration_s,
            p50_ms=figures.p50_ms,
            p90_ms=figures.p90_ms,
            p99_ms=figures.p99_ms,
            max_ms=figures.max_ms,
            rss_mb=rss_mb,
            server_cpu_pct=100 * server_cpu / figures.duration_s,
            wrk_cpu_pct=100 * wrk_cpu / figures.duration_s,
            other_cpu_pct=max(0.0, 100 * (busy - server_cpu - wrk_cpu) / figures.duration_s),
            steal_pct=100 * steal / figures.duration_s,
        )
        result.pages = pages
        batches = _delta(after, before, "ownit_ingest_batch_size_count")
        if batches:
            result.batch_avg = _delta(after, before, "ownit_ingest_batch_size_sum") / batches
            seconds = _delta(after, before, "ownit_ingest_batch_seconds_sum")
            result.commit_ms_avg = seconds * 1000 / batches
        if figures.non_2xx or figures.socket_errors:
            result.notes.append("non-2xx answers or socket errors: see the server log tail")
            log(f"[{name}] {figures.non_2xx} non-2xx, {figures.socket_errors} socket errors")
            log(server.log_tail(15))
        self.results.append(result)
        return result

    def stop_all(self) -> None:
        for server in list(self.servers):
            with contextlib.suppress(Exception):
                server.stop()
        self.servers.clear()

    def run_backend(self, backend: str, database_url: str) -> None:
        log(f"[{backend}] migrating and adding the benchmark service")
        service_id = prepare_database(database_url, self.routing_key, self.hook_url, self.workdir)
        label = backend if self.hook_url is not None else f"{backend}-nopolicy"

        def argv(port: int) -> list[str]:
            return [sys.executable, "-m", "ownit", "serve", *self.serve_args]  # port: OWNIT_PORT

        distinct = self.measure(f"{label}-distinct", backend, "distinct", argv, database_url)
        stored, _ = count_alerts(database_url, service_id, prefix=f"d-{self.run_id}-{backend}-run-")
        self.checks.append(
            Check(
                f"{label}-distinct",
                stored >= distinct.accepted,
                f"open alerts stored={stored} accepted(2xx)={distinct.accepted}"
                " (expect stored >= accepted)",
            )
        )
        storm = self.measure(f"{label}-storm", backend, "storm", argv, database_url)
        storm_key = f"storm-{self.run_id}"
        open_alerts, repeats = count_alerts(database_url, service_id, dedup_key=storm_key)
        self.checks.append(
            Check(
                f"{label}-storm",
                open_alerts == 1 and repeats >= storm.accepted - 1,
                f"open alerts for storm key={open_alerts} (expect 1), repeat_count={repeats}"
                f" (expect >= accepted-1 = {storm.accepted - 1})",
            )
        )


def _delta(after: dict[str, float], before: dict[str, float], name: str) -> float:
    return after.get(name, 0.0) - before.get(name, 0.0)


# --------------------------------------------------------------------------- output


def _ratio_text(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.2f}"


def _missed(result: RunResult) -> list[str]:
    if result.backend not in TARGET_RATE:
        return []
    missed = []
    if result.rate < TARGET_RATE[result.backend]:
        missed.append(f"rate<{TARGET_RATE[result.backend]:.0f}/s")
    if result.ratio is not None and result.ratio < TARGET_RATIO:
        missed.append(f"ratio<{TARGET_RATIO:.2f}")
    if result.p99_ms >= TARGET_P99_MS:
        missed.append(f"p99>={TARGET_P99_MS:.0f}ms")
    if result.rss_mb >= TARGET_RSS_MB:
        missed.append(f"rss>={TARGET_RSS_MB:.0f}MB")
    if result.non_2xx or result.socket_errors:
        missed.append("errors")
    return missed


def print_table(bench: Bench) -> None:
    header = (
        f"{'run':<22}{'events/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'non-2xx':>9}{'sock err':>9}{'RSS MB':>8}{'vs valid':>9}{'vs bare':>8}"
        f"{'srv CPU%':>9}{'wrk CPU%':>9}"
        f"{'other%':>7}{'steal%':>7}"
        f"{'batch':>7}{'commit ms':>10}{'pages':>7}"
    )
    print()
    print(
        f"ownit ingest benchmark: {os.cpu_count()} CPUs, wrk -t{THREADS} -c{CONNECTIONS}, "
        f"{bench.duration}s per run after {WARMUP_S}s warm-up"
    )
    print(f"server: {' '.join(['ownit serve', *bench.serve_args])} at commit {source_revision()}")
    print(
        "service: "
        + (
            "a policy paging a person's webhook on a loopback receiver (the real case)"
            if bench.hook_url is not None
            else "NO escalation policy (comparison only: nothing is paged)"
        )
    )
    print(header)
    print("-" * len(header))
    for r in bench.results:
        batch = "" if r.batch_avg is None else f"{r.batch_avg:.1f}"
        commit = "" if r.commit_ms_avg is None else f"{r.commit_ms_avg:.2f}"
        print(
            f"{r.name:<22}{r.rate:>10.1f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}{r.max_ms:>9.1f}"
            f"{r.non_2xx:>9}{r.socket_errors:>9}{r.rss_mb:>8.1f}{_ratio_text(r.ratio):>9}"
            f"{_ratio_text(r.ratio_bare):>8}"
            f"{r.server_cpu_pct:>9.0f}{r.wrk_cpu_pct:>9.0f}{r.other_cpu_pct:>7.0f}{r.steal_pct:>7.0f}"
            f"{batch:>7}{commit:>10}{'' if r.pages is None else r.pages:>7}"
        )
    print(
        "srv/wrk CPU% = CPU used by the server / by wrk during the run (100% = one core); "
        "other% = the rest of the machine (PostgreSQL, kernel network work, other processes), "
        "steal% = taken by the host\n"
        "vs valid / vs bare = events/s over the validating / the bare ceiling's req/s (the"
        " target applies to vs valid: a do-nothing FastAPI endpoint validating the same body)\n"
        "batch = requests per commit, commit ms = time per batch transaction (server metrics)\n"
        "pages = (incident, person) pages the loopback receiver got during the run (bundled"
        " per contact: one message may carry many)"
    )
    print()
    print(
        f"targets (not asserted): sqlite >= {TARGET_RATE['sqlite']:.0f}/s, postgresql >= "
        f"{TARGET_RATE['postgresql']:.0f}/s, >= {TARGET_RATIO:.0%} of the validating ceiling, "
        f"p99 < {TARGET_P99_MS:.0f} ms, RSS < {TARGET_RSS_MB:.0f} MB"
    )
    for r in bench.results:
        if r.backend in TARGET_RATE:
            missed = _missed(r)
            print(f"  {r.name:<22}{'met' if not missed else 'missed: ' + ', '.join(missed)}")
    for check in bench.checks:
        print(f"CHECK {check.name} {'ok' if check.ok else 'FAILED'}: {check.detail}")
    print()
    for r in bench.results:
        print(
            f"RESULT name={r.name} rate={r.rate:.1f} p50_ms={r.p50_ms:.2f} "
            f"p99_ms={r.p99_ms:.2f} rss_mb={r.rss_mb:.1f} ratio={_ratio_text(r.ratio)} "
            f"ratio_bare={_ratio_text(r.ratio_bare)} "
            f"non2xx={r.non_2xx} pages={'n/a' if r.pages is None else r.pages}"
        )


def print_json(bench: Bench) -> None:
    report: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "threads": THREADS,
        "connections": CONNECTIONS,
        "duration_s": bench.duration,
        "warmup_s": WARMUP_S,
        "serve": ["ownit", "serve", *bench.serve_args],
        "revision": source_revision(),
        "runs": [
            {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(r).items()}
            for r in bench.results
        ],
        "checks": [asdict(c) for c in bench.checks],
    }
    print(json.dumps(report, indent=2))


# --------------------------------------------------------------------------- main


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks: servers stop, DB drops


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument(
        "--only",
        action="append",
        choices=RUN_NAMES,
        help="run only these (repeatable); default: ceiling, sqlite and postgresql",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--no-engine",
        action="store_true",
        help="pass --no-engine to `ownit serve`: measure ingest without the notification engine",
    )
    parser.add_argument(
        "--no-policy",
        action="store_true",
        help="the old comparison: a service without an escalation policy (nothing is paged);"
        " runs are named <backend>-nopolicy-…",
    )
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get("OWNIT_BENCH_PG_ADMIN_URL", PG_ADMIN_URL),
        help="PostgreSQL URL used to create and drop the benchmark database",
    )
    parser.add_argument("--ceiling-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--validating", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 600:
        parser.error("--duration must be between 1 and 600 seconds")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.ceiling_server is not None:
        return ceiling_server(args.ceiling_server, args.validating)
    if shutil.which("wrk") is None:
        log("benchmarks/ingest.py needs the wrk load generator: apt-get install wrk")
        return 2
    signal.signal(signal.SIGTERM, _on_sigterm)
    selected = args.only or list(RUN_NAMES)
    workdir = Path(tempfile.mkdtemp(prefix="ownit-bench-"))
    script = workdir / "enqueue.lua"
    script.write_text(LUA_SCRIPT)
    bench = Bench(
        duration=args.duration,
        workdir=workdir,
        script=script,
        routing_key=uuid.uuid4().hex,  # 32 characters, as Events v2 requires
        run_id=uuid.uuid4().hex[:8],
        serve_args=["--no-engine"] if args.no_engine else [],
    )
    receiver = None
    if not args.no_policy and ("sqlite" in selected or "postgresql" in selected):
        receiver, bench.hook_url, bench.arrivals = start_receiver(workdir)
    warn_if_busy()
    failed = False
    try:
        if "ceiling" in selected:
            me = str(Path(__file__).resolve())
            for name, extra in (("ceiling-validating", ["--validating"]), ("ceiling", [])):

                def ceiling_argv(port: int, extra: list[str] = extra) -> list[str]:
                    return [sys.executable, me, "--ceiling-server", str(port), *extra]

                bench.measure(name, "ceiling", "distinct", ceiling_argv, None)
        if "sqlite" in selected:
            bench.run_backend("sqlite", f"sqlite:///{workdir / 'bench.db'}")
        if "postgresql" in selected:
            with postgres_database(args.pg_admin_url) as url:
                try:
                    bench.run_backend("postgresql", url)
                finally:
                    bench.stop_all()  # the database cannot be dropped under a live server
    except BenchError as exc:
        log(f"benchmark stopped: {exc}")
        failed = True
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        failed = True
    finally:
        bench.stop_all()
        if receiver is not None:
            receiver.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    ceilings = {r.name: r.rate for r in bench.results if r.backend == "ceiling" and r.rate > 0}
    for r in bench.results:
        if r.backend != "ceiling":
            validating, bare = ceilings.get("ceiling-validating"), ceilings.get("ceiling")
            r.ratio = r.rate / validating if validating else None
            r.ratio_bare = r.rate / bare if bare else None
    if bench.results:
        if args.json:
            print_json(bench)
        else:
            print_table(bench)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
