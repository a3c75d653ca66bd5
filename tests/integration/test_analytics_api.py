"""The analytics API and its CSV agree with the table tests, on a seeded SQLite and
PostgreSQL database."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.analytics_store import SqlAnalyticsStore
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.app import analytics as uc
from ownit.app.notify import POSTMORTEM_REMINDER
from ownit.app.tokens import create_token
from ownit.bootstrap import build_app
from ownit.domain.analytics.history import IncidentHistory
from ownit.domain.analytics.incidents import GroupBy, incident_report
from ownit.domain.analytics.noise import noise_report
from ownit.domain.analytics.period import Period
from ownit.domain.analytics.responders import Message, responder_report
from ownit.settings import Settings
from tests.analytics_cases import (
    HAND_MADE,
    HAND_MADE_TOTAL,
    MERGE_SOURCE,
    MERGE_TARGET,
    PERIOD,
    T0,
    at,
    seed,
)
from tests.builders import FakeClock

EARLY = timedelta(days=2)  # the merged pair opened before PERIOD
END = PERIOD.until


def _shifted(h: IncidentHistory, by: timedelta) -> IncidentHistory:
    return replace(
        h,
        created_at=h.created_at - by,
        resolved_at=None if h.resolved_at is None else h.resolved_at - by,
        acknowledgements=tuple(replace(a, at=a.at - by) for a in h.acknowledgements),
    )


PAIR = [_shifted(MERGE_TARGET, EARLY), _shifted(MERGE_SOURCE, EARLY)]
ALL = HAND_MADE + PAIR
ZONES = {"alice": "Europe/Berlin", "bob": "UTC", "carol": "America/New_York"}
MESSAGES = [
    Message("alice", "phone", at(0)),  # Monday 10:00 in Berlin: business
    Message("alice", "phone", at(60 * 13)),  # 23:00 in Berlin: sleep
    Message("alice", "phone", at(60 * 13)),  # the same message (a bundle)
    Message("bob", "mail", at(5)),
    Message("carol", "phone", at(2)),  # 04:02 in New York: sleep
]
# Delivered too, but no on-call load: postmortem reminders (e-mails about work due) are
# left out of interruptions and the heatmap; counted, alice would have a third message.
REMINDERS = [
    Message("alice", "mail", at(60 * 14)),  # 00:00 in Berlin: would be sleep
    Message("carol", "mail", at(60 * 5)),  # would be business in New York
]


@dataclass
class Api:
    client: TestClient
    headers: dict[str, str]

    def get(self, path: str, **params: str) -> Any:
        r = self.client.get(f"/api/v1/analytics/{path}", params=params, headers=self.headers)
        assert r.status_code == 200, r.text
        return r.json()

    def csv(self, path: str, **params: str) -> list[dict[str, str]]:
        r = self.client.get(
            f"/api/v1/analytics/{path}", params={**params, "format": "csv"}, headers=self.headers
        )
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/csv")
        return list(csv.DictReader(io.StringIO(r.text)))


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    seed(engine, ALL)
    with engine.begin() as conn:
        for name, zone in ZONES.items():
            conn.execute(
                t.users.insert().values(
                    name=name, timezone=zone, spec={}, created_at=T0, updated_at=T0
                )
            )
        conn.execute(
            t.notifications.insert(),
            [
                {
                    "incident_id": "inc_never",
                    "user_name": m.user,
                    "contact": m.contact,
                    "channel": "webhook",
                    "event_type": "incident.triggered",
                    "idempotency_key": f"k{n}",
                    "status": "sent",
                    "due_at": m.at,
                    "created_at": m.at,
                    "sent_at": m.at,
                }
                for n, m in enumerate(MESSAGES)
            ]
            + [
                {
                    "incident_id": None,
                    "user_name": m.user,
                    "contact": m.contact,
                    "channel": "email",
                    "event_type": "postmortem.reminder",
                    "idempotency_key": f"r{n}",
                    "status": "sent",
                    "due_at": m.at,
                    "created_at": m.at,
                    "sent_at": m.at,
                }
                for n, m in enumerate(REMINDERS)
            ],
        )
    clock = FakeClock(PERIOD.until)  # the default window, the last 30 days, is PERIOD
    settings = Settings(database_url=str(engine.url), events_rate_limit=0)
    token = create_token(store=SqlTokenStore(engine), clock=clock, name="v", role="viewer")
    with TestClient(build_app(settings, engine, clock=clock)) as client:
        yield Api(client, {"Authorization": f"Bearer {token}"})


def _expected(histories: list[IncidentHistory], period: Period, by: GroupBy | None) -> Any:
    return uc.incidents_answer(incident_report(histories, period, by=by))


def test_default_window_gives_the_hand_made_figures(api: Api) -> None:
    answer = api.get("incidents")
    assert {k: v for k, v in answer.items() if k not in ("since", "until")} == HAND_MADE_TOTAL
    assert answer["since"] == PERIOD.since.isoformat()
    assert answer["until"] == PERIOD.until.isoformat()


@pytest.mark.parametrize("by", [None, *GroupBy])
def test_incidents_json_and_csv_agree_with_the_rules(api: Api, by: GroupBy | None) -> None:
    params = {} if by is None else {"by": by.value}
    answer = api.get("incidents", **params)
    assert answer == _expected(ALL, PERIOD, by)
    rows = api.csv("incidents", **params)
    groups = answer.get("groups", [{"key": None} | answer])
    assert [r["key"] for r in rows] == ["" if g["key"] is None else g["key"] for g in groups]
    for row, group in zip(rows, groups, strict=True):
        assert int(row["count"]) == group["count"]
        assert int(row["noise"]) == group["noise"]
        for name in ("tta_seconds", "ttr_seconds"):
            for stat in ("mean", "p50", "p90"):
                value = group[name][stat]
                cell = row[f"{name}_{stat}"]
                assert (cell == "" and value is None) or float(cell) == value


@pytest.mark.parametrize(
    ("params", "histories", "period"),
    [
        ({"service": "db"}, [h for h in ALL if h.service == "db"], PERIOD),
        ({"team": "core"}, [h for h in ALL if h.team == "core"], PERIOD),
        ({"urgency": "low"}, [h for h in ALL if h.urgency == "low"], PERIOD),
        (
            {"since": "2026-10-30T00:00:00Z"},
            ALL,
            Period(T0 - timedelta(days=3, hours=9), PERIOD.until),
        ),
        ({"since": "33d"}, ALL, Period(PERIOD.until - timedelta(days=33), PERIOD.until)),
        (
            {"until": "29d"},
            ALL,
            Period(PERIOD.until - timedelta(days=59), PERIOD.until - timedelta(days=29)),
        ),
    ],
    ids=["service", "team", "urgency", "since-instant", "since-duration", "until-duration"],
)
def test_filters_and_windows(
    api: Api, params: dict[str, str], histories: list[IncidentHistory], period: Period
) -> None:
    assert api.get("incidents", **params) == _expected(histories, period, None)


def test_merged_incident_counts_once(api: Api) -> None:
    answer = api.get("incidents", since="2026-10-30T00:00:00Z", until="2026-11-01T00:00:00Z")
    assert answer["count"] == 1  # the target; the source merged into it is not counted
    assert answer["tta_seconds"]["p50"] == 240.0


def test_responders_agree_with_the_rules(api: Api) -> None:
    answer = api.get("responders")
    expected = responder_report(ALL, MESSAGES, [], ZONES, PERIOD)
    assert answer["responders"] == [f.as_dict() for f in expected]
    alice = next(r for r in answer["responders"] if r["user"] == "alice")
    assert alice["interruptions"] == {"business": 1, "off_hours": 0, "sleep": 1}
    assert (alice["pages"], alice["acknowledged"]) == (2, 1)
    rows = api.csv("responders")
    assert [r["user"] for r in rows] == [r["user"] for r in answer["responders"]]
    assert rows[0]["interruptions_sleep"] == str(answer["responders"][0]["interruptions"]["sleep"])


def test_noise_agrees_with_the_rules(api: Api) -> None:
    answer = api.get("noise")
    expected = uc.noise_answer(noise_report(ALL, PERIOD))
    assert answer == expected
    assert [(s["key"], s["noise"]) for s in answer["services"]] == [("db", 1), ("api", 1)]
    rows = api.csv("noise")
    assert [(r["kind"], r["key"], r["noise"]) for r in rows] == [
        ("service", "db", "1"),  # 1 of 2: the higher ratio first
        ("service", "api", "1"),  # 1 of 3
        ("alert_key", "heartbeat/db", "1"),
        ("alert_key", "disk", "1"),
    ]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("incidents", {"since": "last week"}, "since"),
        ("incidents", {"until": "2026-11-01T00:00:00"}, "until"),
        ("incidents", {"since": "1d", "until": "2d"}, "since"),
        ("incidents", {"by": "colour"}, "by"),
        ("incidents", {"service": "nope"}, "service"),
        ("incidents", {"team": "nope"}, "team"),
        ("incidents", {"urgency": "urgent"}, "urgency"),
        ("incidents", {"drills": "sometimes"}, "drills"),
        ("incidents", {"format": "xml"}, "format"),
        ("responders", {"team": "nope"}, "team"),
        ("noise", {"since": "x"}, "since"),
    ],
)
def test_bad_queries_are_problems_naming_the_field(
    api: Api, path: str, params: dict[str, str], field: str
) -> None:
    r = api.client.get(f"/api/v1/analytics/{path}", params=params, headers=api.headers)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == field


def test_analytics_needs_a_token(api: Api) -> None:
    assert api.client.get("/api/v1/analytics/incidents").status_code == 401


@pytest.mark.parametrize(
    ("event_type", "counted"),
    [
        ("incident.triggered", True),
        ("incident.escalated", True),
        ("incident.fallback", True),
        ("incident.acknowledged", True),
        (POSTMORTEM_REMINDER, False),  # the reminders' own kind, as the outbox writes it
    ],
)
def test_only_page_kinds_are_messages(engine: Engine, event_type: str, counted: bool) -> None:
    when = PERIOD.since + timedelta(hours=1)
    with engine.begin() as conn:
        conn.execute(
            t.notifications.insert().values(
                user_name="alice",
                contact="mail",
                channel="email",
                event_type=event_type,
                idempotency_key="k",
                status="sent",
                due_at=when,
                created_at=when,
                sent_at=when,
            )
        )
    found = SqlAnalyticsStore(engine).messages(PERIOD.since, PERIOD.until)
    assert found == ([Message("alice", "mail", when)] if counted else [])


_WRITES = ("insert", "update", "delete", "replace", "create", "drop", "alter", "upsert")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("incidents", {}),
        ("incidents", {"by": "service"}),
        ("incidents", {"by": "week", "format": "csv"}),
        ("responders", {}),
        ("responders", {"format": "csv"}),
        ("noise", {}),
        ("baselines", {}),
    ],
    ids=["incidents", "by-service", "by-week-csv", "responders", "responders-csv", "noise", "bl"],
)
def test_a_get_writes_nothing_even_when_stored_figures_are_behind(
    api: Api, engine: Engine, path: str, params: dict[str, str]
) -> None:
    # The seed stored no figures: every incident's are missing (stale). Only the token's
    # own last_used_at hint (the API's sign-in, once a minute) may be written, never analytics.
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        r = api.client.get(f"/api/v1/analytics/{path}", params=params, headers=api.headers)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert r.status_code == 200, r.text
    assert seen, "the request read nothing: the hook is not listening"
    writes = [
        s
        for s in seen
        if s.lstrip().split(None, 1)[0].lower() in _WRITES and not s.startswith("UPDATE api_tokens")
    ]
    assert writes == []
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.incident_figures)).scalar() == 0
