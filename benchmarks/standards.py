"""Standards benchmark: the whole report (``GET /api/v1/standards``'s use case) for 1,000
services on a SQLite database.

Run with ``.venv/bin/python benchmarks/standards.py [--services 1000] [--repeat 5]``.

Applies a generated catalog through the catalog use case: ``--services`` services in teams
of 10 services (each team 4 users, a weekly rotation with a business-hours layer on top and
an override, a two-level policy), a third of them tier 1–2, with dependencies on the
previous service of the team. Then times :func:`ownit.app.standards.report` (reading the
catalog, the schedules, the overrides and 30 days of analytics, and judging every standard)
``--repeat`` times after one warm-up (with ``--postmortems`` resolved high-urgency incidents,
each with a postmortem and an action item), and prints the medians of wall-clock and CPU time
(``time.process_time``: what a busy machine does not inflate):
``RESULT name=standards-report services=N seconds=… cpu_seconds=…`` and whether it is under
the 1 s target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

TARGET_SECONDS = 1.0
PER_TEAM = 10


def catalog(services: int) -> str:
    docs: list[str] = []
    teams = max(1, (services + PER_TEAM - 1) // PER_TEAM)
    for t in range(teams):
        users = [f"u{t}-{i}" for i in range(4)]
        for u in users:
            docs.append(
                f"kind: User\nmetadata: {{name: {u}}}\nspec:\n  email: {u}@example.com\n"
                f"  contacts: [{{name: mail, type: email, address: {u}@example.com}}]\n"
                "  notificationRules: [{contact: mail}]\n"
            )
        members = ", ".join(f"{{user: {u}}}" for u in users)
        docs.append(f"kind: Team\nmetadata: {{name: t{t}}}\nspec: {{members: [{members}]}}\n")
        docs.append(
            f"kind: Schedule\nmetadata: {{name: t{t}}}\nspec:\n  team: t{t}\n  timezone: UTC\n"
            "  layers:\n"
            "    - name: weekly\n      start: '2026-01-05T09:00:00'\n      rotation: 1w\n"
            f"      users: [{users[0]}, {users[1]}]\n"
            f"    - name: day\n      start: '2026-01-05T09:00:00'\n      rotation: 1d\n"
            f"      users: [{users[2]}, {users[3]}]\n"
            "      restrictions: [{days: [mon, tue, wed, thu, fri], from: '09:00', to: '17:00'}]\n"
            f"  overrides:\n    - {{user: {users[3]}, start: '2030-01-01T00:00:00Z',\n"
            "       end: '2030-01-02T00:00:00Z'}\n"
        )
        docs.append(
            f"kind: EscalationPolicy\nmetadata: {{name: t{t}}}\nspec:\n  team: t{t}\n  levels:\n"
            f"    - {{after: 5m, targets: [{{schedule: t{t}}}]}}\n"
            f"    - {{after: 10m, targets: [{{user: {users[0]}}}]}}\n"
        )
    for s in range(services):
        t = s // PER_TEAM
        depends = f"[s{s - 1}]" if s % PER_TEAM else "[]"
        tier = 1 + s % 4
        docs.append(
            f"kind: Service\nmetadata: {{name: s{s}, description: Service {s} of team {t}.}}\n"
            f"spec:\n  owner: t{t}\n  escalationPolicy: t{t}\n  tier: {tier}\n"
            f"  runbook: https://wiki.example.com/s{s}\n  dependsOn: {depends}\n"
            f"  tags: [team-{t}]\n  labels: {{index: '{s}'}}\n"
        )
    return "\n---\n".join("apiVersion: ownit/v1\n" + d for d in docs)


def seed_postmortems(engine: Any, count: int, services: int, now: datetime) -> None:
    """``count`` high-urgency incidents resolved over the last 60 days, spread over the
    services, each with a postmortem (draft, in review or closed) and one action item, half
    of them past due and open: what ``postmortems-done`` and ``no-overdue-actions`` read."""
    from sqlalchemy import select

    from ownit.adapters.db import tables as t

    if count <= 0:
        return
    with engine.begin() as conn:
        ids = dict(conn.execute(select(t.services.c.name, t.services.c.id)).all())
        incidents, postmortems, actions = [], [], []
        for n in range(count):
            opened = now - timedelta(days=60) + timedelta(hours=n * 1440 // max(count, 1))
            iid = f"inc_bench_{n}"
            incidents.append(
                {
                    "id": iid,
                    "org_id": 1,
                    "number": n + 1,
                    "title": f"incident {n}",
                    "status": "resolved",
                    "urgency": "high",
                    "severity": "critical",
                    "service_id": ids[f"s{(n * 7) % services}"],
                    "dedup_key": f"bench/{n}",
                    "created_at": opened,
                    "updated_at": opened + timedelta(hours=1),
                    "resolved_at": opened + timedelta(hours=1),
                }
            )
            status = ("draft", "in_review", "closed")[n % 3]
            postmortems.append(
                {
                    "id": n + 1,
                    "incident_id": iid,
                    "title": f"incident {n}",
                    "status": status,
                    "owner": None,
                    "due": (opened + timedelta(days=7)).date(),
                    "sections": {"summary": "What happened."},
                    "marks": {},
                    "created_at": opened,
                    "updated_at": opened,
                }
            )
            actions.append(
                {
                    "postmortem_id": n + 1,
                    "number": 1,
                    "title": f"fix {n}",
                    "owner": "u0-0",
                    "due": (opened + timedelta(days=14 if n % 2 else 90)).date(),
                    "status": "open",
                    "created_at": opened,
                    "updated_at": opened,
                }
            )
        conn.execute(t.incidents.insert(), incidents)
        conn.execute(t.postmortems.insert(), postmortems)
        conn.execute(t.postmortem_actions.insert(), actions)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postmortems", type=int, default=500)
    args = parser.parse_args()

    from ownit.adapters.catalog.yaml_source import load_text
    from ownit.app import catalog as use
    from ownit.app import standards as uc
    from ownit.app.clock import SystemClock
    from ownit.bootstrap import database
    from ownit.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'bench.db'}")
        with database(settings) as db:
            loaded = load_text(catalog(args.services), "bench.yaml")
            assert not loaded.problems, loaded.problems[:3]
            use.apply(store=db.catalog, documents=loaded.documents, clock=SystemClock())
            clock = SystemClock()
            seed_postmortems(db.engine, args.postmortems, args.services, clock.now())
            found = uc.report(sources=db.standards, clock=clock)  # warm-up
            times: list[float] = []
            cpu: list[float] = []
            for _ in range(args.repeat):
                start, start_cpu = time.perf_counter(), time.process_time()
                found = uc.report(sources=db.standards, clock=clock)
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
    levels: dict[str, int] = {}
    for s in found.services:
        levels[s.level] = levels.get(s.level, 0) + 1
    median = statistics.median(times)
    median_cpu = statistics.median(cpu)
    print(f"services: {len(found.services)}, levels: {dict(sorted(levels.items()))}")
    print(
        f"RESULT name=standards-report services={len(found.services)} seconds={median:.3f} "
        f"cpu_seconds={median_cpu:.3f}"
    )
    verdict = "met" if median < TARGET_SECONDS else "NOT met"
    print(f"target < {TARGET_SECONDS:.0f} s: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
