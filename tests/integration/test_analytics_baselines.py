"""Baselines through the API and the CLI, and the weekly digest, on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ownit.adapters.db.analytics_store import SqlAnalyticsStore
from ownit.adapters.db.baseline_store import SqlBaselineStore
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.app import baselines as bl
from ownit.app.tokens import create_token
from ownit.bootstrap import build_app
from ownit.cli.main import main
from ownit.domain.analytics.history import IncidentHistory
from ownit.settings import Settings
from tests.analytics_cases import HAND_MADE, PERIOD, ack, at, seed
from tests.builders import FakeClock

NOW = PERIOD.until  # 2026-12-01 09:00 UTC: the last 7 days start on 2026-11-24
# Five api incidents in the last 7 days: acknowledged after 1 min, resolved after 10.
RECENT = [
    IncidentHistory(
        f"inc_recent{n}",
        "api",
        at(60 * 24 * 27 + n),
        team="core",
        alert_key="disk",
        acknowledgements=(ack(60 * 24 * 27 + n + 1),),
        resolved_at=at(60 * 24 * 27 + n + 10),
    )
    for n in range(5)
]
WINDOW = {"since": "2026-11-01T00:00:00Z", "until": "2026-11-20T00:00:00Z"}


@dataclass
class Api:
    client: TestClient
    admin: dict[str, str]
    viewer: dict[str, str]


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    seed(engine, HAND_MADE + RECENT)
    clock = FakeClock(NOW)
    tokens = SqlTokenStore(engine)
    admin = create_token(store=tokens, clock=clock, name="a", role="admin")
    viewer = create_token(store=tokens, clock=clock, name="v", role="viewer")
    settings = Settings(database_url=str(engine.url), events_rate_limit=0)
    with TestClient(build_app(settings, engine, clock=clock)) as client:
        yield Api(
            client, {"Authorization": f"Bearer {admin}"}, {"Authorization": f"Bearer {viewer}"}
        )


def test_capture_list_compare(api: Api) -> None:
    r = api.client.post(
        "/api/v1/analytics/baselines", json={"name": "rollout"} | WINDOW, headers=api.admin
    )
    assert r.status_code == 201, r.text
    groups = {(g["kind"], g["key"]): g for g in r.json()["baseline"]["groups"]}
    assert groups[("service", "api")]["ttr_p50"] == 180.0
    assert groups[("team", "core")]["count"] == 3
    listed = api.client.get("/api/v1/analytics/baselines", headers=api.viewer).json()
    assert [(b["name"], b["current"]) for b in listed["baselines"]] == [("rollout", True)]

    answer = api.client.get("/api/v1/analytics/baselines/compare", headers=api.viewer).json()
    assert answer["baseline"] == "rollout"
    verdicts = {(g["kind"], g["key"], g["metric"]): g for g in answer["groups"]}
    ttr = verdicts[("service", "api", "ttr")]
    assert (ttr["baseline_p50"], ttr["recent_p50"], ttr["verdict"]) == (180.0, 600.0, "regression")
    assert ttr["change"] == pytest.approx(600 / 180 - 1)
    assert verdicts[("service", "api", "tta")]["verdict"] == "too-few"  # no baseline TTA
    assert verdicts[("team", "core", "ttr")]["verdict"] == "regression"
    assert verdicts[("service", "db", "ttr")]["verdict"] == "too-few"


@pytest.mark.parametrize(
    ("body", "headers", "status", "field"),
    [
        ({"name": "has space"}, "admin", 400, "name"),
        ({"name": "x", "since": "soon"}, "admin", 400, "since"),
        ({"name": "x"}, "viewer", 403, None),
    ],
)
def test_capture_refusals(
    api: Api, body: dict[str, str], headers: str, status: int, field: str | None
) -> None:
    r = api.client.post("/api/v1/analytics/baselines", json=body, headers=getattr(api, headers))
    assert r.status_code == status, r.text
    if field:
        assert r.json()["errors"][0]["field"] == field


def test_duplicate_name_and_unknown_baseline(api: Api) -> None:
    body = {"name": "once"}
    assert (
        api.client.post("/api/v1/analytics/baselines", json=body, headers=api.admin).status_code
        == 201
    )
    again = api.client.post("/api/v1/analytics/baselines", json=body, headers=api.admin)
    assert again.status_code == 400
    assert "already a baseline named 'once'" in again.json()["detail"]
    missing = api.client.get(
        "/api/v1/analytics/baselines/compare", params={"baseline": "nope"}, headers=api.viewer
    )
    assert missing.status_code == 404


def test_the_newest_is_current_unless_one_is_chosen(engine: Engine) -> None:
    store = SqlBaselineStore(engine)
    clock = FakeClock(NOW)
    analytics = SqlAnalyticsStore(engine)
    for name in ("first", "second"):
        bl.capture_baseline(
            analytics=analytics,
            baselines=store,
            clock=clock,
            name=name,
            since=None,
            until=None,
            by="t",
        )
        clock.advance(minutes=1)
    assert [b.name for b in bl.list_baselines(baselines=store) if b.current] == ["second"]
    bl.use_baseline(baselines=store, clock=clock, name="first")
    assert [b.name for b in bl.list_baselines(baselines=store) if b.current] == ["first"]


def test_cli_baselines_and_the_weekly_report(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The CLI runs on the system clock: put the recent incidents in its last 7 days.

    now = datetime.now(UTC)
    shift = now - timedelta(days=1) - RECENT[0].created_at
    recent = [
        replace(
            h,
            created_at=h.created_at + shift,
            resolved_at=None if h.resolved_at is None else h.resolved_at + shift,
            acknowledgements=tuple(replace(a, at=a.at + shift) for a in h.acknowledgements),
        )
        for h in RECENT
    ]
    seed(engine, HAND_MADE + recent)
    monkeypatch.setenv("OWNIT_DATABASE_URL", engine.url.render_as_string(hide_password=False))

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = run(
        "baseline", "capture", "rollout", "--since", WINDOW["since"], "--until", WINDOW["until"]
    )
    assert code == 0
    assert "baseline rollout:" in out
    assert "3 service(s), 1 team(s)" in out
    code, out, _ = run("baseline", "list")
    assert out.splitlines()[2].split()[:2] == ["*", "rollout"]
    code, out, err = run("baseline", "use", "nope")
    assert (code, err.strip()) == (2, "ownit: error: NAME: there is no baseline named 'nope'")
    code, out, _ = run("baseline", "compare", "--format", "json")
    found = {(g["kind"], g["key"], g["metric"]): g["verdict"] for g in json.loads(out)["groups"]}
    assert found[("service", "api", "ttr")] == "regression"
    code, out, _ = run("analytics", "report")
    assert code == 0
    assert "5 incidents, 5 acknowledged" in out
    assert "regression: service api TTR p50 3.0 min -> 10.0 min (+233%)" in out
    assert "Noisiest alert keys" not in out  # every recent incident was acknowledged
