"""``/analytics``: the figures, the charts and their tables agree; CSV downloads; filters."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from ownit.adapters.db import tables as t
from ownit.adapters.db.analytics_store import SqlAnalyticsStore
from ownit.adapters.db.baseline_store import SqlBaselineStore
from ownit.app import analytics as uc
from ownit.app import baselines as bl
from ownit.domain.analytics.history import IncidentHistory
from ownit.domain.analytics.incidents import GroupBy, IncidentFigures, incident_report
from ownit.domain.analytics.period import Period
from tests.analytics_cases import HAND_MADE, HAND_MADE_TOTAL, at, seed
from tests.builders import T0
from tests.integration.conftest import Ctx
from tests.integration.web_helpers import login, setup_people

WINDOW = Period(T0 - timedelta(days=30), T0)  # the page's default: the last 30 days


@pytest.fixture
def shop(ctx: Ctx) -> Ctx:
    setup_people(ctx.engine, ctx.clock)
    seed(ctx.engine, HAND_MADE)
    with ctx.engine.begin() as conn:
        # alice, who looks at the page, lives in Berlin: the heat map is in her zone
        conn.execute(
            t.users.update().where(t.users.c.name == "alice").values(timezone="Europe/Berlin")
        )
        conn.execute(
            t.notifications.insert(),
            [
                {
                    "incident_id": "inc_never",
                    "user_name": user,
                    "contact": "phone",
                    "channel": "webhook",
                    "event_type": "incident.triggered",
                    "idempotency_key": f"k{n}",
                    "status": "sent",
                    "due_at": when,
                    "created_at": when,
                    "sent_at": when,
                }
                for n, (user, when) in enumerate(
                    [("alice", at(0)), ("alice", at(5)), ("bob", at(60 * 14)), ("bob", at(61))]
                )
            ],
        )
    assert login(ctx.client).status_code == 303
    return ctx


def _cells_of(f: IncidentFigures) -> list[str]:
    """A figures table's cells after the key, as the page shows them."""
    counts = [str(n) for n in (f.count, f.acknowledged, f.escalated, f.noise)]
    times = (f.tta.mean, f.tta.p50, f.tta.p90, f.ttr.mean, f.ttr.p50, f.ttr.p90)
    return counts + ["–" if v is None else str(round(v / 60, 1)) for v in times]


def _cells(html: str, attr: str) -> dict[str, str]:
    return dict(re.findall(rf'data-week="([^"]+)"[^>]*>.*?data-{attr}="([^"]*)"', html))


def test_the_page_shows_the_figures_and_the_charts_match_their_tables(shop: Ctx) -> None:
    page = shop.client.get("/analytics")
    assert page.status_code == 200
    text = page.text
    totals = dict(re.findall(r'data-figure="(\w+)">([^<]*)<', text))
    assert totals["count"] == str(HAND_MADE_TOTAL["count"])
    assert totals["noise"] == str(HAND_MADE_TOTAL["noise"])
    assert totals["mtta"] == "3.0"  # 180 s
    # The weekly table and the chart marks carry the same numbers.
    rows = re.findall(
        r'<tr data-week="([^"]+)"><th scope="row">[^<]+</th>'
        r'<td data-mtta="([^"]*)">[^<]*</td><td data-mttr="([^"]*)">',
        text,
    )
    assert [w for w, _, _ in rows] == ["2026-11-02", "2026-11-09"]
    chart = text.split('id="mttr-chart"')[1].split("</svg>")[0]
    marks = dict(re.findall(r'data-week="([^"]+)" data-value="([^"]+)"', chart))
    assert marks == {w: r for w, _, r in rows if r}
    expected = incident_report(HAND_MADE, WINDOW, by=GroupBy.WEEK)
    assert [r for _, _, r in rows] == [
        str(round(g.figures.ttr.mean / 60, 1)) for g in expected.groups if g.figures.ttr.mean
    ]
    # The heat map and its table: the same counts, in alice's zone (Berlin).
    heat = text.split('id="heat-map"')[1].split("</svg>")[0]
    drawn = {
        (d, h): int(n)
        for d, h, n in re.findall(r'data-day="(\d)" data-hour="(\d+)" data-count="(\d+)"', heat)
    }
    table = text.split('id="heat-table"')[1].split("</table>")[0]
    listed = {
        (d, h): int(n) for d, h, n in re.findall(r'data-day="(\d)" data-hour="(\d+)">(\d+)<', table)
    }
    assert drawn == listed
    assert len(drawn) == 7 * 24
    # Monday 09:00 and 09:05 UTC are 10:00 and 10:05 in Berlin (alice's two pages); bob's
    # 10:01 UTC is 11:01; his 23:00 UTC on Monday is Tuesday 00:00 in Berlin.
    assert {k: n for k, n in drawn.items() if n} == {
        ("0", "10"): 2,
        ("0", "11"): 1,
        ("1", "0"): 1,
    }
    # Per team and per service: each row's figures are the report's, in minutes, a dash
    # where there is no value.
    assert 'id="team-table"' in text
    assert ">core</th>" in text
    assert ">db</th>" in text
    for table, by in (("team-table", GroupBy.TEAM), ("service-table", GroupBy.SERVICE)):
        html = text.split(f'id="{table}"')[1].split("</table>")[0]
        shown = {
            key: re.findall(r"<td>([^<]*)</td>", cells)
            for key, cells in re.findall(r'<th scope="row">([^<]+)</th>(.*?)</tr>', html, re.S)
        }
        want = {
            "(none)" if g.key is None else g.key: _cells_of(g.figures)
            for g in incident_report(HAND_MADE, WINDOW, by=by).groups
        }
        assert shown == want
        assert any("–" in cells for cells in shown.values())  # a group with no value shows it


def test_csv_downloads_match_the_api_answers(shop: Ctx) -> None:
    r = shop.client.get("/analytics/incidents.csv", params={"by": "service"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    answer = uc.incidents_answer(incident_report(HAND_MADE, WINDOW, by=GroupBy.SERVICE))
    assert r.text == uc.incidents_csv(answer)
    for report in ("responders", "noise"):
        r = shop.client.get(f"/analytics/{report}.csv")
        assert r.status_code == 200
        assert r.text.splitlines()[0].split(",")[0] in ("user", "kind")


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/analytics?since=soon", 400, "since: &#39;soon&#39; is neither"),
        ("/analytics?team=nope", 400, "team: no team is named"),
        ("/analytics/other.csv", 404, "There is no other.csv"),
        ("/analytics/incidents.csv?by=colour", 400, "by: &#39;colour&#39; is not one of"),
    ],
)
def test_bad_filters_are_explained(shop: Ctx, path: str, status: int, words: str) -> None:
    r = shop.client.get(path)
    assert r.status_code == status
    assert words in r.text


def test_filters_narrow_the_figures(shop: Ctx) -> None:
    text = shop.client.get("/analytics", params={"team": "core"}).text
    assert dict(re.findall(r'data-figure="(\w+)">([^<]*)<', text))["count"] == "3"
    text = shop.client.get("/analytics", params={"service": "web", "since": "7d"}).text
    assert dict(re.findall(r'data-figure="(\w+)">([^<]*)<', text))["count"] == "0"


def test_the_page_needs_a_login(shop: Ctx) -> None:
    shop.client.cookies.clear()
    r = shop.client.get("/analytics", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")


def test_service_and_team_pages_flag_regressions_against_the_baseline(shop: Ctx) -> None:
    analytics, baselines = SqlAnalyticsStore(shop.engine), SqlBaselineStore(shop.engine)
    before = shop.client.get("/services/api").text
    assert "baseline-flags" not in before  # no baseline yet
    bl.capture_baseline(
        analytics=analytics,
        baselines=baselines,
        clock=shop.clock,
        name="rollout",
        since="2026-11-01T00:00:00Z",
        until="2026-11-15T00:00:00Z",
        by="test",
    )
    # Five api incidents in the last 7 days, each resolved after 10 minutes (p50 600 s
    # against the baseline's 180 s).
    seed(
        shop.engine,
        [
            IncidentHistory(
                f"inc_late{n}",
                "api",
                T0 - timedelta(days=1, minutes=n),
                team="core",
                alert_key="disk",
                resolved_at=T0 - timedelta(days=1, minutes=n - 10),
            )
            for n in range(5)
        ],
        first_number=100,
    )
    page = shop.client.get("/services/api")
    assert page.status_code == 200
    flags = re.findall(r'data-verdict="(\w+)" data-metric="(\w+)"', page.text)
    assert flags == [("regression", "ttr")]
    assert "10.0 min against 3.0 min in baseline rollout (+233 %)" in page.text
    team = shop.client.get("/teams/core")
    assert re.findall(r'data-verdict="(\w+)" data-metric="(\w+)"', team.text) == [
        ("regression", "ttr")
    ]
    assert "baseline-flags" not in shop.client.get("/services/db").text  # too few
