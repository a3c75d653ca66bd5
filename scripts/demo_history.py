"""For `make run`: eight weeks of made-up incident history on the demo services, once (only
when the database has no incident yet), so that /analytics is not empty on first start.

Acknowledgements get faster week after week (the story a baseline should tell). Rows go
straight into the tables, as ownit itself would have written them: incidents, who was paged
and who acknowledged how (``incident_responses``), and the delivered notifications.
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from ownit.adapters.db import tables as t
from ownit.bootstrap import open_database
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


def main() -> int:
    engine = open_database(Settings.from_env())
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
                incidents.append(
                    {
                        "id": iid,
                        "org_id": 1,
                        "number": number,
                        "title": f"{rng.choice(ALERTS)} on {service}",
                        "status": "resolved",
                        "urgency": "high",
                        "severity": "critical",
                        "service_id": ids[service],
                        "dedup_key": rng.choice(ALERTS),
                        "alert_count": 1,
                        "created_at": created,
                        "updated_at": created + timedelta(seconds=ttr),
                        "acknowledged_at": created + timedelta(seconds=tta) if acked else None,
                        "acknowledged_by": (second if escalated else first) if acked else None,
                        "resolved_at": created + timedelta(seconds=ttr),
                        "resolved_by": "integration/demo" if noise else first,
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
        conn.execute(t.incidents.insert(), incidents)
        conn.execute(t.incident_responses.insert(), responses)
        conn.execute(t.notifications.insert(), messages)
        conn.execute(
            t.organisations.update().where(t.organisations.c.id == 1).values(incident_seq=number)
        )
    print(f"demo history: {number} resolved incidents over the last {WEEKS} weeks (/analytics)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
