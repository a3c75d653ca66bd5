"""The query standards read (``app.postmortems.learning_of``): incidents that needed a
postmortem and the one each has, and open action items, per service; both databases."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

import pytest
from sqlalchemy import update

from ownit.adapters.db import tables as t
from ownit.adapters.db.drill_store import SqlDrillStore
from ownit.adapters.db.postmortem_store import SqlPostmortemStore
from ownit.app import postmortems as uc
from ownit.app.postmortems import IncidentFacts, Record
from ownit.app.standards_records import LearningRecords
from ownit.domain.postmortems.model import Status
from ownit.domain.postmortems.policy import PolicyOverride
from tests.builders import T0
from tests.integration.conftest import Ctx
from tests.integration.postmortem_world import (
    DB_KEY,
    WEB_KEY,
    an_incident_with_changes,
    build_shop,
    post,
    trigger,
)


def test_learning_of_lists_needed_postmortems_and_open_action_items(ctx: Ctx) -> None:
    an_incident_with_changes(ctx)  # #1 on api, resolved: api needs one for any urgency
    trigger(ctx, WEB_KEY, "web down")  # #2: web needs none
    trigger(ctx, DB_KEY, "db slow")  # #3: db (org default: high urgency) but still open
    post(ctx, "/api/v1/incidents/2/resolve")
    post(ctx, "/api/v1/incidents/3/resolve")
    store = SqlPostmortemStore(ctx.engine)
    since = T0 - timedelta(days=1)

    needed, items = uc.learning_of(store=store, clock=ctx.clock, since=since)
    assert [(n.incident.number, n.postmortem) for n in needed] == [(1, None), (3, None)]
    assert items == []

    pm = post(ctx, "/api/v1/incidents/1/postmortem", status=201)
    item = {"title": "alert on slow migrations", "owner": "bob", "due": "2026-11-01"}
    post(ctx, f"/api/v1/postmortems/{pm['id']}/actions", item, status=201)
    needed, items = uc.learning_of(store=store, clock=ctx.clock, since=since, service="api")
    assert [(n.incident.number, n.postmortem is not None) for n in needed] == [(1, True)]
    assert [(r.incident.number, a.title, a.overdue(ctx.clock.now().date())) for r, a in items] == [
        (1, "alert on slow migrations", True)
    ]
    assert uc.learning_of(store=store, clock=ctx.clock, since=since, service="db")[1] == []


def _standard(ctx: Ctx, service: str, standard: str) -> tuple[bool, str]:
    response = ctx.client.get(f"/api/v1/standards?service={service}", headers=ctx.viewer)
    assert response.status_code == 200, response.text
    (found,) = response.json()["services"]
    (check,) = [c for c in found["standards"] if c["id"] == standard]
    return check["ok"], check["why"]


def test_the_standards_read_postmortems_and_overdue_action_items(ctx: Ctx) -> None:
    an_incident_with_changes(ctx)  # #1 on api (high urgency), resolved
    ok, why = _standard(ctx, "api", "postmortems-done")
    assert ok, why  # resolved today: not yet due
    ctx.clock.advance(days=10)  # past 5 business days
    ok, why = _standard(ctx, "api", "postmortems-done")
    assert not ok, why
    assert "#1" in why

    pm = post(ctx, "/api/v1/incidents/1/postmortem", status=201)
    moved = ctx.client.patch(
        "/api/v1/incidents/1/postmortem", json={"status": "in_review"}, headers=ctx.responder
    )
    assert moved.status_code == 200, moved.text
    ok, why = _standard(ctx, "api", "postmortems-done")
    assert ok, why

    assert _standard(ctx, "api", "no-overdue-actions")[0]
    item = {"title": "alert on slow migrations", "owner": "bob", "due": "2026-11-01"}
    post(ctx, f"/api/v1/postmortems/{pm['id']}/actions", item, status=201)
    ok, why = _standard(ctx, "api", "no-overdue-actions")
    assert not ok, why
    assert "'alert on slow migrations' due 2026-11-01" in why, why


def test_one_service_report_equals_its_entry_in_the_whole_report(ctx: Ctx) -> None:
    """``?service=`` (and the service page's badge) reads only that service's history; what
    it says must be what the whole report says of the service."""
    an_incident_with_changes(ctx)  # #1 on api, resolved, needs a postmortem
    trigger(ctx, DB_KEY, "db slow")  # #2 on db, acknowledged then resolved
    post(ctx, "/api/v1/incidents/2/acknowledge")
    post(ctx, "/api/v1/incidents/2/resolve")
    pm = post(ctx, "/api/v1/incidents/1/postmortem", status=201)
    item = {"title": "alert on slow migrations", "owner": "bob", "due": "2026-11-01"}
    post(ctx, f"/api/v1/postmortems/{pm['id']}/actions", item, status=201)
    ctx.clock.advance(days=10)  # db's postmortem overdue, api's action item overdue

    whole = ctx.client.get("/api/v1/standards", headers=ctx.viewer).json()["services"]
    failing = {s["service"]: {c["id"] for c in s["standards"] if not c["ok"]} for s in whole}
    assert "no-overdue-actions" in failing["api"], failing
    assert "postmortems-done" in failing["db"], failing
    assert "no-overdue-actions" not in failing["db"], failing
    for entry in whole:
        one = ctx.client.get(f"/api/v1/standards?service={entry['service']}", headers=ctx.viewer)
        assert one.json()["services"] == [entry]


class CountingStore(SqlPostmortemStore):
    """Counts how often the postmortems, the incidents and the policy overrides are read."""

    reads: ClassVar[list[str]]

    def search(self, status: Status | None, team: str | None) -> list[Record]:
        self.reads.append("postmortems")
        return super().search(status, team)

    def incidents_since(self, since: datetime, service: str | None) -> list[IncidentFacts]:
        self.reads.append("incidents")
        return super().incidents_since(since, service)

    def policy_override(self, service: str) -> PolicyOverride | None:
        self.reads.append(f"override of {service}")
        return super().policy_override(service)

    def policy_overrides(self, services: set[str]) -> dict[str, PolicyOverride | None]:
        self.reads.append("overrides")
        return super().policy_overrides(services)


def test_a_report_reads_the_postmortems_once(ctx: Ctx) -> None:
    an_incident_with_changes(ctx)  # #1 on api (high urgency), resolved
    pm = post(ctx, "/api/v1/incidents/1/postmortem", status=201)
    item = {"title": "alert on slow migrations", "owner": "bob", "due": "2026-11-01"}
    post(ctx, f"/api/v1/postmortems/{pm['id']}/actions", item, status=201)
    CountingStore.reads = []
    records = LearningRecords(CountingStore(ctx.engine), SqlDrillStore(ctx.engine), ctx.clock)

    postmortems, actions = records.learning()

    assert CountingStore.reads == ["postmortems", "incidents", "overrides"]
    assert [(i.ref, i.postmortem) for i in postmortems["api"]] == [("#1", "draft")]
    assert [(a.title, a.due.isoformat()) for a in actions["api"]] == [
        ("alert on slow migrations", "2026-11-01")
    ]


@pytest.mark.parametrize(("drill", "needed"), [(False, [1]), (True, [])])
def test_a_drills_incident_needs_no_postmortem(ctx: Ctx, drill: bool, needed: list[int]) -> None:
    build_shop(ctx)
    trigger(ctx, DB_KEY, "db slow")  # #1 on db: high urgency
    post(ctx, "/api/v1/incidents/1/resolve")
    with ctx.engine.begin() as conn:
        conn.execute(update(t.incidents).where(t.incidents.c.number == 1).values(drill=drill))
    store = SqlPostmortemStore(ctx.engine)
    found, _ = uc.learning_of(store=store, clock=ctx.clock, since=T0 - timedelta(days=1))
    assert [n.incident.number for n in found] == needed
