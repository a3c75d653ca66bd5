"""On call over the API: who, shifts and gaps, everyone, overrides, problems, roles."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration import oncall_catalog
from tests.integration.conftest import Ctx


@pytest.fixture
def oc(ctx: Ctx) -> Ctx:
    oncall_catalog.apply(ctx.engine)
    return ctx


def get(ctx: Ctx, path: str, status: int = 200) -> Any:
    response = ctx.client.get(path, headers=ctx.viewer)
    assert response.status_code == status, response.text
    return response.json()


def who(ctx: Ctx, at: str, schedule: str = "primary") -> list[str]:
    body = get(ctx, f"/api/v1/schedules/{schedule}/oncall?at={at}")
    return [u["name"] for u in body["users"]]


def problem(response: Any, status: int, field: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert [e["field"] for e in body["errors"]] == [field], body
    return str(body["detail"])


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        pytest.param("2026-11-27T07:59:59Z", ["bob"], id="before-the-handoff"),
        pytest.param("2026-11-27T08:00:00Z", ["alice"], id="at-the-handoff"),
        pytest.param("2026-11-27T09:00:00%2B01:00", ["alice"], id="with-an-offset"),
        pytest.param("2026-11-27T09:00:00 01:00", ["alice"], id="plus-lost-in-the-query"),
        pytest.param("2026-11-27T11:00:00Z", ["carol"], id="restricted-layer-on-top"),
        pytest.param("2026-11-27T13:00:00Z", ["alice"], id="restriction-ends"),
        pytest.param("2026-11-28T08:00:00Z", ["carol"], id="catalog-override"),
        pytest.param("2026-11-28T20:00:00Z", ["bob"], id="after-the-override"),
    ],
)
def test_who_is_on_call_around_a_handoff(oc: Ctx, at: str, expected: list[str]) -> None:
    assert who(oc, at) == expected


def test_on_call_answers_people_and_defaults_to_now(oc: Ctx) -> None:
    body = get(oc, "/api/v1/schedules/primary/oncall")  # now: Thursday 13:00 local
    assert body == {
        "schedule": "primary",
        "at": "2026-11-26T12:00:00+00:00",
        "users": [{"name": "carol", "display_name": "Carol Danvers", "email": "carol@example.com"}],
    }
    assert get(oc, "/api/v1/schedules/weekend/oncall")["users"] == []  # a gap


def test_shifts_and_gaps(oc: Ctx) -> None:
    body = get(
        oc, "/api/v1/schedules/primary/shifts?since=2026-11-26T00:00Z&until=2026-11-28T00:00Z"
    )
    assert [(s["user"], s["start"][:16], s["end"][:16]) for s in body["shifts"]] == [
        ("alice", "2026-11-26T00:00", "2026-11-26T08:00"),
        ("bob", "2026-11-26T08:00", "2026-11-26T11:00"),
        ("carol", "2026-11-26T11:00", "2026-11-26T13:00"),
        ("bob", "2026-11-26T13:00", "2026-11-27T08:00"),
        ("alice", "2026-11-27T08:00", "2026-11-27T11:00"),
        ("carol", "2026-11-27T11:00", "2026-11-27T13:00"),
        ("alice", "2026-11-27T13:00", "2026-11-28T00:00"),
    ]
    assert body["gaps"] == []
    weekend = get(
        oc, "/api/v1/schedules/weekend/shifts?since=2026-11-27T00:00Z&until=2026-11-30T00:00Z"
    )
    assert weekend["shifts"] == [
        {"user": "dave", "start": "2026-11-27T23:00:00+00:00", "end": "2026-11-29T23:00:00+00:00"}
    ]
    assert weekend["gaps"] == [
        {"start": "2026-11-27T00:00:00+00:00", "end": "2026-11-27T23:00:00+00:00"},
        {"start": "2026-11-29T23:00:00+00:00", "end": "2026-11-30T00:00:00+00:00"},
    ]


def test_shifts_default_to_a_week_from_now(oc: Ctx) -> None:
    body = get(oc, "/api/v1/schedules/weekend/shifts")
    assert (body["since"], body["until"]) == (
        "2026-11-26T12:00:00+00:00",
        "2026-12-03T12:00:00+00:00",
    )


@pytest.mark.parametrize(
    ("query", "field", "detail"),
    [
        ("since=2026-01-01T00:00Z&until=2026-06-01T00:00Z", "until", "at most 90 days"),
        ("since=2026-01-02T00:00Z&until=2026-01-01T00:00Z", "until", "must be after since"),
        ("since=2026-01-01T00:00&until=2026-01-02T00:00Z", "since", "has no UTC offset"),
        ("since=yesterday", "since", "is not an ISO 8601 date-time"),
    ],
)
def test_shift_queries_name_the_field_at_fault(
    oc: Ctx, query: str, field: str, detail: str
) -> None:
    response = oc.client.get(f"/api/v1/schedules/primary/shifts?{query}", headers=oc.viewer)
    assert detail in problem(response, 400, field)


def test_everyone_on_call_by_schedule_and_by_service(oc: Ctx) -> None:
    body = get(oc, "/api/v1/oncall?at=2026-11-28T12:00:00Z")  # Saturday: override, weekend
    assert body["at"] == "2026-11-28T12:00:00+00:00"
    assert [(s["schedule"], [u["name"] for u in s["users"]]) for s in body["schedules"]] == [
        ("primary", ["carol"]),
        ("weekend", ["dave"]),
    ]
    services = {s["service"]: s for s in body["services"]}
    assert sorted(services) == ["batch-jobs", "checkout-api", "payments-api"]
    assert services["checkout-api"] == {
        "service": "checkout-api",
        "escalation_policy": None,
        "levels": [],
    }
    payments = services["payments-api"]
    assert payments["escalation_policy"] == "payments"
    assert [(lv["level"], [u["name"] for u in lv["users"]]) for lv in payments["levels"]] == [
        (1, ["carol"]),
        (2, ["alice", "dave"]),
    ]
    assert payments["levels"][0]["users"][0]["display_name"] == "Carol Danvers"
    weekday = get(oc, "/api/v1/oncall?at=2026-11-26T20:00:00Z")
    assert [[u["name"] for u in s["users"]] for s in weekday["schedules"]] == [["bob"], []]
    levels = {s["service"]: s["levels"] for s in weekday["services"]}["payments-api"]
    assert [[u["name"] for u in lv["users"]] for lv in levels] == [["bob"], ["alice"]]


def test_an_override_changes_who_is_on_call_until_it_is_deleted(oc: Ctx) -> None:
    at = "2026-11-27T08:30:00Z"
    assert who(oc, at) == ["alice"]
    response = oc.client.post(
        "/api/v1/schedules/primary/overrides",
        json={"user": "dave", "start": "2026-11-27T09:00:00+01:00", "end": "2026-11-27T08:45Z"},
        headers=oc.admin,
    )
    assert response.status_code == 201, response.text
    created = response.json()["override"]
    assert created == {
        "id": created["id"],
        "schedule": "primary",
        "user": "dave",
        "start": "2026-11-27T08:00:00+00:00",
        "end": "2026-11-27T08:45:00+00:00",
        "source": "api",
        "created_by": "token/t-admin",
        "created_at": "2026-11-26T12:00:00+00:00",
    }
    assert who(oc, at) == ["dave"]
    assert who(oc, "2026-11-27T08:45:00Z") == ["alice"]
    listed = get(oc, "/api/v1/schedules/primary/overrides")["overrides"]
    assert [(o["source"], o["user"], o["id"]) for o in listed] == [
        ("api", "dave", created["id"]),
        ("catalog", "carol", None),
    ]
    path = f"/api/v1/schedules/primary/overrides/{created['id']}"
    assert oc.client.delete(path, headers=oc.viewer).status_code == 403
    refused = oc.client.delete(path, headers=oc.responder)
    assert refused.status_code == 403
    assert "manager role in team 'payments'" in refused.json()["detail"]
    response = oc.client.delete(path, headers=oc.admin)
    assert response.status_code == 204
    assert response.content == b""
    assert who(oc, at) == ["alice"]
    again = oc.client.delete(path, headers=oc.admin)
    assert again.status_code == 404
    assert again.json()["detail"] == f"override 'primary/{created['id']}' does not exist"


def test_api_overrides_beat_catalog_overrides_and_the_newest_wins(oc: Ctx) -> None:
    def add(user: str, start: str, end: str) -> None:
        body = {"user": user, "start": start, "end": end}
        response = oc.client.post(
            "/api/v1/schedules/primary/overrides", json=body, headers=oc.admin
        )
        assert response.status_code == 201, response.text

    add("dave", "2026-11-28T10:00:00+01:00", "2026-11-28T12:00:00+01:00")
    oc.clock.advance(minutes=1)
    add("alice", "2026-11-28T11:00:00+01:00", "2026-11-28T13:00:00+01:00")
    assert who(oc, "2026-11-28T09:30:00Z") == ["dave"]  # beats the catalog's carol
    assert who(oc, "2026-11-28T10:30:00Z") == ["alice"]  # newer than dave's
    assert who(oc, "2026-11-28T12:30:00Z") == ["carol"]  # the catalog override again


@pytest.mark.parametrize(
    ("body", "status", "field", "detail"),
    [
        (
            {"user": "zoe", "start": "2026-11-27T08:00Z", "end": "2026-11-27T09:00Z"},
            400,
            "user",
            "there is no user named 'zoe'",
        ),
        (
            {"user": "dave", "start": "2026-11-27T09:00Z", "end": "2026-11-27T08:00Z"},
            400,
            "end",
            "must be after start",
        ),
        (
            {"user": "dave", "start": "2026-11-27T08:00", "end": "2026-11-27T09:00Z"},
            400,
            "start",
            "has no UTC offset",
        ),
        (
            {"user": "dave", "start": "2026-11-20T08:00Z", "end": "2026-11-21T09:00Z"},
            400,
            "end",
            "is in the past",
        ),
        ({"user": "dave", "start": "2026-11-27T08:00Z"}, 422, "end", "Field required"),
    ],
)
def test_override_problems_name_the_field(
    oc: Ctx, body: dict[str, str], status: int, field: str, detail: str
) -> None:
    response = oc.client.post("/api/v1/schedules/primary/overrides", json=body, headers=oc.admin)
    assert detail in problem(response, status, field)


def test_unknown_schedules_are_not_found(oc: Ctx) -> None:
    for method, path in (
        ("GET", "/api/v1/schedules/nope"),
        ("GET", "/api/v1/schedules/nope/oncall"),
        ("GET", "/api/v1/schedules/nope/shifts"),
        ("GET", "/api/v1/schedules/nope/overrides"),
        ("DELETE", "/api/v1/schedules/nope/overrides/1"),
    ):
        response = oc.client.request(method, path, headers=oc.responder)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["detail"] == "schedule 'nope' does not exist"
    body = {"user": "dave", "start": "2026-11-27T08:00Z", "end": "2026-11-27T09:00Z"}
    response = oc.client.post("/api/v1/schedules/nope/overrides", json=body, headers=oc.admin)
    assert response.status_code == 404


def test_schedules_are_listed_in_their_normal_form(oc: Ctx) -> None:
    listed = get(oc, "/api/v1/schedules")["schedules"]
    assert [s["name"] for s in listed] == ["primary", "weekend"]
    primary = get(oc, "/api/v1/schedules/primary")["schedule"]
    assert primary["team"] == "payments"
    assert primary["timezone"] == "Europe/Berlin"
    assert primary["layers"][1] == {
        "name": "office",
        "start": "2026-11-23T09:00:00",
        "rotation": "1w",
        "users": ["carol"],
        "restrictions": [
            {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "12:00", "to": "14:00"}
        ],
    }
    assert primary["overrides"] == [
        {"user": "carol", "start": "2026-11-28T09:00:00+01:00", "end": "2026-11-28T21:00:00+01:00"}
    ]


@pytest.mark.parametrize(
    ("method", "path", "role", "status"),
    [
        ("GET", "/api/v1/schedules", None, 401),
        ("GET", "/api/v1/schedules", "viewer", 200),
        ("GET", "/api/v1/schedules/primary/oncall", "viewer", 200),
        ("GET", "/api/v1/schedules/primary/shifts", "viewer", 200),
        ("GET", "/api/v1/oncall", None, 401),
        ("GET", "/api/v1/oncall", "viewer", 200),
        ("GET", "/api/v1/schedules/primary/overrides", "viewer", 200),
        ("POST", "/api/v1/schedules/primary/overrides", "viewer", 403),
        ("POST", "/api/v1/schedules/primary/overrides", "responder", 403),
        ("POST", "/api/v1/schedules/primary/overrides", "admin", 201),
        ("POST", "/api/v1/users/alice/calendar-token", "responder", 403),
        ("POST", "/api/v1/users/alice/calendar-token", "admin", 201),
    ],
)
def test_roles(oc: Ctx, method: str, path: str, role: str | None, status: int) -> None:
    headers = {None: {}, "viewer": oc.viewer, "responder": oc.responder, "admin": oc.admin}[role]
    body = {"user": "dave", "start": "2026-11-27T08:00Z", "end": "2026-11-27T09:00Z"}
    response = oc.client.request(
        method, path, headers=headers, json=body if method == "POST" else None
    )
    assert response.status_code == status, response.text
