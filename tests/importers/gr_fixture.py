"""The Grafana OnCall fixture (tests/samples/importers/grafana-oncall), written from the
public API v1 shapes: ``python -m tests.importers.gr_fixture`` writes it.

Two teams (Payments, Data Platform: bea in both, dev in none); four users; a Berlin web
schedule of a weekly rolling shift (one turn shared by two people),
a weekday business-hours shift on a higher level, an override and a single event; an iCal
schedule; an escalation chain with waits, a schedule step, a person step, a step ownit
lacks and repeat, and the data team's chain; an Alertmanager integration with a default and a
regex route (payments), a Grafana alerting integration (data) and a webhook in no team.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1] / "samples" / "importers" / "grafana-oncall"


def _page(rows: list[Any], next_url: str | None = None) -> dict[str, Any]:
    return {"count": len(rows), "next": next_url, "previous": None, "results": rows}


USERS = [
    {
        "id": "UALEX",
        "email": "alex@example.net",
        "username": "alex",
        "role": "admin",
        "timezone": "Europe/Berlin",
        "teams": ["TPAY"],
    },
    {
        "id": "UBEA",
        "email": "bea@example.net",
        "username": "bea",
        "role": "user",
        "teams": ["TPAY", "TDATA"],
    },
    {
        "id": "UCHO",
        "email": "cho@example.net",
        "username": "cho",
        "role": "user",
        "teams": ["TDATA"],
    },
    {"id": "UDEV", "email": "dev@example.net", "username": "dev", "role": "observer", "teams": []},
]
TEAMS = [  # GET /api/v1/teams/
    {"id": "TPAY", "grafana_id": 11, "name": "Payments", "email": "", "avatar_url": "/a/1"},
    {"id": "TDATA", "grafana_id": 12, "name": "Data Platform", "email": "", "avatar_url": "/a/2"},
]
SHIFTS = [
    {
        "id": "OWEEK",
        "name": "Weekly",
        "type": "rolling_users",
        "team_id": None,
        "time_zone": None,
        "level": 0,
        "start": "2026-01-05T09:00:00",
        "duration": 604800,
        "frequency": "weekly",
        "interval": 1,
        "week_start": "MO",
        "by_day": None,
        "rolling_users": [["UALEX"], ["UBEA"], ["UCHO", "UDEV"]],
        "until": None,
    },
    {
        "id": "OBIZ",
        "name": "Business hours",
        "type": "rolling_users",
        "team_id": None,
        "time_zone": None,
        "level": 1,
        "start": "2026-01-05T09:00:00",
        "duration": 28800,
        "frequency": "weekly",
        "interval": 1,
        "week_start": "MO",
        "by_day": ["MO", "TU", "WE", "TH", "FR"],
        "rolling_users": [["UDEV"], ["UBEA"]],
        "until": None,
    },
    {
        "id": "OOVR",
        "name": "Cover",
        "type": "override",
        "level": 99,
        "start": "2026-10-28T12:00:00",
        "duration": 7200,
        "users": ["UCHO"],
        "time_zone": None,
    },
    {
        "id": "OONE",
        "name": "Launch",
        "type": "single_event",
        "level": 2,
        "start": "2026-11-03T20:00:00",
        "duration": 3600,
        "users": ["UALEX"],
        "time_zone": None,
    },
]
SCHEDULES = [
    {
        "id": "SPRIM",
        "name": "Primary",
        "type": "web",
        "time_zone": "Europe/Berlin",
        "team_id": "TPAY",
        "shifts": ["OWEEK", "OBIZ", "OOVR", "OONE"],
    },
    {
        "id": "SICAL",
        "name": "Legacy calendar",
        "type": "ical",
        "time_zone": "UTC",
        "team_id": "TDATA",
        "ical_url_primary": "https://calendar.example.net/oncall.ics",
        "shifts": [],
    },
]
CHAINS = [
    {"id": "FPRIM", "name": "Primary", "team_id": "TPAY"},
    {"id": "FDATA", "name": "Data", "team_id": "TDATA"},
]
STEPS = [
    {
        "id": "E1",
        "escalation_chain_id": "FPRIM",
        "position": 0,
        "type": "notify_on_call_from_schedule",
        "notify_on_call_from_schedule": "SPRIM",
    },
    {"id": "E2", "escalation_chain_id": "FPRIM", "position": 1, "type": "wait", "duration": 300},
    {
        "id": "E3",
        "escalation_chain_id": "FPRIM",
        "position": 2,
        "type": "notify_persons",
        "persons_to_notify": ["UALEX"],
    },
    {"id": "E4", "escalation_chain_id": "FPRIM", "position": 3, "type": "notify_team_members"},
    {"id": "E5", "escalation_chain_id": "FPRIM", "position": 4, "type": "wait", "duration": 900},
    {"id": "E6", "escalation_chain_id": "FPRIM", "position": 5, "type": "repeat_escalation"},
    {
        "id": "E7",
        "escalation_chain_id": "FDATA",
        "position": 0,
        "type": "notify_persons",
        "persons_to_notify": ["UCHO", "UBEA"],
    },
]
INTEGRATIONS = [
    {
        "id": "CALRT",
        "name": "Prod Alertmanager",
        "type": "alertmanager",
        "team_id": "TPAY",
        "link": "https://oncall.example.net/integrations/v1/alertmanager/abcdEFGH1234/",
        "default_route": {"id": "RDEF", "escalation_chain_id": "FPRIM"},
    },
    {
        "id": "CDATA",
        "name": "Warehouse alerts",
        "type": "grafana_alerting",
        "team_id": "TDATA",
        "link": "https://oncall.example.net/integrations/v1/grafana_alerting/wxyzWXYZ5678/",
        "default_route": {"id": "RDATA", "escalation_chain_id": "FDATA"},
    },
    {
        "id": "CWEB",
        "name": "Legacy webhook",
        "type": "webhook",
        "team_id": None,
        "link": "https://oncall.example.net/integrations/v1/webhook/qrstQRST9012/",
        "default_route": {"id": "RWEB", "escalation_chain_id": "FPRIM"},
    },
]
ROUTES = [
    {
        "id": "RDEF",
        "integration_id": "CALRT",
        "escalation_chain_id": "FPRIM",
        "routing_regex": None,
        "position": 1,
        "is_the_last_route": True,
    },
    {
        "id": "RDB",
        "integration_id": "CALRT",
        "escalation_chain_id": "FPRIM",
        "routing_regex": 'team="db"',
        "position": 0,
        "is_the_last_route": False,
    },
]


def files() -> dict[str, Any]:
    return {
        "users": [
            _page(USERS[:2], "https://oncall.example.net/api/v1/users/?page=2"),
            _page(USERS[2:]),
        ],
        "teams": _page(TEAMS),
        "schedules": _page(SCHEDULES),
        "on_call_shifts": _page(SHIFTS),
        "escalation_chains": _page(CHAINS),
        "escalation_policies": _page(STEPS),
        "integrations": _page(INTEGRATIONS),
        "routes": _page(ROUTES),
    }


def main() -> None:
    for name, content in files().items():
        path = ROOT / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
