"""Incidents in the API carry their owning team (the component's when a component with an
owner has them), their escalation policy and who is assigned now; ``?team=`` filters on
the team in SQL from the catalog. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from ownit.adapters.catalog.yaml_source import load_text
from ownit.adapters.db import record_tables as rt
from ownit.adapters.db import tables as t
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.app import catalog as use
from tests.builders import T0, FakeClock
from tests.integration.conftest import Ctx

CATALOG = """\
apiVersion: ownit/v1
kind: User
metadata: {name: ann}
spec: {email: ann@example.com}
---
apiVersion: ownit/v1
kind: User
metadata: {name: bob}
spec: {email: bob@example.com}
---
apiVersion: ownit/v1
kind: Team
metadata: {name: shop}
spec: {members: [{user: ann}]}
---
apiVersion: ownit/v1
kind: Team
metadata: {name: refunds}
spec: {members: [{user: bob}]}
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {name: shop}
spec: {levels: [{after: 5m, targets: [{user: ann}]}]}
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {name: refunds}
spec: {levels: [{after: 5m, targets: [{user: bob}]}]}
---
apiVersion: ownit/v1
kind: Service
metadata: {name: cart}
spec:
  owner: shop
  escalationPolicy: shop
  components:
    - {name: refunds, owner: refunds, escalationPolicy: refunds, match: ['module="refunds"']}
    - {name: basket, match: ['module="basket"']}
---
apiVersion: ownit/v1
kind: Service
metadata: {name: ledger}
spec: {owner: refunds, escalationPolicy: refunds}
"""

# (number, service, component, status, acknowledged_by, paged: [(user, level)])
INCIDENTS = [
    (1, "cart", None, "triggered", None, [("ann", 1)]),
    (2, "cart", "refunds", "acknowledged", "bob", [("bob", 1)]),
    (3, "cart", "basket", "triggered", None, [("ann", 1), ("bob", 2)]),
    (4, "ledger", None, "resolved", None, [("bob", 1)]),
]


def seed(engine: Engine) -> None:
    use.apply(
        store=SqlCatalogStore(engine),
        documents=load_text(CATALOG, "c.yaml").documents,
        clock=FakeClock(),
    )
    with engine.begin() as conn:
        ids = dict(conn.execute(select(t.services.c.name, t.services.c.id)).all())
        for number, service, component, status, by, paged in INCIDENTS:
            at = T0 + timedelta(minutes=number)
            conn.execute(
                t.incidents.insert().values(
                    id=f"inc_{number}",
                    org_id=1,
                    number=100 + number,
                    title=f"incident {number}",
                    status=status,
                    urgency="high",
                    severity="critical",
                    service_id=ids[service],
                    component=component,
                    dedup_key=f"k{number}",
                    created_at=at,
                    updated_at=at,
                    acknowledged_by=by,
                    acknowledged_at=at if by else None,
                )
            )
            policy = "refunds" if component == "refunds" or service == "ledger" else "shop"
            conn.execute(
                t.escalations.insert().values(
                    incident_id=f"inc_{number}", policy={"name": policy}, updated_at=at
                )
            )
            for user, level in paged:
                conn.execute(
                    rt.incident_responses.insert().values(
                        incident_id=f"inc_{number}",
                        user_name=user,
                        first_paged_at=at,
                        highest_level=level,
                    )
                )


def test_each_incident_carries_team_policy_and_assignees(ctx: Ctx) -> None:
    seed(ctx.engine)
    found = ctx.client.get("/api/v1/incidents?limit=500", headers=ctx.viewer).json()["incidents"]
    mine = {i["number"]: (i["team"], i["escalation_policy"], i["assigned"]) for i in found}
    assert {n: mine[n] for n in (101, 102, 103, 104)} == {
        101: ("shop", "shop", ["ann"]),
        102: ("refunds", "refunds", ["bob"]),  # the component's team, acknowledged by bob
        103: ("shop", "shop", ["bob"]),  # a component without an owner: the service's team
        104: ("refunds", "refunds", []),  # resolved: nobody
    }
    one = ctx.client.get("/api/v1/incidents/102", headers=ctx.viewer).json()["incident"]
    assert (one["team"], one["escalation_policy"], one["assigned"]) == (
        "refunds",
        "refunds",
        ["bob"],
    )


@pytest.mark.parametrize(
    ("team", "numbers"),
    [("shop", [103, 101]), ("refunds", [104, 102])],
)
def test_the_team_filter(ctx: Ctx, team: str, numbers: list[int]) -> None:
    seed(ctx.engine)
    answer = ctx.client.get(f"/api/v1/incidents?team={team}", headers=ctx.viewer).json()
    assert [i["number"] for i in answer["incidents"]] == numbers
    assert {i["team"] for i in answer["incidents"]} == {team}


def test_an_unknown_team_is_a_problem_naming_the_field(ctx: Ctx) -> None:
    seed(ctx.engine)
    response = ctx.client.get("/api/v1/incidents?team=nobody", headers=ctx.viewer)
    assert response.status_code == 400
    assert "no team is named 'nobody'" in response.text
    assert response.json()["errors"] == [{"field": "team", "detail": "no team is named 'nobody'"}]
