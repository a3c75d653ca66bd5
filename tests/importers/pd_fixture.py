"""The PagerDuty fixture (tests/samples/importers/pagerduty), written from the REST API v2
shapes: ``python -m tests.importers.pd_fixture`` writes it; the final schedules it carries
are computed by :mod:`tests.importers.pd_reference` from PagerDuty's documented rules.

A payments company: five users (bob in two teams; alice with phone, SMS and push methods),
two teams, a New York schedule of three live layers (weekly, daily with a daily restriction,
two-day weekend turns with a weekly restriction), an ended layer and overrides; a Berlin
schedule of 12-hour turns with a 4.5-day weekly restriction (DST change on 2026-10-25);
three policies (loops, round robin, no team); three services (two Events v2 keys on one,
support hours, time grouping, an Events v1 key, no team), dependencies and maintenance.

Schedules come twice, as PagerDuty answers them: ``schedules.json`` is the list (no final
schedule), ``schedules/<id>.json`` the ``GET /schedules/{id}`` answer with ``since``/``until``
and the schedule's own ``time_zone``, whose ``final_schedule`` is a SubSchedule (``name``,
``rendered_schedule_entries`` with full user references, ``rendered_coverage_percentage``).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.importers.pd_reference import final_entries

ROOT = Path(__file__).resolve().parents[1] / "samples" / "importers" / "pagerduty"
NOW = datetime.fromisoformat("2026-10-20T00:00:00+00:00")
KEYS = {
    "checkout-events": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    "checkout-prometheus": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "payments-db": "5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
}


def _ref(kind: str, oid: str) -> dict[str, str]:
    return {"id": oid, "type": f"{kind}_reference"}


def _contact(cid: str, kind: str, label: str, address: str) -> dict[str, Any]:
    return {"id": cid, "type": kind, "label": label, "address": address, "summary": label}


def _rule(rid: str, delay: int, contact: str, kind: str, urgency: str) -> dict[str, Any]:
    return {
        "id": rid,
        "type": "assignment_notification_rule",
        "start_delay_in_minutes": delay,
        "contact_method": _ref(kind.removesuffix("_contact_method") + "_contact_method", contact)
        | {"type": kind},
        "urgency": urgency,
    }


def _user(
    uid: str, name: str, email: str, zone: str, role: str, contacts: list[Any], rules: list[Any]
) -> dict[str, Any]:
    return {
        "id": uid,
        "type": "user",
        "name": name,
        "email": email,
        "time_zone": zone,
        "role": role,
        "contact_methods": contacts,
        "notification_rules": rules,
        "teams": [],
    }


USERS = [
    _user(
        "PU1ALIC",
        "Alice Liddell",
        "Alice@Example.com",
        "Europe/Berlin",
        "admin",
        [
            _contact("PC1", "email_contact_method", "Default", "alice@example.com"),
            _contact("PC2", "phone_contact_method", "Mobile", "4155550101"),
            _contact("PC3", "sms_contact_method", "Mobile", "4155550101"),
            _contact("PC4", "push_notification_contact_method", "iPhone", "iPhone"),
        ],
        [
            _rule("PR1", 0, "PC1", "email_contact_method", "high"),
            _rule("PR2", 5, "PC3", "sms_contact_method", "high"),
            _rule("PR3", 0, "PC1", "email_contact_method", "low"),
        ],
    ),
    _user(
        "PU2BOB0",
        "Bob Marley",
        "bob@example.com",
        "America/New_York",
        "user",
        [_contact("PC5", "email_contact_method", "Work", "bob@example.com")],
        [_rule("PR4", 0, "PC5", "email_contact_method", "high")],
    ),
    _user(
        "PU3CARO",
        "Carol Danvers",
        "carol@example.com",
        "America/New_York",
        "limited_user",
        [_contact("PC6", "email_contact_method", "Default", "carol@example.com")],
        [_rule("PR5", 2, "PC6", "email_contact_method", "high")],
    ),
    _user(
        "PU4DAVE",
        "Dave Grohl",
        "dave@example.com",
        "Europe/Berlin",
        "user",
        [_contact("PC7", "email_contact_method", "Default", "dave@example.com")],
        [_rule("PR6", 0, "PC7", "email_contact_method", "high")],
    ),
    _user(
        "PU5ERIN",
        "Erin Brockovich",
        "erin@example.com",
        "Europe/Berlin",
        "user",
        [_contact("PC8", "email_contact_method", "Default", "erin@example.com")],
        [_rule("PR7", 0, "PC8", "email_contact_method", "high")],
    ),
]


def _layer(
    lid: str,
    name: str,
    start: str,
    phase: str,
    turn: int,
    users: list[str],
    restrictions: list[Any],
    end: str | None = None,
) -> dict[str, Any]:
    return {
        "id": lid,
        "name": name,
        "start": start,
        "end": end,
        "rotation_virtual_start": phase,
        "rotation_turn_length_seconds": turn,
        "users": [{"user": _ref("user", u)} for u in users],
        "restrictions": restrictions,
    }


NEW_YORK: dict[str, Any] = {
    "id": "PS1PAYM",
    "type": "schedule",
    "name": "Payments Primary",
    "time_zone": "America/New_York",
    "description": "Payments on call",
    "teams": [_ref("team", "PT1PAYM")],
    "schedule_layers": [  # highest layer first, as PagerDuty answers
        _layer(
            "PL3",
            "Weekend",
            "2026-01-03T00:00:00-05:00",
            "2026-01-03T00:00:00-05:00",
            172800,
            ["PU5ERIN", "PU4DAVE"],
            [
                {
                    "type": "weekly_restriction",
                    "start_day_of_week": 6,
                    "start_time_of_day": "00:00:00",
                    "duration_seconds": 172800,
                }
            ],
        ),
        _layer(
            "PL2",
            "Business hours",
            "2026-01-05T09:00:00-05:00",
            "2026-01-05T09:00:00-05:00",
            86400,
            ["PU3CARO", "PU2BOB0"],
            [
                {
                    "type": "daily_restriction",
                    "start_time_of_day": "09:00:00",
                    "duration_seconds": 28800,
                }
            ],
        ),
        _layer(
            "PL1",
            "Primary",
            "2026-01-01T00:00:00-05:00",
            "2025-12-15T09:00:00-05:00",
            604800,
            ["PU1ALIC", "PU2BOB0", "PU4DAVE"],
            [],
        ),
        _layer(
            "PL0",
            "Primary (old)",
            "2025-06-01T00:00:00-04:00",
            "2025-06-02T09:00:00-04:00",
            604800,
            ["PU1ALIC", "PU2BOB0"],
            [],
            end="2026-01-01T00:00:00-05:00",
        ),
    ],
}
BERLIN: dict[str, Any] = {
    "id": "PS2PLAT",
    "type": "schedule",
    "name": "Platform",
    "time_zone": "Europe/Berlin",
    "teams": [_ref("team", "PT2PLAT")],
    "schedule_layers": [
        _layer(
            "PL4",
            "Twelve hours",
            "2026-01-05T08:00:00+01:00",
            "2026-01-05T08:00:00+01:00",
            43200,
            ["PU4DAVE", "PU5ERIN", "PU2BOB0"],
            [
                {
                    "type": "weekly_restriction",
                    "start_day_of_week": 1,
                    "start_time_of_day": "08:00:00",
                    "duration_seconds": 388800,
                }
            ],
        ),
    ],
}
OVERRIDES: dict[str, list[dict[str, Any]]] = {
    "PS1PAYM": [
        {
            "id": "PO1",
            "start": "2026-03-01T00:00:00-05:00",
            "end": "2026-03-02T00:00:00-05:00",
            "user": _ref("user", "PU3CARO"),
        },
        {
            "id": "PO2",
            "start": "2026-10-28T12:00:00-04:00",
            "end": "2026-10-28T18:00:00-04:00",
            "user": _ref("user", "PU5ERIN"),
        },
        {
            "id": "PO3",
            "start": "2026-11-01T00:30:00-04:00",
            "end": "2026-11-01T01:30:00-05:00",
            "user": _ref("user", "PU3CARO"),
        },
    ],
    "PS2PLAT": [],
}


def _listed(schedule: dict[str, Any]) -> dict[str, Any]:
    """A schedule as ``GET /schedules?include[]=schedule_layers`` lists it: no final schedule
    (``since``/``until`` belong to ``GET /schedules/{id}``)."""
    sid = schedule["id"]
    return schedule | {
        "type": "schedule",
        "summary": schedule["name"],
        "self": f"https://api.pagerduty.com/schedules/{sid}",
        "html_url": f"https://acme.pagerduty.com/schedules/{sid}",
    }


def _user_ref(uid: str) -> dict[str, str]:
    """A ``user_reference`` as PagerDuty renders it in schedule entries."""
    name = next(u["name"] for u in USERS if u["id"] == uid)
    return {
        "id": uid,
        "type": "user_reference",
        "summary": name,
        "self": f"https://api.pagerduty.com/users/{uid}",
        "html_url": f"https://acme.pagerduty.com/users/{uid}",
    }


def _detail(schedule: dict[str, Any]) -> dict[str, Any]:
    """``GET /schedules/{id}?time_zone=<its own>&since=NOW&until=NOW+28d``: the schedule with
    ``final_schedule`` (a SubSchedule: ``name``, ``rendered_schedule_entries`` of
    ``{start, end, user}``, ``rendered_coverage_percentage``) in the schedule's zone."""
    until = NOW + timedelta(days=28)
    entries = final_entries(schedule, OVERRIDES[schedule["id"]], NOW, until)
    for entry in entries:
        entry["user"] = _user_ref(entry["user"]["id"])
    covered = sum(
        (datetime.fromisoformat(e["end"]) - datetime.fromisoformat(e["start"])).total_seconds()
        for e in entries
    )
    final = {
        "name": "Final Schedule",
        "rendered_schedule_entries": entries,
        "rendered_coverage_percentage": round(100 * covered / (until - NOW).total_seconds(), 2),
    }
    return {"schedule": _listed(schedule) | {"final_schedule": final}}


def _policy(pid: str, name: str, teams: list[str], loops: int, rules: list[Any]) -> Any:
    return {
        "id": pid,
        "type": "escalation_policy",
        "name": name,
        "num_loops": loops,
        "teams": [_ref("team", t) for t in teams],
        "escalation_rules": rules,
    }


def _esc(rid: str, delay: int, targets: list[tuple[str, str]], robin: bool = False) -> Any:
    rule: dict[str, Any] = {
        "id": rid,
        "escalation_delay_in_minutes": delay,
        "targets": [_ref(kind, tid) for kind, tid in targets],
    }
    if robin:
        rule["escalation_rule_assignment_strategy"] = {"type": "round_robin"}
    return rule


POLICIES = [
    _policy(
        "PE1PAYM",
        "Payments",
        ["PT1PAYM"],
        2,
        [
            _esc("PER1", 10, [("schedule", "PS1PAYM")]),
            _esc("PER2", 15, [("user", "PU1ALIC"), ("schedule", "PS2PLAT")], robin=True),
        ],
    ),
    _policy("PE2PLAT", "Platform", ["PT2PLAT"], 0, [_esc("PER3", 30, [("schedule", "PS2PLAT")])]),
    _policy("PE3EDGE", "Edge (no team)", [], 1, [_esc("PER4", 5, [("user", "PU4DAVE")])]),
]


def _integration(iid: str, name: str, kind: str, key: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": iid, "type": kind, "name": name, "summary": name}
    if key is not None:
        out["integration_key"] = key
    return out


SERVICES = [
    {
        "id": "PSV1CHK",
        "type": "service",
        "name": "Checkout API",
        "description": "Takes customer payments at checkout.",
        "status": "active",
        "teams": [_ref("team", "PT1PAYM")],
        "escalation_policy": _ref("escalation_policy", "PE1PAYM"),
        "acknowledgement_timeout": 1800,
        "auto_resolve_timeout": 14400,
        "incident_urgency_rule": {"type": "constant", "urgency": "high"},
        "alert_grouping_parameters": {
            "type": "content_based",
            "config": {
                "aggregate": "all",
                "fields": ["source", "custom_details.cluster"],
                "time_window": 600,
            },
        },
        "integrations": [
            _integration(
                "PI1", "Events", "events_api_v2_inbound_integration", KEYS["checkout-events"]
            ),
            _integration(
                "PI2",
                "Prometheus",
                "events_api_v2_inbound_integration",
                KEYS["checkout-prometheus"],
            ),
            _integration("PI3", "Email", "email_inbound_integration", None),
        ],
    },
    {
        "id": "PSV2PDB",
        "type": "service",
        "name": "Payments DB",
        "status": "active",
        "description": "",
        "teams": [_ref("team", "PT1PAYM")],
        "escalation_policy": _ref("escalation_policy", "PE1PAYM"),
        "acknowledgement_timeout": None,
        "auto_resolve_timeout": None,
        "incident_urgency_rule": {
            "type": "use_support_hours",
            "during_support_hours": {"type": "constant", "urgency": "high"},
            "outside_support_hours": {"type": "constant", "urgency": "low"},
        },
        "alert_grouping_parameters": {"type": "time", "config": {"timeout": 5}},
        "integrations": [
            _integration("PI4", "Datadog", "events_api_v2_inbound_integration", KEYS["payments-db"])
        ],
    },
    {
        "id": "PSV3EDG",
        "type": "service",
        "name": "Edge Proxy",
        "status": "disabled",
        "teams": [],
        "escalation_policy": _ref("escalation_policy", "PE3EDGE"),
        "acknowledgement_timeout": 600,
        "auto_resolve_timeout": 0,
        "incident_urgency_rule": {"type": "constant", "urgency": "severity_based"},
        "alert_grouping_parameters": {"type": None, "config": None},
        "integrations": [
            _integration(
                "PI5",
                "Nagios",
                "generic_events_api_inbound_integration",
                "99887766554433221100aabbccddeeff",
            )
        ],
    },
]
DEPENDENCIES = [
    {
        "id": "D1",
        "type": "service_dependency",
        "supporting_service": _ref("technical_service", "PSV2PDB") | {"type": "technical_service"},
        "dependent_service": {"id": "PSV1CHK", "type": "technical_service"},
    },
    {
        "id": "D2",
        "type": "service_dependency",
        "supporting_service": {"id": "PSV1CHK", "type": "technical_service"},
        "dependent_service": {"id": "PBS1SHOP", "type": "business_service"},
    },
]
WINDOWS = [
    {
        "id": "PMW1",
        "type": "maintenance_window",
        "description": "DB minor upgrade",
        "start_time": "2026-11-10T02:00:00-05:00",
        "end_time": "2026-11-10T04:00:00-05:00",
        "services": [_ref("service", "PSV2PDB")],
    },
    {
        "id": "PMW2",
        "type": "maintenance_window",
        "description": "Old window",
        "start_time": "2026-09-01T02:00:00-04:00",
        "end_time": "2026-09-01T03:00:00-04:00",
        "services": [_ref("service", "PSV1CHK")],
    },
]
TEAMS = [
    {"id": "PT1PAYM", "type": "team", "name": "Payments", "description": "Money in"},
    {"id": "PT2PLAT", "type": "team", "name": "Platform", "description": "Runs everything"},
]
MEMBERS = {
    "PT1PAYM": [("PU1ALIC", "manager"), ("PU2BOB0", "responder"), ("PU3CARO", "observer")],
    "PT2PLAT": [("PU2BOB0", "manager"), ("PU4DAVE", "responder"), ("PU5ERIN", "responder")],
}


def _page(key: str, rows: list[Any], offset: int = 0, more: bool = False) -> dict[str, Any]:
    return {key: rows, "limit": 25, "offset": offset, "more": more, "total": None}


def files() -> dict[str, Any]:
    """Saved-answer file (without .json) → its content."""
    out: dict[str, Any] = {
        # two pages, concatenated: a JSON array of answers
        "users": [_page("users", USERS[:3], 0, True), _page("users", USERS[3:], 3)],
        "teams": _page("teams", TEAMS),
        "schedules": _page("schedules", [_listed(s) for s in (NEW_YORK, BERLIN)]),
        "escalation_policies": _page("escalation_policies", POLICIES),
        "services": _page("services", SERVICES),
        "service_dependencies": {"relationships": DEPENDENCIES},
        "maintenance_windows": _page("maintenance_windows", WINDOWS),
    }
    for team, members in MEMBERS.items():
        out[f"team_members/{team}"] = _page(
            "members", [{"user": _ref("user", u), "role": r} for u, r in members]
        )
    for schedule in (NEW_YORK, BERLIN):
        out[f"schedules/{schedule['id']}"] = _detail(schedule)
    for sid, rows in OVERRIDES.items():
        out[f"overrides/{sid}"] = {"overrides": rows}
    return out


def main() -> None:
    for name, content in files().items():
        path = ROOT / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
