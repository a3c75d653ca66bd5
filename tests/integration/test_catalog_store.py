"""Applying and exporting the catalog on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, Table, select

from ownit.adapters.catalog.yaml_source import dump_documents, load_text
from ownit.adapters.db import tables as t
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.app import catalog as use
from ownit.app.catalog import CatalogConflict, ChangeSet
from ownit.domain.catalog import Integration, Service
from tests.builders import T0, FakeClock, add_service
from tests.integration.test_catalog_ops import WINDOW

KEY = "given000000000000000000000000001"

ORG = """\
apiVersion: ownit/v1
kind: User
metadata: {name: alice}
spec:
  displayName: Alice Liddell
  email: alice@example.com
  timezone: Europe/Berlin
  contacts: [{name: mail, type: email, address: alice@example.com}]
  notificationRules: [{contact: mail, after: 0m}]
---
apiVersion: ownit/v1
kind: User
metadata: {name: bob}
spec: {email: bob@example.com}
---
apiVersion: ownit/v1
kind: Team
metadata: {name: payments}
spec:
  displayName: Payments
  members: [{user: alice, role: manager}, {user: bob}]
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {name: payments}
spec:
  team: payments
  levels: [{after: 10m, targets: [{user: alice}]}]
"""

SERVICES = """\
apiVersion: ownit/v1
kind: Service
metadata: {name: payments-db, description: The database.}
spec: {owner: payments, tier: 1, urgency: high}
---
apiVersion: ownit/v1
kind: Service
metadata: {name: checkout-api, description: Takes payments.}
spec:
  owner: payments
  escalationPolicy: payments
  tier: 2
  dependsOn: [payments-db]
  runbookText: |
    # Checkout
    Restart it.
  integrations:
    - {name: events, type: events-v2}
    - {name: prom, type: alertmanager, key: given000000000000000000000000001}
"""


def run(
    engine: Engine, text: str, clock: FakeClock | None = None, **kwargs: Any
) -> use.ApplyResult:
    loaded = load_text(text, "catalog.yaml")
    assert loaded.problems == ()
    return use.apply(
        store=SqlCatalogStore(engine),
        documents=loaded.documents,
        clock=clock or FakeClock(),
        **kwargs,
    )


def rows(engine: Engine, table: Table) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(table).order_by(table.c.name))]


def everything(engine: Engine) -> list[list[dict[str, Any]]]:
    tables = (t.users, t.teams, t.escalation_policies, t.services, t.integrations)
    with engine.connect() as conn:
        members = [dict(r._mapping) for r in conn.execute(select(t.team_members))]
    return [rows(engine, table) for table in tables] + [members]


def keys(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        result = conn.execute(
            select(t.services.c.name, t.integrations.c.name, t.integrations.c.key).join(
                t.services, t.services.c.id == t.integrations.c.service_id
            )
        )
        return {f"{r[0]}/{r[1]}": r[2] for r in result}


def test_apply_creates_rows_with_core_columns_and_spec(engine: Engine) -> None:
    result = run(engine, ORG + "---\n" + SERVICES, source="ci")
    assert result.diff.counts() == {"create": 6, "update": 0, "delete": 0, "unchanged": 0}
    (alice, bob) = rows(engine, t.users)
    assert (alice["display_name"], alice["email"], alice["timezone"]) == (
        "Alice Liddell",
        "alice@example.com",
        "Europe/Berlin",
    )
    assert alice["source"] == "ci"
    assert alice["created_at"] == alice["updated_at"] == T0
    assert alice["spec"]["notificationRules"] == [{"contact": "mail", "after": "0s"}]
    assert bob["display_name"] == "bob"
    (team,) = rows(engine, t.teams)
    with engine.connect() as conn:
        roles = conn.execute(
            select(t.users.c.name, t.team_members.c.role)
            .join(t.users, t.users.c.id == t.team_members.c.user_id)
            .where(t.team_members.c.team_id == team["id"])
            .order_by(t.users.c.name)
        ).all()
    assert [tuple(r) for r in roles] == [("alice", "manager"), ("bob", "responder")]
    (policy,) = rows(engine, t.escalation_policies)
    assert policy["team_id"] == team["id"]
    checkout, db = rows(engine, t.services)
    assert checkout["owner_team_id"] == team["id"]
    assert checkout["escalation_policy_id"] == policy["id"]
    assert (checkout["tier"], checkout["urgency"]) == (2, "severity")
    assert checkout["description"] == "Takes payments."
    assert checkout["spec"]["runbookText"] == "# Checkout\nRestart it.\n"
    assert "key" not in str(checkout["spec"])  # keys live in the integrations table only
    assert (db["urgency"], db["escalation_policy_id"]) == ("high", None)
    # The database keeps each key's SHA-256 only; the apply's answer shows the keys once.
    generated = result.new_integrations[0].key
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert keys(engine)["checkout-api/events"] == hashlib.sha256(generated.encode()).hexdigest()
    assert keys(engine)["checkout-api/prom"] == hashlib.sha256(KEY.encode()).hexdigest()
    assert [(i.service, i.name, i.key, i.generated) for i in result.new_integrations] == [
        ("checkout-api", "events", generated, True),
        ("checkout-api", "prom", KEY, False),
    ]


def test_a_second_apply_of_the_same_files_changes_nothing(engine: Engine) -> None:
    run(engine, ORG + "---\n" + SERVICES)
    before = everything(engine)
    clock = FakeClock(T0 + timedelta(hours=1))
    result = run(engine, ORG + "---\n" + SERVICES, clock)
    assert result.diff.is_empty
    assert result.new_integrations == ()
    assert everything(engine) == before


def test_a_change_updates_only_what_changed(engine: Engine) -> None:
    run(engine, ORG + "---\n" + SERVICES)
    first_key = keys(engine)["checkout-api/events"]
    later = T0 + timedelta(hours=1)
    changed = (
        SERVICES.replace("tier: 2", "tier: 1")
        .replace("Takes payments.", "Takes money.")
        .replace(
            "    - {name: prom, type: alertmanager, key: given000000000000000000000000001}\n", ""
        )
    )
    result = run(engine, ORG + "---\n" + changed, FakeClock(later))
    assert [(c.action, c.name) for c in result.diff.changes if c.action != "unchanged"] == [
        ("update", "checkout-api")
    ]
    checkout = rows(engine, t.services)[0]
    assert (checkout["tier"], checkout["description"]) == (1, "Takes money.")
    assert (checkout["created_at"], checkout["updated_at"]) == (T0, later)
    assert rows(engine, t.users)[0]["updated_at"] == T0
    assert keys(engine) == {"checkout-api/events": first_key}  # kept; prom deleted


def test_team_members_follow_the_file(engine: Engine) -> None:
    run(engine, ORG)
    run(
        engine,
        ORG.replace("[{user: alice, role: manager}, {user: bob}]", "[{user: bob, role: observer}]"),
    )
    with engine.connect() as conn:
        members = conn.execute(select(t.team_members.c.user_id, t.team_members.c.role)).all()
    bob_id = rows(engine, t.users)[1]["id"]
    assert [tuple(m) for m in members] == [(bob_id, "observer")]


def test_an_apply_with_one_problem_changes_nothing(engine: Engine) -> None:
    run(engine, ORG)
    before = everything(engine)
    broken = (
        ORG.replace("Payments", "Payments Team") + "---\n" + SERVICES.replace("tier: 2", "tier: 9")
    )
    with pytest.raises(use.InvalidCatalog) as caught:
        run(engine, broken)
    assert [str(p) for p in caught.value.problems] == [
        "catalog.yaml:41: tier must be a whole number from 1 to 4, not 9"
    ]
    assert everything(engine) == before


def test_the_write_is_one_transaction(engine: Engine) -> None:
    run(engine, ORG + "---\n" + SERVICES)
    before = everything(engine)
    store = SqlCatalogStore(engine)
    clash = Service("new", owner="payments", integrations=(Integration("e", "events-v2", KEY),))
    renamed = dataclasses.replace(store.snapshot().teams["payments"], display_name="Renamed")
    with pytest.raises(CatalogConflict):
        store.write(ChangeSet(upserts=(renamed, clash)), source="catalog", now=T0)
    assert everything(engine) == before


def test_references_to_objects_applied_earlier_resolve(engine: Engine) -> None:
    run(engine, ORG)
    result = run(engine, SERVICES)
    assert [c.action for c in result.diff.changes] == ["create", "create"]
    assert rows(engine, t.services)[0]["escalation_policy_id"] is not None


def test_apply_leaves_objects_it_does_not_name_alone(engine: Engine) -> None:
    add_service(engine, "made-in-the-api", keys={"events": "api00000000000000000000000000000"})
    run(engine, ORG + "---\n" + SERVICES, prune=True)
    assert "made-in-the-api/events" in keys(engine)
    assert [r["name"] for r in rows(engine, t.services)] == [
        "checkout-api",
        "made-in-the-api",
        "payments-db",
    ]


def test_export_round_trips_byte_for_byte(engine: Engine) -> None:
    run(engine, ORG + "---\n" + SERVICES)
    store = SqlCatalogStore(engine)
    first = dump_documents(use.export(store=store))
    assert first.index("kind: User") < first.index("kind: Team") < first.index("kind: Service")
    assert first.index("name: checkout-api") < first.index("name: payments-db")
    result = run(engine, first)
    assert result.diff.is_empty
    assert dump_documents(use.export(store=store)) == first
    # No key is exported (the database has only digests), and applying the export kept them.
    assert "key:" not in first
    assert keys(engine)["checkout-api/prom"] == hashlib.sha256(KEY.encode()).hexdigest()


def test_prune_deletes_what_the_source_no_longer_names(engine: Engine) -> None:
    run(engine, ORG + "---\n" + SERVICES, source="team-a")
    other = (
        "apiVersion: ownit/v1\nkind: User\nmetadata: {name: zoe}\nspec: {email: z@example.com}\n"
    )
    run(engine, other, source="team-b")
    without_db = SERVICES.split("---\n")[1].replace("  dependsOn: [payments-db]\n", "")
    preview = run(engine, ORG + "---\n" + without_db, source="team-a", prune=True)
    assert [(c.action, c.name) for c in preview.diff.changes if c.action != "unchanged"] == [
        ("update", "checkout-api"),
        ("delete", "payments-db"),
    ]
    assert [r["name"] for r in rows(engine, t.services)] == ["checkout-api"]
    assert [r["name"] for r in rows(engine, t.users)] == ["alice", "bob", "zoe"]


def test_prune_refuses_to_orphan_other_objects(engine: Engine) -> None:
    run(engine, ORG, source="team-a")
    run(engine, SERVICES, source="team-b")
    before = everything(engine)
    with pytest.raises(use.InvalidCatalog) as caught:
        run(engine, ORG.split("---\n")[0], source="team-a", prune=True)
    assert 'cannot prune team "payments": service "checkout-api"' in str(caught.value.problems)
    assert everything(engine) == before


def test_one_store_reads_each_change_though_it_keeps_parsed_rows(engine: Engine) -> None:
    """The store keeps parsed objects between snapshots (keyed on the stored text): a change
    made by apply, or straight in the table, is read at once; an unchanged row is the same
    object, not parsed again."""
    store = SqlCatalogStore(engine)

    def apply(text: str) -> None:
        loaded = load_text(text, "catalog.yaml")
        use.apply(store=store, documents=loaded.documents, clock=FakeClock())

    apply(ORG + "---\n" + SERVICES)
    first = store.snapshot()
    assert first.services["checkout-api"].tier == 2
    again = store.snapshot()
    assert again.users["alice"] is first.users["alice"]
    apply(ORG + "---\n" + SERVICES.replace("tier: 2", "tier: 1"))
    assert store.snapshot().services["checkout-api"].tier == 1
    with engine.begin() as conn:  # a person's own field, changed outside the catalog
        spec = conn.execute(select(t.users.c.spec).where(t.users.c.name == "bob")).scalar_one()
        conn.execute(
            t.users.update()
            .where(t.users.c.name == "bob")
            .values(spec={**spec, "timezone": "Asia/Tokyo"})
        )
    assert store.snapshot().users["bob"].timezone == "Asia/Tokyo"


def test_a_kept_snapshot_is_the_same_until_any_row_it_is_built_from_changes(
    engine: Engine,
) -> None:
    """The store keeps its whole snapshot while the rows read are those it was built from
    (decision 0067). A change made by another store (another server process, the CLI) or
    straight in a table — an object, an integration, a window's services — is in the very
    next snapshot, whatever the clock says."""
    reader = SqlCatalogStore(engine)
    run(engine, ORG + "---\n" + SERVICES + "---\n" + WINDOW)
    first = reader.snapshot()
    assert reader.snapshot() is first
    assert first.windows["db-upgrade"].services == ("checkout-api", "payments-db")

    run(engine, ORG + "---\n" + SERVICES.replace("tier: 2", "tier: 1") + "---\n" + WINDOW)
    second = reader.snapshot()
    assert second is not first
    assert (first.services["checkout-api"].tier, second.services["checkout-api"].tier) == (2, 1)
    assert second.users["alice"] is first.users["alice"]  # unchanged rows: not parsed again

    with engine.begin() as conn:  # an integration gone, outside any apply
        conn.execute(t.integrations.delete().where(t.integrations.c.name == "prom"))
    names = [i.name for i in reader.snapshot().services["checkout-api"].integrations]
    assert names == ["events"]

    with engine.begin() as conn:  # a window's services: a table of their own
        conn.execute(t.maintenance_window_services.delete())
    assert reader.snapshot().windows["db-upgrade"].services == ()

    run(engine, ORG + "---\n" + SERVICES, prune=True)  # the window deleted
    last = reader.snapshot()
    assert "db-upgrade" not in last.windows
    assert reader.snapshot() is last
