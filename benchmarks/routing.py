"""Routing benchmark: the pure routing tree (``ownit.domain.routing``) with 10,000 routes.

Run with ``.venv/bin/python benchmarks/routing.py [--teams 50] [--services 19] [--events 50000]``.

Builds, deterministically (seeded ``random.Random``), the kind of router one Alertmanager
feeding a whole organisation needs:

- a few first-level catch-alls with regexes (``alertname=~"Watchdog|InfoInhibitor"`` dropped,
  ``env=~"dev|test-.*"`` dropped);
- one first-level route per team (``team="t17"``), each with one route per service
  (``service="t17-s04"``, some as ``service=~"t17-s04|t17-s04-.*"``), each with
  leaf routes: ``severity="info"`` suppressed, ``env="staging"`` to a staging component,
  ``module=~"…"`` to components, ``env!="prod"`` with ``continue: true``;
- a root service for what nothing else matches.

Events are label sets drawn from the same teams and services (and 10 % unknown teams).

Measures, best of ``--repeat`` runs with ``time.perf_counter``: ``routing-inprocess``, the
compiled router; ``routing-naive``, the same tree walked straight from the definition (no
index, matchers in written order), for comparison. It measures and prints; it asserts
nothing.

``--http``: the same tree end to end. Applies a catalog with the router (as a ``Router``
document, ~10,500 routes), the ~1,000 services and components it names, and one plain
service with an ``events-v2`` key to a fresh SQLite database; starts ``ownit serve`` on it
(rate limit off, as ``ingest.py`` does); then, after a warm-up, drives ``POST /v2/enqueue``
with ``wrk`` (2 threads, 32 connections) for ``--duration`` seconds a run at the **plain**
key, the **router** key, the router key, the plain key (so both see the same drift as the
database grows), with the same bodies: an Events v2 trigger with its own dedup key
and routing labels (team, service, alertname, env, module, region) in ``custom_details``,
chosen so that events page (10 % to unknown teams go to the root's service). Prints each
run's events/s and p99 and ``RESULT name=routing-http ratio=…`` = routed / plain (target
>= 0.80). Needs ``wrk`` (``apt-get install wrk``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import FrameType

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from benchmarks._support import (
    WRK_CONNECTIONS,
    WRK_DONE_LUA,
    WRK_THREADS,
    BenchError,
    Server,
    WrkFigures,
    free_port,
    log,
    run_wrk,
    serve_env,
    warn_if_busy,
)
from ownit.domain.catalog.routers import node_json
from ownit.domain.routing import Route, compile_route, route_naive

LEAF_KINDS = 10


def count(tree: Route) -> int:
    return 1 + sum(count(child) for child in tree.routes)


def build(teams: int, services: int, rng: random.Random) -> Route:
    top: list[Route] = [
        Route.of('alertname=~"Watchdog|InfoInhibitor"', action="drop"),
        Route.of('env=~"dev|test-.*"', action="drop"),
    ]
    for t in range(teams):
        team = f"t{t:02d}"
        children: list[Route] = []
        for s in range(services):
            svc = f"{team}-s{s:02d}"
            leaves = [
                Route.of('severity="info"', action="suppress"),
                Route.of('env="staging"', component="staging"),
                Route.of('module=~"refund.*"', component="refunds"),
                Route.of('module=~"pay(ment)?s?"', 'severity!="warning"', component="payments"),
                Route.of('module="ledger"', component="ledger"),
                Route.of('region=~"eu-.*"', 'env="prod"', component="eu"),
                Route.of('env!="prod"', continue_=True, component="nonprod"),
                Route.of('cluster="c1"', 'severity="critical"', component="c1"),
                Route.of('alertname=~".*Latency.*"', component="latency"),
                Route.of('alertname="DiskFull"', action="drop"),
            ][:LEAF_KINDS]
            rng.shuffle(leaves)
            matcher = f'service="{svc}"' if rng.random() < 0.8 else f'service=~"{svc}|{svc}-.*"'
            children.append(Route.of(matcher, service=svc, routes=leaves))
        top.append(Route.of(f'team="{team}"', service=f"{team}-triage", routes=children))
    return Route.of(service="unrouted", routes=top)


def events(n: int, teams: int, services: int, rng: random.Random) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for _ in range(n):
        t = rng.randrange(int(teams * 1.1))
        labels = {
            "alertname": rng.choice(["HighLatency", "DiskFull", "Down", "ErrorRate", "Watchdog"]),
            "team": f"t{t:02d}",
            "service": f"t{t:02d}-s{rng.randrange(services):02d}",
            "env": rng.choice(["prod", "prod", "prod", "staging", "dev"]),
            "severity": rng.choice(["critical", "error", "warning", "info"]),
        }
        if rng.random() < 0.5:
            labels["module"] = rng.choice(["refunds", "payments", "ledger", "search"])
        if rng.random() < 0.5:
            labels["region"] = rng.choice(["eu-west-1", "us-east-1"])
        if rng.random() < 0.3:
            labels["cluster"] = rng.choice(["c1", "c2"])
        out.append(labels)
    return out


def best_rate(run: Callable[[], None], n: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return n / best


# --------------------------------------------------------------------------- --http

WARMUP_S = 2
TARGET_RATIO = 0.8
COMPONENTS = ("staging", "refunds", "payments", "ledger", "eu", "nonprod", "c1", "latency")

LUA_SCRIPT = (
    r"""
-- Written by benchmarks/routing.py. args: routing key, tag, teams, services per team.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local key, tag, teams, services
local n = 0
local alerts = {"HighLatency", "Down", "ErrorRate"}
local severities = {"critical", "error", "warning"}
local modules = {"refunds", "payments", "ledger", "search", "none"}
local regions = {"eu-west-1", "us-east-1"}
local body_fmt = '{"routing_key":"%s","event_action":"trigger","dedup_key":"%s",'
  .. '"payload":{"summary":"ownit routing benchmark %s","source":"bench-%d",'
  .. '"severity":"%s","custom_details":{"alertname":"%s","team":"%s","service":"%s",'
  .. '"env":"prod","module":"%s","region":"%s","n":%d}}}'
local headers = {["Content-Type"] = "application/json"}

function init(args)
  key = args[1]
  tag = args[2]
  teams = tonumber(args[3])
  services = tonumber(args[4])
  math.randomseed(tid * 7919 + os.time())
end

function request()
  n = n + 1
  local team = string.format("t%02d", math.random(0, math.floor(teams * 1.1) - 1))
  local service = string.format("%s-s%02d", team, math.random(0, services - 1))
  local dedup = string.format("%s-%d-%d", tag, tid, n)
  local body = string.format(body_fmt, key, dedup, dedup, tid,
    severities[math.random(1, 3)], alerts[math.random(1, 3)], team, service,
    modules[math.random(1, 5)], regions[math.random(1, 2)], n)
  return wrk.format("POST", "/v2/enqueue", headers, body)
end
"""
    + WRK_DONE_LUA
)


def catalog_documents(tree: Route, teams: int, services: int, plain_key: str) -> list[object]:
    """The services the tree names (each routed service with the tree's components), one
    plain service with an events-v2 key, an owner team and the router."""
    docs: list[object] = [
        {
            "apiVersion": "ownit/v1",
            "kind": "User",
            "metadata": {"name": "bench"},
            "spec": {"email": "bench@example.com"},
        },
        {
            "apiVersion": "ownit/v1",
            "kind": "Team",
            "metadata": {"name": "bench"},
            "spec": {"members": [{"user": "bench"}]},
        },
    ]

    def service(name: str, **spec: object) -> dict[str, object]:
        return {
            "apiVersion": "ownit/v1",
            "kind": "Service",
            "metadata": {"name": name},
            "spec": {"owner": "bench", **spec},
        }

    docs.append(
        service("plain", integrations=[{"name": "events", "type": "events-v2", "key": plain_key}])
    )
    docs.append(service("unrouted"))
    for t in range(teams):
        docs.append(service(f"t{t:02d}-triage"))
        components = [{"name": c} for c in COMPONENTS]
        docs += [service(f"t{t:02d}-s{s:02d}", components=components) for s in range(services)]
    docs.append(
        {
            "apiVersion": "ownit/v1",
            "kind": "Router",
            "metadata": {"name": "bench"},
            "spec": {"route": node_json(tree)},
        }
    )
    return docs


def prepare_http(
    url: str, workdir: Path, tree: Route, teams: int, services: int
) -> tuple[str, str]:
    """Migrate ``url`` and apply the catalog; (router key, plain key)."""
    from ownit.adapters.catalog.yaml_source import load_files
    from ownit.adapters.db.catalog_store import SqlCatalogStore
    from ownit.adapters.db.engine import make_engine
    from ownit.adapters.db.migrate import upgrade
    from ownit.app import catalog
    from ownit.app.clock import SystemClock

    plain_key = uuid.uuid4().hex
    path = workdir / "catalog.yaml"
    # JSON is YAML: one document per line.
    path.write_text(
        "\n---\n".join(json.dumps(d) for d in catalog_documents(tree, teams, services, plain_key))
    )
    loaded = load_files([str(path)])
    if loaded.problems:
        raise BenchError(f"the benchmark catalog has problems: {loaded.problems[:5]}")
    engine = make_engine(url)
    try:
        upgrade(engine)
        try:
            applied = catalog.apply(
                store=SqlCatalogStore(engine), documents=loaded.documents, clock=SystemClock()
            )
        except catalog.InvalidCatalog as exc:
            raise BenchError(f"the benchmark catalog has problems: {exc.problems[:5]}") from None
    finally:
        engine.dispose()
    # The database keeps only the key's digest: the apply's answer is where the key is.
    router = next((r for r in applied.new_routers if r.name == "bench"), None)
    if router is None:
        raise BenchError("the router was not stored")
    return router.key, plain_key


def count_routed(url: str) -> tuple[int, int]:
    """(incidents on routed services, incidents on the plain service)."""
    from sqlalchemy import func, select

    from ownit.adapters.db import tables as t
    from ownit.adapters.db.engine import make_engine

    engine = make_engine(url)
    i, s = t.incidents, t.services
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(s.c.name == "plain", func.count())
                .select_from(i)
                .join(s, s.c.id == i.c.service_id)
                .group_by(s.c.name == "plain")
            ).all()
    finally:
        engine.dispose()
    counts = {bool(plain): int(n) for plain, n in rows}
    return counts.get(False, 0), counts.get(True, 0)


def merged(runs: list[WrkFigures]) -> WrkFigures:
    """Several wrk runs of one key as one: counts and time summed, the rate over the whole
    time, p50 and mean weighted by requests, p90/p99/max the worst run's."""
    total = sum(r.requests for r in runs) or 1
    return WrkFigures(
        requests=sum(r.requests for r in runs),
        duration_s=sum(r.duration_s for r in runs),
        non_2xx=sum(r.non_2xx for r in runs),
        socket_errors=sum(r.socket_errors for r in runs),
        p50_ms=sum(r.p50_ms * r.requests for r in runs) / total,
        p90_ms=max(r.p90_ms for r in runs),
        p99_ms=max(r.p99_ms for r in runs),
        mean_ms=sum(r.mean_ms * r.requests for r in runs) / total,
        max_ms=max(r.max_ms for r in runs),
    )


def _line(name: str, f: WrkFigures) -> str:
    return (
        f"{name:<8}{f.rate:>10.1f}{f.p50_ms:>9.2f}{f.p99_ms:>9.2f}{f.max_ms:>9.1f}"
        f"{f.non_2xx:>9}{f.socket_errors:>9}"
    )


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks: the server stops


def http_main(args: argparse.Namespace, tree: Route, routes: int) -> int:
    if shutil.which("wrk") is None:
        log("benchmarks/routing.py --http needs the wrk load generator: apt-get install wrk")
        return 2
    signal.signal(signal.SIGTERM, _on_sigterm)
    workdir = Path(tempfile.mkdtemp(prefix="ownit-bench-routing-"))
    server: Server | None = None
    try:
        warn_if_busy()
        url = f"sqlite:///{workdir / 'bench.db'}"
        started = time.perf_counter()
        router_key, plain_key = prepare_http(url, workdir, tree, args.teams, args.services)
        log(f"catalog with {routes} routes applied in {time.perf_counter() - started:.1f}s")
        script = workdir / "routed.lua"
        script.write_text(LUA_SCRIPT)
        port = free_port()
        serve_args = ["--no-engine"] if args.no_engine else []
        server = Server(
            "ownit",
            [sys.executable, "-m", "ownit", "serve", *serve_args],
            serve_env(url, port),
            workdir / "serve.log",
        )
        server.serve(port)
        tag = uuid.uuid4().hex[:8]
        shape = [str(args.teams), str(args.services)]
        log(f"warm-up {WARMUP_S}s on each key")
        for key, name in ((plain_key, "plain"), (router_key, "routed")):
            run_wrk(script, port, WARMUP_S, [key, f"{tag}-warm-{name}", *shape])
        # plain, routed, routed, plain: the database grows and the engine works off the
        # pages of earlier runs while we measure; in this order both keys see the same drift
        runs: dict[str, list[WrkFigures]] = {"plain": [], "routed": []}
        keys = {"plain": plain_key, "routed": router_key}
        for n, name in enumerate(("plain", "routed", "routed", "plain")):
            log(f"measuring {name} for {args.duration}s (wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS})")
            runs[name].append(
                run_wrk(script, port, args.duration, [keys[name], f"{tag}-{name}{n}", *shape])
            )
        figures = {name: merged(found) for name, found in runs.items()}
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
        routed_incidents, plain_incidents = (0, 0)
        if (workdir / "bench.db").exists():
            routed_incidents, plain_incidents = count_routed(f"sqlite:///{workdir / 'bench.db'}")
        shutil.rmtree(workdir, ignore_errors=True)
    plain, routed = figures["plain"], figures["routed"]
    ratio = routed.rate / plain.rate if plain.rate > 0 else 0.0
    print(
        f"# ownit serve{' --no-engine' if args.no_engine else ''} on SQLite, {os.cpu_count()} "
        f"cpus, router with {routes} routes, wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS}, "
        f"2 x {args.duration}s per key (plain, routed, routed, plain) after {WARMUP_S}s "
        f"warm-up; server peak RSS {rss:.0f} MB"
    )
    print(
        f"{'key':<8}{'events/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'non-2xx':>9}"
        f"{'sock err':>9}"
    )
    print(_line("plain", plain))
    print(_line("routed", routed))
    print(
        f"# incidents stored: {routed_incidents} on routed services, {plain_incidents} on the "
        f"plain one (warm-up included); routed / plain = {ratio:.2f} (target >= "
        f"{TARGET_RATIO:.2f}: {'met' if ratio >= TARGET_RATIO else 'missed'})"
    )
    print(f"RESULT name=routing-http-plain rate={plain.rate:.1f} p99_ms={plain.p99_ms:.2f}")
    print(f"RESULT name=routing-http-routed rate={routed.rate:.1f} p99_ms={routed.p99_ms:.2f}")
    print(f"RESULT name=routing-http ratio={ratio:.3f}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--services", type=int, default=19)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--naive-events", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--http",
        action="store_true",
        help="end to end: ownit serve on SQLite, wrk at the router key and at a plain key",
    )
    parser.add_argument("--duration", type=int, default=10, help="--http: seconds per run")
    parser.add_argument(
        "--no-engine", action="store_true", help="--http: `ownit serve --no-engine`"
    )
    args = parser.parse_args()
    if not 1 <= args.duration <= 600:
        parser.error("--duration must be between 1 and 600 seconds")
    rng = random.Random(args.seed)
    tree = build(args.teams, args.services, rng)
    start = time.perf_counter()
    router = compile_route(tree)
    compile_ms = (time.perf_counter() - start) * 1000
    if args.http:
        return http_main(args, tree, count(tree))
    sample = events(args.events, args.teams, args.services, rng)
    naive_sample = sample[: args.naive_events]
    mismatches = sum(
        1
        for labels in naive_sample[:2000]
        if len(router.route(labels).results) != len(route_naive(tree, labels))
    )

    def compiled() -> None:
        for labels in sample:
            router.route(labels)

    def naive() -> None:
        for labels in naive_sample:
            route_naive(tree, labels)

    rate = best_rate(compiled, len(sample), args.repeat)
    naive_rate = best_rate(naive, len(naive_sample), args.repeat)
    print(
        f"# python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} cpus; {count(tree)} routes, compiled in {compile_ms:.0f} ms; "
        f"{len(sample)} events; result-count mismatches vs naive: {mismatches}"
    )
    print(f"RESULT name=routing-inprocess rate={rate:.0f} unit=decisions/s")
    print(f"RESULT name=routing-naive rate={naive_rate:.0f} unit=decisions/s")
    print(f"# compiled / naive: {rate / naive_rate:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
