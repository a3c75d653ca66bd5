"""Opsgenie: each semantic rule of the importer, and the round trip to who is on call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.oncall_store import SqlScheduleStore
from ownit.app import catalog, oncall
from ownit.cli.main import main
from ownit.domain.catalog.schedules import calculator
from ownit.domain.catalog.spec import from_spec
from ownit.domain.importers import Import, opsgenie
from ownit.domain.oncall import schedules as calc
from tests.builders import FakeClock
from tests.importers.og_fixture import ROOT, _p, files

NOW = datetime(2026, 10, 20, tzinfo=UTC)


def _convert(**changes: Any) -> Import:
    data = files()
    data.update(changes)
    answers = {k: v if isinstance(v, list) else [v] for k, v in data.items()}
    return opsgenie.convert(answers, NOW, {})


def _spec(state: Import, kind: str, name: str) -> Any:
    return state.documents[kind][name]["spec"]


def _texts(state: Import, section: str) -> list[str]:
    return [f"{e.kind} {e.name}: {e.text}" for e in state.report.of(section)]


def _escalation(*rules: tuple[int, str, str], wait: int = 0) -> dict[str, Any]:
    return {
        "data": [
            {
                "id": "e1",
                "name": "Esc",
                "ownerTeam": {"id": "t-pay"},
                "rules": [
                    {
                        "condition": "if-not-acked",
                        "notifyType": "default",
                        "delay": {"timeAmount": d, "timeUnit": "minutes"},
                        "recipient": {"type": kind, "id": rid},
                    }
                    for d, kind, rid in rules
                ],
                "repeat": {"waitInterval": wait, "count": 1},
            }
        ]
    }


def test_stacked_rotations_become_schedules_paged_together() -> None:
    state = _convert()
    assert {"payments-weekly", "payments-evenings"} <= set(state.documents["Schedule"])
    level = _spec(state, "EscalationPolicy", "payments")["levels"][0]
    assert level["targets"] == [{"schedule": "payments-evenings"}, {"schedule": "payments-weekly"}]
    assert any("rotations stack" in t for t in _texts(state, "changed"))


@pytest.mark.parametrize(
    ("rules", "wait", "afters", "reported"),
    [
        (
            [(0, "user", "u-ann"), (5, "user", "u-bob"), (15, "user", "u-cat")],
            10,
            ["5m", "10m", "10m"],
            None,
        ),
        # two rules at the same delay are one level
        (
            [(0, "user", "u-ann"), (10, "user", "u-bob"), (10, "user", "u-cat")],
            0,
            ["10m", "5m"],
            None,
        ),
        (
            [(30, "user", "u-ann"), (2, "user", "u-bob"), (45, "user", "u-cat")],
            0,
            ["28m", "15m", "5m"],
            "not in order",
        ),
        ([(10, "user", "u-ann"), (20, "user", "u-bob")], 3, ["10m", "3m"], "waits 10 min"),
    ],
)
def test_delays_from_creation_become_per_level_waits(
    rules: list[tuple[int, str, str]], wait: int, afters: list[str], reported: str | None
) -> None:
    state = _convert(escalations=_escalation(*rules, wait=wait))
    levels = _spec(state, "EscalationPolicy", "esc")["levels"]
    assert [lvl["after"] for lvl in levels] == afters
    if reported:
        assert any(reported in t for t in _texts(state, "changed"))


def test_conditions_and_notify_types_ownit_lacks_are_reported() -> None:
    state = _convert()
    assert any("if-not-closed" in t for t in _texts(state, "changed"))
    assert any("notifyType 'next'" in t for t in _texts(state, "skipped"))


def test_an_empty_turn_ownit_cannot_express_is_named_in_the_report() -> None:
    state = _convert()  # weekly turns of ann, bob, nobody: a three-week cycle
    assert _spec(state, "Schedule", "payments-weekly")["layers"][0]["users"] == ["ann", "bob"]
    assert [t for t in _texts(state, "check") if "empty turn" in t] == [
        "Schedule payments-weekly: participant 3 is an empty turn (nobody on call) every 3 "
        "turns, the current or next one from 2026-10-19T09:00:00 to 2026-10-26T09:00:00 (local); "
        "ownit has no "
        "empty turn and restriction windows repeat weekly, so it is left out and the later "
        "turns come one turn earlier: add an override or split the rotation by hand"
    ]


def _opsgenie_says(rotation: dict[str, Any], zone: str, at: datetime) -> str | None:
    """Opsgenie's rotation read independently: turn k from startDate on the wall clock."""
    tz = ZoneInfo(zone)
    start = datetime.fromisoformat(rotation["startDate"]).astimezone(tz).replace(tzinfo=None)
    unit = {"hourly": timedelta(hours=1), "daily": timedelta(days=1)}[rotation["type"]]
    k = (at.astimezone(tz).replace(tzinfo=None) - start) // (unit * rotation["length"])
    slot = rotation["participants"][k % len(rotation["participants"])]
    return None if slot["type"] == "none" else str(slot["id"]).removeprefix("u-")


@pytest.mark.parametrize(
    ("kind", "length", "people"),
    [
        ("hourly", 12, ["u-ann", None]),  # days only: nights are empty
        ("daily", 1, ["u-ann", "u-bob", None, "u-ann", "u-bob", None, None]),  # weekends empty
        ("hourly", 8, ["u-bob", None, "u-ann"]),  # a 24-hour cycle with an empty turn
        ("hourly", 6, ["u-ann", "u-bob", None, "u-bob"]),
    ],
)
def test_empty_turns_that_repeat_weekly_stay_empty(
    kind: str, length: int, people: list[str | None]
) -> None:
    rotation = {
        "id": "rot-gap",
        "name": "Gappy",
        "startDate": "2026-10-05T07:00:00Z",
        "type": kind,
        "length": length,
        "participants": [_p(u) for u in people],
    }
    schedule = {"id": "s-gap", "name": "Gap", "timezone": "Europe/London", "rotations": [rotation]}
    state = _convert(schedules={"data": [schedule]})
    spec = _spec(state, "Schedule", "gap-gappy")
    assert any("empty turns" in t for t in _texts(state, "changed"))
    ours = calculator(from_spec("Schedule", "gap-gappy", spec))  # type: ignore[arg-type]
    at = datetime(2026, 10, 19, tzinfo=UTC)
    while at < datetime(2026, 11, 9, tzinfo=UTC):  # across the 25 Oct DST change
        assert calc.on_call(ours, at) == _opsgenie_says(rotation, "Europe/London", at), at
        at += timedelta(minutes=30)


def test_both_kinds_of_time_restriction() -> None:
    state = _convert()
    evenings = _spec(state, "Schedule", "payments-evenings")["layers"][0]["restrictions"]
    assert evenings == [
        {"days": ["mon"], "from": "18:00", "to": "08:00"},
        {"days": ["fri", "sat"], "from": "18:00", "to": "18:00"},
        {"days": ["sun"], "from": "18:00", "to": "08:00"},
    ]
    daytime = _spec(state, "Schedule", "apac-daytime")["layers"][0]
    assert daytime["rotation"] == "12h"
    assert daytime["restrictions"] == [
        {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "from": "09:00", "to": "17:30"}
    ]


def test_overrides_go_to_the_rotations_they_name() -> None:
    state = _convert()
    assert [o["user"] for o in _spec(state, "Schedule", "payments-weekly")["overrides"]] == ["ann"]
    assert "overrides" not in _spec(state, "Schedule", "payments-evenings")


def test_ended_rotations_are_left_out() -> None:
    state = _convert()
    assert "apac-old" not in state.documents["Schedule"]
    assert any("rotation ended" in t for t in _texts(state, "skipped"))


def test_heartbeats_keep_their_interval() -> None:
    state = _convert()
    assert _spec(state, "Heartbeat", "nightly-backup") == {"service": "payments", "interval": "1d"}
    assert _spec(state, "Heartbeat", "apac-cron") == {"service": "apac-ops", "interval": "15m"}


def test_contacts_ownit_cannot_send_to_are_reported() -> None:
    state = _convert()
    ann = _spec(state, "User", "ann")
    assert ann["contacts"] == [{"name": "email", "type": "email", "address": "ann@example.org"}]
    assert ann["notificationRules"] == [{"contact": "email", "after": "0s"}]
    skipped = _texts(state, "skipped")
    for method in ("sms", "voice", "mobile"):
        assert any(f"{method} after" in t for t in skipped)
    bob = _spec(state, "User", "bob")
    assert [r["after"] for r in bob["notificationRules"]] == ["0s", "3m"]


def test_a_user_in_two_teams() -> None:
    state = _convert()
    assert {"user": "bob"} in _spec(state, "Team", "payments")["members"]
    assert {"user": "bob"} in _spec(state, "Team", "apac-ops")["members"]
    assert {"user": "cat", "role": "manager"} in _spec(state, "Team", "apac-ops")["members"]


def test_integrations_become_the_teams_service() -> None:
    state = _convert()
    assert _spec(state, "Service", "payments")["integrations"] == [
        {"name": "checkout-api", "type": "events-v2"},
        {"name": "prometheus", "type": "alertmanager"},
    ]
    keys = [t for t in _texts(state, "check") if "new key" in t]
    assert keys == [
        "Service apac-ops: integration `datadog` gets a new key on apply (`ownit integration "
        "list`): Opsgenie integration 'Datadog' (Datadog) senders switch to Events API v2 to "
        "`https://<ownit>/v2/enqueue` with `routing_key: <key>`",
        "Service payments: integration `checkout-api` gets a new key on apply (`ownit "
        "integration list`): Opsgenie integration 'Checkout API' (API) senders switch to "
        "Events API v2 to `https://<ownit>/v2/enqueue` with `routing_key: <key>`",
        "Service payments: integration `prometheus` gets a new key on apply (`ownit "
        "integration list`): Opsgenie integration 'Prometheus' (Prometheus) senders switch to "
        "Alertmanager `webhook_configs` to `https://<ownit>/integrations/alertmanager/<key>`",
    ]


def test_maintenance_that_disables_integrations_becomes_a_window() -> None:
    state = _convert()
    assert state.documents["MaintenanceWindow"] == {
        "payments-db-upgrade": {
            "apiVersion": "ownit/v1",
            "kind": "MaintenanceWindow",
            "metadata": {"name": "payments-db-upgrade"},
            "spec": {
                "services": ["payments"],
                "start": "2026-11-03T22:00:00+00:00",
                "end": "2026-11-04T01:00:00+00:00",
                "description": "Payments DB upgrade",
            },
        }
    }
    found = [t for t in _texts(state, "skipped") + _texts(state, "changed") if "Maintenance" in t]
    assert found == [
        "MaintenanceWindow old-move: ended at 2026-09-02T01:00:00+00:00",
        "MaintenanceWindow payments-db-upgrade: rule over policy p-notify (state disabled): "
        "ownit has no alert or notification policies",
        "MaintenanceWindow quiet-hour: Opsgenie maintenance m-now runs 'for-1-hour' from when "
        "it was made, not at set times: not imported (start one with `ownit maintenance` when "
        "needed)",
        "MaintenanceWindow payments-db-upgrade: integration i-prom disabled in Opsgenie: the "
        "window covers all of service payments (ownit's windows are per service)",
    ]


# Europe/London leaves summer time on 25 Oct 2026: the weekly handoff stays at 09:00 local.
INSTANTS = [
    ("payments-weekly", "2026-10-19T07:59:00Z", "ann"),
    ("payments-weekly", "2026-10-19T08:00:00Z", "bob"),  # 09:00 BST
    ("payments-weekly", "2026-11-02T08:59:00Z", "ann"),
    ("payments-weekly", "2026-11-02T09:00:00Z", "bob"),  # 09:00 GMT
    ("payments-weekly", "2026-10-25T12:00:00Z", "ann"),  # override
    ("payments-evenings", "2026-10-20T12:00:00Z", None),  # Tuesday noon: outside windows
    ("apac-daytime", "2026-10-20T22:30:00Z", "cat"),  # Wed 09:30 AEDT, turn 578
    ("apac-daytime", "2026-10-21T06:29:00Z", "cat"),  # 17:29 AEDT, window ends 17:30
    ("apac-daytime", "2026-10-21T06:30:00Z", None),
]


def test_round_trip_to_who_is_on_call(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OWNIT_DATABASE_URL", f"sqlite:///{tmp_path / 'absent.db'}")
    out = tmp_path / "out"
    args = ["import", "opsgenie", "--from", str(ROOT), "-o", str(out)]
    assert main([*args, "--now", "2026-10-20T00:00:00Z"]) == 0
    paths = sorted(str(p) for p in out.glob("*.yaml"))
    assert main(["catalog", "lint", *paths]) == 0
    catalog.apply(
        store=SqlCatalogStore(engine), documents=load_files(paths).documents, clock=FakeClock()
    )
    store = SqlScheduleStore(engine)
    for schedule, text, expected in INSTANTS:
        found = oncall.on_call(store=store, name=schedule, at=datetime.fromisoformat(text))
        assert [p.name for p in found.people] == ([expected] if expected else []), text


def test_users_the_catalog_has_are_matched_by_email() -> None:
    data = {k: v if isinstance(v, list) else [v] for k, v in files().items()}
    state = opsgenie.convert(data, NOW, {"bob@example.org": "robert"})
    assert "bob" not in state.documents["User"]
    assert {"user": "robert"} in _spec(state, "Team", "payments")["members"]
    weekly = _spec(state, "Schedule", "payments-weekly")["layers"][0]["users"]
    assert weekly == ["ann", "robert"]
