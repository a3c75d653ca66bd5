"""The Opsgenie fixture (tests/samples/importers/opsgenie), written from the REST API v2
shapes: ``python -m tests.importers.og_fixture`` writes it.

Four users (bob in two teams), two teams, a London schedule with two stacked rotations (a
weekly one with an empty slot, a daily one restricted to weekday evenings) and a Sydney
schedule restricted to a time of day; overrides; escalations whose delays count from the
alert's creation (one out of order, one with if-not-closed); integrations and heartbeats.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1] / "samples" / "importers" / "opsgenie"


def _user(uid: str, email: str, name: str, zone: str, role: str = "User") -> dict[str, Any]:
    return {
        "id": uid,
        "username": email,
        "fullName": name,
        "timeZone": zone,
        "role": {"id": role, "name": role},
        "blocked": False,
        "verified": True,
    }


USERS = [
    _user("u-ann", "ann@example.org", "Ann Lee", "Europe/London", "Admin"),
    _user("u-bob", "bob@example.org", "Bob Stone", "Europe/London"),
    _user("u-cat", "cat@example.org", "Cat Nguyen", "Australia/Sydney"),
    _user("u-dan", "dan@example.org", "Dan Ruiz", "Australia/Sydney"),
]


def _step(minutes: int, method: str, to: str) -> dict[str, Any]:
    return {
        "sendAfter": {"timeAmount": minutes, "timeUnit": "minutes"},
        "contact": {"method": method, "to": to},
        "enabled": True,
    }


RULES = {
    "u-ann": [
        {
            "id": "r1",
            "name": "New alert",
            "actionType": "create-alert",
            "order": 1,
            "enabled": True,
            "steps": [
                _step(0, "email", "ann@example.org"),
                _step(1, "sms", "+447700900001"),
                _step(5, "voice", "+447700900001"),
                _step(10, "mobile", "Ann's phone"),
            ],
        },
        {
            "id": "r2",
            "name": "On-call starts",
            "actionType": "schedule-start",
            "order": 2,
            "enabled": True,
            "steps": [],
        },
    ],
    "u-bob": [
        {
            "id": "r3",
            "name": "New alert",
            "actionType": "create-alert",
            "order": 1,
            "enabled": True,
            "steps": [
                _step(0, "email", "bob@example.org"),
                _step(3, "email", "bob.pager@example.org"),
            ],
        }
    ],
    "u-cat": [
        {
            "id": "r4",
            "name": "New alert",
            "actionType": "create-alert",
            "order": 1,
            "enabled": True,
            "steps": [_step(0, "email", "cat@example.org")],
        }
    ],
    "u-dan": [
        {
            "id": "r5",
            "name": "New alert",
            "actionType": "create-alert",
            "order": 1,
            "enabled": True,
            "steps": [_step(0, "email", "dan@example.org")],
        }
    ],
}
TEAMS = [
    {
        "id": "t-pay",
        "name": "Payments",
        "description": "",
        "members": [
            {"user": {"id": "u-ann", "username": "ann@example.org"}, "role": "admin"},
            {"user": {"id": "u-bob", "username": "bob@example.org"}, "role": "user"},
        ],
    },
    {
        "id": "t-apac",
        "name": "APAC Ops",
        "description": "",
        "members": [
            {"user": {"id": "u-bob", "username": "bob@example.org"}, "role": "user"},
            {"user": {"id": "u-cat", "username": "cat@example.org"}, "role": "admin"},
            {"user": {"id": "u-dan", "username": "dan@example.org"}, "role": "user"},
        ],
    },
]


def _p(uid: str | None) -> dict[str, Any]:
    return {"type": "none"} if uid is None else {"type": "user", "id": uid}


SCHEDULES = [
    {
        "id": "s-pay",
        "name": "Payments",
        "timezone": "Europe/London",
        "enabled": True,
        "ownerTeam": {"id": "t-pay", "name": "Payments"},
        "rotations": [
            {
                "id": "rot-week",
                "name": "Weekly",
                "startDate": "2026-01-05T09:00:00Z",
                "type": "weekly",
                "length": 1,
                "participants": [_p("u-ann"), _p("u-bob"), _p(None)],
            },
            {
                "id": "rot-eve",
                "name": "Evenings",
                "startDate": "2026-01-05T18:00:00Z",
                "type": "daily",
                "length": 1,
                "participants": [_p("u-bob"), _p("u-ann")],
                "timeRestriction": {
                    "type": "weekday-and-time-of-day",
                    "restrictions": [
                        {
                            "startDay": "monday",
                            "startHour": 18,
                            "startMin": 0,
                            "endDay": "tuesday",
                            "endHour": 8,
                            "endMin": 0,
                        },
                        {
                            "startDay": "friday",
                            "startHour": 18,
                            "startMin": 0,
                            "endDay": "monday",
                            "endHour": 8,
                            "endMin": 0,
                        },
                    ],
                },
            },
        ],
    },
    {
        "id": "s-apac",
        "name": "APAC",
        "timezone": "Australia/Sydney",
        "enabled": True,
        "ownerTeam": {"id": "t-apac", "name": "APAC Ops"},
        "rotations": [
            {
                "id": "rot-day",
                "name": "Daytime",
                "startDate": "2026-01-04T22:00:00Z",
                "type": "hourly",
                "length": 12,
                "participants": [_p("u-cat"), _p("u-dan")],
                "timeRestriction": {
                    "type": "time-of-day",
                    "restriction": {"startHour": 9, "startMin": 0, "endHour": 17, "endMin": 30},
                },
            },
            {
                "id": "rot-old",
                "name": "Old",
                "startDate": "2025-01-01T00:00:00Z",
                "endDate": "2026-01-01T00:00:00Z",
                "type": "daily",
                "length": 1,
                "participants": [_p("u-dan")],
            },
        ],
    },
]
OVERRIDES = {
    "s-pay": [
        {
            "alias": "ann-covers",
            "user": {"type": "user", "id": "u-ann"},
            "startDate": "2026-10-24T09:00:00Z",
            "endDate": "2026-10-26T09:00:00Z",
            "rotations": [{"id": "rot-week", "name": "Weekly"}],
        }
    ],
    "s-apac": [],
}
ESCALATIONS = [
    {
        "id": "e-pay",
        "name": "Payments",
        "ownerTeam": {"id": "t-pay", "name": "Payments"},
        "rules": [
            {
                "condition": "if-not-acked",
                "notifyType": "default",
                "delay": {"timeAmount": 0, "timeUnit": "minutes"},
                "recipient": {"type": "schedule", "id": "s-pay", "name": "Payments"},
            },
            {
                "condition": "if-not-acked",
                "notifyType": "default",
                "delay": {"timeAmount": 5, "timeUnit": "minutes"},
                "recipient": {"type": "user", "id": "u-ann", "username": "ann@example.org"},
            },
            {
                "condition": "if-not-acked",
                "notifyType": "default",
                "delay": {"timeAmount": 15, "timeUnit": "minutes"},
                "recipient": {"type": "team", "id": "t-apac", "name": "APAC Ops"},
            },
            {
                "condition": "if-not-acked",
                "notifyType": "default",
                "delay": {"timeAmount": 15, "timeUnit": "minutes"},
                "recipient": {"type": "user", "id": "u-bob", "username": "bob@example.org"},
            },
        ],
        "repeat": {
            "waitInterval": 10,
            "count": 2,
            "resetRecipientStates": False,
            "closeAlertAfterAll": False,
        },
    },
    {
        "id": "e-apac",
        "name": "APAC",
        "ownerTeam": {"id": "t-apac", "name": "APAC Ops"},
        "rules": [
            {
                "condition": "if-not-closed",
                "notifyType": "default",
                "delay": {"timeAmount": 30, "timeUnit": "minutes"},
                "recipient": {"type": "user", "id": "u-cat", "username": "cat@example.org"},
            },
            {
                "condition": "if-not-acked",
                "notifyType": "default",
                "delay": {"timeAmount": 2, "timeUnit": "minutes"},
                "recipient": {"type": "schedule", "id": "s-apac", "name": "APAC"},
            },
            {
                "condition": "if-not-acked",
                "notifyType": "next",
                "delay": {"timeAmount": 45, "timeUnit": "minutes"},
                "recipient": {"type": "schedule", "id": "s-apac", "name": "APAC"},
            },
        ],
    },
]
INTEGRATIONS = [
    {
        "id": "i-api",
        "name": "Checkout API",
        "type": "API",
        "enabled": True,
        "teamId": "t-pay",
        "ownerTeam": {"id": "t-pay", "name": "Payments"},
    },
    {
        "id": "i-prom",
        "name": "Prometheus",
        "type": "Prometheus",
        "enabled": True,
        "ownerTeam": {"id": "t-pay", "name": "Payments"},
    },
    {
        "id": "i-dd",
        "name": "Datadog",
        "type": "Datadog",
        "enabled": False,
        "ownerTeam": {"id": "t-apac", "name": "APAC Ops"},
    },
    {"id": "i-mail", "name": "Mail", "type": "Email", "enabled": True},
]
HEARTBEATS = [
    {
        "name": "Nightly Backup",
        "description": "backup job",
        "interval": 1,
        "intervalUnit": "days",
        "enabled": True,
        "expired": False,
        "ownerTeam": {"id": "t-pay", "name": "Payments"},
    },
    {
        "name": "apac-cron",
        "interval": 15,
        "intervalUnit": "minutes",
        "enabled": False,
        "expired": False,
        "ownerTeam": {"id": "t-apac", "name": "APAC Ops"},
    },
]

MAINTENANCE = [  # GET /v1/maintenance/{id} answers (the list leaves out the rules)
    {
        "id": "m-db",
        "status": "planned",
        "description": "Payments DB upgrade",
        "time": {
            "type": "schedule",
            "startDate": "2026-11-03T22:00:00Z",
            "endDate": "2026-11-04T01:00:00Z",
        },
        "rules": [
            {"state": "disabled", "entity": {"id": "i-prom", "type": "integration"}},
            {"state": "enabled", "entity": {"id": "i-api", "type": "integration"}},
            {"state": "disabled", "entity": {"id": "p-notify", "type": "policy"}},
        ],
    },
    {
        "id": "m-now",
        "status": "active",
        "description": "Quiet hour",
        "time": {"type": "for-1-hour"},
        "rules": [{"state": "disabled", "entity": {"id": "i-api", "type": "integration"}}],
    },
    {
        "id": "m-old",
        "status": "past",
        "description": "Old move",
        "time": {
            "type": "schedule",
            "startDate": "2026-09-01T22:00:00Z",
            "endDate": "2026-09-02T01:00:00Z",
        },
        "rules": [{"state": "disabled", "entity": {"id": "i-api", "type": "integration"}}],
    },
]


def _answer(data: Any) -> dict[str, Any]:
    return {"data": data, "took": 0.01, "requestId": "00000000-0000-0000-0000-000000000000"}


def files() -> dict[str, Any]:
    out: dict[str, Any] = {
        "users": [
            _answer(USERS[:2]) | {"paging": {"next": "https://api.opsgenie.com/v2/users?offset=2"}},
            _answer(USERS[2:]),
        ],
        "teams": _answer(TEAMS),
        "schedules": _answer(SCHEDULES),
        "escalations": _answer(ESCALATIONS),
        "integrations": _answer(INTEGRATIONS),
        "heartbeats": _answer({"heartbeats": HEARTBEATS}),
        "maintenance": _answer([{k: v for k, v in m.items() if k != "rules"} for m in MAINTENANCE]),
    }
    for window in MAINTENANCE:
        out[f"maintenance/{window['id']}"] = _answer(window)
    for uid, rules in RULES.items():
        out[f"notification_rules/{uid}"] = _answer(rules)
    for sid, rows in OVERRIDES.items():
        out[f"overrides/{sid}"] = _answer(rows)
    return out


def main() -> None:
    for name, content in files().items():
        path = ROOT / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
