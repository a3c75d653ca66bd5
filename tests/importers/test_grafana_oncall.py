"""Grafana OnCall: the importer's rules, and the round trip to who is on call."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.oncall_store import SqlScheduleStore
from ownit.app import catalog, oncall
from ownit.cli.main import main
from ownit.domain.importers import Import, grafana_oncall
from tests.builders import FakeClock
from tests.importers.gr_fixture import ROOT, files

NOW = datetime(2026, 10, 20, tzinfo=UTC)


def _convert(**changes: Any) -> Import:
    data = files()
    data.update(changes)
    return grafana_oncall.convert(
        {k: [v] if isinstance(v, dict) else v for k, v in data.items()}, NOW, {}
    )


def _spec(state: Import, kind: str, name: str) -> Any:
    return state.documents[kind][name]["spec"]


def _texts(state: Import, section: str) -> list[str]:
    return [f"{e.kind} {e.name}: {e.text}" for e in state.report.of(section)]


def _chain(*steps: dict[str, Any]) -> dict[str, Any]:
    return {
        "results": [
            {"id": f"E{i}", "escalation_chain_id": "FPRIM", "position": i} | s
            for i, s in enumerate(steps)
        ]
    }


PERSON = {"type": "notify_persons", "persons_to_notify": ["UALEX"]}
SCHED = {"type": "notify_on_call_from_schedule", "notify_on_call_from_schedule": "SPRIM"}


@pytest.mark.parametrize(
    ("steps", "levels", "repeat"),
    [
        ((SCHED, {"type": "wait", "duration": 300}, PERSON), [("5m", 1), ("5m", 1)], None),
        ((SCHED, PERSON, {"type": "wait", "duration": 600}), [("10m", 2)], None),
        (
            (
                SCHED,
                {"type": "wait", "duration": 120},
                {"type": "wait", "duration": 60},
                PERSON,
                {"type": "repeat_escalation"},
            ),
            [("3m", 1), ("5m", 1)],
            5,
        ),
    ],
)
def test_chain_steps_become_levels(
    steps: tuple[dict[str, Any], ...], levels: list[tuple[str, int]], repeat: int | None
) -> None:
    state = _convert(escalation_policies=_chain(*steps))
    spec = _spec(state, "EscalationPolicy", "primary")
    assert [(lv["after"], len(lv["targets"])) for lv in spec["levels"]] == levels
    assert spec.get("repeat") == repeat


def test_a_wait_before_the_first_step_and_unknown_steps_are_reported() -> None:
    state = _convert(
        escalation_policies=_chain(
            {"type": "wait", "duration": 60}, PERSON, {"type": "trigger_webhook"}
        )
    )
    assert any("before the first notification" in t for t in _texts(state, "changed"))
    assert any("'trigger_webhook'" in t for t in _texts(state, "skipped"))


def test_levels_order_layers_and_shared_turns_are_reported() -> None:
    state = _convert()
    layers = _spec(state, "Schedule", "primary")["layers"]
    assert [lay["name"] for lay in layers] == ["Weekly", "Business hours"]  # level 0, then 1
    assert layers[0]["users"] == ["alex", "bea", "cho"]
    assert layers[1]["restrictions"] == [
        {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}
    ]
    assert any("2 people share a turn" in t for t in _texts(state, "changed"))


def test_ical_schedules_are_reported_with_their_url() -> None:
    state = _convert()
    assert "legacy-calendar" not in state.documents["Schedule"]
    assert any("https://calendar.example.net/oncall.ics" in t for t in _texts(state, "skipped"))


def test_integrations_keep_their_chain_and_report_other_routes() -> None:
    state = _convert()
    assert _spec(state, "Service", "prod-alertmanager") == {
        "owner": "payments",
        "escalationPolicy": "primary",
        "integrations": [{"name": "alertmanager", "type": "alertmanager"}],
    }
    assert any("route 'team=\"db\"'" in t for t in _texts(state, "skipped"))
    assert [t for t in _texts(state, "check") if "new key" in t] == [
        "Service legacy-webhook: integration `webhook` gets a new key on apply (`ownit "
        "integration list`): Grafana OnCall integration 'Legacy webhook' (webhook) senders "
        "switch to Events API v2 to `https://<ownit>/v2/enqueue` with `routing_key: <key>`",
        "Service prod-alertmanager: integration `alertmanager` gets a new key on apply (`ownit "
        "integration list`): Grafana OnCall integration 'Prod Alertmanager' (alertmanager) "
        "senders switch to Alertmanager `webhook_configs` to "
        "`https://<ownit>/integrations/alertmanager/<key>`",
        "Service warehouse-alerts: integration `grafana-alerting` gets a new key on apply "
        "(`ownit integration list`): Grafana OnCall integration 'Warehouse alerts' "
        "(grafana_alerting) senders switch to Events API v2 to `https://<ownit>/v2/enqueue` "
        "with `routing_key: <key>`",
    ]


def _owners(state: Import) -> dict[str, dict[str, Any]]:
    kinds = {"Schedule": "team", "EscalationPolicy": "team", "Service": "owner"}
    return {
        kind: {name: _spec(state, kind, name)[key] for name in state.documents[kind]}
        for kind, key in kinds.items()
    }


@pytest.mark.parametrize(
    ("with_teams", "teams", "owners"),
    [
        (
            True,
            {
                "payments": [{"user": "alex", "role": "manager"}, {"user": "bea"}],
                "data-platform": [{"user": "bea"}, {"user": "cho"}],
                "grafana-oncall": [{"user": "dev"}],  # in no team
            },
            {
                "Schedule": {"primary": "payments"},
                "EscalationPolicy": {"primary": "payments", "data": "data-platform"},
                "Service": {
                    "prod-alertmanager": "payments",
                    "warehouse-alerts": "data-platform",
                    "legacy-webhook": "grafana-oncall",  # no team_id
                },
            },
        ),
        (  # without teams.json: one team, as before
            False,
            {
                "grafana-oncall": [
                    {"user": "alex", "role": "manager"},
                    {"user": "bea"},
                    {"user": "cho"},
                    {"user": "dev"},
                ]
            },
            {
                "Schedule": {"primary": "grafana-oncall"},
                "EscalationPolicy": {"primary": "grafana-oncall", "data": "grafana-oncall"},
                "Service": {
                    "prod-alertmanager": "grafana-oncall",
                    "warehouse-alerts": "grafana-oncall",
                    "legacy-webhook": "grafana-oncall",
                },
            },
        ),
    ],
)
def test_each_grafana_team_becomes_an_ownit_team(
    with_teams: bool, teams: dict[str, Any], owners: dict[str, Any]
) -> None:
    data = {k: [v] if isinstance(v, dict) else v for k, v in files().items()}
    if not with_teams:
        del data["teams"]
    state = grafana_oncall.convert(data, NOW, {})
    assert {n: _spec(state, "Team", n)["members"] for n in state.documents["Team"]} == teams
    assert _owners(state) == owners


# Europe/Berlin leaves summer time on 25 Oct 2026: handoffs stay at 09:00 local.
INSTANTS = [
    ("2026-10-19T06:59:00Z", "bea"),  # Monday 08:59 CEST, week 40: bea's turn
    ("2026-10-19T07:00:00Z", "bea"),  # 09:00 CEST: business hours (higher level), week 41
    ("2026-10-19T15:00:00Z", "cho"),  # 17:00 CEST: weekly layer, week 41
    ("2026-10-26T07:59:00Z", "cho"),  # Monday 08:59 CET, still week 41
    ("2026-10-26T08:00:00Z", "dev"),  # 09:00 CET: business hours, week 42
    ("2026-10-28T11:30:00Z", "cho"),  # override 12:00-14:00 CET
    ("2026-11-03T19:30:00Z", "alex"),  # single event 20:00-21:00 CET
]


def test_round_trip_to_who_is_on_call(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OWNIT_DATABASE_URL", f"sqlite:///{tmp_path / 'absent.db'}")
    out = tmp_path / "out"
    args = ["import", "grafana-oncall", "--from", str(ROOT), "-o", str(out)]
    assert main([*args, "--now", "2026-10-20T00:00:00Z"]) == 0
    paths = sorted(str(p) for p in out.glob("*.yaml"))
    assert main(["catalog", "lint", *paths]) == 0
    catalog.apply(
        store=SqlCatalogStore(engine), documents=load_files(paths).documents, clock=FakeClock()
    )
    store = SqlScheduleStore(engine)
    for text, expected in INSTANTS:
        found = oncall.on_call(store=store, name="primary", at=datetime.fromisoformat(text))
        assert [p.name for p in found.people] == [expected], text


@pytest.mark.parametrize(
    ("change", "rotation", "reported"),
    [
        ({"frequency": "daily", "interval": 2, "duration": 172800}, "2d", None),
        ({"frequency": "hourly", "interval": 12, "duration": 43200}, "12h", None),
        ({"frequency": "monthly"}, None, "frequency 'monthly'"),
        ({"until": "2026-09-01T00:00:00"}, None, "ended at"),
    ],
)
def test_shift_frequency_and_interval(
    change: dict[str, Any], rotation: str | None, reported: str | None
) -> None:
    shifts = [s | change if s["id"] == "OWEEK" else s for s in files()["on_call_shifts"]["results"]]
    state = _convert(on_call_shifts={"results": shifts})
    layers = {lay["name"]: lay for lay in _spec(state, "Schedule", "primary")["layers"]}
    assert (layers["Weekly"]["rotation"] if "Weekly" in layers else None) == rotation
    if reported:
        assert any(reported in t for t in _texts(state, "skipped"))


def test_users_the_catalog_has_are_matched_by_email() -> None:
    data = {k: [v] if isinstance(v, dict) else v for k, v in files().items()}
    state = grafana_oncall.convert(data, NOW, {"alex@example.net": "alexandra"})
    assert "alex" not in state.documents["User"]
    assert _spec(state, "Schedule", "primary")["layers"][0]["users"][0] == "alexandra"
    assert {"user": "alexandra", "role": "manager"} in _spec(state, "Team", "payments")["members"]
