"""For `make run`: eight weeks of made-up incident history on the demo services, once (only
when the database has no incident yet), so that /analytics and /standards are not empty on
first start.

Acknowledgements get faster week after week (the story a baseline should tell). Rows go
straight into the tables, as ownit itself would have written them: incidents with their
timelines (triggered, paged, notified, escalated, acknowledged, resolved), who was paged and
who acknowledged how (``incident_responses``), the delivered notifications, the postmortems
the policy requires (all but web-frontend's, which lags behind: the standards say so) with
their action items, and one acknowledged run of the ``checkout-weekly`` drill three weeks
ago. checkout-api then reaches gold (docs/standards.md).
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from ownit.adapters.db import tables as t
from ownit.bootstrap import open_database
from ownit.domain.postmortems.model import default_due
from ownit.settings import Settings

WEEKS = 8
SERVICES = {  # service -> who is paged first, and second
    "checkout-api": ("alice", "bob"),
    "payments-db": ("bob", "alice"),
    "fraud-scoring": ("carol", "alice"),
    "search-api": ("dave", "erin"),
    "web-frontend": ("erin", "frank"),
    "edge-proxy": ("frank", "dave"),
}
ALERTS = ("HighLatency", "DiskFull", "ErrorRate", "PodCrashLooping", "CertExpiring")
NO_POSTMORTEMS = {"web-frontend"}  # its team has not written them: below gold on purpose
DRILL = "checkout-weekly"  # examples/demo.yaml: a drill on checkout-api (payments policy)
FIXES = {  # an action item per alert
    "HighLatency": "Add a latency SLO alert on the p99 before customers notice",
    "DiskFull": "Alert on disk growth rate, not only on the disk being full",
    "ErrorRate": "Roll back automatically when the error rate doubles after a deploy",
    "PodCrashLooping": "Add a readiness check so crash-looping pods never take traffic",
    "CertExpiring": "Renew certificates automatically 30 days before expiry",
}


def main() -> int:
    engine = open_database(Settings.from_env())
    try:
        return write(engine)
    finally:
        engine.dispose()


def write(engine: Engine) -> int:
    with engine.begin() as conn:
        if conn.execute(select(func.count()).select_from(t.incidents)).scalar_one():
            return 0
        ids = dict(conn.execute(select(t.services.c.name, t.services.c.id)).all())
        services = [s for s in SERVICES if s in ids]
        if not services:
            return 0
        rng = random.Random(7)
        now = datetime.now(UTC).replace(microsecond=0)
        incidents, responses, messages = [], [], []
        number = 0
        for week in range(WEEKS, 0, -1):
            speed = 0.4 + 0.6 * week / WEEKS  # older weeks are slower to acknowledge
            for _ in range(rng.randint(8, 14)):
                number += 1
                service = rng.choice(services)
                first, second = SERVICES[service]
                created = now - timedelta(days=7 * week - rng.uniform(0, 7), hours=0)
                noise = rng.random() < 0.15
                acked = not noise and rng.random() < 0.9
                tta = rng.expovariate(1 / (420 * speed))
                escalated = acked and tta > 600
                ttr = rng.uniform(40, 280) if noise else tta + rng.expovariate(1 / (2400 * speed))
                iid = f"inc_demo{number:04d}"
                alert = rng.choice(ALERTS)
                incidents.append(
                    {
                        "id": iid,
                        "org_id": 1,
                        "number": number,
                        "title": f"{alert} on {service}",
                        "status": "resolved",
                        "urgency": "high",
                        "severity": "critical",
                        "service_id": ids[service],
                        "dedup_key": alert,
                        "alert_count": 1,
                        "created_at": created,
                        "updated_at": created + timedelta(seconds=ttr),
                        "acknowledged_at": created + timedelta(seconds=tta) if acked else None,
                        "acknowledged_by": (second if escalated else first) if acked else None,
                        "resolved_at": created + timedelta(seconds=ttr),
                        "resolved_by": "integration/demo" if noise else first,
                        "drill": False,
                    }
                )
                paged = [(first, 1, created)]
                if escalated:
                    paged.append((second, 2, created + timedelta(minutes=10)))
                for user, level, at in paged:
                    mine = acked and user == (second if escalated else first)
                    responses.append(
                        {
                            "incident_id": iid,
                            "user_name": user,
                            "first_paged_at": at,
                            "highest_level": level,
                            "acknowledged_at": created + timedelta(seconds=tta) if mine else None,
                            "acknowledged_via": rng.choice(("web", "link", "slack"))
                            if mine
                            else None,
                        }
                    )
                    messages.append(
                        {
                            "incident_id": iid,
                            "user_name": user,
                            "contact": "demo",
                            "channel": "webhook",
                            "event_type": "incident.triggered",
                            "idempotency_key": f"demo:{iid}:{user}",
                            "status": "sent",
                            "due_at": at,
                            "created_at": at,
                            "sent_at": at,
                        }
                    )
        drill = drill_run(ids, number + 1, now)
        incidents.append(drill["incident"])
        number += 1
        names = {v: k for k, v in ids.items()}
        conn.execute(t.incidents.insert(), incidents)
        conn.execute(t.incident_responses.insert(), responses)
        conn.execute(t.notifications.insert(), messages)
        conn.execute(t.log_entries.insert(), [e for i in incidents for e in timeline(i, responses)])
        conn.execute(t.drill_runs.insert(), [drill["run"]])
        written = postmortems(incidents[:-1], names, now, rng)
        conn.execute(t.postmortems.insert(), written["postmortems"])
        conn.execute(t.postmortem_actions.insert(), written["actions"])
        conn.execute(
            t.organisations.update().where(t.organisations.c.id == 1).values(incident_seq=number)
        )
    print(
        f"demo history: {number - 1} resolved incidents over the last {WEEKS} weeks "
        f"(/analytics), {len(written['postmortems'])} postmortems, one drill run (/standards)"
    )
    return 0


def timeline(incident: dict[str, Any], responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The log entries ownit would have written for ``incident``: what a postmortem's
    timeline starts from."""
    iid, created = incident["id"], incident["created_at"]
    source = "drill" if incident.get("drill") else "integration/events"

    def entry(at: datetime, kind: str, actor: str, message: str, **data: Any) -> dict[str, Any]:
        return {
            "incident_id": iid,
            "at": at,
            "kind": kind,
            "actor": actor,
            "message": message,
            "data": data or None,
        }

    entries = [entry(created, "triggered", source, "triggered by events-v2 event")]
    for r in sorted(
        (r for r in responses if r["incident_id"] == iid), key=lambda r: r["first_paged_at"]
    ):
        level, user, at = r["highest_level"], r["user_name"], r["first_paged_at"]
        if level > 1:
            entries.append(entry(at, "escalated", "engine", f"escalated to level {level}"))
        entries.append(entry(at, "paged", "engine", f"level {level}: paged {user}"))
        entries.append(
            entry(at, "notified", "engine", f"sent to {user}", user=user, contact="demo")
        )
    if incident["acknowledged_at"] is not None:
        by = incident["acknowledged_by"]
        entries.append(
            entry(incident["acknowledged_at"], "acknowledged", by, f"acknowledged by {by}")
        )
    by = incident["resolved_by"]
    words = "resolved by event" if by.startswith("integration/") else f"resolved by {by}"
    entries.append(entry(incident["resolved_at"], "resolved", by, words))
    return entries


def drill_run(ids: dict[str, int], number: int, now: datetime) -> dict[str, dict[str, Any]]:
    """Three weeks ago alice acknowledged a run of the payments drill in 2 minutes."""
    started = now - timedelta(days=21)
    iid = "inc_demo_drill"
    incident = {
        "id": iid,
        "org_id": 1,
        "number": number,
        "title": f"[DRILL] {DRILL}: practice page for checkout-api",
        "status": "resolved",
        "urgency": "high",
        "severity": "critical",
        "service_id": ids["checkout-api"],
        "dedup_key": f"drill/{DRILL}/1",
        "alert_count": 1,
        "created_at": started,
        "updated_at": started + timedelta(minutes=2),
        "acknowledged_at": started + timedelta(minutes=2),
        "acknowledged_by": "alice",
        "resolved_at": started + timedelta(minutes=2),
        "resolved_by": "drill",
        "drill": True,
    }
    run = {
        "id": 1,
        "drill": DRILL,
        "incident_id": iid,
        "open_drill": None,
        "started_at": started,
        "started_by": "alice",
        "ack_target_seconds": 300,
        "auto_resolve_at": None,
        "ended_at": started + timedelta(minutes=2),
    }
    return {"incident": incident, "run": run}


def postmortems(
    incidents: list[dict[str, Any]], names: dict[int, str], now: datetime, rng: random.Random
) -> dict[str, list[dict[str, Any]]]:
    """A postmortem for every incident the org's policy requires one for (high urgency),
    but web-frontend's: closed when over three weeks old, in review once due (5 business
    days after resolution), draft before; an action item each (done once closed). One open
    item of payments-db is past due."""
    written: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    overdue_left = 1
    for n, incident in enumerate(incidents, start=1):
        service = names[incident["service_id"]]
        if incident["urgency"] != "high" or service in NO_POSTMORTEMS:
            continue
        resolved, alert = incident["resolved_at"], incident["dedup_key"]
        age = now - resolved
        owner = SERVICES[service][0]
        due = default_due(resolved, incident["created_at"], 5)
        status = "closed" if age > timedelta(days=21) else "in_review"
        status = "draft" if due > now.date() else status  # not due yet: still being written
        minutes = int((resolved - incident["created_at"]).total_seconds() // 60)
        written.append(
            {
                "id": n,
                "incident_id": incident["id"],
                "title": incident["title"],
                "status": status,
                "owner": owner,
                "due": due,
                "sections": {
                    "summary": f"{alert} on {service} for {minutes} minutes.",
                    "impact": rng.choice(
                        ("Some requests were slow.", "A few checkouts failed and were retried.")
                    ),
                    "detection": f"The {alert} alert paged the on-call responder.",
                    "resolution": rng.choice(
                        ("Rolled back the last deploy.", "Scaled out and cleared the queue.")
                    ),
                },
                "marks": {},
                "created_at": resolved,
                "updated_at": resolved + timedelta(days=2),
                "closed_at": resolved + timedelta(days=6) if status == "closed" else None,
            }
        )
        overdue = status == "in_review" and service == "payments-db" and overdue_left > 0
        overdue_left -= overdue
        item_due = (now - timedelta(days=3)).date() if overdue else due + timedelta(days=14)
        actions.append(
            {
                "postmortem_id": n,
                "number": 1,
                "title": FIXES[alert],
                "owner": owner,
                "due": item_due,
                "status": "done" if status == "closed" else "open",
                "link": None,
                "created_at": resolved,
                "updated_at": resolved,
            }
        )
    return {"postmortems": written, "actions": actions}


if __name__ == "__main__":
    sys.exit(main())
