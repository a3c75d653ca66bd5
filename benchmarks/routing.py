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
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--services", type=int, default=19)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--naive-events", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tree = build(args.teams, args.services, rng)
    start = time.perf_counter()
    router = compile_route(tree)
    compile_ms = (time.perf_counter() - start) * 1000
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


if __name__ == "__main__":
    main()
