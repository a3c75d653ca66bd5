"""Content-based grouping, multi-alert incidents, merge and split: through the HTTP API and
the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from ownit.adapters.db import tables as t
from ownit.cli.main import main
from tests.builders import T0
from tests.integration.conftest import AM_KEY, LOW_KEY, PAY_KEY, Ctx

POLICY = {"repeat": 0, "levels": [{"after": "5m", "targets": [{"user": "alice"}]}]}


def configure(engine: Engine, service: str = "checkout-api", **spec: Any) -> None:
    """Give ``service`` these spec fields (as the catalog stores them) and a policy."""
    with engine.begin() as conn:
        policy_id = conn.execute(
            select(t.escalation_policies.c.id).where(t.escalation_policies.c.name == service)
        ).scalar()
        if policy_id is None:
            policy_id = conn.execute(
                t.escalation_policies.insert().values(
                    name=service, spec=POLICY, created_at=T0, updated_at=T0
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        conn.execute(
            update(t.services)
            .where(t.services.c.name == service)
            .values(spec={"urgency": "severity", **spec}, escalation_policy_id=policy_id)
        )


def trigger(dedup: str, key: str = PAY_KEY, **labels: str) -> dict[str, Any]:
    return {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup,
        "payload": {
            "summary": f"problem {dedup}",
            "source": "host",
            "severity": "critical",
            "custom_details": labels,
        },
    }


def event(ctx: Ctx, body: dict[str, Any]) -> None:
    assert ctx.client.post("/v2/enqueue", json=body).status_code == 202


def act(ctx: Ctx, name: str, dedup: str) -> None:
    event(ctx, {"routing_key": PAY_KEY, "event_action": name, "dedup_key": dedup})


def incidents(ctx: Ctx) -> list[dict[str, Any]]:
    found = ctx.client.get("/api/v1/incidents", headers=ctx.viewer).json()["incidents"]
    return sorted(found, key=lambda i: i["number"])


def incident(ctx: Ctx, ref: str | int) -> dict[str, Any]:
    response = ctx.client.get(f"/api/v1/incidents/{ref}", headers=ctx.viewer)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()["incident"]
    found["alerts"].sort(key=lambda a: a["dedup_key"])  # alerts of one instant: any order
    return found


def kinds(ctx: Ctx, ref: str | int) -> list[str]:
    timeline = ctx.client.get(f"/api/v1/incidents/{ref}/timeline", headers=ctx.viewer).json()
    return [e["kind"] for e in timeline["timeline"]]


def timers(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return {r.incident_id: r for r in conn.execute(select(t.escalations))}


GROUPING = {"by": ["alertname", "cluster"], "window": "10m"}
COMPONENTS = [{"name": "refunds", "match": ['module="refunds"']}]
A = {"alertname": "DiskFull", "cluster": "eu"}


@pytest.mark.parametrize(
    ("spec", "second", "wait", "resolve_first", "incident_count"),
    [
        pytest.param({"grouping": GROUPING}, A, 5, False, 1, id="same-group-joins"),
        pytest.param({"grouping": GROUPING}, A, 10, False, 1, id="at-the-window-edge"),
        pytest.param({"grouping": GROUPING}, {**A, "cluster": "us"}, 1, False, 2, id="other-value"),
        pytest.param({"grouping": GROUPING}, A, 11, False, 2, id="outside-window"),
        pytest.param({"grouping": {"by": ["alertname"]}}, A, 60 * 24, False, 1, id="no-window"),
        pytest.param({"grouping": GROUPING}, A, 1, True, 2, id="resolved-incident"),
        pytest.param(
            {"grouping": GROUPING, "components": COMPONENTS},
            {**A, "module": "refunds"},
            1,
            False,
            2,
            id="other-component",
        ),
        pytest.param({}, A, 1, False, 2, id="ungrouped"),
    ],
)
def test_grouping(
    ctx: Ctx,
    spec: dict[str, Any],
    second: dict[str, str],
    wait: int,
    resolve_first: bool,
    incident_count: int,
) -> None:
    configure(ctx.engine, **spec)
    event(ctx, trigger("first", **A))
    if resolve_first:
        act(ctx, "resolve", "first")
    ctx.clock.advance(minutes=wait)
    event(ctx, trigger("second", **second))
    found = incidents(ctx)
    assert len(found) == incident_count
    if incident_count == 1:
        [inc] = found
        assert inc["alert_count"] == 2
        assert inc["status"] == "triggered"
        assert [a["dedup_key"] for a in incident(ctx, 1)["alerts"]] == ["first", "second"]
        assert kinds(ctx, 1) == ["triggered", "grouped"]
        assert len(timers(ctx.engine)) == 1  # nobody is paged again
    else:
        assert [i["alert_count"] for i in found] == [1, 1]
        assert len(timers(ctx.engine)) == 2
    grouped = "grouping" in spec
    assert (found[0]["group_key"] is not None) is grouped
    if grouped and spec["grouping"]["by"] == GROUPING["by"]:
        assert found[0]["group_key"] == '["DiskFull","eu"]'


def test_a_missing_label_is_an_empty_value(ctx: Ctx) -> None:
    configure(ctx.engine, grouping=GROUPING)
    event(ctx, trigger("a", alertname="DiskFull"))
    event(ctx, trigger("b", alertname="DiskFull"))
    event(ctx, trigger("c", alertname="DiskFull", cluster="eu"))
    assert [i["alert_count"] for i in incidents(ctx)] == [2, 1]
    assert incidents(ctx)[0]["group_key"] == '["DiskFull",""]'


def test_alerts_of_one_group_in_one_batch_share_one_incident(ctx: Ctx) -> None:
    configure(ctx.engine, grouping={"by": ["alertname"]})
    alerts = [
        {"status": "firing", "labels": {"alertname": name, "instance": f"host-{i}"}}
        for i, name in enumerate(["DiskFull", "DiskFull", "CpuHot", "DiskFull"])
    ]
    body = {"version": "4", "status": "firing", "alerts": alerts}
    response = ctx.client.post(f"/integrations/alertmanager/{AM_KEY}", json=body)
    assert response.status_code in (200, 202), response.text
    assert sorted(i["alert_count"] for i in incidents(ctx)) == [1, 3]
    assert len(timers(ctx.engine)) == 2


def test_ungrouped_services_still_open_one_incident_per_alert(ctx: Ctx) -> None:
    configure(ctx.engine, service="checkout-api", grouping=GROUPING)
    for dedup in ("x", "y"):
        event(ctx, trigger(dedup, key=LOW_KEY, **A))  # batch-jobs has no grouping
    low = [i for i in incidents(ctx) if i["service"] == "batch-jobs"]
    assert [(i["alert_count"], i["group_key"]) for i in low] == [(1, None), (1, None)]


def test_a_multi_alert_incident_resolves_with_its_last_alert(ctx: Ctx) -> None:
    configure(ctx.engine, grouping=GROUPING)
    event(ctx, trigger("a", **A))
    event(ctx, trigger("b", **A))
    ctx.clock.advance(minutes=1)
    act(ctx, "resolve", "a")
    inc = incident(ctx, 1)
    assert inc["status"] == "triggered"
    assert [a["status"] for a in inc["alerts"]] == ["resolved", "triggered"]
    act(ctx, "acknowledge", "b")
    assert incident(ctx, 1)["status"] == "acknowledged"  # an ack on any alert acks it all
    act(ctx, "resolve", "b")
    assert incident(ctx, 1)["status"] == "resolved"
    assert kinds(ctx, 1) == ["triggered", "grouped", "alert resolved", "acknowledged", "resolved"]
    timeline = ctx.client.get("/api/v1/incidents/1/timeline", headers=ctx.viewer).json()
    assert timeline["timeline"][2]["message"] == "alert a resolved by event"
    # The group's next alert opens a new incident.
    event(ctx, trigger("c", **A))
    assert [i["status"] for i in incidents(ctx)] == ["resolved", "triggered"]


def test_an_alert_that_joins_and_resolves_in_one_batch_keeps_the_incident_open(ctx: Ctx) -> None:
    configure(ctx.engine, grouping=GROUPING)
    event(ctx, trigger("a", **A))
    alert = {"status": "firing", "labels": {**A, "instance": "h"}}
    resolved = {**alert, "status": "resolved"}
    for body in ({"alerts": [alert]}, {"alerts": [resolved]}):
        response = ctx.client.post(
            f"/integrations/alertmanager/{AM_KEY}", json={"version": "4", **body}
        )
        assert response.status_code in (200, 202), response.text
    inc = incident(ctx, 1)
    assert (inc["status"], inc["alert_count"]) == ("triggered", 2)
    act(ctx, "resolve", "a")
    assert incident(ctx, 1)["status"] == "resolved"


def test_a_manual_resolve_resolves_every_alert(ctx: Ctx) -> None:
    configure(ctx.engine, grouping=GROUPING)
    event(ctx, trigger("a", **A))
    event(ctx, trigger("b", **A))
    response = ctx.client.post("/api/v1/incidents/1/resolve", headers=ctx.responder)
    assert response.status_code == 200
    assert [a["status"] for a in incident(ctx, 1)["alerts"]] == ["resolved", "resolved"]


# --- merge -----------------------------------------------------------------------------------


def merge(ctx: Ctx, ref: str | int, refs: list[Any], role: str = "responder") -> Any:
    headers = ctx.responder if role == "responder" else ctx.viewer
    return ctx.client.post(
        f"/api/v1/incidents/{ref}/merge", json={"incidents": refs}, headers=headers
    )


def test_merge_moves_alerts_and_resolves_the_sources(ctx: Ctx) -> None:
    configure(ctx.engine)
    for dedup in ("a", "b", "c"):
        event(ctx, trigger(dedup))
    ctx.clock.advance(minutes=2)
    third = incident(ctx, 3)["id"]
    response = merge(ctx, 1, ["2", third])
    assert response.status_code == 200, response.text
    target = response.json()["incident"]
    assert (target["number"], target["status"], target["alert_count"]) == (1, "triggered", 3)
    assert sorted(a["dedup_key"] for a in target["alerts"]) == ["a", "b", "c"]
    for number in (2, 3):
        source = incident(ctx, number)
        assert (source["status"], source["alert_count"], source["alerts"]) == ("resolved", 0, [])
        assert kinds(ctx, number)[-1] == "merged"
        assert (
            "merged into #1"
            in ctx.client.get(f"/api/v1/incidents/{number}/timeline", headers=ctx.viewer).json()[
                "timeline"
            ][-1]["message"]
        )
    assert kinds(ctx, 1)[-2:] == ["merged", "merged"]
    # The sources' escalation is woken so the engine stops it; the target's is untouched.
    due = {i: r.due_at for i, r in timers(ctx.engine).items()}
    now = T0 + timedelta(minutes=2)
    assert due[incident(ctx, 2)["id"]] == now
    assert due[third] == now
    assert due[target["id"]] == T0
    # Events for a moved alert act on the target; it resolves with its last open alert.
    act(ctx, "resolve", "b")
    act(ctx, "resolve", "c")
    assert incident(ctx, 1)["status"] == "triggered"
    act(ctx, "resolve", "a")
    assert incident(ctx, 1)["status"] == "resolved"


def test_merging_into_an_acknowledged_incident_keeps_it_acknowledged(ctx: Ctx) -> None:
    configure(ctx.engine)
    event(ctx, trigger("a"))
    event(ctx, trigger("b"))
    assert ctx.client.post("/api/v1/incidents/1/acknowledge", headers=ctx.responder).is_success
    target = merge(ctx, 1, [2]).json()["incident"]
    assert target["status"] == "acknowledged"
    assert {a["status"] for a in target["alerts"]} == {"acknowledged"}


@pytest.mark.parametrize(
    ("ref", "refs", "status", "field", "detail"),
    [
        (1, [1], 400, "incidents", "cannot merge into itself"),
        (1, ["#1"], 400, "incidents", "cannot merge into itself"),
        (1, [99], 400, "incidents", "no incident is '99'"),
        (1, [2, "2"], 400, "incidents", "named twice"),
        (1, [], 422, "incidents", ""),
        (3, [1], 409, None, "is resolved"),
        (99, [1], 404, None, "does not exist"),
    ],
)
def test_merge_refuses_bad_input(
    ctx: Ctx, ref: int, refs: list[Any], status: int, field: str | None, detail: str
) -> None:
    for dedup in ("a", "b", "c"):
        event(ctx, trigger(dedup))
    act(ctx, "resolve", "c")
    response = merge(ctx, ref, refs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert detail in problem["detail"]
    if field is not None:
        assert problem["errors"][0]["field"] == field
    # Nothing was done.
    assert [i["alert_count"] for i in incidents(ctx)] == [1, 1, 1]


def test_viewers_may_not_merge_or_split(ctx: Ctx) -> None:
    event(ctx, trigger("a"))
    event(ctx, trigger("b"))
    assert merge(ctx, 1, [2], role="viewer").status_code == 403
    response = ctx.client.post(
        "/api/v1/incidents/1/split", json={"alerts": ["x"]}, headers=ctx.viewer
    )
    assert response.status_code == 403


# --- split -----------------------------------------------------------------------------------


def split(ctx: Ctx, ref: str | int, alerts: list[str]) -> Any:
    return ctx.client.post(
        f"/api/v1/incidents/{ref}/split", json={"alerts": alerts}, headers=ctx.responder
    )


def test_split_opens_a_new_incident_that_pages_like_a_fresh_one(ctx: Ctx) -> None:
    configure(ctx.engine, grouping=GROUPING)
    for dedup in ("a", "b", "c"):
        event(ctx, trigger(dedup, **A))
    assert ctx.client.post("/api/v1/incidents/1/acknowledge", headers=ctx.responder).is_success
    ctx.clock.advance(minutes=3)
    alerts = {a["dedup_key"]: a["id"] for a in incident(ctx, 1)["alerts"]}
    response = split(ctx, 1, [alerts["c"], alerts["b"]])
    assert response.status_code == 201, response.text
    new, source = response.json()["incident"], response.json()["source"]
    assert new["number"] == 2
    assert (new["status"], new["alert_count"], new["service"]) == ("triggered", 2, "checkout-api")
    assert (new["urgency"], new["component"], new["group_key"]) == ("high", None, None)
    assert sorted(a["dedup_key"] for a in new["alerts"]) == ["b", "c"]
    assert {a["status"] for a in new["alerts"]} == {"triggered"}
    assert (source["status"], source["alert_count"]) == ("acknowledged", 1)
    assert [a["dedup_key"] for a in source["alerts"]] == ["a"]
    assert kinds(ctx, 1)[-1] == "split"
    assert kinds(ctx, 2) == ["split"]
    # The new incident has the source's frozen policy and a timer due now.
    rows = timers(ctx.engine)
    assert rows[new["id"]].policy == rows[source["id"]].policy
    assert rows[new["id"]].state is None
    assert rows[new["id"]].due_at == T0 + timedelta(minutes=3)
    # Events follow the alerts; new alerts of the group still join the source.
    act(ctx, "resolve", "b")
    assert incident(ctx, 2)["status"] == "triggered"
    event(ctx, trigger("d", **A))
    assert incident(ctx, 1)["alert_count"] == 2


def test_splitting_off_the_last_open_alerts_resolves_the_source(ctx: Ctx) -> None:
    configure(ctx.engine, grouping=GROUPING)
    event(ctx, trigger("a", **A))
    event(ctx, trigger("b", **A))
    act(ctx, "resolve", "a")
    alerts = {a["dedup_key"]: a["id"] for a in incident(ctx, 1)["alerts"]}
    response = split(ctx, 1, [alerts["b"]])
    assert response.status_code == 201, response.text
    assert response.json()["source"]["status"] == "resolved"
    assert response.json()["incident"]["status"] == "triggered"


@pytest.mark.parametrize(
    ("which", "status", "detail"),
    [
        ("all", 400, "would be left without alerts"),
        ("other", 400, "is not an alert of incident #1"),
        ("unknown", 400, "is not an alert of incident #1"),
        ("twice", 400, "named twice"),
        ("none", 422, ""),
    ],
)
def test_split_refuses_bad_input(ctx: Ctx, which: str, status: int, detail: str) -> None:
    configure(ctx.engine, grouping=GROUPING)
    event(ctx, trigger("a", **A))
    event(ctx, trigger("b", **A))
    event(ctx, trigger("z"))
    mine = [a["id"] for a in incident(ctx, 1)["alerts"]]
    other = incident(ctx, 2)["alerts"][0]["id"]
    chosen = {
        "all": mine,
        "other": [other],
        "unknown": ["alr_nope"],
        "twice": [mine[0], mine[0]],
        "none": [],
    }[which]
    response = split(ctx, 1, chosen)
    assert response.status_code == status, response.text
    assert detail in response.json()["detail"]
    assert response.json()["errors"][0]["field"] == "alerts"
    assert [i["alert_count"] for i in incidents(ctx)] == [2, 1]


# --- CLI -------------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_merge_split_and_show(
    ctx: Ctx, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OWNIT_DATABASE_URL", ctx.engine.url.render_as_string(hide_password=False))
    configure(ctx.engine)
    for dedup in ("a", "b", "c"):
        event(ctx, trigger(dedup))
    code, out, err = run(capsys, "incident", "merge", "1", "2", "#3")
    assert (code, err) == (0, "")
    assert out.startswith("merged 2, #3 into #1: 3 alert(s), triggered")
    code, out, _ = run(capsys, "incident", "show", "1")
    assert code == 0
    assert "Alerts" in out
    for dedup in ("a", "b", "c"):
        assert f" {dedup} " in out
    assert "merged #2 into this incident" in out
    b = next(a["id"] for a in incident(ctx, 1)["alerts"] if a["dedup_key"] == "b")
    code, out, err = run(capsys, "incident", "split", "1", b)
    assert (code, err) == (0, "")
    assert out.startswith("split 1 alert(s) off #1 into #4 (triggered): problem b")
    assert incident(ctx, 1)["alert_count"] == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["incident", "merge", "1", "1"], "incidents: incident #1 cannot merge into itself"),
        (["incident", "merge", "1", "99"], "incidents: no incident is '99'"),
        (["incident", "merge", "99", "1"], "incident '99' does not exist"),
        (["incident", "split", "1", "alr_nope"], "alerts: 'alr_nope' is not an alert of"),
        (["incident", "split", "99", "alr_nope"], "incident '99' does not exist"),
    ],
)
def test_cli_merge_and_split_errors_are_one_plain_line(
    ctx: Ctx,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.setenv("OWNIT_DATABASE_URL", ctx.engine.url.render_as_string(hide_password=False))
    event(ctx, trigger("a"))
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
